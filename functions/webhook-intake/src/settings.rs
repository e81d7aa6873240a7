//! webhook-intake's one settings type: every environment variable it reads, validated at cold
//! start, all problems reported together, each naming its variable.
//!
//! [`Settings`] holds the common [`Config`] (the store secret, the inbound queue, the state
//! table) and the [`IntakeOptions`] the handler keeps (authentication, dedupe, batch size).

use std::time::Duration;

use b2b_commands::DEFAULT_PROCUREMENT_IDENTITY_FIELD;
use b2b_shared::config::{webhook_auth_header, DEFAULT_WEBHOOK_AUTH_HEADER};
use b2b_shared::env::{process_lookup, ConfigError, ConfigProblem, Env, Words};
use b2b_shared::{Config, Need};

/// What the function needs of the common configuration.
pub const NEEDS: &[Need] = &[Need::InboundQueue, Need::StateTable];

/// How webhooks prove they come from BigCommerce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// The store secret's `webhook_secret` in the custom header.
    Header,
    /// A Standard Webhooks signature keyed by the store secret's `client_secret`.
    Signature,
    /// Either one suffices.
    Either,
    /// Both are required.
    Both,
}

/// How the intake behaves: authentication, dedupe and batch limits.
#[derive(Debug, Clone)]
pub struct IntakeOptions {
    /// `WEBHOOK_AUTH`: `header`, `signature`, `either` (default) or `both`.
    pub auth: AuthMode,
    /// `WEBHOOK_AUTH_HEADER`: the custom header carrying `webhook_secret` (default `X-Webhook-Secret`).
    pub auth_header: String,
    /// `WEBHOOK_TOLERANCE_SECONDS`: accepted signature age (default 300).
    pub tolerance_secs: i64,
    /// `DEDUPE_TTL_HOURS`: how long a webhook hash is remembered (default 72; BigCommerce retries
    /// for up to 48 hours).
    pub dedupe_ttl: Duration,
    /// Whether the inbound queue is FIFO (its URL ends in `.fifo`).
    pub fifo: bool,
    /// `INBOUND_MAX_BATCH`: largest command batch on `POST /inbound` (default 500).
    pub max_batch: usize,
    /// `PUBLIC_URL`: this API's address as browsers reach it (a custom domain with a base
    /// path), for punch-out's start pages; default: the address each request came to.
    pub public_url: Option<String>,
    /// `STORE_CURRENCIES`: the ISO 4217 codes the store sells (`USD,EUR`); a cXML purchase
    /// order in any other is refused. Empty (unset): any currency goes on.
    pub currencies: Vec<String>,
}

impl Default for IntakeOptions {
    fn default() -> Self {
        Self {
            auth: AuthMode::Either,
            auth_header: DEFAULT_WEBHOOK_AUTH_HEADER.into(),
            tolerance_secs: 300,
            dedupe_ttl: Duration::from_secs(72 * 3600),
            fifo: false,
            max_batch: 500,
            public_url: None,
            currencies: Vec::new(),
        }
    }
}

/// The words of `WEBHOOK_AUTH`, in any case.
const AUTH_MODES: Words<AuthMode> = Words {
    words: &[
        ("header", AuthMode::Header),
        ("signature", AuthMode::Signature),
        ("either", AuthMode::Either),
        ("both", AuthMode::Both),
    ],
    expected: "one of header, signature, either, both",
    any_case: true,
};

