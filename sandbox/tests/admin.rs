//! Admin endpoints, seeding (generated and from a file), faults, latency and headerless 429s.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn seeded_state_is_deterministic_and_linked() {
    let o = SandboxOptionsExt::with(|o| {
        o.seed_companies = 10;
        o.seed_orders = 25;
    });
    let a = start(o.clone()).await;
    let b = start(o).await;
    let sa = a.admin_get("/state").await;
    let sb = b.admin_get("/state").await;
    assert_eq!(sa, sb);
    assert_eq!(sa["companies"].as_object().map(|m| m.len()), Some(10));
    assert_eq!(sa["orders"].as_object().map(|m| m.len()), Some(25));
    // every B2B order points at a core order and a company
    let companies = sa["companies"].as_object().cloned().unwrap_or_default();
    for (id, o) in sa["b2b_orders"].as_object().cloned().unwrap_or_default() {
        assert!(sa["orders"].get(&id).is_some());
        assert!(companies.contains_key(&o["companyId"].to_string()));
    }
    // invoice-payment orders carry the metafield
    let metas = sa["order_metafields"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert!(!metas.is_empty());
    let (oid, m) = metas
        .iter()
        .next()
        .map(|(k, v)| (k.clone(), v.clone()))
        .unwrap_or_default();
    assert_eq!(m[0]["value"], "invoice payment");
    let r = a
        .core_get(&format!("/v3/orders/{oid}/metafields"))
        .await
        .json();
    assert_eq!(r["data"][0]["key"], "orderType");
    // quotes in every status
    for st in [0, 2, 3, 4, 5, 6, 7] {
        let l = a.b2b_get(&format!("/rfq?status={st}")).await.json();
        assert!(
            l["data"]["pagination"]["totalCount"].as_i64() > Some(0),
            "status {st}"
        );
    }
    // price lists assigned to company groups
    assert!(
        a.core_get("/v3/pricelists/assignments").await.json()["meta"]["pagination"]["total"]
            .as_i64()
            > Some(0)
    );
}

#[tokio::test]
async fn seed_file_round_trips_state() {
    let a = start(SandboxOptionsExt::with(|o| {
        o.seed_companies = 3;
        o.seed_orders = 4;
    }))
    .await;
    let state = a.admin_get("/state").await;
    let path = std::env::temp_dir().join(format!("bc-sandbox-seed-{}.json", std::process::id()));
    std::fs::write(&path, state.to_string()).expect("write seed");
    let b = start(SandboxOptionsExt::with(|o| {
        o.seed_file = Some(path.clone())
    }))
    .await;
    assert_eq!(b.admin_get("/state").await, state);
    // new ids continue after the loaded ones
    let r = b
        .b2b_json(Method::POST, "/companies", company_body(77))
        .await
        .json();
    assert_eq!(r["data"]["companyId"], 4);
    let _ = std::fs::remove_file(&path);
    // a broken seed file is an error, not a panic
    let bad = std::env::temp_dir().join(format!("bc-sandbox-bad-{}.json", std::process::id()));
    std::fs::write(&bad, "{nope").expect("write bad seed");
    let err = bc_sandbox::start(SandboxOptionsExt::with(|o| o.seed_file = Some(bad.clone()))).await;
    assert!(matches!(err, Err(bc_sandbox::Error::Seed { .. })));
    let _ = std::fs::remove_file(&bad);
}

