//! The per-store secret's format: what it holds and how it is parsed without echoing a value.

use bigcommerce_b2b::{StoreAuth, StoreHash};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The per-store secret. `Debug` shows which fields are present, never their values.
#[derive(Debug, Deserialize)]
pub struct StoreSecret {
    /// The store this secret belongs to.
    pub store_hash: StoreHash,
    /// Store-level or app API token (`X-Auth-Token`), with the B2B Edition scope for B2B calls.
    pub access_token: SecretString,
    /// The app's client id (app installs, Standard Webhooks).
    #[serde(default)]
    pub client_id: Option<String>,
    /// The app's client secret: the Standard Webhooks signing key.
    #[serde(default)]
    pub client_secret: Option<SecretString>,
    /// The value BigCommerce echoes in a custom header on every webhook delivery.
    #[serde(default)]
    pub webhook_secret: Option<SecretString>,
    /// Bearer key ERP/CRM systems present to `POST /inbound`.
    #[serde(default)]
    pub inbound_api_key: Option<SecretString>,
    /// cXML trading: the supplier identities and trading partners of `POST /procurement/cxml`.
    #[serde(default)]
    pub procurement: Option<super::ProcurementConfig>,
}

impl StoreSecret {
    /// Parses the secret's JSON. Errors name the problem but never echo a value.
    pub fn from_json(raw: &str) -> Result<Self, String> {
        let secret: StoreSecret = serde_json::from_str(raw).map_err(|e| describe_json_error(&e))?;
        let mut problems = secret
            .procurement
            .as_ref()
            .map(super::ProcurementConfig::problems)
            .unwrap_or_default();
        let punchout = secret
            .procurement
            .as_ref()
            .is_some_and(|p| p.punchout.is_some());
        if punchout && (secret.client_id.is_none() || secret.client_secret.is_none()) {
            problems.push(
                "`procurement.punchout` needs the app's `client_id` and `client_secret` (they sign the customer login tokens)".to_owned(),
            );
        }
        if problems.is_empty() {
            Ok(secret)
        } else {
            Err(problems.join("; "))
        }
    }

    /// The store hash and token the BigCommerce client authenticates with.
    pub fn auth(&self) -> StoreAuth {
        StoreAuth::new(
            self.store_hash.clone(),
            self.access_token.expose_secret().to_owned(),
        )
    }
}

/// Describes a JSON error without quoting the input (serde's messages can contain values).
fn describe_json_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    if msg.starts_with("missing field")
        || msg.starts_with("unknown field")
        || msg.starts_with("a store hash")
    {
        // These quote only field names or our own text.
        msg.split(" at line").next().unwrap_or(&msg).to_owned()
    } else {
        format!(
            "{:?} error at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_credential() {
        let s = StoreSecret::from_json(
            r#"{"store_hash":"abc123","access_token":"tok-SECRET","client_id":"cid",
                "client_secret":"cs-SECRET","webhook_secret":"wh-SECRET","inbound_api_key":"ik-SECRET"}"#,
        )
        .unwrap();
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("SECRET"), "{dbg}");
        assert!(dbg.contains("abc123"));
        assert_eq!(s.access_token.expose_secret(), "tok-SECRET");
        let auth = format!("{:?}", s.auth());
        assert!(
            !auth.contains("SECRET") && auth.contains("abc123"),
            "{auth}"
        );
    }

    #[test]
    fn punch_out_needs_the_apps_client_credentials() {
        let procurement = r#""procurement": {"supplier": [{"domain": "DUNS", "identity": "1"}],
            "partners": [], "punchout": {"storefront_url": "https://shop.example"}}"#;
        let err = StoreSecret::from_json(&format!(
            r#"{{"store_hash":"abc","access_token":"t",{procurement}}}"#
        ))
        .unwrap_err();
        assert!(err.contains("client_secret"), "{err}");
        let ok = StoreSecret::from_json(&format!(
            r#"{{"store_hash":"abc","access_token":"t","client_id":"c","client_secret":"s",{procurement}}}"#
        ));
        assert!(ok.is_ok());
    }

    #[test]
    fn malformed_secret_errors_do_not_echo_values() {
        let err = StoreSecret::from_json(r#"{"store_hash":"abc","access_token":42}"#).unwrap_err();
        assert!(!err.contains("42"), "{err}");
        let err = StoreSecret::from_json(r#"{"store_hash":"abc"}"#).unwrap_err();
        assert_eq!(err, "missing field `access_token`");
        let err = StoreSecret::from_json(r#"{"store_hash":"a/b","access_token":"t"}"#).unwrap_err();
        assert!(err.contains("store hash"), "{err}");
        assert!(StoreSecret::from_json("tok-SECRET")
            .unwrap_err()
            .contains("Syntax"));
    }
}
