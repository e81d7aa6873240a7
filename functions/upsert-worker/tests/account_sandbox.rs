//! The whole B2B account from the ERP, through the worker against the sandbox (contract strict:
//! a request the official spec refuses fails the test): account hierarchies linked parents
//! first, a child that arrives before its parent retried, moves between parents, cycles and
//! parents that never appear dead-lettered naming `company.parent_external_id`.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use b2b_shared::queue::MemoryQueue;
use b2b_shared::state::MemoryState;
use b2b_test_support as support;
use bc_sandbox::RunningSandbox;
use bigcommerce_b2b::ClientOptions;
use serde_json::{json, Value};
use upsert_worker::{Applier, Worker};

struct Rig {
    sandbox: RunningSandbox,
    worker: Worker,
    dlq: Arc<MemoryQueue>,
}

async fn rig() -> Rig {
    let sandbox = support::sandbox(support::unlimited().strict()).await;
    let client = support::client(&sandbox, ClientOptions::default());
    let dlq = Arc::new(MemoryQueue::default());
    let mut applier = Applier::new(
        client,
        Arc::new(MemoryState::default()),
        "external_id".into(),
    );
    // A delta read every batch: the tests change hierarchies between batches without webhooks.
    applier.mirror_max_age = std::time::Duration::ZERO;
    let worker = Worker {
        applier,
        mapping: None,
        dead_letters: dlq.clone(),
        visibility: None,
        events: None,
        concurrency: 4,
        max_receives: upsert_worker::DEFAULT_MAX_RECEIVES,
        stores: None,
    };
    Rig {
        sandbox,
        worker,
        dlq,
    }
}

/// A `company.upsert` of `ext`, under `parent` when given.
fn company(ext: &str, parent: Option<&str>) -> Value {
    let lower = ext.to_lowercase();
    let mut c = json!({"type": "company.upsert", "version": 1, "store_hash": support::STORE,
        "external_id": ext, "idempotency_key": support::unique("k"),
        "company": {"name": format!("Co {ext}"), "email": format!("ap@{lower}.example"),
        "phone": "555-0100", "country": "US",
        "admin": {"first_name": "A", "last_name": "B", "email": format!("admin@{lower}.example")}}});
    if let Some(p) = parent {
        c["company"]["parent_external_id"] = json!(p);
    }
    c
}

const POST_PARENT: &str = "POST /api/v3/io/companies/{companyId}/parent";
const DELETE_SUBSIDIARY: &str =
    "DELETE /api/v3/io/companies/{companyId}/subsidiaries/{childCompanyId}";

impl Rig {
    /// Handles `bodies` as one SQS batch received `receives` times; the ids of the records that
    /// failed (to retry).
    async fn handle_received(&self, bodies: &[Value], receives: u32) -> Vec<String> {
        let records: Vec<Value> = bodies
            .iter()
            .enumerate()
            .map(|(i, b)| {
                json!({"messageId": format!("m{i}"), "receiptHandle": "rh", "body": b.to_string(),
                "attributes": {"ApproximateReceiveCount": receives.to_string()}, "eventSource": "aws:sqs"})
            })
            .collect();
        let event: SqsEvent = serde_json::from_value(json!({ "Records": records })).unwrap();
        let resp = self.worker.handle(&event).await;
        resp.batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect()
    }

    async fn handle(&self, bodies: &[Value]) -> Vec<String> {
        self.handle_received(bodies, 1).await
    }

    /// The sandbox's company whose external id is `ext`.
    async fn company(&self, ext: &str) -> Value {
        let state = support::admin(&self.sandbox, "state").await;
        let found: Vec<Value> = support::all(&state, "companies")
            .into_iter()
            .filter(|c| {
                c["extraFields"].as_array().is_some_and(|f| {
                    f.iter()
                        .any(|f| f["fieldName"] == "external_id" && f["fieldValue"] == ext)
                })
            })
            .collect();
        assert_eq!(
            found.len(),
            1,
            "companies with external id {ext}: {found:?}"
        );
        found[0].clone()
    }

    /// The id of the parent of company `ext` (0 at the top).
    async fn parent_of(&self, ext: &str) -> i64 {
        self.company(ext).await["parentCompany"]["id"]
            .as_i64()
            .unwrap_or(0)
    }

    async fn id_of(&self, ext: &str) -> i64 {
        self.company(ext).await["companyId"].as_i64().unwrap()
    }

    /// Requests served for `route` (`POST /api/v3/io/companies/{companyId}/parent` ...).
    async fn requests(&self, route: &str) -> u64 {
        let stats = support::admin(&self.sandbox, "stats").await;
        stats["requests_by_route"][route].as_u64().unwrap_or(0)
    }

