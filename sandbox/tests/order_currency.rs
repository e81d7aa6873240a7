//! An order's transactional currency (issue 37): `POST /v2/orders` with `default_currency_code`
//! makes the order in that currency (the store sells USD, its default, and EUR, GBP), answered
//! on `GET /v2/orders/{id}` (and on a company buyer's B2B record: see the procurement e2e); a
//! currency the store does not sell is refused 400; an order that names none is in the store's
//! default currency. Strict: every request and answer checked against BigCommerce's official
//! spec.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn an_order_is_made_in_the_currency_it_names_and_read_back_in_it() {
    let s = start(opts().strict()).await;
    let cid = s
        .core_json(
            Method::POST,
            "/v3/customers",
            json!([{"email": "hanna@northwind.example", "first_name": "Hanna", "last_name": "Moos"}]),
        )
        .await
        .json()["data"][0]["id"]
        .as_i64()
        .unwrap();
    let order = |currency: Option<&str>| {
        let mut body = json!({"customer_id": cid, "products": [{"product_id": 1, "quantity": 2, "price_ex_tax": 12.5, "price_inc_tax": 12.5}],
            "billing_address": {"first_name": "Hanna", "last_name": "Moos", "street_1": "Am Sandtorkai 12", "city": "Hamburg",
                "zip": "20457", "country_iso2": "DE", "email": "hanna@northwind.example"},
            "total_ex_tax": "25.0000", "total_inc_tax": "25.0000"});
        if let Some(c) = currency {
            body["default_currency_code"] = json!(c);
        }
        body
    };
    let r = s
        .core_json(Method::POST, "/v2/orders", order(Some("EUR")))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.json()["id"].as_i64().unwrap();
    let read = s.core_get(&format!("/v2/orders/{id}")).await.json();
    assert_eq!(read["default_currency_code"], "EUR", "{read}");
    assert_eq!(read["currency_code"], "EUR");
    assert_eq!(read["store_default_currency_code"], "USD");
    assert_eq!(read["total_inc_tax"], "25.0000");

    // A currency the store does not sell: refused, nothing made.
    let r = s
        .core_json(Method::POST, "/v2/orders", order(Some("JPY")))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("JPY"), "{}", r.text);

    // None named: the store's default currency.
    let r = s.core_json(Method::POST, "/v2/orders", order(None)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["default_currency_code"], "USD");
    assert!(s.sb.contract_violations().is_empty());
}
