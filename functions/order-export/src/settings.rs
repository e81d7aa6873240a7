//! order-export's one settings type (every environment variable it reads, validated at cold
//! start, all problems reported together) and its schedule input.

use b2b_export::{ExportSettings, StreamKind};
use b2b_shared::env::{check_queue_url, process_lookup, ConfigError, Env};
use b2b_shared::{Config, Need};
use serde::Deserialize;

/// What the function needs of the common configuration.
pub const NEEDS: &[Need] = &[Need::OutboundQueue, Need::StateTable];

/// Where the NDJSON archive goes, when `EXPORT_BUCKET` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveSettings {
    /// `EXPORT_BUCKET`: an S3 bucket name.
    pub bucket: String,
    /// `EXPORT_PREFIX`: key prefix (default `exports/`).
    pub prefix: String,
}

/// Everything order-export reads from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The store secret, API URLs, the outbound queue and the state table.
    pub config: Config,
    /// How the export runs (`EXPORT_STREAMS`, `EXPORT_OVERLAP_SECONDS`, ...).
    pub export: ExportSettings,
    /// The optional S3 archive.
    pub archive: Option<ArchiveSettings>,
    /// `EXPORT_JOBS_QUEUE_URL` (required serving many stores, a FIFO queue): the schedule puts
    /// one export job per store on it, and this function runs them (see [`crate::jobs`]).
    pub jobs_queue_url: Option<String>,
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
        let export = ExportSettings::read(env);
        let archive = archive_settings(env);
        let many = config
            .as_ref()
            .is_some_and(|c| c.stores.single_secret_id().is_none());
        let jobs_queue_url = jobs_queue(env, many);
        Some(Settings {
            config: config?,
            export,
            archive,
            jobs_queue_url,
        })
    }

    /// Whether the outbound queue is FIFO (its URL ends in `.fifo`).
    pub fn fifo(&self) -> bool {
        self.outbound_queue_url().ends_with(".fifo")
    }

    /// `OUTBOUND_QUEUE_URL` (required, so present once the settings are read).
    pub fn outbound_queue_url(&self) -> &str {
        self.config
            .outbound_queue_url
            .as_deref()
            .unwrap_or_default()
    }

    /// `STATE_TABLE` (required, so present once the settings are read).
    pub fn state_table(&self) -> &str {
        self.config.state_table.as_deref().unwrap_or_default()
    }
}

/// `EXPORT_JOBS_QUEUE_URL`: a FIFO queue (one job in flight per store), required with `many`
/// stores.
fn jobs_queue(env: &mut Env<'_>, many: bool) -> Option<String> {
    let variable = "EXPORT_JOBS_QUEUE_URL";
    let Some(url) = env.get(variable) else {
        if many {
            env.problem(
                variable,
                "is not set, and serving many stores the schedule puts one export job per store on it",
            );
        }
        return None;
    };
    let fifo = check_queue_url(&url).and_then(|()| {
        if url.ends_with(".fifo") {
            Ok(url)
        } else {
            Err(format!(
                "`{url}` is not a FIFO queue: one export per store at a time needs its message groups"
            ))
        }
    });
    env.check(variable, fifo)
}

/// `EXPORT_BUCKET` (S3's bucket naming rules) and `EXPORT_PREFIX`; `None` when no bucket is set,
/// or with the problem recorded.
fn archive_settings(env: &mut Env<'_>) -> Option<ArchiveSettings> {
    let bucket = env.get("EXPORT_BUCKET")?;
    let valid = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !valid {
        env.problem(
            "EXPORT_BUCKET",
            format!(
                "`{bucket}` is not an S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens)"
            ),
        );
        return None;
    }
    let prefix = env
        .raw("EXPORT_PREFIX")
        .unwrap_or_else(|| "exports/".into());
    if prefix.starts_with('/') || prefix.len() > 512 {
        env.problem(
            "EXPORT_PREFIX",
            "must not start with `/` and must be at most 512 characters",
        );
        return None;
    }
    Some(ArchiveSettings { bucket, prefix })
}

/// The schedule input: EventBridge Scheduler sends only its `Input` (`{}` or
/// `{"streams": ["orders"]}`); a classic scheduled rule sends its event envelope. Both are accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ScheduleInput {
    /// Only these streams this time.
    #[serde(default)]
    pub streams: Option<Vec<StreamKind>>,
}

