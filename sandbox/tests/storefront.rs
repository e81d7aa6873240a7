//! The storefront side of a shopper's session: customer login tokens checked as BigCommerce
//! documents them (signature, issuer, operation, store, customer, 30 seconds, one use) and
//! carts made for a customer.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

fn token(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn a_login_token_signs_its_customer_in_once() {
    let mut o = opts();
    o.seed_companies = 2;
    let s = start(o).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let customer = s.core_get("/v3/customers?limit=1").await.json()["data"][0]["id"].clone();
    let good = json!({"iss": "sandbox-client", "iat": now(), "jti": "j-1", "operation": "customer_login",
        "store_hash": HASH, "customer_id": customer, "channel_id": 1, "redirect_to": "/cart.php"});
    let open = |claims: &Value, secret: &str| {
        http.get(format!(
            "{}/login/token/{}",
            s.sb.base_url(),
            token(claims, secret)
        ))
        .send()
    };
    let r = open(&good, "sandbox-client-secret").await.unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "/cart.php");
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .starts_with("SHOP_SESSION_TOKEN="));
    // A token is for one visit.
    let r = open(&good, "sandbox-client-secret").await.unwrap();
    assert_eq!(
        r.headers()["location"],
        "/login.php?action=login_token_error"
    );
    let mut refused = vec![];
    for (change, secret) in [
        (json!({"jti": "j-2"}), "wrong-secret"),
        (
            json!({"jti": "j-3", "iat": now() - 31}),
            "sandbox-client-secret",
        ),
        (
            json!({"jti": "j-4", "iss": "another-app"}),
            "sandbox-client-secret",
        ),
        (
            json!({"jti": "j-5", "operation": "login"}),
            "sandbox-client-secret",
        ),
        (
            json!({"jti": "j-6", "store_hash": "other"}),
            "sandbox-client-secret",
        ),
        (
            json!({"jti": "j-7", "customer_id": 999999}),
            "sandbox-client-secret",
        ),
        (
            json!({"jti": "j-8", "redirect_to": "https://evil.example/"}),
            "sandbox-client-secret",
        ),
    ] {
        let mut claims = good.clone();
        for (k, v) in change.as_object().unwrap() {
            claims[k] = v.clone();
        }
        let r = open(&claims, secret).await.unwrap();
        assert_eq!(r.status(), 302);
        assert_eq!(
            r.headers()["location"],
            "/login.php?action=login_token_error",
            "{change}"
        );
        refused.push(change);
    }
    let logins = s.admin_get("/storefront/logins").await["logins"].clone();
    let logins = logins.as_array().unwrap();
    assert_eq!(logins.len(), 2 + refused.len());
    assert_eq!(logins[0]["signed_in"], true);
    assert_eq!(logins[0]["customer_id"], customer);
    assert!(
        logins[1]["reason"].as_str().unwrap().contains("jti"),
        "{:?}",
        logins[1]
    );
    assert!(
        logins[3]["reason"].as_str().unwrap().contains("iat"),
        "{:?}",
        logins[3]
    );
    // A claim the spec does not define is a contract violation.
    let mut odd = good.clone();
    odd["jti"] = json!("j-9");
    odd["customer_email"] = json!("x@example.com");
    open(&odd, "sandbox-client-secret").await.unwrap();
    let violations = s.sb.take_contract_violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].location, "jwt claim customer_email");
}

#[tokio::test]
async fn carts_are_made_of_catalog_lines_for_a_customer() {
    let mut o = opts();
    o.seed_companies = 1;
    let s = start(o).await;
    let bad = s
        .core_json(
            Method::POST,
            "/v3/carts",
            json!({"customer_id": 999999, "line_items": [{"quantity": 1, "product_id": 1}]}),
        )
        .await;
    assert_eq!(bad.status, 422);
    let bad = s
        .core_json(
            Method::POST,
            "/v3/carts",
            json!({"line_items": [{"quantity": 1, "product_id": 1, "variant_id": 9}]}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    let made = s
        .core_json(
            Method::POST,
            "/v3/carts",
            json!({"line_items": [{"quantity": 3, "product_id": 2}]}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let cart = made.json()["data"].clone();
    assert_eq!(cart["customer_id"], 0);
    assert_eq!(cart["line_items"]["physical_items"][0]["quantity"], 3);
    let id = cart["id"].as_str().unwrap();
    let del = s
        .core_json(Method::DELETE, &format!("/v3/carts/{id}"), json!(null))
        .await;
    assert_eq!(del.status, 204);
    assert_eq!(s.core_get(&format!("/v3/carts/{id}")).await.status, 404);
}
