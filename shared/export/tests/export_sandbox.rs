//! order-export against the BigCommerce sandbox: a full export delivers every order exactly once
//! after dropping repeats, a run cut off half-way and resumed loses nothing, orders modified
//! during or after an export are picked up by the next run, and an empty store exports nothing.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use b2b_export::{ExportSettings, Exporter, StreamKind};
use b2b_shared::queue::MemoryQueue;
use b2b_shared::state::{MemoryState, Watermarks};
use b2b_test_support as support;
use bc_sandbox::{RunningSandbox, SandboxOptions};
use bigcommerce_b2b::ClientOptions;
use serde_json::{json, Value};

/// The documents a queue received, for assertions.
trait Delivered {
    /// Dedupe keys → how many times each was delivered, for one document type.
    fn keys(&self, kind: &str) -> BTreeMap<String, usize>;
    /// Ids delivered for one document type.
    fn ids(&self, kind: &str) -> BTreeSet<i64>;
}

impl Delivered for MemoryQueue {
    fn keys(&self, kind: &str) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for d in self.bodies().iter().filter(|d| d["type"] == kind) {
            *m.entry(d["dedupe_key"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        m
    }
    fn ids(&self, kind: &str) -> BTreeSet<i64> {
        self.bodies()
            .iter()
            .filter(|d| d["type"] == kind)
            .map(|d| d["id"].as_i64().unwrap())
            .collect()
    }
}

struct Rig {
    sandbox: RunningSandbox,
    exporter: Exporter,
    outbox: Arc<MemoryQueue>,
    state: Arc<MemoryState>,
}

async fn rig(companies: usize, orders: usize, settings: ExportSettings) -> Rig {
    let sandbox = support::sandbox(SandboxOptions {
        seed_companies: companies,
        seed_orders: orders,
        ..support::unlimited()
    })
    .await;
    let outbox = Arc::new(MemoryQueue::default());
    let state = Arc::new(MemoryState::default());
    let exporter = Exporter {
        client: support::client(&sandbox, ClientOptions::default()),
        state: state.clone(),
        outbound: outbox.clone(),
        settings,
        fifo: false,
        archive: None,
    };
    Rig {
        sandbox,
        exporter,
        outbox,
        state,
    }
}

fn settings() -> ExportSettings {
    // The sandbox's generated data starts on 2026-01-01.
    ExportSettings {
        first_run_days: 3_650,
        page_size: 50,
        ..ExportSettings::default()
    }
}

async fn sandbox_orders(sb: &RunningSandbox) -> BTreeSet<i64> {
    support::all(&support::admin(sb, "state").await, "orders")
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_full_export_delivers_every_order_once_after_dropping_repeats() {
    let rig = rig(8, 230, settings()).await;
    let report = rig.exporter.run(None, None).await;
    assert!(report.complete, "{report:?}");
    let expected = sandbox_orders(&rig.sandbox).await;
    assert_eq!(expected.len(), 230);
    assert_eq!(rig.outbox.ids("order"), expected);
    assert!(
        rig.outbox.keys("order").values().all(|n| *n == 1),
        "one run delivers each key once"
    );
    assert_eq!(report.streams["orders"].exported, 230);
    // Orders carry lines, shipping addresses and, for B2B ones, the company and PO number.
    let docs = rig.outbox.bodies();
    let b2b = docs
        .iter()
        .find(|d| d["type"] == "order" && !d["data"]["b2b"].is_null())
        .expect("a B2B order");
    assert!(b2b["data"]["b2b"]["company_id"].as_i64().is_some());
    assert!(!b2b["data"]["products"].as_array().unwrap().is_empty());
    assert!(
        docs.iter().any(|d| d["data"]["invoice_payment"] == true),
        "seeded invoice-payment orders are flagged"
    );
    assert!(!rig.outbox.ids("company").is_empty());
    assert!(!rig.outbox.ids("quote").is_empty());
    // Every document matches the schema users read.
    let validator = common::document_schema();
    for d in &docs {
        let errors: Vec<String> = validator.iter_errors(d).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", d["dedupe_key"]);
    }

    // The next run re-reads only the overlap window: repeats, but nothing new and nothing lost.
    let again = rig.exporter.run(None, None).await;
    assert!(again.complete);
    assert_eq!(rig.outbox.ids("order"), expected);
}

#[tokio::test]
async fn a_run_cut_off_half_way_is_resumed_without_a_gap() {
    let mut s = settings();
    s.max_pages_per_run = Some(2);
    s.streams = vec![StreamKind::Orders];
    let rig = rig(4, 333, s).await;
    let mut runs = 0;
    loop {
        runs += 1;
        let report = rig.exporter.run(None, None).await;
        assert!(report.streams["orders"].error.is_none());
        if report.complete {
            break;
        }
        assert!(runs < 20, "never completed");
    }
    assert!(runs >= 3, "the export took several invocations ({runs})");
    assert_eq!(rig.outbox.ids("order"), sandbox_orders(&rig.sandbox).await);
    assert!(
        rig.outbox.keys("order").values().all(|n| *n == 1),
        "resuming repeats nothing"
    );
}

#[tokio::test]
async fn orders_placed_or_modified_later_are_picked_up_by_the_next_run() {
    let mut s = settings();
    s.streams = vec![StreamKind::Orders];
    let rig = rig(4, 40, s).await;
    assert!(rig.exporter.run(None, None).await.complete);
    let http = reqwest::Client::new();
    let placed: Value = http
        .post(format!("{}/__sandbox/orders", rig.sandbox.base_url()))
        .json(&json!({"count": 3}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new_ids: Vec<i64> = placed["order_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    let changed = *sandbox_orders(&rig.sandbox).await.iter().nth(6).unwrap();
    http.put(format!(
        "{}/v2/orders/{changed}",
        rig.sandbox.core_base_url()
    ))
    .header("X-Auth-Token", "tok")
    .json(&json!({"status_id": 10}))
    .send()
    .await
    .unwrap()
    .error_for_status()
    .unwrap();
    let before = rig.outbox.keys("order");
    assert!(rig.exporter.run(None, None).await.complete);
    let after = rig.outbox.keys("order");
    for id in &new_ids {
        assert!(
            rig.outbox.ids("order").contains(id),
            "new order {id} exported"
        );
    }
    let changed_keys: Vec<_> = after
        .keys()
        .filter(|k| k.starts_with(&format!("order:{changed}:")))
        .collect();
    assert_eq!(
        changed_keys.len(),
        2,
        "the modified order has a new dedupe key: {changed_keys:?}"
    );
    assert!(after.len() > before.len());
}

#[tokio::test]
async fn an_empty_store_exports_nothing_and_keeps_its_watermark() {
    let mut s = settings();
    s.overlap = std::time::Duration::ZERO;
    let rig = rig(0, 0, s).await;
    let first = rig.exporter.run(None, None).await;
    assert!(first.complete);
    assert!(rig.outbox.bodies().is_empty());
    let wm = rig
        .state
        .get_watermark("abc123#orders")
        .await
        .unwrap()
        .unwrap();
    let second = rig.exporter.run(None, None).await;
    assert!(second.complete);
    assert_eq!(
        rig.state
            .get_watermark("abc123#orders")
            .await
            .unwrap()
            .unwrap(),
        wm
    );
    assert_eq!(
        second.streams["orders"].watermark,
        first.streams["orders"].watermark
    );
    assert!(rig.outbox.bodies().is_empty());
}

#[tokio::test]
async fn a_webhook_event_makes_the_same_document_as_the_schedule() {
    let rig = rig(4, 10, settings()).await;
    let id = *sandbox_orders(&rig.sandbox).await.iter().nth(2).unwrap();
    let event: b2b_commands::WebhookEvent = serde_json::from_value(json!({
        "type": "webhook.event", "version": 1, "scope": "store/order/created", "store_hash": "abc123",
        "resource": {"type": "order", "id": id}, "data": {"type": "order", "id": id}, "hash": "h", "received_at": 1
    }))
    .unwrap();
    let live = rig.exporter.documents_for_event(&event).await.unwrap();
    assert_eq!(live.len(), 1);
    rig.exporter.run(Some(&[StreamKind::Orders]), None).await;
    let scheduled = rig
        .outbox
        .bodies()
        .into_iter()
        .find(|d| d["id"] == id && d["type"] == "order")
        .unwrap();
    let live = serde_json::to_value(&live[0]).unwrap();
    assert_eq!(live["dedupe_key"], scheduled["dedupe_key"]);
    assert_eq!(live["data"], scheduled["data"]);
}

#[tokio::test]
async fn a_quote_event_makes_the_same_document_as_the_schedule() {
    let rig = rig(6, 4, settings()).await;
    let state = support::admin(&rig.sandbox, "state").await;
    let quote = support::all(&state, "quotes")
        .into_iter()
        .max_by_key(|q| q["quoteId"].as_i64())
        .unwrap();
    let id = quote["quoteId"].as_i64().unwrap();
    let event = |scope: &str, at: i64| -> b2b_commands::WebhookEvent {
        serde_json::from_value(json!({
            "type": "webhook.event", "version": 1, "scope": scope, "store_hash": "abc123",
            "data": {"quote_id": id, "quote_uuid": "u"}, "hash": "h", "received_at": 1,
            "created_at": at
        }))
        .unwrap()
    };
    // Right after its change (found among recent changes), and long after it (found among all).
    let changed_at = quote["updatedAt"].as_i64().unwrap();
    let prompt = rig
        .exporter
        .documents_for_event(&event("store/quote/updated", changed_at))
        .await
        .unwrap();
    let late = rig
        .exporter
        .documents_for_event(&event("store/quote/updated", changed_at + 86_400 * 30))
        .await
        .unwrap();
    assert_eq!((prompt.len(), late.len()), (1, 1));
    rig.exporter.run(Some(&[StreamKind::Quotes]), None).await;
    let scheduled = rig
        .outbox
        .bodies()
        .into_iter()
        .find(|d| d["id"] == id && d["type"] == "quote")
        .unwrap();
    for doc in [&prompt[0], &late[0]] {
        let doc = serde_json::to_value(doc).unwrap();
        assert_eq!(doc["dedupe_key"], scheduled["dedupe_key"]);
        assert_eq!(doc["data"], scheduled["data"]);
    }
    // The detail the document carries is the spec's (no list-only fields) with its id added.
    assert_eq!(scheduled["data"]["quoteId"], id);
    assert!(
        scheduled["data"].get("company").is_none(),
        "{}",
        scheduled["data"]
    );
    assert!(scheduled["data"]["productList"].is_array());
    // A deletion makes a tombstone at once, without reading BigCommerce.
    let before = rig
        .sandbox
        .app()
        .stats
        .requests_total
        .load(std::sync::atomic::Ordering::SeqCst);
    let gone = rig
        .exporter
        .documents_for_event(&event("store/quote/deleted", changed_at + 86_400 * 30))
        .await
        .unwrap();
    let after = rig
        .sandbox
        .app()
        .stats
        .requests_total
        .load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(after, before);
    assert_eq!(gone.len(), 1);
    let tombstone = serde_json::to_value(&gone[0]).unwrap();
    assert_eq!(tombstone["deleted"]["source"], "webhook");
    assert_eq!(
        tombstone["dedupe_key"],
        format!("quote:{id}:{}", changed_at + 86_400 * 30)
    );
}

#[tokio::test]
async fn deletions_reach_the_erp_as_tombstones() {
    let rig = rig(3, 3, settings()).await;
    let event = |scope: &str, data: Value| -> b2b_commands::WebhookEvent {
        serde_json::from_value(json!({
            "type": "webhook.event", "version": 1, "scope": scope, "store_hash": "abc123",
            "data": data, "hash": "h", "received_at": 1_800_000_100, "created_at": 1_800_000_000
        }))
        .unwrap()
    };
    let validator = common::document_schema();
    let cases = [
        (
            "store/company/deleted",
            json!({"company_id": 999_001}),
            "company",
            "webhook",
        ),
        (
            "store/order/archived",
            json!({"type": "order", "id": 999_002}),
            "order",
            "webhook",
        ),
        // An update whose entity is gone by the time it is read: gone from the ERP too.
        (
            "store/order/updated",
            json!({"type": "order", "id": 999_003}),
            "order",
            "not_found",
        ),
        (
            "store/company/updated",
            json!({"company_id": 999_004}),
            "company",
            "not_found",
        ),
    ];
    for (scope, data, kind, source) in cases {
        let docs = rig
            .exporter
            .documents_for_event(&event(scope, data.clone()))
            .await
            .unwrap();
        assert_eq!(docs.len(), 1, "{scope}");
        let doc = serde_json::to_value(&docs[0]).unwrap();
        assert_eq!(doc["type"], kind);
        assert_eq!(doc["deleted"]["source"], source, "{scope}");
        assert_eq!(doc["deleted"]["at"], 1_800_000_000);
        assert!(doc.get("data").is_none());
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{doc}: {errors:?}");
    }
    // A buyer's deletion changes its company, whose document is exported again.
    let state = support::admin(&rig.sandbox, "state").await;
    let company = support::all(&state, "companies")[0]["companyId"].clone();
    let docs = rig
        .exporter
        .documents_for_event(&event(
            "store/company/user/deleted",
            json!({"company_id": company, "user_id": 5}),
        ))
        .await
        .unwrap();
    assert_eq!(docs.len(), 1);
    assert!(docs[0].deleted.is_none() && !docs[0].data.is_null());
}

#[tokio::test]
async fn quote_to_order_conversion_is_ordered_over_ended_quotes() {
    let rig = rig(6, 4, settings()).await;
    let state = support::admin(&rig.sandbox, "state").await;
    let quotes = support::all(&state, "quotes");
    let with = |s: &[i64]| {
        quotes
            .iter()
            .filter(|q| s.contains(&q["status"].as_i64().unwrap()))
            .count() as f64
    };
    let (ordered, ended) = (with(&[4]), with(&[4, 5, 6]));
    assert!(ordered > 0.0 && ended > ordered && (quotes.len() as f64) > ended);
    let (_, docs) =
        b2b_shared::telemetry::capture_metrics(rig.exporter.run(Some(&[StreamKind::Quotes]), None))
            .await;
    let conversion = b2b_shared::telemetry::metric_values(&docs, "QuoteToOrderConversion");
    assert_eq!(conversion.len(), 1);
    assert!(
        (conversion[0].0 - ordered / ended).abs() < 1e-9,
        "{conversion:?}"
    );
    assert!(conversion[0].0 <= 1.0);
}

#[tokio::test]
async fn account_activation_is_the_status_change_minus_creation() {
    let rig = rig(6, 0, settings()).await;
    let state = support::admin(&rig.sandbox, "state").await;
    let int = |v: &Value| v.as_i64().or_else(|| v.as_str()?.parse().ok());
    let approved = support::all(&state, "companies")
        .into_iter()
        .find(|c| int(&c["companyStatus"]) == Some(1))
        .unwrap();
    let id = int(&approved["companyId"]).unwrap();
    let created = int(&approved["createdAt"]).unwrap();
    let event = |scope: &str| -> b2b_commands::WebhookEvent {
        serde_json::from_value(json!({
            "type": "webhook.event", "version": 1, "scope": scope, "store_hash": "abc123",
            "data": {"company_id": id}, "hash": "h", "received_at": created + 9_000,
            "created_at": created + 7_200
        }))
        .unwrap()
    };
    let (_, docs) = b2b_shared::telemetry::capture_metrics(async {
        rig.exporter
            .documents_for_event(&event("store/company/statusUpdated"))
            .await
            .unwrap();
        // An ordinary edit says nothing about approval.
        rig.exporter
            .documents_for_event(&event("store/company/updated"))
            .await
            .unwrap();
    })
    .await;
    let activation = b2b_shared::telemetry::metric_values(&docs, "AccountActivationSeconds");
    assert_eq!(activation.len(), 1, "{docs:?}");
    assert_eq!(activation[0].0, 7_200.0);
    // The schedule emits none: it cannot see when the status changed.
    let (_, docs) = b2b_shared::telemetry::capture_metrics(
        rig.exporter.run(Some(&[StreamKind::Companies]), None),
    )
    .await;
    assert!(b2b_shared::telemetry::metric_values(&docs, "AccountActivationSeconds").is_empty());
}

/// A write to the store's B2B API, as the control panel would make it.
async fn panel(sb: &RunningSandbox, method: reqwest::Method, path: &str, body: Value) {
    let r = reqwest::Client::new()
        .request(method, format!("{}{path}", sb.b2b_base_url()))
        .header("X-Auth-Token", support::TOKEN)
        .header("X-Store-Hash", support::STORE)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
}

#[tokio::test]
async fn company_documents_carry_the_account_when_asked() {
    let rig = rig(
        3,
        0,
        ExportSettings {
            company_accounts: true,
            ..settings()
        },
    )
    .await;
    let sb = &rig.sandbox;
    let put = reqwest::Method::PUT;
    panel(
        sb,
        reqwest::Method::POST,
        "/companies/2/parent",
        json!({"parentCompanyId": 1}),
    )
    .await;
    panel(
        sb,
        put.clone(),
        "/companies/1/payment-terms",
        json!({"isEnabled": true, "paymentTerms": 30}),
    )
    .await;
    panel(
        sb,
        put.clone(),
        "/companies/1/payments",
        json!({"payments": [{"code": "cod", "isEnabled": false}]}),
    )
    .await;
    panel(
        sb,
        put.clone(),
        "/companies/1/credit",
        json!({"creditEnabled": true, "availableCredit": 99.5}),
    )
    .await;
    let made = json!({"email": "marie@seller.example", "name": "Marie Curie"});
    let rep = support::admin_post(sb, "sales-staff", &made).await["id"]
        .as_i64()
        .unwrap();
    panel(
        sb,
        put,
        &format!("/sales-staffs/{rep}"),
        json!([{"companyId": 1, "assignStatus": true}]),
    )
    .await;

    let report = rig.exporter.run(Some(&[StreamKind::Companies]), None).await;
    assert!(report.complete, "{report:?}");
    let docs = rig.outbox.bodies();
    let validator = common::document_schema();
    let account = |id: i64| {
        let doc = docs
            .iter()
            .find(|d| d["type"] == "company" && d["id"] == id)
            .unwrap_or_else(|| panic!("no document of company {id}"));
        assert!(validator.is_valid(doc), "{doc}");
        doc["data"]["account"].clone()
    };
    let one = account(1);
    assert_eq!(one["parent_company_id"], Value::Null);
    assert_eq!(
        one["payment_terms"],
        json!({"enabled": true, "net_days": 30})
    );
    assert_eq!(
        one["payment_methods"],
        json!(["purchase_order", "authorizenet", "bankdeposit"])
    );
    assert_eq!(one["credit"]["available"], "99.5000");
    assert_eq!(one["sales_reps"][0]["email"], "marie@seller.example");
    let two = account(2);
    assert_eq!(two["parent_company_id"], 1);
    assert_eq!(two["credit"]["enabled"], false);
    assert_eq!(two["sales_reps"], json!([]));
    assert!(
        sb.contract_violations().is_empty(),
        "{:?}",
        sb.contract_violations()
    );
}

/// Archive parts kept in memory: completed objects by key.
#[derive(Debug, Default)]
struct MemoryParts {
    parts: std::sync::Mutex<BTreeMap<String, Vec<u8>>>,
    objects: std::sync::Mutex<BTreeMap<String, Vec<u8>>>,
}

impl b2b_export::archive::PartStore for MemoryParts {
    fn start<'a>(
        &'a self,
        key: &'a str,
    ) -> futures_util::future::BoxFuture<'a, Result<String, String>> {
        Box::pin(async move { Ok(format!("upload-{key}")) })
    }
    fn put_part<'a>(
        &'a self,
        key: &'a str,
        _upload_id: &'a str,
        number: i32,
        body: Vec<u8>,
    ) -> futures_util::future::BoxFuture<'a, Result<b2b_export::archive::UploadedPart, String>>
    {
        Box::pin(async move {
            self.parts
                .lock()
                .unwrap()
                .insert(format!("{key}#{number}"), body);
            Ok(b2b_export::archive::UploadedPart { number, tag: None })
        })
    }
    fn complete<'a>(
        &'a self,
        key: &'a str,
        _upload_id: &'a str,
        parts: Vec<b2b_export::archive::UploadedPart>,
    ) -> futures_util::future::BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let mut all = Vec::new();
            for p in parts {
                all.extend(
                    self.parts
                        .lock()
                        .unwrap()
                        .remove(&format!("{key}#{}", p.number))
                        .unwrap(),
                );
            }
            self.objects.lock().unwrap().insert(key.to_owned(), all);
            Ok(())
        })
    }
}

