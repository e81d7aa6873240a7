//! Procurement end to end with the real binaries (issue 22): a procurement system posts the
//! sample cXML purchase order to `POST /procurement/cxml` of `webhook-intake`, which answers a
//! cXML `Response` and enqueues an `order.create` (moto's SQS); the `upsert-worker` binary
//! creates the BigCommerce order in the sandbox (strict: every request checked against
//! BigCommerce's specs) for the company whose procurement identity is the PO's `From`, with
//! the PO number on its B2B record, and confirms it to the buyer's procurement system (a
//! simulator). The same PO sent again is answered 200 and creates nothing; a wrong shared
//! secret is 401 and enqueues nothing; an unknown SKU or buyer is 400 at once. A PO in euros
//! becomes an order in EUR at its amounts; one in a currency not in `STORE_CURRENCIES` is 400
//! naming it (issue 37).

mod common;

use b2b_test_support::lambda::{answer_of, http_post_text, FunctionProcess};
use b2b_test_support::{drain, moto, queue, state_table, unlimited};
use common::{admin_get, all, sandbox_store_secret_with, start_function, work_off};
use serde_json::{json, Value};

const SAMPLE: &str =
    include_str!("../../../functions/webhook-intake/events/cxml/order-request.xml");
/// The same buyer's purchase order in euros, as its procurement system sends it.
const SAMPLE_EUR: &str =
    include_str!("../../../functions/webhook-intake/events/cxml/order-request-eur.xml");

/// The store's cXML trading: supplier ACME-SUPPLY, trading with Northwind in test mode, whose
/// procurement system takes documents at `document_url`.
fn procurement(document_url: &str) -> Value {
    json!({"procurement": {"supplier": [{"domain": "NetworkID", "identity": "ACME-SUPPLY"}],
        "partners": [{"name": "northwind", "sender": {"domain": "NetworkID", "identity": "NORTHWIND-AN01"},
            "shared_secret": "s3cret-for-tests-0123456789abcdefgh", "deployment_mode": "test",
            "document_url": document_url}]}})
}

