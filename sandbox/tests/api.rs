//! Behaviour of the B2B and core routes over HTTP: auth, rate limits, envelopes, paging,
//! validation, linked entities.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn auth_is_enforced_on_both_families() {
    let s = start(opts()).await;
    // core: no token
    let r = s
        .send(
            s.http
                .get(format!("{}/v3/pricelists", s.sb.core_base_url())),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["status"], 401);
    assert!(r.header("x-rate-limit-requests-quota").is_some());
    // core: wrong hash
    let r = s
        .send(
            s.http
                .get(format!("{}/stores/nope/v3/pricelists", s.sb.base_url()))
                .header("X-Auth-Token", TOKEN),
        )
        .await;
    assert_eq!(r.status, 404);
    // b2b: wrong token, missing hash
    let url = format!("{}/companies", s.sb.b2b_base_url());
    let r = s
        .send(
            s.http
                .get(&url)
                .header("X-Auth-Token", "bad")
                .header("X-Store-Hash", HASH),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["code"], 401);
    assert!(r.json()["meta"]["message"].is_string());
    let r = s.send(s.http.get(&url).header("X-Auth-Token", TOKEN)).await;
    assert_eq!(r.status, 401);
    let r = s
        .send(
            s.http
                .get(&url)
                .header("X-Auth-Token", TOKEN)
                .header("X-Store-Hash", "other"),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(s.b2b_get("/companies").await.status, 200);
}

#[tokio::test]
async fn core_quota_headers_and_429() {
    let s = start(common::SandboxOptionsExt::with(|o| {
        o.quota = 3;
        o.window_ms = 1_500;
    }))
    .await;
    let mut lefts = Vec::new();
    for _ in 0..3 {
        let r = s.core_get("/v3/pricelists").await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("x-rate-limit-requests-quota").as_deref(),
            Some("3")
        );
        assert_eq!(
            r.header("x-rate-limit-time-window-ms").as_deref(),
            Some("1500")
        );
        let reset: u64 = r
            .header("x-rate-limit-time-reset-ms")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        assert!(reset > 0 && reset <= 1_500);
        lefts.push(r.header("x-rate-limit-requests-left").unwrap_or_default());
    }
    assert_eq!(lefts, vec!["2", "1", "0"]);
    let r = s.core_get("/v3/pricelists").await;
    assert_eq!(r.status, 429);
    let b = r.json();
    assert_eq!(b["status"], 429);
    assert_eq!(b["title"], "Too many requests");
    assert!(b["errors"].is_object());
    assert_eq!(r.header("x-rate-limit-requests-left").as_deref(), Some("0"));
    // the B2B family has its own window
    assert_eq!(s.b2b_get("/companies").await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1_550)).await;
    assert_eq!(s.core_get("/v3/pricelists").await.status, 200);
    let stats = s.admin_get("/stats").await;
    assert_eq!(stats["rate_limited_total"], 1);
}

#[tokio::test]
async fn b2b_quota_headers_and_429() {
    let s = start(common::SandboxOptionsExt::with(|o| {
        o.b2b_quota = 2;
        o.b2b_window_ms = 5_000;
    }))
    .await;
    let r = s.b2b_get("/companies").await;
    assert_eq!(r.header("x-requests-remaining").as_deref(), Some("1 times"));
    assert_eq!(r.header("x-request-limit").as_deref(), Some("2"));
    let resets = r
        .header("x-request-window-resets-after")
        .unwrap_or_default();
    let (num, unit) = resets.split_once(' ').unwrap_or(("", ""));
    assert_eq!(unit, "s");
    assert_eq!(
        num.split_once('.').map(|(_, d)| d.len()),
        Some(3),
        "{resets}"
    );
    assert!(num.parse::<f64>().is_ok_and(|v| v > 0.0 && v <= 5.0));
    assert_eq!(s.b2b_get("/companies").await.status, 200);
    let r = s.b2b_get("/companies").await;
    assert_eq!(r.status, 429);
    assert_eq!(
        r.json(),
        json!({"code": 429, "data": {}, "meta": {"message": "Too many requests"}})
    );
    assert_eq!(r.header("x-requests-remaining").as_deref(), Some("0 times"));
}