impl ScheduleInput {
    /// Parses any scheduled input; an EventBridge envelope or `{}` means "all configured streams".
    pub fn parse(v: &serde_json::Value) -> Result<Self, String> {
        if v.get("detail-type").is_some() || v.is_null() {
            return Ok(Self::default());
        }
        serde_json::from_value(v.clone()).map_err(|e| format!("schedule input: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use b2b_shared::env::lookup_from as env;
    use serde_json::json;

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = Settings::from_lookup(env(&[
            ("EXPORT_STREAMS", "orders,invoices"),
            ("EXPORT_BUCKET", "Not_A_Bucket"),
        ]))
        .unwrap_err();
        let vars: Vec<&str> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            vars,
            [
                "BC_SECRET_ID",
                "OUTBOUND_QUEUE_URL",
                "STATE_TABLE",
                "EXPORT_STREAMS",
                "EXPORT_BUCKET"
            ]
        );
    }

    #[test]
    fn many_stores_need_a_fifo_jobs_queue() {
        let base = [
            ("STORES", "a1,b2"),
            ("OUTBOUND_QUEUE_URL", "https://sqs/out"),
            ("STATE_TABLE", "state"),
        ];
        let problem = |extra: &[(&'static str, &'static str)]| {
            let pairs: Vec<_> = base.iter().chain(extra).copied().collect();
            Settings::from_lookup(env(&pairs)).map(|s| s.jobs_queue_url)
        };
        let e = problem(&[]).unwrap_err();
        assert_eq!(e.problems[0].variable, "EXPORT_JOBS_QUEUE_URL");
        let e = problem(&[("EXPORT_JOBS_QUEUE_URL", "https://sqs/jobs")]).unwrap_err();
        assert!(e.problems[0].reason.contains("FIFO"), "{e}");
        let ok = problem(&[("EXPORT_JOBS_QUEUE_URL", "https://sqs/jobs.fifo")]).unwrap();
        assert_eq!(ok.as_deref(), Some("https://sqs/jobs.fifo"));
    }

    #[test]
    fn a_complete_environment_reads() {
        let s = Settings::from_lookup(env(&[
            ("BC_SECRET_ID", "bc/store"),
            ("OUTBOUND_QUEUE_URL", "https://sqs/q.fifo"),
            ("STATE_TABLE", "state"),
            ("EXPORT_BUCKET", "my-exports"),
        ]))
        .unwrap();
        assert!(s.fifo());
        assert_eq!(s.state_table(), "state");
        assert_eq!(
            s.archive,
            Some(ArchiveSettings {
                bucket: "my-exports".into(),
                prefix: "exports/".into()
            })
        );
        let err = Settings::from_lookup(env(&[
            ("BC_SECRET_ID", "bc/store"),
            ("OUTBOUND_QUEUE_URL", "q"),
            ("STATE_TABLE", "a table"),
            ("EXPORT_BUCKET", "ok-bucket"),
            ("EXPORT_PREFIX", "/abs"),
        ]))
        .unwrap_err();
        let vars: Vec<&str> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(vars, ["OUTBOUND_QUEUE_URL", "STATE_TABLE", "EXPORT_PREFIX"]);
        assert!(
            err.problems[0].reason.contains("is not a queue URL"),
            "{err}"
        );
    }

    #[test]
    fn schedule_inputs() {
        assert_eq!(
            ScheduleInput::parse(&json!({})).unwrap(),
            ScheduleInput::default()
        );
        assert_eq!(
            ScheduleInput::parse(&json!({"detail-type": "Scheduled Event", "detail": {}})).unwrap(),
            ScheduleInput::default()
        );
        assert_eq!(
            ScheduleInput::parse(&json!({"streams": ["quotes"]}))
                .unwrap()
                .streams,
            Some(vec![StreamKind::Quotes])
        );
        assert!(ScheduleInput::parse(&json!({"streams": ["nope"]})).is_err());
    }
}

#[cfg(test)]
mod fixture_tests {
    use super::*;

    #[test]
    fn console_fixtures_parse() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/events");
        let expect = [
            ("scheduler-all-streams.json", None),
            ("scheduler-orders-only.json", Some(vec![StreamKind::Orders])),
            ("eventbridge-scheduled-event.json", None),
        ];
        let count = expect.len();
        for (name, streams) in expect {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(format!("{dir}/{name}")).unwrap())
                    .unwrap();
            assert_eq!(ScheduleInput::parse(&v).unwrap().streams, streams, "{name}");
        }
        assert_eq!(
            std::fs::read_dir(dir).unwrap().count(),
            count,
            "every fixture is checked"
        );
    }
}
