//! `make demo`: one realistic day of a wholesale store, run locally through the real handlers.
//!
//! moto plays AWS (Secrets Manager, SQS, DynamoDB; started by `scripts/with-moto.sh`), bc-sandbox
//! plays BigCommerce with its Standard-plan rate limits. The day: the webhook subscription check
//! subscribes webhook-intake; the ERP pushes companies, buyers and a 5,000-record price list to
//! `POST /inbound`; the upsert-worker drains the inbound queue; buyers place orders and BigCommerce
//! fires webhooks into webhook-intake; a replay of the ERP batch changes nothing; the scheduled
//! export sends every order, quote and company to the outbound queue. Then it prints a
//! report and stops everything it started. Any failed step ends the demo with an error.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use b2b_shared::bigcommerce::{BcClient, ClientOptions};
use b2b_shared::queue::SqsQueue;
use b2b_shared::secrets::{SecretCache, SecretsManagerFetcher, StoreCredentials};
use b2b_shared::state::DynamoState;
use bc_sandbox::{start, SandboxOptions};
use serde_json::{json, Value};
use token_refresh::webhooks::{check, HookSettings};
use upsert_worker::{Applier, Worker};
use webhook_intake::{AuthMode, Intake, Settings};

type Error = Box<dyn std::error::Error + Send + Sync>;

const STORE: &str = "demo42";
const TOKEN: &str = "demo-store-token";
const WEBHOOK_SECRET: &str = "demo-webhook-secret";
const INBOUND_KEY: &str = "demo-inbound-key";

fn step(t0: Instant, what: &str) {
    println!("[{:>6.1}s] {what}", t0.elapsed().as_secs_f64());
}

/// Serves webhook-intake's handler over real HTTP (what API Gateway does in AWS).
async fn intake_http(
    State(intake): State<Arc<Intake>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = lambda_http::http::Request::builder()
        .method(method)
        .uri(uri);
    for (k, v) in &headers {
        req = req.header(k, v);
    }
    let Ok(req) = req.body(lambda_http::Body::Binary(body.to_vec())) else {
        return (
            StatusCode::BAD_REQUEST,
            HeaderMap::new(),
            b"bad request".to_vec(),
        );
    };
    let resp = intake.handle(req).await;
    let status = resp.status();
    let headers = resp.headers().clone();
    (status, headers, resp.body().to_vec())
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
        commands += body.as_array().map_or(1, Vec::len);
    }
    Ok(commands)
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

