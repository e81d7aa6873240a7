//! Punch-out with in-memory state and a fake store: the setup answered with a start page, the
//! start page signing the shopper in once with a customer login token, the cart returned once
//! as a PunchOutOrderMessage, and every refusal (replayed, foreign, expired, replaced,
//! unreadable cart, bad setup) answered with its status and nothing consumed.
// Test-only: compiled under #[cfg(test)] from its parent module.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use b2b_cxml::PunchOutOrder;
use b2b_shared::secrets::StoreSecret;
use b2b_shared::state::MemoryState;
use bigcommerce_b2b::money::Amount;
use bigcommerce_b2b::storefront::{Cart, LoginClaims};
use bigcommerce_b2b::StoreHash;
use futures_util::future::BoxFuture;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};

use crate::punchout_store::{PunchOutStore, Shopper};
use crate::test_harness::in_memory;
use crate::{Intake, IntakeOptions};

const SETUP: &str = include_str!("../events/cxml/punchout-setup-request.xml");
const NOW: i64 = 1796300000;
const CLIENT_SECRET: &str = "app-client-secret";

/// Nancy (customer 7 of company 3) is Northwind's buyer; `down@` makes the store fail.
#[derive(Default)]
struct FakeStore {
    carts: Mutex<HashMap<String, Value>>,
}

impl PunchOutStore for FakeStore {
    fn shopper<'a>(
        &'a self,
        _store: &'a StoreHash,
        identity: &'a str,
        email: &'a str,
    ) -> BoxFuture<'a, Result<Result<Shopper, String>, String>> {
        Box::pin(async move {
            match (identity, email) {
                (_, e) if e.starts_with("down@") => Err("store down".into()),
                ("NORTHWIND-AN01", "nancy@northwind.example") => Ok(Ok(Shopper {
                    customer_id: 7,
                    company_id: 3,
                })),
                _ => Ok(Err(format!("`{email}` is not a buyer of `{identity}`"))),
            }
        })
    }

    fn cart<'a>(
        &'a self,
        _store: &'a StoreHash,
        cart_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Cart>, String>> {
        Box::pin(async move {
            let cart = self.carts.lock().unwrap().get(cart_id).cloned();
            Ok(cart.map(|c| serde_json::from_value(c).unwrap()))
        })
    }
}

struct Harness {
    intake: Intake,
    state: Arc<MemoryState>,
    store: Arc<FakeStore>,
}

const PROCUREMENT: &str = r#"{"supplier": [{"domain": "NetworkID", "identity": "ACME-SUPPLY"}],
    "partners": [{"name": "northwind", "sender": {"domain": "NetworkID", "identity": "NORTHWIND-AN01"},
                  "shared_secret": "s3cret-for-tests-0123456789abcdefgh", "deployment_mode": "test"}],
    "punchout": {"storefront_url": "https://shop.example", "landing_path": "/b2b", "channel_id": 1}}"#;

fn harness_with(procurement: &str) -> Harness {
    let secret = StoreSecret::from_json(&format!(
        r#"{{"store_hash":"abc123","access_token":"t","client_id":"app-1","client_secret":"{CLIENT_SECRET}","procurement":{procurement}}}"#
    ))
    .unwrap();
    let store = Arc::new(FakeStore::default());
    let (mut intake, _, state) = in_memory(secret, IntakeOptions::default());
    intake.punchout = Some(store.clone());
    Harness {
        intake,
        state,
        store,
    }
}

fn harness() -> Harness {
    harness_with(PROCUREMENT)
}

/// An API Gateway (HTTP API) request to `api.example`, as lambda_http reads one.
fn request(
    method: &str,
    path_and_query: &str,
    cookie: Option<&str>,
    body: Option<&str>,
) -> Request {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut event = json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": {"host": "api.example", "content-type": "text/xml"}, "isBase64Encoded": false,
        "requestContext": {"accountId": "1", "apiId": "a", "domainName": "api.example",
            "domainPrefix": "api", "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1", "userAgent": "t"}, "requestId": "r", "routeKey": "$default",
            "stage": "$default", "time": "04/Dec/2026:12:00:00 +0000", "timeEpoch": 0}
    });
    if let Some(c) = cookie {
        event["cookies"] = json!([c]);
    }
    if let Some(b) = body {
        event["body"] = json!(b);
    }
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

