//! Nothing lost when a function process dies mid-work. The real `upsert-worker` and
//! `order-export` binaries run under a Lambda Runtime API of the test's own
//! (`b2b_test_support::lambda`), against moto (secret, state table, queues) and the sandbox.
//! The test kills the process with SIGKILL in the middle of a batch or an export run, as a crash
//! or an out-of-memory kill would, starts a new one, and redelivers what was not answered, as SQS
//! and the next schedule do.
//!
//! - Worker: every command is applied exactly once (no entity twice, every field as asked), none
//!   is dead-lettered, and replaying every command afterwards writes nothing. A command killed
//!   mid-apply never lets an older version of its entity win afterwards.
//! - Export: after restarts, every order is delivered, and counted by dedupe key exactly once.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use b2b_test_support::lambda::{function_binary, FunctionProcess, Invoked};
use b2b_test_support::{all, moto, queue, sandbox, state_table, store_secret, STORE};
use bc_sandbox::{RunningSandbox, SandboxOptions};
use serde_json::{json, Value};

/// The function timeout the runtime API gives each invocation (the worker's leases follow it).
const TIMEOUT: Duration = Duration::from_secs(6);

/// When a killed invocation's leases have expired: its deadline plus the worker's margins (a
/// lease lasts the invocation's remaining time + 7 s).
const LEASE_HORIZON: Duration = Duration::from_secs(6 + 8);

