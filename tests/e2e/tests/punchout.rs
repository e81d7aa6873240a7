//! Punch-out end to end with the real binaries (issue 22): a procurement system (this test)
//! posts the sample `PunchOutSetupRequest` to `webhook-intake`, opens the start page it
//! answers with, and follows it to the sandbox's storefront, which takes the customer login
//! token only if BigCommerce would (signed with the app's client secret, 30 seconds, once).
//! The buyer fills a cart there; the storefront's "return to procurement" link gives a page
//! whose form posts the cart as a `PunchOutOrderMessage` to the procurement system. The
//! procurement system turns the cart into the sample purchase order, which `upsert-worker`
//! makes a BigCommerce order of at the cart's prices and confirms back; the warehouse ships
//! it and the procurement system gets the ship notice: the whole loop. A replayed start page
//! or return is refused; the session lives in moto's DynamoDB, the requests in the strict
//! sandbox.

mod common;

use b2b_cxml::PunchOutOrder;
use b2b_test_support::lambda::{answer_of, http_get, http_post_text};
use b2b_test_support::{drain, moto, queue, state_table, unlimited, STORE, TOKEN};
use bigcommerce_b2b::money::Amount;
use common::{admin_get, all, sandbox_store_secret_with, start_function, work_off};
use serde_json::{json, Value};

const SETUP: &str =
    include_str!("../../../functions/webhook-intake/events/cxml/punchout-setup-request.xml");
const PO: &str = include_str!("../../../functions/webhook-intake/events/cxml/order-request.xml");
const API: &str = "https://e2e.execute-api.us-east-1.amazonaws.com";

/// Supplier ACME-SUPPLY trading with Northwind in test mode, offering punch-out on the
/// sandbox's storefront, with the sandbox app's client credentials.
fn procurement(storefront: &str, document_url: &str) -> Value {
    json!({"client_id": "sandbox-client", "client_secret": "sandbox-client-secret",
        "procurement": {"supplier": [{"domain": "NetworkID", "identity": "ACME-SUPPLY"}],
        "partners": [{"name": "northwind", "sender": {"domain": "NetworkID", "identity": "NORTHWIND-AN01"},
            "shared_secret": "s3cret-for-tests-0123456789abcdefgh", "deployment_mode": "test", "document_url": document_url}],
        "punchout": {"storefront_url": storefront, "landing_path": "/b2b/catalog"}}})
}

