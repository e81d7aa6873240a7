//! Receivables commands through the worker against the sandbox (contract strict: a request the
//! official spec refuses fails the test): invoices created once and updated by difference,
//! credit memos, invoices made from orders, balances with offline payments recorded once even
//! when an answer is lost, and every bad input a dead letter naming its field (or a retry, for a
//! company or invoice that may still be on its way).

mod common;

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use b2b_shared::queue::MemoryQueue;
use b2b_shared::state::MemoryState;
use b2b_shared::telemetry::{capture_metrics, metric_values};
use b2b_test_support as support;
use bc_sandbox::RunningSandbox;
use bigcommerce_b2b::ClientOptions;
use serde_json::{json, Value};
use upsert_worker::{Engine, Worker};

struct Rig {
    sandbox: RunningSandbox,
    worker: Worker,
    dlq: Arc<MemoryQueue>,
    http: reqwest::Client,
}

async fn rig() -> Rig {
    let sandbox = support::sandbox(support::unlimited().strict()).await;
    let client = support::client(&sandbox, ClientOptions::default());
    let dlq = Arc::new(MemoryQueue::default());
    let mut engine = Engine::new(
        client,
        Arc::new(MemoryState::default()),
        "external_id".into(),
    );
    engine.context.currencies = Arc::new(vec!["USD".into(), "EUR".into()]);
    let worker = common::worker(engine, dlq.clone());
    let rig = Rig {
        sandbox,
        worker,
        dlq,
        http: reqwest::Client::new(),
    };
    assert!(rig
        .handle(&[company("C-1"), company("C-2")])
        .await
        .is_empty());
    rig
}

fn company(ext: &str) -> Value {
    let lower = ext.to_lowercase();
    json!({"type": "company.upsert", "version": 1, "store_hash": support::STORE, "external_id": ext,
        "company": {"name": format!("Co {ext}"), "email": format!("ap@{lower}.example"), "phone": "555-0100",
        "country": "US", "admin": {"first_name": "A", "last_name": "B", "email": format!("admin@{lower}.example")}}})
}

fn invoice(ext: &str, company: &str, number: &str, open: &str) -> Value {
    json!({"type": "invoice.upsert", "version": 1, "store_hash": support::STORE, "external_id": ext,
        "company_external_id": company, "invoice": {
            "number": number, "currency": "USD", "total": "90.00", "open_balance": open,
            "issued_on": "2026-11-01", "due_on": "2026-12-01", "purchase_order_number": "PO-7",
            "lines": [{"sku": "A", "description": "Widget", "quantity": 2, "unit_price": "40.00"}],
            "costs": [{"description": "Freight", "amount": "10.00"}],
            "terms": "Net 30"}})
}

fn balance(ext: &str, company: &str, lines: Value, memo: Option<&str>) -> Value {
    let mut b = json!({"type": "invoice.balance", "version": 1, "store_hash": support::STORE,
        "external_id": ext, "company_external_id": company,
        "balance": {"currency": "USD", "invoices": lines}});
    if let Some(memo) = memo {
        b["balance"]["offline_payment"] = json!({"memo": memo, "payer_name": "Acme AP"});
    }
    b
}

