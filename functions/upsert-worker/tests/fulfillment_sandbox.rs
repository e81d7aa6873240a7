//! Fulfillment commands through the worker against the sandbox: shipments with tracking (by SKU
//! and by order line, partial and complete, two requests each, never twice, never beyond what
//! is left to ship), their corrections, and order statuses (mapped, unchanged without a write,
//! refusals as dead letters naming the field).

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use b2b_shared::queue::MemoryQueue;
use b2b_shared::state::MemoryState;
use b2b_test_support as support;
use bc_sandbox::{RunningSandbox, SandboxOptions};
use bigcommerce_b2b::ClientOptions;
use serde_json::{json, Value};
use upsert_worker::families::fulfillment::Fulfillment;
use upsert_worker::{Engine, Worker};

struct Rig {
    sandbox: RunningSandbox,
    worker: Worker,
    dlq: Arc<MemoryQueue>,
    http: reqwest::Client,
}

async fn rig() -> Rig {
    let sandbox = support::sandbox(SandboxOptions {
        seed_orders: 6,
        ..support::unlimited().strict()
    })
    .await;
    let client = support::client(&sandbox, ClientOptions::default());
    let dlq = Arc::new(MemoryQueue::default());
    let engine = Engine::new(
        client,
        Arc::new(MemoryState::default()),
        "external_id".into(),
    );
    engine.context.keep(Fulfillment {
        statuses: BTreeMap::from([("PICKING".to_owned(), 9), ("DONE".to_owned(), 10)]),
    });
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

    /// Handles `bodies` as one SQS batch; the ids of the records that failed (to retry).
    async fn handle(&self, bodies: &[Value]) -> Vec<String> {
        let records: Vec<Value> = bodies
            .iter()
            .enumerate()
            .map(|(i, b)| {
                json!({"messageId": format!("m{i}"), "receiptHandle": "rh", "body": b.to_string(),
                "attributes": {"ApproximateReceiveCount": "1"}, "eventSource": "aws:sqs"})
            })
            .collect();
        let event: SqsEvent = serde_json::from_value(json!({ "Records": records })).unwrap();
        let resp = self.worker.handle(&event).await;
        resp.batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect()
    }

    /// An order of the seeded store whose lines are all unshipped, with its lines.
    async fn open_order(&self, skip: usize) -> (i64, Vec<Value>) {
        let state = self.admin("state").await;
        let mut open: Vec<(i64, Vec<Value>)> = state["order_products"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(id, lines)| {
                (
                    id.parse::<i64>().unwrap(),
                    lines.as_array().unwrap().clone(),
                )
            })
            .filter(|(id, _)| {
                let status = state["orders"][id.to_string()]["status_id"].as_i64();
                !matches!(status, Some(0 | 4 | 5 | 6))
            })
            .collect();
        open.sort_by_key(|(id, _)| *id);
        open.remove(skip)
    }

    async fn order(&self, id: i64) -> Value {
        self.admin("state").await["orders"][id.to_string()].clone()
    }

    async fn shipments(&self, id: i64) -> Vec<Value> {
        self.admin("state").await["shipments"][id.to_string()]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    async fn requests(&self) -> u64 {
        self.admin("stats").await["requests_by_route"]
            .as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum()
    }
}

fn shipment(ext: &str, order: i64, lines: Value, tracking: &str) -> Value {
    json!({"type": "shipment.create", "version": 1, "store_hash": support::STORE, "external_id": ext,
        "order": {"id": order}, "shipment": {"lines": lines, "tracking_number": tracking,
        "shipping_provider": "ups", "comments": "from the 3PL"}})
}

fn status(ext: &str, order: Value, status: Value) -> Value {
    let mut v = json!({"type": "order.status", "version": 1, "store_hash": support::STORE,
        "external_id": ext, "order": order});
    match status {
        Value::Number(n) => v["status_id"] = Value::Number(n),
        other => v["status"] = other,
    }
    v
}

#[tokio::test]
async fn partial_shipments_by_sku_accumulate_in_two_requests_each_and_never_twice() {
    let rig = rig().await;
    let (order, lines) = rig.open_order(0).await;
    let first = &lines[0];
    let sku = first["sku"].as_str().unwrap();
    let ordered = first["quantity"].as_i64().unwrap();

    // One unit now (when more were ordered), the rest later.
    let before = rig.requests().await;
    let one = shipment(
        "SHIP-1",
        order,
        json!([{"sku": sku, "quantity": 1}]),
        "1Z001",
    );
    assert!(rig.handle(std::slice::from_ref(&one)).await.is_empty());
    assert_eq!(
        rig.requests().await - before,
        2,
        "the order with its lines, then the POST"
    );
    let made = rig.shipments(order).await;
    assert_eq!(made.len(), 1);
    assert_eq!(made[0]["tracking_number"], "1Z001");
    assert_eq!(made[0]["items"][0]["order_product_id"], first["id"]);

    // The identical replay: no request at all. The same shipment under another external id
    // (the ERP resent it): found by its tracking number, nothing created.
    let before = rig.requests().await;
    assert!(rig.handle(&[one]).await.is_empty());
    assert_eq!(rig.requests().await, before, "a replay makes no request");
    let resent = shipment(
        "SHIP-1-again",
        order,
        json!([{"sku": sku, "quantity": 1}]),
        "1Z001",
    );
    assert!(rig.handle(&[resent]).await.is_empty());
    assert_eq!(rig.shipments(order).await.len(), 1, "never created twice");

    // Beyond what is left: a dead letter naming the line, nothing created.
    let over = shipment(
        "SHIP-2",
        order,
        json!([{"order_product_id": first["id"], "quantity": ordered}]),
        "1Z002",
    );
    assert!(rig.handle(&[over]).await.is_empty());
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 1, "{dead:#?}");
    let reason = dead[0]["error"].as_str().unwrap();
    assert!(
        reason.contains(&format!("has {} of {ordered} left to ship", ordered - 1)),
        "{reason}"
    );

    // Everything left, every line: the order is Shipped.
    let rest: Vec<Value> = lines
        .iter()
        .map(|l| {
            let left = l["quantity"].as_i64().unwrap() - i64::from(l["id"] == first["id"]);
            json!({"order_product_id": l["id"], "quantity": left})
        })
        .filter(|l| l["quantity"].as_i64().unwrap() > 0)
        .collect();
    assert!(rig
        .handle(&[shipment("SHIP-3", order, json!(rest), "1Z003")])
        .await
        .is_empty());
    assert_eq!(rig.shipments(order).await.len(), 2);
    assert_eq!(rig.order(order).await["status_id"], 2, "Shipped");
    assert_eq!(rig.dlq.bodies().len(), 1);
    assert!(rig.sandbox.contract_violations().is_empty());
}

