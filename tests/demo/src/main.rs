//! `make demo`: one realistic day of a wholesale store, run locally through the real function
//! binaries.
//!
//! moto plays AWS (Secrets Manager, SQS, DynamoDB; started by `scripts/with-moto.sh`), bc-sandbox
//! plays BigCommerce with its Standard-plan rate limits, and `cargo lambda watch` runs the real
//! webhook-intake, upsert-worker, token-refresh and order-export binaries under its Lambda
//! emulator. The day: the webhook subscription check subscribes webhook-intake; the ERP pushes
//! companies, buyers and a 5,000-record price list to `POST /inbound`; the upsert-worker drains
//! the inbound queue (invoked with SQS batches, as Lambda's poller would); buyers place orders and
//! BigCommerce fires webhooks into webhook-intake; a replay of the ERP batch changes nothing; the
//! scheduled export sends every order, quote and company to the outbound queue. Then it prints a
//! report and stops everything it started. Any failed step ends the demo with an error.

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use bc_sandbox::{start, RunningSandbox, SandboxOptions};
use reqwest::StatusCode;
use serde_json::{json, Value};

mod procurement;

type Error = Box<dyn std::error::Error + Send + Sync>;

const STORE: &str = "demo42";
pub(crate) const TOKEN: &str = "demo-store-token";
const WEBHOOK_SECRET: &str = "demo-webhook-secret-0123456789abcdef";
const INBOUND_KEY: &str = "demo-inbound-key-0123456789abcdefgh";

fn step(t0: Instant, what: &str) {
    println!("[{:>6.1}s] {what}", t0.elapsed().as_secs_f64());
}