impl Rig {
    async fn admin(&self, path: &str) -> Value {
        let url = format!("{}/__sandbox/{path}", self.sandbox.base_url());
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn post_admin(&self, path: &str, body: Value) -> Value {
        support::admin_post(&self.sandbox, path, &body).await
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

    async fn invoices(&self) -> Vec<Value> {
        let state = self.admin("state").await;
        state["invoices"]
            .as_object()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    async fn payments(&self) -> Vec<Value> {
        let state = self.admin("state").await;
        state["payments"]
            .as_object()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Requests served per route (`PUT /api/v3/io/ip/invoices/{invoiceId}` ...).
    async fn requests(&self, route: &str) -> u64 {
        let stats = self.admin("stats").await;
        stats["requests_by_route"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| k.as_str() == route)
            .map(|(_, n)| n.as_u64().unwrap())
            .sum()
    }

    fn dead_letters(&self) -> Vec<Value> {
        self.dlq.bodies()
    }

    /// The reasons of the dead letters, oldest first.
    fn reasons(&self) -> Vec<String> {
        self.dead_letters()
            .iter()
            .map(|d| d["error"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    async fn violations(&self) -> Vec<String> {
        self.sandbox
            .contract_violations()
            .iter()
            .map(|v| v.to_string())
            .collect()
    }
}

const PUT_INVOICE: &str = "PUT /api/v3/io/ip/invoices/{invoiceId}";
const POST_INVOICE: &str = "POST /api/v3/io/ip/invoices";

#[tokio::test]
async fn an_invoice_is_created_once_and_updated_by_difference() {
    let rig = rig().await;
    assert!(rig
        .handle(&[invoice("E-1", "C-1", "INV-1", "90")])
        .await
        .is_empty());
    let invoices = rig.invoices().await;
    assert_eq!(invoices.len(), 1, "{invoices:?}");
    let inv = &invoices[0];
    assert_eq!(inv["invoiceNumber"], "INV-1");
    assert_eq!(inv["externalId"], "E-1");
    assert_eq!(inv["externalCustomerId"], "C-1");
    assert_eq!(inv["openBalance"]["value"], "90.0000");
    assert_eq!(inv["status"], 0);
    assert_eq!(
        inv["details"]["header"]["costLines"][0]["amount"]["value"], "80.0000",
        "the subtotal of the lines comes first"
    );

    // The same invoice again (a fresh delivery, not a replay): nothing is written.
    let mut same = invoice("E-1", "C-1", "INV-1", "90");
    same["idempotency_key"] = json!("again");
    assert!(rig.handle(&[same]).await.is_empty());
    assert_eq!(rig.requests(PUT_INVOICE).await, 0);
    assert_eq!(rig.requests(POST_INVOICE).await, 1);

    // Part paid in the ERP: the balance and the status follow, nothing else is sent.
    assert!(rig
        .handle(&[invoice("E-1", "C-1", "INV-1", "50")])
        .await
        .is_empty());
    let inv = &rig.invoices().await[0];
    assert_eq!(inv["openBalance"]["value"], "50.0000");
    assert_eq!(inv["status"], 1);
    assert_eq!(rig.requests(PUT_INVOICE).await, 1);
    assert!(rig.dead_letters().is_empty(), "{:?}", rig.dead_letters());
    assert!(
        rig.violations().await.is_empty(),
        "{:?}",
        rig.violations().await
    );
}

#[tokio::test]
async fn invoices_synced_counts_the_invoices_the_portal_now_matches() {
    let rig = rig().await;
    let unknown_company = invoice("E-3", "C-404", "INV-3", "90");
    let batch = [
        invoice("E-1", "C-1", "INV-1", "90"),
        invoice("E-2", "C-1", "INV-2", "90"),
        unknown_company,
    ];
    let (failed, metrics) = capture_metrics(rig.handle(&batch)).await;
    assert_eq!(failed, ["m2"]);
    let synced = metric_values(&metrics, "InvoicesSynced");
    assert_eq!(synced.iter().map(|v| v.0).sum::<f64>(), 2.0, "{synced:?}");
    // Unchanged counts too (the portal matches the ERP); a replay does not.
    let mut again = invoice("E-1", "C-1", "INV-1", "90");
    again["idempotency_key"] = json!("fresh");
    let replay = invoice("E-2", "C-1", "INV-2", "90");
    let (_, metrics) = capture_metrics(rig.handle(&[again, replay])).await;
    let synced = metric_values(&metrics, "InvoicesSynced");
    assert_eq!(synced.iter().map(|v| v.0).sum::<f64>(), 1.0, "{synced:?}");
}

#[tokio::test]
async fn a_lost_create_answer_never_makes_a_second_invoice() {
    let rig = rig().await;
    rig.post_admin("faults", json!({"post_504_after_write": 1}))
        .await;
    let failed = rig.handle(&[invoice("E-9", "C-1", "INV-9", "90")]).await;
    assert_eq!(failed, ["m0"], "the lost answer is retried");
    assert_eq!(rig.invoices().await.len(), 1, "the create did happen");
    let mut again = invoice("E-9", "C-1", "INV-9", "90");
    again["idempotency_key"] = json!("redelivery");
    assert!(rig.handle(&[again]).await.is_empty());
    assert_eq!(
        rig.invoices().await.len(),
        1,
        "found by its number, not created again"
    );
    assert_eq!(rig.requests(POST_INVOICE).await, 1);
}

#[tokio::test]
async fn bad_invoices_are_dead_lettered_naming_the_field_and_a_missing_company_is_retried() {
    let rig = rig().await;
    assert!(rig
        .handle(&[invoice("E-1", "C-1", "INV-1", "90")])
        .await
        .is_empty());
    let mut euro_less = invoice("E-2", "C-1", "INV-2", "90");
    euro_less["invoice"]["currency"] = json!("GBP");
    let stolen_number = invoice("E-3", "C-2", "INV-1", "90");
    let failed = rig
        .handle(&[
            euro_less,
            stolen_number,
            invoice("E-4", "C-404", "INV-4", "90"),
        ])
        .await;
    assert_eq!(failed, ["m2"], "an unknown company may be on its way");
    let reasons: Vec<String> = rig
        .dead_letters()
        .iter()
        .map(|d| d["error"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("`invoice.currency` `GBP` is not a currency of the store")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(
            |r| r.contains("`invoice.number` `INV-1` is already invoice")
                && r.contains("external id `E-1`")
        ),
        "{reasons:?}"
    );
    assert_eq!(rig.invoices().await.len(), 1, "nothing else created");
}

/// The B2B id of company `ext`, as the sandbox holds it.
async fn company_id(rig: &Rig, ext: &str) -> i64 {
    let state = rig.admin("state").await;
    support::all(&state, "companies")
        .into_iter()
        .find(|c| c["companyName"] == format!("Co {ext}"))
        .and_then(|c| c["companyId"].as_i64())
        .unwrap_or_else(|| panic!("no company {ext}"))
}

/// `rig`'s sandbox and dead letters, served by another deployment (an empty state table: no
/// id map, no payment recorded).
fn another_deployment(rig: Rig) -> Rig {
    let client = support::client(&rig.sandbox, ClientOptions::default());
    let mut engine = Engine::new(
        client,
        Arc::new(MemoryState::default()),
        "external_id".into(),
    );
    engine.context.currencies = Arc::new(vec!["USD".into()]);
    Rig {
        worker: common::worker(engine, rig.dlq.clone()),
        ..rig
    }
}

#[tokio::test]
async fn an_invoice_of_another_company_is_never_taken_over() {
    let rig = rig().await;
    assert!(rig
        .handle(&[invoice("E-1", "C-1", "INV-1", "90")])
        .await
        .is_empty());
    let owner = company_id(&rig, "C-1").await;
    // The same number and external id, sent for another company (the ERP's mistake, or two
    // ledgers numbering alike): found by the id map, then by the number, and refused both ways.
    let taken = invoice("E-1", "C-2", "INV-1", "10");
    let mut again = taken.clone();
    again["idempotency_key"] = json!("fresh");
    assert!(rig.handle(&[taken]).await.is_empty());
    let other_state = another_deployment(rig);
    assert!(other_state.handle(&[again]).await.is_empty());
    let reasons = other_state.reasons();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    for r in &reasons {
        assert!(r.starts_with("`invoice.number` `INV-1`"), "{r}");
        assert!(
            r.contains(&format!("company {owner} (`C-1`)")) && r.contains("`C-2`"),
            "the owner found is named: {r}"
        );
    }
    let inv = &other_state.invoices().await[0];
    assert_eq!(inv["customerId"], owner.to_string(), "still C-1's");
    assert_eq!(inv["openBalance"]["value"], "90.0000");
    assert_eq!(
        other_state.requests(PUT_INVOICE).await,
        0,
        "nothing rewritten"
    );
}

#[tokio::test]
async fn an_invoice_is_never_made_from_another_companys_order() {
    let rig = rig().await;
    let order = place_order(&rig, "C-1").await;
    let mut from_order = invoice("E-7", "C-2", "ERP-7", "90");
    from_order["invoice"]["from_order"] = json!(true);
    from_order["invoice"]["order_id"] = json!(order);
    assert!(rig.handle(&[from_order]).await.is_empty());
    let dead = rig.dead_letters();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let reason = dead[0]["error"].as_str().unwrap();
    let owner = company_id(&rig, "C-1").await;
    assert!(
        reason.starts_with("`invoice.order_id`")
            && reason.contains(&format!("company {owner}"))
            && reason.contains("`C-2`"),
        "{reason}"
    );
    assert!(rig.invoices().await.is_empty(), "no invoice made");
    assert_eq!(
        rig.requests("POST /api/v3/io/ip/orders/{orderId}/invoices")
            .await,
        0
    );
}

#[tokio::test]
async fn a_payment_recorded_for_another_company_is_never_taken_as_this_ones() {
    let rig = rig().await;
    let invoices = [
        invoice("E-1", "C-1", "INV-1", "90"),
        invoice("E-2", "C-2", "INV-2", "90"),
    ];
    assert!(rig.handle(&invoices).await.is_empty());
    let paid = |company: &str, number: &str| {
        balance(
            "PAY-1",
            company,
            json!([{"invoice_number": number, "open_balance": "50", "paid": "40"}]),
            Some("Cheque 1"),
        )
    };
    assert!(rig.handle(&[paid("C-1", "INV-1")]).await.is_empty());
    // The same payment id from C-2's ledger: neither skipped as recorded nor applied.
    let mut theirs = paid("C-2", "INV-2");
    assert!(rig.handle(std::slice::from_ref(&theirs)).await.is_empty());
    // Nor by another deployment that finds it by its external id.
    theirs["idempotency_key"] = json!("fresh");
    let other_state = another_deployment(rig);
    assert!(other_state.handle(&[theirs]).await.is_empty());
    let reasons = other_state.reasons();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    let owner = company_id(&other_state, "C-1").await;
    for r in &reasons {
        assert!(
            r.contains("`PAY-1`") && r.contains(&format!("company {owner} (`C-1`)")),
            "{r}"
        );
    }
    let mut invoices = other_state.invoices().await;
    invoices.sort_by_key(|i| i["invoiceNumber"].as_str().map(str::to_owned));
    assert_eq!(
        invoices[1]["openBalance"]["value"], "90.0000",
        "C-2's invoice untouched"
    );
    assert_eq!(other_state.payments().await.len(), 1);
}

#[tokio::test]
async fn a_credit_memo_is_an_invoice_of_its_type_with_positive_amounts() {
    let rig = rig().await;
    let memo = json!({"type": "invoice.upsert", "version": 1, "store_hash": support::STORE,
        "external_id": "CM-1", "company_external_id": "C-1", "invoice": {
        "number": "CM-1", "kind": "credit_memo", "currency": "EUR", "total": "-30", "open_balance": "-30"}});
    assert!(
        rig.handle(&[memo]).await.is_empty(),
        "{:?}",
        rig.dead_letters()
    );
    let inv = &rig.invoices().await[0];
    assert_eq!(inv["type"], "Credit Memo");
    assert_eq!(inv["originalBalance"]["value"], "30.0000");
    assert_eq!(inv["openBalance"]["code"], "EUR");
}

#[tokio::test]
async fn a_cheque_is_recorded_once_as_an_offline_payment_and_the_balances_follow() {
    let rig = rig().await;
    let invoices = [
        invoice("E-1", "C-1", "INV-1", "90"),
        invoice("E-2", "C-1", "INV-2", "90"),
    ];
    assert!(rig.handle(&invoices).await.is_empty());
    let lines = json!([
        {"invoice_external_id": "E-1", "open_balance": "50", "paid": "40"},
        {"invoice_number": "INV-2", "open_balance": "0", "paid": "90"}]);
    let cheque = balance("PAY-1", "C-1", lines, Some("Cheque 1234"));
    // The payment's answer is lost: it was recorded, and the retry finds it.
    rig.post_admin("faults", json!({"post_504_after_write": 1}))
        .await;
    assert_eq!(rig.handle(std::slice::from_ref(&cheque)).await, ["m0"]);
    let mut again = cheque.clone();
    again["idempotency_key"] = json!("redelivery");
    assert!(
        rig.handle(&[again]).await.is_empty(),
        "{:?}",
        rig.dead_letters()
    );
    let payments = rig.payments().await;
    assert_eq!(payments.len(), 1, "recorded once: {payments:?}");
    assert_eq!(payments[0]["externalId"], "PAY-1");
    assert_eq!(payments[0]["total"]["value"], "130.0000");
    let mut invoices = rig.invoices().await;
    invoices.sort_by_key(|i| i["invoiceNumber"].as_str().map(str::to_owned));
    assert_eq!(invoices[0]["openBalance"]["value"], "50.0000");
    assert_eq!(invoices[0]["status"], 1);
    assert_eq!(invoices[1]["openBalance"]["value"], "0.0000");
    assert_eq!(invoices[1]["status"], 2);
    let state = rig.admin("state").await;
    assert_eq!(
        state["receipts"].as_object().map(|r| r.len()),
        Some(1),
        "one receipt for the one payment"
    );
    assert!(
        rig.violations().await.is_empty(),
        "{:?}",
        rig.violations().await
    );
}

#[tokio::test]
async fn balances_for_unknown_or_foreign_invoices_are_retried_or_refused() {
    let rig = rig().await;
    assert!(rig
        .handle(&[invoice("E-1", "C-1", "INV-1", "90")])
        .await
        .is_empty());
    let unknown = balance(
        "PAY-2",
        "C-1",
        json!([{"invoice_external_id": "E-404", "open_balance": "0"}]),
        None,
    );
    let foreign = balance(
        "PAY-3",
        "C-2",
        json!([{"invoice_number": "INV-1", "open_balance": "0"}]),
        None,
    );
    let failed = rig.handle(&[unknown, foreign]).await;
    assert_eq!(failed, ["m0"], "an invoice may still be on its way");
    let dead = rig.dead_letters();
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0]["error"]
            .as_str()
            .unwrap()
            .contains("belongs to another company"),
        "{dead:?}"
    );
    assert_eq!(rig.invoices().await[0]["openBalance"]["value"], "90.0000");
}

#[tokio::test]
async fn the_erp_never_raises_a_balance_a_newer_portal_payment_lowered() {
    let rig = rig().await;
    assert!(rig
        .handle(&[invoice("E-1", "C-1", "INV-1", "90")])
        .await
        .is_empty());
    let id = rig.invoices().await[0]["id"].as_i64().unwrap();
    let company = rig.invoices().await[0]["customerId"].clone();
    rig.post_admin(
        "invoice-payments",
        json!({"customerId": company, "lineItems": [{"invoiceId": id, "amount": "30.00"}]}),
    )
    .await;
    assert_eq!(rig.invoices().await[0]["openBalance"]["value"], "60.0000");
    // The ERP has not seen the portal payment yet and sends its older balance.
    let mut stale = invoice("E-1", "C-1", "INV-1", "90");
    stale["invoice"]["balance_as_of"] = json!("2020-01-01T00:00:00Z");
    stale["invoice"]["purchase_order_number"] = json!("PO-8");
    assert!(rig.handle(&[stale]).await.is_empty());
    let inv = &rig.invoices().await[0];
    assert_eq!(
        inv["openBalance"]["value"], "60.0000",
        "the portal's payment stands"
    );
    assert_eq!(
        inv["purchaseOrderNumber"], "PO-8",
        "the other changes are made"
    );
    assert!(rig.dead_letters().is_empty(), "{:?}", rig.dead_letters());
}

#[tokio::test]
async fn an_invoice_made_from_its_order_gets_the_erps_number_and_is_found_again() {
    let rig = rig().await;
    let order = place_order(&rig, "C-1").await;
    let mut from_order = invoice("E-7", "C-1", "ERP-7", "90");
    from_order["invoice"]["from_order"] = json!(true);
    from_order["invoice"]["order_id"] = json!(order);
    let total = state_total(&rig, order).await;
    from_order["invoice"]["total"] = json!(total);
    from_order["invoice"]["open_balance"] = json!(total);
    from_order["invoice"]
        .as_object_mut()
        .unwrap()
        .remove("lines");
    from_order["invoice"]
        .as_object_mut()
        .unwrap()
        .remove("costs");
    assert!(
        rig.handle(&[from_order.clone()]).await.is_empty(),
        "{:?}",
        rig.dead_letters()
    );
    let invoices = rig.invoices().await;
    assert_eq!(invoices.len(), 1);
    assert_eq!(invoices[0]["orderNumber"], order.to_string());
    assert_eq!(
        invoices[0]["invoiceNumber"], "ERP-7",
        "the ERP's number replaces the portal's"
    );
    assert_eq!(invoices[0]["externalId"], "E-7");
    // The same invoice again (a new delivery): found by its number, nothing created.
    from_order["idempotency_key"] = json!("again");
    assert!(rig.handle(&[from_order]).await.is_empty());
    assert_eq!(rig.invoices().await.len(), 1);
    assert_eq!(
        rig.requests("POST /api/v3/io/ip/orders/{orderId}/invoices")
            .await,
        1
    );
    assert!(
        rig.violations().await.is_empty(),
        "{:?}",
        rig.violations().await
    );
}

/// An order placed by company `ext`'s admin buyer (as the storefront would): its id.
async fn place_order(rig: &Rig, ext: &str) -> i64 {
    let state = rig.admin("state").await;
    let company = company_id(rig, ext).await;
    let customer = support::all(&state, "users")
        .into_iter()
        .find(|u| u["companyId"] == company)
        .unwrap()["customerId"]
        .clone();
    let placed = rig
        .post_admin(
            "orders",
            json!({"orders": [{"customer_id": customer, "products": [{"variant_id": 1, "quantity": 2}]}]}),
        )
        .await;
    placed["order_ids"][0].as_i64().unwrap()
}

/// An order's total as the sandbox keeps it (`total_inc_tax`).
async fn state_total(rig: &Rig, order: i64) -> String {
    let state = rig.admin("state").await;
    let total: f64 = state["orders"][order.to_string()]["total_inc_tax"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    format!("{total:.2}")
}
