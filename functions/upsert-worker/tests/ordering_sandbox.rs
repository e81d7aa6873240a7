//! Source versions through the worker against the sandbox: on a standard queue an older update
//! of an entity that arrives after a newer one is skipped as `stale` (logged, counted in the
//! `Commands` metric, never dead-lettered), a batch holding several versions of one entity
//! applies only the newest (held-back bulk creates included), and a command without a version
//! is applied as it always was.

mod common;

use std::sync::Arc;

use b2b_shared::queue::MemoryQueue;
use b2b_shared::telemetry::{capture_metrics, metric_values};
use bc_sandbox::RunningSandbox;
use serde_json::{json, Value};
use upsert_worker::Worker;

struct Rig {
    sandbox: RunningSandbox,
    worker: Worker,
    dlq: Arc<MemoryQueue>,
}

async fn rig() -> Rig {
    let (sandbox, worker, dlq, _) = common::sandbox_worker().await;
    Rig {
        sandbox,
        worker,
        dlq,
    }
}

/// A `company.upsert` of `ext` named `name`, at `version` (none when `None`).
fn company(ext: &str, name: &str, version: Option<u64>) -> Value {
    let mut v = json!({"type":"company.upsert","version":1,"store_hash":"abc123","external_id":ext,
        "company":{"name":name,"email":format!("ap@{}.example", ext.to_lowercase()),"phone":"555-0100",
        "country":"US","admin":{"first_name":"Ada","last_name":"Admin",
        "email":format!("admin@{}.example", ext.to_lowercase())},"status":"approved"}});
    if let Some(n) = version {
        v["source_version"] = json!(n);
    }
    v
}

/// The `Commands` counts a batch emitted, as (kind, outcome, count).
fn commands(docs: &[Value]) -> Vec<(String, String, f64)> {
    metric_values(docs, "Commands")
        .into_iter()
        .map(|(n, d)| {
            let text = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
            (text("Kind"), text("Outcome"), n)
        })
        .collect()
}

impl Rig {
    /// Handles `bodies` as one batch: the records to retry, and the `Commands` counts.
    async fn handle(&self, bodies: &[Value]) -> (Vec<String>, Vec<(String, String, f64)>) {
        let (failed, docs) =
            capture_metrics(common::handle_received(&self.worker, bodies, 1)).await;
        (failed, commands(&docs))
    }

    async fn names_of(&self, ext: &str) -> Vec<String> {
        common::company_names(&self.sandbox, ext).await
    }

    async fn writes(&self) -> u64 {
        common::sandbox_writes(&self.sandbox).await
    }
}

fn stale(kind: &str, n: f64) -> (String, String, f64) {
    (kind.to_owned(), "stale".to_owned(), n)
}

#[tokio::test]
async fn an_older_update_after_a_newer_one_is_stale_and_the_newer_name_stays() {
    let rig = rig().await;
    let (failed, _) = rig.handle(&[company("C-V1", "Newer Name", Some(2))]).await;
    assert!(failed.is_empty());
    assert_eq!(rig.names_of("C-V1").await, ["Newer Name"]);

    let writes = rig.writes().await;
    let (failed, counts) = rig.handle(&[company("C-V1", "Older Name", Some(1))]).await;
    assert!(failed.is_empty(), "a stale command is not retried");
    assert_eq!(rig.names_of("C-V1").await, ["Newer Name"]);
    assert_eq!(rig.writes().await, writes, "a stale command writes nothing");
    assert_eq!(counts, [stale("company.upsert", 1.0)]);
    assert!(rig.dlq.bodies().is_empty(), "nor is it dead-lettered");

    // Its redelivery is a replay; an equal version is applied; a newer one too.
    let (_, counts) = rig.handle(&[company("C-V1", "Older Name", Some(1))]).await;
    assert_eq!(counts[0].1, "replayed");
    rig.handle(&[company("C-V1", "Same Version", Some(2))])
        .await;
    assert_eq!(rig.names_of("C-V1").await, ["Same Version"]);
    rig.handle(&[company("C-V1", "Newest Name", Some(3))]).await;
    assert_eq!(rig.names_of("C-V1").await, ["Newest Name"]);
}

#[tokio::test]
async fn times_compare_as_instants_and_commands_without_a_version_apply_as_before() {
    let rig = rig().await;
    let at = |name: &str, t: &str| {
        let mut v = company("C-V2", name, None);
        v["source_updated_at"] = json!(t);
        v
    };
    rig.handle(&[at("At Nine UTC", "2026-11-10T09:00:00Z")])
        .await;
    // 10:00 at +02:00 is 08:00 UTC: older, whatever its digits say.
    let (_, counts) = rig
        .handle(&[at("At Eight UTC", "2026-11-10T10:00:00+02:00")])
        .await;
    assert_eq!(counts, [stale("company.upsert", 1.0)]);
    assert_eq!(rig.names_of("C-V2").await, ["At Nine UTC"]);
    // Without a version: applied, as today.
    rig.handle(&[company("C-V2", "Unversioned", None)]).await;
    assert_eq!(rig.names_of("C-V2").await, ["Unversioned"]);
}

#[tokio::test]
async fn a_batch_with_two_versions_of_one_company_applies_only_the_newest() {
    let rig = rig().await;
    // The older first in the batch; the company does not exist yet (its create is held back
    // for a bulk request).
    let (failed, counts) = rig
        .handle(&[
            company("C-V3", "Old In Batch", Some(7)),
            company("C-V4", "Another Company", Some(1)),
            company("C-V3", "New In Batch", Some(9)),
            company("C-V3", "Middle In Batch", Some(8)),
        ])
        .await;
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(rig.names_of("C-V3").await, ["New In Batch"]);
    assert_eq!(rig.names_of("C-V4").await, ["Another Company"]);
    let mut counts = counts;
    counts.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        counts,
        [
            ("company.upsert".to_owned(), "created".to_owned(), 2.0),
            stale("company.upsert", 2.0)
        ]
    );
    assert!(rig.dlq.bodies().is_empty());
}
