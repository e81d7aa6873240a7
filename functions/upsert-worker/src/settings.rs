//! upsert-worker's one settings type (every environment variable the worker reads, validated at
//! cold start, the field mapping loaded, all problems reported together, each naming its
//! variable), and the redrive tool's.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use b2b_export::ExportSettings;
use b2b_shared::config::{extra_field_name, ConfigError, ConfigProblem, Problems};
use b2b_shared::{Config, Need};

use crate::apply::{PurchaseOrderSettings, StatusMap};
use crate::mapping::Mapping;

/// What the worker needs of the common configuration.
pub const NEEDS: &[Need] = &[Need::InboundQueue, Need::StateTable, Need::DeadLetterQueue];

/// Default `EXTERNAL_ID_FIELD`.
pub const DEFAULT_EXTERNAL_ID_FIELD: &str = "external_id";

/// Default `MAX_RECEIVE_COUNT`: the template's `maxReceiveCount` for the inbound queue.
pub const DEFAULT_MAX_RECEIVES: u32 = 8;

/// Longest `EXTERNAL_ID_FIELD` accepted.
pub const MAX_EXTERNAL_ID_FIELD_LEN: usize = 255;

/// Near-real-time export of webhook events, when `OUTBOUND_QUEUE_URL` is set.
#[derive(Debug, Clone)]
pub struct EventExportSettings {
    /// `OUTBOUND_QUEUE_URL`: where the exported documents go.
    pub outbound_queue_url: String,
    /// How documents are built (`EXPORT_STREAMS`, `EXPORT_PAGE_SIZE`, ...), as order-export's.
    pub export: ExportSettings,
}

impl EventExportSettings {
    /// Whether the outbound queue is FIFO (its URL ends in `.fifo`).
    pub fn fifo(&self) -> bool {
        self.outbound_queue_url.ends_with(".fifo")
    }
}