fn text(resp: &Response<Body>) -> String {
    String::from_utf8(resp.body().as_ref().to_vec()).unwrap()
}

fn header<'a>(resp: &'a Response<Body>, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

/// A cart of customer `customer` with two widgets at 22.50 and a custom line.
fn cart(id: &str, customer: i64) -> Value {
    json!({"id": id, "customer_id": customer, "channel_id": 1, "currency": {"code": "USD"},
        "tax_included": false, "line_items": {
        "physical_items": [{"id": "line-1", "variant_id": 1, "product_id": 1, "sku": "SKU-001-1",
            "name": "Widget", "quantity": 2, "list_price": 25, "sale_price": 22.5}],
        "digital_items": [], "gift_certificates": [],
        "custom_items": [{"id": "line-2", "sku": "SETUP-FEE", "name": "Setup", "quantity": 1, "list_price": 10}]}})
}

/// The session id in a start page URL.
fn session_of(start: &str) -> &str {
    start
        .strip_prefix("https://api.example/procurement/punchout/start/")
        .unwrap_or_else(|| panic!("start page {start}"))
}

/// The PunchOutOrderMessage a return page's form posts, and where to.
fn posted(page: &str) -> (String, PunchOutOrder) {
    let (action, cxml) = b2b_test_support::self_posting_form(page);
    (action, PunchOutOrder::from_xml(cxml.as_bytes()).unwrap())
}

impl Harness {
    /// Posts a setup request; its cXML status, and the start page when 200.
    async fn set_up(&self, doc: &str, now: i64) -> (u16, String) {
        let resp = self
            .intake
            .handle_at(request("POST", "/procurement/cxml", None, Some(doc)), now)
            .await;
        let body = text(&resp);
        let code: u16 = body
            .split(r#"<Status code=""#)
            .nth(1)
            .and_then(|r| r.split('"').next())
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("{body}"));
        if code == 200 {
            (code, b2b_cxml::read_start_page(body.as_bytes()).unwrap())
        } else {
            (code, body)
        }
    }

    async fn get(&self, path: &str, cookie: Option<&str>, now: i64) -> Response<Body> {
        self.intake
            .handle_at(request("GET", path, cookie, None), now)
            .await
    }

    fn add_cart(&self, id: &str, cart: Value) {
        self.store.carts.lock().unwrap().insert(id.into(), cart);
    }
}

