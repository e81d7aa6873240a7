//! Receivables end to end with the real binaries (issue 20): the ERP's invoices and a cheque go
//! through `POST /inbound` of `webhook-intake` to the inbound queue (moto), the `upsert-worker`
//! binary applies them to the sandbox's Invoice Portal (strict: every request checked against
//! BigCommerce's specs), a buyer pays an invoice in the portal, and the `order-export` binary
//! brings both payments back to the ERP on the outbound queue, with the ERP's invoice ids. An
//! invoice in a currency the store lacks and one whose lines disagree with its total are
//! refused, each naming its field (at intake for the second, as a dead letter for the first).

mod common;

use b2b_test_support::lambda::{answer_of, http_post, FunctionProcess};
use b2b_test_support::{drain, moto, queue, state_table, unlimited, STORE};
use common::{admin_get, sandbox_store_secret, sqs_record, start_function};
use serde_json::{json, Value};

fn command(kind: &str, ext: &str, extra: Value) -> Value {
    let mut c = json!({"type": kind, "version": 1, "store_hash": STORE, "external_id": ext});
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

fn invoice(ext: &str, number: &str, currency: &str, total: &str) -> Value {
    command(
        "invoice.upsert",
        ext,
        json!({"company_external_id": "CUST-1", "invoice": {"number": number, "currency": currency,
            "total": total, "open_balance": total, "issued_on": "2026-11-01", "due_on": "2026-12-01"}}),
    )
}

/// Sends `batch` through intake and the worker; the worker's answer.
async fn apply(
    intake: &FunctionProcess,
    worker: &FunctionProcess,
    sqs: &aws_sdk_sqs::Client,
    inbound: &str,
    batch: &[Value],
) -> Value {
    let answer = answer_of(
        intake,
        &http_post(
            "/inbound",
            &b2b_test_support::stores::inbound_key(STORE),
            &json!(batch),
        ),
    )
    .await;
    assert_eq!(answer["statusCode"], 202, "{answer}");
    let bodies = drain(sqs, inbound).await;
    assert_eq!(bodies.len(), batch.len());
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| sqs_record(&format!("m{i}"), &b.to_string(), 1))
        .collect();
    answer_of(worker, &json!({ "Records": records })).await
}

#[tokio::test]
async fn the_erp_invoices_a_buyer_pays_and_the_cash_comes_back() {
    let sdk = moto().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let inbound = queue(&sdk, "ar-inbound").await;
    let outbound = queue(&sdk, "ar-outbound").await;
    let dlq = queue(&sdk, "ar-dlq").await;
    let secret_id = sandbox_store_secret(&sdk, "e2e-receivables").await;
    let sandbox = b2b_test_support::sandbox(unlimited().strict()).await;
    let env = vec![
        ("BC_SECRET_ID", secret_id),
        ("STATE_TABLE", state_table(&sdk).await),
        ("INBOUND_QUEUE_URL", inbound.clone()),
        ("OUTBOUND_QUEUE_URL", outbound.clone()),
        ("DEAD_LETTER_QUEUE_URL", dlq.clone()),
        ("BC_API_URL", sandbox.base_url()),
        ("B2B_API_URL", sandbox.base_url()),
        ("STORE_CURRENCIES", "USD".to_owned()),
        ("EXPORT_STREAMS", "payments,receipts".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ];
    let (intake, worker) = (
        start_function("webhook-intake", &env).await,
        start_function("upsert-worker", &env).await,
    );
    let company = command(
        "company.upsert",
        "CUST-1",
        json!({"company": {"name": "Northwind", "email": "ap@northwind.example", "phone": "1",
            "country": "US", "admin": {"first_name": "N", "last_name": "D", "email": "nd@northwind.example"}}}),
    );
    let answer = apply(&intake, &worker, &sqs, &inbound, &[company]).await;
    assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");

    // Two invoices, one in a currency the store lacks.
    let batch = [
        invoice("AR-1", "INV-1", "USD", "100.00"),
        invoice("AR-2", "INV-2", "USD", "50.00"),
        invoice("AR-3", "INV-3", "GBP", "10.00"),
    ];
    let answer = apply(&intake, &worker, &sqs, &inbound, &batch).await;
    assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
    // Lines that disagree with the total never reach the queue.
    let mut wrong = invoice("AR-4", "INV-4", "USD", "90.00");
    wrong["invoice"]["lines"] = json!([{"sku": "A", "quantity": 1, "unit_price": "80"}]);
    let refused = answer_of(
        &intake,
        &http_post(
            "/inbound",
            &b2b_test_support::stores::inbound_key(STORE),
            &json!([wrong]),
        ),
    )
    .await;
    assert_eq!(refused["statusCode"], 400, "{refused}");
    assert!(
        refused["body"]
            .as_str()
            .unwrap()
            .contains("`invoice.total` (90.0000) is not the lines and costs (80.0000)"),
        "{refused}"
    );

    // The ERP received a cheque for 40 on INV-1; a buyer pays INV-2 in the portal.
    let cheque = command(
        "invoice.balance",
        "RCPT-1",
        json!({"company_external_id": "CUST-1", "balance": {"currency": "USD",
            "invoices": [{"invoice_external_id": "AR-1", "paid": "40", "open_balance": "60"}],
            "offline_payment": {"memo": "Cheque 004417"}}}),
    );
    let answer = apply(&intake, &worker, &sqs, &inbound, &[cheque]).await;
    assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
    let state = admin_get(&sandbox, "state").await;
    let inv2 = state["invoices"]
        .as_object()
        .unwrap()
        .values()
        .find(|i| i["invoiceNumber"] == "INV-2")
        .unwrap()
        .clone();
    let paid = reqwest::Client::new()
        .post(format!("{}/__sandbox/invoice-payments", sandbox.base_url()))
        .json(&json!({"customerId": inv2["customerId"], "lineItems": [{"invoiceId": inv2["id"], "amount": "50"}]}))
        .send()
        .await
        .unwrap();
    assert!(paid.status().is_success());

    let export = start_function("order-export", &env).await;
    let report = answer_of(&export, &json!({})).await;
    assert_eq!(report["complete"], true, "{report}");
    let docs = drain(&sqs, &outbound).await;
    let payments: Vec<&Value> = docs.iter().filter(|d| d["type"] == "payment").collect();
    assert_eq!(payments.len(), 2, "{docs:#?}");
    let external_ids: std::collections::BTreeSet<&str> = payments
        .iter()
        .filter_map(|p| p["data"]["invoices"][0]["invoice_external_id"].as_str())
        .collect();
    assert_eq!(external_ids, ["AR-1", "AR-2"].into_iter().collect());
    assert_eq!(docs.iter().filter(|d| d["type"] == "receipt").count(), 2);

    let dead = drain(&sqs, &dlq).await;
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert!(
        dead[0]["error"]
            .as_str()
            .unwrap()
            .contains("`invoice.currency` `GBP` is not a currency of the store"),
        "{}",
        dead[0]
    );
    let state = admin_get(&sandbox, "state").await;
    // Keyed by invoice number: which invoice got which id depends on the
    // order the worker applied the batch in.
    let open: std::collections::BTreeMap<&str, &str> = state["invoices"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|i| {
            Some((
                i["invoiceNumber"].as_str()?,
                i["openBalance"]["value"].as_str()?,
            ))
        })
        .collect();
    assert_eq!(
        open,
        [("INV-1", "60.0000"), ("INV-2", "0.0000")]
            .into_iter()
            .collect()
    );
    assert!(
        sandbox.contract_violations().is_empty(),
        "{:?}",
        sandbox.contract_violations()
    );
}