#[tokio::test]
async fn stats_reset_and_admin_orders() {
    let s = start(SandboxOptionsExt::with(|o| o.seed_companies = 2)).await;
    s.b2b_get("/companies").await;
    s.b2b_get("/companies").await;
    s.b2b_get("/companies/1").await;
    s.b2b_json(Method::PUT, "/companies/1", json!({"companyPhone": "1"}))
        .await;
    let st = s.admin_get("/stats").await;
    assert_eq!(st["requests_total"], 4);
    assert_eq!(st["requests_by_route"]["GET /api/v3/io/companies"], 2);
    assert_eq!(
        st["requests_by_route"]["GET /api/v3/io/companies/{companyId}"],
        1
    );
    assert_eq!(st["writes_total"], 1);
    assert!(st["peak_concurrent_requests"].as_u64() >= Some(1));
    for k in [
        "rate_limited_total",
        "headerless_429_total",
        "faults_injected_total",
        "peak_concurrent_pricelist_upserts",
    ] {
        assert!(st.get(k).is_some(), "{k}");
    }
    // admin orders are placed by buyers and show up in both APIs
    let r = s.admin_post("/orders", json!({"count": 3})).await;
    assert_eq!(r.status, 200);
    let ids = r.json()["order_ids"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(ids.len(), 3);
    let id = &ids[0];
    assert_eq!(s.core_get(&format!("/v2/orders/{id}")).await.status, 200);
    assert_eq!(s.b2b_get(&format!("/orders/{id}")).await.status, 200);
    let r = s
        .admin_post(
            "/orders",
            json!({"orders": [{"customer_id": 999999, "products": [{"sku": "SKU-001-1"}]}]}),
        )
        .await;
    assert_eq!(r.status, 400);
    // reset
    assert_eq!(s.admin_post("/reset", json!({})).await.status, 200);
    let st = s.admin_get("/stats").await;
    assert_eq!(st["requests_total"], 0);
    assert_eq!(s.core_get("/v2/orders").await.status, 204);
    assert_eq!(
        s.b2b_get("/companies").await.json()["meta"]["pagination"]["totalCount"],
        2
    );
    // admin endpoints need no auth and are never limited
    assert_eq!(
        s.send(s.admin(Method::POST, "/faults").body("[1]"))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn faults_latency_and_headerless_429s() {
    let s = start(SandboxOptionsExt::with(|o| {
        o.quota = 2;
        o.window_ms = 60_000;
    }))
    .await;
    let r = s.admin_post("/faults", json!({"fault_rate": 1.0})).await;
    assert_eq!(r.json()["fault_rate"], 1.0);
    let r = s.core_get("/v3/pricelists").await;
    assert!([500, 502, 503].contains(&r.status), "{}", r.status);
    assert!(r.header("x-rate-limit-requests-left").is_some());
    let r = s.b2b_get("/companies").await;
    assert!([500, 502, 503].contains(&r.status));
    assert_eq!(r.json()["data"], json!({}));
    s.admin_post(
        "/faults",
        json!({"fault_rate": 0.0, "headerless_429_rate": 1.0, "latency_ms": [30, 40]}),
    )
    .await;
    let t = std::time::Instant::now();
    assert_eq!(s.core_get("/v3/pricelists").await.status, 200);
    assert!(t.elapsed() >= std::time::Duration::from_millis(30));
    let r = s.core_get("/v3/pricelists").await;
    assert_eq!(r.status, 429);
    assert!(
        r.header("x-rate-limit-requests-left").is_none(),
        "headerless 429"
    );
    let st = s.admin_get("/stats").await;
    assert_eq!(st["faults_injected_total"], 2);
    assert_eq!(st["headerless_429_total"], 1);
    assert_eq!(st["rate_limited_total"], 1);
    let r = s.admin_post("/faults", json!({"fault_rate": 2})).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn a_429_burst_answers_the_next_requests_429_whatever_the_quota() {
    let s = start(SandboxOptionsExt::with(|o| {
        o.quota = 100;
        o.window_ms = 60_000;
    }))
    .await;
    let r = s.admin_post("/faults", json!({"burst_429": 2})).await;
    assert_eq!(r.json()["burst_429"], 2);
    // Both API families share the burst; a 429 with headers says the window is spent.
    let r = s.core_get("/v3/pricelists").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("x-rate-limit-requests-left").as_deref(), Some("0"));
    assert!(r.header("x-rate-limit-time-reset-ms").is_some());
    let r = s.b2b_get("/companies").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("x-requests-remaining").as_deref(), Some("0 times"));
    // Then the quota applies again, untouched by the burst.
    let r = s.core_get("/v3/pricelists").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("x-rate-limit-requests-left").as_deref(),
        Some("99")
    );
    let st = s.admin_get("/stats").await;
    assert_eq!(st["rate_limited_total"], 2);
    let r = s.admin_post("/faults", json!({"burst_429": -1})).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn partial_fault_rate_is_roughly_respected() {
    let s = start(SandboxOptionsExt::with(|o| {
        o.quota = 0;
        o.fault_rate = 0.3;
    }))
    .await;
    let mut faults = 0;
    for _ in 0..300 {
        if s.core_get("/v3/pricelists").await.status >= 500 {
            faults += 1;
        }
    }
    assert!((40..=140).contains(&faults), "{faults} faults out of 300");
    assert_eq!(s.admin_get("/stats").await["faults_injected_total"], faults);
}
