//! What reaches the inbound queue, through the worker against the sandbox: an idempotency key
//! bound to its command's content (a reused key with other content is refused, never skipped),
//! the worker's own dead letters sent back as they are (the SQS console's redrive), arrays of
//! commands (each processed or refused on its own), and the trace id that follows a command
//! into its dead letter and the batch's metrics.

mod common;

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use b2b_commands::Command;
use b2b_shared::queue::MemoryQueue;
use b2b_shared::state::{DedupeStore, MemoryState};
use b2b_test_support as support;
use bc_sandbox::RunningSandbox;
use serde_json::{json, Value};
use upsert_worker::Worker;

struct Rig {
    sandbox: RunningSandbox,
    worker: Worker,
    dlq: Arc<MemoryQueue>,
    state: Arc<MemoryState>,
}

async fn rig() -> Rig {
    let (sandbox, worker, dlq, state) = common::sandbox_worker().await;
    Rig {
        sandbox,
        worker,
        dlq,
        state,
    }
}

/// An SQS record with `body` (as it is), received `receives` times.
fn record(id: &str, body: &str, receives: u32) -> Value {
    json!({"messageId": id, "receiptHandle": format!("rh-{id}"), "body": body,
        "attributes": {"ApproximateReceiveCount": receives.to_string()}, "eventSource": "aws:sqs"})
}

fn company(ext: &str, name: &str) -> Value {
    json!({"type":"company.upsert","version":1,"store_hash":"abc123","external_id":ext,
        "company":{"name":name,"email":format!("ap@{}.example", ext.to_lowercase()),"phone":"555-0100",
        "country":"US","admin":{"first_name":"Ada","last_name":"Admin",
        "email":format!("admin@{}.example", ext.to_lowercase())},"status":"approved"}})
}

fn buyer(ext: &str, company: &str, email: &str) -> Value {
    json!({"type":"user.upsert","version":1,"store_hash":"abc123","external_id":ext,"company_external_id":company,
        "user":{"first_name":"Grace","last_name":"Buyer","email":email,"role":"senior_buyer"}})
}

fn with(mut v: Value, field: &str, value: &str) -> Value {
    v[field] = json!(value);
    v
}

impl Rig {
    /// Handles `records` as one SQS batch; the ids of the records that failed (to retry).
    async fn handle(&self, records: &[Value]) -> Vec<String> {
        common::handle_records(&self.worker, records).await
    }

    /// The one dead letter so far, which must name `text` in its reason.
    fn only_dead_letter_says(&self, text: &str) -> Value {
        let dead = self.dlq.bodies();
        assert_eq!(dead.len(), 1, "{dead:#?}");
        let error = dead[0]["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(text),
            "the reason should say `{text}`: {error}"
        );
        dead[0].clone()
    }

    /// The store's companies whose external id is `ext`, by name.
    async fn names_of(&self, ext: &str) -> Vec<String> {
        common::company_names(&self.sandbox, ext).await
    }

    async fn buyers_with(&self, email: &str) -> usize {
        let state = support::admin(&self.sandbox, "state").await;
        support::all(&state, "users")
            .into_iter()
            .filter(|u| u["email"] == email)
            .count()
    }

    async fn writes(&self) -> u64 {
        common::sandbox_writes(&self.sandbox).await
    }
}

#[tokio::test]
async fn a_reused_idempotency_key_with_other_content_is_dead_lettered_naming_it() {
    let rig = rig().await;
    let first = with(company("K-1", "Keyed One"), "idempotency_key", "erp-line-1");
    let other = with(company("K-2", "Keyed Two"), "idempotency_key", "erp-line-1");
    assert!(rig
        .handle(&[record("a", &first.to_string(), 1)])
        .await
        .is_empty());
    assert_eq!(rig.names_of("K-1").await, ["Keyed One"]);

    // The same key with other content: refused, loudly, not skipped.
    assert!(rig
        .handle(&[record("b", &other.to_string(), 1)])
        .await
        .is_empty());
    assert!(
        rig.names_of("K-2").await.is_empty(),
        "the reused key applied nothing"
    );
    let dead = rig.only_dead_letter_says("`idempotency_key` `erp-line-1`");
    assert_eq!(dead["original"], other.to_string());

    // An identical replay of the first is still skipped, without a write.
    let writes = rig.writes().await;
    assert!(rig
        .handle(&[record("c", &first.to_string(), 1)])
        .await
        .is_empty());
    assert_eq!(rig.writes().await, writes, "a replay must not write");
    assert_eq!(rig.dlq.bodies().len(), 1, "a replay is not refused");
}

