//! Webhook authentication: a shared secret echoed in a custom header, and Standard Webhooks
//! signatures (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`
//! over `"{id}.{timestamp}.{body}"`). Every comparison runs in constant time, and only against
//! a configured key that may be used (`log_unusable` says why one may not).

use b2b_shared::secrets::UnusableCredential;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{KeyInit, Mac};
use lambda_http::http::HeaderMap;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Logs that `route` cannot authenticate anyone because the credential it checks against may
/// not be used (a placeholder, empty, short or missing): one line naming the secret and the
/// field, never a value. The route answers "unavailable" and enqueues nothing.
pub(crate) fn log_unusable(route: &str, e: &UnusableCredential) {
    tracing::error!(
        route,
        secret_id = %e.secret,
        field = %e.field,
        outcome = "unusable_credential",
        error = %e,
        "request refused: the configured credential may not be used"
    );
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn secrets_equal(given: &[u8], expected: &[u8]) -> bool {
    given.ct_eq(expected).into()
}

/// The HMAC key of a signing secret: `whsec_<base64>` is decoded, anything else used as bytes
/// (BigCommerce signs with the app's client secret).
pub fn signing_key(secret: &str) -> Vec<u8> {
    match secret.strip_prefix("whsec_") {
        Some(b64) => STANDARD
            .decode(b64)
            .unwrap_or_else(|_| secret.as_bytes().to_vec()),
        None => secret.as_bytes().to_vec(),
    }
}

/// Why a signature was not accepted (logged, never sent to the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// A `webhook-*` header is missing or not text.
    MissingHeaders,
    /// The timestamp is not a number.
    BadTimestamp,
    /// The timestamp is outside the tolerance (replay or clock skew).
    Stale,
    /// No signature in the header matches.
    Mismatch,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)?
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Computes the `v1` signature of a message.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this only guards the type's signature.
    let Ok(mut mac) = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Verifies a Standard Webhooks signature at time `now` (unix seconds).
pub fn verify_signature(
    headers: &HeaderMap,
    body: &[u8],
    key: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let (Some(id), Some(ts), Some(sigs)) = (
        header(headers, "webhook-id"),
        header(headers, "webhook-timestamp"),
        header(headers, "webhook-signature"),
    ) else {
        return Err(SignatureError::MissingHeaders);
    };
    let ts: i64 = ts.parse().map_err(|_| SignatureError::BadTimestamp)?;
    // Checked: a caller-chosen timestamp must not overflow the subtraction.
    let age = now.checked_sub(ts).and_then(i64::checked_abs);
    if age.is_none_or(|age| age > tolerance_secs) {
        return Err(SignatureError::Stale);
    }
    let expected = sign(key, id, ts, body);
    if expected.is_empty() {
        return Err(SignatureError::Mismatch);
    }
    let mut matched = false;
    for candidate in sigs.split(' ') {
        if let Some(sig) = candidate.strip_prefix("v1,") {
            matched |= secrets_equal(sig.as_bytes(), expected.as_bytes());
        }
    }
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;

    fn headers(id: &str, ts: i64, sig: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("webhook-id", HeaderValue::from_str(id).unwrap());
        h.insert(
            "webhook-timestamp",
            HeaderValue::from_str(&ts.to_string()).unwrap(),
        );
        h.insert("webhook-signature", HeaderValue::from_str(sig).unwrap());
        h
    }

    #[test]
    fn standard_webhooks_reference_vector() {
        // From the Standard Webhooks specification's test vectors.
        let key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let body = br#"{"test": 2432232314}"#;
        let sig = sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(sig, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let h = headers(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            &format!("v1,bogus v1,{sig}"),
        );
        assert_eq!(
            verify_signature(&h, body, &key, 1614265330 + 10, 300),
            Ok(())
        );
    }

    #[test]
    fn rejects_stale_tampered_and_missing() {
        let key = b"client-secret";
        let sig = sign(key, "id1", 1000, b"{}");
        let h = headers("id1", 1000, &format!("v1,{sig}"));
        assert_eq!(
            verify_signature(&h, b"{}", key, 1000 + 301, 300),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify_signature(&h, b"{ }", key, 1000, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(&h, b"{}", b"other", 1000, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(&HeaderMap::new(), b"{}", key, 1000, 300),
            Err(SignatureError::MissingHeaders)
        );
        let h = headers("id1", 1000, &format!("v2,{sig}"));
        assert_eq!(
            verify_signature(&h, b"{}", key, 1000, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn constant_time_compare() {
        assert!(secrets_equal(b"abc", b"abc"));
        assert!(!secrets_equal(b"abc", b"abd"));
        assert!(!secrets_equal(b"abc", b"abcd"));
    }
}
