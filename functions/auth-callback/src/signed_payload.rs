//! The `signed_payload_jwt` BigCommerce sends to the `load`, `uninstall` and `remove_user`
//! callbacks: an HS256 JWT signed with the app's client secret, for the app's client id
//! (`aud`), issued by `bc`, naming the store in `sub` (`stores/{hash}`) and the user who acted.
//! Verified with `jsonwebtoken` (signature, algorithm, audience, issuer, expiry, not-before);
//! nothing in a token that fails is used.

use bigcommerce_b2b::oauth::AppCredentials;
use bigcommerce_b2b::StoreHash;
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use secrecy::ExposeSecret;
use serde::Deserialize;

/// The issuer BigCommerce signs callback payloads as.
pub const ISSUER: &str = "bc";

/// A control-panel user named in a payload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    /// The user's id.
    pub id: i64,
    /// The user's email.
    #[serde(default)]
    pub email: String,
}

/// The claims this app uses, after verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The store (`sub`).
    pub store_hash: StoreHash,
    /// Who triggered the callback.
    pub user: Option<User>,
    /// The store owner.
    pub owner: Option<User>,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    user: Option<User>,
    #[serde(default)]
    owner: Option<User>,
}

/// Why a payload was refused (logged; the merchant sees a generic page).
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// Not a valid token for this app: bad signature or algorithm, wrong audience or issuer,
    /// expired, not yet valid, or malformed.
    #[error("the signed payload is not valid for this app: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    /// Valid, but `sub` is not `stores/{hash}`.
    #[error("the signed payload's subject is not a store")]
    NotAStore,
}

/// Verifies `token` for `app` and returns its claims.
pub fn verify(token: &str, app: &AppCredentials) -> Result<Verified, PayloadError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[app.client_id.as_str()]);
    validation.set_issuer(&[ISSUER]);
    validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    validation.validate_nbf = true;
    let key = DecodingKey::from_secret(app.client_secret.expose_secret().as_bytes());
    let claims = decode::<Claims>(token.trim(), &key, &validation)?.claims;
    let store_hash = claims
        .sub
        .strip_prefix("stores/")
        .and_then(|h| StoreHash::parse(h).ok())
        .ok_or(PayloadError::NotAStore)?;
    Ok(Verified {
        store_hash,
        user: claims.user,
        owner: claims.owner,
    })
}

/// Signs claims as BigCommerce does (HS256 with `client_secret`), for tests, the sandbox and
/// the demo.
pub fn sign(claims: &serde_json::Value, client_secret: &str) -> Result<String, PayloadError> {
    let key = jsonwebtoken::EncodingKey::from_secret(client_secret.as_bytes());
    Ok(jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::HS256),
        claims,
        &key,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;
    use serde_json::json;

    fn app() -> AppCredentials {
        AppCredentials {
            client_id: "app-client".into(),
            client_secret: SecretString::from("app-secret"),
        }
    }

    fn now() -> i64 {
        jsonwebtoken::get_current_timestamp() as i64
    }

    /// The example claims of BigCommerce's callback guide, timed around now.
    fn claims() -> serde_json::Value {
        json!({"aud": "app-client", "iss": "bc", "iat": now(), "nbf": now() - 5,
            "exp": now() + 86_400, "jti": "c5f0bcf5-a504-4ae6-8dcc-0e40eaa5a070",
            "sub": "stores/z4zn3wo", "user": {"id": 9128, "email": "user@mybigcommerce.com"},
            "owner": {"id": 9128, "email": "user@mybigcommerce.com"}, "url": "/"})
    }

    #[test]
    fn a_payload_signed_for_this_app_names_its_store_and_user() {
        let token = sign(&claims(), "app-secret").unwrap();
        let v = verify(&token, &app()).unwrap();
        assert_eq!(v.store_hash.as_str(), "z4zn3wo");
        assert_eq!(v.user.unwrap().id, 9128);
        assert_eq!(v.owner.unwrap().email, "user@mybigcommerce.com");
    }

    #[test]
    fn every_forgery_and_stale_payload_is_refused() {
        let with = |change: &dyn Fn(&mut serde_json::Value)| {
            let mut c = claims();
            change(&mut c);
            sign(&c, "app-secret").unwrap()
        };
        let refused = [
            (
                "another app's secret",
                sign(&claims(), "other-secret").unwrap(),
            ),
            ("another app", with(&|c| c["aud"] = json!("other-client"))),
            ("another issuer", with(&|c| c["iss"] = json!("evil"))),
            ("expired", with(&|c| c["exp"] = json!(now() - 3_600))),
            ("not yet valid", with(&|c| c["nbf"] = json!(now() + 3_600))),
            (
                "no expiry",
                with(&|c| drop(c.as_object_mut().unwrap().remove("exp"))),
            ),
            ("not a store", with(&|c| c["sub"] = json!("accounts/1"))),
            ("a bad hash", with(&|c| c["sub"] = json!("stores/a/../b"))),
            ("garbage", "not.a.jwt".to_owned()),
        ];
        for (what, token) in refused {
            assert!(verify(&token, &app()).is_err(), "{what} was accepted");
        }
        // `alg: none` (an unsigned token) is refused too.
        let header = base64_url(r#"{"alg":"none","typ":"JWT"}"#);
        let body = base64_url(&claims().to_string());
        assert!(verify(&format!("{header}.{body}."), &app()).is_err());
    }

    fn base64_url(text: &str) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
    }
}