    fn assert_contract_kept(&self) {
        let violations = self.sandbox.contract_violations();
        assert!(violations.is_empty(), "{violations:?}");
    }
}

#[tokio::test]
async fn branches_sent_before_their_parent_wait_for_it_and_are_linked_once() {
    let rig = rig().await;
    // The branches come first in the batch: they wait (in the same invocation) for the parent.
    let batch = [
        company("B-1", Some("P")),
        company("B-2", Some("P")),
        company("P", None),
    ];
    let mut failed = rig.handle(&batch).await;
    for _ in 0..3 {
        if failed.is_empty() {
            break;
        }
        let again: Vec<Value> = batch
            .iter()
            .enumerate()
            .filter(|(i, _)| failed.contains(&format!("m{i}")))
            .map(|(_, b)| b.clone())
            .collect();
        failed = rig.handle(&again).await;
    }
    assert!(failed.is_empty(), "{:?}", rig.dlq.bodies());
    let parent = rig.id_of("P").await;
    assert_eq!(rig.parent_of("B-1").await, parent);
    assert_eq!(rig.parent_of("B-2").await, parent);
    assert_eq!(rig.parent_of("P").await, 0);
    assert_eq!(rig.requests(POST_PARENT).await, 2);

    // The ERP sends its customer master again: the links are there, nothing is written.
    let again = [
        company("B-1", Some("P")),
        company("B-2", Some("P")),
        company("P", None),
    ];
    assert!(rig.handle(&again).await.is_empty());
    assert_eq!(rig.requests(POST_PARENT).await, 2);
    assert!(rig.dlq.bodies().is_empty());
    rig.assert_contract_kept();
}

#[tokio::test]
async fn a_branch_moved_to_another_parent_leaves_the_old_one() {
    let rig = rig().await;
    assert!(rig
        .handle(&[company("P", None), company("Q", None)])
        .await
        .is_empty());
    assert!(rig.handle(&[company("B", Some("P"))]).await.is_empty());
    assert_eq!(rig.parent_of("B").await, rig.id_of("P").await);

    assert!(rig.handle(&[company("B", Some("Q"))]).await.is_empty());
    assert_eq!(rig.parent_of("B").await, rig.id_of("Q").await);
    assert_eq!(rig.requests(DELETE_SUBSIDIARY).await, 1);
    assert_eq!(rig.requests(POST_PARENT).await, 2);
    let p = rig.id_of("P").await;
    let subs = support::admin(&rig.sandbox, "state").await;
    let under_p = support::all(&subs, "companies")
        .into_iter()
        .filter(|c| c["parentCompany"]["id"] == p)
        .count();
    assert_eq!(under_p, 0, "P keeps no subsidiary");
    rig.assert_contract_kept();
}

#[tokio::test]
async fn a_cycle_is_a_dead_letter_naming_the_field_and_changes_nothing() {
    let rig = rig().await;
    assert!(rig.handle(&[company("P", None)]).await.is_empty());
    assert!(rig.handle(&[company("B", Some("P"))]).await.is_empty());
    assert!(rig.handle(&[company("C", Some("B"))]).await.is_empty());

    // P under its own grandchild, and a company under itself.
    assert!(rig
        .handle(&[company("P", Some("C")), company("B", Some("B"))])
        .await
        .is_empty());
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 2, "{dead:?}");
    for d in &dead {
        let reason = d["error"].as_str().unwrap();
        assert!(reason.contains("company.parent_external_id"), "{reason}");
        assert!(reason.contains("loop"), "{reason}");
    }
    assert_eq!(rig.parent_of("P").await, 0);
    assert_eq!(rig.parent_of("B").await, rig.id_of("P").await);
    assert_eq!(rig.parent_of("C").await, rig.id_of("B").await);
    assert_eq!(rig.requests(POST_PARENT).await, 2);
    rig.assert_contract_kept();
}

#[tokio::test]
async fn a_parent_that_never_appears_is_retried_then_dead_lettered_naming_the_field() {
    let rig = rig().await;
    let child = company("B", Some("NOWHERE"));
    assert_eq!(rig.handle(std::slice::from_ref(&child)).await, ["m0"]);
    assert!(rig.dlq.bodies().is_empty(), "retried, not failed");

    let last = upsert_worker::DEFAULT_MAX_RECEIVES;
    assert!(rig.handle_received(&[child], last).await.is_empty());
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let reason = dead[0]["error"].as_str().unwrap();
    assert!(reason.contains("company.parent_external_id"), "{reason}");
    assert!(reason.contains("NOWHERE"), "{reason}");
    // The company itself was upserted; only the link is missing.
    assert_eq!(rig.parent_of("B").await, 0);
    rig.assert_contract_kept();
}