#[tokio::test]
async fn a_document_no_split_fits_is_archived_and_sent_as_a_pointer() {
    let mut rig = rig(1, 0, settings()).await;
    let huge = || {
        b2b_export::documents::Document::new(
            "company",
            "abc123",
            3,
            5,
            6,
            json!({"companyId": 3, "note": "z".repeat(300_000)}),
        )
    };
    // Without an archive: a pointer without a key (the consumer reads the entity itself).
    assert_eq!(rig.exporter.deliver(vec![huge()]).await.unwrap(), 1);
    let pointer = rig.outbox.bodies().pop().unwrap();
    assert_eq!(pointer["dedupe_key"], "company:3:5");
    assert!(pointer.get("data").is_none());
    assert_eq!(pointer["too_large"]["archive_key"], Value::Null);
    // With one: the whole document is in it, under the key the pointer names.
    let parts = Arc::new(MemoryParts::default());
    rig.exporter.archive = Some(b2b_export::archive::Archive {
        store: parts.clone(),
        prefix: "exports/".into(),
    });
    rig.exporter.deliver(vec![huge()]).await.unwrap();
    let pointer = rig.outbox.bodies().pop().unwrap();
    let key = "exports/abc123/too-large/company-3-5.json";
    assert_eq!(pointer["too_large"]["archive_key"], key);
    let stored: Value = serde_json::from_slice(&parts.objects.lock().unwrap()[key]).unwrap();
    assert_eq!(stored["data"]["note"].as_str().unwrap().len(), 300_000);
    let errors: Vec<String> = common::document_schema()
        .iter_errors(&pointer)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{pointer}: {errors:?}");
}

