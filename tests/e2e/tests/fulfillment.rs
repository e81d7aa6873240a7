//! Fulfillment end to end with the real binaries (issue 19): the ERP's shipment and status
//! commands go through `POST /inbound` of `webhook-intake` to the inbound queue (moto), and the
//! `upsert-worker` binary applies them to the sandbox (strict: every request checked against
//! BigCommerce's specs). A shipment by SKU lands on the order with its tracking number, the
//! order moves to Shipped, a resend creates nothing, and a line shipped beyond its quantity is
//! dead-lettered (moto's dead-letter queue) with the reason. A stock snapshot sets levels by SKU
//! and location code, its unknown SKU dead-lettered alone.

mod common;

use b2b_test_support::lambda::{answer_of, http_post};
use b2b_test_support::{drain, moto, queue, state_table, unlimited, STORE};
use bc_sandbox::SandboxOptions;
use common::{admin_get, sandbox_store_secret, sqs_record, start_function};
use serde_json::{json, Value};

#[tokio::test]
async fn the_erp_ships_an_order_and_the_buyer_sees_tracking() {
    let sdk = moto().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let inbound = queue(&sdk, "ful-inbound").await;
    let dlq = queue(&sdk, "ful-dlq").await;
    let secret_id = sandbox_store_secret(&sdk, "e2e-fulfillment").await;
    let sandbox = b2b_test_support::sandbox(SandboxOptions {
        seed_orders: 3,
        ..unlimited().strict()
    })
    .await;
    let env = vec![
        ("BC_SECRET_ID", secret_id),
        ("STATE_TABLE", state_table(&sdk).await),
        ("INBOUND_QUEUE_URL", inbound.clone()),
        ("DEAD_LETTER_QUEUE_URL", dlq.clone()),
        ("BC_API_URL", sandbox.base_url()),
        ("B2B_API_URL", sandbox.base_url()),
        ("ORDER_STATUS_MAP", "PICKING=Awaiting Shipment".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ];
    let state = admin_get(&sandbox, "state").await;
    let (order, lines) = state["order_products"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(id, _)| state["orders"][id.as_str()]["status_id"] == 11)
        .map(|(id, l)| (id.parse::<i64>().unwrap(), l.as_array().unwrap().clone()))
        .expect("an order awaiting fulfillment");
    let ship_all: Vec<Value> = lines
        .iter()
        .map(|l| json!({"sku": l["sku"], "quantity": l["quantity"]}))
        .collect();
    let command = |kind: &str, ext: &str, extra: Value| {
        let mut c = json!({"type": kind, "version": 1, "store_hash": STORE, "external_id": ext});
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let picking = command(
        "order.status",
        "SO-1",
        json!({"order": {"id": order, "reference": "SO-1"}, "status": "picking"}),
    );
    let shipped = command(
        "shipment.create",
        "ASN-1",
        json!({"order": {"reference": "SO-1"}, "shipment": {"lines": ship_all,
            "tracking_number": "1Z999AA10123456784", "shipping_provider": "ups"}}),
    );
    let resent = command(
        "shipment.create",
        "ASN-1-resent",
        json!({"order": {"id": order}, "shipment": {"lines": ship_all,
            "tracking_number": "1Z999AA10123456784", "shipping_provider": "ups"}}),
    );
    let over = command(
        "shipment.create",
        "ASN-2",
        json!({"order": {"id": order}, "shipment": {"lines": [{"order_product_id": lines[0]["id"], "quantity": 1}],
            "tracking_number": "1Z2"}}),
    );

    let intake = start_function("webhook-intake", &env).await;
    let worker = start_function("upsert-worker", &env).await;
    let key = b2b_test_support::stores::inbound_key(STORE);
    let snapshot = command(
        "inventory.set",
        "SNAP-1",
        json!({"items": [{"sku": "SKU-001-1", "location_code": "WH-EAST", "quantity": 12},
            {"sku": "SKU-001-2", "location_code": "WH-WEST", "quantity": 3},
            {"sku": "GONE-1", "location_code": "WH-WEST", "quantity": 9}]}),
    );
    // The status first, then the shipments, each its own batch: the order of an ERP's feed.
    for batch in [vec![picking], vec![shipped], vec![resent, over, snapshot]] {
        let answer = answer_of(&intake, &http_post("/inbound", &key, &json!(batch))).await;
        assert_eq!(answer["statusCode"], 202, "{answer}");
        let bodies = drain(&sqs, &inbound).await;
        assert_eq!(bodies.len(), batch.len());
        let records: Vec<Value> = bodies
            .iter()
            .enumerate()
            .map(|(i, b)| sqs_record(&format!("m{i}"), &b.to_string(), 1))
            .collect();
        // One order's commands in one batch run in order, none waiting for a redelivery.
        let answer = answer_of(&worker, &json!({ "Records": records })).await;
        assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
    }

    let state = admin_get(&sandbox, "state").await;
    let shipments = state["shipments"][order.to_string()].as_array().unwrap();
    assert_eq!(
        shipments.len(),
        1,
        "one shipment, never two: {shipments:#?}"
    );
    assert_eq!(shipments[0]["tracking_number"], "1Z999AA10123456784");
    assert_eq!(
        shipments[0]["generated_tracking_link"],
        "https://track.aftership.com/ups/1Z999AA10123456784"
    );
    assert_eq!(
        state["orders"][order.to_string()]["status_id"],
        2,
        "Shipped"
    );
    assert_eq!(state["inventory"]["2:0000000001"], 12);
    assert_eq!(state["inventory"]["3:0000000002"], 3);
    let mut dead = drain(&sqs, &dlq).await;
    dead.sort_by_key(|d| d["kind"].as_str().unwrap_or_default().to_owned());
    assert_eq!(dead.len(), 2, "{dead:#?}");
    assert_eq!(dead[0]["kind"], "inventory.set");
    assert!(
        dead[0]["error"]
            .as_str()
            .unwrap()
            .contains("`items[2].sku` `GONE-1` is not a variant SKU"),
        "{}",
        dead[0]
    );
    assert_eq!(dead[0]["partly_applied"], true);
    assert_eq!(dead[1]["kind"], "shipment.create");
    assert!(
        dead[1]["error"].as_str().unwrap().contains("has 0 of"),
        "{}",
        dead[1]
    );
    assert!(sandbox.contract_violations().is_empty());
}