/// Drains the inbound queue through the worker as Lambda's SQS poller would.
async fn drain(aws: &Aws, worker: &Worker) -> Result<Drained, Error> {
    let mut done = Drained::default();
    let mut idle = 0;
    while idle < 3 {
        let got = aws
            .sqs
            .receive_message()
            .queue_url(&aws.inbound)
            .max_number_of_messages(10)
            .visibility_timeout(1)
            .send()
            .await?;
        let messages = got.messages.unwrap_or_default();
        if messages.is_empty() {
            idle += 1;
            tokio::time::sleep(Duration::from_millis(300)).await;
            continue;
        }
        idle = 0;
        let records: Vec<Value> = messages
            .iter()
            .map(|m| json!({"messageId": m.message_id, "receiptHandle": m.receipt_handle, "body": m.body, "attributes": {}, "eventSource": "aws:sqs"}))
            .collect();
        let event: SqsEvent = serde_json::from_value(json!({ "Records": records }))?;
        let resp = worker.handle(&event).await;
        let failed: Vec<String> = resp
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect();
        for m in &messages {
            let id = m.message_id.clone().unwrap_or_default();
            if failed.contains(&id) {
                done.retried += 1;
            } else {
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
    }
    Ok(done)
}

async fn run() -> Result<(), Error> {
    let t0 = Instant::now();
    if std::env::var_os("AWS_ENDPOINT_URL").is_none() {
        return Err("AWS_ENDPOINT_URL is not set: run `make demo` (it starts moto)".into());
    }
    // BigCommerce: Standard-plan limits, a seeded catalog and a few existing companies and orders.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let intake_url = format!("http://{}", listener.local_addr()?);
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

    // AWS: the store secret, the queues and the state table, in moto.
    let sdk = aws_config::load_from_env().await;
    let sm = aws_sdk_secretsmanager::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let run_id = std::process::id();
    let secret_id = format!("demo/{STORE}/{run_id}");
    sm.create_secret()
        .name(&secret_id)
        .secret_string(json!({"store_hash": STORE, "access_token": TOKEN, "webhook_secret": WEBHOOK_SECRET, "inbound_api_key": INBOUND_KEY}).to_string())
        .send()
        .await?;
    let dlq = sqs
        .create_queue()
        .queue_name(format!("demo-dlq-{run_id}"))
        .send()
        .await?
        .queue_url
        .unwrap_or_default();
    let outbound = sqs
        .create_queue()
        .queue_name(format!("demo-outbound-{run_id}"))
        .send()
        .await?
        .queue_url
        .unwrap_or_default();
    let inbound = sqs
        .create_queue()
        .queue_name(format!("demo-inbound-{run_id}"))
        .send()
        .await?
        .queue_url
        .unwrap_or_default();
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

    let credentials: Arc<dyn StoreCredentials> = Arc::new(SecretCache::new(
        SecretsManagerFetcher::new(sm.clone()),
        secret_id.clone(),
        Duration::from_secs(300),
    ));
    let base = url::Url::parse(&sandbox.base_url())?;
    let client = BcClient::new(&base, &base, credentials.clone(), ClientOptions::default())?;
    let state = Arc::new(DynamoState::new(dynamo.clone(), &table));

    // order-export: the scheduled run below, and the webhook path through the worker.
    let exporter = order_export::Exporter {
        client: client.clone(),
        state: state.clone(),
        outbound: Arc::new(SqsQueue::new(sqs.clone(), &outbound)),
        settings: order_export::ExportSettings {
            first_run_days: 3_650,
            ..order_export::ExportSettings::default()
        },
        fifo: false,
        archive: None,
    };
    // webhook-intake, served over HTTP.
    let intake = Arc::new(Intake {
        credentials: credentials.clone(),
        queue: Arc::new(SqsQueue::new(sqs.clone(), &inbound)),
        state: state.clone(),
        settings: Settings {
            auth: AuthMode::Header,
            ..Settings::default()
        },
    });
    let app = axum::Router::new().fallback(intake_http).with_state(intake);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    step(t0, &format!("webhook-intake serving at {intake_url}"));

    // The subscription check subscribes webhook-intake to orders, companies and quotes.
    let hooks = HookSettings {
        destination: format!("{intake_url}/webhooks/bigcommerce"),
        scopes: vec![
            "store/order/*".into(),
            "store/company/*".into(),
            "store/quote/*".into(),
        ],
        auth_header: "X-Webhook-Secret".into(),
    };
    let report = check(&client, &hooks).await?;
    step(
        t0,
        &format!(
            "subscription check: {} webhook(s) created, {} re-enabled",
            report.created.len(),
            report.reenabled.len()
        ),
    );

    // Price list 1 for the ERP's records.
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

    // The ERP pushes its batch.
    let batch = erp_batch();
    let t_push = Instant::now();
    let pushed = push(&http, &intake_url, &batch, price_list).await?;
    step(t0, &format!("ERP pushed {pushed} commands (20 companies, 40 buyers, 5,000 price records for list {price_list}) → 202"));

    let worker = Worker {
        applier: Applier {
            client: client.clone(),
            state: state.clone(),
            external_id_field: "external_id".into(),
        },
        mapping: None,
        dead_letters: Arc::new(SqsQueue::new(sqs.clone(), &dlq)),
        visibility: None,
        events: Some(Arc::new(upsert_worker::export_events::ExportEvents(
            exporter.clone(),
        ))),
        concurrency: 4,
    };
    let aws = Aws {
        sqs: sqs.clone(),
        inbound: inbound.clone(),
    };
    let first = drain(&aws, &worker).await?;
    let applied = first.commands;
    step(t0, &format!(
        "upsert-worker applied {applied} commands and took {} webhook events (companies created) in {:.1}s; {} deliveries retried",
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
    tokio::time::sleep(Duration::from_secs(2)).await;
    let events = drain(&aws, &worker).await?.events;
    step(t0, &format!("buyers placed {orders} orders; {events} webhook event(s) arrived through webhook-intake"));

    // The ERP sends the same batch again: nothing may change.
    let before: Value = http
        .get(format!("{}/__sandbox/stats", sandbox.base_url()))
        .send()
        .await?
        .json()
        .await?;
    push(&http, &intake_url, &batch, price_list).await?;
    let replayed = drain(&aws, &worker).await?.commands;
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

    // The scheduled export: everything since the store opened, to the outbound queue.
    let t_export = Instant::now();
    let export = exporter.run(None, None).await;
    if !export.complete {
        return Err(format!("the export did not complete: {export:?}").into());
    }
    let exported = |s: &str| export.streams.get(s).map_or(0, |r| r.exported);
    step(
        t0,
        &format!(
            "scheduled export: {} orders, {} quotes, {} companies in {:.1}s",
            exported("orders"),
            exported("quotes"),
            exported("companies"),
            t_export.elapsed().as_secs_f64()
        ),
    );
    let mut on_queue = 0;
    let mut keys = std::collections::BTreeSet::new();
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
    let stats = client.stats();
    let state_doc: Value = http
        .get(format!("{}/__sandbox/state", sandbox.base_url()))
        .send()
        .await?
        .json()
        .await?;
    let count = |k: &str| match &state_doc[k] {
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        _ => 0,
    };
    println!();
    println!("== demo report ==");
    println!(
        "companies in store        {:>6}  (5 seeded + 20 from the ERP)",
        count("companies")
    );
    println!("buyers in store           {:>6}", count("users"));
    println!("orders placed by buyers   {orders:>6}");
    println!("commands applied          {applied:>6}");
    println!("order webhooks enqueued   {events:>6}");
    println!("replay writes             {writes:>6}");
    println!("dead-lettered             {dead:>6}");
    println!("BigCommerce requests      {:>6}  (429s received: {}, pacing waits summed over concurrent calls: {:.1}s)", stats.requests, stats.rate_limited, stats.waited_ms as f64 / 1000.0);
    println!(
        "sandbox 429s sent         {:>6}",
        after["rate_limited_total"]
    );
    println!("documents on the outbound queue {on_queue:>6}  ({} distinct by dedupe key: webhooks sent some right away, the schedule repeats them)", keys.len());
    println!(
        "scheduled export          {:>6}  ({} orders, {} quotes, {} companies)",
        exported("orders") + exported("quotes") + exported("companies"),
        exported("orders"),
        exported("quotes"),
        exported("companies")
    );
    println!(
        "total time                {:>6.1}s",
        t0.elapsed().as_secs_f64()
    );
    server.abort();
    sandbox.shutdown().await;
    if dead != 0 {
        return Err(format!("{dead} message(s) were dead-lettered").into());
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
