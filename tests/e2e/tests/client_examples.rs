//! The client crate's examples, run as the programs a user runs (`cargo run --example ...`),
//! against the sandbox through the same environment variables a real store would take.

use std::process::{Command, Output};

use b2b_test_support::lambda::example_binary;
use bc_sandbox::{RunningSandbox, SandboxOptions};
use serde_json::{json, Value};

async fn sandbox() -> RunningSandbox {
    bc_sandbox::start(SandboxOptions {
        quota: 0,
        b2b_quota: 0,
        seed_companies: 6,
        ..SandboxOptions::default().strict()
    })
    .await
    .expect("sandbox starts")
}

/// Runs example `name` with `args`, pointed at `sb` unless `env` is empty.
fn run(name: &str, args: &[&str], env: &[(&str, String)]) -> Output {
    let bin = example_binary("bigcommerce-b2b", name).unwrap_or_else(|e| panic!("{e}"));
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env_remove("BC_STORE_HASH")
        .env_remove("BC_ACCESS_TOKEN")
        .env_remove("BC_API_URL")
        .env_remove("B2B_API_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("example runs")
}

fn store_env(sb: &RunningSandbox) -> Vec<(&'static str, String)> {
    vec![
        ("BC_STORE_HASH", "sandbox".into()),
        ("BC_ACCESS_TOKEN", "sandbox-token".into()),
        ("BC_API_URL", sb.base_url()),
        ("B2B_API_URL", sb.base_url()),
    ]
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_companies_prints_every_company_with_its_buyers() {
    let sb = sandbox().await;
    let (companies, users) = {
        let data = sb.app().data();
        (data.companies.clone(), data.users.clone())
    };
    let env = store_env(&sb);
    let out = tokio::task::spawn_blocking(move || run("list_companies", &[], &env))
        .await
        .unwrap();
    let text = stdout(&out);
    for (id, company) in &companies {
        let name = company["companyName"].as_str().unwrap();
        assert!(
            text.contains(&format!("company {id} {name}\n")),
            "{id} missing:\n{text}"
        );
    }
    for user in users.values() {
        let email = user["email"].as_str().unwrap();
        assert!(text.contains(&format!("<{email}>")), "{email} missing");
    }
    assert!(
        text.contains(&format!(
            "{} companies, {} buyers,",
            companies.len(),
            users.len()
        )),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upsert_price_list_writes_every_record_in_batches() {
    let sb = sandbox().await;
    let (list_id, skus) = {
        let data = sb.app().data();
        let list_id = *data.pricelists.keys().next().expect("a seeded price list");
        let skus: Vec<String> = data
            .variants
            .values()
            .map(|v| v["sku"].as_str().unwrap().to_owned())
            .collect();
        (list_id, skus)
    };
    let records: Vec<Value> = skus
        .iter()
        .enumerate()
        .map(|(i, sku)| json!({"sku": sku, "currency": "eur", "price": 1.0 + i as f64}))
        .collect();
    let dir = std::env::temp_dir().join(format!("client-examples-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("prices.json");
    std::fs::write(&file, serde_json::to_vec(&records).unwrap()).unwrap();

    let env = store_env(&sb);
    let args = [list_id.to_string(), file.display().to_string()];
    let out = tokio::task::spawn_blocking(move || {
        run(
            "upsert_price_list",
            &[args[0].as_str(), args[1].as_str()],
            &env,
        )
    })
    .await
    .unwrap();
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "{} records in 1 batches, 0 rejected",
            records.len()
        )),
        "{text}"
    );
    let data = sb.app().data();
    let eur: Vec<&Value> = data
        .records
        .values()
        .filter(|r| r["price_list_id"] == json!(list_id) && r["currency"] == "eur")
        .collect();
    assert_eq!(eur.len(), records.len());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn examples_name_every_missing_setting() {
    let out = run("list_companies", &[], &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("BC_STORE_HASH is not set"), "{err}");
    assert!(err.contains("BC_ACCESS_TOKEN is not set"), "{err}");
    let out = run(
        "upsert_price_list",
        &["x", "none.json"],
        &[("BC_STORE_HASH", "a/b".into())],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("price list id `x`"), "{err}");
}