#[tokio::test]
async fn corrections_change_only_what_differs_and_a_deleted_shipment_can_ship_again() {
    let rig = rig().await;
    let (order, lines) = rig.open_order(1).await;
    let all: Vec<Value> = lines
        .iter()
        .map(|l| json!({"order_product_id": l["id"], "quantity": l["quantity"]}))
        .collect();
    assert!(rig
        .handle(&[shipment("SHIP-9", order, json!(all.clone()), "1Z900")])
        .await
        .is_empty());
    let update = |tracking: &str| {
        json!({"type": "shipment.update", "version": 1, "store_hash": support::STORE,
            "external_id": "SHIP-9", "order": {"id": order},
            "shipment": {"tracking_number": tracking, "shipping_provider": "ups"}})
    };
    assert!(rig.handle(&[update("1Z901")]).await.is_empty());
    assert_eq!(rig.shipments(order).await[0]["tracking_number"], "1Z901");
    let stats = rig.admin("stats").await;
    let puts = |s: &Value| {
        s["requests_by_route"]
            ["PUT /stores/{store_hash}/v2/orders/{order_id}/shipments/{shipment_id}"]
            .as_u64()
            .unwrap_or(0)
    };
    assert_eq!(puts(&stats), 1);
    // Already so (another idempotency key): read, not written.
    let mut again = update("1Z901");
    again["idempotency_key"] = json!("second-send");
    assert!(rig.handle(&[again]).await.is_empty());
    assert_eq!(puts(&rig.admin("stats").await), 1, "nothing differed");

    let delete = json!({"type": "shipment.delete", "version": 1, "store_hash": support::STORE,
        "external_id": "SHIP-9", "order": {"id": order}});
    assert!(rig.handle(&[delete]).await.is_empty());
    assert!(rig.shipments(order).await.is_empty());
    // Its quantities can ship again.
    assert!(rig
        .handle(&[shipment("SHIP-10", order, json!(all), "1Z902")])
        .await
        .is_empty());
    assert_eq!(rig.shipments(order).await.len(), 1);
    assert!(rig.dlq.bodies().is_empty(), "{:#?}", rig.dlq.bodies());
}

