//! The Invoice Portal's streams against the sandbox: payments (offline, and made by a buyer in
//! the portal) and receipts are exported once each with the invoices they pay and the ERP's ids
//! for them, a later run picks up only what changed, the documents match the schema users read,
//! and the run reports `PaymentsExported` and `OpenReceivables`.

mod common;

use std::sync::Arc;

use b2b_export::{ExportSettings, Exporter, StreamKind};
use b2b_shared::queue::MemoryQueue;
use b2b_shared::telemetry::{capture_metrics, metric_values};
use b2b_test_support as support;
use bc_sandbox::RunningSandbox;
use bigcommerce_b2b::money::{Amount, Money};
use bigcommerce_b2b::receivables::{InvoiceFields, OfflinePayment};
use serde_json::{json, Value};

struct Rig {
    sandbox: RunningSandbox,
    exporter: Exporter,
    outbox: Arc<MemoryQueue>,
    company: i64,
}

async fn rig() -> Rig {
    let (sandbox, exporter, outbox) =
        common::strict_export(vec![StreamKind::Payments, StreamKind::Receipts]).await;
    let state = support::admin(&sandbox, "state").await;
    let company = support::all(&state, "companies")[0]["companyId"]
        .as_i64()
        .unwrap();
    Rig {
        sandbox,
        exporter,
        outbox,
        company,
    }
}

fn usd(v: &str) -> Money {
    Money {
        code: "USD".into(),
        value: Amount::parse(v).unwrap(),
    }
}

impl Rig {
    async fn invoice(&self, number: &str, external_id: &str, total: &str) -> i64 {
        let fields = InvoiceFields {
            invoice_number: Some(number.into()),
            customer_id: Some(self.company.to_string()),
            external_id: Some(external_id.into()),
            original_balance: Some(usd(total)),
            open_balance: Some(usd(total)),
            ..InvoiceFields::default()
        };
        self.exporter
            .client
            .invoice_portal()
            .create_invoice(&fields)
            .await
            .unwrap()
    }

    async fn cheque(&self, invoice: i64, amount: &str, external_id: &str) -> i64 {
        let payment = OfflinePayment {
            customer_id: self.company.to_string(),
            currency: "USD".into(),
            lines: vec![(invoice, Amount::parse(amount).unwrap())],
            memo: "Cheque 1234".into(),
            external_id: Some(external_id.into()),
            external_customer_id: None,
            payer_name: None,
        };
        self.exporter
            .client
            .invoice_portal()
            .create_offline_payment(&payment)
            .await
            .unwrap()
    }

    async fn portal_payment(&self, invoice: i64, amount: &str) {
        let r = reqwest::Client::new()
            .post(format!(
                "{}/__sandbox/invoice-payments",
                self.sandbox.base_url()
            ))
            .json(&json!({"customerId": self.company.to_string(),
                "lineItems": [{"invoiceId": invoice, "amount": amount}]}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }

    fn docs(&self, kind: &str) -> Vec<Value> {
        self.outbox
            .bodies()
            .into_iter()
            .filter(|d| d["type"] == kind)
            .collect()
    }
}

#[tokio::test]
async fn payments_and_receipts_reach_the_erp_once_with_the_invoices_they_pay() {
    let rig = rig().await;
    let inv1 = rig.invoice("INV-1", "AR-1", "100").await;
    let inv2 = rig.invoice("INV-2", "AR-2", "50").await;
    let cheque = rig.cheque(inv1, "40", "RCPT-9").await;
    rig.portal_payment(inv2, "50.00").await;

    let (report, metrics) = capture_metrics(rig.exporter.run(None, None)).await;
    assert!(report.complete, "{report:?}");
    let payments = rig.docs("payment");
    assert_eq!(payments.len(), 2, "{payments:#?}");
    let offline = payments.iter().find(|p| p["id"] == cheque).unwrap();
    assert_eq!(
        offline["data"]["invoices"][0]["invoice_external_id"],
        "AR-1"
    );
    assert_eq!(offline["data"]["invoices"][0]["amount"]["value"], "40.0000");
    assert_eq!(
        offline["data"]["invoices"][0]["open_balance"]["value"],
        "60.0000"
    );
    assert_eq!(offline["data"]["payment"]["externalId"], "RCPT-9");
    let online = payments.iter().find(|p| p["id"] != cheque).unwrap();
    assert!(
        online["data"]["order_id"].as_i64().is_some(),
        "a portal payment names the order it made: {online:#}"
    );
    let receipts = rig.docs("receipt");
    assert_eq!(receipts.len(), 2);
    assert!(receipts
        .iter()
        .all(|r| r["data"]["lines"].as_array().is_some_and(|l| l.len() == 1)));
    let schema = common::document_schema();
    for doc in rig.outbox.bodies() {
        let errors: Vec<String> = schema.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}\n{doc:#}");
    }
    let exported = metric_values(&metrics, "PaymentsExported");
    assert_eq!(exported.iter().map(|v| v.0).sum::<f64>(), 2.0);
    let open = metric_values(&metrics, "OpenReceivables");
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].0, 60.0, "INV-1's 60 left; INV-2 is paid");

    // A later run re-reads only its overlap: the same documents (dropped by dedupe key), and
    // the next payment.
    rig.cheque(inv1, "10", "RCPT-10").await;
    rig.exporter.run(None, None).await;
    let keys: std::collections::BTreeSet<String> = rig
        .docs("payment")
        .iter()
        .map(|d| d["dedupe_key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(rig.sandbox.contract_violations().is_empty());
}

#[tokio::test]
async fn nothing_is_exported_when_there_is_no_payment() {
    let rig = rig().await;
    let report = rig.exporter.run(None, None).await;
    assert!(report.complete);
    assert!(rig.outbox.bodies().is_empty());
    assert_eq!(report.streams["payments"].exported, 0);
}

#[tokio::test]
async fn an_invoice_payment_order_names_the_payment_that_made_it() {
    let rig = rig().await;
    let inv = rig.invoice("INV-5", "AR-5", "25").await;
    rig.portal_payment(inv, "25").await;
    let settings = ExportSettings {
        streams: vec![StreamKind::Orders, StreamKind::Payments],
        first_run_days: 3_650,
        ..ExportSettings::default()
    };
    let exporter = Exporter {
        settings,
        ..rig.exporter.clone()
    };
    assert!(exporter.run(None, None).await.complete);
    let payment = &rig.docs("payment")[0];
    let order_id = payment["data"]["order_id"].as_i64().unwrap();
    let order = rig
        .docs("order")
        .into_iter()
        .find(|o| o["id"] == order_id)
        .unwrap_or_else(|| panic!("order {order_id} not exported"));
    assert_eq!(order["data"]["invoice_payment"], true);
    assert_eq!(order["data"]["payment_id"], payment["id"]);
    let schema = common::document_schema();
    assert!(schema.is_valid(&order), "{order:#}");
}