impl IntakeOptions {
    /// Reads the options through `lookup` for the inbound queue at `queue_url`; every malformed
    /// value is reported, naming its variable.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        queue_url: &str,
    ) -> Result<Self, Vec<ConfigProblem>> {
        Env::read_with(lookup, |env| Some(Self::read(env, queue_url))).map_err(Vec::from)
    }

    /// Reads the options through `env` for the inbound queue at `queue_url`, each unset or
    /// malformed one (its problem recorded) at its default.
    fn read(env: &mut Env<'_>, queue_url: &str) -> Self {
        let d = IntakeOptions::default();
        let auth = env.choice("WEBHOOK_AUTH", &AUTH_MODES);
        let auth_header = webhook_auth_header(env);
        let tolerance_secs = env.bounded("WEBHOOK_TOLERANCE_SECONDS", 1, 3600);
        let dedupe_ttl_hours = env.bounded("DEDUPE_TTL_HOURS", 1, 24 * 30);
        let max_batch = env.bounded("INBOUND_MAX_BATCH", 1, 10_000);
        let public_url = env.parse("PUBLIC_URL", |v| {
            let v = v.trim_end_matches('/');
            let absolute = (v.starts_with("https://") || v.starts_with("http://"))
                && !v.contains(['?', '#', ' ']);
            if absolute {
                Ok(v.to_owned())
            } else {
                Err(format!(
                    "`{v}` is not an absolute http(s) URL without query"
                ))
            }
        });
        IntakeOptions {
            auth: auth.unwrap_or(d.auth),
            auth_header: auth_header.unwrap_or(d.auth_header),
            tolerance_secs: tolerance_secs.unwrap_or(d.tolerance_secs),
            dedupe_ttl: dedupe_ttl_hours
                .map_or(d.dedupe_ttl, |h| Duration::from_secs(h as u64 * 3600)),
            fifo: queue_url.ends_with(".fifo"),
            max_batch: max_batch.map_or(d.max_batch, |n| n as usize),
            public_url,
            currencies: b2b_shared::config::store_currencies(env),
        }
    }
}

