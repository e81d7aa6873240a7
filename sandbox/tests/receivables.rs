//! The B2B Edition Invoice Portal (`/api/v3/io/ip`) over HTTP: invoices created, found,
//! updated; offline payments lowering open balances with receipts; refunds; a buyer's portal
//! payment with its "invoice payment" order; invoices from orders; paging and newest-first
//! sorting. Every request here is one the official spec allows (strict sandboxes), but where a
//! test breaks it on purpose.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

async fn sandbox() -> Sb {
    start(
        SandboxOptionsExt::with(|o| {
            o.quota = 0;
            o.b2b_quota = 0;
            o.seed_companies = 3;
            o.seed_orders = 12;
        })
        .strict(),
    )
    .await
}

fn invoice(number: &str, external: &str, company: &str, value: f64) -> Value {
    json!({"invoiceNumber": number, "externalId": external, "customerId": company,
        "originalBalance": {"code": "USD", "value": value}, "openBalance": {"code": "USD", "value": value}})
}

async fn create(s: &Sb, body: Value) -> i64 {
    let r = s.b2b_json(Method::POST, "/ip/invoices", body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["data"]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{}", r.text))
}

async fn get_invoice(s: &Sb, id: i64) -> Value {
    let r = s.b2b_get(&format!("/ip/invoices/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["data"].clone()
}

fn ids(list: &Value) -> Vec<i64> {
    list["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["id"].as_i64())
        .collect()
}

fn offline(invoice: i64, amount: &str, memo: &str) -> Value {
    json!({"lineItems": [{"invoiceId": invoice, "amount": amount}], "currency": "USD",
        "details": {"memo": memo}, "customerId": "1"})
}

#[tokio::test]
async fn invoices_are_created_and_searched() {
    let s = sandbox().await;
    let a = create(&s, invoice("INV-1001", "1001", "1", 100.0)).await;
    let b = create(&s, invoice("INV-1002", "1002", "2", 250.5)).await;
    let got = get_invoice(&s, a).await;
    assert_eq!(
        got["openBalance"],
        json!({"code": "USD", "value": "100.0000"})
    );
    assert_eq!(
        (got["status"].as_i64(), got["type"].as_str()),
        (Some(0), Some("Invoice"))
    );
    assert!(
        got["createdAt"].is_string() && got["dueDate"].is_i64(),
        "{got}"
    );
    assert!(got["customerName"].as_str().is_some_and(|n| !n.is_empty()));

    // The spec's own duplicate answer.
    let dup = s
        .b2b_json(
            Method::POST,
            "/ip/invoices",
            invoice("INV-1001", "9", "1", 1.0),
        )
        .await;
    assert_eq!(dup.status, 400);
    assert_eq!(
        dup.json(),
        json!({"code": 400, "data": {"errMsg": "The invoice number already exists."}, "meta": {"message": "Bad Requests Error"}})
    );
    let nobody = s
        .b2b_json(
            Method::POST,
            "/ip/invoices",
            invoice("INV-X", "9", "999", 1.0),
        )
        .await;
    assert_eq!(nobody.status, 404, "{}", nobody.text);
    assert!(nobody.text.contains("Company 999"), "{}", nobody.text);

    let one = s
        .b2b_get("/ip/invoices?searchBy=invoiceNumber&q=inv-1001")
        .await;
    assert_eq!(ids(&one.json()), [a]);
    let any_field = s.b2b_get("/ip/invoices?q=1002").await;
    assert_eq!(ids(&any_field.json()), [b]);
    let by_external = s
        .b2b_get("/ip/invoices?externalId%5B%5D=1001&externalId%5B%5D=1002&orderBy=ASC")
        .await;
    assert_eq!(ids(&by_external.json()), [a, b]);
    assert_eq!(by_external.json()["meta"]["pagination"]["totalCount"], 2);
    let of_company = s.b2b_get("/ip/invoices?customerId=2").await;
    assert_eq!(ids(&of_company.json()), [b]);
}

#[tokio::test]
async fn invoices_are_updated_field_by_field_and_deleted() {
    let s = sandbox().await;
    let a = create(&s, invoice("INV-1001", "1001", "1", 100.0)).await;
    let b = create(&s, invoice("INV-1002", "1002", "2", 250.5)).await;
    let got = get_invoice(&s, a).await;
    let r = s
        .b2b_json(
            Method::PUT,
            &format!("/ip/invoices/{a}"),
            json!({"purchaseOrderNumber": "PO-7"}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["data"]["id"].as_i64()),
        (200, Some(a)),
        "{}",
        r.text
    );
    let after = get_invoice(&s, a).await;
    assert_eq!(after["purchaseOrderNumber"], "PO-7");
    for same in [
        "invoiceNumber",
        "externalId",
        "openBalance",
        "originalBalance",
        "customerId",
        "dueDate",
        "status",
    ] {
        assert_eq!(after[same], got[same], "{same} changed");
    }
    let paid = json!({"openBalance": {"code": "USD", "value": "0.0000"}});
    s.b2b_json(Method::PUT, &format!("/ip/invoices/{a}"), paid)
        .await;
    assert_eq!(
        get_invoice(&s, a).await["status"],
        2,
        "paid at a zero balance"
    );
    let renumber = s
        .b2b_json(
            Method::PUT,
            &format!("/ip/invoices/{a}"),
            json!({"invoiceNumber": "INV-1002"}),
        )
        .await;
    assert_eq!(renumber.status, 400, "{}", renumber.text);

    let gone = s
        .send(s.b2b(Method::DELETE, &format!("/ip/invoices/{b}")))
        .await;
    assert_eq!(gone.status, 200, "{}", gone.text);
    let missing = s.b2b_get(&format!("/ip/invoices/{b}")).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["data"]["errMsg"], "Invoice does not exist");
}

#[tokio::test]
async fn a_create_missing_fields_names_them() {
    let s = start(SandboxOptionsExt::with(|o| {
        o.seed_companies = 1;
    }))
    .await;
    let r = s
        .b2b_json(Method::POST, "/ip/invoices", json!({"invoiceNumber": "A"}))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let msg = r.json()["data"]["errMsg"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        msg.contains("originalBalance, openBalance, customerId"),
        "{msg}"
    );
    let found = s.sb.take_contract_violations();
    assert_eq!(found.len(), 3, "the spec requires them too: {found:#?}");
    let words = s.b2b_json(Method::POST, "/ip/invoices", json!({"invoiceNumber": "A", "customerId": "1",
        "originalBalance": {"code": "USD", "value": "a lot"}, "openBalance": {"code": "USD", "value": 1}})).await;
    assert_eq!(words.status, 422, "{}", words.text);
    assert!(
        words.text.contains("originalBalance.value"),
        "{}",
        words.text
    );
    s.sb.take_contract_violations();
}

/// Records an offline payment of `amount` on invoice `inv` (of company 1); its id.
async fn pay(s: &Sb, inv: i64, amount: &str, memo: &str) -> i64 {
    let r = s
        .b2b_json(
            Method::POST,
            "/ip/payments/offline",
            offline(inv, amount, memo),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["data"]["paymentId"].as_i64().unwrap_or(0)
}

/// Invoice `inv`'s open balance and status.
async fn balance(s: &Sb, inv: i64) -> (String, i64) {
    let got = get_invoice(s, inv).await;
    (
        got["openBalance"]["value"]
            .as_str()
            .unwrap_or("")
            .to_owned(),
        got["status"].as_i64().unwrap_or(-1),
    )
}

#[tokio::test]
async fn offline_payments_lower_balances_with_receipts() {
    let s = sandbox().await;
    let inv = create(&s, invoice("INV-1", "1", "1", 100.0)).await;
    let first = pay(&s, inv, "40.00", "CHK-40").await;
    assert_eq!(balance(&s, inv).await, ("60.0000".into(), 1));
    let payment = s.b2b_get(&format!("/ip/payments/{first}")).await.json()["data"].clone();
    assert_eq!(payment["moduleName"], "payments_offline");
    assert_eq!(
        (
            payment["processingStatus"].as_i64(),
            payment["appliedStatus"].as_i64()
        ),
        (Some(3), Some(1))
    );
    assert_eq!(
        payment["lineItems"][0]["amount"],
        json!({"code": "USD", "value": "40.0000"})
    );
    assert_eq!(
        payment["customerName"],
        get_invoice(&s, inv).await["customerName"]
    );
    let receipts = s.b2b_get("/ip/receipts").await.json();
    assert_eq!(receipts["data"][0]["transactionType"], "Paid");
    assert_eq!(receipts["data"][0]["referenceNumber"], "CHK-40");
    assert_eq!(receipts["data"][0]["paymentId"], first);
    let receipt = receipts["data"][0]["id"].as_i64().unwrap_or(0);
    let lines = s
        .b2b_get(&format!("/ip/receipts/{receipt}/lines"))
        .await
        .json();
    assert_eq!(lines["data"][0]["invoiceId"], inv);
    assert_eq!(lines["data"][0]["amount"]["value"], "40.0000");

    // More than is open: refused, nothing changed.
    let over = s
        .b2b_json(
            Method::POST,
            "/ip/payments/offline",
            offline(inv, "60.0001", "CHK-X"),
        )
        .await;
    assert_eq!(over.status, 422, "{}", over.text);
    assert_eq!(over.json()["meta"]["message"], "Parameter Error");
    assert!(over.text.contains("lineItems[0]"), "{}", over.text);
    assert_eq!(
        get_invoice(&s, inv).await["openBalance"]["value"],
        "60.0000"
    );
    assert_eq!(
        s.b2b_get("/ip/payments").await.json()["meta"]["pagination"]["totalCount"],
        1
    );

    pay(&s, inv, "60", "CHK-60").await;
    assert_eq!(balance(&s, inv).await, ("0.0000".into(), 2));
}

#[tokio::test]
async fn refunds_restore_the_balances() {
    let s = sandbox().await;
    let inv = create(&s, invoice("INV-1", "1", "1", 100.0)).await;
    let first = pay(&s, inv, "40.00", "CHK-40").await;
    let second = pay(&s, inv, "60", "CHK-60").await;
    // By the processing status, then by the offline update.
    let r = s
        .b2b_json(
            Method::PUT,
            &format!("/ip/payments/{second}/processing-status"),
            json!({"processingStatus": 4}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(balance(&s, inv).await, ("60.0000".into(), 1));
    let again = s
        .b2b_json(
            Method::PUT,
            &format!("/ip/payments/{second}/processing-status"),
            json!({"processingStatus": 3}),
        )
        .await;
    assert_eq!(
        again.status, 400,
        "a refunded payment stays refunded: {}",
        again.text
    );
    let mut full = offline(inv, "40.00", "CHK-40 (bounced)");
    full["processingStatus"] = json!(4);
    full["externalId"] = json!("ERP-PAY-1");
    let r = s
        .b2b_json(Method::PUT, &format!("/ip/payments/offline/{first}"), full)
        .await;
    assert_eq!(
        (r.status, r.json()["data"]["paymentId"].as_i64()),
        (200, Some(first)),
        "{}",
        r.text
    );
    assert_eq!(balance(&s, inv).await, ("100.0000".into(), 0));
    let kinds: Vec<Value> = s
        .b2b_get("/ip/receipts?orderBy=ASC&sortBy=paymentId")
        .await
        .json()["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| json!([r["paymentId"], r["transactionType"]]))
        .collect();
    assert_eq!(
        kinds,
        [
            json!([first, "Paid"]),
            json!([first, "Refund"]),
            json!([second, "Paid"]),
            json!([second, "Refund"])
        ]
    );
    let refunded = s
        .b2b_get("/ip/receipt-lines?paymentStatus%5B%5D=4")
        .await
        .json();
    assert_eq!(refunded["meta"]["pagination"]["totalCount"], 4);
    let by_external = s
        .b2b_get("/ip/payments?searchBy=externalId&q=erp-pay")
        .await
        .json();
    assert_eq!(ids(&by_external), [first]);
    let of_invoice = s
        .b2b_get(&format!("/ip/payments?invoiceId={inv}&processingStatus=4"))
        .await
        .json();
    assert_eq!(of_invoice["meta"]["pagination"]["totalCount"], 2);
}

#[tokio::test]
async fn a_portal_payment_makes_a_payment_a_receipt_and_an_invoice_payment_order() {
    let s = sandbox().await;
    let inv = create(&s, invoice("INV-P", "7", "1", 80.0)).await;
    let r = s
        .admin_post("/invoice-payments", json!({"customerId": "1", "lineItems": [{"invoiceNumber": "INV-P", "amount": "30.00"}]}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let payment = r.json();
    assert_eq!(payment["moduleName"], "payments_bigcommerce_sales_order");
    assert_eq!(
        payment["moduleData"]["transactions"][0]["type"],
        "CreditCardTransaction"
    );
    assert!(
        payment["moduleData"]["cartId"]
            .as_str()
            .is_some_and(|c| c.len() == 36),
        "{payment}"
    );
    assert_eq!(
        (
            payment["processingStatus"].as_i64(),
            payment["appliedStatus"].as_i64()
        ),
        (Some(3), Some(1))
    );
    assert_eq!(
        get_invoice(&s, inv).await["openBalance"]["value"],
        "50.0000"
    );
    let receipt = &s.b2b_get("/ip/receipts").await.json()["data"][0];
    assert_eq!(receipt["paymentType"], "Visa ending in 1111");
    assert_eq!(receipt["paymentId"], payment["id"]);
    let order = payment["moduleData"]["orderId"].as_i64().unwrap_or(0);
    let core = |path: String| {
        s.send(
            s.core(Method::GET, &path)
                .header("Content-Type", "application/json"),
        )
    };
    let o = core(format!("/v2/orders/{order}")).await;
    assert_eq!(o.status, 200, "{}", o.text);
    assert_eq!(o.json()["total_inc_tax"], "30.0000");
    let meta = core(format!("/v3/orders/{order}/metafields")).await.json();
    assert_eq!(meta["data"][0]["key"], "orderType");
    assert_eq!(meta["data"][0]["value"], "invoice payment");
    let b2b = s.b2b_get(&format!("/orders/{order}")).await;
    assert_eq!(b2b.json()["data"]["companyId"], 1, "{}", b2b.text);

    let too_much = s
        .admin_post(
            "/invoice-payments",
            json!({"customerId": "1", "lineItems": [{"invoiceId": inv, "amount": "50.01"}]}),
        )
        .await;
    assert_eq!(too_much.status, 400, "{}", too_much.text);
}

#[tokio::test]
async fn an_order_is_invoiced_once() {
    let s = sandbox().await;
    let order = s.b2b_get("/orders?limit=1").await.json()["data"][0]["bcOrderId"].clone();
    let r = s
        .send(s.b2b(Method::POST, &format!("/ip/orders/{order}/invoices")))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let data = r.json()["data"].clone();
    let id = data["invoiceId"].as_i64().unwrap_or(0);
    assert_eq!(data["invoiceNumber"], format!("{id:08}"));
    let got = get_invoice(&s, id).await;
    assert_eq!(got["orderNumber"], order.to_string());
    assert!(
        !got["details"]["details"]["lineItems"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "{got}"
    );
    let twice = s
        .send(s.b2b(Method::POST, &format!("/ip/orders/{order}/invoices")))
        .await;
    assert_eq!(twice.status, 400, "{}", twice.text);
    let none = s.send(s.b2b(Method::POST, "/ip/orders/1/invoices")).await;
    assert_eq!(none.status, 404);
    assert_eq!(none.json()["data"]["errMsg"], "Order does not exist");
}

#[tokio::test]
async fn lists_page_and_sort_newest_first() {
    let s = sandbox().await;
    let mut made = Vec::new();
    for n in 0..5 {
        made.push(create(&s, invoice(&format!("INV-{n}"), &n.to_string(), "1", 10.0)).await);
    }
    {
        // Distinct change times, the third changed last.
        let mut store = s.sb.app().data();
        for (k, id) in made.iter().enumerate() {
            let at = if k == 2 { 2_000 } else { 1_000 + k as i64 };
            if let Some(i) = store.invoices.get_mut(id) {
                i["updatedAt"] = json!(at.to_string());
            }
        }
    }
    let newest = s
        .b2b_get("/ip/invoices?sortBy=updatedAt&orderBy=DESC&limit=2")
        .await
        .json();
    assert_eq!(ids(&newest), [made[2], made[4]]);
    assert_eq!(
        newest["meta"]["pagination"],
        json!({"totalCount": 5, "limit": 2, "offset": 0})
    );
    let last = s
        .b2b_get("/ip/invoices?sortBy=updatedAt&orderBy=DESC&limit=2&offset=4")
        .await
        .json();
    assert_eq!(ids(&last), [made[0]]);
    let by_number = s
        .b2b_get("/ip/invoices?sortBy=invoiceNumber&orderBy=ASC&limit=3&offset=1")
        .await
        .json();
    assert_eq!(ids(&by_number), made[1..4].to_vec());

    for (n, id) in made.iter().enumerate() {
        let r = s
            .b2b_json(
                Method::POST,
                "/ip/payments/offline",
                offline(*id, "1", &format!("M{n}")),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    {
        let mut store = s.sb.app().data();
        for (k, p) in store.payments.values_mut().enumerate() {
            p["updatedAt"] = json!(if k == 0 { 9_000 } else { 1_000 + k as i64 });
        }
    }
    let payments = s
        .b2b_get("/ip/payments?sortBy=updatedAt&orderBy=DESC&limit=2")
        .await
        .json();
    assert_eq!(payments["data"][0]["updatedAt"], 9_000);
    assert_eq!(payments["data"][1]["updatedAt"], 1_004);
    // Receipts: the first page without `offset` (the spec declares it exclusive of 0).
    let first = s
        .b2b_get("/ip/receipts?sortBy=updatedAt&orderBy=DESC&limit=3")
        .await
        .json();
    let next = s
        .b2b_get("/ip/receipts?sortBy=updatedAt&orderBy=DESC&limit=3&offset=3")
        .await
        .json();
    assert_eq!(ids(&first).len() + ids(&next).len(), 5);
    assert_eq!(first["meta"]["pagination"]["totalCount"], 5);
    let lines = s
        .b2b_get("/ip/receipt-lines?searchBy=referenceNumber&q=m3")
        .await
        .json();
    assert_eq!(lines["data"][0]["invoiceId"], made[3]);
    let bad = s.b2b_get("/ip/invoices?sortBy=colour").await;
    assert_eq!(bad.status, 400, "the contract refuses it: {}", bad.text);
    s.sb.take_contract_violations();
}