#[tokio::test]
async fn every_run_reports_its_lag_and_whether_it_failed() {
    let rig = rig(2, 5, settings()).await;
    let figures = |docs: &[Value], name: &str| -> Vec<(String, f64)> {
        b2b_shared::telemetry::metric_values(docs, name)
            .into_iter()
            .map(|(v, d)| (d["Stream"].as_str().unwrap().to_owned(), v))
            .collect()
    };
    let (_, docs) = b2b_shared::telemetry::capture_metrics(rig.exporter.run(None, None)).await;
    let streams = rig.exporter.settings.streams.len();
    assert_eq!(figures(&docs, "ExportRunFailed").len(), streams);
    assert!(figures(&docs, "ExportRunFailed")
        .iter()
        .all(|(_, v)| *v == 0.0));
    assert!(
        figures(&docs, "ExportLagSeconds")
            .iter()
            .all(|(_, v)| *v == 0.0),
        "caught up"
    );
    // A run that nothing new reaches still says so (missing data would mean it did not run).
    let (_, docs) = b2b_shared::telemetry::capture_metrics(rig.exporter.run(None, None)).await;
    assert_eq!(figures(&docs, "ExportLagSeconds").len(), streams);
    // A stream that cannot run: failed, and as far behind as its position.
    rig.state
        .fail
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let (_, docs) = b2b_shared::telemetry::capture_metrics(rig.exporter.run(None, None)).await;
    assert!(figures(&docs, "ExportRunFailed")
        .iter()
        .all(|(_, v)| *v == 1.0));
    assert!(figures(&docs, "ExportLagSeconds")
        .iter()
        .all(|(_, v)| *v > 0.0));
    let sets = &docs[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"];
    assert_eq!(*sets, json!([["Function", "Stream"], ["Function"]]));
}

#[tokio::test]
async fn a_shipment_webhook_exports_its_order_again_with_the_tracking() {
    let rig = rig(0, 6, settings()).await;
    let state = support::admin(&rig.sandbox, "state").await;
    let (id, lines) = state["order_products"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(id, _)| {
            matches!(
                state["orders"][id.as_str()]["status_id"].as_i64(),
                Some(1 | 7 | 9 | 11)
            )
        })
        .map(|(id, l)| (id.parse::<i64>().unwrap(), l.as_array().unwrap().clone()))
        .unwrap();
    // Before anything ships, the document says so and costs no shipments read.
    let before = rig
        .exporter
        .documents_for_event(&shipment_event("store/order/updated", id))
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&before[0]).unwrap()["data"]["shipments"],
        json!([])
    );
    // The 3PL ships the first line (straight into the store, as another app would).
    let url = format!(
        "{}/stores/{}/v2/orders/{id}/shipments",
        rig.sandbox.base_url(),
        support::STORE
    );
    let made: Value = reqwest::Client::new()
        .post(url)
        .header("X-Auth-Token", support::TOKEN)
        .json(&json!({"order_address_id": lines[0]["order_address_id"], "tracking_number": "1ZSHIP",
            "shipping_provider": "ups", "items": [{"order_product_id": lines[0]["id"], "quantity": 1}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for scope in ["store/shipment/created", "store/shipment/deleted"] {
        let docs = rig
            .exporter
            .documents_for_event(&shipment_event(scope, id))
            .await
            .unwrap();
        assert_eq!(docs.len(), 1, "{scope}");
        let doc = serde_json::to_value(&docs[0]).unwrap();
        assert_eq!(
            doc["type"], "order",
            "{scope}: the order again, never a tombstone"
        );
        assert!(
            doc.get("deleted").is_none() || doc["deleted"] != true,
            "{doc}"
        );
        assert!(common::document_schema().is_valid(&doc), "{doc}");
        assert_eq!(doc["data"]["shipments"][0]["id"], made["id"], "{scope}");
        assert_eq!(doc["data"]["shipments"][0]["tracking_number"], "1ZSHIP");
    }
}

fn shipment_event(scope: &str, order: i64) -> b2b_commands::WebhookEvent {
    let data = if scope.starts_with("store/shipment/") {
        json!({"type": "shipment", "id": 9, "orderId": order})
    } else {
        json!({"type": "order", "id": order})
    };
    serde_json::from_value(json!({
        "type": "webhook.event", "version": 1, "scope": scope, "store_hash": "abc123",
        "data": data, "hash": "h", "received_at": 1
    }))
    .unwrap()
}
