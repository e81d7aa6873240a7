//! The example ERP consumer (`examples/outbound-consumer/consumer.py`) on real documents: the
//! `order-export` binary exports the sandbox's orders and company to the outbound queue (moto),
//! one order arrives twice (SQS delivers at least once; the export re-reads an overlap window),
//! and the consumer, run with the project's Python, hands them to an ERP stand-in that takes
//! orders and refuses customers. Every order is taken once and deleted, the repeat is dropped,
//! and the refused company stays on the queue for the redrive policy, each said on a line.

use std::process::Command;
use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use b2b_test_support::lambda::{answer_of, function_binary, workspace_root, FunctionProcess};
use b2b_test_support::{drain, moto, queue, sandbox, state_table, store_secret};
use bc_sandbox::SandboxOptions;
use serde_json::{json, Value};

const ORDERS: usize = 3;

/// A queue attribute as a number.
async fn attribute(sqs: &aws_sdk_sqs::Client, url: &str, name: QueueAttributeName) -> usize {
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(name.clone())
        .send()
        .await
        .unwrap_or_else(|e| panic!("queue attributes: {e}"));
    attrs
        .attributes()
        .and_then(|a| a.get(&name))
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

/// The documents one export run of the sandbox's orders and companies puts on a new queue,
/// taken off it; and the queue.
async fn exported(sdk: &aws_config::SdkConfig) -> (String, Vec<Value>) {
    let sandbox = sandbox(SandboxOptions {
        seed_orders: ORDERS,
        seed_companies: 1,
        ..b2b_test_support::unlimited()
    })
    .await;
    let outbound = queue(sdk, "consumer-outbound").await;
    let env = vec![
        ("BC_SECRET_ID", store_secret(sdk, "consumer/store").await),
        ("BC_API_URL", sandbox.base_url()),
        ("B2B_API_URL", sandbox.base_url()),
        ("STATE_TABLE", state_table(sdk).await),
        ("OUTBOUND_QUEUE_URL", outbound.clone()),
        ("EXPORT_STREAMS", "orders,companies".to_owned()),
        ("EXPORT_START_DAYS", "3650".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ];
    let binary = function_binary("order-export", false).unwrap_or_else(|e| panic!("{e}"));
    let export = FunctionProcess::start(&binary, "order-export", &env, Duration::from_secs(60))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let report = answer_of(&export, &json!({})).await;
    assert_eq!(report["complete"], true, "{report}");
    let docs = drain(&aws_sdk_sqs::Client::new(sdk), &outbound).await;
    (outbound, docs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_consumer_hands_each_document_over_once_and_leaves_a_refused_one() {
    let sdk = moto().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let (outbound, docs) = exported(&sdk).await;
    let order_ids: Vec<i64> = docs
        .iter()
        .filter(|d| d["type"] == "order")
        .filter_map(|d| d["id"].as_i64())
        .collect();
    let companies: Vec<&Value> = docs.iter().filter(|d| d["type"] == "company").collect();
    assert_eq!(order_ids.len(), ORDERS, "{docs:#?}");
    assert_eq!(companies.len(), 1, "{docs:#?}");
    let company_id = companies[0]["id"].as_i64().unwrap();
    // The documents back on the queue as the export wrote them, and one order a second time.
    let repeated = docs.iter().find(|d| d["type"] == "order").unwrap().clone();
    for doc in docs.iter().chain([&repeated]) {
        sqs.send_message()
            .queue_url(&outbound)
            .message_body(doc.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("send: {e}"));
    }

    // The ERP: takes orders, refuses customers.
    let mut erp = mockito::Server::new_async().await;
    let orders = erp
        .mock("PUT", mockito::Matcher::Regex(r"^/orders/[0-9]+$".into()))
        .match_body(mockito::Matcher::PartialJson(
            json!({"type": "order", "version": 1}),
        ))
        .with_status(204)
        .expect(ORDERS)
        .create_async()
        .await;
    let customers = erp
        .mock(
            "PUT",
            mockito::Matcher::Regex(r"^/customers/[0-9]+$".into()),
        )
        .with_status(503)
        .expect(1)
        .create_async()
        .await;

    let root = workspace_root();
    let (queue_url, erp_url) = (outbound.clone(), erp.url());
    let run = tokio::task::spawn_blocking(move || {
        Command::new(root.join(".venv/bin/python"))
            .arg(root.join("examples/outbound-consumer/consumer.py"))
            .args(["--queue-url", &queue_url, "--erp-url", &erp_url])
            .args(["--wait", "1", "--until-empty"])
            .output()
            .unwrap_or_else(|e| panic!("run the consumer: {e}"))
    })
    .await
    .unwrap();
    let printed = String::from_utf8_lossy(&run.stdout).into_owned();
    let errors = String::from_utf8_lossy(&run.stderr).into_owned();
    // 3: a document was left on the queue.
    assert_eq!(run.status.code(), Some(3), "{printed}\n{errors}");

    let mut lines: Vec<&str> = printed.lines().collect();
    lines.sort_unstable();
    let mut expected: Vec<String> = order_ids
        .iter()
        .map(|id| format!("taken order {id}: PUT /orders/{id}"))
        .collect();
    expected.push(format!(
        "repeat order {} ({}): dropped",
        repeated["id"],
        repeated["dedupe_key"].as_str().unwrap()
    ));
    expected.push(format!(
        "failed company {company_id}: the ERP answered 503 to PUT /customers/{company_id}; \
         left on the queue (receive 1)"
    ));
    expected.sort_unstable();
    assert_eq!(lines, expected, "{printed}\n{errors}");
    orders.assert_async().await;
    customers.assert_async().await;

    // Every order's message is gone; the company's is in flight, back after the visibility
    // timeout (and in the dead-letter queue after the redrive policy's receives).
    let visible = attribute(
        &sqs,
        &outbound,
        QueueAttributeName::ApproximateNumberOfMessages,
    )
    .await;
    let in_flight = attribute(
        &sqs,
        &outbound,
        QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
    )
    .await;
    assert_eq!((visible, in_flight), (0, 1), "{printed}");
}
