//! The `doctor` binary against the sandbox (strict: every probe must be a request the official
//! spec allows): a store ready for use passes every check (the write test leaves nothing
//! behind), and each injected problem (a missing scope, a read-only token where a feature
//! writes, a missing extra field, a deactivated webhook) fails its check with its fix, and the
//! exit status says so.

use std::process::Output;

use b2b_test_support::{sandbox, unlimited, STORE, TOKEN};
use bc_sandbox::RunningSandbox;
use serde_json::{json, Value};

const DESTINATION: &str = "https://intake.example.com/webhooks/bigcommerce";

async fn doctor(sb: &RunningSandbox, extra: &[&str]) -> (i32, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_doctor"));
    cmd.args(["--store-hash", STORE, "--token", TOKEN])
        .args(["--api-url", &sb.base_url(), "--b2b-api-url", &sb.base_url()])
        .args(["--webhook-destination", DESTINATION])
        .args(extra)
        .env_remove("BC_ACCESS_TOKEN");
    let out: Output = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text + &String::from_utf8_lossy(&out.stderr),
    )
}

async fn post(url: String, body: Value) -> Value {
    let r = reqwest::Client::new()
        .post(url)
        .header("X-Auth-Token", TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.unwrap_or(Value::Null)
}

/// A sandbox with one active hook delivering to [`DESTINATION`]; returns the hook's id.
async fn ready_store() -> (RunningSandbox, i64) {
    let sb = sandbox(unlimited()).await;
    let hook = post(
        format!("{}/v3/hooks", sb.core_base_url()),
        json!({"scope": "store/order/created", "destination": DESTINATION, "is_active": true}),
    )
    .await;
    let id = hook["data"]["id"].as_i64().expect("hook id");
    (sb, id)
}

fn line<'a>(table: &'a str, check: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.starts_with(check))
        .unwrap_or_else(|| panic!("no `{check}` line in:\n{table}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ready_store_passes_every_check_and_the_write_test_leaves_nothing() {
    let (sb, _) = ready_store().await;
    let (code, table) = doctor(&sb, &["--write-test"]).await;
    assert_eq!(code, 0, "{table}");
    for check in [
        "scope: orders",
        "scope: customers",
        "scope: price lists",
        "scope: webhooks",
        "B2B Edition",
        "scope: carts (punch-out)",
        "feature: accounts",
        "feature: customer-groups",
        "feature: price-lists",
        "feature: orders",
        "feature: inventory",
        "feature: invoices",
        "feature: purchase-orders",
        "external-id extra field",
        "webhooks",
        "blocked destinations",
        "write test",
    ] {
        assert!(line(&table, check).contains("  ok  "), "{check}:\n{table}");
    }
    assert!(line(&table, "scope: orders").contains("quota"), "{table}");
    let state = b2b_test_support::admin(&sb, "/state").await;
    let left: Vec<&Value> = state["companies"]
        .as_object()
        .map(|m| {
            m.values()
                .filter(|c| {
                    c["companyName"]
                        .as_str()
                        .is_some_and(|n| n.starts_with("toolkit-doctor-"))
                })
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "the write test left {left:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_injected_problem_fails_its_check_with_its_fix() {
    let (sb, hook) = ready_store().await;
    let faults = format!("{}/__sandbox/faults", sb.base_url());
    post(faults.clone(), json!({"fail_requests": {"method": "GET", "path": "/v3/pricelists", "count": 10, "status": 403}})).await;
    post(faults.clone(), json!({"remove_extra_field": "external_id"})).await;
    post(faults, json!({"deactivate_hook": hook})).await;
    let (code, table) = doctor(&sb, &[]).await;
    assert_eq!(code, 1, "{table}");
    assert!(line(&table, "scope: orders").contains("  ok  "), "{table}");
    let failed = |check: &str, fix: &str| {
        let at = table.find(line(&table, check)).unwrap();
        let rest = &table[at..];
        assert!(
            rest.lines().next().unwrap().contains("FAIL"),
            "{check}:\n{table}"
        );
        assert!(
            rest.lines().nth(1).unwrap().contains(fix),
            "{check} fix:\n{table}"
        );
    };
    failed("scope: price lists", "`Products: modify`");
    failed("external-id extra field", "add a text field `external_id`");
    failed("webhooks", "check-webhooks");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_that_cannot_read_carts_is_a_warning_for_punch_out() {
    let (sb, _) = ready_store().await;
    post(
        format!("{}/__sandbox/faults", sb.base_url()),
        json!({"fail_requests": {"method": "GET", "path": "00000000-0000-4000-8000-000000000000",
            "count": 10, "status": 403}}),
    )
    .await;
    let (code, table) = doctor(&sb, &[]).await;
    let carts = line(&table, "scope: carts (punch-out)");
    assert!(carts.contains("warn"), "{table}");
    let at = table.find(carts).unwrap();
    assert!(
        table[at..]
            .lines()
            .nth(1)
            .unwrap()
            .contains("`Carts: read-only`"),
        "{table}"
    );
    // Only punch-out needs it: the store is ready for the rest.
    assert_eq!(code, 0, "{table}");
}

/// The check `check` failed and its fix names `fix`.
fn failed_with(table: &str, check: &str, fix: &str) {
    let at = table.find(line(table, check)).unwrap();
    let mut rest = table[at..].lines();
    assert!(rest.next().unwrap().contains("FAIL"), "{check}:\n{table}");
    assert!(rest.next().unwrap().contains(fix), "{check} fix:\n{table}");
}

async fn refuse(sb: &RunningSandbox, method: &str, path: &str) {
    post(
        format!("{}/__sandbox/faults", sb.base_url()),
        json!({"fail_requests": {"method": method, "path": path, "count": 10, "status": 403}}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_that_may_only_read_orders_fails_the_features_that_write_them() {
    let (sb, _) = ready_store().await;
    // Orders: read-only. Every read passes; the worker could not move an order or ship it.
    refuse(&sb, "PUT", "/v2/orders/0").await;
    let (code, table) = doctor(&sb, &[]).await;
    assert_eq!(code, 1, "{table}");
    assert!(line(&table, "scope: orders").contains("  ok  "), "{table}");
    failed_with(
        &table,
        "feature: orders",
        "grant `Orders: modify` (`store_v2_orders`)",
    );
    failed_with(&table, "feature: purchase-orders", "`Orders: modify`");
    assert!(line(&table, "feature: orders").contains("order.status, shipment.*"));
    for ready in [
        "feature: accounts",
        "feature: inventory",
        "feature: invoices",
    ] {
        assert!(line(&table, ready).contains("  ok  "), "{ready}:\n{table}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_features_named_are_checked_each_with_its_scopes() {
    let (sb, _) = ready_store().await;
    refuse(&sb, "PUT", "/v3/inventory/adjustments/absolute").await;
    let (code, table) = doctor(&sb, &["--features", "inventory"]).await;
    assert_eq!(code, 1, "{table}");
    failed_with(&table, "feature: inventory", "`Store Inventory: modify`");
    assert!(!table.contains("feature: orders"), "{table}");
    let (code, table) = doctor(&sb, &["--features", "orders,accounts"]).await;
    assert_eq!(
        code, 0,
        "the other features need no inventory scope:\n{table}"
    );
    let (code, table) = doctor(&sb, &["--features", "orderz"]).await;
    assert_eq!(code, 2, "{table}");
    assert!(table.contains("`orderz` is not a feature"), "{table}");
}

#[tokio::test(flavor = "multi_thread")]
async fn punch_out_among_the_features_fails_without_carts_and_names_the_login_scope() {
    let (sb, _) = ready_store().await;
    refuse(&sb, "GET", "00000000-0000-4000-8000-000000000000").await;
    let (code, table) = doctor(&sb, &["--features", "accounts,punch-out"]).await;
    assert_eq!(code, 1, "{table}");
    failed_with(&table, "feature: punch-out", "`Carts: read-only`");
    assert!(
        line(&table, "scope: customers login (punch-out)").contains("warn"),
        "{table}"
    );
    assert!(!table.contains("scope: carts (punch-out)"), "{table}");
}
