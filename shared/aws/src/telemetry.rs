//! Logging and metrics: JSON log lines for CloudWatch (level from `RUST_LOG`, default `info`), and
//! CloudWatch Embedded Metric Format lines that CloudWatch turns into metrics without API calls.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};
use tracing_subscriber::EnvFilter;

/// The CloudWatch namespace of every metric we emit.
pub const METRIC_NAMESPACE: &str = "B2BEditionToolkit";

/// Installs the JSON log subscriber once; later calls do nothing.
pub fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_target(false)
        .without_time()
        .try_init();
}

/// A metric value and its CloudWatch unit (`Count`, `Milliseconds`, `Seconds`, `None`...).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metric<'a> {
    /// Name.
    pub name: &'a str,
    /// Value.
    pub value: f64,
    /// Unit.
    pub unit: &'a str,
}

/// Builds one Embedded Metric Format document: `metrics` under `dimensions`.
pub fn emf(dimensions: &[(&str, &str)], metrics: &[Metric<'_>]) -> Value {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let mut doc = Map::new();
    doc.insert(
        "_aws".into(),
        json!({
            "Timestamp": now_ms,
            "CloudWatchMetrics": [{
                "Namespace": METRIC_NAMESPACE,
                "Dimensions": [dimensions.iter().map(|(k, _)| *k).collect::<Vec<_>>()],
                "Metrics": metrics.iter().map(|m| json!({"Name": m.name, "Unit": m.unit})).collect::<Vec<_>>(),
            }],
        }),
    );
    for (k, v) in dimensions {
        doc.insert((*k).to_owned(), Value::from(*v));
    }
    for m in metrics {
        doc.insert(m.name.to_owned(), json!(m.value));
    }
    Value::Object(doc)
}

/// Prints one EMF document on stdout, where the Lambda runtime ships it to CloudWatch.
pub fn emit_metrics(dimensions: &[(&str, &str)], metrics: &[Metric<'_>]) {
    println!("{}", emf(dimensions, metrics));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_document_shape() {
        let doc = emf(
            &[("Function", "token-refresh"), ("Store", "abc123")],
            &[Metric {
                name: "TokenValid",
                value: 1.0,
                unit: "None",
            }],
        );
        assert_eq!(doc["TokenValid"], 1.0);
        assert_eq!(doc["Store"], "abc123");
        let cw = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(cw["Namespace"], METRIC_NAMESPACE);
        assert_eq!(cw["Dimensions"][0], json!(["Function", "Store"]));
        assert_eq!(
            cw["Metrics"][0],
            json!({"Name": "TokenValid", "Unit": "None"})
        );
    }
}
