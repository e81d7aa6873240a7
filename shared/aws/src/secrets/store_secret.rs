//! The per-store secret's format: what it holds and how it is parsed without echoing a value,
//! and which of its credentials may be used ([`super::credential`]): a shared key that is a
//! placeholder, empty or short is never compared, a placeholder token never sent.

use bigcommerce_b2b::{StoreAuth, StoreHash};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::credential::{shared_key_weakness, token_weakness, UnusableCredential, Weakness};
use super::TradingPartner;

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
    /// The Secrets Manager id it was read from, for errors (set by the reader).
    #[serde(skip)]
    secret_id: Option<String>,
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

    /// The same secret, known as Secrets Manager's `id` in errors.
    pub fn with_secret_id(mut self, id: impl Into<String>) -> Self {
        self.secret_id = Some(id.into());
        self
    }

    /// How errors name this secret: its Secrets Manager id when known.
    pub fn secret_name(&self) -> String {
        match &self.secret_id {
            Some(id) => id.clone(),
            None => format!("the store secret of store {}", self.store_hash),
        }
    }

    /// The store hash and token the BigCommerce client authenticates with; an error naming
    /// `access_token` when the token is empty or a placeholder (never sent to BigCommerce).
    pub fn auth(&self) -> Result<StoreAuth, UnusableCredential> {
        let token = self.access_token.expose_secret();
        if let Some(weakness) = token_weakness(token) {
            return Err(UnusableCredential::new(
                self.secret_name(),
                "access_token",
                weakness,
            ));
        }
        Ok(StoreAuth::new(self.store_hash.clone(), token.to_owned()))
    }

    /// `value`, the shared key in `field`, when it may be compared with what a caller sent:
    /// not missing, empty, a placeholder or shorter than
    /// [`MIN_SHARED_KEY_BYTES`](super::MIN_SHARED_KEY_BYTES).
    pub fn shared_key<'a>(
        &self,
        field: &str,
        value: Option<&'a SecretString>,
    ) -> Result<&'a SecretString, UnusableCredential> {
        let weakness = match value {
            None => Some(Weakness::Missing),
            Some(v) => shared_key_weakness(v.expose_secret()),
        };
        match (value, weakness) {
            (Some(v), None) => Ok(v),
            (_, weakness) => Err(UnusableCredential::new(
                self.secret_name(),
                field,
                weakness.unwrap_or(Weakness::Missing),
            )),
        }
    }

    /// The bearer key of `POST /inbound` (`inbound_api_key`), when it may be used.
    pub fn inbound_key(&self) -> Result<&SecretString, UnusableCredential> {
        self.shared_key("inbound_api_key", self.inbound_api_key.as_ref())
    }

    /// The webhook header secret (`webhook_secret`), when it may be used.
    pub fn webhook_header_secret(&self) -> Result<&SecretString, UnusableCredential> {
        self.shared_key("webhook_secret", self.webhook_secret.as_ref())
    }

    /// The Standard Webhooks signing secret (the app's `client_secret`), when it may be used.
    pub fn signing_secret(&self) -> Result<&SecretString, UnusableCredential> {
        self.shared_key("client_secret", self.client_secret.as_ref())
    }

    /// The shared secret `partner` authenticates with, when it may be used (the field names
    /// the partner's place in `procurement.partners`).
    pub fn partner_secret<'a>(
        &self,
        partner: &'a TradingPartner,
    ) -> Result<&'a SecretString, UnusableCredential> {
        let index = self
            .procurement
            .as_ref()
            .and_then(|p| p.partners.iter().position(|q| q.name == partner.name));
        let field = match index {
            Some(i) => format!("procurement.partners[{i}].shared_secret"),
            None => format!("the shared_secret of partner `{}`", partner.name),
        };
        self.shared_key(&field, Some(&partner.shared_secret))
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
        let auth = format!("{:?}", s.auth().unwrap());
        assert!(
            !auth.contains("SECRET") && auth.contains("abc123"),
            "{auth}"
        );
    }

    const KEY: &str = "q7JcVh2LxP9mWbT4sKzR8nYdF3gA6eU1oHiC5vQ0wXyZ";

    #[test]
    fn a_placeholder_token_is_never_handed_to_the_client() {
        for token in ["REPLACE_ME", "", " "] {
            let s = StoreSecret::from_json(&format!(
                r#"{{"store_hash":"abc123","access_token":"{token}"}}"#
            ))
            .unwrap()
            .with_secret_id("stack/bigcommerce/store/abc123");
            let e = s.auth().unwrap_err();
            assert_eq!(
                (e.secret.as_str(), e.field.as_str()),
                ("stack/bigcommerce/store/abc123", "access_token")
            );
        }
        let s = StoreSecret::from_json(r#"{"store_hash":"abc123","access_token":"REPLACE_ME"}"#)
            .unwrap();
        assert!(s.auth().unwrap_err().to_string().contains("store abc123"));
        let s = StoreSecret::from_json(r#"{"store_hash":"abc123","access_token":"tok"}"#).unwrap();
        assert_eq!(s.auth().unwrap().access_token.expose_secret(), "tok");
    }

    #[test]
    fn shared_keys_are_used_only_when_strong() {
        let with = |fields: &str| {
            StoreSecret::from_json(&format!(
                r#"{{"store_hash":"abc123","access_token":"t"{fields}}}"#
            ))
            .unwrap()
            .with_secret_id("s")
        };
        let missing = with("");
        assert_eq!(
            missing.inbound_key().unwrap_err().weakness,
            Weakness::Missing
        );
        for (value, weakness) in [
            ("REPLACE_ME", Weakness::Placeholder),
            ("", Weakness::Empty),
            ("k3y", Weakness::TooShort(3)),
        ] {
            let s = with(&format!(
                r#","inbound_api_key":"{value}","webhook_secret":"{value}","client_secret":"{value}""#
            ));
            for (e, field) in [
                (s.inbound_key().unwrap_err(), "inbound_api_key"),
                (s.webhook_header_secret().unwrap_err(), "webhook_secret"),
                (s.signing_secret().unwrap_err(), "client_secret"),
            ] {
                assert_eq!(
                    (e.field.as_str(), e.weakness),
                    (field, weakness),
                    "{value:?}"
                );
            }
        }
        let strong = with(&format!(
            r#","inbound_api_key":"{KEY}","webhook_secret":"{KEY}","client_secret":"{KEY}""#
        ));
        assert_eq!(strong.inbound_key().unwrap().expose_secret(), KEY);
        assert!(strong.webhook_header_secret().is_ok() && strong.signing_secret().is_ok());
    }

    #[test]
    fn a_partner_s_shared_secret_is_named_by_its_place() {
        let s = StoreSecret::from_json(&format!(
            r#"{{"store_hash":"abc123","access_token":"t","procurement":{{
                "supplier":[{{"domain":"DUNS","identity":"1"}}],
                "partners":[{{"name":"a","sender":{{"domain":"DUNS","identity":"2"}},"shared_secret":"{KEY}"}},
                            {{"name":"b","sender":{{"domain":"DUNS","identity":"3"}},"shared_secret":"REPLACE_ME"}}]}}}}"#
        ))
        .unwrap();
        let partners = &s.procurement.as_ref().unwrap().partners;
        assert!(s.partner_secret(&partners[0]).is_ok());
        let e = s.partner_secret(&partners[1]).unwrap_err();
        assert_eq!(e.field, "procurement.partners[1].shared_secret");
        assert_eq!(e.weakness, Weakness::Placeholder);
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
