//! The `doctor` binary against the sandbox: a store ready for use passes every check (the write
//! test leaves nothing behind), and each injected problem (a missing scope, a missing extra
//! field, a deactivated webhook) fails its check with its fix, and the exit status says so.

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