/// Everything upsert-worker reads from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The store secret, API URLs, the inbound queue, the state table and the dead-letter queue.
    pub config: Config,
    /// `EXTERNAL_ID_FIELD`: the company extra field holding the external id (default
    /// `external_id`).
    pub external_id_field: String,
    /// `FIELD_MAPPING_FILE`: the mapping file's path, when set.
    pub mapping_file: Option<PathBuf>,
    /// The mapping loaded from `mapping_file`.
    pub mapping: Option<Arc<Mapping>>,
    /// The near-real-time export, when `OUTBOUND_QUEUE_URL` is set.
    pub events: Option<EventExportSettings>,
    /// `MAX_RECEIVE_COUNT`: the inbound queue's `maxReceiveCount` (default 8, 1 to 1,000).
    pub max_receives: u32,
    /// `STORE_MIRROR`: `on` (default) resolves companies, buyers and addresses through the
    /// store mirror (delta reads instead of a lookup per command); `off`: a lookup per command.
    pub store_mirror: bool,
    /// `MIRROR_MAX_AGE_SECS` (default 60, 0 to 3,600): how old the mirror may be for a command
    /// to diff against it; older, a delta read comes first. 0: one delta read per batch.
    pub mirror_max_age: Duration,
    /// `ORDER_STATUS_MAP`: the ERP's order status names → BigCommerce status ids, as
    /// `NAME=ID_OR_LABEL` pairs separated by commas (`SHIPPED=2,ON_HOLD=Awaiting Payment`);
    /// names are matched ignoring case. `order.status` also takes BigCommerce's own labels.
    pub order_statuses: Arc<StatusMap>,
    /// `STORE_CURRENCIES`: the store's currency codes, comma-separated (`USD,EUR`); an
    /// `invoice.*` command in any other is refused. Empty (default): any code is sent.
    pub currencies: Arc<Vec<String>>,
    /// `PROCUREMENT_IDENTITY_FIELD` (default `procurement_id`): the company extra field an
    /// `order.create`'s `company_identity` is found in; `ORDER_CREATE_STATUS_ID` (default 11,
    /// Awaiting Fulfillment): the status its orders are created in.
    pub purchase_orders: Arc<PurchaseOrderSettings>,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads every setting through `lookup` and loads the mapping file, reporting every missing
    /// or malformed one at once.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut problems = Problems::default();
        let config = problems.take(Config::from_lookup(&lookup, NEEDS));
        let external_id_field = problems.take(external_id_field(&lookup));
        let mapping_file = lookup("FIELD_MAPPING_FILE")
            .filter(|p| !p.trim().is_empty())
            .map(PathBuf::from);
        let mapping = match &mapping_file {
            None => Some(None),
            Some(path) => problems.take(load_mapping(path).map(|m| Some(Arc::new(m)))),
        };
        let events = problems.take(event_export(&lookup));
        let max_receives = problems.take(max_receives(&lookup));
        let mirror = problems.take(mirror_settings(&lookup));
        let order_statuses = problems.take(order_statuses(lookup("ORDER_STATUS_MAP")));
        let currencies = problems.take(currencies(lookup("STORE_CURRENCIES")));
        let purchase_orders = problems.take(purchase_orders(&lookup));
        match (
            config,
            external_id_field,
            mapping,
            events,
            max_receives,
            mirror,
            order_statuses,
            currencies,
            purchase_orders,
        ) {
            (
                Some(config),
                Some(external_id_field),
                Some(mapping),
                Some(events),
                Some(max_receives),
                Some((store_mirror, mirror_max_age)),
                Some(order_statuses),
                Some(currencies),
                Some(purchase_orders),
            ) if problems.is_empty() => Ok(Settings {
                config,
                external_id_field,
                mapping_file,
                mapping,
                events,
                max_receives,
                store_mirror,
                mirror_max_age,
                order_statuses: Arc::new(order_statuses),
                currencies: Arc::new(currencies),
                purchase_orders: Arc::new(purchase_orders),
            }),
            _ => Err(problems.into_error()),
        }
    }

    /// `INBOUND_QUEUE_URL` (required, so present once the settings are read).
    pub fn inbound_queue_url(&self) -> &str {
        self.config.inbound_queue_url.as_deref().unwrap_or_default()
    }

    /// `STATE_TABLE` (required, so present once the settings are read).
    pub fn state_table(&self) -> &str {
        self.config.state_table.as_deref().unwrap_or_default()
    }

    /// `DEAD_LETTER_QUEUE_URL` (required, so present once the settings are read).
    pub fn dead_letter_queue_url(&self) -> &str {
        self.config
            .dead_letter_queue_url
            .as_deref()
            .unwrap_or_default()
    }
}

/// `STORE_CURRENCIES`: ISO 4217 codes separated by commas.
fn currencies(raw: Option<String>) -> Result<Vec<String>, ConfigProblem> {
    let mut out = Vec::new();
    for code in raw.iter().flat_map(|r| r.split(',')).map(str::trim) {
        if code.is_empty() {
            continue;
        }
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ConfigProblem {
                variable: "STORE_CURRENCIES",
                reason: format!("`{code}` is not an ISO 4217 code of 3 capital letters (USD,EUR)"),
            });
        }
        out.push(code.to_owned());
    }
    Ok(out)
}

/// `ORDER_STATUS_MAP`: `NAME=ID_OR_LABEL` pairs, each id 0..14 or a BigCommerce status label.
fn order_statuses(raw: Option<String>) -> Result<StatusMap, ConfigProblem> {
    let mut map = StatusMap::new();
    let problem = |reason: String| ConfigProblem {
        variable: "ORDER_STATUS_MAP",
        reason,
    };
    for pair in raw.iter().flat_map(|r| r.split(',')) {
        if pair.trim().is_empty() {
            continue;
        }
        let Some((name, status)) = pair.split_once('=') else {
            return Err(problem(format!(
                "`{pair}` is not `NAME=STATUS` (e.g. `SHIPPED=2,ON_HOLD=Awaiting Payment`)"
            )));
        };
        let (name, status) = (name.trim(), status.trim());
        let id = match status.parse::<i64>() {
            Ok(id) if (0..=14).contains(&id) => Some(id),
            Ok(_) => None,
            Err(_) => bigcommerce_b2b::fulfillment::status_by_name(status),
        };
        match id {
            Some(id) if !name.is_empty() => {
                map.insert(name.to_uppercase(), id);
            }
            _ => {
                return Err(problem(format!(
                    "`{pair}`: the status must be a BigCommerce status id 0..14 or label (`Awaiting Fulfillment`), and the name not empty"
                )))
            }
        }
    }
    Ok(map)
}