/// The AWS side of a function: its store secret in Secrets Manager and its state table.
async fn aws_env(sandbox: &RunningSandbox) -> (aws_config::SdkConfig, Vec<(&'static str, String)>) {
    let sdk = moto().await;
    let secret_id = store_secret(&sdk, "kill/store").await;
    let table = state_table(&sdk).await;
    let env = vec![
        ("BC_SECRET_ID", secret_id),
        ("BC_API_URL", sandbox.base_url()),
        ("B2B_API_URL", sandbox.base_url()),
        ("STATE_TABLE", table),
        ("RUST_LOG", "info".into()),
    ];
    (sdk, env)
}

/// Messages on a queue now (moto counts exactly).
async fn queued(sqs: &aws_sdk_sqs::Client, url: &str) -> usize {
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap_or_else(|e| panic!("queue attributes: {e}"));
    attrs
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn writes(sandbox: &RunningSandbox) -> u64 {
    sandbox.app().stats.writes_total.load(Ordering::Relaxed)
}

fn requests(sandbox: &RunningSandbox) -> u64 {
    sandbox.app().stats.requests_total.load(Ordering::Relaxed)
}

/// Invokes `process` with `event`; when `kill_after` is set, kills the process once `counter`
/// has grown by that much during the invocation. Returns the answer, or `None` when killed.
async fn invoke_maybe_kill(
    process: &FunctionProcess,
    event: &Value,
    kill_after: Option<(u64, &dyn Fn() -> u64)>,
) -> Option<Value> {
    let invocation = process.invoke(event, Duration::from_secs(60));
    let killer = async {
        match kill_after {
            Some((n, counter)) => {
                let start = counter();
                while counter() < start + n {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                process.kill();
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        got = invocation => match got {
            Ok(Invoked::Response(v)) => Some(v),
            Ok(Invoked::Error(e)) => panic!("the function failed: {e}"),
            Err(e) => panic!("{e} (log: {})", process.log.display()),
        },
        _ = killer => {
            assert!(process.exited().is_some(), "the process is gone");
            None
        }
    }
}

/// One SQS record as Lambda delivers it.
fn record(id: &str, body: &str, receive_count: u32) -> Value {
    json!({
        "messageId": id,
        "receiptHandle": format!("rh-{id}-{receive_count}"),
        "body": body,
        "attributes": {"ApproximateReceiveCount": receive_count.to_string()},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:inbound",
        "awsRegion": "us-east-1",
    })
}

const COMPANIES: usize = 30;

/// Companies (with their admins), two buyers and an address each, and a status: 150 commands,
/// companies first so most buyers find their company.
fn commands() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for i in 0..COMPANIES {
        let c = format!("K-{i:03}");
        out.push(json!({"type":"company.upsert","version":1,"store_hash":STORE,"external_id":c,
            "company":{"name":format!("Killproof {i}"),"email":format!("ap@k{i}.example"),"phone":"555-0100",
                "country":"US","admin":{"first_name":"Admin","last_name":format!("K{i}"),"email":format!("admin@k{i}.example")}}}));
    }
    for i in 0..COMPANIES {
        let c = format!("K-{i:03}");
        for k in 0..2 {
            out.push(json!({"type":"user.upsert","version":1,"store_hash":STORE,"external_id":format!("KU-{i}-{k}"),
                "company_external_id":c,"user":{"first_name":format!("Buyer{k}"),"last_name":format!("K{i}"),
                "email":format!("buyer{k}@k{i}.example"),"role":"junior_buyer"}}));
        }
        out.push(json!({"type":"address.upsert","version":1,"store_hash":STORE,"external_id":format!("KA-{i}"),
            "company_external_id":c,"address":{"first_name":"Dock","last_name":"One","line1":format!("{i} Pier Rd"),
            "city":"Austin","zip_code":"78702","country_code":"US","is_shipping":true}}));
        out.push(json!({"type":"company.status","version":1,"store_hash":STORE,"external_id":c,"status":"approved"}));
    }
    out.into_iter()
        .enumerate()
        .map(|(n, v)| (format!("m-{n:03}"), v.to_string()))
        .collect()
}

/// Delivers `messages` to the worker as SQS would: batches of 10; an unanswered batch (the
/// process died) and every reported failure come back after a visibility timeout. Kills the
/// process during the batches in `kill_batches`, after a few of the batch's writes, and starts
/// a new one. Returns the number of kills that landed mid-batch.
async fn deliver(
    sandbox: &RunningSandbox,
    binary: &std::path::Path,
    env: &[(&str, String)],
    messages: &[(String, String)],
    kill_batches: &[usize],
) -> usize {
    let mut pending: VecDeque<(String, String, u32, Instant)> = messages
        .iter()
        .map(|(id, body)| (id.clone(), body.clone(), 0, Instant::now()))
        .collect();
    let mut process = FunctionProcess::start(binary, "upsert-worker", env, TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut kills = 0;
    let mut armed = 0;
    let mut batch_no = 0;
    let give_up = Instant::now() + Duration::from_secs(240);
    let counter = || writes(sandbox);
    while !pending.is_empty() {
        assert!(
            Instant::now() < give_up,
            "messages still undelivered: {pending:?}"
        );
        // The visible messages, up to 10.
        let now = Instant::now();
        let mut batch = Vec::new();
        let mut rest = VecDeque::new();
        while let Some(m) = pending.pop_front() {
            if batch.len() < 10 && m.3 <= now {
                batch.push(m);
            } else {
                rest.push_back(m);
            }
        }
        pending = rest;
        if batch.is_empty() {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        let records: Vec<Value> = batch
            .iter_mut()
            .map(|m| {
                m.2 += 1;
                record(&m.0, &m.1, m.2)
            })
            .collect();
        let event = json!({ "Records": records });
        // A planned kill stays armed until it lands: a batch that writes nothing (its buyers
        // wait for their company) cannot be killed mid-write.
        if kill_batches.contains(&batch_no) {
            armed += 1;
        }
        let kill = (armed > 0).then_some((1, &counter as &dyn Fn() -> u64));
        batch_no += 1;
        match invoke_maybe_kill(&process, &event, kill).await {
            Some(answer) => {
                let failed: BTreeSet<String> = answer["batchItemFailures"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_owned))
                    .collect();
                for m in batch {
                    if failed.contains(&m.0) {
                        pending.push_back((m.0, m.1, m.2, Instant::now() + Duration::from_secs(1)));
                    }
                }
            }
            None => {
                kills += 1;
                armed -= 1;
                // Nothing of the batch was acknowledged: all of it comes back after SQS's
                // visibility timeout, which is longer than the dead invocation's leases (6 x
                // the function timeout; here the lease's own horizon), and a new instance starts.
                let visible = Instant::now() + LEASE_HORIZON;
                for m in batch {
                    pending.push_back((m.0, m.1, m.2, visible));
                }
                process = FunctionProcess::start(binary, "upsert-worker", env, TIMEOUT)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
    kills
}

fn extra_field(company: &Value, name: &str) -> Option<String> {
    company["extraFields"]
        .as_array()?
        .iter()
        .find(|f| f["fieldName"] == name)
        .and_then(|f| f["fieldValue"].as_str().map(str::to_owned))
}

/// Groups `items` by `key`; fails on any duplicate.
fn unique_by(
    items: Vec<Value>,
    what: &str,
    key: impl Fn(&Value) -> Option<String>,
) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for item in items {
        let Some(k) = key(&item) else { continue };
        assert!(
            out.insert(k.clone(), item).is_none(),
            "{what} `{k}` exists twice"
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_killed_mid_batch_loses_nothing_and_applies_everything_once() {
    let binary = function_binary("upsert-worker", false).unwrap_or_else(|e| panic!("{e}"));
    let sandbox = sandbox(SandboxOptions {
        latency_ms: (10, 25),
        ..b2b_test_support::unlimited()
    })
    .await;
    let (sdk, mut env) = aws_env(&sandbox).await;
    let dlq = queue(&sdk, "kill-dlq").await;
    env.push(("INBOUND_QUEUE_URL", queue(&sdk, "kill-inbound").await));
    env.push(("DEAD_LETTER_QUEUE_URL", dlq.clone()));

    let messages = commands();
    let t0 = Instant::now();
    // Kill during the first batch (company creates), one mid-way and one among the buyers.
    let kills = deliver(&sandbox, &binary, &env, &messages, &[0, 3, 8]).await;
    assert_eq!(
        kills, 3,
        "every planned kill landed in the middle of a batch"
    );
    println!(
        "worker: {} commands, 3 kills mid-batch, all applied in {:.1} s",
        messages.len(),
        t0.elapsed().as_secs_f64()
    );

    // Exactly the expected entities, each once.
    let state = b2b_test_support::admin(&sandbox, "state").await;
    let companies = unique_by(all(&state, "companies"), "company", |c| {
        extra_field(c, "external_id")
    });
    assert_eq!(
        companies.len(),
        COMPANIES,
        "companies: {:?}",
        companies.keys()
    );
    for (ext, c) in &companies {
        let status = match &c["companyStatus"] {
            Value::String(s) => s.parse().ok(),
            v => v.as_i64(),
        };
        assert_eq!(status, Some(1), "company {ext} is approved");
    }
    let users = unique_by(all(&state, "users"), "user", |u| {
        u["email"].as_str().map(str::to_owned)
    });
    for i in 0..COMPANIES {
        for email in [
            format!("admin@k{i}.example"),
            format!("buyer0@k{i}.example"),
            format!("buyer1@k{i}.example"),
        ] {
            assert!(users.contains_key(&email), "user {email} exists");
        }
    }
    assert_eq!(users.len(), COMPANIES * 3, "no other users");
    let addresses = unique_by(all(&state, "addresses"), "address", |a| {
        a["externalId"].as_str().map(str::to_owned)
    });
    assert_eq!(addresses.len(), COMPANIES, "addresses");

    // Nothing dead-lettered.
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dead = b2b_test_support::drain(&sqs, &dlq).await;
    assert!(dead.is_empty(), "dead letters: {dead:?}");

    // Every command is recorded as done: a full replay (new instance) writes nothing.
    let before = writes(&sandbox);
    let kills = deliver(&sandbox, &binary, &env, &messages, &[]).await;
    assert_eq!(kills, 0);
    assert_eq!(
        writes(&sandbox),
        before,
        "a replay of every command writes nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_export_killed_mid_run_delivers_every_order_once_by_dedupe_key() {
    const ORDERS: usize = 300;
    let binary = function_binary("order-export", false).unwrap_or_else(|e| panic!("{e}"));
    let sandbox = sandbox(SandboxOptions {
        seed_orders: ORDERS,
        latency_ms: (2, 6),
        ..b2b_test_support::unlimited()
    })
    .await;
    let (sdk, mut env) = aws_env(&sandbox).await;
    let outbound = queue(&sdk, "kill-outbound").await;
    env.push(("OUTBOUND_QUEUE_URL", outbound.clone()));
    env.push(("EXPORT_STREAMS", "orders".into()));
    env.push(("EXPORT_START_DAYS", "3650".into()));
    env.push(("EXPORT_PAGE_SIZE", "25".into()));

    let counter = || requests(&sandbox);
    let schedule = json!({});
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let mut delivered_at_kill = Vec::new();
    let mut kills = 0;
    let mut runs = 0;
    // Two runs killed part-way (by BigCommerce requests made), then runs until one completes.
    for kill_after in [150_u64, 260] {
        let process =
            FunctionProcess::start(&binary, "order-export", &env, Duration::from_secs(60))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        runs += 1;
        match invoke_maybe_kill(&process, &schedule, Some((kill_after, &counter))).await {
            None => kills += 1,
            Some(report) => panic!("the run finished before the kill: {report}"),
        }
        delivered_at_kill.push(queued(&sqs, &outbound).await);
    }
    assert_eq!(kills, 2);
    // The kills landed part-way: some documents were out, not all.
    assert!(
        delivered_at_kill.iter().any(|n| *n > 0) && delivered_at_kill.iter().all(|n| *n < ORDERS),
        "documents delivered when the runs were killed: {delivered_at_kill:?}"
    );
    let process = FunctionProcess::start(&binary, "order-export", &env, Duration::from_secs(60))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    loop {
        runs += 1;
        assert!(runs < 20, "the export never completed");
        let report = invoke_maybe_kill(&process, &schedule, None)
            .await
            .unwrap_or_default();
        assert!(report["streams"]["orders"]["error"].is_null(), "{report}");
        if report["complete"] == json!(true) {
            break;
        }
    }

    let documents = b2b_test_support::drain(&sqs, &outbound).await;
    let mut by_key: BTreeMap<String, usize> = BTreeMap::new();
    let mut ids = BTreeSet::new();
    for d in &documents {
        let key = d["dedupe_key"]
            .as_str()
            .unwrap_or_else(|| panic!("no dedupe_key: {d}"));
        *by_key.entry(key.to_owned()).or_default() += 1;
        ids.insert(d["id"].as_i64().unwrap_or_else(|| panic!("no id: {d}")));
    }
    let state = b2b_test_support::admin(&sandbox, "state").await;
    let expected: BTreeSet<i64> = all(&state, "orders")
        .iter()
        .filter_map(|o| o["id"].as_i64())
        .collect();
    assert_eq!(expected.len(), ORDERS);
    assert_eq!(ids, expected, "every order is delivered");
    assert_eq!(by_key.len(), ORDERS, "one dedupe key per order");
    let repeats: usize = by_key.values().map(|n| n - 1).sum();
    println!(
        "export: {ORDERS} orders over {runs} runs ({kills} killed, with {delivered_at_kill:?} documents out): \
         {} documents, {repeats} repeats dropped by dedupe key",
        documents.len()
    );
}

/// Three companies and four purchase orders each (`order.create` by the company's external id).
fn purchase_orders() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for i in 0..3 {
        out.push(json!({"type":"company.upsert","version":1,"store_hash":STORE,"external_id":format!("KP-{i}"),
            "company":{"name":format!("Killproof buyer {i}"),"email":format!("ap@kp{i}.example"),"phone":"555-0100",
                "country":"US","admin":{"first_name":"Admin","last_name":format!("KP{i}"),"email":format!("admin@kp{i}.example")}}}));
    }
    for i in 0..3 {
        for k in 0..4 {
            out.push(json!({"type":"order.create","version":1,"store_hash":STORE,"external_id":format!("KP-{i}:PO-{k}"),
                "company_external_id":format!("KP-{i}"),
                "order":{"po_number":format!("PO-{i}-{k}"),"currency":"USD",
                    "lines":[{"sku":"SKU-001-1","quantity":k + 1,"unit_price":"12.50"}],
                    "bill_to":{"company":format!("Killproof buyer {i}"),"line1":"1 Main St","city":"Austin",
                        "zip_code":"78701","country_code":"US"}}}));
        }
    }
    out.into_iter()
        .enumerate()
        .map(|(n, v)| (format!("p-{n:03}"), v.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_killed_right_after_creating_orders_makes_each_purchase_order_once() {
    let binary = function_binary("upsert-worker", false).unwrap_or_else(|e| panic!("{e}"));
    let sandbox = sandbox(SandboxOptions {
        latency_ms: (10, 25),
        ..b2b_test_support::unlimited()
    })
    .await;
    let (sdk, mut env) = aws_env(&sandbox).await;
    let dlq = queue(&sdk, "kill-po-dlq").await;
    env.push(("INBOUND_QUEUE_URL", queue(&sdk, "kill-po-inbound").await));
    env.push(("DEAD_LETTER_QUEUE_URL", dlq.clone()));
    let messages = purchase_orders();
    // Each kill lands right after a batch's first write: a POST /v2/orders whose order exists
    // while the worker never recorded it.
    let kills = deliver(&sandbox, &binary, &env, &messages, &[1, 2]).await;
    assert_eq!(
        kills, 2,
        "every planned kill landed in the middle of a batch"
    );
    let state = b2b_test_support::admin(&sandbox, "state").await;
    let orders = unique_by(all(&state, "orders"), "order of purchase order", |o| {
        o["external_order_id"].as_str().map(str::to_owned)
    });
    for i in 0..3 {
        for k in 0..4 {
            let order = orders
                .get(&format!("KP-{i}:PO-{k}"))
                .unwrap_or_else(|| panic!("order KP-{i}:PO-{k} exists"));
            let id = order["id"].to_string();
            assert_eq!(
                state["b2b_orders"][&id]["poNumber"],
                format!("PO-{i}-{k}"),
                "the PO number of order {id}"
            );
        }
    }
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dead = b2b_test_support::drain(&sqs, &dlq).await;
    assert!(dead.is_empty(), "dead letters: {dead:?}");
    let before = writes(&sandbox);
    assert_eq!(deliver(&sandbox, &binary, &env, &messages, &[]).await, 0);
    assert_eq!(writes(&sandbox), before, "a replay writes nothing");
}

/// A `company.upsert` of `KV-1` named `name` at source version `version`.
fn versioned_company(name: &str, version: u64) -> String {
    json!({"type":"company.upsert","version":1,"store_hash":STORE,"external_id":"KV-1",
        "source_version":version,"trace_id":format!("kv-1-v{version}"),
        "company":{"name":name,"email":"ap@kv1.example","phone":"555-0100","country":"US",
            "admin":{"first_name":"Admin","last_name":"KV","email":"admin@kv1.example"}}})
    .to_string()
}

/// The names of the companies whose external id is `ext`.
async fn company_names(sandbox: &RunningSandbox, ext: &str) -> Vec<String> {
    let state = b2b_test_support::admin(sandbox, "state").await;
    all(&state, "companies")
        .iter()
        .filter(|c| extra_field(c, "external_id").as_deref() == Some(ext))
        .filter_map(|c| c["companyName"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_killed_mid_update_never_lets_an_older_version_win() {
    let binary = function_binary("upsert-worker", false).unwrap_or_else(|e| panic!("{e}"));
    let sandbox = sandbox(b2b_test_support::unlimited()).await;
    let (sdk, mut env) = aws_env(&sandbox).await;
    let dlq = queue(&sdk, "kill-version-dlq").await;
    env.push((
        "INBOUND_QUEUE_URL",
        queue(&sdk, "kill-version-inbound").await,
    ));
    env.push(("DEAD_LETTER_QUEUE_URL", dlq.clone()));
    let batch =
        |id: &str, body: String, receives: u32| json!({"Records": [record(id, &body, receives)]});
    let start = || FunctionProcess::start(&binary, "upsert-worker", &env, TIMEOUT);
    let process = start().await.unwrap_or_else(|e| panic!("{e}"));
    let one = batch("v1", versioned_company("Version One", 1), 1);
    let answer = invoke_maybe_kill(&process, &one, None).await;
    assert_eq!(
        answer.map(|a| a["batchItemFailures"].clone()),
        Some(json!([]))
    );
    assert_eq!(company_names(&sandbox, "KV-1").await, ["Version One"]);

    // Version 3 is killed right after its first write: the command never finished (no done
    // marker, its message not acknowledged).
    let three = versioned_company("Version Three", 3);
    let counter = || writes(&sandbox);
    let first = batch("v3", three.clone(), 1);
    let killed = invoke_maybe_kill(&process, &first, Some((1, &counter))).await;
    assert!(killed.is_none(), "the kill landed mid-command");

    // Version 2 (older) arrives before version 3's redelivery, at a new instance: stale.
    let process = start().await.unwrap_or_else(|e| panic!("{e}"));
    let before = writes(&sandbox);
    let two = batch("v2", versioned_company("Version Two", 2), 1);
    let answer = invoke_maybe_kill(&process, &two, None).await;
    assert_eq!(
        answer.map(|a| a["batchItemFailures"].clone()),
        Some(json!([]))
    );
    assert_eq!(writes(&sandbox), before, "the older version writes nothing");
    assert_eq!(company_names(&sandbox, "KV-1").await, ["Version Three"]);
    let log = std::fs::read_to_string(&process.log).unwrap_or_default();
    assert!(
        log.contains("\"Outcome\":\"stale\"") && log.contains("kv-1-v2"),
        "the stale command is logged and counted: {}",
        process.log.display()
    );

    // Version 3's redelivery, once the dead invocation's lease is over: applied, nothing lost.
    tokio::time::sleep(LEASE_HORIZON).await;
    let answer = invoke_maybe_kill(&process, &batch("v3", three, 2), None).await;
    assert_eq!(
        answer.map(|a| a["batchItemFailures"].clone()),
        Some(json!([]))
    );
    assert_eq!(company_names(&sandbox, "KV-1").await, ["Version Three"]);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dead = b2b_test_support::drain(&sqs, &dlq).await;
    assert!(dead.is_empty(), "dead letters: {dead:?}");
}