#[tokio::test]
async fn companies_lifecycle_filters_and_links() {
    let s = start(opts()).await;
    // validation
    let r = s
        .b2b_json(Method::POST, "/companies", json!({"companyName": "x"}))
        .await;
    assert_eq!(r.status, 422);
    assert!(r.json()["data"]["errMsg"]["adminEmail"].is_array());
    let r = s
        .send(s.b2b(Method::POST, "/companies").body("{not json"))
        .await;
    assert_eq!(r.status, 400);
    // create three
    let mut ids = Vec::new();
    for n in 1..=3 {
        let r = s
            .b2b_json(Method::POST, "/companies", company_body(n))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let d = r.json()["data"].clone();
        assert!(
            d["companyId"].is_i64() && d["customerId"].is_i64() && d["customerGroupId"].is_i64()
        );
        ids.push(d);
    }
    let id = ids[0]["companyId"].as_i64().unwrap_or(0);
    // the admin user and core customer exist
    let r = s.b2b_get(&format!("/users?companyId={id}")).await;
    assert_eq!(r.json()["meta"]["pagination"]["totalCount"], 1);
    let cust = ids[0]["customerId"].as_i64().unwrap_or(0);
    let r = s.core_get(&format!("/v3/customers?id:in={cust}")).await;
    assert_eq!(r.json()["data"][0]["email"], "admin1@test.example");
    let r = s.b2b_get(&format!("/users/customer/{cust}")).await;
    assert_eq!(r.json()["data"]["companyId"], id);
    // get: string status and timestamps
    let c = s.b2b_get(&format!("/companies/{id}")).await.json();
    assert_eq!(c["code"], 200);
    assert_eq!(c["data"]["companyStatus"], "1");
    assert!(c["data"]["createdAt"]
        .as_str()
        .is_some_and(|t| t.parse::<i64>().is_ok()));
    // list envelope, paging, sorting
    let l = s
        .b2b_get("/companies?limit=2&offset=0&sortBy=companyName&orderBy=ASC")
        .await
        .json();
    assert_eq!(l["meta"]["message"], "SUCCESS");
    assert_eq!(
        l["meta"]["pagination"],
        json!({"totalCount": 3, "limit": 2, "offset": 0})
    );
    assert_eq!(l["data"][0]["companyName"], "Test Co 1");
    assert_eq!(l["data"].as_array().map(Vec::len), Some(2));
    let l = s
        .b2b_get("/companies?sortBy=companyName&orderBy=DESC")
        .await
        .json();
    assert_eq!(l["data"][0]["companyName"], "Test Co 3");
    // filters
    let l = s.b2b_get("/companies?q=co%202").await.json();
    assert_eq!(l["meta"]["pagination"]["totalCount"], 1);
    let l = s
        .b2b_get("/companies?extraFields=externalId:X-3")
        .await
        .json();
    assert_eq!(l["data"][0]["companyName"], "Test Co 3");
    let l = s
        .b2b_get(&format!("/companies?customerId={cust}"))
        .await
        .json();
    assert_eq!(l["data"][0]["companyId"], id);
    let group = ids[1]["customerGroupId"].as_i64().unwrap_or(0);
    let l = s
        .b2b_get(&format!("/companies?bcGroupId={group}"))
        .await
        .json();
    assert_eq!(l["data"][0]["companyId"], ids[1]["companyId"]);
    let r = s.b2b_get("/companies?minModified=abc").await;
    assert_eq!(r.status, 422);
    // status
    let r = s
        .b2b_json(
            Method::PUT,
            &format!("/companies/{id}/status"),
            json!({"companyStatus": 3}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        s.b2b_get("/companies?companyStatus=3").await.json()["meta"]["pagination"]["totalCount"],
        1
    );
    let r = s
        .b2b_json(
            Method::PUT,
            &format!("/companies/{id}/status"),
            json!({"companyStatus": 9}),
        )
        .await;
    assert_eq!(r.status, 422);
    // update + minModified
    let before = s.b2b_get(&format!("/companies/{id}")).await.json()["data"]["updatedAt"].clone();
    let r = s
        .b2b_json(
            Method::PUT,
            &format!("/companies/{id}"),
            json!({"companyName": "Renamed"}),
        )
        .await;
    assert_eq!(r.json()["data"]["companyId"], id);
    assert_eq!(
        s.b2b_get(&format!("/companies/{id}")).await.json()["data"]["companyName"],
        "Renamed"
    );
    let since: i64 = before.as_str().and_then(|t| t.parse().ok()).unwrap_or(0);
    let l = s
        .b2b_get(&format!("/companies?minModified={since}"))
        .await
        .json();
    assert!(l["meta"]["pagination"]["totalCount"].as_i64().unwrap_or(0) >= 1);
    // 404 and delete
    let r = s.b2b_get("/companies/99999").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["code"], 404);
    assert_eq!(
        s.send(s.b2b(Method::DELETE, &format!("/companies/{id}")))
            .await
            .status,
        200
    );
    assert_eq!(s.b2b_get(&format!("/companies/{id}")).await.status, 404);
}