#[tokio::test]
async fn statuses_are_mapped_unchanged_without_a_write_and_refused_by_field() {
    let rig = rig().await;
    let (order, lines) = rig.open_order(2).await;
    // The reference is recorded by the first command naming both.
    let picking = status(
        "SO-7",
        json!({"id": order, "reference": "SO-7"}),
        json!("picking"),
    );
    assert!(rig.handle(&[picking]).await.is_empty());
    assert_eq!(rig.order(order).await["status_id"], 9, "Awaiting Shipment");
    let before = rig.requests().await;
    let same = status("SO-7", json!({"reference": "SO-7"}), json!(9));
    assert!(rig.handle(&[same]).await.is_empty());
    assert_eq!(rig.requests().await - before, 1, "read, not written");

    let bad = [
        status("SO-8", json!({"reference": "SO-unknown"}), json!(10)),
        status("SO-9", json!({"id": order}), json!("teleported")),
        status("SO-10", json!({"id": 999_999}), json!(10)),
        shipment(
            "SHIP-X",
            order,
            json!([{"sku": "NO-SUCH-SKU", "quantity": 1}]),
            "1Z",
        ),
        shipment(
            "SHIP-Y",
            order,
            json!([{"sku": lines[0]["sku"], "quantity": 2_147_483_648_i64}]),
            "1Z",
        ),
    ];
    assert!(rig.handle(&bad).await.is_empty(), "all permanent");
    let reasons: Vec<String> = rig
        .dlq
        .bodies()
        .iter()
        .map(|d| d["error"].as_str().unwrap().to_owned())
        .collect();
    let expect = [
        "`order.reference` `SO-unknown` is not known",
        "`status` `teleported` is neither in ORDER_STATUS_MAP nor a BigCommerce order status",
        "order 999999 does not exist (`order.id`)",
        "`shipment.lines[0].sku` `NO-SUCH-SKU` is not on order",
        "`shipment.lines[0].quantity` must be a whole number from 1 to 2147483647",
    ];
    assert_eq!(reasons.len(), expect.len(), "{reasons:#?}");
    for want in expect {
        assert!(
            reasons.iter().any(|r| r.contains(want)),
            "{want}: {reasons:#?}"
        );
    }

    // A cancelled order does not ship.
    assert!(rig
        .handle(&[status("SO-7", json!({"id": order}), json!("Cancelled"))])
        .await
        .is_empty());
    let line = &lines[0];
    let cancelled = shipment(
        "SHIP-Z",
        order,
        json!([{"order_product_id": line["id"], "quantity": 1}]),
        "1Z",
    );
    assert!(rig.handle(&[cancelled]).await.is_empty());
    let last = rig.dlq.bodies().last().cloned().unwrap();
    assert!(
        last["error"]
            .as_str()
            .unwrap()
            .contains("is 5 (Cancelled): it cannot ship"),
        "{last}"
    );
    assert!(rig.shipments(order).await.is_empty());
}

fn stock(kind: &str, ext: &str, items: Value) -> Value {
    json!({"type": kind, "version": 1, "store_hash": support::STORE, "external_id": ext,
        "reason": "ERP stock", "items": items})
}

impl Rig {
    async fn level(&self, location: i64, variant: i64) -> Option<i64> {
        self.admin("state").await["inventory"][format!("{location}:{variant:010}")].as_i64()
    }

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
}

