//! upsert-worker end to end against the BigCommerce sandbox: a mixed batch with a poison message,
//! its replay causing no write at all, concurrent duplicates, a 5,000-record price list in five
//! requests, and FIFO ordering.

mod common;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use b2b_shared::queue::MemoryQueue;
use b2b_shared::state::MemoryState;
use b2b_test_support as support;
use bc_sandbox::{RunningSandbox, SandboxOptions};
use bigcommerce_b2b::ClientOptions;
use futures_util::future::BoxFuture;
use serde_json::{json, Value};
use upsert_worker::{Engine, Worker};

struct Rig {
    sandbox: RunningSandbox,
    worker: Worker,
    dlq: Arc<MemoryQueue>,
    http: reqwest::Client,
}

async fn rig() -> Rig {
    let sandbox = support::sandbox(SandboxOptions {
        catalog_products: 2_500,
        ..support::unlimited()
    })
    .await;
    let client = support::client(&sandbox, ClientOptions::default());
    let dlq = Arc::new(MemoryQueue::default());
    let mut engine = Engine::new(
        client,
        Arc::new(MemoryState::default()),
        "external_id".into(),
    );
    // A delta read every batch: the tests edit the store between batches without webhooks.
    engine.context.mirror_max_age = std::time::Duration::ZERO;
    let worker = common::worker(engine, dlq.clone());
    Rig {
        sandbox,
        worker,
        dlq,
        http: reqwest::Client::new(),
    }
}