/// Everything webhook-intake reads from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The store secret, API URLs, the inbound queue and the state table.
    pub config: Config,
    /// How the intake behaves (`WEBHOOK_AUTH`, `DEDUPE_TTL_HOURS`, ...).
    pub intake: IntakeOptions,
    /// `PROCUREMENT_IDENTITY_FIELD` (default `procurement_id`): the company extra field a cXML
    /// purchase order's buyer identity is checked against before it is answered.
    pub procurement_identity_field: String,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(process_lookup)
    }

    /// Reads every setting through `lookup`, reporting every missing or malformed one at once.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Env::read_with(lookup, Self::read)
    }

    /// Reads every setting through `env`; `None` when one is missing or malformed (recorded).
    fn read(env: &mut Env<'_>) -> Option<Self> {
        let config = Config::read(env, NEEDS);
        let queue_url = config
            .as_ref()
            .and_then(|c| c.inbound_queue_url.as_deref())
            .unwrap_or_default();
        let intake = IntakeOptions::read(env, queue_url);
        let procurement_identity_field = env.extra_field(
            "PROCUREMENT_IDENTITY_FIELD",
            "the procurement identity",
            DEFAULT_PROCUREMENT_IDENTITY_FIELD,
        );
        Some(Settings {
            config: config?,
            intake,
            procurement_identity_field,
        })
    }

    /// `INBOUND_QUEUE_URL` (required, so present once the settings are read).
    pub fn inbound_queue_url(&self) -> &str {
        self.config.inbound_queue_url.as_deref().unwrap_or_default()
    }

    /// `STATE_TABLE` (required, so present once the settings are read).
    pub fn state_table(&self) -> &str {
        self.config.state_table.as_deref().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use b2b_shared::env::lookup_from as env;

    #[test]
    fn reads_and_validates() {
        let s = IntakeOptions::from_lookup(
            env(&[("WEBHOOK_AUTH", "both"), ("DEDUPE_TTL_HOURS", "48")]),
            "https://sqs/q.fifo",
        )
        .unwrap();
        assert_eq!(s.auth, AuthMode::Both);
        assert_eq!(s.dedupe_ttl, Duration::from_secs(48 * 3600));
        assert!(s.fifo);
        let err = IntakeOptions::from_lookup(
            env(&[
                ("WEBHOOK_AUTH", "maybe"),
                ("WEBHOOK_TOLERANCE_SECONDS", "-1"),
            ]),
            "q",
        )
        .unwrap_err();
        let vars: Vec<_> = err.iter().map(|p| p.variable).collect();
        assert_eq!(vars, ["WEBHOOK_AUTH", "WEBHOOK_TOLERANCE_SECONDS"]);
        assert!(err[0].reason.contains("`maybe`"), "{err:?}");
    }

    #[test]
    fn store_currencies_are_iso_codes() {
        let read = |v: &str| IntakeOptions::from_lookup(env(&[("STORE_CURRENCIES", v)]), "q");
        assert_eq!(read(" USD, EUR ,").unwrap().currencies, ["USD", "EUR"]);
        assert!(IntakeOptions::from_lookup(env(&[]), "q")
            .unwrap()
            .currencies
            .is_empty());
        let err = read("USD,euro").unwrap_err();
        assert_eq!(err[0].variable, "STORE_CURRENCIES");
        assert!(err[0].reason.contains("`euro`"), "{err:?}");
    }

    #[test]
    fn the_public_url_is_an_absolute_address() {
        let read = |v: &str| IntakeOptions::from_lookup(env(&[("PUBLIC_URL", v)]), "q");
        assert_eq!(
            read("https://b2b.example/api/")
                .unwrap()
                .public_url
                .as_deref(),
            Some("https://b2b.example/api")
        );
        assert_eq!(read("").unwrap().public_url, None);
        for bad in [
            "b2b.example",
            "https://b2b.example/?x=1",
            "ftp://b2b.example",
        ] {
            let err = read(bad).unwrap_err();
            assert_eq!(err[0].variable, "PUBLIC_URL", "{bad}");
        }
    }

    #[test]
    fn a_complete_environment_reads() {
        let s = Settings::from_lookup(env(&[
            ("BC_SECRET_ID", "bc/store"),
            ("INBOUND_QUEUE_URL", "https://sqs/in.fifo"),
            ("STATE_TABLE", "state"),
            ("WEBHOOK_AUTH", "header"),
            ("INBOUND_MAX_BATCH", "20"),
        ]))
        .unwrap();
        assert_eq!(s.config.stores.single_secret_id(), Some("bc/store"));
        assert_eq!(s.inbound_queue_url(), "https://sqs/in.fifo");
        assert_eq!(s.state_table(), "state");
        assert_eq!(s.intake.auth, AuthMode::Header);
        assert_eq!(s.intake.max_batch, 20);
        assert!(s.intake.fifo);
        let s = Settings::from_lookup(env(&[
            ("BC_SECRET_ID", "bc/store"),
            ("INBOUND_QUEUE_URL", "https://sqs/in"),
            ("STATE_TABLE", "state"),
        ]))
        .unwrap();
        assert!(!s.intake.fifo);
        assert_eq!(s.intake.auth, AuthMode::Either);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = Settings::from_lookup(env(&[
            ("B2B_API_URL", "http://example.com"),
            ("WEBHOOK_AUTH", "sometimes"),
            ("WEBHOOK_AUTH_HEADER", "X Bad Header"),
            ("WEBHOOK_TOLERANCE_SECONDS", "0"),
            ("DEDUPE_TTL_HOURS", "forever"),
            ("INBOUND_MAX_BATCH", "10001"),
        ]))
        .unwrap_err();
        let vars: Vec<_> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            vars,
            [
                "BC_SECRET_ID",
                "B2B_API_URL",
                "INBOUND_QUEUE_URL",
                "STATE_TABLE",
                "WEBHOOK_AUTH",
                "WEBHOOK_AUTH_HEADER",
                "WEBHOOK_TOLERANCE_SECONDS",
                "DEDUPE_TTL_HOURS",
                "INBOUND_MAX_BATCH"
            ]
        );
        let text = err.to_string();
        assert!(
            text.contains("INBOUND_MAX_BATCH: `10001` is not a whole number from 1 to 10000"),
            "{text}"
        );
    }
}
