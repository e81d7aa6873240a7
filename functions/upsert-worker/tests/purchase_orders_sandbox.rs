//! `order.create` through the worker against the sandbox (contract strict: a request the
//! official spec refuses fails the test): a purchase order becomes one BigCommerce order for
//! the company's buyer at the agreed prices, with its PO number on the B2B record; a resend, or
//! a create whose answer was lost, makes no second order; an unknown SKU, buyer identity or
//! buyer email is a dead letter naming the field, and nothing is created.

mod common;

use std::sync::Arc;

use b2b_shared::queue::MemoryQueue;
use b2b_shared::state::MemoryState;
use b2b_shared::state::Watermarks;
use b2b_test_support as support;
use bc_sandbox::RunningSandbox;
use bigcommerce_b2b::ClientOptions;
use serde_json::{json, Value};
use upsert_worker::partners::Partners;
use upsert_worker::{procurement_key, Engine, Worker};

const POST_ORDER: &str = "POST /stores/{store_hash}/v2/orders";

struct Rig {
    sandbox: RunningSandbox,
    worker: Worker,
    dlq: Arc<MemoryQueue>,
    state: Arc<MemoryState>,
}

async fn rig() -> Rig {
    let sandbox = support::sandbox(support::unlimited().strict()).await;
    let client = support::client(&sandbox, ClientOptions::default());
    let dlq = Arc::new(MemoryQueue::default());
    let state = Arc::new(MemoryState::default());
    let engine = Engine::new(client, state.clone(), "external_id".into());
    let worker = common::worker(engine, dlq.clone());
    Rig {
        sandbox,
        worker,
        dlq,
        state,
    }
}

/// A company whose procurement identity is `identity`, its admin `admin@{ext}.example`.
fn company(ext: &str, identity: &str) -> Value {
    let lower = ext.to_lowercase();
    json!({"type": "company.upsert", "version": 1, "store_hash": support::STORE,
        "external_id": ext, "idempotency_key": support::unique("k"),
        "company": {"name": format!("Co {ext}"), "email": format!("ap@{lower}.example"),
        "phone": "555-0100", "country": "US", "extra_fields": {"procurement_id": identity},
        "admin": {"first_name": "Ada", "last_name": "Buyer", "email": format!("admin@{lower}.example")}}})
}

/// A purchase order of `identity` for 3 × SKU-001-1 at 12.50 and 1 × SKU-002-2 at 4.
fn purchase_order(po: &str, identity: &str) -> Value {
    json!({"type": "order.create", "version": 1, "store_hash": support::STORE,
        "external_id": format!("{identity}:{po}"), "idempotency_key": support::unique("k"),
        "company_identity": identity,
        "order": {"po_number": po, "currency": "USD",
            "lines": [{"sku": "SKU-001-1", "quantity": 3, "unit_price": "12.50"},
                      {"sku": "SKU-002-2", "quantity": 1, "unit_price": "4"}],
            "shipping": "10", "tax": "3.25", "total": "54.75",
            "ship_to": {"first_name": "Dock", "last_name": "Four", "company": "Acme", "line1": "9 Pier Rd",
                "city": "Austin", "state": "Texas", "zip_code": "78702", "country_code": "US"},
            "bill_to": {"company": "Acme", "line1": "1 Main St", "city": "Austin", "zip_code": "78701",
                "country_code": "US", "email": "ap@acme.example"},
            "comments": "Deliver to dock 4"}})
}

impl Rig {
    async fn handle(&self, bodies: &[Value]) -> Vec<String> {
        common::handle_received(&self.worker, bodies, 1).await
    }

    async fn requests(&self, route: &str) -> u64 {
        let stats = support::admin(&self.sandbox, "stats").await;
        stats["requests_by_route"][route].as_u64().unwrap_or(0)
    }

    /// The sandbox's orders with `external_order_id`.
    async fn orders_of(&self, external_id: &str) -> Vec<Value> {
        let state = support::admin(&self.sandbox, "state").await;
        support::all(&state, "orders")
            .into_iter()
            .filter(|o| o["external_order_id"] == external_id)
            .collect()
    }

    async fn state(&self, key: &str, id: i64) -> Value {
        support::admin(&self.sandbox, "state").await[key][id.to_string()].clone()
    }