#[tokio::test]
async fn stock_levels_by_sku_and_location_code_with_unknowns_dead_lettered_alone() {
    let rig = rig().await;
    let before = rig.requests().await;
    let set = stock(
        "inventory.set",
        "SNAP-1",
        json!([
            {"sku": "SKU-001-1", "location_code": "WH-EAST", "quantity": 40},
            {"sku": "SKU-001-2", "location_id": 3, "quantity": 7},
            {"variant_id": 3, "location_code": "WH-EAST", "quantity": 0},
            {"sku": "NO-SUCH-SKU", "location_code": "WH-EAST", "quantity": 5},
            {"sku": "SKU-002-1", "location_code": "WH-NORTH", "quantity": 5}
        ]),
    );
    assert!(rig.handle(std::slice::from_ref(&set)).await.is_empty());
    assert_eq!(rig.level(2, 1).await, Some(40));
    assert_eq!(rig.level(3, 2).await, Some(7));
    assert_eq!(rig.level(2, 3).await, Some(0));
    // Locations read twice (an unknown code reads them again), one SKU lookup, one variant-id
    // check, and one write for the three items (grouped by location, at most 2,000).
    assert_eq!(rig.requests().await - before, 5);
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 1, "{dead:#?}");
    let reason = dead[0]["error"].as_str().unwrap();
    assert!(
        reason.starts_with("2 of 5 items refused (3 applied)"),
        "{reason}"
    );
    assert!(
        reason.contains("`items[3].sku` `NO-SUCH-SKU` is not a variant SKU"),
        "{reason}"
    );
    assert!(
        reason.contains("`items[4].location_code` `WH-NORTH` is not a location"),
        "{reason}"
    );
    assert_eq!(dead[0]["partly_applied"], true);
    // The dead letter carries only what was refused: a redrive applies that, nothing twice.
    let rest: Value = serde_json::from_str(dead[0]["original"].as_str().unwrap()).unwrap();
    let skus: Vec<&str> = rest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["sku"].as_str().unwrap())
        .collect();
    assert_eq!(skus, ["NO-SUCH-SKU", "SKU-002-1"]);
    assert!(b2b_commands::Command::from_value(rest).is_ok());

    // Relative: applied once, its replay skipped.
    let minus = stock(
        "inventory.adjust",
        "RMA-9",
        json!([{"sku": "SKU-001-1", "location_code": "WH-EAST", "quantity": -3}]),
    );
    assert!(rig.handle(std::slice::from_ref(&minus)).await.is_empty());
    assert!(rig.handle(std::slice::from_ref(&minus)).await.is_empty());
    assert_eq!(rig.level(2, 1).await, Some(37));
}

#[tokio::test]
async fn a_relative_adjustment_whose_answer_was_lost_is_never_sent_again() {
    let rig = rig().await;
    // The write happens, the worker only sees a gateway timeout.
    rig.faults(json!({"post_504_after_write": 1})).await;
    let plus = stock(
        "inventory.adjust",
        "RECEIPT-1",
        json!([{"variant_id": 1, "location_id": 1, "quantity": 5}]),
    );
    assert!(rig.handle(std::slice::from_ref(&plus)).await.is_empty());
    assert_eq!(rig.level(1, 1).await, Some(105), "counted once");
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert!(
        dead[0]["error"]
            .as_str()
            .unwrap()
            .contains("may have counted"),
        "{}",
        dead[0]
    );
    // The same command again (SQS redelivers, or the ERP resends it): not sent again.
    assert!(rig.handle(std::slice::from_ref(&plus)).await.is_empty());
    assert_eq!(rig.level(1, 1).await, Some(105), "never counted twice");
    assert_eq!(rig.dlq.bodies().len(), 2);

    // An absolute level under the same fault is simply written again: it is safe to repeat.
    rig.faults(json!({"post_504_after_write": 1})).await;
    let set = stock(
        "inventory.set",
        "COUNT-1",
        json!([{"variant_id": 1, "location_id": 1, "quantity": 50}]),
    );
    assert!(rig.handle(std::slice::from_ref(&set)).await.is_empty());
    assert_eq!(rig.level(1, 1).await, Some(50));
    assert_eq!(rig.dlq.bodies().len(), 2);
}

#[tokio::test]
async fn one_orders_commands_in_a_batch_run_in_order_without_waiting_for_a_redelivery() {
    let rig = rig().await;
    let (order, lines) = rig.open_order(3).await;
    let all: Vec<Value> = lines
        .iter()
        .map(|l| json!({"order_product_id": l["id"], "quantity": l["quantity"]}))
        .collect();
    let batch = [
        status("SO-3", json!({"id": order}), json!("picking")),
        shipment("ASN-3", order, json!(all), "1Z300"),
        status("SO-3-done", json!({"id": order}), json!("DONE")),
    ];
    assert_eq!(
        rig.handle(&batch).await,
        Vec::<String>::new(),
        "none waits for a redelivery"
    );
    assert_eq!(rig.shipments(order).await.len(), 1);
    assert_eq!(
        rig.order(order).await["status_id"],
        10,
        "the last command of the batch wins: Completed"
    );
}