#[tokio::test]
async fn company_bulk_limits_and_errors() {
    let s = start(opts()).await;
    let eleven: Vec<_> = (1..=11).map(company_body).collect();
    let r = s
        .b2b_json(Method::POST, "/companies/bulk", json!(eleven))
        .await;
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["code"], 413);
    let bad = json!([company_body(1), {"companyName": "only name"}]);
    let r = s.b2b_json(Method::POST, "/companies/bulk", bad).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["data"]["errors"][0]["id"], "1");
    assert!(r.json()["data"]["errors"][0]["_detail"].is_string());
    assert_eq!(
        s.b2b_get("/companies").await.json()["meta"]["pagination"]["totalCount"],
        0,
        "all or nothing"
    );
    let r = s
        .b2b_json(
            Method::POST,
            "/companies/bulk",
            json!([company_body(1), company_body(2)]),
        )
        .await;
    assert_eq!(r.status, 200);
    let metas = r.json()["meta"].as_array().cloned().unwrap_or_default();
    assert_eq!(metas.len(), 2);
    let id = metas[0]["companyId"].clone();
    // A conflict (company 1's admin again) fails only its item: the others are created.
    let r = s
        .b2b_json(
            Method::POST,
            "/companies/bulk",
            json!([company_body(3), company_body(1), company_body(4)]),
        )
        .await;
    assert_eq!(r.status, 400);
    let errors = r.json()["data"]["errors"].as_array().cloned().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["id"], "1");
    assert!(
        errors[0]["_detail"]
            .as_str()
            .unwrap()
            .contains("already exists"),
        "{errors:?}"
    );
    assert_eq!(
        s.b2b_get("/companies").await.json()["meta"]["pagination"]["totalCount"],
        4,
        "companies 3 and 4 were created"
    );
    assert_eq!(
        s.admin_get("/stats").await["writes_total"],
        4,
        "writes count each company a bulk create made"
    );
    let r = s
        .b2b_json(
            Method::PUT,
            "/companies/bulk",
            json!([{"companyId": id, "companyPhone": "1"}]),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = s
        .b2b_json(Method::PUT, "/companies/bulk", json!([{"companyId": 9999}]))
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn users_addresses_and_rules() {
    let s = start(opts()).await;
    let c = s
        .b2b_json(Method::POST, "/companies", company_body(1))
        .await
        .json()["data"]
        .clone();
    let cid = c["companyId"].as_i64().unwrap_or(0);
    let r = s
        .b2b_json(Method::POST, "/users", json!({"firstName": "B"}))
        .await;
    assert_eq!(r.status, 422);
    assert!(r.json()["data"]["errMsg"]["channelIds"].is_array());
    let user = json!({"firstName": "Bo", "lastName": "Buyer", "email": "bo@test.example", "companyId": cid, "role": 2, "channelIds": [1]});
    let r = s.b2b_json(Method::POST, "/users", user.clone()).await;
    assert_eq!(r.status, 200);
    let d = r.json()["data"].clone();
    let (uid, bc) = (
        d["userId"].as_i64().unwrap_or(0),
        d["bcId"].as_i64().unwrap_or(0),
    );
    assert!(uid > 0 && bc > 0);
    // core customer created for the user, in the company's group
    let cust = s
        .core_get(&format!("/v3/customers?id:in={bc}"))
        .await
        .json();
    assert_eq!(cust["data"][0]["customer_group_id"], c["customerGroupId"]);
    // duplicate email
    assert_eq!(s.b2b_json(Method::POST, "/users", user).await.status, 422);
    // filters
    let l = s.b2b_get("/users?email=bo@test.example").await.json();
    assert_eq!(l["data"][0]["id"], uid);
    assert!(l["data"][0]["createdAt"].is_i64());
    let l = s.b2b_get("/users?q=buyer").await.json();
    assert_eq!(l["meta"]["pagination"]["totalCount"], 1);
    // update and get
    let r = s
        .b2b_json(
            Method::PUT,
            &format!("/users/{uid}"),
            json!({"firstName": "Bob"}),
        )
        .await;
    assert_eq!(r.json()["data"]["firstName"], "Bob");
    // bulk
    let many: Vec<_> = (0..11).map(|i| json!({"firstName": "x", "lastName": "y", "email": format!("u{i}@t.example"), "companyId": cid, "role": 2, "channelIds": [1]})).collect();
    assert_eq!(
        s.b2b_json(Method::POST, "/users/bulk", json!(many))
            .await
            .status,
        413
    );
    let writes = |st: serde_json::Value| st["writes_total"].as_u64().unwrap();
    let before = writes(s.admin_get("/stats").await);
    let r = s
        .b2b_json(Method::POST, "/users/bulk", json!(many[..2]))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        writes(s.admin_get("/stats").await) - before,
        2,
        "each buyer a write"
    );
    // delete: last user of a company cannot go
    let c2 = s
        .b2b_json(Method::POST, "/companies", company_body(2))
        .await
        .json()["data"]
        .clone();
    let admin2 = s
        .b2b_get(&format!("/users/customer/{}", c2["customerId"]))
        .await
        .json()["data"]["id"]
        .clone();
    assert_eq!(
        s.send(s.b2b(Method::DELETE, &format!("/users/{admin2}")))
            .await
            .status,
        422
    );
    assert_eq!(
        s.send(s.b2b(Method::DELETE, &format!("/users/{uid}")))
            .await
            .status,
        200
    );
    assert_eq!(s.b2b_get(&format!("/users/{uid}")).await.status, 404);
    // addresses
    let r = s
        .b2b_json(Method::POST, "/addresses", json!({"companyId": cid}))
        .await;
    assert_eq!(r.status, 422);
    let addr = json!({"companyId": cid, "firstName": "A", "lastName": "B", "addressLine1": "1 St", "city": "X", "countryCode": "US", "externalId": "E1"});
    let r = s.b2b_json(Method::POST, "/addresses", addr).await;
    assert_eq!(r.status, 200);
    let aid = r.json()["data"]["addressId"].as_i64().unwrap_or(0);
    let l = s.b2b_get("/addresses?externalId=E1").await.json();
    assert_eq!(l["data"][0]["addressId"], aid);
    let r = s
        .b2b_json(
            Method::PUT,
            &format!("/addresses/{aid}"),
            json!({"city": "Y"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        s.b2b_get(&format!("/addresses/{aid}")).await.json()["data"]["city"],
        "Y"
    );
    assert_eq!(
        s.send(s.b2b(Method::DELETE, &format!("/addresses/{aid}")))
            .await
            .status,
        200
    );
    assert_eq!(s.b2b_get(&format!("/addresses/{aid}")).await.status, 404);
}

#[tokio::test]
async fn quotes_and_b2b_orders() {
    let mut o = opts();
    o.seed_companies = 8;
    o.seed_orders = 20;
    let s = start(o).await;
    let l = s.b2b_get("/rfq?limit=100").await.json();
    assert_eq!(l["code"], 200);
    assert_eq!(l["message"], "SUCCESS");
    let list = l["data"]["list"].as_array().cloned().unwrap_or_default();
    assert!(list.len() >= 7);
    assert_eq!(
        l["data"]["pagination"]["totalCount"].as_u64(),
        Some(list.len() as u64)
    );
    let l = s.b2b_get("/rfq?status=5").await.json();
    assert!(l["data"]["list"]
        .as_array()
        .is_some_and(|a| !a.is_empty() && a.iter().all(|q| q["status"] == 5)));
    let asc = s
        .b2b_get("/rfq?sortBy=updatedAt&orderBy=asc&limit=3")
        .await
        .json();
    let t: Vec<i64> = asc["data"]["list"]
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .filter_map(|q| q["updatedAt"].as_i64())
        .collect();
    assert!(t.windows(2).all(|w| w[0] <= w[1]));
    // create: required fields
    let r = s
        .b2b_json(Method::POST, "/rfq", json!({"grandTotal": 1}))
        .await;
    assert_eq!(r.status, 422);
    assert!(r.json()["data"]["errMsg"].is_string());
    let r = s.b2b_json(Method::POST, "/rfq", json!({"grandTotal": 10, "discount": 0, "subtotal": 10, "expiredAt": "05/07/2027", "companyId": 1, "productList": [{"sku": "SKU-001-1", "quantity": 1, "basePrice": 10, "offeredPrice": 10}]})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let qid = r.json()["data"]["quoteId"].as_i64().unwrap_or(0);
    let qid_value = json!(qid);
    let detail = s.quote_path(&qid_value).await;
    // The spec requires the creation date; without it, or with another day, no quote.
    assert_eq!(s.b2b_get(&format!("/rfq/{qid}")).await.status, 400);
    assert_eq!(
        s.b2b_get(&format!("/rfq/{qid}?date=01/01/2001"))
            .await
            .status,
        404
    );
    let q = s.b2b_get(&detail).await.json();
    assert!(
        q["data"].get("quoteId").is_none(),
        "the spec's detail has no quoteId"
    );
    assert_eq!(
        q["data"]["status"], 2,
        "a quote created through the API is in process"
    );
    assert!(q["data"]["expiredAt"].is_i64());
    // link an order
    let order_id = s.core_get("/v2/orders?limit=1").await.json()[0]["id"].clone();
    let r = s
        .b2b_json(
            Method::POST,
            &format!("/rfq/{qid}/ordered"),
            json!({"orderId": order_id.to_string()}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(s.b2b_get(&detail).await.json()["data"]["status"], 4);
    assert_eq!(
        s.b2b_json(Method::POST, &format!("/rfq/{qid}/ordered"), json!({}))
            .await
            .status,
        422
    );
    assert_eq!(s.b2b_get("/rfq/99999?date=01/01/2001").await.status, 404);
    // B2B orders: default DESC by createdAt, filters, products
    let l = s.b2b_get("/orders?limit=200").await.json();
    let all = l["data"].as_array().cloned().unwrap_or_default();
    assert!(!all.is_empty());
    let created: Vec<i64> = all.iter().filter_map(|o| o["createdAt"].as_i64()).collect();
    assert!(
        created.windows(2).all(|w| w[0] >= w[1]),
        "default order is DESC"
    );
    let asc = s
        .b2b_get("/orders?sortBy=createdAt&orderBy=ASC&limit=200")
        .await
        .json();
    assert_eq!(asc["data"][0]["bcOrderId"], all[all.len() - 1]["bcOrderId"]);
    let company = all[0]["companyId"].clone();
    let l = s
        .b2b_get(&format!("/orders?companyId={company}&limit=200"))
        .await
        .json();
    assert!(l["data"]
        .as_array()
        .is_some_and(|a| a.iter().all(|o| o["companyId"] == company)));
    let min = created[created.len() / 2];
    let l = s
        .b2b_get(&format!("/orders?minCreated={min}&limit=200"))
        .await
        .json();
    assert!(l["data"]
        .as_array()
        .is_some_and(|a| a.iter().all(|o| o["createdAt"].as_i64() >= Some(min))));
    let bc = all[0]["bcOrderId"].clone();
    let one = s.b2b_get(&format!("/orders/{bc}")).await.json();
    assert_eq!(one["data"]["bcOrderId"], bc);
    let prods = s.b2b_get(&format!("/orders/{bc}/products")).await.json();
    let core_prods = s
        .core_get(&format!("/v2/orders/{bc}/products"))
        .await
        .json();
    assert_eq!(
        prods["data"].as_array().map(Vec::len),
        core_prods.as_array().map(Vec::len)
    );
    let r = s
        .b2b_json(
            Method::PUT,
            &format!("/orders/{bc}"),
            json!({"poNumber": "PO-X"}),
        )
        .await;
    assert_eq!(r.json()["data"]["poNumber"], "PO-X");
    assert_eq!(s.b2b_get("/orders/1").await.status, 404);
}

#[tokio::test]
async fn pricelists_records_assignments() {
    let s = start(common::SandboxOptionsExt::with(|o| {
        o.records_hold_ms = Some(400)
    }))
    .await;
    let r = s
        .core_json(Method::POST, "/v3/pricelists", json!({"active": true}))
        .await;
    assert_eq!(r.status, 422);
    assert!(r.json()["errors"]["name"].is_string());
    let r = s
        .core_json(
            Method::POST,
            "/v3/pricelists",
            json!({"name": "Wholesale", "active": true}),
        )
        .await;
    assert_eq!(r.status, 200);
    let pl = r.json()["data"]["id"].as_i64().unwrap_or(0);
    assert_eq!(
        s.core_json(Method::POST, "/v3/pricelists", json!({"name": "Wholesale"}))
            .await
            .status,
        409
    );
    let l = s.core_get("/v3/pricelists").await.json();
    assert_eq!(l["meta"]["pagination"]["total"], 1);
    assert_eq!(l["meta"]["pagination"]["current_page"], 1);
    // records: validation
    let r = s
        .core_json(
            Method::PUT,
            &format!("/v3/pricelists/{pl}/records"),
            json!([{"variant_id": 1, "price": 5}, {"sku": "NOPE", "currency": "USD", "price": 1}]),
        )
        .await;
    assert_eq!(r.status, 422);
    let errs = r.json()["batch_errors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(errs.len(), 2);
    assert!(errs[0]["field_errors"]["currency"].is_string());
    let big: Vec<_> = (0..1001)
        .map(|_| json!({"variant_id": 1, "currency": "USD", "price": 1}))
        .collect();
    assert_eq!(
        s.core_json(
            Method::PUT,
            &format!("/v3/pricelists/{pl}/records"),
            json!(big)
        )
        .await
        .status,
        413
    );
    // ok, then read back
    let r = s.core_json(Method::PUT, &format!("/v3/pricelists/{pl}/records"), json!([{"variant_id": 1, "currency": "USD", "price": 9.5}, {"sku": "SKU-002-1", "currency": "USD", "price": 7, "sale_price": 6}])).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let l = s
        .core_get(&format!("/v3/pricelists/{pl}/records"))
        .await
        .json();
    assert_eq!(l["meta"]["pagination"]["total"], 2);
    let l = s
        .core_get(&format!("/v3/pricelists/{pl}/records?sku:in=SKU-002-1"))
        .await
        .json();
    assert_eq!(l["data"][0]["calculated_price"], 6.0);
    // third concurrent upsert gets 429
    let mut handles = Vec::new();
    for _ in 0..3 {
        let req = s
            .core(Method::PUT, &format!("/v3/pricelists/{pl}/records"))
            .json(&json!([{"variant_id": 3, "currency": "USD", "price": 1}]));
        handles.push(tokio::spawn(async move {
            req.send().await.map(|r| r.status().as_u16()).unwrap_or(0)
        }));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mut codes = Vec::new();
    for h in handles {
        codes.push(h.await.unwrap_or(0));
    }
    codes.sort_unstable();
    assert_eq!(codes, vec![200, 200, 429]);
    let stats = s.admin_get("/stats").await;
    assert_eq!(stats["peak_concurrent_pricelist_upserts"], 2);
    // assignments
    let g = s
        .core_json(
            Method::POST,
            "/v2/customer_groups",
            json!({"name": "Trade"}),
        )
        .await;
    assert_eq!(g.status, 200);
    let gid = g.json()["id"].as_i64().unwrap_or(0);
    let many: Vec<_> = (0..26)
        .map(|_| json!({"price_list_id": pl, "customer_group_id": gid, "channel_id": 1}))
        .collect();
    assert_eq!(
        s.core_json(Method::POST, "/v3/pricelists/assignments", json!(many))
            .await
            .status,
        422
    );
    let r = s
        .core_json(
            Method::POST,
            "/v3/pricelists/assignments",
            json!([{"price_list_id": pl, "customer_group_id": gid, "channel_id": 1}]),
        )
        .await;
    assert_eq!(r.status, 200);
    let l = s
        .core_get(&format!("/v3/pricelists/assignments?price_list_id={pl}"))
        .await
        .json();
    assert_eq!(l["data"][0]["customer_group_id"], gid);
    let r = s
        .send(s.core(
            Method::DELETE,
            &format!("/v3/pricelists/assignments?price_list_id={pl}"),
        ))
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        s.core_get("/v3/pricelists/assignments").await.json()["meta"]["pagination"]["total"],
        0
    );
}

#[tokio::test]
async fn customer_groups_customers_orders_v2() {
    let s = start(opts()).await;
    assert_eq!(s.core_get("/v2/customer_groups").await.status, 204);
    assert_eq!(
        s.core_json(Method::POST, "/v2/customer_groups", json!({}))
            .await
            .status,
        400
    );
    let g = s.core_json(Method::POST, "/v2/customer_groups", json!({"name": "VIP", "discount_rules": [{"type": "all", "method": "percent", "amount": 5}]})).await.json();
    assert_eq!(g["discount_rules"][0]["amount"], "5.0000");
    let gid = g["id"].as_i64().unwrap_or(0);
    let r = s
        .core_json(
            Method::PUT,
            &format!("/v2/customer_groups/{gid}"),
            json!({"discount_rules": [{"type": "price_list", "price_list_id": 1}]}),
        )
        .await;
    assert_eq!(r.json()["discount_rules"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        s.core_get("/v2/customer_groups").await.json()[0]["name"],
        "VIP"
    );
    assert_eq!(s.core_get("/v2/customer_groups/999").await.status, 404);
    // customers v3
    let many: Vec<_> = (0..11)
        .map(|i| json!({"email": format!("c{i}@x.example"), "first_name": "a", "last_name": "b"}))
        .collect();
    assert_eq!(
        s.core_json(Method::POST, "/v3/customers", json!(many))
            .await
            .status,
        413
    );
    let r = s
        .core_json(
            Method::POST,
            "/v3/customers",
            json!([{"email": "c@x.example"}]),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.json()["errors"]["0.first_name"].is_string());
    let r = s
        .core_json(
            Method::POST,
            "/v3/customers",
            json!([{"email": "c@x.example", "first_name": "C", "last_name": "D"}]),
        )
        .await;
    assert_eq!(r.status, 200);
    let cid = r.json()["data"][0]["id"].as_i64().unwrap_or(0);
    let r = s
        .core_json(
            Method::PUT,
            "/v3/customers",
            json!([{"id": cid, "customer_group_id": gid}]),
        )
        .await;
    assert_eq!(r.json()["data"][0]["customer_group_id"], gid);
    // orders v2: empty page is 204 with no body
    let r = s.core_get("/v2/orders").await;
    assert_eq!(r.status, 204);
    assert!(r.text.is_empty());
    let r = s
        .core_json(
            Method::POST,
            "/v2/orders",
            json!({"customer_id": cid, "products": [{"product_id": 1, "quantity": 2}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let o = r.json();
    let oid = o["id"].as_i64().unwrap_or(0);
    let created = o["date_created"].as_str().unwrap_or_default().to_string();
    assert!(
        chrono::DateTime::parse_from_rfc2822(&created).is_ok(),
        "{created}"
    );
    let r = s
        .core_get(&format!(
            "/v2/orders?min_date_modified={}&sort=date_modified:asc",
            urlencode(&created)
        ))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()[0]["id"], oid);
    let r = s
        .core_get("/v2/orders?min_date_modified=2099-01-01T00:00:00Z")
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        s.core_get("/v2/orders?min_date_modified=garbage")
            .await
            .status,
        400
    );
    let p = s
        .core_get(&format!("/v2/orders/{oid}/products"))
        .await
        .json();
    assert_eq!(p[0]["quantity"], 2);
    let sa = s
        .core_get(&format!("/v2/orders/{oid}/shipping_addresses"))
        .await
        .json();
    assert_eq!(sa[0]["order_id"], oid);
    let r = s
        .core_json(
            Method::PUT,
            &format!("/v2/orders/{oid}"),
            json!({"status_id": 2}),
        )
        .await;
    assert_eq!(r.json()["status"], "Shipped");
    assert_eq!(s.core_get("/v2/orders/99999").await.status, 404);
    assert_eq!(s.core_get("/v2/orders?page=2").await.status, 204);
}

#[tokio::test]
async fn hooks_crud_and_admin() {
    let s = start(opts()).await;
    let r = s
        .core_json(
            Method::POST,
            "/v3/hooks",
            json!({"scope": "store/order/created"}),
        )
        .await;
    assert_eq!(r.status, 422);
    let r = s.core_json(Method::POST, "/v3/hooks", json!({"scope": "store/order/*", "destination": "https://example.test/h", "is_active": true, "headers": {"X-Secret": "s"}})).await;
    assert_eq!(r.status, 200);
    let id = r.json()["data"]["id"].as_i64().unwrap_or(0);
    assert_eq!(s.core_get("/v3/hooks").await.json()["data"][0]["id"], id);
    assert_eq!(
        s.core_get(&format!("/v3/hooks/{id}")).await.json()["data"]["headers"]["X-Secret"],
        "s"
    );
    assert_eq!(
        s.core_get("/v3/hooks/admin").await.json()["data"]["hooks_list"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    let r = s
        .admin_post(
            "/faults",
            json!({"deactivate_hook": id, "block_domain": "https://example.test"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let a = s.core_get("/v3/hooks/admin").await.json();
    assert_eq!(a["data"]["hooks_list"][0]["status"], "deactivated");
    assert!(a["data"]["blocked_domains"][0]["time_left"]
        .as_i64()
        .is_some_and(|t| t > 0));
    let r = s
        .core_json(
            Method::PUT,
            &format!("/v3/hooks/{id}"),
            json!({"is_active": true}),
        )
        .await;
    assert_eq!(r.json()["data"]["is_active"], true);
    assert_eq!(
        s.core_get("/v3/hooks/admin").await.json()["data"]["hooks_list"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    assert_eq!(
        s.send(s.core(Method::DELETE, &format!("/v3/hooks/{id}")))
            .await
            .status,
        200
    );
    assert_eq!(s.core_get(&format!("/v3/hooks/{id}")).await.status, 404);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// List parameters are taken as each route's spec spells them: `orderBy` is `ASC`/`DESC` on
/// companies and B2B orders but `asc`/`desc` on quotes, and `GET /addresses` declares `limit`
/// with an exclusive maximum of 250. A request the spec does not allow is refused (422, the
/// B2B error shape), so a client sending it fails its tests here instead of in a real store.
#[tokio::test]
async fn list_parameters_follow_each_routes_spec() {
    let s = start(common::SandboxOptionsExt::with(|o| {
        o.seed_companies = 2;
    }))
    .await;
    for (path, ok) in [
        ("/companies?orderBy=ASC", true),
        ("/companies?orderBy=asc", false),
        ("/orders?orderBy=DESC", true),
        ("/orders?orderBy=desc", false),
        ("/rfq?orderBy=asc", true),
        ("/rfq?orderBy=ASC", false),
        ("/addresses?limit=249", true),
        ("/addresses?limit=250", false),
        ("/addresses?limit=1", false),
    ] {
        let r = s.b2b_get(path).await;
        if ok {
            assert_eq!(r.status, 200, "{path}: {}", r.text);
        } else {
            assert_eq!(r.status, 422, "{path}: {}", r.text);
            let msg = r.json()["data"]["errMsg"].as_str().unwrap_or("").to_owned();
            assert!(
                msg.contains("must be one of") || msg.contains("less than 250"),
                "{path}: {msg}"
            );
        }
    }
}