/// The functions under `cargo lambda watch`, stopped (with every process it started) on drop.
struct Lambdas {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Lambdas {
    async fn start(port: u16, env: &[(&str, String)]) -> Result<Self, Error> {
        std::fs::create_dir_all("target/demo")?;
        let log = std::fs::File::create("target/demo/cargo-lambda-watch.log")?;
        let mut cmd = Command::new("cargo");
        cmd.args([
            "lambda",
            "watch",
            "--ignore-changes",
            "-A",
            "127.0.0.1",
            "-P",
            &port.to_string(),
            "--timeout",
            "600",
        ])
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .stdin(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start `cargo lambda watch` (run `make demo`, which installs it into .venv): {e}"))?;
        let base = format!("http://127.0.0.1:{port}");
        let lambdas = Lambdas {
            child,
            base,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(600))
                .build()?,
        };
        for _ in 0..120 {
            if lambdas.http.get(&lambdas.base).send().await.is_ok() {
                return Ok(lambdas);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Err("cargo lambda watch did not come up; see target/demo/cargo-lambda-watch.log".into())
    }

    /// The Function URL of an HTTP function.
    fn url(&self, function: &str) -> String {
        format!("{}/lambda-url/{function}", self.base)
    }

    /// Invokes a function with `payload` (the Lambda Invoke API) and returns its answer.
    async fn invoke(&self, function: &str, payload: &Value) -> Result<Value, Error> {
        let resp = self
            .http
            .post(format!(
                "{}/2015-03-31/functions/{function}/invocations",
                self.base
            ))
            .json(payload)
            .send()
            .await?;
        let status = resp.status();
        let body = resp.text().await?;
        if !status.is_success() {
            return Err(format!("{function} failed ({status}): {body}").into());
        }
        let value: Value = serde_json::from_str(&body)
            .map_err(|e| format!("{function} answered {body:?}: {e}"))?;
        if value.get("errorType").is_some() {
            return Err(format!("{function} failed: {value}").into());
        }
        Ok(value)
    }
}

impl Drop for Lambdas {
    fn drop(&mut self) {
        // Like Ctrl-C: cargo-lambda then stops every function instance it started.
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn erp_batch() -> Vec<Value> {
    let mut out = Vec::new();
    for c in 1..=20 {
        let ext = format!("CUST-{c:04}");
        out.push(json!({"type":"company.upsert","version":1,"store_hash":STORE,"external_id":ext,
            "company":{"name":format!("Wholesale Customer {c}"),"email":format!("ap@customer{c}.example"),"phone":"555-0100","country":"US",
                "address":{"line1":format!("{c} Commerce St"),"city":"Austin","state":"Texas","zip_code":"78701"},
                "admin":{"first_name":"Pat","last_name":format!("Admin{c}"),"email":format!("admin@customer{c}.example")},
                "extra_fields":{"erp_id":ext},"status":"approved"}}));
        for b in 1..=2 {
            out.push(json!({"type":"user.upsert","version":1,"store_hash":STORE,"external_id":format!("CONTACT-{c:04}-{b}"),
                "company_external_id":ext,"user":{"first_name":"Buyer","last_name":format!("{c}-{b}"),
                "email":format!("buyer{b}@customer{c}.example"),"role":if b == 1 {"senior_buyer"} else {"junior_buyer"}}}));
        }
    }
    out
}

/// The price list as the ERP sends it: 5,000 records in commands of 1,000 (an SQS message, and so
/// a `POST /inbound` body, holds at most 256 KiB).
fn price_list_commands(price_list: i64) -> Vec<Value> {
    (0..5)
        .map(|part| {
            let records: Vec<Value> = (part * 1_000 + 1..=(part + 1) * 1_000)
                .map(|v| json!({"variant_id": v, "currency": "usd", "price": 5.0 + (v % 97) as f64 / 4.0}))
                .collect();
            json!({"type":"pricelist.records.upsert","version":1,"store_hash":STORE,
                "external_id":format!("PRICELIST-{price_list}-2026-11-part{}", part + 1),
                "price_list_id":price_list,"records":records})
        })
        .collect()
}

/// The ERP's fulfillment feed for the placed orders: a status change for two, a shipment with
/// tracking (every line, by SKU) for four, and a stock snapshot of ten SKUs at two warehouses.
fn fulfillment_commands(state: &Value, placed: &[i64]) -> Vec<Value> {
    let shippable: Vec<i64> = placed
        .iter()
        .copied()
        .filter(|id| {
            matches!(
                state["orders"][id.to_string()]["status_id"].as_i64(),
                Some(1 | 7 | 9 | 11)
            )
        })
        .collect();
    let mut out = Vec::new();
    for id in shippable.iter().take(2) {
        out.push(
            json!({"type": "order.status", "version": 1, "store_hash": STORE,
            "external_id": format!("SO-{id}"), "order": {"id": id, "reference": format!("SO-{id}")},
            "status": "awaiting_shipment"}),
        );
    }
    for id in shippable.iter().take(4) {
        let lines: Vec<Value> = state["order_products"][id.to_string()]
            .as_array()
            .into_iter()
            .flatten()
            .map(|l| json!({"sku": l["sku"], "quantity": l["quantity"]}))
            .collect();
        out.push(
            json!({"type": "shipment.create", "version": 1, "store_hash": STORE,
            "external_id": format!("ASN-{id}"), "order": {"id": id},
            "shipment": {"lines": lines, "tracking_number": format!("1Z999AA1{id:010}"),
                "shipping_provider": "ups", "comments": "Shipped from WH-EAST"}}),
        );
    }
    let items: Vec<Value> = (1..=10)
        .map(|n| {
            json!({"sku": format!("SKU-{:03}-1", n), "location_code": if n % 2 == 0 { "WH-EAST" } else { "WH-WEST" },
                "quantity": n * 25})
        })
        .collect();
    out.push(
        json!({"type": "inventory.set", "version": 1, "store_hash": STORE,
        "external_id": "SNAP-DEMO-1", "reason": "ERP nightly snapshot", "items": items}),
    );
    out
}

/// The ERP's open invoices for the placed orders of its own customers (a company whose
/// external id it knows), as its AR export would send them: the order's total, due in 30 days.
fn invoice_commands(state: &Value, placed: &[i64]) -> Vec<Value> {
    let external_of = |company: &Value| -> Option<String> {
        company["extraFields"].as_array()?.iter().find_map(|f| {
            f["fieldValue"]
                .as_str()
                .filter(|v| v.starts_with("CUST-"))
                .map(str::to_owned)
        })
    };
    placed
        .iter()
        .filter_map(|id| {
            let b2b = &state["b2b_orders"][id.to_string()];
            let company = &state["companies"][b2b["companyId"].to_string()];
            let ext = external_of(company)?;
            let total = state["orders"][id.to_string()]["total_inc_tax"]
                .as_str()?
                .parse::<f64>()
                .ok()?;
            let total = format!("{total:.2}");
            Some(json!({"type": "invoice.upsert", "version": 1, "store_hash": STORE,
                "external_id": format!("AR-INV-{id}"), "company_external_id": ext,
                "invoice": {"number": format!("INV-{id}"), "currency": "USD", "total": total,
                    "open_balance": total, "order_id": id, "purchase_order_number": format!("PO-{id}"),
                    "issued_on": "2026-12-01", "due_on": "2026-12-31", "terms": "Net 30"}}))
        })
        .take(4)
        .collect()
}

/// The open balance of every invoice in the portal (`USD`), from the sandbox's state.
fn open_receivables(state: &Value) -> f64 {
    state["invoices"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(|i| i["openBalance"]["value"].as_str()?.parse::<f64>().ok())
        .sum()
}

/// The sandbox's whole state (`GET /__sandbox/state`).
async fn sandbox_state(http: &reqwest::Client, sandbox: &RunningSandbox) -> Result<Value, Error> {
    Ok(http
        .get(format!("{}/__sandbox/state", sandbox.base_url()))
        .send()
        .await?
        .json()
        .await?)
}

/// What the receivables step did.
struct Receivables {
    summary: String,
    open_before: f64,
    open_after: f64,
    payments_back: u64,
}

/// The ERP pushes invoices for the buyers' orders through `POST /inbound`, a buyer pays the
/// first in the portal (the sandbox's admin call), and the payments stream brings it back.
async fn receivables(
    http: &reqwest::Client,
    intake_url: &str,
    aws: &Aws,
    lambdas: &Lambdas,
    sandbox: &RunningSandbox,
    placed_ids: &[i64],
) -> Result<Receivables, Error> {
    let state_now: Value = sandbox_state(http, sandbox).await?;
    let invoices = invoice_commands(&state_now, placed_ids);
    if invoices.is_empty() {
        return Err("no placed order belongs to one of the ERP's customers".into());
    }
    post_inbound(http, intake_url, &json!(invoices)).await?;
    let applied_invoices = drain(aws, lambdas).await?.commands;
    let with_invoices: Value = sandbox_state(http, sandbox).await?;
    let open_before = open_receivables(&with_invoices);
    let first_invoice = with_invoices["invoices"]
        .as_object()
        .and_then(|m| m.values().next().cloned())
        .unwrap_or_default();
    let paid = http
        .post(format!("{}/__sandbox/invoice-payments", sandbox.base_url()))
        .json(&json!({"customerId": first_invoice["customerId"],
            "lineItems": [{"invoiceId": first_invoice["id"], "amount": first_invoice["openBalance"]["value"]}]}))
        .send()
        .await?;
    if !paid.status().is_success() {
        return Err(format!(
            "the buyer's portal payment was refused: {}",
            paid.text().await?
        )
        .into());
    }
    let portal_export = lambdas
        .invoke(
            "order-export",
            &json!({"streams": ["payments", "receipts"]}),
        )
        .await?;
    let payments_back = portal_export["streams"]["payments"]["exported"]
        .as_u64()
        .unwrap_or(0);
    let after_payment: Value = sandbox_state(http, sandbox).await?;
    let open_after = open_receivables(&after_payment);
    let summary = format!(
            "ERP pushed {applied_invoices} invoices (open {open_before:.2} USD); a buyer paid {} {} in the portal; the export brought {payments_back} payment(s) back (open now {open_after:.2} USD)",
            first_invoice["invoiceNumber"].as_str().unwrap_or_default(),
            first_invoice["openBalance"]["value"].as_str().unwrap_or_default(),
        );
    if applied_invoices != invoices.len() || payments_back == 0 {
        return Err(format!(
            "{applied_invoices} of {} invoices applied, {payments_back} payments exported",
            invoices.len()
        )
        .into());
    }
    Ok(Receivables {
        summary,
        open_before,
        open_after,
        payments_back,
    })
}

/// A `company.upsert` for the account step.
fn account_company(ext: &str, name: &str, parent: Option<&str>) -> Value {
    let lower = ext.to_lowercase();
    let mut c = json!({"type": "company.upsert", "version": 1, "store_hash": STORE,
        "external_id": ext, "company": {"name": name, "email": format!("ap@{lower}.example"),
        "phone": "555-0170", "country": "US",
        "admin": {"first_name": "Pat", "last_name": "Buyer", "email": format!("pat@{lower}.example")}}});
    if let Some(p) = parent {
        c["company"]["parent_external_id"] = json!(p);
    }
    c
}

/// The ERP's customer master and territory table build a whole account: a parent with two
/// branches (sent branches first: they wait for it), net-30 terms and credit on the parent, and
/// a sales rep (made in the control panel: the sandbox's admin call) on all three, the parent's
/// catalog and customer group (sent after it: it waits), and a branch's order guide as a
/// shopping list.
async fn accounts(
    http: &reqwest::Client,
    intake_url: &str,
    aws: &Aws,
    lambdas: &Lambdas,
    sandbox: &RunningSandbox,
    price_list: i64,
) -> Result<String, Error> {
    let rep = "marie@seller.example";
    http.post(format!("{}/__sandbox/sales-staff", sandbox.base_url()))
        .json(&json!({"email": rep, "name": "Marie Curie"}))
        .send()
        .await?
        .error_for_status()?;
    let mut texas = account_company("ACME-TX", "Acme Texas", Some("ACME"));
    texas["company"]["extra_fields"] = json!({"procurement_id": procurement::PROCUREMENT_BUYER});
    let mut parent = account_company("ACME", "Acme Holdings", None);
    parent["company"]["payment_terms"] = json!({"net_days": 30});
    parent["company"]["payment_methods"] = json!(["purchase_order", "bankdeposit"]);
    parent["company"]["credit"] = json!({"currency": "USD", "limit": "25000", "balance": "8200"});
    parent["company"]["customer_group_external_id"] = json!("PG-CONTRACT");
    parent["company"]["catalog_id"] = json!(price_list);
    let batch = json!([
        texas,
        account_company("ACME-CA", "Acme California", Some("ACME")),
        parent,
        {"type": "customergroup.upsert", "version": 1, "store_hash": STORE, "external_id": "PG-CONTRACT",
         "customer_group": {"name": "Acme contract pricing", "category_access": {"type": "all"},
         "discount_rules": [{"type": "all", "method": "percent", "amount": "4"}]}},
        {"type": "salesrep.assign", "version": 1, "store_hash": STORE, "external_id": "TERR-SW",
         "sales_rep": {"email": rep, "assign": ["ACME", "ACME-TX", "ACME-CA"]}},
        {"type": "shoppinglist.upsert", "version": 1, "store_hash": STORE, "external_id": "GUIDE-ACME-TX-weekly",
         "company_external_id": "ACME-TX", "shopping_list": {"name": "Weekly order guide",
         "buyer_email": "pat@acme-tx.example",
         "items": [{"sku": "SKU-001-1", "quantity": 24}, {"sku": "SKU-007-2", "quantity": 6}]}},
    ]);
    post_inbound(http, intake_url, &batch).await?;
    let drained = drain(aws, lambdas).await?;
    let state = sandbox_state(http, sandbox).await?;
    let list_items = state["shopping_lists"]
        .as_object()
        .and_then(|m| m.values().find(|l| l["name"] == "Weekly order guide"))
        .and_then(|l| l["items"].as_array())
        .map_or(0, Vec::len);
    let companies: Vec<&Value> = state["companies"]
        .as_object()
        .map(|m| m.values().collect())
        .unwrap_or_default();
    let named = |name: &str| companies.iter().find(|c| c["companyName"] == name).copied();
    let parent_id = named("Acme Holdings").map(|c| c["companyId"].clone());
    let branches = ["Acme Texas", "Acme California"]
        .iter()
        .filter(|b| named(b).is_some_and(|c| Some(&c["parentCompany"]["id"]) == parent_id.as_ref()))
        .count();
    let key = parent_id.map(|id| id.to_string()).unwrap_or_default();
    let terms = &state["company_terms"][&key];
    let available = &state["company_credit"][&key]["availableCredit"];
    let assigned = state["sales_staff"]
        .as_object()
        .and_then(|m| m.values().next())
        .and_then(|s| s["assigned"].as_object())
        .map_or(0, |a| a.len());
    let parent = named("Acme Holdings");
    let catalog = parent.map_or(Value::Null, |c| c["catalogId"].clone());
    let group = parent
        .and_then(|c| c["bcGroupName"].as_str())
        .unwrap_or_default()
        .to_owned();
    if branches != 2 || terms["paymentTerms"] != 30 || assigned != 3 || list_items != 2 {
        return Err(format!(
            "account step: {branches} branches linked, terms {terms}, rep on {assigned} accounts, {list_items} items on the order guide"
        )
        .into());
    }
    if catalog != json!(price_list.to_string()) || group != "Acme contract pricing" {
        return Err(format!("account step: catalog {catalog}, customer group {group}").into());
    }
    Ok(format!(
        "ERP built an account: Acme Holdings with 2 branches (sent before it: they waited for it; {} deliveries retried), net-30 terms, {available} USD credit available, catalog = price list {price_list} in customer group {group} (4% off), sales rep {rep} on 3 accounts, and Acme Texas's weekly order guide as a shopping list of {list_items} items",
        drained.retried
    ))
}

/// Sends the whole ERP push to `POST /inbound`; every request must be accepted.
async fn push(
    http: &reqwest::Client,
    intake_url: &str,
    batch: &[Value],
    price_list: i64,
) -> Result<usize, Error> {
    let mut bodies = vec![Value::Array(batch.to_vec())];
    bodies.extend(price_list_commands(price_list));
    let mut commands = 0;
    for body in &bodies {
        post_inbound(http, intake_url, body).await?;
        commands += body.as_array().map_or(1, Vec::len);
    }
    Ok(commands)
}

/// One `POST /inbound` with the ERP's key; anything but 202 is an error.
async fn post_inbound(http: &reqwest::Client, intake_url: &str, body: &Value) -> Result<(), Error> {
    let resp = http
        .post(format!("{intake_url}/inbound"))
        .bearer_auth(INBOUND_KEY)
        .json(body)
        .send()
        .await?;
    if resp.status() != StatusCode::ACCEPTED {
        return Err(format!(
            "POST /inbound answered {}: {}",
            resp.status(),
            resp.text().await?
        )
        .into());
    }
    Ok(())
}

struct Aws {
    sqs: aws_sdk_sqs::Client,
    inbound: String,
}

/// What draining the inbound queue did.
#[derive(Debug, Default)]
struct Drained {
    commands: usize,
    events: usize,
    retried: usize,
}

/// Drains the inbound queue through the upsert-worker binary, as Lambda's SQS poller would:
/// a batch of up to 10 messages per invocation, deleting all but the reported failures.
async fn drain(aws: &Aws, lambdas: &Lambdas) -> Result<Drained, Error> {
    let mut done = Drained::default();
    let mut idle = 0;
    while idle < 3 {
        let got = aws
            .sqs
            .receive_message()
            .queue_url(&aws.inbound)
            .max_number_of_messages(10)
            .visibility_timeout(2)
            .send()
            .await?;
        let messages = got.messages.unwrap_or_default();
        if messages.is_empty() {
            idle += 1;
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        idle = 0;
        let records: Vec<Value> = messages
            .iter()
            .map(|m| json!({"messageId": m.message_id, "receiptHandle": m.receipt_handle, "body": m.body,
                "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:demo-inbound", "awsRegion": "us-east-1"}))
            .collect();
        let resp = lambdas
            .invoke("upsert-worker", &json!({ "Records": records }))
            .await?;
        let failed: BTreeSet<String> = resp["batchItemFailures"]
            .as_array()
            .map(|f| {
                f.iter()
                    .filter_map(|i| i["itemIdentifier"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        for m in &messages {
            if failed.contains(m.message_id.as_deref().unwrap_or_default()) {
                done.retried += 1;
                continue;
            }
            if m.body
                .as_deref()
                .is_some_and(|b| b.contains("\"webhook.event\""))
            {
                done.events += 1;
            } else {
                done.commands += 1;
            }
            aws.sqs
                .delete_message()
                .queue_url(&aws.inbound)
                .set_receipt_handle(m.receipt_handle.clone())
                .send()
                .await?;
        }
    }
    Ok(done)
}

async fn queue(sqs: &aws_sdk_sqs::Client, name: String) -> Result<String, Error> {
    Ok(sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await?
        .queue_url
        .unwrap_or_default())
}

async fn run() -> Result<(), Error> {
    let t0 = Instant::now();
    let endpoint = std::env::var("AWS_ENDPOINT_URL")
        .map_err(|_| "AWS_ENDPOINT_URL is not set: run `make demo` (it starts moto)")?;

    // BigCommerce: Standard-plan limits, a seeded catalog and a few existing companies and orders.
    let sandbox = start(SandboxOptions {
        store_hash: STORE.into(),
        token: TOKEN.into(),
        seed_companies: 5,
        seed_orders: 20,
        catalog_products: 2_500,
        ..SandboxOptions::default()
    })
    .await?;
    step(
        t0,
        &format!(
            "bc-sandbox up at {} (150 req/30 s core, 150 req/60 s B2B)",
            sandbox.base_url()
        ),
    );

    // The procurement system of a buyer, which hears back about its purchase orders.
    let buyer_system = procurement::BuyerSystem::start().await?;

    // AWS: the store secret, the queues and the state table, in moto.
    let sdk = aws_config::load_from_env().await;
    let sm = aws_sdk_secretsmanager::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let run_id = std::process::id();
    let secret_id = format!("demo/{STORE}/{run_id}");
    sm.create_secret()
        .name(&secret_id)
        .secret_string(
            json!({"store_hash": STORE, "access_token": TOKEN, "webhook_secret": WEBHOOK_SECRET,
            "inbound_api_key": INBOUND_KEY, "client_id": procurement::APP_CLIENT_ID,
            "client_secret": procurement::APP_CLIENT_SECRET,
            "procurement": procurement::config(&buyer_system.url, &sandbox.base_url())})
            .to_string(),
        )
        .send()
        .await?;
    let dlq = queue(&sqs, format!("demo-dlq-{run_id}")).await?;
    let inbound = queue(&sqs, format!("demo-inbound-{run_id}")).await?;
    let outbound = queue(&sqs, format!("demo-outbound-{run_id}")).await?;
    let table = format!("demo-state-{run_id}");
    dynamo
        .create_table()
        .table_name(&table)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()?,
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await?;
    step(
        t0,
        "moto: store secret, inbound, dead-letter and outbound queues, state table created",
    );

    // The real function binaries, under cargo-lambda's Lambda emulator.
    let port = 9_000 + (run_id % 700) as u16;
    let watch_base = format!("http://127.0.0.1:{port}");
    let env = vec![
        ("BC_SECRET_ID", secret_id.clone()),
        ("BC_API_URL", sandbox.base_url()),
        ("B2B_API_URL", sandbox.base_url()),
        ("INBOUND_QUEUE_URL", inbound.clone()),
        ("OUTBOUND_QUEUE_URL", outbound.clone()),
        ("DEAD_LETTER_QUEUE_URL", dlq.clone()),
        ("STATE_TABLE", table.clone()),
        ("WEBHOOK_AUTH", "header".into()),
        (
            "WEBHOOK_DESTINATION",
            format!("{watch_base}/lambda-url/webhook-intake/webhooks/bigcommerce"),
        ),
        (
            "WEBHOOK_SCOPES",
            "store/order/*,store/company/*,store/quote/*".into(),
        ),
        ("STORE_SECRET_IDS", secret_id.clone()),
        // The emulator's function URLs drop the `/lambda-url/{function}` prefix before the
        // function sees the path, as a proxy with a base path does: punch-out start pages
        // are made with the address browsers reach.
        (
            "PUBLIC_URL",
            format!("{watch_base}/lambda-url/webhook-intake"),
        ),
        ("EXPORT_START_DAYS", "3650".into()),
        ("AWS_ENDPOINT_URL", endpoint),
        (
            "RUST_LOG",
            std::env::var("DEMO_LOG").unwrap_or_else(|_| "warn".into()),
        ),
    ];
    let lambdas = Lambdas::start(port, &env).await?;
    let health = lambdas
        .http
        .get(format!("{}/health", lambdas.url("webhook-intake")))
        .send()
        .await?;
    if health.status() != StatusCode::OK {
        return Err(format!("webhook-intake /health answered {}", health.status()).into());
    }
    step(
        t0,
        &format!("cargo lambda watch at {watch_base}: webhook-intake answers /health"),
    );

    // The subscription check (token-refresh) subscribes webhook-intake.
    let report = lambdas
        .invoke("token-refresh", &json!({"task": "check-webhooks"}))
        .await?;
    step(
        t0,
        &format!(
            "token-refresh check-webhooks: {} webhook(s) created",
            report["created"].as_array().map_or(0, Vec::len)
        ),
    );
    let health = lambdas
        .invoke("token-refresh", &json!({"task": "token-health"}))
        .await?;
    step(t0, &format!("token-refresh token-health: {health}"));

    // Price list for the ERP's records.
    let http = reqwest::Client::new();
    let pl: Value = http
        .post(format!("{}/v3/pricelists", sandbox.core_base_url()))
        .header("X-Auth-Token", TOKEN)
        .json(&json!({"name": "Wholesale 2026", "active": true}))
        .send()
        .await?
        .json()
        .await?;
    let price_list = pl["data"]["id"].as_i64().ok_or("price list not created")?;

    // The ERP pushes its batch through webhook-intake's /inbound.
    let intake_url = lambdas.url("webhook-intake");
    let batch = erp_batch();
    let t_push = Instant::now();
    let pushed = push(&http, &intake_url, &batch, price_list).await?;
    step(t0, &format!("ERP pushed {pushed} commands (20 companies, 40 buyers, 5,000 price records for list {price_list}) → 202"));

    let aws = Aws {
        sqs: sqs.clone(),
        inbound: inbound.clone(),
    };
    let first = drain(&aws, &lambdas).await?;
    let applied = first.commands;
    step(t0, &format!(
        "upsert-worker applied {applied} commands and exported {} webhook events (companies created) in {:.1}s; {} deliveries retried",
        first.events,
        t_push.elapsed().as_secs_f64(),
        first.retried
    ));

    // Buyers place orders; BigCommerce fires store/order/created into webhook-intake.
    let placed: Value = http
        .post(format!("{}/__sandbox/orders", sandbox.base_url()))
        .json(&json!({"count": 10}))
        .send()
        .await?
        .json()
        .await?;
    let orders = placed["order_ids"].as_array().map(Vec::len).unwrap_or(0);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let events = drain(&aws, &lambdas).await?.events;
    step(t0, &format!("buyers placed {orders} orders; {events} webhook event(s) came through webhook-intake and were exported"));

    // The ERP sends the same batch again: nothing may change.
    let before: Value = http
        .get(format!("{}/__sandbox/stats", sandbox.base_url()))
        .send()
        .await?
        .json()
        .await?;
    push(&http, &intake_url, &batch, price_list).await?;
    let replayed = drain(&aws, &lambdas).await?.commands;
    let after: Value = http
        .get(format!("{}/__sandbox/stats", sandbox.base_url()))
        .send()
        .await?
        .json()
        .await?;
    let writes =
        after["writes_total"].as_u64().unwrap_or(0) - before["writes_total"].as_u64().unwrap_or(0);
    step(
        t0,
        &format!("ERP replayed the batch: {replayed} commands, {writes} BigCommerce write(s)"),
    );
    if writes != 0 {
        return Err(format!("the replay wrote {writes} time(s) to BigCommerce").into());
    }

    // The ERP (or its 3PL) ships some orders, moves statuses and sends a stock snapshot.
    let placed_ids: Vec<i64> = placed["order_ids"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_i64)
        .collect();
    let state_now: Value = sandbox_state(&http, &sandbox).await?;
    let feed = fulfillment_commands(&state_now, &placed_ids);
    // One order's status and shipment travel in one push: the worker runs them in order.
    post_inbound(&http, &intake_url, &json!(feed)).await?;
    let applied_feed = drain(&aws, &lambdas).await?.commands;
    step(
        t0,
        &format!(
            "ERP sent {} fulfillment commands (statuses, shipments with tracking, a stock snapshot): {applied_feed} applied",
            feed.len(),
        ),
    );
    if applied_feed != feed.len() {
        return Err(format!(
            "{applied_feed} of {} fulfillment commands applied",
            feed.len()
        )
        .into());
    }

    // Receivables: the ERP pushes its invoices for those orders, a buyer pays one in the
    // Invoice Portal, and the export brings the payment back to the ERP.
    let receivables =
        receivables(&http, &intake_url, &aws, &lambdas, &sandbox, &placed_ids).await?;
    step(t0, &receivables.summary);
    let account = accounts(&http, &intake_url, &aws, &lambdas, &sandbox, price_list).await?;
    step(t0, &account);
    let purchase =
        procurement::step(&http, &intake_url, &aws, &lambdas, &sandbox, &buyer_system).await?;
    step(t0, &purchase);
    let (open_before, open_after, payments_back) = (
        receivables.open_before,
        receivables.open_after,
        receivables.payments_back,
    );

    // The scheduled export (Scheduler's input is `{}`); a run may stop at its deadline and the next continues.
    let t_export = Instant::now();
    let mut exported = (0u64, 0u64, 0u64);
    for _ in 0..10 {
        let r = lambdas.invoke("order-export", &json!({})).await?;
        let n = |s: &str| r["streams"][s]["exported"].as_u64().unwrap_or(0);
        exported = (
            exported.0 + n("orders"),
            exported.1 + n("quotes"),
            exported.2 + n("companies"),
        );
        if r["complete"] == true {
            break;
        }
    }
    step(
        t0,
        &format!(
            "order-export: {} orders, {} quotes, {} companies in {:.1}s",
            exported.0,
            exported.1,
            exported.2,
            t_export.elapsed().as_secs_f64()
        ),
    );
    let mut on_queue = 0;
    let mut keys = BTreeSet::new();
    loop {
        let got = sqs
            .receive_message()
            .queue_url(&outbound)
            .max_number_of_messages(10)
            .send()
            .await?;
        let msgs = got.messages.unwrap_or_default();
        if msgs.is_empty() {
            break;
        }
        for m in msgs {
            on_queue += 1;
            if let Some(doc) = m
                .body
                .as_deref()
                .and_then(|b| serde_json::from_str::<Value>(b).ok())
            {
                keys.insert(doc["dedupe_key"].as_str().unwrap_or_default().to_owned());
            }
            sqs.delete_message()
                .queue_url(&outbound)
                .set_receipt_handle(m.receipt_handle)
                .send()
                .await?;
        }
    }

    // Report.
    let dead = sqs
        .receive_message()
        .queue_url(&dlq)
        .max_number_of_messages(10)
        .send()
        .await?
        .messages
        .unwrap_or_default()
        .len();
    let state_doc: Value = sandbox_state(&http, &sandbox).await?;
    let count = |k: &str| match &state_doc[k] {
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        _ => 0,
    };
    println!();
    println!("== demo report ==");
    println!(
        "companies in store        {:>6}  (5 seeded + 20 from the ERP + an account of 3)",
        count("companies")
    );
    println!("buyers in store           {:>6}", count("users"));
    println!("orders placed by buyers   {orders:>6}");
    println!(
        "commands applied          {applied:>6}  ({} deliveries retried)",
        first.retried
    );
    println!("order webhooks exported   {events:>6}");
    println!("replay writes             {writes:>6}");
    let shipments: Vec<&Value> = state_doc["shipments"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(Value::as_array)
        .flatten()
        .collect();
    let shipped = placed_ids
        .iter()
        .filter(|id| state_doc["orders"][id.to_string()]["status_id"] == 2)
        .count();
    println!(
        "shipments with tracking   {:>6}  ({shipped} orders now Shipped; e.g. {})",
        shipments.len(),
        shipments
            .first()
            .map(|s| format!("order {} via {}", s["order_id"], s["tracking_number"]))
            .unwrap_or_default()
    );
    let levels = ["2", "3"]
        .iter()
        .map(|loc| {
            state_doc["inventory"]
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(k, _)| k.starts_with(&format!("{loc}:")))
                .count()
        })
        .collect::<Vec<_>>();
    println!(
        "stock levels at WH-EAST   {:>6}  (WH-WEST {}; from the ERP snapshot)",
        levels[0], levels[1]
    );
    println!(
        "invoices in the portal    {:>6}  (open {open_before:.2} USD before the buyer's payment, {open_after:.2} after; {payments_back} payment(s) exported to the ERP)",
        count("invoices")
    );
    println!("dead-lettered             {dead:>6}");
    println!(
        "BigCommerce requests      {:>6}  (429s sent by the sandbox: {})",
        after["requests_total"], after["rate_limited_total"]
    );
    println!("documents on outbound     {on_queue:>6}  ({} distinct by dedupe key; webhooks sent some right away, the schedule repeats them)", keys.len());
    println!(
        "scheduled export          {:>6}  ({} orders, {} quotes, {} companies)",
        exported.0 + exported.1 + exported.2,
        exported.0,
        exported.1,
        exported.2
    );
    let broken = sandbox.take_contract_violations();
    let checked = if sandbox.app().contract.is_some() {
        "checked against BigCommerce's official specs"
    } else {
        "not checked: the official specs are missing, run `make specs`"
    };
    println!(
        "contract violations       {:>6}  (requests {checked})",
        broken.len()
    );
    for v in &broken {
        println!("  - {v}");
    }
    println!(
        "total time                {:>6.1}s",
        t0.elapsed().as_secs_f64()
    );
    drop(lambdas);
    sandbox.shutdown().await;
    if dead != 0 {
        return Err(format!("{dead} message(s) were dead-lettered").into());
    }
    if events == 0 {
        return Err("no order webhook came through webhook-intake to the export".into());
    }
    if shipments.is_empty() || shipped == 0 {
        return Err("the ERP's shipments did not reach the store".into());
    }
    if !broken.is_empty() {
        return Err(format!("{} request(s) broke the official contract", broken.len()).into());
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("demo failed: {e}");
        std::process::exit(1);
    }
}
