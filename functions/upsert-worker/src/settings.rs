//! upsert-worker's one settings type (every environment variable the worker reads, validated at
//! cold start, the field mapping loaded, all problems reported together, each naming its
//! variable), and the redrive tool's.
//!
//! What the engine and the shared lookups read is here; each command family reads its own
//! variables ([`Family::load`], e.g. `ORDER_STATUS_MAP` in
//! `families::fulfillment`), gathered through the command registry into [`Settings::families`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use b2b_export::ExportSettings;
use b2b_shared::env::{check_queue_url, process_lookup, ConfigError, Env};
use b2b_shared::{Config, Need};

use crate::engine::context::DEFAULT_MIRROR_MAX_AGE;
use crate::engine::family::Family;
use crate::engine::registry::load_families;
use crate::engine::type_map::TypeMap;
use crate::mapping::Mapping;
use crate::mapping_source::{self, S3Object, FILE_VARIABLE, S3_VARIABLE};

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
    /// `FIELD_MAPPING_S3_URI`: the S3 object holding the mapping, when set (not with
    /// `FIELD_MAPPING_FILE`); read at cold start by [`Settings::load_mapping`].
    pub mapping_s3: Option<S3Object>,
    /// The mapping loaded from `mapping_file`, or from `mapping_s3` once
    /// [`Settings::load_mapping`] has read it.
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
    /// `STORE_CURRENCIES`: the store's currency codes, comma-separated (`USD,EUR`); an
    /// `invoice.*` or `order.create` in any other is refused. Empty (default): any code is sent.
    pub currencies: Arc<Vec<String>>,
    /// Each command family's settings, read by the family itself, by type.
    pub families: TypeMap,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(process_lookup)
    }

    /// Reads every setting through `lookup` and loads the mapping file, reporting every missing
    /// or malformed one at once.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Env::read_with(lookup, Self::read)
    }

    /// Family `F`'s settings.
    pub fn family<F: Family>(&self) -> Arc<F> {
        self.families.get::<F>()
    }

    /// Reads the settings through `env`; `None` when one is missing or malformed (recorded).
    fn read(env: &mut Env<'_>) -> Option<Self> {
        let config = Config::read(env, NEEDS);
        let external_id_field = env.extra_field(
            "EXTERNAL_ID_FIELD",
            "the external id",
            DEFAULT_EXTERNAL_ID_FIELD,
        );
        let mapping_file = env.get(FILE_VARIABLE).map(PathBuf::from);
        let mapping = match &mapping_file {
            None => Some(None),
            Some(path) => env
                .check(FILE_VARIABLE, load_mapping(path))
                .map(|m| Some(Arc::new(m))),
        };
        let mapping_s3 = mapping_s3(env, mapping_file.is_some());
        let events = event_export(env);
        let max_receives = env
            .bounded("MAX_RECEIVE_COUNT", 1, 1000)
            .map_or(DEFAULT_MAX_RECEIVES, |n| n as u32);
        let store_mirror = env.flag("STORE_MIRROR", true);
        let mirror_max_age = env
            .secs("MIRROR_MAX_AGE_SECS", 0, 3600)
            .unwrap_or(DEFAULT_MIRROR_MAX_AGE);
        let currencies = b2b_shared::config::store_currencies(env);
        let families = TypeMap::default();
        load_families(env, &families);
        Some(Settings {
            config: config?,
            external_id_field,
            mapping_file,
            mapping_s3: mapping_s3?,
            mapping: mapping?,
            events: events?,
            max_receives,
            store_mirror,
            mirror_max_age,
            currencies: Arc::new(currencies),
            families,
        })
    }

    /// Reads the mapping in S3 (`FIELD_MAPPING_S3_URI`), if one is named, with clients from
    /// `sdk`: once per cold start, before any event. A missing object, a refused read or an
    /// invalid mapping is the error that stops the cold start (naming the variable, the URI and
    /// the reason), never a worker without its mapping.
    pub async fn load_mapping(&mut self, sdk: &aws_config::SdkConfig) -> Result<(), ConfigError> {
        if let Some(object) = &self.mapping_s3 {
            self.mapping = Some(Arc::new(mapping_source::load_s3(sdk, object).await?));
        }
        Ok(())
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

/// The mapping at `path`, or why `FIELD_MAPPING_FILE` cannot be loaded.
fn load_mapping(path: &Path) -> Result<Mapping, String> {
    Mapping::load(path).map_err(|e| format!("cannot be loaded: {e}"))
}

/// `FIELD_MAPPING_S3_URI`, refused along with a mapping file (`file_set`); `None` when it has a
/// problem (recorded).
fn mapping_s3(env: &mut Env<'_>, file_set: bool) -> Option<Option<S3Object>> {
    let Some(uri) = env.get(S3_VARIABLE) else {
        return Some(None);
    };
    if file_set {
        env.problem(
            S3_VARIABLE,
            format!("is set along with {FILE_VARIABLE}: set one of them, not both"),
        );
        return None;
    }
    env.check(S3_VARIABLE, S3Object::parse(&uri)).map(Some)
}

/// `OUTBOUND_QUEUE_URL` and, only when it is set, the export's own variables; `None` when one
/// of them has a problem (recorded).
fn event_export(env: &mut Env<'_>) -> Option<Option<EventExportSettings>> {
    let Some(outbound_queue_url) = env.get("OUTBOUND_QUEUE_URL") else {
        return Some(None);
    };
    env.check("OUTBOUND_QUEUE_URL", check_queue_url(&outbound_queue_url))?;
    let export = env.take(ExportSettings::from_lookup(env.lookup()))?;
    Some(Some(EventExportSettings {
        outbound_queue_url,
        export,
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
        Self::from_lookup(process_lookup)
    }

    /// Reads both queue URLs through `lookup`, naming each one missing.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Env::read_with(lookup, |env| {
            let from = env.required("DEAD_LETTER_QUEUE_URL", "the queue to move messages from");
            let to = env.required("INBOUND_QUEUE_URL", "the queue to move messages to");
            let (from, to) = (from?, to?);
            if from == to {
                env.problem(
                    "INBOUND_QUEUE_URL",
                    "is the dead-letter queue itself; messages would go round in circles",
                );
                return None;
            }
            Some(Self {
                dead_letter_queue_url: from,
                inbound_queue_url: to,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::families::fulfillment::Fulfillment;
    use crate::families::purchase::PurchaseOrders;
    use b2b_shared::env::lookup_from as env;

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
        assert!(s.mapping.is_none() && s.mapping_file.is_none() && s.mapping_s3.is_none());
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
            ("EXTERNAL_ID_FIELD", "external:id"),
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
        for bad in ["", "  ", "erp:id", "erp,id", "erp\nid"] {
            let p = problem(bad);
            assert_eq!(p.len(), 1, "{bad:?}: {p:?}");
            assert_eq!(p[0].variable, "EXTERNAL_ID_FIELD", "{bad:?}");
        }
        assert!(problem(&"x".repeat(256))[0].reason.contains("255"));
        let max = "x".repeat(255);
        for ok in [
            "external_id",
            "ERP-Id_2",
            " erp_id ",
            &max,
            "Customer Tax Code",
            "a.b",
            "ünïcode",
        ] {
            let s = Settings::from_lookup(env(&with(&[("EXTERNAL_ID_FIELD", ok)]))).unwrap();
            assert_eq!(s.external_id_field, ok.trim());
        }
    }

    #[test]
    fn purchase_order_settings_default_and_are_validated() {
        let s = Settings::from_lookup(env(COMPLETE)).unwrap();
        assert_eq!(
            s.family::<PurchaseOrders>().identity_field,
            "procurement_id"
        );
        assert_eq!(s.family::<PurchaseOrders>().status_id, 11);
        let s = Settings::from_lookup(env(&with(&[
            ("PROCUREMENT_IDENTITY_FIELD", "ariba_id"),
            ("ORDER_CREATE_STATUS_ID", "1"),
        ])))
        .unwrap();
        assert_eq!(s.family::<PurchaseOrders>().identity_field, "ariba_id");
        assert_eq!(s.family::<PurchaseOrders>().status_id, 1);
        let s = Settings::from_lookup(env(&with(&[(
            "PROCUREMENT_IDENTITY_FIELD",
            "Ariba Network ID",
        )])))
        .unwrap();
        assert_eq!(
            s.family::<PurchaseOrders>().identity_field,
            "Ariba Network ID"
        );
        let err = Settings::from_lookup(env(&with(&[
            ("PROCUREMENT_IDENTITY_FIELD", "ariba:id"),
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
    fn a_mapping_in_s3_is_named_by_its_uri_and_read_later() {
        let s = Settings::from_lookup(env(&with(&[(
            "FIELD_MAPPING_S3_URI",
            " s3://erp-config.example/mappings/erp customers.yaml ",
        )])))
        .unwrap();
        let object = s.mapping_s3.clone().unwrap();
        assert_eq!(object.bucket, "erp-config.example");
        assert_eq!(object.key, "mappings/erp customers.yaml");
        assert_eq!(object.version_id, None);
        assert!(
            s.mapping.is_none(),
            "read at cold start, once the SDK is set up"
        );
        let pinned = Settings::from_lookup(env(&with(&[(
            "FIELD_MAPPING_S3_URI",
            "s3://erp-config/m.json?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
        )])))
        .unwrap()
        .mapping_s3
        .unwrap();
        assert_eq!(pinned.key, "m.json");
        assert_eq!(
            pinned.version_id.as_deref(),
            Some("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")
        );
        assert_eq!(
            pinned.to_string(),
            "s3://erp-config/m.json?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
        );
    }

    #[test]
    fn a_malformed_s3_uri_is_a_problem_of_its_variable() {
        for bad in [
            "https://erp-config.s3.amazonaws.com/m.yaml",
            "s3://erp-config",
            "s3://erp-config/",
            "s3://Erp_Config/m.yaml",
            "s3:///m.yaml",
            "s3://erp-config/m.yaml?version=1",
            "s3://erp-config/m.yaml?versionId=",
        ] {
            let e =
                Settings::from_lookup(env(&with(&[("FIELD_MAPPING_S3_URI", bad)]))).unwrap_err();
            assert_eq!(e.problems.len(), 1, "{bad}: {e}");
            assert_eq!(e.problems[0].variable, "FIELD_MAPPING_S3_URI", "{bad}");
            assert!(
                e.problems[0].reason.contains("s3://BUCKET/KEY"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn a_mapping_file_and_a_mapping_in_s3_at_once_are_refused() {
        let path = example_mapping();
        let e = Settings::from_lookup(env(&with(&[
            ("FIELD_MAPPING_FILE", &path),
            ("FIELD_MAPPING_S3_URI", "s3://erp-config/m.yaml"),
        ])))
        .unwrap_err();
        assert_eq!(e.problems.len(), 1, "{e}");
        assert_eq!(e.problems[0].variable, "FIELD_MAPPING_S3_URI");
        assert!(e.problems[0].reason.contains("FIELD_MAPPING_FILE"), "{e}");
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
        assert_eq!(s.family::<Fulfillment>().statuses.get("SHIPPED"), Some(&2));
        assert_eq!(s.family::<Fulfillment>().statuses.get("ON_HOLD"), Some(&7));
        for bad in ["SHIPPED", "X=15", "X=dispatched", "=2"] {
            let e = Settings::from_lookup(env(&with(&[("ORDER_STATUS_MAP", bad)]))).unwrap_err();
            assert!(e.to_string().contains("ORDER_STATUS_MAP"), "{bad}: {e}");
        }
    }
}