/// The cXML status code of an HTTP answer of webhook-intake.
fn cxml_status(answer: &Value) -> u16 {
    let body = answer["body"].as_str().unwrap_or_default();
    body.split(r#"<Status code=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no cXML Status in {answer}"))
}

/// The sandbox's orders (in a state dump) made for `external_id`.
fn orders_of(state: &Value, external_id: &str) -> Vec<Value> {
    all(state, "orders")
        .into_iter()
        .filter(|o| o["external_order_id"] == external_id)
        .collect()
}

async fn post_cxml(intake: &FunctionProcess, doc: &str) -> Value {
    answer_of(
        intake,
        &http_post_text("/procurement/cxml", "text/xml", doc),
    )
    .await
}

// Multi-threaded: the buyer's simulated system answers while the test waits on the worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cxml_purchase_order_becomes_one_order_with_its_po_number() {
    let sdk = moto().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let inbound = queue(&sdk, "po-inbound").await;
    let dlq = queue(&sdk, "po-dlq").await;
    // The buyer's procurement system, as far as it hears back: it takes one confirmation.
    let mut buyer_system = mockito::Server::new_async().await;
    let confirmation = buyer_system
        .mock("POST", "/cxml/inbound")
        .match_body(mockito::Matcher::AllOf(vec![
            mockito::Matcher::Regex(r#"<ConfirmationHeader type="accept""#.into()),
            mockito::Matcher::Regex(r#"<OrderReference orderID="PO-2026-0042""#.into()),
            mockito::Matcher::Regex(r#"<DocumentReference payloadID="1796300000.4711@procure.northwind.example"/>"#.into()),
        ]))
        .with_body(r#"<cXML payloadID="ack" timestamp="t"><Response><Status code="200" text="OK"/></Response></cXML>"#)
        .expect(1)
        .create_async()
        .await;
    let confirmation_eur = buyer_system
        .mock("POST", "/cxml/inbound")
        .match_body(mockito::Matcher::AllOf(vec![
            mockito::Matcher::Regex(r#"<ConfirmationHeader type="accept""#.into()),
            mockito::Matcher::Regex(r#"<OrderReference orderID="PO-2026-0043""#.into()),
            mockito::Matcher::Regex(r#"<Money currency="EUR">85.0000</Money>"#.into()),
        ]))
        .with_body(r#"<cXML payloadID="ack" timestamp="t"><Response><Status code="200" text="OK"/></Response></cXML>"#)
        .expect(1)
        .create_async()
        .await;
    let document_url = format!("{}/cxml/inbound", buyer_system.url());
    let secret_id = sandbox_store_secret_with(&sdk, "e2e-po", procurement(&document_url)).await;
    let sandbox = b2b_test_support::sandbox(unlimited().strict()).await;
    let env = vec![
        ("BC_SECRET_ID", secret_id),
        ("STATE_TABLE", state_table(&sdk).await),
        ("INBOUND_QUEUE_URL", inbound.clone()),
        ("DEAD_LETTER_QUEUE_URL", dlq.clone()),
        ("BC_API_URL", sandbox.base_url()),
        ("B2B_API_URL", sandbox.base_url()),
        ("RUST_LOG", "info".to_owned()),
        ("STORE_CURRENCIES", "USD,EUR".to_owned()),
    ];
    let intake = start_function("webhook-intake", &env).await;
    let worker = start_function("upsert-worker", &env).await;

    // The ERP made the buyer's company, with its procurement identity.
    common::northwind_company(&intake, &worker, &sqs, &inbound).await;

    // A SKU the catalog lacks, a buyer that is no company: refused at once, nothing queued.
    let unknown_sku = post_cxml(&intake, &SAMPLE.replace("SKU-002-2", "SKU-404")).await;
    assert_eq!(cxml_status(&unknown_sku), 400, "{unknown_sku}");
    assert!(unknown_sku["body"]
        .as_str()
        .unwrap()
        .contains("`SKU-404` is not in the catalog"));
    let stranger = post_cxml(
        &intake,
        &SAMPLE.replacen("NORTHWIND-AN01", "FABRIKAM-AN07", 1),
    )
    .await;
    assert_eq!(cxml_status(&stranger), 400, "{stranger}");
    assert!(stranger["body"]
        .as_str()
        .unwrap()
        .contains("`FABRIKAM-AN07` is not a company"));
    assert!(drain(&sqs, &inbound).await.is_empty());

    // The procurement system posts the PO: accepted synchronously, one command queued.
    let answer = post_cxml(&intake, SAMPLE).await;
    assert_eq!(
        (answer["statusCode"].as_i64(), cxml_status(&answer)),
        (Some(200), 200),
        "{answer}"
    );
    assert!(answer["body"]
        .as_str()
        .unwrap()
        .contains("1796300000.4711@procure.northwind.example.response"));
    let queued = drain(&sqs, &inbound).await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0]["type"], "order.create");
    assert_eq!(work_off(&worker, queued).await, 1);

    let state = admin_get(&sandbox, "state").await;
    let orders = orders_of(&state, "NORTHWIND-AN01:PO-2026-0042");
    assert_eq!(orders.len(), 1, "{orders:?}");
    let id = orders[0]["id"].as_i64().unwrap();
    assert_eq!(orders[0]["total_inc_tax"], "86.5000");
    // Made at the PO's prices; where the catalog asks otherwise, the staff are told.
    assert_eq!(
        orders[0]["staff_notes"],
        "PO PO-2026-0042\nDeliver before noon.\nPrice check: SKU-001-1 (line 1): 12.5000 on the PO, 11.0000 in the catalog; SKU-002-2 (line 2): 19.5000 on the PO, 12.5000 in the catalog"
    );
    assert_eq!(
        state["b2b_orders"][id.to_string()]["poNumber"],
        "PO-2026-0042"
    );
    let customer = &state["customers"][orders[0]["customer_id"].to_string()];
    assert_eq!(customer["email"], "nancy@northwind.example");
    // The buyer's system heard back: the order is accepted.
    confirmation.assert_async().await;

    // Sent again: the same answer, nothing queued. A wrong secret: 401, nothing queued.
    let again = post_cxml(&intake, SAMPLE).await;
    assert_eq!(cxml_status(&again), 200, "{again}");
    let forged = post_cxml(
        &intake,
        &SAMPLE.replace("s3cret-for-tests-0123456789abcdefgh", "guessed"),
    )
    .await;
    assert_eq!(
        (forged["statusCode"].as_i64(), cxml_status(&forged)),
        (Some(200), 401),
        "{forged}"
    );
    assert!(drain(&sqs, &inbound).await.is_empty());

    // Issue 37: a PO in a currency the store does not sell is refused naming it, nothing
    // queued; one in euros becomes an order in EUR at the PO's amounts.
    let pounds = post_cxml(
        &intake,
        &SAMPLE_EUR.replace(r#"currency="EUR""#, r#"currency="GBP""#),
    )
    .await;
    assert_eq!(cxml_status(&pounds), 400, "{pounds}");
    assert!(
        pounds["body"].as_str().unwrap().contains("`GBP`"),
        "{pounds}"
    );
    assert!(drain(&sqs, &inbound).await.is_empty());
    let euros = post_cxml(&intake, SAMPLE_EUR).await;
    assert_eq!(cxml_status(&euros), 200, "{euros}");
    assert_eq!(work_off(&worker, drain(&sqs, &inbound).await).await, 1);
    let state = admin_get(&sandbox, "state").await;
    let in_eur = orders_of(&state, "NORTHWIND-AN01:PO-2026-0043");
    assert_eq!(in_eur.len(), 1, "{in_eur:?}");
    let eur = &in_eur[0];
    assert_eq!(
        (&eur["default_currency_code"], &eur["currency_code"]),
        (&json!("EUR"), &json!("EUR")),
        "{eur}"
    );
    assert_eq!(eur["total_inc_tax"], "85.0000");
    assert_eq!(eur["shipping_cost_inc_tax"], "8.5000");
    // The catalog's prices are dollars: the staff are told they were not compared.
    assert_eq!(
        eur["staff_notes"],
        "PO PO-2026-0043\nPrice check: SKU-001-1 (line 1): not compared, no price in EUR (the catalog's are in USD); SKU-002-2 (line 2): not compared, no price in EUR (the catalog's are in USD)"
    );
    assert_eq!(
        state["b2b_orders"][eur["id"].to_string()]["currencyCode"],
        "EUR"
    );
    confirmation_eur.assert_async().await;
    assert!(drain(&sqs, &dlq).await.is_empty());
    let violations = sandbox.contract_violations();
    assert!(violations.is_empty(), "{violations:?}");
}