impl Rig {
    async fn admin(&self, path: &str) -> Value {
        self.http
            .get(format!("{}/__sandbox/{path}", self.sandbox.base_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// A change made as the control panel would: straight into the store's B2B API.
    async fn panel(&self, method: reqwest::Method, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .request(method, format!("{}{path}", self.sandbox.b2b_base_url()))
            .header("X-Auth-Token", support::TOKEN)
            .header("X-Store-Hash", support::STORE)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Sets the sandbox's faults.
    async fn faults(&self, body: Value) {
        let r = self
            .http
            .post(format!("{}/__sandbox/faults", self.sandbox.base_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    async fn price_list(&self) -> i64 {
        support::price_list(&self.sandbox).await
    }

    /// Runs `records` through the worker the way SQS would: failed ones come back, until none fail.
    async fn run_until_settled(&self, records: &[Value]) -> usize {
        let mut pending: Vec<Value> = records.to_vec();
        for round in 1..=6 {
            let resp = self.worker.handle(&event(&pending)).await;
            let failed = failed_ids(&resp);
            if failed.is_empty() {
                return round;
            }
            pending.retain(|r| failed.contains(&r["messageId"].as_str().unwrap().to_owned()));
        }
        panic!("records still failing after 6 rounds: {pending:#?}");
    }
}

fn record(id: &str, body: &Value) -> Value {
    json!({"messageId": id, "receiptHandle": format!("rh-{id}"), "body": body.to_string(),
           "attributes": {"ApproximateReceiveCount": "1"}, "eventSource": "aws:sqs"})
}

fn event(records: &[Value]) -> SqsEvent {
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

fn failed_ids(resp: &SqsBatchResponse) -> Vec<String> {
    resp.batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

fn company(ext: &str, name: &str) -> Value {
    json!({"type":"company.upsert","version":1,"store_hash":"abc123","external_id":ext,
        "company":{"name":name,"email":format!("ap@{}.example", ext.to_lowercase()),"phone":"555-0100","country":"US",
        "address":{"line1":"1 Main St","city":"Austin","state":"Texas","zip_code":"78701"},
        "admin":{"first_name":"Ada","last_name":"Admin","email":format!("admin@{}.example", ext.to_lowercase())},
        "extra_fields":{"erp_id":ext},"status":"approved"}})
}

/// `n` records of `company.upsert`s: messages `{msg}{i}`, external ids `{ext}{i}`, names
/// `{name}{i}`.
fn new_companies(msg: &str, ext: &str, name: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            record(
                &format!("{msg}{i}"),
                &company(&format!("{ext}{i}"), &format!("{name}{i}")),
            )
        })
        .collect()
}

fn buyer(ext: &str, company: &str, email: &str) -> Value {
    json!({"type":"user.upsert","version":1,"store_hash":"abc123","external_id":ext,"company_external_id":company,
        "user":{"first_name":"Grace","last_name":"Buyer","email":email,"role":"senior_buyer"}})
}

fn records(price_list: i64, n: usize, price: f64) -> Value {
    // The sandbox catalog has variants 1..=5000 (2,500 products of 2 variants).
    let recs: Vec<Value> = (1..=n)
        .map(|i| json!({"variant_id": i, "currency": "usd", "price": price}))
        .collect();
    json!({"type":"pricelist.records.upsert","version":1,"store_hash":"abc123","external_id":format!("PL-{price_list}"),
        "price_list_id":price_list,"records":recs})
}

fn companies_with(state: &Value, ext: &str) -> Vec<Value> {
    all(state, "companies")
        .into_iter()
        .filter(|c| {
            c["extraFields"].as_array().is_some_and(|f| {
                f.iter()
                    .any(|f| f["fieldName"] == "external_id" && f["fieldValue"] == ext)
            })
        })
        .collect()
}

fn all(state: &Value, key: &str) -> Vec<Value> {
    support::all(state, key)
}

#[tokio::test]
async fn a_mixed_batch_applies_once_dead_letters_the_poison_and_replays_without_writes() {
    let rig = rig().await;
    let pl = rig.price_list().await;
    let mut poison = company("C-9", "Broken");
    poison["company"]["email"] = json!("not-an-email");
    let batch = vec![
        record("m1", &company("C-1", "Acme Supply")),
        record("m2", &buyer("U-1", "C-1", "grace@acme.example")),
        record(
            "m3",
            &json!({"type":"address.upsert","version":1,"store_hash":"abc123","external_id":"A-1","company_external_id":"C-1",
            "address":{"first_name":"Dock","last_name":"Nine","line1":"9 Pier Rd","city":"Austin","zip_code":"78702","country_code":"us","is_shipping":true}}),
        ),
        record("m4", &records(pl, 1_500, 4.2)),
        record("m5", &poison),
        record("m6", &company("C-2", "Bolt Brothers")),
        record(
            "m7",
            &json!({"type":"company.status","version":1,"store_hash":"abc123","external_id":"C-2","status":"inactive"}),
        ),
    ];
    rig.run_until_settled(&batch).await;

    let state = rig.admin("state").await;
    let acme = companies_with(&state, "C-1");
    assert_eq!(acme.len(), 1, "exactly one company C-1");
    assert_eq!(acme[0]["companyName"], "Acme Supply");
    assert_eq!(acme[0]["companyStatus"].to_string().trim_matches('"'), "1");
    let bolt = companies_with(&state, "C-2");
    assert_eq!(bolt.len(), 1);
    assert_eq!(bolt[0]["companyStatus"].to_string().trim_matches('"'), "3");
    assert!(companies_with(&state, "C-9").is_empty());
    let acme_id = acme[0]["companyId"]
        .to_string()
        .trim_matches('"')
        .parse::<i64>()
        .unwrap();
    let buyers: Vec<_> = all(&state, "users")
        .into_iter()
        .filter(|u| u["email"] == "grace@acme.example")
        .collect();
    assert_eq!(buyers.len(), 1);
    assert_eq!(buyers[0]["companyId"].as_i64(), Some(acme_id));
    assert_eq!(buyers[0]["role"].as_i64(), Some(1));
    let addresses: Vec<_> = all(&state, "addresses")
        .into_iter()
        .filter(|a| a["externalId"] == "A-1")
        .collect();
    assert_eq!(addresses.len(), 1);
    assert_eq!(addresses[0]["countryCode"], "US");

    let dead = rig.dlq.bodies();
    assert_eq!(
        dead.len(),
        1,
        "only the poison message is dead-lettered: {dead:#?}"
    );
    assert_eq!(dead[0]["message_id"], "m5");
    assert!(dead[0]["error"]
        .as_str()
        .unwrap()
        .contains("`company.email` is not an email address"));
    assert_eq!(
        serde_json::from_str::<Value>(dead[0]["original"].as_str().unwrap()).unwrap(),
        poison
    );

    // The same batch again: nothing is written.
    let writes_before = rig.admin("stats").await["writes_total"].as_u64().unwrap();
    let replay: Vec<Value> = batch
        .into_iter()
        .filter(|r| r["messageId"] != "m5")
        .collect();
    let resp = rig.worker.handle(&event(&replay)).await;
    assert!(resp.batch_item_failures.is_empty());
    let writes_after = rig.admin("stats").await["writes_total"].as_u64().unwrap();
    assert_eq!(writes_after, writes_before, "a replay must not write");

    // A changed command updates only what changed, on the existing company.
    let mut renamed = company("C-1", "Acme Supply & Sons");
    renamed["idempotency_key"] = json!("rename-1");
    let resp = rig.worker.handle(&event(&[record("m8", &renamed)])).await;
    assert!(resp.batch_item_failures.is_empty());
    let state = rig.admin("state").await;
    let acme = companies_with(&state, "C-1");
    assert_eq!(acme.len(), 1);
    assert_eq!(acme[0]["companyName"], "Acme Supply & Sons");
    assert_eq!(
        rig.admin("stats").await["writes_total"].as_u64().unwrap(),
        writes_after + 1
    );
}

#[tokio::test]
async fn the_same_command_delivered_twice_at_once_makes_one_company() {
    let rig = rig().await;
    let cmd = company("C-7", "Twin Corp");
    rig.run_until_settled(&[record("a", &cmd), record("b", &cmd), record("c", &cmd)])
        .await;
    let state = rig.admin("state").await;
    assert_eq!(companies_with(&state, "C-7").len(), 1);
}

#[tokio::test]
async fn a_buyer_before_its_company_is_retried_not_dead_lettered() {
    let rig = rig().await;
    let resp = rig
        .worker
        .handle(&event(&[record(
            "u",
            &buyer("U-5", "C-5", "eve@c5.example"),
        )]))
        .await;
    assert_eq!(failed_ids(&resp), ["u"]);
    assert!(rig.dlq.bodies().is_empty());
    rig.run_until_settled(&[
        record("c", &company("C-5", "Late Co")),
        record("u", &buyer("U-5", "C-5", "eve@c5.example")),
    ])
    .await;
    let state = rig.admin("state").await;
    assert_eq!(
        all(&state, "users")
            .iter()
            .filter(|u| u["email"] == "eve@c5.example")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_buyer_whose_company_never_appears_is_dead_lettered_with_its_reason_on_its_last_receive()
{
    let rig = rig().await;
    let body = buyer("U-6", "C-NEVER", "ivy@never.example");
    let at = |receives: u32| {
        let mut r = record("u", &body);
        r["attributes"]["ApproximateReceiveCount"] = json!(receives.to_string());
        r
    };
    let last = rig.worker.max_receives;
    let resp = rig.worker.handle(&event(&[at(last - 1)])).await;
    assert_eq!(failed_ids(&resp), ["u"], "retried while receives remain");
    assert!(rig.dlq.bodies().is_empty());
    let resp = rig.worker.handle(&event(&[at(last)])).await;
    assert!(
        failed_ids(&resp).is_empty(),
        "acknowledged once dead-lettered"
    );
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 1);
    let reason = dead[0]["error"].as_str().unwrap();
    assert!(
        reason.contains(&format!("after {last} receives")) && reason.contains("C-NEVER"),
        "{reason}"
    );
    assert_eq!(dead[0]["kind"], "user.upsert");
    assert_eq!(dead[0]["original"], body.to_string());
    assert_eq!(dead[0]["receive_count"], last.to_string());
}

#[tokio::test]
async fn five_thousand_price_records_take_five_requests() {
    let rig = rig().await;
    let pl = rig.price_list().await;
    let resp = rig
        .worker
        .handle(&event(&[record("p", &records(pl, 5_000, 1.25))]))
        .await;
    assert!(resp.batch_item_failures.is_empty());
    let stats = rig.admin("stats").await;
    let puts: u64 = stats["requests_by_route"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(route, _)| {
            route.starts_with("PUT ") && route.ends_with("/v3/pricelists/{price_list_id}/records")
        })
        .map(|(_, n)| n.as_u64().unwrap())
        .sum();
    assert_eq!(puts, 5);
    assert!(stats["peak_concurrent_pricelist_upserts"].as_u64().unwrap() <= 2);
}

/// Requests the sandbox served for `method` + a route ending in `suffix`.
fn route_count(stats: &Value, method: &str, suffix: &str) -> u64 {
    stats["requests_by_route"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(route, _)| route.starts_with(&format!("{method} ")) && route.ends_with(suffix))
        .map(|(_, n)| n.as_u64().unwrap())
        .sum()
}

#[tokio::test]
async fn a_batch_of_new_companies_is_created_with_one_bulk_request() {
    let rig = rig().await;
    let batch = new_companies("m", "C-", "Co ", 10);
    let resp = rig.worker.handle(&event(&batch)).await;
    assert!(resp.batch_item_failures.is_empty(), "{resp:?}");
    let stats = rig.admin("stats").await;
    assert_eq!(route_count(&stats, "POST", "/companies/bulk"), 1);
    assert_eq!(route_count(&stats, "POST", "/companies"), 0);
    // One read of the store's company extra fields (once per process), one delta read for
    // all (the mirror: no lookup each), one create for all, one status each: 13, where a
    // lookup each would cost 22 and one by one 31.
    assert_eq!(stats["requests_total"].as_u64(), Some(13), "{stats:#}");
    assert_eq!(route_count(&stats, "GET", "/companies/extra-fields"), 1);
    let state = rig.admin("state").await;
    for i in 0..10 {
        let found = companies_with(&state, &format!("C-{i}"));
        assert_eq!(found.len(), 1, "C-{i}");
        assert_eq!(found[0]["companyName"], format!("Co {i}"));
        assert_eq!(found[0]["companyStatus"].to_string().trim_matches('"'), "1");
    }
    // The id map was recorded: a changed command finds its company without a search.
    let mut renamed = company("C-3", "Co 3 Renamed");
    renamed["idempotency_key"] = json!("rename");
    let before = rig.admin("stats").await;
    let resp = rig.worker.handle(&event(&[record("r", &renamed)])).await;
    assert!(resp.batch_item_failures.is_empty());
    let after = rig.admin("stats").await;
    assert_eq!(
        route_count(&after, "GET", "/companies"),
        route_count(&before, "GET", "/companies") + 1,
        "the batch's delta read, no search"
    );
    let state = rig.admin("state").await;
    assert_eq!(
        companies_with(&state, "C-3")[0]["companyName"],
        "Co 3 Renamed"
    );
}

#[tokio::test]
async fn buyers_in_the_same_batch_as_their_new_company_land_in_one_invocation() {
    let rig = rig().await;
    let batch = vec![
        record("u1", &buyer("U-1", "C-1", "ann@c1.example")),
        record("c1", &company("C-1", "One")),
        record("u2", &buyer("U-2", "C-2", "bob@c2.example")),
        record("c2", &company("C-2", "Two")),
        record("u3", &buyer("U-3", "C-1", "cy@c1.example")),
        // Its company is nowhere: still sent back to wait.
        record("u9", &buyer("U-9", "C-9", "zed@c9.example")),
    ];
    let resp = rig.worker.handle(&event(&batch)).await;
    assert_eq!(failed_ids(&resp), ["u9"]);
    let state = rig.admin("state").await;
    for (email, ext) in [
        ("ann@c1.example", "C-1"),
        ("bob@c2.example", "C-2"),
        ("cy@c1.example", "C-1"),
    ] {
        let company_id = companies_with(&state, ext)[0]["companyId"].clone();
        let users: Vec<_> = all(&state, "users")
            .into_iter()
            .filter(|u| u["email"] == email)
            .collect();
        assert_eq!(users.len(), 1, "{email}");
        assert_eq!(
            users[0]["companyId"].to_string().trim_matches('"'),
            company_id.to_string().trim_matches('"'),
            "{email}"
        );
    }
    assert!(rig.dlq.bodies().is_empty());
}

#[tokio::test]
async fn a_batch_of_buyers_reads_their_company_once() {
    let rig = rig().await;
    rig.run_until_settled(&[record("c", &company("C-1", "One"))])
        .await;
    let reads = |stats: &Value| route_count(stats, "GET", "/companies/{companyId}");
    for round in 0..2 {
        let batch: Vec<Value> = (0..4)
            .map(|i| {
                let ext = format!("U-{round}-{i}");
                record(
                    &ext,
                    &buyer(&ext, "C-1", &format!("b{round}{i}@c1.example")),
                )
            })
            .collect();
        let before = reads(&rig.admin("stats").await);
        let resp = rig.worker.handle(&event(&batch)).await;
        assert!(resp.batch_item_failures.is_empty(), "{resp:?}");
        // At most once per batch (none when the mirror holds it as BigCommerce has it; once
        // when it was written within the touch margin before this batch's delta read).
        let stats = rig.admin("stats").await;
        assert!(reads(&stats) - before <= 1, "round {round}");
        // The four buyers are created with one bulk request.
        assert_eq!(
            route_count(&stats, "POST", "/users/bulk"),
            round + 1,
            "{stats:#}"
        );
        assert_eq!(route_count(&stats, "POST", "/users"), 0);
    }
    let state = rig.admin("state").await;
    assert_eq!(
        all(&state, "users")
            .iter()
            .filter(|u| u["email"].as_str().unwrap_or("").ends_with("@c1.example"))
            .count(),
        8,
        "eight buyers, each once"
    );
}

#[tokio::test]
async fn a_refused_bulk_buyer_create_falls_back_and_duplicates_nothing() {
    let rig = rig().await;
    rig.run_until_settled(&[record("c", &company("C-1", "One"))])
        .await;
    // Two commands name one email: BigCommerce refuses the whole bulk request (422), and the
    // worker applies each command on its own, lookup first.
    let batch = vec![
        record("u1", &buyer("U-1", "C-1", "ann@c1.example")),
        record("u2", &buyer("U-2", "C-1", "twin@c1.example")),
        record("u3", &buyer("U-3", "C-1", "twin@c1.example")),
        record("u4", &buyer("U-4", "C-1", "dan@c1.example")),
    ];
    rig.run_until_settled(&batch).await;
    let stats = rig.admin("stats").await;
    assert_eq!(route_count(&stats, "POST", "/users/bulk"), 1, "{stats:#}");
    let state = rig.admin("state").await;
    for email in ["ann@c1.example", "twin@c1.example", "dan@c1.example"] {
        let n = all(&state, "users")
            .iter()
            .filter(|u| u["email"] == email)
            .count();
        assert_eq!(n, 1, "{email}");
    }
    // The twin either became the same buyer or was refused with its reason, never lost silently.
    for dead in rig.dlq.bodies() {
        assert!(
            ["u2", "u3"].contains(&dead["message_id"].as_str().unwrap()),
            "{dead:#}"
        );
        assert!(
            dead["error"].as_str().unwrap().contains("already exists"),
            "{dead:#}"
        );
    }
}

#[tokio::test]
async fn a_conflict_in_a_bulk_create_fails_only_its_command_and_duplicates_nothing() {
    let rig = rig().await;
    // C-0 exists; C-bad wants C-0's admin as its own, which BigCommerce refuses.
    rig.run_until_settled(&[record("first", &company("C-0", "Zero"))])
        .await;
    let mut bad = company("C-bad", "Copycat");
    bad["company"]["admin"]["email"] = json!("admin@c-0.example");
    let mut batch: Vec<Value> = (1..=4)
        .map(|i| {
            record(
                &format!("m{i}"),
                &company(&format!("C-{i}"), &format!("Co {i}")),
            )
        })
        .collect();
    batch.insert(2, record("bad", &bad));
    // The sandbox creates the other four and answers 400 for the bulk request: the worker
    // must find those four, not create them again, and dead-letter only C-bad.
    let resp = rig.worker.handle(&event(&batch)).await;
    assert!(resp.batch_item_failures.is_empty(), "{resp:?}");
    let stats = rig.admin("stats").await;
    assert_eq!(route_count(&stats, "POST", "/companies/bulk"), 1);
    let state = rig.admin("state").await;
    for i in 0..=4 {
        let found = companies_with(&state, &format!("C-{i}"));
        assert_eq!(found.len(), 1, "C-{i} exactly once");
        assert_eq!(found[0]["companyStatus"].to_string().trim_matches('"'), "1");
    }
    assert!(companies_with(&state, "C-bad").is_empty());
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert_eq!(dead[0]["message_id"], "bad");
    assert!(
        dead[0]["error"]
            .as_str()
            .unwrap()
            .contains("already exists"),
        "{}",
        dead[0]["error"]
    );
}

#[tokio::test]
async fn a_dead_letter_outage_keeps_the_poison_on_the_queue() {
    let rig = rig().await;
    rig.dlq.down.store(true, Ordering::SeqCst);
    let resp = rig
        .worker
        .handle(&event(&[record(
            "bad",
            &json!({"type": "nope", "version": 1}),
        )]))
        .await;
    assert_eq!(failed_ids(&resp), ["bad"]);
}

#[tokio::test]
async fn fifo_groups_stop_at_a_retryable_failure() {
    let rig = rig().await;
    let mut records = vec![
        record("1", &buyer("U-1", "C-404", "a@x.example")),
        record("2", &company("C-404", "Later")),
    ];
    for r in &mut records {
        r["attributes"]["MessageGroupId"] = json!("abc123#C-404");
    }
    let resp = rig.worker.handle(&event(&records)).await;
    assert_eq!(
        failed_ids(&resp),
        ["1", "2"],
        "the company must wait behind the failed buyer"
    );
    let state = rig.admin("state").await;
    assert!(companies_with(&state, "C-404").is_empty());
}

fn fixture(name: &str) -> Vec<Value> {
    let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // Every fixture is a valid SQS event as the console sends it.
    let _: SqsEvent = serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{path}: {e}"));
    v["Records"].as_array().unwrap().clone()
}

#[tokio::test]
async fn console_fixtures_do_what_they_say() {
    let rig = rig().await;
    assert_eq!(
        rig.price_list().await,
        1,
        "the mixed batch writes to price list 1"
    );
    rig.run_until_settled(&fixture("sqs-mixed-batch.json"))
        .await;
    let state = rig.admin("state").await;
    assert_eq!(companies_with(&state, "C-1001").len(), 1);
    assert_eq!(
        all(&state, "quotes")
            .iter()
            .filter(|q| q["referenceNumber"] == "Q-2026-001")
            .count(),
        1
    );

    rig.run_until_settled(&fixture("sqs-poison-message.json"))
        .await;
    assert_eq!(rig.dlq.bodies().len(), 1);

    let resp = rig
        .worker
        .handle(&event(&fixture("sqs-webhook-event.json")))
        .await;
    assert!(
        resp.batch_item_failures.is_empty(),
        "webhook events are acknowledged"
    );

    rig.run_until_settled(&fixture("sqs-fifo-group.json")).await;

    // A raw ERP record needs the field mapping; without one it is dead-lettered with the reason.
    let resp = rig
        .worker
        .handle(&event(&fixture("sqs-erp-customer-record.json")))
        .await;
    assert!(resp.batch_item_failures.is_empty());
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 2);
    assert!(
        dead[1]["error"]
            .as_str()
            .unwrap()
            .contains("missing field `version`"),
        "{}",
        dead[1]["error"]
    );

    let mut mapped = rig.worker.clone();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/mappings/erp-customers.example.yaml"
    );
    mapped.mapping = Some(Arc::new(
        upsert_worker::mapping::Mapping::load(std::path::Path::new(path)).unwrap(),
    ));
    let resp = mapped
        .handle(&event(&fixture("sqs-erp-customer-record.json")))
        .await;
    assert!(resp.batch_item_failures.is_empty());
    let state = rig.admin("state").await;
    let northwind = companies_with(&state, "CUST-00042");
    assert_eq!(northwind.len(), 1);
    assert_eq!(northwind[0]["companyName"], "Northwind Traders");
}

#[derive(Default)]
struct RecordedDelays(Mutex<Vec<(String, std::time::Duration)>>);

impl upsert_worker::worker::Visibility for RecordedDelays {
    fn delay<'a>(
        &'a self,
        receipt_handle: &'a str,
        after: std::time::Duration,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            self.0
                .lock()
                .unwrap()
                .push((receipt_handle.to_owned(), after));
            Ok(())
        })
    }
}

#[tokio::test]
async fn a_rate_limited_command_comes_back_after_the_window_resets() {
    let sandbox = support::sandbox(SandboxOptions {
        quota: 0,
        b2b_quota: 2,
        b2b_window_ms: 60_000,
        ..SandboxOptions::default()
    })
    .await;
    let client = support::client(&sandbox, ClientOptions::default())
        .with_deadline(tokio::time::Instant::now() + std::time::Duration::from_secs(3));
    let delays = Arc::new(RecordedDelays::default());
    let worker = Worker {
        engine: Engine::new(
            client,
            Arc::new(MemoryState::default()),
            "external_id".into(),
        ),
        mapping: None,
        dead_letters: Arc::new(MemoryQueue::default()),
        visibility: Some(delays.clone()),
        events: None,
        concurrency: 1,
        max_receives: upsert_worker::DEFAULT_MAX_RECEIVES,
        stores: None,
    };
    let resp = worker
        .handle(&event(&[
            record("c1", &company("R-1", "One")),
            record("c2", &company("R-2", "Two")),
        ]))
        .await;
    assert!(
        !resp.batch_item_failures.is_empty(),
        "the B2B quota of 2 cannot serve two company upserts"
    );
    let delays = delays.0.lock().unwrap().clone();
    assert!(!delays.is_empty());
    for (handle, after) in &delays {
        assert!(handle.starts_with("rh-"));
        assert!(
            *after >= std::time::Duration::from_secs(50),
            "visibility {after:?} must wait for the window reset"
        );
    }
}

#[tokio::test]
async fn webhook_events_are_exported_right_away_through_the_export_code() {
    let rig = rig().await;
    let resp = rig
        .worker
        .handle(&event(&[record("c", &company("C-70", "Seventy"))]))
        .await;
    assert!(resp.batch_item_failures.is_empty());
    let state = rig.admin("state").await;
    let id = companies_with(&state, "C-70")[0]["companyId"]
        .as_i64()
        .unwrap();
    let outbound = Arc::new(MemoryQueue::default());
    let mut live = rig.worker.clone();
    live.events = Some(Arc::new(upsert_worker::reactions::export::ExportEvents(
        b2b_export::Exporter {
            client: rig.worker.engine.context.client.clone(),
            state: Arc::new(MemoryState::default()),
            outbound: outbound.clone(),
            settings: b2b_export::ExportSettings::default(),
            fifo: false,
            archive: None,
        },
    )));
    let hook = json!({"type":"webhook.event","version":1,"scope":"store/company/created","store_hash":"abc123",
        "resource":{"type":"company","id":id},"data":{"company_id":id},"hash":"h-70","received_at":1});
    let cart = json!({"type":"webhook.event","version":1,"scope":"store/cart/created","store_hash":"abc123",
        "data":{"type":"cart","id":"x"},"hash":"h-cart","received_at":1});
    let resp = live
        .handle(&event(&[record("w1", &hook), record("w2", &cart)]))
        .await;
    assert!(resp.batch_item_failures.is_empty());
    let docs = outbound.bodies();
    assert_eq!(
        docs.len(),
        1,
        "the company is exported, the cart scope ignored: {docs:#?}"
    );
    assert_eq!(docs[0]["type"], "company");
    assert_eq!(docs[0]["id"], id);
    assert_eq!(
        docs[0]["data"]["buyers"].as_array().unwrap().len(),
        1,
        "its admin"
    );

    // A burst for one company (created, status, a buyer) and one for another: each company
    // is read and exported once, and every event is acknowledged.
    let resp = rig
        .worker
        .handle(&event(&[record("c2", &company("C-71", "Seventy-one"))]))
        .await;
    assert!(resp.batch_item_failures.is_empty());
    let state = rig.admin("state").await;
    let other = companies_with(&state, "C-71")[0]["companyId"]
        .as_i64()
        .unwrap();
    let hook = |scope: &str, resource: Value, data: Value, hash: &str| {
        json!({"type":"webhook.event","version":1,"scope":scope,"store_hash":"abc123",
            "resource":resource,"data":data,"hash":hash,"received_at":2})
    };
    let burst = [
        record(
            "b1",
            &hook(
                "store/company/created",
                json!({"type":"company","id":id}),
                json!({"company_id":id}),
                "b1",
            ),
        ),
        record(
            "b2",
            &hook(
                "store/company/statusUpdated",
                json!({"type":"company","id":id}),
                json!({"company_id":id}),
                "b2",
            ),
        ),
        record(
            "b3",
            &hook(
                "store/company/created",
                json!({"type":"company","id":other}),
                json!({"company_id":other}),
                "b3",
            ),
        ),
        record(
            "b4",
            &hook(
                "store/company/user/created",
                json!({"type":"user","id":4}),
                json!({"company_id":id,"user_id":4}),
                "b4",
            ),
        ),
    ];
    let reads = |stats: &Value| route_count(stats, "GET", "/companies/{companyId}");
    let before = reads(&rig.admin("stats").await);
    let resp = live.handle(&event(&burst)).await;
    assert!(resp.batch_item_failures.is_empty(), "{resp:?}");
    assert_eq!(
        reads(&rig.admin("stats").await) - before,
        2,
        "one read per company"
    );
    let docs = outbound.bodies();
    let ids: Vec<i64> = docs[1..]
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{docs:#?}");
    assert!(ids.contains(&id) && ids.contains(&other), "{ids:?}");
}

fn quote(ext: &str, fields: Value) -> Value {
    let mut q = json!({"buyer_email": "grace@acme.example", "title": "Restock", "currency": "USD",
        "expires_on": "2027-06-30"});
    if let (Some(q), Some(f)) = (q.as_object_mut(), fields.as_object()) {
        q.extend(f.clone());
    }
    json!({"type":"quote.upsert","version":1,"store_hash":"abc123","external_id":ext,
        "company_external_id":"C-1","quote":q})
}

fn quote_named(state: &Value, reference: &str) -> Value {
    let found: Vec<Value> = all(state, "quotes")
        .into_iter()
        .filter(|q| q["referenceNumber"] == reference)
        .collect();
    assert_eq!(found.len(), 1, "exactly one quote {reference}");
    found[0].clone()
}

#[tokio::test]
async fn a_quote_follows_the_erps_lines_expiry_and_order() {
    let rig = rig().await;
    rig.run_until_settled(&[
        record("c", &company("C-1", "Acme Supply")),
        record("b", &buyer("U-1", "C-1", "grace@acme.example")),
    ])
    .await;
    let line = |sku: &str, product: i64, quantity: i64| {
        json!({"sku": sku, "product_id": product, "variant_id": product * 2 - 1,
            "quantity": quantity, "base_price": 11.0, "offered_price": 9.9})
    };
    rig.run_until_settled(&[record(
        "q1",
        &quote("Q-1", json!({"lines": [line("SKU-001-1", 1, 10)]})),
    )])
    .await;
    let created = quote_named(&rig.admin("state").await, "Q-1");
    assert_eq!(
        created["status"], 2,
        "a quote created through the API is in process"
    );

    // The ERP changes the lines: every line is sent again, with the totals; nothing else moves.
    let before = rig.admin("stats").await;
    let lines = json!([line("SKU-001-1", 1, 25), line("SKU-002-1", 2, 4)]);
    rig.run_until_settled(&[record("q2", &quote("Q-1", json!({"lines": lines})))])
        .await;
    let after = rig.admin("stats").await;
    assert_eq!(
        route_count(&after, "PUT", "/rfq/{quote_id}")
            - route_count(&before, "PUT", "/rfq/{quote_id}"),
        1
    );
    assert_eq!(
        route_count(&after, "POST", "/rfq"),
        1,
        "never a second quote"
    );
    let changed = quote_named(&rig.admin("state").await, "Q-1");
    assert_eq!(changed["productList"].as_array().map(Vec::len), Some(2));
    assert_eq!(changed["grandTotal"].as_f64(), Some(9.9 * 29.0));

    // A new expiry date, and the same lines again: only the date is written.
    rig.run_until_settled(&[record(
        "q3",
        &quote("Q-1", json!({"lines": lines, "expires_on": "2027-07-31"})),
    )])
    .await;
    let dated = quote_named(&rig.admin("state").await, "Q-1");
    assert_eq!(dated["productList"], changed["productList"]);
    assert_ne!(dated["expiredAt"], changed["expiredAt"]);

    // The ERP reports the order the quote became: it is linked, once.
    let placed = rig
        .http
        .post(format!("{}/__sandbox/orders", rig.sandbox.base_url()))
        .json(&json!({"count": 1}))
        .send()
        .await
        .unwrap();
    assert!(placed.status().is_success());
    let order_id: i64 = all(&rig.admin("state").await, "orders")
        .iter()
        .filter_map(|o| o["id"].as_i64())
        .max()
        .unwrap();
    let ordered = quote("Q-1", json!({"status": "ordered", "order_id": order_id}));
    rig.run_until_settled(&[record("q4", &ordered)]).await;
    let linked = quote_named(&rig.admin("state").await, "Q-1");
    assert_eq!(
        (linked["status"].as_i64(), linked["bcOrderId"].as_str()),
        (Some(4), Some(order_id.to_string().as_str()))
    );
    assert_eq!(
        route_count(&rig.admin("stats").await, "POST", "/rfq/{quote_id}/ordered"),
        1
    );

    // Another order for the same quote is refused with its reason, never relinked.
    let other = quote(
        "Q-1",
        json!({"status": "ordered", "order_id": order_id + 1000}),
    );
    rig.run_until_settled(&[record("q5", &other)]).await;
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert!(
        dead[0]["error"]
            .as_str()
            .unwrap_or("")
            .contains("already ordered"),
        "{dead:#?}"
    );

    // A second quote is expired by the ERP: its date moves into the past.
    rig.run_until_settled(&[record(
        "q6",
        &quote(
            "Q-2",
            json!({"lines": [line("SKU-001-1", 1, 1)], "status": "expired"}),
        ),
    )])
    .await;
    assert_eq!(quote_named(&rig.admin("state").await, "Q-2")["status"], 5);
}

#[tokio::test]
async fn a_company_address_is_sent_when_it_differs_from_what_was_last_written() {
    // The spec's company reads carry no address: the worker compares with what it wrote.
    let rig = rig().await;
    rig.run_until_settled(&[record("c1", &company("C-1", "Acme Supply"))])
        .await;
    let id = companies_with(&rig.admin("state").await, "C-1")[0]["companyId"]
        .as_i64()
        .unwrap();
    // Someone edits the address in the control panel.
    let edited = rig
        .panel(
            reqwest::Method::PUT,
            &format!("/companies/{id}"),
            &json!({"addressLine1": "7 Control Panel Way"}),
        )
        .await;
    assert!(edited.status().is_success());
    // A new name with the address the worker last wrote: only the name is sent.
    rig.run_until_settled(&[record("c2", &company("C-1", "Acme Supply Co"))])
        .await;
    let c = companies_with(&rig.admin("state").await, "C-1")[0].clone();
    assert_eq!(c["companyName"], "Acme Supply Co");
    assert_eq!(c["addressLine1"], "7 Control Panel Way");
    // A new address from the ERP is sent.
    let mut moved = company("C-1", "Acme Supply Co");
    moved["company"]["address"]["line1"] = json!("2 Main St");
    rig.run_until_settled(&[record("c3", &moved)]).await;
    let c = companies_with(&rig.admin("state").await, "C-1")[0].clone();
    assert_eq!(c["addressLine1"], "2 Main St");
}

#[tokio::test]
async fn a_create_answered_504_after_it_happened_is_never_made_twice() {
    // A gateway timing out after the write: the client does not repeat the POST, the command
    // is retried, and the retry finds what the first attempt created.
    let rig = rig().await;
    let fault = |n: u64| rig.faults(json!({"post_504_after_write": n}));
    fault(1).await;
    let rounds = rig
        .run_until_settled(&[record("c1", &company("C-1", "Acme Supply"))])
        .await;
    assert_eq!(
        rounds, 2,
        "the first attempt failed, the retry found the company"
    );
    assert_eq!(companies_with(&rig.admin("state").await, "C-1").len(), 1);

    rig.run_until_settled(&[record("b1", &buyer("U-1", "C-1", "grace@acme.example"))])
        .await;
    // A buyer whose create timed out after it happened: found by email, not made twice.
    fault(1).await;
    let rounds = rig
        .run_until_settled(&[record("b2", &buyer("U-2", "C-1", "ada@acme.example"))])
        .await;
    assert_eq!(rounds, 2);
    let state = rig.admin("state").await;
    assert_eq!(
        all(&state, "users")
            .iter()
            .filter(|u| u["email"] == "ada@acme.example")
            .count(),
        1
    );
    fault(1).await;
    let line = json!({"sku": "SKU-001-1", "product_id": 1, "variant_id": 1, "quantity": 3,
        "base_price": 11.0, "offered_price": 9.9});
    let rounds = rig
        .run_until_settled(&[record("q1", &quote("Q-9", json!({"lines": [line]})))])
        .await;
    assert_eq!(rounds, 2);
    quote_named(&rig.admin("state").await, "Q-9");
    let stats = rig.admin("stats").await;
    assert_eq!(
        route_count(&stats, "POST", "/rfq"),
        1,
        "one create, never repeated"
    );
    assert!(rig.dlq.bodies().is_empty());
}

/// The EMF documents one batch emitted, with the sandbox requests it caused.
async fn metrics_of(rig: &Rig, records: &[Value]) -> (Vec<Value>, u64) {
    let before = rig
        .sandbox
        .app()
        .stats
        .requests_total
        .load(Ordering::SeqCst);
    let (_, docs) =
        b2b_shared::telemetry::capture_metrics(rig.worker.handle(&event(records))).await;
    let after = rig
        .sandbox
        .app()
        .stats
        .requests_total
        .load(Ordering::SeqCst);
    (docs, after - before)
}

fn metric(docs: &[Value], name: &str) -> Vec<(f64, Value)> {
    b2b_shared::telemetry::metric_values(docs, name)
        .into_iter()
        .map(|(v, d)| (v, d.clone()))
        .collect()
}

#[tokio::test]
async fn each_batch_reports_its_own_requests_and_bounded_kinds() {
    let rig = rig().await;
    let (docs, sent) = metrics_of(
        &rig,
        &[
            record("c1", &company("C-M1", "Metric One")),
            record("c2", &company("C-M2", "Metric Two")),
        ],
    )
    .await;
    assert!(sent > 0);
    let requests = metric(&docs, "BigCommerceRequests");
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].0, sent as f64, "the batch's own requests");
    // Three garbage messages next: no request, and the kinds a caller made up are not series.
    let (docs, sent) = metrics_of(
        &rig,
        &[
            record("g1", &json!({"type": "made.up.1", "version": 1})),
            record("g2", &json!({"type": "made.up.2", "version": 1})),
            record(
                "g3",
                &json!({"type": "webhook.event", "version": 1, "scope": "store/zz/qq"}),
            ),
        ],
    )
    .await;
    assert_eq!(sent, 0);
    assert_eq!(
        metric(&docs, "BigCommerceRequests")[0].0,
        0.0,
        "not the previous batch's"
    );
    assert_eq!(metric(&docs, "RateLimited")[0].0, 0.0);
    let commands = metric(&docs, "Commands");
    let kinds: Vec<(&str, &str, f64)> = commands
        .iter()
        .map(|(n, d)| {
            (
                d["Kind"].as_str().unwrap(),
                d["Outcome"].as_str().unwrap(),
                *n,
            )
        })
        .collect();
    assert!(
        kinds.iter().all(
            |(k, _, _)| ["unknown", "webhook.event", "webhook:other"].contains(k)
                || b2b_commands::COMMAND_TYPES.contains(k)
        ),
        "{kinds:?}"
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|(_, o, _)| *o == "dead_lettered")
            .map(|k| k.2)
            .sum::<f64>(),
        3.0
    );
}

#[tokio::test]
async fn price_list_sync_accuracy_counts_the_records_bigcommerce_rejected() {
    let rig = rig().await;
    let pl = rig.price_list().await;
    let mut cmd = records(pl, 9, 2.5);
    cmd["records"]
        .as_array_mut()
        .unwrap()
        .push(json!({"variant_id": 999_999, "currency": "usd", "price": 1.0}));
    let (docs, _) = metrics_of(&rig, &[record("p", &cmd)]).await;
    let accuracy = metric(&docs, "PriceListSyncAccuracy");
    assert_eq!(accuracy.len(), 1);
    assert!((accuracy[0].0 - 0.9).abs() < 1e-9, "{accuracy:?}");
    let dead = rig.dlq.bodies();
    assert_eq!(
        dead.len(),
        1,
        "the command is dead-lettered with the rejected record"
    );
    assert!(dead[0]["error"]
        .as_str()
        .unwrap()
        .contains("1 of 10 records rejected"));
    // The nine good records were written (BigCommerce's non-strict mode).
    let state = rig.admin("state").await;
    let written = all(&state, "records")
        .iter()
        .filter(|r| r["price_list_id"] == pl)
        .count();
    assert_eq!(written, 9);
}

/// The rig with the store mirror on (as [`rig`] has it).
async fn mirrored_rig() -> Rig {
    let rig = rig().await;
    assert!(rig.worker.engine.context.store_mirror);
    rig
}

#[tokio::test]
async fn with_the_mirror_new_companies_cost_one_listing_not_a_search_each() {
    let rig = mirrored_rig().await;
    let batch = new_companies("c", "M-", "Mirror ", 10);
    let resp = rig.worker.handle(&event(&batch)).await;
    assert!(resp.batch_item_failures.is_empty());
    let stats = rig.admin("stats").await;
    assert_eq!(
        route_count(&stats, "GET", "/companies"),
        1,
        "one delta read"
    );
    assert_eq!(route_count(&stats, "POST", "/companies/bulk"), 1);
    let state = rig.admin("state").await;
    for i in 0..10 {
        assert_eq!(companies_with(&state, &format!("M-{i}")).len(), 1);
    }
    // The replay finds each through the mirror's map: no create, no search.
    let resp = rig.worker.handle(&event(&batch)).await;
    assert!(resp.batch_item_failures.is_empty());
    let again = rig.admin("stats").await;
    assert_eq!(route_count(&again, "POST", "/companies/bulk"), 1);
    assert!(rig.dlq.bodies().is_empty());
}

#[tokio::test]
async fn a_company_made_in_the_control_panel_is_found_by_the_delta_read_not_duplicated() {
    let rig = mirrored_rig().await;
    rig.worker
        .handle(&event(&[record("c0", &company("M-0", "Early Co"))]))
        .await;
    // Someone creates the company in the control panel (straight into the store), with the
    // external id the ERP will send.
    let made: Value = rig
        .panel(
            reqwest::Method::POST,
            "/companies",
            &json!({"companyName": "Panel Co", "companyPhone": "555-0199",
            "companyEmail": "office@panel.example", "country": "US",
            "adminFirstName": "Pat", "adminLastName": "Panel", "adminEmail": "pat@panel.example",
            "extraFields": [{"fieldName": "external_id", "fieldValue": "M-PANEL"}]}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(made["data"]["companyId"].is_number(), "{made}");
    let resp = rig
        .worker
        .handle(&event(&[record(
            "c1",
            &company("M-PANEL", "Panel Co Renamed"),
        )]))
        .await;
    assert!(resp.batch_item_failures.is_empty());
    let state = rig.admin("state").await;
    let found = companies_with(&state, "M-PANEL");
    assert_eq!(found.len(), 1, "updated, not duplicated");
    assert_eq!(found[0]["companyName"], "Panel Co Renamed");
}

#[tokio::test]
async fn a_failed_delta_read_falls_back_to_lookups() {
    let rig = mirrored_rig().await;
    rig.worker
        .handle(&event(&[record("c0", &company("M-0", "Early Co"))]))
        .await;
    // Every delta read (a listing since a position) now fails; searches still work.
    rig.faults(
        json!({"fail_requests": {"method": "GET", "path": "/companies",
        "query_contains": "minModified", "count": 100}}),
    )
    .await;
    let before = rig.admin("stats").await["faults_injected_total"]
        .as_u64()
        .unwrap();
    let resp = rig
        .worker
        .handle(&event(&[
            record("c0", &company("M-0", "Early Co Again")),
            record("c1", &company("M-1", "Late Co")),
        ]))
        .await;
    assert!(
        resp.batch_item_failures.is_empty(),
        "{:?}",
        resp.batch_item_failures
    );
    let stats = rig.admin("stats").await;
    assert!(
        stats["faults_injected_total"].as_u64().unwrap() > before,
        "the read failed"
    );
    let state = rig.admin("state").await;
    assert_eq!(companies_with(&state, "M-0").len(), 1);
    assert_eq!(companies_with(&state, "M-1").len(), 1);
    assert_eq!(
        companies_with(&state, "M-0")[0]["companyName"],
        "Early Co Again"
    );
}

#[tokio::test]
async fn with_the_mirror_an_unchanged_company_costs_no_request_and_an_edit_elsewhere_is_repaired() {
    let rig = mirrored_rig().await;
    let cmd = [record("c", &company("M-D", "Drift Co"))];
    rig.worker.handle(&event(&cmd)).await;
    // Modification times are whole seconds: an edit within a second (plus the margin) of our
    // own write is taken for ours, so the control panel's edit below waits that long.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    // A replay costs no request beyond the batch's delta read.
    rig.worker.handle(&event(&cmd)).await;
    let before = rig.admin("stats").await["requests_total"].as_u64().unwrap();
    let listings = |s: &Value| route_count(s, "GET", "/companies");
    let listed_before = listings(&rig.admin("stats").await);
    rig.worker.handle(&event(&cmd)).await;
    let stats = rig.admin("stats").await;
    let after = stats["requests_total"].as_u64().unwrap();
    // Two admin reads of the stats are not API requests; the delta read is.
    assert_eq!(listings(&stats) - listed_before, 1, "one delta read");
    assert_eq!(after - before, 1, "nothing but the delta read");
    // Someone renames it in the control panel; the ERP's unchanged command repairs it.
    let id = companies_with(&rig.admin("state").await, "M-D")[0]["companyId"].clone();
    let r = rig
        .panel(
            reqwest::Method::PUT,
            &format!("/companies/{id}"),
            &json!({"companyName": "Renamed In Panel"}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let resp = rig.worker.handle(&event(&cmd)).await;
    assert!(resp.batch_item_failures.is_empty());
    let state = rig.admin("state").await;
    assert_eq!(
        companies_with(&state, "M-D")[0]["companyName"],
        "Drift Co",
        "drift repaired"
    );
}

/// The API requests made between two readings of the stats: `METHOD /path` (B2B paths without
/// their `/api/v3/io` prefix) → how many, only the routes that grew.
fn requests_between(before: &Value, after: &Value) -> std::collections::BTreeMap<String, u64> {
    let count = |s: &Value, route: &str| s["requests_by_route"][route].as_u64().unwrap_or(0);
    after["requests_by_route"]
        .as_object()
        .unwrap()
        .keys()
        .filter_map(|route| {
            let grew = count(after, route) - count(before, route);
            (grew > 0).then(|| (route.replace("/api/v3/io", ""), grew))
        })
        .collect()
}

/// `(route, count)` pairs as [`requests_between`] gives them.
fn routes(pairs: &[(&str, u64)]) -> std::collections::BTreeMap<String, u64> {
    pairs.iter().map(|(r, n)| (r.to_string(), *n)).collect()
}

/// Past the mirror's touch margin after our last write: the next delta read is trusted.
async fn past_the_touch_margin() {
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
}

#[tokio::test]
async fn with_the_mirror_a_changed_company_costs_only_its_put() {
    let rig = mirrored_rig().await;
    rig.worker
        .handle(&event(&[record("c", &company("M-P", "Put Co"))]))
        .await;
    past_the_touch_margin().await;
    let before = rig.admin("stats").await;
    let mut renamed = company("M-P", "Put Co Renamed");
    renamed["idempotency_key"] = json!("rename");
    let resp = rig.worker.handle(&event(&[record("r", &renamed)])).await;
    assert!(resp.batch_item_failures.is_empty());
    let after = rig.admin("stats").await;
    assert_eq!(
        requests_between(&before, &after),
        routes(&[("GET /companies", 1), ("PUT /companies/{companyId}", 1)]),
        "the delta read and the PUT: no GET of the company"
    );
    let state = rig.admin("state").await;
    assert_eq!(
        companies_with(&state, "M-P")[0]["companyName"],
        "Put Co Renamed"
    );
}

fn address(ext: &str, company: &str, line1: &str) -> Value {
    json!({"type":"address.upsert","version":1,"store_hash":"abc123","external_id":ext,"company_external_id":company,
        "address":{"first_name":"Dock","last_name":"Nine","line1":line1,"city":"Austin","zip_code":"78702",
        "country_code":"us","is_shipping":true}})
}

#[tokio::test]
async fn with_the_mirror_buyers_and_addresses_cost_their_writes_only() {
    let rig = mirrored_rig().await;
    rig.run_until_settled(&[record("c", &company("M-B", "Buyers Co"))])
        .await;
    past_the_touch_margin().await;
    // Four new buyers and an address: each known absent, no search by email or externalId.
    let mut batch: Vec<Value> = (0..4)
        .map(|i| {
            let ext = format!("MU-{i}");
            record(&ext, &buyer(&ext, "M-B", &format!("b{i}@mb.example")))
        })
        .collect();
    batch.push(record("a", &address("MA-1", "M-B", "9 Pier Rd")));
    let before = rig.admin("stats").await;
    let resp = rig.worker.handle(&event(&batch)).await;
    assert!(resp.batch_item_failures.is_empty(), "{resp:?}");
    let after = rig.admin("stats").await;
    assert_eq!(
        requests_between(&before, &after),
        routes(&[
            ("GET /companies", 1),
            ("GET /users", 1),
            ("GET /addresses", 1),
            ("GET /countries", 1),
            ("POST /users/bulk", 1),
            ("POST /addresses", 1),
        ]),
        "three delta reads, the country's name, the creates"
    );
    past_the_touch_margin().await;
    // The identical batch again: nothing but the delta reads.
    let before = rig.admin("stats").await;
    let resp = rig.worker.handle(&event(&batch)).await;
    assert!(resp.batch_item_failures.is_empty(), "{resp:?}");
    let after = rig.admin("stats").await;
    assert_eq!(
        requests_between(&before, &after),
        routes(&[("GET /users", 1), ("GET /addresses", 1)]),
        "a replay reads the delta pages only (their company is not even resolved)"
    );
    // A changed buyer and a changed address: exactly their PUTs.
    let mut renamed = buyer("MU-0", "M-B", "b0@mb.example");
    renamed["user"]["last_name"] = json!("Renamed");
    let moved = address("MA-1", "M-B", "10 Pier Rd");
    let before = rig.admin("stats").await;
    let resp = rig
        .worker
        .handle(&event(&[record("u", &renamed), record("m", &moved)]))
        .await;
    assert!(resp.batch_item_failures.is_empty(), "{resp:?}");
    let after = rig.admin("stats").await;
    assert_eq!(
        requests_between(&before, &after),
        routes(&[
            ("GET /companies", 1),
            ("GET /users", 1),
            ("GET /addresses", 1),
            ("PUT /users/{userId}", 1),
            ("PUT /addresses/{addressId}", 1),
        ]),
    );
    let state = rig.admin("state").await;
    let user = all(&state, "users")
        .into_iter()
        .find(|u| u["email"] == "b0@mb.example")
        .unwrap();
    assert_eq!(user["lastName"], "Renamed");
    let addr = all(&state, "addresses")
        .into_iter()
        .find(|a| a["externalId"] == "MA-1")
        .unwrap();
    assert_eq!(addr["addressLine1"], "10 Pier Rd");
}

#[tokio::test]
async fn a_webhook_makes_a_mirrored_company_stale_until_it_is_read_again() {
    let mut rig = mirrored_rig().await;
    let cmd = company("M-W", "Hook Co");
    rig.worker.handle(&event(&[record("c", &cmd)])).await;
    past_the_touch_margin().await;
    let id = companies_with(&rig.admin("state").await, "M-W")[0]["companyId"]
        .as_i64()
        .unwrap();
    // A delta read that sees the company, then the control panel renames it. From now on the
    // mirror is trusted for a minute: only webhooks tell of edits in between.
    let mut other = company("M-W2", "Other Co");
    other["idempotency_key"] = json!("other");
    rig.worker.handle(&event(&[record("o", &other)])).await;
    rig.worker.engine.context.mirror_max_age = std::time::Duration::from_secs(60);
    past_the_touch_margin().await;
    let r = rig
        .panel(
            reqwest::Method::PUT,
            &format!("/companies/{id}"),
            &json!({"companyName": "Renamed In Panel"}),
        )
        .await;
    assert!(r.status().is_success());
    // Within the mirror's age and without the webhook, the edit is not seen: the command is
    // found applied (the drift stays until the next delta read).
    let mut again = cmd.clone();
    again["idempotency_key"] = json!("again-1");
    rig.worker.handle(&event(&[record("a1", &again)])).await;
    let state = rig.admin("state").await;
    assert_eq!(
        companies_with(&state, "M-W")[0]["companyName"],
        "Renamed In Panel"
    );
    // The webhook arrives: the next batch reads the changes (within the mirror's age) and
    // repairs the company.
    let hook = json!({"type":"webhook.event","version":1,"scope":"store/company/updated","store_hash":"abc123",
        "resource":{"type":"company","id":id},"data":{"company_id":id},"hash":"h-w","received_at":1});
    let resp = rig.worker.handle(&event(&[record("w", &hook)])).await;
    assert!(resp.batch_item_failures.is_empty());
    past_the_touch_margin().await;
    let before = rig.admin("stats").await;
    again["idempotency_key"] = json!("again-2");
    rig.worker.handle(&event(&[record("a2", &again)])).await;
    let after = rig.admin("stats").await;
    assert_eq!(
        requests_between(&before, &after),
        routes(&[("GET /companies", 1), ("PUT /companies/{companyId}", 1)]),
        "the delta read the webhook called for, then the repair"
    );
    let state = rig.admin("state").await;
    assert_eq!(companies_with(&state, "M-W")[0]["companyName"], "Hook Co");
}

#[tokio::test]
async fn the_webhook_of_our_own_write_costs_no_read() {
    let mut rig = mirrored_rig().await;
    rig.worker.engine.context.mirror_max_age = std::time::Duration::from_secs(60);
    rig.worker
        .handle(&event(&[record("c", &company("M-O", "Own Co"))]))
        .await;
    let id = companies_with(&rig.admin("state").await, "M-O")[0]["companyId"]
        .as_i64()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let hook = json!({"type":"webhook.event","version":1,"scope":"store/company/created","store_hash":"abc123",
        "resource":{"type":"company","id":id},"data":{"company_id":id},"hash":"h-o","received_at":1,
        "created_at": now});
    let resp = rig.worker.handle(&event(&[record("w", &hook)])).await;
    assert!(resp.batch_item_failures.is_empty());
    let before = rig.admin("stats").await;
    let mut next = company("M-O2", "Next Co");
    next["idempotency_key"] = json!("next");
    rig.worker.handle(&event(&[record("n", &next)])).await;
    let after = rig.admin("stats").await;
    let delta_reads = requests_between(&before, &after)
        .get("GET /companies")
        .copied()
        .unwrap_or(0);
    assert_eq!(delta_reads, 0, "our own create's webhook asks for no read");
}

#[tokio::test]
async fn instances_starting_together_share_one_delta_read() {
    let mut rig = mirrored_rig().await;
    rig.worker.engine.context.mirror_max_age = std::time::Duration::from_secs(60);
    // Three instances (workers on the same state table) each get their own batch at once.
    let instances: Vec<Worker> = (0..3).map(|_| rig.worker.clone()).collect();
    let events: Vec<SqsEvent> = (0..3)
        .map(|i| {
            event(&new_companies(
                &format!("i{i}-"),
                &format!("I{i}-"),
                "Instance ",
                5,
            ))
        })
        .collect();
    let answers = futures_util::future::join_all(
        instances
            .iter()
            .zip(&events)
            .map(|(worker, batch)| worker.handle(batch)),
    )
    .await;
    for resp in answers {
        assert!(resp.batch_item_failures.is_empty());
    }
    let stats = rig.admin("stats").await;
    assert_eq!(
        route_count(&stats, "GET", "/companies"),
        1,
        "one instance read the changes; the others waited for its read"
    );
    let state = rig.admin("state").await;
    for i in 0..3 {
        for n in 0..5 {
            assert_eq!(companies_with(&state, &format!("I{i}-{n}")).len(), 1);
        }
    }
}

#[tokio::test]
async fn a_read_lease_left_by_a_dead_instance_only_delays_the_read() {
    let mut rig = mirrored_rig().await;
    rig.worker.engine.context.mirror_max_age = std::time::Duration::from_secs(60);
    // An instance took the lease and died: nobody releases it; it expires after a second.
    let lease = format!("{}#mirror#companies#reading", support::STORE);
    let taken = rig
        .worker
        .engine
        .context
        .state
        .claim(&lease, std::time::Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(taken, b2b_shared::state::Claim::New);
    let resp = rig
        .worker
        .handle(&event(&new_companies("d", "D-", "Dead ", 3)))
        .await;
    assert!(resp.batch_item_failures.is_empty());
    let stats = rig.admin("stats").await;
    assert_eq!(
        route_count(&stats, "GET", "/companies"),
        1,
        "read once the lease expired"
    );
    let state = rig.admin("state").await;
    for n in 0..3 {
        assert_eq!(companies_with(&state, &format!("D-{n}")).len(), 1);
    }
    assert!(
        !rig.worker
            .engine
            .context
            .state
            .is_claimed(&lease)
            .await
            .unwrap(),
        "the reader released the lease it took over"
    );
}