#[tokio::test]
async fn a_key_whose_command_died_before_its_done_marker_still_refuses_other_content() {
    let rig = rig().await;
    let first = with(company("K-3", "Before"), "idempotency_key", "erp-line-3");
    assert!(rig
        .handle(&[record("a", &first.to_string(), 1)])
        .await
        .is_empty());
    // The worker was killed after its write to BigCommerce, before the done marker.
    let done = format!(
        "done#{}",
        Command::from_value(first.clone()).unwrap().dedupe_key()
    );
    assert!(rig.state.is_claimed(&done).await.unwrap());
    rig.state.release(&done).await.unwrap();

    // Other content under the key: refused; the company keeps what the key first said.
    let changed = with(company("K-3", "After"), "idempotency_key", "erp-line-3");
    assert!(rig
        .handle(&[record("b", &changed.to_string(), 1)])
        .await
        .is_empty());
    assert_eq!(rig.names_of("K-3").await, ["Before"]);
    rig.only_dead_letter_says("`idempotency_key` `erp-line-3`");

    // The first command's redelivery is applied (it finds everything done) and marked done.
    assert!(rig
        .handle(&[record("a", &first.to_string(), 2)])
        .await
        .is_empty());
    assert_eq!(
        rig.dlq.bodies().len(),
        1,
        "its own redelivery is not refused"
    );
    assert!(rig.state.is_claimed(&done).await.unwrap());
}

#[tokio::test]
async fn a_dead_letter_sent_back_as_it_is_applies_its_original_once() {
    let rig = rig().await;
    // A buyer whose company never came: dead-lettered on its last receive.
    let body = buyer("U-R1", "C-LATE", "late@redrive.example").to_string();
    let last = rig.worker.max_receives;
    assert!(rig.handle(&[record("u", &body, last)]).await.is_empty());
    let wrapper = rig.dlq.sent.lock().unwrap()[0].body.clone();

    // The company is sent; then the dead letter comes back as the console's redrive sends it.
    assert!(rig
        .handle(&[record("c", &company("C-LATE", "Late Co").to_string(), 1)])
        .await
        .is_empty());
    assert!(rig.handle(&[record("r1", &wrapper, 1)]).await.is_empty());
    assert_eq!(rig.buyers_with("late@redrive.example").await, 1);
    // Redriven twice (two copies of a dead letter): applied once.
    let writes = rig.writes().await;
    assert!(rig.handle(&[record("r2", &wrapper, 1)]).await.is_empty());
    assert_eq!(rig.writes().await, writes);
    assert_eq!(rig.buyers_with("late@redrive.example").await, 1);
    assert_eq!(rig.dlq.bodies().len(), 1, "nothing new dead-lettered");
}

#[tokio::test]
async fn a_redriven_dead_letter_refused_again_is_dead_lettered_with_the_new_reason_not_nested() {
    let rig = rig().await;
    let mut poison = company("C-P", "Poison");
    poison["company"]["email"] = json!("not-an-email");
    let body = poison.to_string();
    assert!(rig.handle(&[record("p", &body, 1)]).await.is_empty());
    let wrapper = rig.dlq.sent.lock().unwrap()[0].body.clone();
    assert!(rig.handle(&[record("p2", &wrapper, 1)]).await.is_empty());
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 2, "{dead:#?}");
    assert_eq!(dead[1]["kind"], "company.upsert");
    assert_eq!(dead[1]["message_id"], "p2");
    assert!(
        dead[1]["error"]
            .as_str()
            .unwrap()
            .contains("`company.email` is not an email address"),
        "{}",
        dead[1]
    );
    assert_eq!(
        dead[1]["original"], body,
        "the original command, never the wrapper"
    );
}

#[tokio::test]
async fn a_partly_applied_dead_letter_redriven_applies_its_remainder() {
    let rig = rig().await;
    // What a partly applied `inventory.set` leaves once its catalog is fixed: the refused
    // item only, as the dead letter's original.
    let remainder = json!({"type": "inventory.set", "version": 1, "store_hash": "abc123",
        "external_id": "SNAP-R", "items": [{"variant_id": 2, "location_id": 1, "quantity": 12}]});
    let wrapper = json!({"error": "1 of 2 items refused (1 applied): ...", "kind": "inventory.set",
        "message_id": "m-old", "failed_at": 1_764_160_000, "receive_count": "1",
        "original": remainder.to_string(), "partly_applied": true});
    assert!(rig
        .handle(&[record("r", &wrapper.to_string(), 1)])
        .await
        .is_empty());
    assert!(rig.dlq.bodies().is_empty(), "{:#?}", rig.dlq.bodies());
    let state = support::admin(&rig.sandbox, "state").await;
    assert_eq!(state["inventory"]["1:0000000002"], 12);
}

