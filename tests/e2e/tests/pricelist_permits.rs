//! BigCommerce allows 2 price-list record upserts in flight per store, whoever sends them. Three
//! real `upsert-worker` processes (as Lambda runs instances side by side) apply large price
//! lists at the same time, against moto (their state table) and the sandbox, which refuses a
//! third upsert in flight with 429 as BigCommerce does: the store-wide permits in the state
//! table keep the three together within the limit, so the sandbox never saw more than 2 and
//! refused none.

use std::time::Duration;

use b2b_test_support::lambda::{function_binary, FunctionProcess, Invoked};
use b2b_test_support::{moto, queue, sandbox, state_table, store_secret, unlimited, STORE};
use bc_sandbox::SandboxOptions;
use serde_json::{json, Value};

const WORKERS: usize = 3;
/// Records per command: 4 batches of 1,000, which one process sends 2 at a time.
const RECORDS: usize = 4_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_never_have_more_than_two_price_list_upserts_in_flight() {
    let sb = sandbox(SandboxOptions {
        catalog_products: 2_500,
        records_hold_ms: Some(150),
        ..unlimited()
    })
    .await;
    let price_list = b2b_test_support::price_list(&sb).await;

    let sdk = moto().await;
    let secret_id = store_secret(&sdk, "permits/store").await;
    let env = vec![
        ("BC_SECRET_ID", secret_id),
        ("BC_API_URL", sb.base_url()),
        ("B2B_API_URL", sb.base_url()),
        ("STATE_TABLE", state_table(&sdk).await),
        ("INBOUND_QUEUE_URL", queue(&sdk, "permits-inbound").await),
        ("DEAD_LETTER_QUEUE_URL", queue(&sdk, "permits-dlq").await),
        ("RUST_LOG", "warn".into()),
    ];
    let binary = function_binary("upsert-worker", false).unwrap_or_else(|e| panic!("{e}"));
    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        workers.push(
            FunctionProcess::start(&binary, "upsert-worker", &env, Duration::from_secs(60))
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        );
    }
    let event = |n: usize| {
        let records: Vec<Value> = (1..=RECORDS)
            .map(|v| json!({"variant_id": v, "currency": "usd", "price": 1.0 + n as f64}))
            .collect();
        let body = json!({"type": "pricelist.records.upsert", "version": 1, "store_hash": STORE,
            "external_id": format!("PL-{n}"), "price_list_id": price_list, "records": records});
        json!({"Records": [{
            "messageId": format!("m-{n}"), "receiptHandle": format!("rh-{n}"),
            "body": body.to_string(), "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {}, "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:inbound", "awsRegion": "us-east-1"
        }]})
    };
    let events: Vec<Value> = (0..WORKERS).map(event).collect();
    let answers = futures_util::future::join_all(
        workers
            .iter()
            .zip(&events)
            .map(|(w, e)| w.invoke(e, Duration::from_secs(120))),
    )
    .await;
    for (n, answer) in answers.into_iter().enumerate() {
        match answer {
            Ok(Invoked::Response(r)) => assert_eq!(
                r["batchItemFailures"],
                json!([]),
                "worker {n} failed its command (log: {})",
                workers[n].log.display()
            ),
            other => panic!("worker {n}: {other:?} (log: {})", workers[n].log.display()),
        }
    }
    let stats = b2b_test_support::admin(&sb, "stats").await;
    let peak = stats["peak_concurrent_pricelist_upserts"].as_u64().unwrap();
    let refused = stats["pricelist_concurrency_refusals"].as_u64().unwrap();
    assert!(peak <= 2, "{peak} upserts in flight at once");
    assert_eq!(
        refused, 0,
        "the sandbox refused {refused} upserts as a third in flight"
    );
    assert_eq!(
        peak, 2,
        "the test must run upserts side by side to mean anything"
    );
    eprintln!("price-list permits: {WORKERS} workers, peak {peak} in flight, 0 refused");
}
