//! The sandbox's own check of requests against BigCommerce's official specs (`src/contract`):
//! what it records, what reject mode answers, what the documented exceptions let through, and
//! that a strict harness fails the test that broke the contract.

mod common;

use bc_sandbox::contract::{ContractMode, Violation};
use common::*;
use reqwest::Method;
use serde_json::json;

async fn sandbox(mode: ContractMode) -> Sb {
    start(SandboxOptionsExt::with(|o| {
        o.quota = 0;
        o.b2b_quota = 0;
        o.seed_companies = 2;
        o.seed_orders = 2;
        o.contract = mode;
    }))
    .await
}

fn locations(found: &[Violation]) -> Vec<String> {
    found.iter().map(|v| v.location.clone()).collect()
}

#[tokio::test]
async fn record_mode_serves_the_request_and_names_what_broke_the_spec() {
    let s = sandbox(ContractMode::Record).await;
    assert_eq!(s.b2b_get("/rfq?sortBy=colour").await.status, 200);
    assert_eq!(s.b2b_get("/companies?limit=5&colour=red").await.status, 200);
    let found = s.sb.take_contract_violations();
    assert_eq!(
        locations(&found),
        ["query sortBy", "query colour"],
        "{found:#?}"
    );
    assert_eq!(found[0].route, "GET /api/v3/io/rfq");
    assert_eq!(found[0].spec, "quote.yaml");
    assert!(
        found[0].problem.contains("\"company\""),
        "{}",
        found[0].problem
    );
    assert!(
        found[1].problem.contains("not a parameter"),
        "{}",
        found[1].problem
    );
    let listed = s.admin_get("/contract").await;
    assert_eq!(listed["checking"], true);
    assert!(listed["operations"].as_u64().unwrap_or(0) > 100, "{listed}");
    assert_eq!(listed["violations"], json!([]), "taken violations are gone");
}

#[tokio::test]
async fn a_request_the_spec_allows_records_nothing() {
    let s = sandbox(ContractMode::Reject).await;
    let ok = [
        s.b2b_get("/rfq?orderBy=asc&sortBy=updatedAt&limit=5").await,
        s.b2b_get("/addresses?limit=249&externalId%5B%5D=A-1").await,
        s.send(
            s.core(Method::GET, "/v2/orders?sort=date_modified:asc&limit=5")
                .header("Content-Type", "application/json"),
        )
        .await,
        s.b2b_get("/countries?searchType=1&q=US").await,
    ];
    for r in &ok {
        assert_eq!(r.status, 200, "{}", r.text);
    }
    assert_eq!(ok[3].json()["data"]["countryName"], "United States");
    assert_eq!(s.sb.contract_violations(), []);
}

#[tokio::test]
async fn reject_mode_answers_as_bigcommerce_would() {
    let s = sandbox(ContractMode::Reject).await;
    let r = s.b2b_get("/rfq?orderBy=ASC").await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.json()["data"]["errMsg"]
        .as_str()
        .unwrap_or("")
        .contains("query orderBy"));
    let r = s
        .b2b_json(Method::POST, "/companies", json!({"companyName": "x"}))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("companyEmail"), "{}", r.text);
    let r = s
        .send(
            s.core(Method::GET, "/v3/pricelists?colour=red")
                .header("Content-Type", "application/json"),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.json()["title"].is_string(), "v3 error shape: {}", r.text);
    let r = s.send(s.core(Method::GET, "/v2/orders?colour=red")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(
        r.json()[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("query colour"),
        "{}",
        r.text
    );
    let found = s.sb.take_contract_violations();
    assert_eq!(found.len(), 9, "one per missing company field: {found:#?}");
    assert!(found.iter().all(|v| v.request.contains('/')), "{found:#?}");
}

#[tokio::test]
async fn the_documented_exceptions_are_not_recorded() {
    let s = sandbox(ContractMode::Record).await;
    // The v2 sort suffix, allowed by the parameter's prose.
    s.send(
        s.core(Method::GET, "/v2/orders?sort=date_created:desc")
            .header("Content-Type", "application/json"),
    )
    .await;
    // Bulk create's extraFields as the array every other company operation takes.
    s.b2b_json(Method::POST, "/companies/bulk", json!([company_body(1)]))
        .await;
    assert_eq!(s.sb.take_contract_violations(), []);
}

#[tokio::test]
#[should_panic(expected = "broke BigCommerce's official contract")]
async fn a_strict_sandbox_fails_the_test_that_broke_the_contract() {
    let s = start(
        SandboxOptionsExt::with(|o| {
            o.quota = 0;
            o.b2b_quota = 0;
        })
        .strict(),
    )
    .await;
    s.b2b_get("/rfq?orderBy=ASC").await;
    drop(s);
}

#[tokio::test]
async fn off_mode_checks_nothing() {
    let s = sandbox(ContractMode::Off).await;
    assert_eq!(s.b2b_get("/rfq?sortBy=colour").await.status, 200);
    assert_eq!(s.sb.contract_violations(), []);
    assert_eq!(s.admin_get("/contract").await["checking"], false);
}