/// The cookies an answer sets (API Gateway's `cookies`, or a `set-cookie` header).
fn cookies_of(answer: &Value) -> Vec<String> {
    let mut out: Vec<String> = answer["cookies"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if let Some(c) = answer["headers"]["set-cookie"].as_str() {
        out.push(c.to_owned());
    }
    out
}

// Multi-threaded: the functions answer while the test drives the browser's side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_punches_out_fills_a_cart_and_its_purchase_order_becomes_an_order() {
    let sdk = moto().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let inbound = queue(&sdk, "punchout-inbound").await;
    let dlq = queue(&sdk, "punchout-dlq").await;
    let sandbox = b2b_test_support::sandbox(unlimited().strict()).await;
    // The procurement system's document endpoint: it hears of the order and its shipment.
    let mut buyer_system = mockito::Server::new_async().await;
    let ack = r#"<cXML payloadID="ack" timestamp="t"><Response><Status code="200" text="OK"/></Response></cXML>"#;
    let confirmation = buyer_system
        .mock("POST", "/cxml/inbound")
        .match_body(mockito::Matcher::Regex(
            r#"<ConfirmationHeader type="accept""#.into(),
        ))
        .with_body(ack)
        .expect(1)
        .create_async()
        .await;
    let ship_notice = buyer_system
        .mock("POST", "/cxml/inbound")
        .match_body(mockito::Matcher::AllOf(vec![
            mockito::Matcher::Regex("<ShipNoticeRequest>".into()),
            mockito::Matcher::Regex(r#"<ShipNoticeItem lineNumber="1" quantity="3">"#.into()),
            mockito::Matcher::Regex("1Z999AA10000000042".into()),
        ]))
        .with_body(ack)
        .expect(1)
        .create_async()
        .await;
    let document_url = format!("{}/cxml/inbound", buyer_system.url());
    let secret_id = sandbox_store_secret_with(
        &sdk,
        "e2e-punchout",
        procurement(&sandbox.base_url(), &document_url),
    )
    .await;
    let env = vec![
        ("BC_SECRET_ID", secret_id),
        ("STATE_TABLE", state_table(&sdk).await),
        ("INBOUND_QUEUE_URL", inbound.clone()),
        ("DEAD_LETTER_QUEUE_URL", dlq.clone()),
        ("BC_API_URL", sandbox.base_url()),
        ("B2B_API_URL", sandbox.base_url()),
        ("RUST_LOG", "info".to_owned()),
    ];
    let intake = start_function("webhook-intake", &env).await;
    let worker = start_function("upsert-worker", &env).await;
    common::northwind_company(&intake, &worker, &sqs, &inbound).await;
    let state = admin_get(&sandbox, "state").await;
    let nancy = all(&state, "customers")
        .into_iter()
        .find(|c| c["email"] == "nancy@northwind.example")
        .expect("Nancy is a customer");

    // 1. The procurement system sets the punch-out up: a start page on this API.
    let setup = answer_of(
        &intake,
        &http_post_text("/procurement/cxml", "text/xml", SETUP),
    )
    .await;
    let start = b2b_cxml::read_start_page(setup["body"].as_str().unwrap_or_default().as_bytes())
        .unwrap_or_else(|e| panic!("{e}: {setup}"));
    let start_path = start
        .strip_prefix(API)
        .unwrap_or_else(|| panic!("start page {start}"))
        .to_owned();

    // 2. The buyer's browser opens it: sent to the storefront's login with a fresh token,
    //    and the session's cookie.
    let opened = answer_of(&intake, &http_get(&start_path, &[])).await;
    assert_eq!(opened["statusCode"], 303, "{opened}");
    let login = opened["headers"]["location"].as_str().unwrap().to_owned();
    assert!(
        login.starts_with(&format!("{}/login/token/", sandbox.base_url())),
        "{login}"
    );
    let cookie = cookies_of(&opened)
        .into_iter()
        .find(|c| c.starts_with("b2b_punchout="))
        .unwrap_or_else(|| panic!("no session cookie in {opened}"));
    let session_cookie = cookie.split(';').next().unwrap().to_owned();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = browser.get(&login).send().await.unwrap();
    assert_eq!(signed_in.status(), 302);
    assert_eq!(signed_in.headers()["location"], "/b2b/catalog");
    let logins = admin_get(&sandbox, "storefront/logins").await["logins"].clone();
    assert_eq!(logins[0]["signed_in"], true, "{logins}");
    assert_eq!(logins[0]["customer_id"], nancy["id"]);
    // The start page is for one visit.
    let again = answer_of(&intake, &http_get(&start_path, &[])).await;
    assert_eq!(again["statusCode"], 409, "{again}");

    // 3. The buyer fills a cart on the storefront (the cart API the storefront uses).
    let cart: Value = browser
        .post(format!("{}/stores/{STORE}/v3/carts", sandbox.base_url()))
        .header("X-Auth-Token", TOKEN)
        .json(&json!({"customer_id": nancy["id"], "line_items": [
            {"product_id": 1, "variant_id": 1, "quantity": 3, "list_price": 12.5},
            {"product_id": 2, "variant_id": 4, "quantity": 2, "list_price": 19.5}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cart_id = cart["data"]["id"].as_str().unwrap().to_owned();

    // 4. "Return to procurement": the cart goes back, once.
    let return_path = format!("/procurement/punchout/return?cart_id={cart_id}");
    let returned = answer_of(&intake, &http_get(&return_path, &[&session_cookie])).await;
    assert_eq!(returned["statusCode"], 200, "{returned}");
    let (action, cxml) =
        b2b_test_support::self_posting_form(returned["body"].as_str().unwrap_or_default());
    assert_eq!(
        action,
        "https://procure.northwind.example/punchout/return?session=5c1f2e"
    );
    let message = PunchOutOrder::from_xml(cxml.as_bytes()).unwrap();
    assert_eq!(message.buyer_cookie, "NW-SESSION-5c1f2e");
    assert_eq!(message.total, Amount::parse("76.50").unwrap());
    let items: Vec<(String, u32, Amount)> = message
        .items
        .iter()
        .map(|i| (i.sku.clone(), i.quantity, i.unit_price))
        .collect();
    let replay = answer_of(&intake, &http_get(&return_path, &[&session_cookie])).await;
    assert_eq!(replay["statusCode"], 409, "{replay}");

    // 5. The approved cart comes back as the purchase order: the sample PO orders exactly it.
    let po = b2b_cxml::PurchaseOrder::from_xml(PO.as_bytes()).unwrap();
    let ordered: Vec<(String, u32, Amount)> = po
        .lines
        .iter()
        .map(|l| (l.sku.clone(), l.quantity, l.unit_price))
        .collect();
    assert_eq!(ordered, items);
    let accepted = answer_of(
        &intake,
        &http_post_text("/procurement/cxml", "text/xml", PO),
    )
    .await;
    assert!(
        accepted["body"]
            .as_str()
            .unwrap_or_default()
            .contains(r#"code="200""#),
        "{accepted}"
    );
    assert_eq!(work_off(&worker, drain(&sqs, &inbound).await).await, 1);
    let state = admin_get(&sandbox, "state").await;
    let orders: Vec<Value> = all(&state, "orders")
        .into_iter()
        .filter(|o| o["external_order_id"] == "NORTHWIND-AN01:PO-2026-0042")
        .collect();
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["customer_id"], nancy["id"]);
    assert_eq!(orders[0]["subtotal_ex_tax"], "76.5000");
    confirmation.assert_async().await;

    // 6. The warehouse ships the first line: the procurement system gets the ship notice.
    let ship = json!({"type": "shipment.create", "version": 1, "store_hash": STORE,
        "external_id": "SHIP-PO-42-1", "order": {"reference": "NORTHWIND-AN01:PO-2026-0042"},
        "shipment": {"lines": [{"sku": "SKU-001-1", "quantity": 3}],
            "tracking_number": "1Z999AA10000000042", "shipping_provider": "ups"}});
    let answer = answer_of(
        &intake,
        &b2b_test_support::lambda::http_post(
            "/inbound",
            &b2b_test_support::stores::inbound_key(STORE),
            &json!([ship]),
        ),
    )
    .await;
    assert_eq!(answer["statusCode"], 202, "{answer}");
    work_off(&worker, drain(&sqs, &inbound).await).await;
    ship_notice.assert_async().await;
    assert!(drain(&sqs, &dlq).await.is_empty());
    let violations = sandbox.contract_violations();
    assert!(violations.is_empty(), "{violations:?}");
}