    /// The reasons of the dead letters so far.
    fn dead_reasons(&self) -> Vec<String> {
        self.dlq
            .bodies()
            .iter()
            .map(|b| b["error"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    fn assert_contract_kept(&self) {
        let violations = self.sandbox.contract_violations();
        assert!(violations.is_empty(), "{violations:?}");
    }
}

#[tokio::test]
async fn a_purchase_order_becomes_one_order_for_the_buyer_with_its_po_number() {
    let rig = rig().await;
    assert!(rig.handle(&[company("C", "AN01")]).await.is_empty());
    assert!(rig
        .handle(&[purchase_order("4500012345", "AN01")])
        .await
        .is_empty());
    assert!(rig.dlq.bodies().is_empty(), "{:?}", rig.dead_reasons());
    let orders = rig.orders_of("AN01:4500012345").await;
    assert_eq!(orders.len(), 1, "{orders:?}");
    let order = &orders[0];
    let id = order["id"].as_i64().unwrap();
    // Placed by the company's administrator, at the agreed prices, with the PO's tax.
    let customer = rig
        .state("customers", order["customer_id"].as_i64().unwrap())
        .await;
    assert_eq!(customer["email"], "admin@c.example");
    assert_eq!(order["status_id"], 11);
    assert_eq!(order["subtotal_ex_tax"], "41.5000");
    assert_eq!(order["total_inc_tax"], "54.7500");
    assert_eq!(order["total_tax"], "3.2500");
    assert_eq!(order["billing_address"]["street_1"], "1 Main St");
    assert_eq!(order["billing_address"]["email"], "ap@acme.example");
    // Made at the PO's prices; the lines whose catalog price differs are noted for the staff.
    assert_eq!(
        order["staff_notes"],
        "PO 4500012345\nDeliver to dock 4\nPrice check: SKU-001-1 (line 1): 12.5000 on the PO, 11.0000 in the catalog; SKU-002-2 (line 2): 4.0000 on the PO, 12.5000 in the catalog"
    );
    let state = support::admin(&rig.sandbox, "state").await;
    let lines = state["order_products"][id.to_string()]
        .as_array()
        .unwrap()
        .clone();
    let priced: Vec<(String, i64, String)> = lines
        .iter()
        .map(|l| {
            (
                l["sku"].as_str().unwrap().to_owned(),
                l["quantity"].as_i64().unwrap(),
                l["price_ex_tax"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        priced,
        [
            ("SKU-001-1".into(), 3, "12.5000".into()),
            ("SKU-002-2".into(), 1, "4.0000".into())
        ]
    );
    let ship_to = &state["order_shipping_addresses"][id.to_string()][0];
    assert_eq!(
        (&ship_to["street_1"], &ship_to["zip"]),
        (&json!("9 Pier Rd"), &json!("78702"))
    );
    // The B2B record carries the PO number.
    assert_eq!(rig.state("b2b_orders", id).await["poNumber"], "4500012345");

    // Sent again (a new delivery, another idempotency key): no second order.
    assert!(rig
        .handle(&[purchase_order("4500012345", "AN01")])
        .await
        .is_empty());
    assert_eq!(rig.orders_of("AN01:4500012345").await.len(), 1);
    assert_eq!(rig.requests(POST_ORDER).await, 1);
    rig.assert_contract_kept();
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_found_and_not_repeated() {
    let rig = rig().await;
    assert!(rig.handle(&[company("C", "AN01")]).await.is_empty());
    // BigCommerce creates the order, then the gateway answers 504: the worker cannot know.
    support::admin_post(&rig.sandbox, "faults", &json!({"post_504_after_write": 1})).await;
    let po = purchase_order("4500000001", "AN01");
    assert_eq!(rig.handle(std::slice::from_ref(&po)).await.len(), 1);
    assert_eq!(rig.orders_of("AN01:4500000001").await.len(), 1);
    // The redelivery finds it by its external id and records the PO number; no second POST.
    assert!(rig.handle(&[po]).await.is_empty());
    let orders = rig.orders_of("AN01:4500000001").await;
    assert_eq!(orders.len(), 1);
    assert_eq!(rig.requests(POST_ORDER).await, 1);
    let id = orders[0]["id"].as_i64().unwrap();
    assert_eq!(rig.state("b2b_orders", id).await["poNumber"], "4500000001");
    assert!(rig.dlq.bodies().is_empty(), "{:?}", rig.dead_reasons());
    rig.assert_contract_kept();
}

#[tokio::test]
async fn what_cannot_be_ordered_is_a_dead_letter_naming_it_and_nothing_is_created() {
    let rig = rig().await;
    assert!(rig.handle(&[company("C", "AN01")]).await.is_empty());
    let mut unknown_sku = purchase_order("1", "AN01");
    unknown_sku["order"]["lines"][1]["sku"] = json!("NO-SUCH-SKU");
    let unknown_identity = purchase_order("2", "AN99");
    let mut unknown_buyer = purchase_order("3", "AN01");
    unknown_buyer["order"]["buyer_email"] = json!("nobody@c.example");
    let failed = rig
        .handle(&[unknown_sku, unknown_identity, unknown_buyer.clone()])
        .await;
    // The buyer not found may be on its way (a user.upsert behind it): retried, not dropped.
    assert_eq!(failed, ["m2"]);
    let mut reasons = rig.dead_reasons();
    reasons.sort();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons[1].contains("`order.lines[1].sku`: `NO-SUCH-SKU` is no variant"),
        "{reasons:?}"
    );
    assert!(
        reasons[0].contains("`company_identity`: no company of this store has `AN99` in its extra field `procurement_id`"),
        "{reasons:?}"
    );
    assert_eq!(rig.requests(POST_ORDER).await, 0);
    rig.assert_contract_kept();
}

#[tokio::test]
async fn an_order_from_cxml_remembers_the_purchase_order_its_confirmations_refer_to() {
    let rig = rig().await;
    assert!(rig.handle(&[company("C", "AN01")]).await.is_empty());
    let mut po = purchase_order("4500000042", "AN01");
    po["order"]["lines"][0]["line_number"] = json!(10);
    po["order"]["lines"][0]["unit_of_measure"] = json!("BX");
    po["procurement"] = json!({"partner": "acme-coupa", "payload_id": "1796300000.1@coupa",
        "order_id": "4500000042", "order_date": "2026-12-03T10:14:00-05:00"});
    assert!(rig.handle(std::slice::from_ref(&po)).await.is_empty());
    let id = rig.orders_of("AN01:4500000042").await[0]["id"]
        .as_i64()
        .unwrap();
    let record = rig
        .state
        .get_watermark(&procurement_key(support::STORE, id))
        .await
        .unwrap()
        .expect("the cXML origin is recorded");
    assert_eq!(record["procurement"]["payload_id"], "1796300000.1@coupa");
    assert_eq!(record["procurement"]["partner"], "acme-coupa");
    assert_eq!(record["po_number"], "4500000042");
    assert_eq!(record["total"], "54.7500");
    assert_eq!(
        record["lines"],
        json!([{"sku": "SKU-001-1", "quantity": 3, "line_number": 10, "unit_of_measure": "BX"},
               {"sku": "SKU-002-2", "quantity": 1, "line_number": 2, "unit_of_measure": null}])
    );
    // An ERP's own order.create (no procurement) records nothing.
    assert!(rig
        .handle(&[purchase_order("4500000043", "AN01")])
        .await
        .is_empty());
    let plain = rig.orders_of("AN01:4500000043").await[0]["id"]
        .as_i64()
        .unwrap();
    let none = rig
        .state
        .get_watermark(&procurement_key(support::STORE, plain))
        .await
        .unwrap();
    assert_eq!(none, None);
}

/// A rig whose store trades with partner `acme-coupa`, whose cXML endpoint is `partner`.
async fn rig_with_partner(partner: &mockito::ServerGuard) -> Rig {
    let rig = rig().await;
    let secret = b2b_shared::secrets::StoreSecret::from_json(
        &json!({"store_hash": support::STORE, "access_token": support::TOKEN,
            "procurement": {"supplier": [{"domain": "NetworkID", "identity": "ACME-SUPPLY"}],
                "partners": [{"name": "acme-coupa", "sender": {"domain": "NetworkID", "identity": "AN01"},
                    "shared_secret": "in-s3cret", "outbound_shared_secret": "out-s3cret",
                    "deployment_mode": "test", "document_url": format!("{}/cxml", partner.url())}]}})
        .to_string(),
    )
    .unwrap();
    let creds = b2b_shared::secrets::StaticCredentials(Arc::new(secret));
    rig.worker.engine.context.keep(Partners {
        store_secrets: Some(Arc::new(creds)),
        http: Some(reqwest::Client::new()),
    });
    rig
}

/// A purchase order that came as cXML from `acme-coupa`.
fn cxml_order(po: &str) -> Value {
    let mut cmd = purchase_order(po, "AN01");
    cmd["procurement"] = json!({"partner": "acme-coupa", "payload_id": format!("{po}.1@coupa"),
        "order_id": po, "order_date": "2026-12-03T10:14:00-05:00",
        "buyer": {"domain": "NetworkID", "identity": "AN01"}});
    cmd
}

fn cxml_answer(code: u16, text: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><cXML payloadID="r" timestamp="t"><Response><Status code="{code}" text="{text}"/></Response></cXML>"#
    )
}

#[tokio::test]
async fn an_order_from_cxml_is_confirmed_to_its_partner_once_it_exists() {
    let mut partner = mockito::Server::new_async().await;
    let rig = rig_with_partner(&partner).await;
    assert!(rig.handle(&[company("C", "AN01")]).await.is_empty());
    // The partner cannot take the confirmation at first: the command is retried, the order
    // itself made once.
    let busy = partner
        .mock("POST", "/cxml")
        .with_status(500)
        .with_body(cxml_answer(560, "Temporary server error"))
        .expect(1)
        .create_async()
        .await;
    let po = cxml_order("4500000077");
    assert_eq!(rig.handle(std::slice::from_ref(&po)).await.len(), 1);
    busy.assert_async().await;
    busy.remove_async().await;
    let taken = partner
        .mock("POST", "/cxml")
        .match_header("content-type", "text/xml; charset=UTF-8")
        .match_body(mockito::Matcher::AllOf(vec![
            mockito::Matcher::Regex(r#"<ConfirmationHeader type="accept" noticeDate="[^"]+" operation="new" confirmID="\d+">"#.into()),
            mockito::Matcher::Regex(r#"<Money currency="USD">54.7500</Money>"#.into()),
            mockito::Matcher::Regex(r#"<OrderReference orderID="4500000077" orderDate="2026-12-03T10:14:00-05:00"><DocumentReference payloadID="4500000077.1@coupa"/>"#.into()),
            mockito::Matcher::Regex("<SharedSecret>out-s3cret</SharedSecret>".into()),
            mockito::Matcher::Regex(r#"<To><Credential domain="NetworkID"><Identity>AN01</Identity>"#.into()),
            mockito::Matcher::Regex(r#"payloadID="confirm.accept.acme-coupa.4500000077@abc123.b2b-edition-toolkit""#.into()),
        ]))
        .with_body(cxml_answer(200, "OK"))
        .expect(1)
        .create_async()
        .await;
    assert!(rig.handle(&[po]).await.is_empty());
    taken.assert_async().await;
    assert_eq!(rig.orders_of("AN01:4500000077").await.len(), 1);
    assert_eq!(rig.requests(POST_ORDER).await, 1);
    assert!(rig.dlq.bodies().is_empty(), "{:?}", rig.dead_reasons());
}

#[tokio::test]
async fn an_order_that_can_never_be_made_is_rejected_to_its_partner_with_the_reason() {
    let mut partner = mockito::Server::new_async().await;
    let rig = rig_with_partner(&partner).await;
    assert!(rig.handle(&[company("C", "AN01")]).await.is_empty());
    let rejected = partner
        .mock("POST", "/cxml")
        .match_body(mockito::Matcher::AllOf(vec![
            mockito::Matcher::Regex(r#"<ConfirmationHeader type="reject""#.into()),
            mockito::Matcher::Regex("<Comments>order not created: `order.lines\\[1\\].sku`: `NO-SUCH-SKU` is no variant".into()),
        ]))
        .with_body(cxml_answer(200, "OK"))
        .expect(1)
        .create_async()
        .await;
    let mut po = cxml_order("4500000078");
    po["order"]["lines"][1]["sku"] = json!("NO-SUCH-SKU");
    assert!(rig.handle(&[po]).await.is_empty());
    rejected.assert_async().await;
    assert_eq!(rig.dead_reasons().len(), 1);
    assert_eq!(rig.requests(POST_ORDER).await, 0);

    // A partner that refuses the confirmation of a made order: a dead letter in its words.
    let refused = partner
        .mock("POST", "/cxml")
        .with_body(cxml_answer(406, "unknown orderID"))
        .expect(1)
        .create_async()
        .await;
    assert!(rig.handle(&[cxml_order("4500000079")]).await.is_empty());
    refused.assert_async().await;
    let reasons = rig.dead_reasons();
    assert_eq!(reasons.len(), 2);
    assert!(
        reasons[1].contains("answered document confirm.accept.acme-coupa.4500000079@abc123.b2b-edition-toolkit with cXML 406 unknown orderID"),
        "{reasons:?}"
    );
    assert!(!reasons.iter().any(|r| r.contains("s3cret")), "{reasons:?}");
}

#[tokio::test]
async fn each_shipment_of_an_order_from_cxml_is_announced_by_the_po_line_numbers() {
    let mut partner = mockito::Server::new_async().await;
    let rig = rig_with_partner(&partner).await;
    assert!(rig.handle(&[company("C", "AN01")]).await.is_empty());
    let accepted = partner
        .mock("POST", "/cxml")
        .match_body(mockito::Matcher::Regex("ConfirmationRequest".into()))
        .with_body(cxml_answer(200, "OK"))
        .expect(1)
        .create_async()
        .await;
    let mut po = cxml_order("4500000081");
    po["order"]["lines"][0]["line_number"] = json!(10);
    po["order"]["lines"][1]["line_number"] = json!(20);
    po["order"]["lines"][1]["unit_of_measure"] = json!("BX");
    assert!(rig.handle(&[po]).await.is_empty());
    accepted.assert_async().await;

    // The 3PL ships the second line (by SKU), with UPS tracking; the order is named by the
    // PO's external id.
    let announced = partner
        .mock("POST", "/cxml")
        .match_body(mockito::Matcher::AllOf(vec![
            mockito::Matcher::Regex(r#"<ShipNoticeHeader shipmentID="\d+" operation="new""#.into()),
            mockito::Matcher::Regex(r#"<CarrierIdentifier domain="companyName">ups</CarrierIdentifier><ShipmentIdentifier>1Z999AA1</ShipmentIdentifier>"#.into()),
            mockito::Matcher::Regex(r#"<OrderReference orderID="4500000081" orderDate="[^"]+"><DocumentReference payloadID="4500000081.1@coupa"/></OrderReference><ShipNoticeItem lineNumber="20" quantity="1"><UnitOfMeasure>BX</UnitOfMeasure></ShipNoticeItem></ShipNoticePortion>"#.into()),
            mockito::Matcher::Regex("<SharedSecret>out-s3cret</SharedSecret>".into()),
        ]))
        .with_body(cxml_answer(200, "OK"))
        .expect(1)
        .create_async()
        .await;
    let ship = json!({"type": "shipment.create", "version": 1, "store_hash": support::STORE,
        "external_id": "SHIP-81-1", "order": {"reference": "AN01:4500000081"},
        "shipment": {"lines": [{"sku": "SKU-002-2", "quantity": 1}], "tracking_number": "1Z999AA1",
        "shipping_provider": "ups"}});
    assert!(rig.handle(&[ship]).await.is_empty());
    // BigCommerce's webhook about that shipment follows: it was announced already.
    let id = rig.orders_of("AN01:4500000081").await[0]["id"]
        .as_i64()
        .unwrap();
    let hook = json!({"type": "webhook.event", "version": 1, "scope": "store/shipment/created",
        "store_hash": support::STORE, "data": {"type": "shipment", "orderId": id},
        "hash": "h-ship-81", "received_at": 1});
    assert!(rig.handle(&[hook]).await.is_empty());
    announced.assert_async().await;
    assert!(rig.dlq.bodies().is_empty(), "{:?}", rig.dead_reasons());
    rig.assert_contract_kept();
}

#[tokio::test]
async fn a_shipment_made_outside_the_toolkit_is_announced_once_from_its_webhook() {
    let mut partner = mockito::Server::new_async().await;
    let (rig, _accepted, id) = rig_with_cxml_order(&mut partner, "4500000091").await;
    // The warehouse ships the first line in the control panel (the sandbox's API, as it would).
    let state = support::admin(&rig.sandbox, "state").await;
    let first = state["order_products"][id.to_string()][0]["id"]
        .as_i64()
        .unwrap();
    let made = support::core_post(
        &rig.sandbox,
        &format!("/v2/orders/{id}/shipments"),
        &json!({"order_address_id": id, "items": [{"order_product_id": first, "quantity": 3}],
            "tracking_number": "1Z-PANEL-1", "shipping_provider": "fedex"}),
    )
    .await;
    let shipment = made["id"].as_i64().unwrap();
    let announced = partner
        .mock("POST", "/cxml")
        .match_body(mockito::Matcher::AllOf(vec![
            mockito::Matcher::Regex(format!(r#"<ShipNoticeHeader shipmentID="{shipment}""#)),
            mockito::Matcher::Regex(r#"<CarrierIdentifier domain="companyName">fedex</CarrierIdentifier><ShipmentIdentifier>1Z-PANEL-1</ShipmentIdentifier>"#.into()),
            mockito::Matcher::Regex(r#"<ShipNoticeItem lineNumber="1" quantity="3">"#.into()),
        ]))
        .with_body(cxml_answer(200, "OK"))
        .expect(1)
        .create_async()
        .await;
    let hook = json!({"type": "webhook.event", "version": 1, "scope": "store/shipment/created",
        "store_hash": support::STORE, "resource": {"type": "shipment", "id": shipment},
        "data": {"type": "shipment", "id": shipment, "orderId": id}, "hash": "h-ship", "received_at": 1});
    assert!(rig.handle(std::slice::from_ref(&hook)).await.is_empty());
    // Delivered again (or another shipment event of the order): announced once.
    assert!(rig.handle(&[hook]).await.is_empty());
    announced.assert_async().await;
    // A webhook about an order that did not come from cXML sends nothing.
    let other = json!({"type": "webhook.event", "version": 1, "scope": "store/shipment/created",
        "store_hash": support::STORE, "data": {"type": "shipment", "id": 1, "orderId": 100},
        "hash": "h-ship-100", "received_at": 1});
    assert!(rig.handle(&[other]).await.is_empty());
    assert!(rig.dlq.bodies().is_empty(), "{:?}", rig.dead_reasons());
}

#[tokio::test]
async fn an_order_in_a_currency_the_store_does_not_sell_in_is_a_dead_letter_naming_it() {
    let mut rig = rig().await;
    rig.worker.engine.context.currencies = Arc::new(vec!["EUR".to_owned()]);
    assert!(rig.handle(&[company("C", "AN01")]).await.is_empty());
    assert!(rig
        .handle(&[purchase_order("4500000099", "AN01")])
        .await
        .is_empty());
    let reasons = rig.dead_reasons();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].contains("`order.currency` `USD` is not a currency of the store (EUR)"),
        "{reasons:?}"
    );
    assert_eq!(rig.requests(POST_ORDER).await, 0);
}

#[tokio::test]
async fn prices_that_differ_from_the_companys_price_list_are_noted_and_the_po_price_stands() {
    use bigcommerce_b2b::core::{PriceListAssignment, PriceRecord};
    let rig = rig().await;
    rig.handle(&[company("PL", "PL-AN01")]).await;
    let state = support::admin(&rig.sandbox, "state").await;
    let made = support::all(&state, "companies")
        .into_iter()
        .find(|c| c["companyName"] == "Co PL")
        .expect("the company");
    let group = made["bcGroupId"]
        .as_i64()
        .or_else(|| made["bcGroupId"].as_str().and_then(|g| g.parse().ok()))
        .expect("a customer group");
    let client = support::client(&rig.sandbox, ClientOptions::default());
    let core = client.core();
    let list_id = support::price_list(&rig.sandbox).await;
    let record = |variant_id: i64, price: f64| PriceRecord {
        variant_id: Some(variant_id),
        sku: None,
        currency: "usd".into(),
        price: Some(price),
        sale_price: None,
        retail_price: None,
        map_price: None,
        bulk_pricing_tiers: Vec::new(),
    };
    // SKU-001-1 is variant 1, SKU-002-2 variant 4.
    core.upsert_price_records(list_id, &[record(1, 12.5), record(4, 5.0)])
        .await
        .unwrap();
    core.assign_price_lists(&[PriceListAssignment {
        price_list_id: list_id,
        customer_group_id: group,
        channel_id: 1,
    }])
    .await
    .unwrap();
    rig.handle(&[purchase_order("PL-1", "PL-AN01")]).await;
    let orders = rig.orders_of("PL-AN01:PL-1").await;
    assert_eq!(orders.len(), 1, "{:?}", rig.dead_reasons());
    assert_eq!(orders[0]["subtotal_ex_tax"], "41.5000");
    assert_eq!(
        orders[0]["staff_notes"],
        format!(
            "PO PL-1\nDeliver to dock 4\nPrice check: SKU-002-2 (line 2): 4.0000 on the PO, 5.0000 in price list {}",
            list_id
        )
    );
    rig.assert_contract_kept();
}

#[tokio::test]
async fn an_order_from_cxml_cancelled_in_bigcommerce_is_rejected_to_the_buyer_once() {
    let mut partner = mockito::Server::new_async().await;
    let (rig, _accepted, id) = rig_with_cxml_order(&mut partner, "4500000071").await;
    let status_hook = |hash: &str| {
        json!({"type": "webhook.event", "version": 1, "scope": "store/order/statusUpdated",
            "store_hash": support::STORE, "resource": {"type": "order", "id": id},
            "data": {"type": "order", "id": id, "status": {"previous_status_id": 11, "new_status_id": 5}},
            "hash": hash, "received_at": 1})
    };
    let rejected = partner
        .mock("POST", "/cxml")
        .match_body(mockito::Matcher::AllOf(vec![
            mockito::Matcher::Regex(format!(
                r#"<ConfirmationHeader type="reject" noticeDate="[^"]+" operation="new" confirmID="{id}""#
            )),
            mockito::Matcher::Regex(format!("order {id} was cancelled<")),
            mockito::Matcher::Regex(r#"<OrderReference orderID="4500000071""#.into()),
        ]))
        .with_body(cxml_answer(200, "OK"))
        .expect(1)
        .create_async()
        .await;
    // A status event while the order is still open sends nothing (the status is read).
    assert!(rig.handle(&[status_hook("h-open")]).await.is_empty());
    let http = reqwest::Client::new();
    let put = http
        .put(format!("{}/v2/orders/{id}", rig.sandbox.core_base_url()))
        .header("X-Auth-Token", support::TOKEN)
        .json(&json!({"status_id": 5}))
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.text().await.unwrap());
    let failed = rig.handle(&[status_hook("h-cancel")]).await;
    assert!(failed.is_empty(), "{failed:?} {:?}", rig.dead_reasons());
    // Delivered again: rejected once.
    assert!(rig.handle(&[status_hook("h-cancel-2")]).await.is_empty());
    rejected.assert_async().await;
    assert!(rig.dlq.bodies().is_empty(), "{:?}", rig.dead_reasons());
    rig.assert_contract_kept();
}

#[tokio::test]
async fn a_cxml_order_whose_buyer_never_appears_is_rejected_on_its_last_receive() {
    let mut partner = mockito::Server::new_async().await;
    let rig = rig_with_partner(&partner).await;
    assert!(rig.handle(&[company("C", "AN01")]).await.is_empty());
    let mut po = cxml_order("4500000061");
    po["order"]["buyer_email"] = json!("ghost@c.example");
    let rejected = partner
        .mock("POST", "/cxml")
        .match_body(mockito::Matcher::AllOf(vec![
            mockito::Matcher::Regex(r#"<ConfirmationHeader type="reject""#.into()),
            mockito::Matcher::Regex("ghost@c.example".into()),
        ]))
        .with_body(cxml_answer(200, "OK"))
        .expect(1)
        .create_async()
        .await;
    // Retried while the buyer may be on its way: nothing said yet.
    assert_eq!(rig.handle(std::slice::from_ref(&po)).await, ["m0"]);
    assert!(rig.dlq.bodies().is_empty());
    // The last receive: rejected to the buyer, then parked with the reason.
    let last = common::handle_received(
        &rig.worker,
        std::slice::from_ref(&po),
        upsert_worker::DEFAULT_MAX_RECEIVES,
    )
    .await;
    assert!(last.is_empty(), "{last:?}");
    rejected.assert_async().await;
    let reasons = rig.dead_reasons();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].contains("ghost@c.example")
            && reasons[0].contains("rejected to the buyer's procurement system"),
        "{reasons:?}"
    );
    assert_eq!(rig.requests(POST_ORDER).await, 0);
}

/// A rig trading with `partner`, which takes every acceptance, with company `C` (`AN01`) and
/// the order made of cXML PO `po`: the rig, the acceptance mock and the order's id.
async fn rig_with_cxml_order(
    partner: &mut mockito::ServerGuard,
    po: &str,
) -> (Rig, mockito::Mock, i64) {
    let rig = rig_with_partner(partner).await;
    assert!(rig.handle(&[company("C", "AN01")]).await.is_empty());
    let accepted = partner
        .mock("POST", "/cxml")
        .match_body(mockito::Matcher::Regex(r#"type="accept""#.into()))
        .with_body(cxml_answer(200, "OK"))
        .create_async()
        .await;
    assert!(rig.handle(&[cxml_order(po)]).await.is_empty());
    let id = rig.orders_of(&format!("AN01:{po}")).await[0]["id"]
        .as_i64()
        .unwrap();
    (rig, accepted, id)
}

/// The cancellation of cXML purchase order `po` (as webhook-intake makes it of an
/// `OrderRequest type="delete"`).
fn cancellation(po: &str) -> Value {
    json!({"type": "order.cancel", "version": 1, "store_hash": support::STORE,
        "external_id": format!("AN01:{po}:cancel"), "idempotency_key": support::unique("k"),
        "order": {"reference": format!("AN01:{po}")}, "reason": "the buyer deleted the PO",
        "procurement": {"partner": "acme-coupa", "payload_id": format!("{po}.2@coupa"), "order_id": po}})
}

#[tokio::test]
async fn a_buyers_cancellation_cancels_an_open_order_once_and_never_a_shipped_one() {
    let mut partner = mockito::Server::new_async().await;
    let rig = rig_with_partner(&partner).await;
    assert!(rig.handle(&[company("C", "AN01")]).await.is_empty());
    let _accepted = partner
        .mock("POST", "/cxml")
        .match_body(mockito::Matcher::Regex(r#"type="accept""#.into()))
        .with_body(cxml_answer(200, "OK"))
        .create_async()
        .await;
    // Before its order exists, a cancellation waits for it.
    assert_eq!(rig.handle(&[cancellation("4500000051")]).await, ["m0"]);
    assert!(rig
        .handle(&[cxml_order("4500000051"), cxml_order("4500000052")])
        .await
        .is_empty());
    let open = rig.orders_of("AN01:4500000051").await[0]["id"]
        .as_i64()
        .unwrap();
    let shipped = rig.orders_of("AN01:4500000052").await[0]["id"]
        .as_i64()
        .unwrap();
    let rejected = partner
        .mock("POST", "/cxml")
        .match_body(mockito::Matcher::AllOf(vec![
            mockito::Matcher::Regex(format!(
                r#"type="reject" noticeDate="[^"]+" operation="new" confirmID="{open}""#
            )),
            mockito::Matcher::Regex(format!(
                "order {open} was cancelled: the buyer deleted the PO"
            )),
        ]))
        .with_body(cxml_answer(200, "OK"))
        .expect(1)
        .create_async()
        .await;
    assert!(rig.handle(&[cancellation("4500000051")]).await.is_empty());
    assert_eq!(rig.state("orders", open).await["status_id"], 5);
    // Sent again (a new delivery of the delete): nothing more.
    assert!(rig.handle(&[cancellation("4500000051")]).await.is_empty());
    rejected.assert_async().await;
    // A shipped order is never cancelled: refused, naming its status.
    let http = reqwest::Client::new();
    http.put(format!(
        "{}/v2/orders/{shipped}",
        rig.sandbox.core_base_url()
    ))
    .header("X-Auth-Token", support::TOKEN)
    .json(&json!({"status_id": 2}))
    .send()
    .await
    .unwrap();
    assert!(rig.handle(&[cancellation("4500000052")]).await.is_empty());
    assert_eq!(rig.state("orders", shipped).await["status_id"], 2);
    let reasons = rig.dead_reasons();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].contains(&format!(
            "order {shipped} cannot be cancelled: it is Shipped already"
        )),
        "{reasons:?}"
    );
    rig.assert_contract_kept();
}

#[tokio::test]
async fn a_changed_shipment_is_announced_again_as_an_update_and_a_deleted_one_withdrawn() {
    let mut partner = mockito::Server::new_async().await;
    let (rig, _accepted, _) = rig_with_cxml_order(&mut partner, "4500000031").await;
    let new = partner
        .mock("POST", "/cxml")
        .match_body(mockito::Matcher::Regex(r#"operation="new""#.into()))
        .with_body(cxml_answer(200, "OK"))
        .expect(1)
        .create_async()
        .await;
    let ship = json!({"type": "shipment.create", "version": 1, "store_hash": support::STORE,
        "external_id": "SHIP-31-1", "order": {"reference": "AN01:4500000031"},
        "shipment": {"lines": [{"sku": "SKU-001-1", "quantity": 3}], "tracking_number": "1Z-WRONG",
        "shipping_provider": "ups"}});
    assert!(rig.handle(&[ship]).await.is_empty());
    new.assert_async().await;
    // The ERP corrects the tracking number: the buyer gets an update, once.
    let updated = partner
        .mock("POST", "/cxml")
        .match_body(mockito::Matcher::AllOf(vec![
            mockito::Matcher::Regex(
                r#"<ShipNoticeHeader shipmentID="\d+" operation="update""#.into(),
            ),
            mockito::Matcher::Regex("<ShipmentIdentifier>1Z-RIGHT</ShipmentIdentifier>".into()),
            mockito::Matcher::Regex(r#"payloadID="ship\.\d+\.\d+\.[0-9a-f]{12}@"#.into()),
        ]))
        .with_body(cxml_answer(200, "OK"))
        .expect(1)
        .create_async()
        .await;
    let fix = |key: &str| {
        json!({"type": "shipment.update", "version": 1, "store_hash": support::STORE,
            "external_id": "SHIP-31-1", "idempotency_key": key,
            "order": {"reference": "AN01:4500000031"}, "shipment": {"tracking_number": "1Z-RIGHT"}})
    };
    assert!(rig.handle(&[fix("fix-1")]).await.is_empty());
    // The same correction again, and BigCommerce's webhook about it: nothing new to say.
    assert!(rig.handle(&[fix("fix-2")]).await.is_empty());
    let id = rig.orders_of("AN01:4500000031").await[0]["id"]
        .as_i64()
        .unwrap();
    let hook = json!({"type": "webhook.event", "version": 1, "scope": "store/shipment/updated",
        "store_hash": support::STORE, "data": {"type": "shipment", "orderId": id},
        "hash": "h-ship-31-upd", "received_at": 1});
    assert!(rig.handle(&[hook]).await.is_empty());
    updated.assert_async().await;
    // Deleted: the notice is withdrawn, once.
    let withdrawn = partner
        .mock("POST", "/cxml")
        .match_body(mockito::Matcher::Regex(
            r#"<ShipNoticeHeader shipmentID="\d+" operation="delete""#.into(),
        ))
        .with_body(cxml_answer(200, "OK"))
        .expect(1)
        .create_async()
        .await;
    let delete = json!({"type": "shipment.delete", "version": 1, "store_hash": support::STORE,
        "external_id": "SHIP-31-1", "order": {"reference": "AN01:4500000031"}});
    assert!(rig.handle(std::slice::from_ref(&delete)).await.is_empty());
    let mut again = delete.clone();
    again["idempotency_key"] = json!("delete-again");
    assert!(rig.handle(&[again]).await.is_empty());
    withdrawn.assert_async().await;
    assert!(rig.dlq.bodies().is_empty(), "{:?}", rig.dead_reasons());
    rig.assert_contract_kept();
}

/// A buyer `email` of company `company` (external id).
fn company_buyer(company: &str, email: &str) -> Value {
    json!({"type": "user.upsert", "version": 1, "store_hash": support::STORE,
        "external_id": format!("U-{email}"), "idempotency_key": support::unique("k"),
        "company_external_id": company,
        "user": {"first_name": "Bo", "last_name": "Buyer", "email": email, "role": "junior_buyer"}})
}

/// The email of the customer an order of `external_id` was placed for.
async fn placed_for(rig: &Rig, external_id: &str) -> Value {
    let orders = rig.orders_of(external_id).await;
    assert_eq!(orders.len(), 1, "{orders:?}");
    let customer = orders[0]["customer_id"].as_i64().unwrap();
    rig.state("customers", customer).await["email"].clone()
}

/// A cXML PO names who it is for (`Contact role="endUser"`, the `ShipTo` email): the first of
/// them who is a buyer of the company places the order; someone unknown, or a buyer of another
/// company, is passed over, and with no one left the company's administrator places it.
#[tokio::test]
async fn a_cxml_order_is_placed_for_the_buyer_it_names_when_they_are_a_buyer_of_the_company() {
    let rig = rig().await;
    let setup = [
        company("C", "AN01"),
        company("D", "AN02"),
        company_buyer("C", "bo@c.example"),
        company_buyer("D", "di@d.example"),
    ];
    assert!(rig.handle(&setup).await.is_empty());
    let named = |po: &str, named: &[&str]| {
        let mut cmd = cxml_order(po);
        cmd["procurement"]["named_buyers"] = json!(named);
        cmd
    };
    let orders = [
        named("PO-N1", &["nobody@c.example", "bo@c.example"]),
        named("PO-N2", &["di@d.example", "receiving@c.example"]),
    ];
    assert!(rig.handle(&orders).await.is_empty());
    assert!(rig.dlq.bodies().is_empty(), "{:?}", rig.dead_reasons());
    assert_eq!(placed_for(&rig, "AN01:PO-N1").await, "bo@c.example");
    assert_eq!(placed_for(&rig, "AN01:PO-N2").await, "admin@c.example");
    rig.assert_contract_kept();
}