/// `PROCUREMENT_IDENTITY_FIELD` (a field name like `EXTERNAL_ID_FIELD`) and
/// `ORDER_CREATE_STATUS_ID` (0..14).
fn purchase_orders(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<PurchaseOrderSettings, Vec<ConfigProblem>> {
    let mut out = PurchaseOrderSettings::default();
    let mut problems = Vec::new();
    match extra_field_name(
        lookup,
        "PROCUREMENT_IDENTITY_FIELD",
        "the procurement identity",
        &out.identity_field,
    ) {
        Ok(field) => out.identity_field = field,
        Err(p) => problems.push(p),
    }
    if let Some(raw) = lookup("ORDER_CREATE_STATUS_ID") {
        match ConfigProblem::bounded("ORDER_CREATE_STATUS_ID", &raw, 0, 14) {
            Ok(id) => out.status_id = id,
            Err(p) => problems.push(p),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// `EXTERNAL_ID_FIELD`: 1 to 255 letters, digits, `_` and `-` (default `external_id`).
fn external_id_field(lookup: &impl Fn(&str) -> Option<String>) -> Result<String, ConfigProblem> {
    extra_field_name(
        lookup,
        "EXTERNAL_ID_FIELD",
        "the external id",
        DEFAULT_EXTERNAL_ID_FIELD,
    )
}

/// A switch: `on`/`off` (also `true`/`false`, `1`/`0`), off when unset.
/// `STORE_MIRROR` (on unless `off`) and `MIRROR_MAX_AGE_SECS`.
fn mirror_settings(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<(bool, Duration), Vec<ConfigProblem>> {
    let on = on_off(lookup, "STORE_MIRROR", true);
    let age = match lookup("MIRROR_MAX_AGE_SECS") {
        None => Ok(crate::apply::DEFAULT_MIRROR_MAX_AGE),
        Some(raw) => ConfigProblem::bounded("MIRROR_MAX_AGE_SECS", &raw, 0, 3600)
            .map(|n| Duration::from_secs(n as u64)),
    };
    match (on, age) {
        (Ok(on), Ok(age)) => Ok((on, age)),
        (on, age) => Err(on.err().into_iter().chain(age.err()).collect()),
    }
}

fn on_off(
    lookup: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: bool,
) -> Result<bool, ConfigProblem> {
    match lookup(variable)
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("") => Ok(default),
        Some("off") | Some("false") | Some("0") => Ok(false),
        Some("on") | Some("true") | Some("1") => Ok(true),
        Some(other) => Err(ConfigProblem {
            variable,
            reason: format!("`{other}` is not `on` or `off`"),
        }),
    }
}

/// `MAX_RECEIVE_COUNT`: 1 to 1,000 (SQS's own bounds for `maxReceiveCount`), default 8.
fn max_receives(lookup: &impl Fn(&str) -> Option<String>) -> Result<u32, ConfigProblem> {
    match lookup("MAX_RECEIVE_COUNT") {
        None => Ok(DEFAULT_MAX_RECEIVES),
        Some(raw) => ConfigProblem::bounded("MAX_RECEIVE_COUNT", &raw, 1, 1000).map(|n| n as u32),
    }
}

/// The mapping at `path`, or the problem with `FIELD_MAPPING_FILE`.
fn load_mapping(path: &Path) -> Result<Mapping, ConfigProblem> {
    Mapping::load(path).map_err(|e| ConfigProblem {
        variable: "FIELD_MAPPING_FILE",
        reason: format!("cannot be loaded: {e}"),
    })
}

/// `OUTBOUND_QUEUE_URL` and, only when it is set, the export's own variables.
fn event_export(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Option<EventExportSettings>, Vec<ConfigProblem>> {
    let Some(outbound_queue_url) = lookup("OUTBOUND_QUEUE_URL")
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
    else {
        return Ok(None);
    };
    b2b_shared::config::check_queue_url(&outbound_queue_url).map_err(|reason| {
        vec![ConfigProblem {
            variable: "OUTBOUND_QUEUE_URL",
            reason,
        }]
    })?;
    Ok(Some(EventExportSettings {
        outbound_queue_url,
        export: ExportSettings::from_lookup(lookup)?,
    }))
}

/// What the `redrive` tool reads from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedriveSettings {
    /// `DEAD_LETTER_QUEUE_URL`: where the messages are.
    pub dead_letter_queue_url: String,
    /// `INBOUND_QUEUE_URL`: where they go back to.
    pub inbound_queue_url: String,
}

impl RedriveSettings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads both queue URLs through `lookup`, naming each one missing.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let mut required = |variable: &'static str, what: &str| {
            let value = lookup(variable)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty());
            if value.is_none() {
                problems.push(ConfigProblem {
                    variable,
                    reason: format!("is not set ({what})"),
                });
            }
            value.unwrap_or_default()
        };
        let dead_letter_queue_url =
            required("DEAD_LETTER_QUEUE_URL", "the queue to move messages from");
        let inbound_queue_url = required("INBOUND_QUEUE_URL", "the queue to move messages to");
        if problems.is_empty() && dead_letter_queue_url == inbound_queue_url {
            problems.push(ConfigProblem {
                variable: "INBOUND_QUEUE_URL",
                reason: "is the dead-letter queue itself; messages would go round in circles"
                    .into(),
            });
        }
        if problems.is_empty() {
            Ok(Self {
                dead_letter_queue_url,
                inbound_queue_url,
            })
        } else {
            Err(ConfigError { problems })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    const COMPLETE: &[(&str, &str)] = &[
        ("BC_SECRET_ID", "bc/store"),
        ("INBOUND_QUEUE_URL", "https://sqs/in"),
        ("STATE_TABLE", "state"),
        ("DEAD_LETTER_QUEUE_URL", "https://sqs/dlq"),
    ];

    fn with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut all: Vec<_> = extra.to_vec();
        all.extend_from_slice(COMPLETE);
        all
    }

    fn example_mapping() -> String {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/mappings/erp-customers.example.yaml"
        )
        .to_owned()
    }

    #[test]
    fn defaults() {
        let s = Settings::from_lookup(env(COMPLETE)).unwrap();
        assert_eq!(s.external_id_field, "external_id");
        assert_eq!(s.inbound_queue_url(), "https://sqs/in");
        assert_eq!(s.state_table(), "state");
        assert_eq!(s.dead_letter_queue_url(), "https://sqs/dlq");
        assert!(s.mapping.is_none() && s.mapping_file.is_none());
        assert!(s.events.is_none());
        assert_eq!(s.max_receives, DEFAULT_MAX_RECEIVES);
        assert!(s.store_mirror);
        assert_eq!(s.mirror_max_age, Duration::from_secs(60));
    }

    #[test]
    fn the_store_mirror_is_a_switch_with_a_bounded_age() {
        let off = Settings::from_lookup(env(&with(&[("STORE_MIRROR", "off")]))).unwrap();
        assert!(!off.store_mirror);
        let e = Settings::from_lookup(env(&with(&[("STORE_MIRROR", "maybe")]))).unwrap_err();
        assert!(e.to_string().contains("STORE_MIRROR"), "{e}");
        let zero = Settings::from_lookup(env(&with(&[("MIRROR_MAX_AGE_SECS", "0")]))).unwrap();
        assert_eq!(zero.mirror_max_age, Duration::ZERO);
        let e = Settings::from_lookup(env(&with(&[
            ("STORE_MIRROR", "perhaps"),
            ("MIRROR_MAX_AGE_SECS", "3601"),
        ])))
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("STORE_MIRROR") && text.contains("MIRROR_MAX_AGE_SECS"),
            "{text}"
        );
    }

    #[test]
    fn max_receive_count_is_bounded_like_sqs_s() {
        let s = Settings::from_lookup(env(&with(&[("MAX_RECEIVE_COUNT", "3")]))).unwrap();
        assert_eq!(s.max_receives, 3);
        for bad in ["0", "1001", "many"] {
            let e = Settings::from_lookup(env(&with(&[("MAX_RECEIVE_COUNT", bad)]))).unwrap_err();
            assert!(e.to_string().contains("MAX_RECEIVE_COUNT"), "{e}");
        }
    }

    #[test]
    fn the_mapping_and_the_export_are_read_when_set() {
        let path = example_mapping();
        let s = Settings::from_lookup(env(&with(&[
            ("FIELD_MAPPING_FILE", &path),
            ("OUTBOUND_QUEUE_URL", " https://sqs/out.fifo "),
            ("EXPORT_STREAMS", "orders"),
            ("EXTERNAL_ID_FIELD", "erp_id"),
        ])))
        .unwrap();
        assert_eq!(s.external_id_field, "erp_id");
        assert_eq!(s.mapping_file, Some(PathBuf::from(&path)));
        assert_eq!(
            s.mapping.as_deref(),
            Some(&Mapping::load(Path::new(&path)).unwrap())
        );
        let events = s.events.unwrap();
        assert_eq!(events.outbound_queue_url, "https://sqs/out.fifo");
        assert!(events.fifo());
        assert_eq!(events.export.streams, [b2b_export::StreamKind::Orders]);
    }

    #[test]
    fn export_variables_are_ignored_without_an_outbound_queue() {
        let s = Settings::from_lookup(env(&with(&[("EXPORT_STREAMS", "nope")]))).unwrap();
        assert!(s.events.is_none());
        let s = Settings::from_lookup(env(&with(&[
            ("OUTBOUND_QUEUE_URL", "  "),
            ("EXPORT_STREAMS", "nope"),
        ])))
        .unwrap();
        assert!(s.events.is_none());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = Settings::from_lookup(env(&[
            ("BC_API_URL", "ftp://x"),
            ("EXTERNAL_ID_FIELD", "external id"),
            ("FIELD_MAPPING_FILE", "/nowhere/mapping.yaml"),
            ("OUTBOUND_QUEUE_URL", "https://sqs/out"),
            ("EXPORT_STREAMS", "orders,invoices"),
            ("EXPORT_PAGE_SIZE", "0"),
        ]))
        .unwrap_err();
        let vars: Vec<_> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            vars,
            [
                "BC_SECRET_ID",
                "BC_API_URL",
                "INBOUND_QUEUE_URL",
                "STATE_TABLE",
                "DEAD_LETTER_QUEUE_URL",
                "EXTERNAL_ID_FIELD",
                "FIELD_MAPPING_FILE",
                "EXPORT_STREAMS",
                "EXPORT_PAGE_SIZE"
            ]
        );
        let text = err.to_string();
        assert!(
            text.contains("FIELD_MAPPING_FILE: cannot be loaded: /nowhere/mapping.yaml"),
            "{text}"
        );
    }

    #[test]
    fn the_external_id_field_is_validated() {
        let problem = |value: &str| {
            Settings::from_lookup(env(&with(&[("EXTERNAL_ID_FIELD", value)])))
                .unwrap_err()
                .problems
        };
        for bad in ["", "  ", "a.b", "ext id", "ünïcode"] {
            let p = problem(bad);
            assert_eq!(p.len(), 1, "{bad:?}: {p:?}");
            assert_eq!(p[0].variable, "EXTERNAL_ID_FIELD", "{bad:?}");
        }
        assert!(problem(&"x".repeat(256))[0].reason.contains("255"));
        let max = "x".repeat(255);
        for ok in ["external_id", "ERP-Id_2", " erp_id ", &max] {
            let s = Settings::from_lookup(env(&with(&[("EXTERNAL_ID_FIELD", ok)]))).unwrap();
            assert_eq!(s.external_id_field, ok.trim());
        }
    }

    #[test]
    fn purchase_order_settings_default_and_are_validated() {
        let s = Settings::from_lookup(env(COMPLETE)).unwrap();
        assert_eq!(s.purchase_orders.identity_field, "procurement_id");
        assert_eq!(s.purchase_orders.status_id, 11);
        let s = Settings::from_lookup(env(&with(&[
            ("PROCUREMENT_IDENTITY_FIELD", "ariba_id"),
            ("ORDER_CREATE_STATUS_ID", "1"),
        ])))
        .unwrap();
        assert_eq!(s.purchase_orders.identity_field, "ariba_id");
        assert_eq!(s.purchase_orders.status_id, 1);
        let err = Settings::from_lookup(env(&with(&[
            ("PROCUREMENT_IDENTITY_FIELD", "ariba id"),
            ("ORDER_CREATE_STATUS_ID", "15"),
        ])))
        .unwrap_err();
        let vars: Vec<_> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            vars,
            ["PROCUREMENT_IDENTITY_FIELD", "ORDER_CREATE_STATUS_ID"]
        );
    }

    #[test]
    fn a_malformed_mapping_is_a_problem_of_its_variable() {
        let dir = std::env::temp_dir().join(format!("upsert-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("bad.yaml");
        std::fs::write(&file, "version: 2\nrules: []\n").unwrap();
        let path = file.display().to_string();
        let err = Settings::from_lookup(env(&with(&[("FIELD_MAPPING_FILE", &path)]))).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(err.problems.len(), 1, "{err}");
        assert_eq!(err.problems[0].variable, "FIELD_MAPPING_FILE");
        assert!(err.problems[0].reason.contains("version 2"), "{err}");
    }

    #[test]
    fn redrive_names_each_missing_queue() {
        let err = RedriveSettings::from_lookup(env(&[("INBOUND_QUEUE_URL", " ")])).unwrap_err();
        let vars: Vec<_> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(vars, ["DEAD_LETTER_QUEUE_URL", "INBOUND_QUEUE_URL"]);
        let s = RedriveSettings::from_lookup(env(&[
            ("DEAD_LETTER_QUEUE_URL", "https://sqs/dlq"),
            ("INBOUND_QUEUE_URL", "https://sqs/in"),
        ]))
        .unwrap();
        assert_eq!(s.dead_letter_queue_url, "https://sqs/dlq");
        assert_eq!(s.inbound_queue_url, "https://sqs/in");
        let err = RedriveSettings::from_lookup(env(&[
            ("DEAD_LETTER_QUEUE_URL", "https://sqs/q"),
            ("INBOUND_QUEUE_URL", "https://sqs/q"),
        ]))
        .unwrap_err();
        assert_eq!(err.problems[0].variable, "INBOUND_QUEUE_URL");
    }

    #[test]
    fn store_currencies_are_iso_codes() {
        let s = Settings::from_lookup(env(&with(&[("STORE_CURRENCIES", "USD, EUR")]))).unwrap();
        assert_eq!(*s.currencies, ["USD", "EUR"]);
        let e = Settings::from_lookup(env(&with(&[("STORE_CURRENCIES", "USD,euro")]))).unwrap_err();
        assert!(
            e.to_string().contains("`euro` is not an ISO 4217 code"),
            "{e}"
        );
        let none = Settings::from_lookup(env(&with(&[]))).unwrap();
        assert!(none.currencies.is_empty());
    }

    #[test]
    fn order_status_names_map_to_ids_or_labels() {
        let s = Settings::from_lookup(env(&with(&[(
            "ORDER_STATUS_MAP",
            "shipped=2, ON_HOLD = Awaiting Payment,,",
        )])))
        .unwrap();
        assert_eq!(s.order_statuses.get("SHIPPED"), Some(&2));
        assert_eq!(s.order_statuses.get("ON_HOLD"), Some(&7));
        for bad in ["SHIPPED", "X=15", "X=dispatched", "=2"] {
            let e = Settings::from_lookup(env(&with(&[("ORDER_STATUS_MAP", bad)]))).unwrap_err();
            assert!(e.to_string().contains("ORDER_STATUS_MAP"), "{bad}: {e}");
        }
    }
}
