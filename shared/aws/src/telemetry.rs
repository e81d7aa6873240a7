//! Logging and metrics: JSON log lines for CloudWatch (level from `RUST_LOG`, default `info`), and
//! CloudWatch Embedded Metric Format lines that CloudWatch turns into metrics without API calls.

use std::cell::RefCell;
use std::future::Future;
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
    let all: Vec<&str> = dimensions.iter().map(|(k, _)| *k).collect();
    emf_sets(dimensions, &[&all], metrics)
}

/// Like [`emf`], with the metrics under each of `sets` (lists of dimension names from
/// `dimensions`): one document, several series, so an alarm can watch a roll-up (every store)
/// while a dashboard shows each store.
pub fn emf_sets(dimensions: &[(&str, &str)], sets: &[&[&str]], metrics: &[Metric<'_>]) -> Value {
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
                "Dimensions": sets,
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

tokio::task_local! {
    static CAPTURED: RefCell<Vec<Value>>;
}

/// Prints one EMF document on stdout, where the Lambda runtime ships it to CloudWatch (and hands
/// it to [`capture_metrics`] when the caller runs under one).
pub fn emit_metrics(dimensions: &[(&str, &str)], metrics: &[Metric<'_>]) {
    let all: Vec<&str> = dimensions.iter().map(|(k, _)| *k).collect();
    emit_metrics_in_sets(dimensions, &[&all], metrics);
}

/// Prints one EMF document with `metrics` under each dimension set of `sets` (see [`emf_sets`]).
pub fn emit_metrics_in_sets(dimensions: &[(&str, &str)], sets: &[&[&str]], metrics: &[Metric<'_>]) {
    let doc = emf_sets(dimensions, sets, metrics);
    println!("{doc}");
    let _ = CAPTURED.try_with(|c| c.borrow_mut().push(doc));
}

/// Runs `work` and returns, with its output, every EMF document it emitted (in its own task:
/// parallel tests do not see each other's). The values a function emits are behaviour; this is
/// how tests read them.
pub async fn capture_metrics<F: Future>(work: F) -> (F::Output, Vec<Value>) {
    CAPTURED
        .scope(RefCell::new(Vec::new()), async {
            let out = work.await;
            (out, CAPTURED.with(|c| c.take()))
        })
        .await
}

/// The values of metric `name` in `docs`, each with its document (for its dimensions).
pub fn metric_values<'a>(docs: &'a [Value], name: &str) -> Vec<(f64, &'a Value)> {
    docs.iter()
        .filter_map(|d| d.get(name).and_then(Value::as_f64).map(|v| (v, d)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn captured_metrics_are_those_of_the_task_only() {
        let one = Metric {
            name: "Things",
            value: 1.0,
            unit: "Count",
        };
        let ((), docs) = capture_metrics(async {
            emit_metrics(&[("Function", "a")], &[one]);
            emit_metrics(&[("Function", "a")], &[Metric { value: 2.0, ..one }]);
        })
        .await;
        let values: Vec<f64> = metric_values(&docs, "Things").iter().map(|v| v.0).collect();
        assert_eq!(values, [1.0, 2.0]);
        emit_metrics(&[("Function", "a")], &[one]); // outside a capture: printed only
    }

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
