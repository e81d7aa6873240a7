//! Whether a credential a secret holds may be used at all: a shared key that is missing, empty,
//! a placeholder (`REPLACE_ME` and its kind) or shorter than [`MIN_SHARED_KEY_BYTES`] is never
//! compared with what a caller sent, and a placeholder API token is never sent to BigCommerce.
//! The errors name the secret and the field, never the value.

/// The fewest bytes a shared key may have: an inbound API key, a webhook header secret, a
/// Standard Webhooks signing secret, a cXML shared secret, an app's client secret. The stack
/// generates 48-character keys.
pub const MIN_SHARED_KEY_BYTES: usize = 32;

/// Values (lowercased, letters and digits only) that stand for "fill this in".
const PLACEHOLDERS: &[&str] = &[
    "todo",
    "tbd",
    "fixme",
    "secret",
    "password",
    "token",
    "apikey",
    "key",
    "example",
    "none",
    "null",
    "nil",
    "undefined",
    "default",
    "xxx",
];

/// Markers that make any value a placeholder, wherever they occur (`REPLACE_ME`,
/// `<change me>`, `your-placeholder-here`...).
const PLACEHOLDER_MARKERS: &[&str] = &["replaceme", "changeme", "placeholder", "yoursecret"];

/// Why a configured credential is not used (never its value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Weakness {
    /// The field is absent.
    #[error("is not set")]
    Missing,
    /// The field is empty or only whitespace.
    #[error("is empty")]
    Empty,
    /// The field holds a placeholder such as `REPLACE_ME`.
    #[error("is a placeholder (like REPLACE_ME), not a credential")]
    Placeholder,
    /// The field is shorter than [`MIN_SHARED_KEY_BYTES`] (its length in bytes).
    #[error("is {0} bytes long; a shared key needs at least {MIN_SHARED_KEY_BYTES}")]
    TooShort(usize),
}

/// A credential a secret holds that may not be used, naming the secret and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` in secret `{secret}` {weakness}: put a real value there; what needs it is refused until then")]
pub struct UnusableCredential {
    /// The secret (its Secrets Manager id, or a description when the id is not known).
    pub secret: String,
    /// The field, as a path in the secret's JSON (`procurement.partners[0].shared_secret`).
    pub field: String,
    /// What is wrong with it.
    pub weakness: Weakness,
}

impl UnusableCredential {
    /// The error for `field` of `secret`.
    pub fn new(secret: impl Into<String>, field: impl Into<String>, weakness: Weakness) -> Self {
        Self {
            secret: secret.into(),
            field: field.into(),
            weakness,
        }
    }
}

/// Whether `value` is a placeholder rather than a credential.
pub fn is_placeholder(value: &str) -> bool {
    let folded: String = value
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let bytes = value.trim().as_bytes();
    let one_repeated_byte = bytes.len() > 1 && bytes.iter().all(|b| *b == bytes[0]);
    one_repeated_byte
        || PLACEHOLDERS.contains(&folded.as_str())
        || PLACEHOLDER_MARKERS.iter().any(|m| folded.contains(m))
}

/// What makes `value` unusable as a shared key (empty, a placeholder, shorter than
/// [`MIN_SHARED_KEY_BYTES`]); `None` when it may be used.
pub fn shared_key_weakness(value: &str) -> Option<Weakness> {
    if value.trim().is_empty() {
        Some(Weakness::Empty)
    } else if is_placeholder(value) {
        Some(Weakness::Placeholder)
    } else if value.len() < MIN_SHARED_KEY_BYTES {
        Some(Weakness::TooShort(value.len()))
    } else {
        None
    }
}

/// What makes `value` unusable as an API token someone else issued (empty, a placeholder; its
/// length is the issuer's business); `None` when it may be used.
pub fn token_weakness(value: &str) -> Option<Weakness> {
    if value.trim().is_empty() {
        Some(Weakness::Empty)
    } else if is_placeholder(value) {
        Some(Weakness::Placeholder)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENERATED: &str = "q7JcVh2LxP9mWbT4sKzR8nYdF3gA6eU1oHiC5vQ0wXyZ";

    #[test]
    fn placeholders_empty_and_short_keys_are_refused() {
        for (value, weakness) in [
            ("", Weakness::Empty),
            ("   ", Weakness::Empty),
            ("REPLACE_ME", Weakness::Placeholder),
            ("replace-me", Weakness::Placeholder),
            ("<change me>", Weakness::Placeholder),
            ("CHANGEME", Weakness::Placeholder),
            ("TODO", Weakness::Placeholder),
            ("secret", Weakness::Placeholder),
            (
                "REPLACE_ME_WITH_A_LONG_RANDOM_KEY_0123456789",
                Weakness::Placeholder,
            ),
            (
                "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                Weakness::Placeholder,
            ),
            ("k3y", Weakness::TooShort(3)),
            ("local-inbound-key", Weakness::TooShort(17)),
            (&GENERATED[..31], Weakness::TooShort(31)),
        ] {
            assert_eq!(shared_key_weakness(value), Some(weakness), "{value:?}");
        }
        assert_eq!(shared_key_weakness(&GENERATED[..32]), None);
        assert_eq!(shared_key_weakness(GENERATED), None);
        // A Standard Webhooks key of 24 bytes is 38 characters as configured.
        assert_eq!(
            shared_key_weakness("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            None
        );
    }

    #[test]
    fn a_token_may_be_short_but_not_a_placeholder() {
        assert_eq!(token_weakness("REPLACE_ME"), Some(Weakness::Placeholder));
        assert_eq!(token_weakness(""), Some(Weakness::Empty));
        assert_eq!(token_weakness("tok"), None);
        assert_eq!(token_weakness("abc123def456ghi789jkl012mno345p"), None);
    }

    #[test]
    fn the_error_names_the_secret_and_the_field_never_the_value() {
        let e = UnusableCredential::new(
            "stack/bigcommerce/store/abc123",
            "inbound_api_key",
            shared_key_weakness("short-VALUE").unwrap(),
        );
        let text = e.to_string();
        assert!(
            text.contains("`inbound_api_key` in secret `stack/bigcommerce/store/abc123`")
                && text.contains("11 bytes"),
            "{text}"
        );
        assert!(!text.contains("VALUE"), "{text}");
    }
}