#[tokio::test]
async fn a_punch_out_signs_the_buyer_in_once_and_returns_the_cart_once() {
    let h = harness();
    let (code, start) = h.set_up(SETUP, NOW).await;
    assert_eq!(code, 200, "{start}");
    let session = session_of(&start).to_owned();
    assert_eq!(session.len(), 64);
    // The state table holds the session by its hash only.
    let key = super::session_key(&session);
    let kept = h.state.watermark(&key).unwrap();
    assert_eq!(kept["customer_id"], 7);
    assert_eq!(kept["buyer_cookie"], "NW-SESSION-5c1f2e");
    assert!(!kept.to_string().contains(&session));

    // The start page: a login token for customer 7, made now, and the session cookie.
    let resp = h
        .get(
            &format!("/procurement/punchout/start/{session}"),
            None,
            NOW + 5,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{}", text(&resp));
    let location = header(&resp, "location");
    let token = location
        .strip_prefix("https://shop.example/login/token/")
        .unwrap_or_else(|| panic!("{location}"));
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    v.required_spec_claims.clear();
    v.validate_exp = false;
    let claims = jsonwebtoken::decode::<LoginClaims>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(CLIENT_SECRET.as_bytes()),
        &v,
    )
    .unwrap()
    .claims;
    assert_eq!(
        (
            claims.iss.as_str(),
            claims.store_hash.as_str(),
            claims.customer_id,
            claims.iat
        ),
        ("app-1", "abc123", 7, NOW + 5)
    );
    assert_eq!(claims.operation, "customer_login");
    assert_eq!(
        (claims.channel_id, claims.redirect_to.as_deref()),
        (Some(1), Some("/b2b"))
    );
    let cookie = header(&resp, "set-cookie");
    for part in [
        format!("b2b_punchout={session}"),
        "Path=/procurement/punchout".into(),
        "HttpOnly".into(),
        "Secure".into(),
        "SameSite=Lax".into(),
    ] {
        assert!(cookie.contains(&part), "{cookie}");
    }
    assert_eq!(header(&resp, "cache-control"), "no-store");
    assert_eq!(header(&resp, "referrer-policy"), "no-referrer");

    // A start page opened twice is refused (a login token is for one visit).
    let again = h
        .get(
            &format!("/procurement/punchout/start/{session}"),
            None,
            NOW + 6,
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(text(&again).contains("used already"), "{}", text(&again));

    // The cart goes back as a PunchOutOrderMessage posted to the BrowserFormPost URL.
    h.add_cart("cart-1", cart("cart-1", 7));
    let jar = format!("b2b_punchout={session}");
    let resp = h
        .get(
            "/procurement/punchout/return?cart_id=cart-1",
            Some(&jar),
            NOW + 600,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", text(&resp));
    let (action, order) = posted(&text(&resp));
    assert_eq!(
        action,
        "https://procure.northwind.example/punchout/return?session=5c1f2e"
    );
    assert_eq!(order.buyer_cookie, "NW-SESSION-5c1f2e");
    assert_eq!(order.currency, "USD");
    assert_eq!(order.total, Amount::parse("55").unwrap());
    let lines: Vec<(&str, u32, String, Option<&str>)> = order
        .items
        .iter()
        .map(|i| {
            (
                i.sku.as_str(),
                i.quantity,
                i.unit_price.to_string(),
                i.aux_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            (
                "SKU-001-1",
                2,
                Amount::parse("22.5").unwrap().to_string(),
                Some("line-1")
            ),
            (
                "SETUP-FEE",
                1,
                Amount::parse("10").unwrap().to_string(),
                Some("line-2")
            ),
        ]
    );
    assert!(header(&resp, "set-cookie").contains("Max-Age=0"));

    // Once: the same cookie again is a replay.
    let again = h
        .get(
            "/procurement/punchout/return?cart_id=cart-1",
            Some(&jar),
            NOW + 601,
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(
        text(&again).contains("returned already"),
        "{}",
        text(&again)
    );
}

#[tokio::test]
async fn a_foreign_cart_or_store_is_refused_and_the_session_stays_usable() {
    let h = harness();
    let (_, start) = h.set_up(SETUP, NOW).await;
    let jar = format!("b2b_punchout={}", session_of(&start));
    h.add_cart("theirs", cart("theirs", 8));
    h.add_cart("mine", cart("mine", 7));
    let resp = h
        .get(
            "/procurement/punchout/return?cart_id=theirs",
            Some(&jar),
            NOW + 60,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(
        text(&resp).contains("not the punch-out shopper"),
        "{}",
        text(&resp)
    );
    let resp = h
        .get(
            "/procurement/punchout/return/other1?cart_id=mine",
            Some(&jar),
            NOW + 60,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = h
        .get(
            "/procurement/punchout/return?cart_id=gone",
            Some(&jar),
            NOW + 60,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let mut gift = cart("gift", 7);
    gift["line_items"]["gift_certificates"] = json!([{"id": "g1", "name": "Gift", "amount": 10}]);
    h.add_cart("gift", gift);
    let resp = h
        .get(
            "/procurement/punchout/return?cart_id=gift",
            Some(&jar),
            NOW + 60,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&resp).contains("gift certificates"), "{}", text(&resp));
    // A forged cookie names no session.
    let resp = h
        .get(
            "/procurement/punchout/return?cart_id=mine",
            Some("b2b_punchout=00ff"),
            NOW + 60,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // None of that used the session up.
    let resp = h
        .get(
            "/procurement/punchout/return?cart_id=mine",
            Some(&jar),
            NOW + 61,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", text(&resp));
}

#[tokio::test]
async fn without_the_cookie_the_carts_customer_names_the_session_and_without_a_cart_it_is_cancelled(
) {
    let h = harness();
    h.set_up(SETUP, NOW).await;
    h.add_cart("mine", cart("mine", 7));
    let resp = h
        .get("/procurement/punchout/return?cart_id=mine", None, NOW + 60)
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", text(&resp));
    assert_eq!(posted(&text(&resp)).1.items.len(), 2);
    // A storefront form may post the cart id instead.
    let mut form = request(
        "POST",
        "/procurement/punchout/return",
        None,
        Some("cart_id=mine"),
    );
    form.headers_mut().insert(
        "content-type",
        "application/x-www-form-urlencoded".parse().unwrap(),
    );
    assert_eq!(super::cart_id_of(&form).as_deref(), Some("mine"));
    // Neither cookie nor cart: nothing to go on.
    let resp = h.get("/procurement/punchout/return", None, NOW + 60).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // With the cookie and no cart: an empty cart goes back (the buyer cancelled).
    let (_, start) = h.set_up(SETUP, NOW + 100).await;
    let jar = format!("b2b_punchout={}", session_of(&start));
    let resp = h
        .get("/procurement/punchout/return", Some(&jar), NOW + 160)
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", text(&resp));
    let (_, order) = posted(&text(&resp));
    assert!(order.items.is_empty());
    assert_eq!(
        (order.currency.as_str(), order.total),
        ("USD", Amount::ZERO)
    );
}

#[tokio::test]
async fn expired_replaced_and_unknown_sessions_are_refused() {
    let h = harness();
    let (_, first) = h.set_up(SETUP, NOW).await;
    let first = session_of(&first).to_owned();
    // The start page is for the first five minutes only.
    let resp = h
        .get(
            &format!("/procurement/punchout/start/{first}"),
            None,
            NOW + 301,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::GONE);
    let resp = h
        .get(
            &format!("/procurement/punchout/start/{}", "ab".repeat(32)),
            None,
            NOW,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = h
        .get("/procurement/punchout/start/not-hex", None, NOW)
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // A newer punch-out of the same buyer replaces the first session.
    let (_, second) = h.set_up(SETUP, NOW + 10).await;
    h.add_cart("mine", cart("mine", 7));
    let resp = h
        .get(
            "/procurement/punchout/return?cart_id=mine",
            Some(&format!("b2b_punchout={first}")),
            NOW + 20,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(text(&resp).contains("replaced"), "{}", text(&resp));
    // The session lasts two hours (the default).
    let jar = format!("b2b_punchout={}", session_of(&second));
    let resp = h
        .get(
            "/procurement/punchout/return?cart_id=mine",
            Some(&jar),
            NOW + 10 + 7201,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::GONE);
}

#[tokio::test]
async fn bad_setup_requests_get_their_cxml_status_and_open_no_session() {
    let h = harness();
    let cases = [
        (
            SETUP.replace("s3cret-for-tests-0123456789abcdefgh", "wrong"),
            401,
            "SharedSecret",
        ),
        (
            SETUP
                .replace(
                    r#"<Extrinsic name="UserEmail">nancy@northwind.example</Extrinsic>"#,
                    "",
                )
                .replace("<Email>nancy.d@northwind.example</Email>", ""),
            400,
            "UserEmail",
        ),
        (
            SETUP.replace("nancy@northwind", "eve@northwind"),
            400,
            "not a buyer",
        ),
        (
            SETUP.replace("nancy@northwind", "down@northwind"),
            500,
            "temporarily",
        ),
        (
            SETUP.replace(
                "https://procure.northwind.example/punchout",
                "http://procure.northwind.example/punchout",
            ),
            400,
            "BrowserFormPost",
        ),
        (
            SETUP.replace(r#"operation="create""#, r#"operation="inspect""#),
            450,
            "inspect",
        ),
        (
            SETUP.replace(
                "<Identity>ACME-SUPPLY</Identity>",
                "<Identity>OTHER</Identity>",
            ),
            400,
            "not this supplier",
        ),
        (
            SETUP.replace(r#"deploymentMode="test""#, r#"deploymentMode="production""#),
            400,
            "deploymentMode",
        ),
        (
            SETUP.replace("<BuyerCookie>NW-SESSION-5c1f2e</BuyerCookie>", ""),
            400,
            "BuyerCookie",
        ),
    ];
    for (doc, status, says) in cases {
        let (code, body) = h.set_up(&doc, NOW).await;
        assert_eq!(code, status, "{says}: {body}");
        assert!(body.contains(says), "{says}: {body}");
        assert!(!body.contains("s3cret"), "{body}");
    }
    assert_eq!(h.state.watermark_count(), 0, "no session remembered");
    // A store that offers no punch-out says so.
    let without = PROCUREMENT
        .split(",\n    \"punchout\"")
        .next()
        .unwrap()
        .to_owned()
        + "}";
    let h = harness_with(&without);
    let (code, body) = h.set_up(SETUP, NOW).await;
    assert_eq!(code, 450, "{body}");
    assert!(body.contains("punch-out is not offered"), "{body}");
}

#[test]
fn the_public_address_comes_from_the_setting_or_the_request() {
    use lambda_http::http::HeaderMap;
    let mut h = HeaderMap::new();
    assert_eq!(super::public_base(None, &h, "/procurement/cxml"), None);
    h.insert("host", "abc.execute-api.example".parse().unwrap());
    assert_eq!(
        super::public_base(None, &h, "/prod/procurement/cxml").as_deref(),
        Some("https://abc.execute-api.example/prod")
    );
    h.insert("host", "127.0.0.1:9000".parse().unwrap());
    assert_eq!(
        super::public_base(None, &h, "/procurement/cxml/abc").as_deref(),
        Some("http://127.0.0.1:9000")
    );
    h.insert("x-forwarded-proto", "https".parse().unwrap());
    assert_eq!(
        super::public_base(None, &h, "/procurement/cxml").as_deref(),
        Some("https://127.0.0.1:9000")
    );
    assert_eq!(
        super::public_base(Some("https://b2b.example/api/"), &h, "/procurement/cxml").as_deref(),
        Some("https://b2b.example/api")
    );
    // The cookie goes where the browser sends the return: under PUBLIC_URL's base path.
    assert_eq!(
        super::cookie_path(
            Some("https://b2b.example/api"),
            "/procurement/punchout/start/x"
        ),
        "/api/procurement/punchout"
    );
    assert_eq!(
        super::cookie_path(None, "/prod/procurement/punchout/start/x"),
        "/prod/procurement/punchout"
    );
    assert_eq!(
        super::cookie_path(Some("http://127.0.0.1:9000"), "/procurement/cxml"),
        "/procurement/punchout"
    );
    let mut c = HeaderMap::new();
    c.insert("cookie", "a=1; b2b_punchout=xyz ; c=3".parse().unwrap());
    assert_eq!(
        super::cookie_value(&c, "b2b_punchout").as_deref(),
        Some("xyz")
    );
    assert_eq!(super::cookie_value(&c, "b2b"), None);
}

#[tokio::test]
async fn every_exchange_is_counted_by_document_and_status() {
    use b2b_shared::telemetry::{capture_metrics, metric_values};
    let h = harness();
    let flow = async {
        let (_, start) = h.set_up(SETUP, NOW).await;
        h.set_up(
            &SETUP.replace("s3cret-for-tests-0123456789abcdefgh", "wrong"),
            NOW,
        )
        .await;
        let path = format!("/procurement/punchout/start/{}", session_of(&start));
        h.get(&path, None, NOW + 1).await;
        h.get(&path, None, NOW + 2).await;
        h.get("/procurement/punchout/return", None, NOW + 3).await;
    };
    let ((), docs) = capture_metrics(flow).await;
    let counted: Vec<(String, String, f64)> = metric_values(&docs, "ProcurementDocuments")
        .into_iter()
        .map(|(v, doc)| {
            (
                doc["Document"].as_str().unwrap().to_owned(),
                doc["Status"].as_str().unwrap().to_owned(),
                v,
            )
        })
        .collect();
    let expected: Vec<(String, String, f64)> = [
        ("PunchOutSetupRequest", "200"),
        ("PunchOutSetupRequest", "401"),
        ("PunchOutStart", "303"),
        ("PunchOutStart", "409"),
        ("PunchOutReturn", "400"),
    ]
    .iter()
    .map(|(d, s)| (d.to_string(), s.to_string(), 1.0))
    .collect();
    assert_eq!(counted, expected);
}