#[tokio::test]
async fn an_array_message_processes_or_refuses_each_command_on_its_own() {
    let rig = rig().await;
    let mut bad = company("C-A9", "Bad");
    bad["company"]["email"] = json!("nope");
    let items = json!([
        company("C-A1", "Array One"),
        bad,
        buyer("U-A1", "C-A1", "one@array.example"),
        42
    ]);
    assert!(rig
        .handle(&[record("arr", &items.to_string(), 1)])
        .await
        .is_empty());
    assert_eq!(rig.names_of("C-A1").await, ["Array One"]);
    assert_eq!(rig.buyers_with("one@array.example").await, 1);
    let mut dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 2, "{dead:#?}");
    // The items run side by side (as separate messages would): their dead letters in any order.
    dead.sort_by_key(|d| d["index"].as_u64());
    for (d, index) in dead.iter().zip([1, 3]) {
        assert_eq!(d["message_id"], "arr");
        assert_eq!(d["index"], index, "{d}");
        assert_eq!(
            d["original"],
            items[index].to_string(),
            "each refused item is dead-lettered with its own body"
        );
    }
    assert!(dead[0]["error"]
        .as_str()
        .unwrap()
        .contains("`company.email` is not an email address"));

    // An empty array holds no command: refused, with its body.
    assert!(rig.handle(&[record("e", "[]", 1)]).await.is_empty());
    assert_eq!(rig.dlq.bodies()[2]["original"], "[]");
}

#[tokio::test]
async fn an_array_with_a_retried_item_comes_back_once_without_dead_lettering_twice() {
    let rig = rig().await;
    let mut bad = company("C-B9", "Bad");
    bad["company"]["email"] = json!("nope");
    let items = json!([
        company("C-B1", "Retry One"),
        buyer("U-B2", "C-NOT-YET", "two@array.example"),
        bad,
        buyer("U-B3", "C-NOT-YET", "three@array.example"),
    ])
    .to_string();
    assert_eq!(
        rig.handle(&[record("arr", &items, 1)]).await,
        ["arr"],
        "the message is retried once, for its waiting buyers"
    );
    assert_eq!(rig.names_of("C-B1").await, ["Retry One"]);
    assert_eq!(rig.dlq.bodies().len(), 1);

    // The company they wait for arrives; the message comes back.
    assert!(rig
        .handle(&[record("c", &company("C-NOT-YET", "Late").to_string(), 1)])
        .await
        .is_empty());
    assert!(rig.handle(&[record("arr", &items, 2)]).await.is_empty());
    assert_eq!(rig.buyers_with("two@array.example").await, 1);
    assert_eq!(rig.buyers_with("three@array.example").await, 1);
    assert_eq!(rig.names_of("C-B1").await, ["Retry One"]);
    assert_eq!(
        rig.dlq.bodies().len(),
        1,
        "the refused item is not dead-lettered again: {:#?}",
        rig.dlq.bodies()
    );
}

#[tokio::test]
async fn the_trace_id_follows_a_command_into_its_dead_letter_and_metrics_not_their_dimensions() {
    let rig = rig().await;
    let mut poison = company("C-T", "Traced");
    poison["company"]["email"] = json!("not-an-email");
    poison["trace_id"] = json!("req-7f3a-0");
    let ok = with(company("C-T2", "Traced Two"), "trace_id", "req-7f3a-1");
    let event: SqsEvent = serde_json::from_value(json!({"Records": [
        record("t1", &poison.to_string(), 1),
        record("t2", &ok.to_string(), 1),
    ]}))
    .unwrap();
    let (resp, docs) = b2b_shared::telemetry::capture_metrics(rig.worker.handle(&event)).await;
    assert!(resp.batch_item_failures.is_empty());
    assert_eq!(rig.names_of("C-T2").await, ["Traced Two"]);
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert_eq!(dead[0]["trace_id"], "req-7f3a-0");

    let parked: Vec<&Value> = docs
        .iter()
        .filter(|d| d["Outcome"] == "dead_lettered")
        .collect();
    assert_eq!(parked.len(), 1, "{docs:#?}");
    assert_eq!(parked[0]["TraceIds"], "req-7f3a-0");
    for doc in &docs {
        let dimensions = doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"].to_string();
        assert!(
            !dimensions.contains("Trace"),
            "a trace id is never a metric dimension: {doc}"
        );
    }
}
