//! `POST /procurement/cxml` with in-memory queue and state: the sample purchase order accepted
//! as one `order.create`, resends answered the same without a second command, a changed order
//! under the same orderID refused 409, and every bad input answered with its cXML status and
//! nothing enqueued.
// Test-only: compiled under #[cfg(test)] from its parent module.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use b2b_shared::queue::MemoryQueue;
use b2b_shared::secrets::{StaticCredentials, StoreSecret};
use b2b_shared::state::MemoryState;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::Value;

use crate::test_harness::in_memory;
use crate::{Intake, IntakeOptions};

const SAMPLE: &str = include_str!("../events/cxml/order-request.xml");
/// The same buyer's purchase order in euros.
const SAMPLE_EUR: &str = include_str!("../events/cxml/order-request-eur.xml");
const NOW: i64 = 1796300000;

struct Harness {
    intake: Intake,
    queue: Arc<MemoryQueue>,
    state: Arc<MemoryState>,
}

/// A store trading with Northwind (the sample's sender) as supplier `ACME-SUPPLY`, in test
/// mode as the sample is; `procurement` replaced when given.
fn harness_with(procurement: Option<&str>) -> Harness {
    let procurement = procurement.unwrap_or(
        r#"{"supplier": [{"domain": "NetworkID", "identity": "ACME-SUPPLY"}],
            "partners": [{"name": "northwind", "sender": {"domain": "NetworkID", "identity": "NORTHWIND-AN01"},
                          "shared_secret": "s3cret-for-tests-0123456789abcdefgh", "deployment_mode": "test"}]}"#,
    );
    let secret = StoreSecret::from_json(&format!(
        r#"{{"store_hash":"abc123","access_token":"t","procurement":{procurement}}}"#
    ))
    .unwrap();
    let (intake, queue, state) = in_memory(secret, IntakeOptions::default());
    Harness {
        intake,
        queue,
        state,
    }
}

fn harness() -> Harness {
    harness_with(None)
}

/// The default harness, its store selling only `currencies` (`STORE_CURRENCIES`).
fn harness_selling(currencies: &[&str]) -> Harness {
    let mut h = harness();
    h.intake.options.currencies = currencies.iter().map(|c| c.to_string()).collect();
    h
}

fn post(path: &str, body: &str) -> Request {
    lambda_http::http::Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "text/xml")
        .body(Body::Text(body.to_owned()))
        .unwrap()
}

/// The answer's cXML status code and text.
fn status_of(resp: &Response<Body>) -> (u16, String) {
    let text = std::str::from_utf8(resp.body().as_ref())
        .unwrap()
        .to_owned();
    let code = text
        .split(r#"<Status code=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no Status in {text}"));
    (code, text)
}

impl Harness {
    async fn send(&self, path: &str, body: &str) -> (StatusCode, u16, String) {
        let resp = self.intake.handle_at(post(path, body), NOW).await;
        let (code, text) = status_of(&resp);
        assert_eq!(
            resp.headers()["content-type"],
            "text/xml; charset=UTF-8",
            "{text}"
        );
        (resp.status(), code, text)
    }

    fn sent(&self) -> Vec<Value> {
        self.queue.bodies()
    }
}

#[tokio::test]
async fn the_sample_order_becomes_one_order_create_and_its_answer_echoes_the_payload_id() {
    let h = harness();
    let (http, code, text) = h.send("/procurement/cxml", SAMPLE).await;
    assert_eq!((http, code), (StatusCode::OK, 200), "{text}");
    assert!(
        text.contains(r#"payloadID="1796300000.4711@procure.northwind.example.response""#),
        "{text}"
    );
    let sent = h.sent();
    assert_eq!(sent.len(), 1);
    let cmd = &sent[0];
    assert_eq!(cmd["type"], "order.create");
    assert_eq!(cmd["store_hash"], "abc123");
    assert_eq!(cmd["external_id"], "NORTHWIND-AN01:PO-2026-0042");
    assert_eq!(cmd["company_identity"], "NORTHWIND-AN01");
    let order = &cmd["order"];
    assert_eq!(order["po_number"], "PO-2026-0042");
    assert_eq!(order["comments"], "Deliver before noon.");
    assert_eq!(order["lines"][0]["sku"], "SKU-001-1");
    assert_eq!(order["lines"][0]["quantity"], 3);
    assert_eq!(order["lines"][0]["unit_price"], "12.5000");
    assert_eq!(order["lines"][0]["line_number"], 1);
    assert_eq!(order["lines"][0]["unit_of_measure"], "EA");
    assert_eq!(order["total"], "86.5000");
    assert_eq!(order["ship_to"]["first_name"], "Nancy Davolio");
    assert_eq!(order["ship_to"]["line1"], "1 Harbour Rd");
    assert_eq!(order["ship_to"]["line2"], "Dock 3");
    assert_eq!(order["ship_to"]["zip_code"], "98101");
    assert_eq!(
        order["bill_to"]["company"],
        "Northwind Traders - Accounts Payable"
    );
    assert_eq!(cmd["procurement"]["partner"], "northwind");
    assert_eq!(
        cmd["procurement"]["buyer"],
        serde_json::json!({"domain": "NetworkID", "identity": "NORTHWIND-AN01"})
    );
    assert_eq!(
        cmd["procurement"]["payload_id"],
        "1796300000.4711@procure.northwind.example"
    );
    // The store may be named in the path too.
    let h = harness();
    let (_, code, _) = h.send("/prod/procurement/cxml/abc123", SAMPLE).await;
    assert_eq!(code, 200);
    let (_, code, text) = h.send("/procurement/cxml/other9", SAMPLE).await;
    assert_eq!(code, 401, "{text}");
}

#[tokio::test]
async fn a_po_in_a_currency_the_store_does_not_sell_is_refused_naming_it() {
    let h = harness_selling(&["USD", "GBP"]);
    let (http, code, text) = h.send("/procurement/cxml", SAMPLE_EUR).await;
    assert_eq!((http, code), (StatusCode::OK, 400), "{text}");
    assert!(
        text.contains("`EUR`") && text.contains("USD, GBP"),
        "{text}"
    );
    assert!(h.sent().is_empty());
    // Sold here, or STORE_CURRENCIES unset: the PO goes on, in its currency.
    for h in [harness_selling(&["USD", "EUR"]), harness()] {
        let (_, code, text) = h.send("/procurement/cxml", SAMPLE_EUR).await;
        assert_eq!(code, 200, "{text}");
        let sent = h.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0]["order"]["currency"], "EUR");
        assert_eq!(sent[0]["order"]["total"], "85.0000");
    }
}

#[tokio::test]
async fn a_resent_order_is_answered_the_same_and_a_changed_one_under_its_order_id_is_a_conflict() {
    let h = harness();
    assert_eq!(h.send("/procurement/cxml", SAMPLE).await.1, 200);
    // The same document, and the same order in a new document (a new payloadID).
    assert_eq!(h.send("/procurement/cxml", SAMPLE).await.1, 200);
    let renewed = SAMPLE.replace("1796300000.4711@", "1796300999.1@");
    let (_, code, text) = h.send("/procurement/cxml", &renewed).await;
    assert_eq!(code, 200, "{text}");
    assert!(text.contains("already accepted"), "{text}");
    assert_eq!(h.sent().len(), 1);
    // A delivery of the same orderID while another is being accepted: asked to come back.
    use b2b_shared::state::DedupeStore;
    let lock = "cxml#abc123#northwind#PO-2026-0042#accepting";
    h.state
        .claim(lock, std::time::Duration::from_secs(30))
        .await
        .unwrap();
    let (http, code, _) = h.send("/procurement/cxml", &renewed).await;
    assert_eq!((http, code), (StatusCode::INTERNAL_SERVER_ERROR, 500));
    h.state.release(lock).await.unwrap();
    // Another quantity (and total) under the same orderID: the first one stands.
    let changed = renewed
        .replace(r#"<ItemOut quantity="3""#, r#"<ItemOut quantity="4""#)
        .replace("86.50", "99.00");
    let (http, code, text) = h.send("/procurement/cxml", &changed).await;
    assert_eq!((http, code), (StatusCode::OK, 409), "{text}");
    assert_eq!(h.sent().len(), 1);
}

#[tokio::test]
async fn bad_documents_are_answered_with_their_cxml_status_and_nothing_is_enqueued() {
    let billion_laughs = r#"<?xml version="1.0"?><!DOCTYPE cXML [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><cXML>&b;</cXML>"#;
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE cXML [<!ENTITY x SYSTEM "file:///etc/passwd">]><cXML>&x;</cXML>"#;
    let cases: Vec<(String, u16, &str)> = vec![
        ("<cXML><Header>".into(), 406, "malformed"),
        (billion_laughs.into(), 406, "internal subset"),
        (xxe.into(), 406, "internal subset"),
        (SAMPLE.replace("s3cret-for-tests-0123456789abcdefgh", "guess"), 401, "SharedSecret is not accepted"),
        (
            SAMPLE.replace("<Identity>NORTHWIND-AN01</Identity>\n        <SharedSecret>", "<Identity>MALLORY</Identity>\n        <SharedSecret>"),
            401,
            "not a trading partner",
        ),
        (SAMPLE.replace("ACME-SUPPLY", "OTHER-SUPPLIER"), 400, "not this supplier"),
        (SAMPLE.replace(r#"deploymentMode="test""#, r#"deploymentMode="production""#), 400, "deploymentMode"),
        (SAMPLE.replace(r#"type="new""#, r#"type="update""#), 400, "new orders and cancellations"),
        (SAMPLE.replace(r#"type="new""#, r#"type="delete""#), 400, "never accepted here"),
        (
            SAMPLE.replace("<PostalCode>98101</PostalCode>\n              <Country isoCountryCode=\"US\">United States</Country>\n            </PostalAddress>\n            <Email", "<Country isoCountryCode=\"US\">United States</Country>\n            </PostalAddress>\n            <Email"),
            400,
            "ShipTo/Address/PostalAddress/PostalCode",
        ),
    ];
    for (doc, want, says) in cases {
        let h = harness();
        let (http, code, text) = h.send("/procurement/cxml", &doc).await;
        assert_eq!((http, code), (StatusCode::OK, want), "{says}: {text}");
        assert!(text.contains(says), "{says}: {text}");
        assert!(
            !text.contains("s3cret-for-tests-0123456789abcdefgh"),
            "{text}"
        );
        assert!(h.sent().is_empty(), "{says}");
    }
}

#[tokio::test]
async fn a_punch_out_setup_request_is_answered_not_implemented_for_now() {
    let h = harness();
    let setup = include_str!("../events/cxml/punchout-setup-request.xml");
    let (http, code, text) = h.send("/procurement/cxml", setup).await;
    assert_eq!((http, code), (StatusCode::OK, 450), "{text}");
    assert!(text.contains("punch-out is not offered"), "{text}");
    assert!(
        text.contains(r#"payloadID="1796299000.77@procure.northwind.example.response""#),
        "{text}"
    );
    assert!(h.sent().is_empty());
}

#[tokio::test]
async fn a_store_without_procurement_refuses_and_a_queue_failure_asks_for_a_resend() {
    let h = harness();
    h.queue.down.store(true, Ordering::SeqCst);
    let (http, code, _) = h.send("/procurement/cxml", SAMPLE).await;
    assert_eq!((http, code), (StatusCode::INTERNAL_SERVER_ERROR, 500));
    assert!(h.sent().is_empty());
    // Nothing was remembered: the resend, once the queue is back, is enqueued.
    h.queue.down.store(false, Ordering::SeqCst);
    assert_eq!(h.send("/procurement/cxml", SAMPLE).await.1, 200);
    assert_eq!(h.sent().len(), 1);
    // The state table down: 500 as well, nothing enqueued.
    let h = harness();
    h.state.fail.store(true, Ordering::SeqCst);
    assert_eq!(
        h.send("/procurement/cxml", SAMPLE).await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert!(h.sent().is_empty());

    let secret = StoreSecret::from_json(r#"{"store_hash":"abc123","access_token":"t"}"#).unwrap();
    let h = Harness {
        intake: Intake {
            credentials: Arc::new(StaticCredentials(Arc::new(secret))),
            ..harness().intake
        },
        ..harness()
    };
    let (_, code, text) = h.send("/procurement/cxml", SAMPLE).await;
    assert_eq!(code, 401, "{text}");
    assert!(text.contains("takes no cXML"), "{text}");
}

/// A store check answering as told: `None` fails it, `Some(None)` never answers.
struct FakeCheck(Option<Option<crate::precheck::Findings>>);

impl crate::precheck::OrderPrecheck for FakeCheck {
    fn check<'a>(
        &'a self,
        _store: &'a bigcommerce_b2b::StoreHash,
        _identity: &'a str,
        _skus: &'a [String],
    ) -> futures_util::future::BoxFuture<'a, Result<crate::precheck::Findings, String>> {
        Box::pin(async move {
            match &self.0 {
                None => Err("BigCommerce answered 503".to_owned()),
                Some(None) => std::future::pending().await,
                Some(Some(f)) => Ok(f.clone()),
            }
        })
    }
}

fn checked_by(check: FakeCheck) -> Harness {
    let mut h = harness();
    h.intake.precheck = Some(Arc::new(check));
    h
}

#[tokio::test]
async fn the_store_refuses_an_unknown_buyer_or_sku_at_once_and_an_unreachable_store_refuses_nothing(
) {
    use crate::precheck::Findings;
    let findings = Findings {
        company: Some("the buyer `NORTHWIND-AN01` is not a company of this supplier".into()),
        unknown_skus: ["SKU-002-2".to_owned()].into(),
    };
    let h = checked_by(FakeCheck(Some(Some(findings))));
    let (http, code, text) = h.send("/procurement/cxml", SAMPLE).await;
    assert_eq!((http, code), (StatusCode::OK, 400), "{text}");
    assert!(text.contains("is not a company of this supplier"), "{text}");
    assert!(
        text.contains(
            "`ItemOut[2]/ItemID/SupplierPartID` `SKU-002-2` is not in the catalog of this supplier"
        ),
        "{text}"
    );
    assert!(h.sent().is_empty());
    // All known: accepted.
    let h = checked_by(FakeCheck(Some(Some(Findings::default()))));
    assert_eq!(h.send("/procurement/cxml", SAMPLE).await.1, 200);
    assert_eq!(h.sent().len(), 1);
    // BigCommerce failing, or not answering in the time left: accepted for the worker to check.
    let h = checked_by(FakeCheck(None));
    assert_eq!(h.send("/procurement/cxml", SAMPLE).await.1, 200);
    assert_eq!(h.sent().len(), 1);
    let h = checked_by(FakeCheck(Some(None)));
    let resp = h
        .intake
        .handle_within(
            post("/procurement/cxml", SAMPLE),
            NOW,
            Some(std::time::Duration::from_millis(3200)),
        )
        .await;
    assert_eq!(status_of(&resp).0, 200);
    assert_eq!(h.sent().len(), 1);
}

#[tokio::test]
async fn purchase_orders_are_counted_by_their_cxml_status() {
    use b2b_shared::telemetry::{capture_metrics, metric_values};
    let h = harness();
    let flow = async {
        h.send("/procurement/cxml", SAMPLE).await;
        h.send(
            "/procurement/cxml",
            &SAMPLE.replace("s3cret-for-tests-0123456789abcdefgh", "no"),
        )
        .await;
        h.send("/procurement/cxml", "<cXML").await;
    };
    let ((), docs) = capture_metrics(flow).await;
    let counted: Vec<(&str, &str)> = metric_values(&docs, "ProcurementDocuments")
        .into_iter()
        .map(|(_, d)| {
            (
                d["Document"].as_str().unwrap(),
                d["Status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counted,
        [
            ("OrderRequest", "200"),
            ("OrderRequest", "401"),
            ("Unreadable", "406")
        ]
    );
}

#[tokio::test]
async fn a_deleted_order_becomes_one_order_cancel_for_the_order_it_names() {
    let h = harness();
    let (_, code, _) = h.send("/procurement/cxml", SAMPLE).await;
    assert_eq!(code, 200);
    let delete = SAMPLE
        .replace(r#"type="new""#, r#"type="delete""#)
        .replace("1796300000.4711@", "1796300900.1@");
    let (http, code, text) = h.send("/procurement/cxml", &delete).await;
    assert_eq!((http, code), (StatusCode::OK, 200), "{text}");
    assert!(
        text.contains("the cancellation of order PO-2026-0042 is taken"),
        "{text}"
    );
    let sent = h.sent();
    assert_eq!(sent.len(), 2);
    let cancel = &sent[1];
    assert_eq!(cancel["type"], "order.cancel");
    assert_eq!(cancel["order"]["reference"], "NORTHWIND-AN01:PO-2026-0042");
    assert_eq!(cancel["reason"], "Deliver before noon.");
    assert_eq!(
        cancel["procurement"]["payload_id"],
        "1796300900.1@procure.northwind.example"
    );
    assert_eq!(cancel["procurement"]["order_id"], "PO-2026-0042");
    // The order's content digest still stands: a resend of the original is a duplicate.
    let (_, code, text) = h.send("/procurement/cxml", SAMPLE).await;
    assert_eq!(code, 200, "{text}");
    assert_eq!(h.sent().len(), 2);
}

/// A partner's shared secret that is a placeholder, empty or short is never compared: the
/// document is answered 500 (send it again later, once the secret is fixed) and nothing is
/// enqueued, even when it carries that very value.
#[tokio::test]
async fn an_unusable_partner_secret_is_answered_500_and_nothing_is_enqueued() {
    for secret in ["REPLACE_ME", "", "s3cret"] {
        let procurement = format!(
            r#"{{"supplier": [{{"domain": "NetworkID", "identity": "ACME-SUPPLY"}}],
                "partners": [{{"name": "northwind", "sender": {{"domain": "NetworkID", "identity": "NORTHWIND-AN01"}},
                              "shared_secret": "{secret}", "deployment_mode": "test"}}]}}"#
        );
        let h = harness_with(Some(&procurement));
        let doc = SAMPLE.replace(
            &format!("<SharedSecret>{}</SharedSecret>", sample_shared_secret()),
            &format!("<SharedSecret>{secret}</SharedSecret>"),
        );
        let (http, code, text) = h.send("/procurement/cxml", &doc).await;
        assert_eq!(
            (http, code),
            (StatusCode::INTERNAL_SERVER_ERROR, 500),
            "{secret:?}: {text}"
        );
        assert!(h.sent().is_empty(), "{secret:?}");
    }
}

/// The sample's `SharedSecret`.
fn sample_shared_secret() -> &'static str {
    SAMPLE
        .split("<SharedSecret>")
        .nth(1)
        .and_then(|rest| rest.split("</SharedSecret>").next())
        .unwrap_or_default()
}

/// An Ariba-style PO for a marketplace member: a `DOCTYPE`, and a `From` with the
/// marketplace's credential (`type="marketplace"`) before the member's, in the same domain.
const ARIBA_MARKETPLACE: &str = include_str!("../events/cxml/order-request-ariba-marketplace.xml");

/// A store trading with the Ariba Network (the marketplace sample's sender) as supplier DUNS
/// `123456789`, with `extra` added to the partner (`"buyer_domain": ...`).
fn ariba_harness(extra: &str) -> Harness {
    harness_with(Some(&format!(
        r#"{{"supplier": [{{"domain": "DUNS", "identity": "123456789"}}],
            "partners": [{{"name": "ariba", "sender": {{"domain": "AribaNetworkUserId", "identity": "sysadmin@ariba.example"}},
                          "shared_secret": "ariba-s3cret-for-tests-0123456789abcdef"{extra}}}]}}"#
    )))
}

/// The cXML DTD: a `Credential` without `type` describes the member (or unaffiliated) buying
/// organization, one with `type="marketplace"` the marketplace. The member is the buyer,
/// whether the partner names the domain or not; never the marketplace.
#[tokio::test]
async fn a_marketplace_po_is_the_members_order_never_the_marketplaces() {
    for extra in ["", r#", "buyer_domain": "AribaNetworkUserId""#] {
        let h = ariba_harness(extra);
        let (http, code, text) = h.send("/procurement/cxml", ARIBA_MARKETPLACE).await;
        assert_eq!((http, code), (StatusCode::OK, 200), "{extra}: {text}");
        let sent = h.sent();
        assert_eq!(sent.len(), 1, "{extra}");
        let cmd = &sent[0];
        assert_eq!(
            cmd["company_identity"], "northwind-buyer@ariba.example",
            "{extra}"
        );
        assert_eq!(cmd["external_id"], "northwind-buyer@ariba.example:DO-88213");
        assert_eq!(
            cmd["procurement"]["buyer"],
            serde_json::json!({"domain": "AribaNetworkUserId", "identity": "northwind-buyer@ariba.example"})
        );
    }
    // A From naming only the marketplace names no buyer.
    let only_marketplace = ARIBA_MARKETPLACE.replace(
        "<Credential domain=\"AribaNetworkUserId\">\n        <Identity>northwind-buyer@ariba.example</Identity>\n      </Credential>\n",
        "",
    );
    assert_ne!(only_marketplace, ARIBA_MARKETPLACE);
    for extra in ["", r#", "buyer_domain": "AribaNetworkUserId""#] {
        let h = ariba_harness(extra);
        let (http, code, text) = h.send("/procurement/cxml", &only_marketplace).await;
        assert_eq!((http, code), (StatusCode::OK, 400), "{extra}: {text}");
        assert!(text.contains("marketplace"), "{text}");
        assert!(h.sent().is_empty());
    }
    // A partner whose buyers are named in another domain: that credential, wherever it is.
    let with_duns = ARIBA_MARKETPLACE.replace(
        "    </From>",
        "      <Credential domain=\"DUNS\">\n        <Identity>987654321</Identity>\n      </Credential>\n    </From>",
    );
    let h = ariba_harness(r#", "buyer_domain": "DUNS""#);
    let (_, code, text) = h.send("/procurement/cxml", &with_duns).await;
    assert_eq!(code, 200, "{text}");
    assert_eq!(h.sent()[0]["company_identity"], "987654321");
}

/// The marketplace sample with its `Total` replaced by `total`.
fn ariba_with_total(total: &str) -> String {
    let doc = ARIBA_MARKETPLACE.replace(
        r#"<Money currency="USD">68.86</Money>"#,
        &format!(r#"<Money currency="USD">{total}</Money>"#),
    );
    assert_ne!(doc, ARIBA_MARKETPLACE);
    doc
}

/// A PO is the buyer's legal document: a `Total` of the lines alone (tax and shipping left
/// out) is taken as it is; one matching neither the lines nor the lines, tax and shipping is
/// taken at its lines and flagged (the staff note, the confirmation's comments, a log line and
/// the `ProcurementTotalMismatch` metric), unless the partner's `total_check` is `strict`.
#[tokio::test]
async fn a_total_of_the_lines_alone_is_taken_and_one_matching_neither_is_taken_and_flagged() {
    use b2b_shared::telemetry::{capture_metrics, metric_values};
    let h = ariba_harness("");
    let (http, code, text) = h
        .send("/procurement/cxml", &ariba_with_total("60.00"))
        .await;
    assert_eq!((http, code), (StatusCode::OK, 200), "{text}");
    let cmd = &h.sent()[0];
    assert_eq!(
        cmd["order"]["total"], "68.8600",
        "the order is its lines, tax and shipping"
    );
    assert_eq!(cmd["order"]["comments"], "Marketplace order for Northwind.");
    assert!(cmd["procurement"].get("total_note").is_none(), "{cmd}");

    let h = ariba_harness("");
    let neither = ariba_with_total("75.00");
    let (answer, docs) = capture_metrics(h.send("/procurement/cxml", &neither)).await;
    let (http, code, text) = answer;
    assert_eq!((http, code), (StatusCode::OK, 200), "{text}");
    let cmd = &h.sent()[0];
    assert_eq!(cmd["order"]["total"], "68.8600");
    let note = cmd["procurement"]["total_note"]
        .as_str()
        .unwrap_or_default();
    for says in ["75.0000 USD", "60.0000", "68.8600", "taken at its lines"] {
        assert!(note.contains(says), "{says}: {note}");
    }
    let comments = cmd["order"]["comments"].as_str().unwrap_or_default();
    assert!(
        comments.starts_with("Marketplace order for Northwind."),
        "{comments}"
    );
    assert!(comments.ends_with(note), "the staff note: {comments}");
    let flagged = metric_values(&docs, "ProcurementTotalMismatch");
    assert_eq!(flagged.len(), 1, "{docs:?}");
    assert_eq!(flagged[0].1["Partner"], "ariba");

    // Strict: refused, nothing enqueued; a total of the lines alone is still taken.
    let h = ariba_harness(r#", "total_check": "strict""#);
    let (http, code, text) = h.send("/procurement/cxml", &neither).await;
    assert_eq!((http, code), (StatusCode::OK, 400), "{text}");
    assert!(text.contains("OrderRequestHeader/Total"), "{text}");
    assert!(h.sent().is_empty());
    let (_, code, text) = h
        .send("/procurement/cxml", &ariba_with_total("60.00"))
        .await;
    assert_eq!(code, 200, "{text}");
}

/// The marketplace sample with its two lines' quantities replaced (`4` and `1`).
fn ariba_with_quantities(first: &str, second: &str) -> String {
    let doc = ARIBA_MARKETPLACE
        .replace(
            r#"<ItemOut quantity="4" lineNumber="1""#,
            &format!(r#"<ItemOut quantity="{first}" lineNumber="1""#),
        )
        .replace(
            r#"<ItemOut quantity="1" lineNumber="2""#,
            &format!(r#"<ItemOut quantity="{second}" lineNumber="2""#),
        );
    assert_ne!(doc, ARIBA_MARKETPLACE);
    doc
}

/// cXML's `quantity` is a number that may be fractional, and real systems write whole ones
/// as `4.000`: a whole quantity is taken however it is written; a fractional one is refused
/// (cXML 400, nothing enqueued) naming every such line and its quantity, not only the first.
#[tokio::test]
async fn a_fractional_quantity_is_refused_per_line_and_a_whole_one_written_with_decimals_is_taken()
{
    let h = ariba_harness("");
    let doc = ariba_with_quantities("4.000", "1.0");
    let (http, code, text) = h.send("/procurement/cxml", &doc).await;
    assert_eq!((http, code), (StatusCode::OK, 200), "{text}");
    let lines = &h.sent()[0]["order"]["lines"];
    assert_eq!(
        (lines[0]["quantity"].as_u64(), lines[1]["quantity"].as_u64()),
        (Some(4), Some(1))
    );

    let h = ariba_harness("");
    let doc = ariba_with_quantities("0.5", "2.25");
    let (http, code, text) = h.send("/procurement/cxml", &doc).await;
    assert_eq!((http, code), (StatusCode::OK, 400), "{text}");
    for says in [
        "ItemOut[1]@quantity",
        "`0.5`",
        "ItemOut[2]@quantity",
        "`2.25`",
        "fractional",
    ] {
        assert!(text.contains(says), "{says}: {text}");
    }
    assert!(h.sent().is_empty());
}

/// The marketplace sample with the first line (4 × SKU-001-1 at 12.50) in `first` and the
/// second (1 × SKU-003-1 at 10.00) in `second`.
fn ariba_in_units(first: &str, second: &str) -> String {
    let doc = ARIBA_MARKETPLACE
        .replacen(
            "<UnitOfMeasure>EA</UnitOfMeasure>",
            &format!("<UnitOfMeasure>{first}</UnitOfMeasure>"),
            1,
        )
        .replace(
            "<Description xml:lang=\"en-US\">Gasket set</Description>\n          <UnitOfMeasure>EA</UnitOfMeasure>",
            &format!("<Description xml:lang=\"en-US\">Gasket set</Description>\n          <UnitOfMeasure>{second}</UnitOfMeasure>"),
        );
    assert_ne!(doc, ARIBA_MARKETPLACE);
    doc
}

/// The store sells each: a line in another `UnitOfMeasure` is refused (400 naming every such
/// line and its unit, nothing enqueued) unless the partner's `units` converts it for that
/// SKU, then it is ordered in each at the unit price divided accordingly (and said in the
/// staff notes); a conversion whose price per each is not exact is refused.
#[tokio::test]
async fn a_line_in_another_unit_is_converted_by_the_partners_table_or_refused_naming_it() {
    let h = ariba_harness("");
    let (http, code, text) = h
        .send("/procurement/cxml", &ariba_in_units("CS", "BX"))
        .await;
    assert_eq!((http, code), (StatusCode::OK, 400), "{text}");
    for says in [
        "ItemOut[1]/ItemDetail/UnitOfMeasure",
        "`CS`",
        "ItemOut[2]/ItemDetail/UnitOfMeasure",
        "`BX`",
        "EA",
    ] {
        assert!(text.contains(says), "{says}: {text}");
    }
    assert!(h.sent().is_empty());

    let h = ariba_harness(r#", "units": {"SKU-001-1": {"CS": 10}}"#);
    let (http, code, text) = h
        .send("/procurement/cxml", &ariba_in_units("cs", "EA"))
        .await;
    assert_eq!((http, code), (StatusCode::OK, 200), "{text}");
    let cmd = &h.sent()[0];
    let line = &cmd["order"]["lines"][0];
    assert_eq!(line["quantity"], 40);
    assert_eq!(
        line["unit_price"],
        serde_json::to_value(bigcommerce_b2b::money::Amount::parse("1.25").unwrap()).unwrap()
    );
    assert_eq!(line["unit_of_measure"], "EA");
    assert_eq!(cmd["order"]["lines"][1]["quantity"], 1);
    let comments = cmd["order"]["comments"].as_str().unwrap();
    assert!(
        comments.contains("SKU-001-1 (line 1): 4 cs at 12.5000 ordered as 40 EA at 1.2500"),
        "{comments}"
    );

    // 12.50 per case of 12 is no exact price per each: refused, not rounded.
    let h = ariba_harness(r#", "units": {"SKU-001-1": {"CS": 12}}"#);
    let (_, code, text) = h
        .send("/procurement/cxml", &ariba_in_units("CS", "EA"))
        .await;
    assert_eq!(code, 400, "{text}");
    assert!(text.contains("no exact price per each"), "{text}");
    assert!(h.sent().is_empty());
}

/// cXML's `DeliverTo` lines name who receives the goods and where inside the site (an
/// attention, a building, a mail stop). BigCommerce's v2 address has no attention field: the
/// first `DeliverTo` is the addressee's name (`first_name`), the others go to `line2`
/// (`street_2`) ahead of the street lines after the first; none is lost.
#[tokio::test]
async fn every_deliver_to_line_is_kept_in_the_shipping_address() {
    let h = ariba_harness("");
    let (_, code, text) = h.send("/procurement/cxml", ARIBA_MARKETPLACE).await;
    assert_eq!(code, 200, "{text}");
    let ship = &h.sent()[0]["order"]["ship_to"];
    assert_eq!(ship["first_name"], "Andrew Fuller");
    assert_eq!(ship["line1"], "500 Pine St");
    assert_eq!(ship["line2"], "Building 2");

    let doc = ARIBA_MARKETPLACE.replace(
        "<DeliverTo>Building 2</DeliverTo>\n              <Street>500 Pine St</Street>",
        "<DeliverTo>Attn: Receiving</DeliverTo>\n              <DeliverTo> </DeliverTo>\n              <DeliverTo>Mail Stop 4B</DeliverTo>\n              <Street>500 Pine St</Street>\n              <Street>Dock 3</Street>",
    );
    assert_ne!(doc, ARIBA_MARKETPLACE);
    let h = ariba_harness("");
    let (_, code, text) = h.send("/procurement/cxml", &doc).await;
    assert_eq!(code, 200, "{text}");
    let ship = &h.sent()[0]["order"]["ship_to"];
    assert_eq!(ship["first_name"], "Andrew Fuller");
    assert_eq!(ship["company"], "Northwind Traders");
    assert_eq!(ship["line2"], "Attn: Receiving, Mail Stop 4B, Dock 3");
}

/// The people a PO is for go to the worker in order (each `Contact role="endUser"`, then the
/// `ShipTo` email), which places the order for the first who is a buyer of the company; a
/// `purchasingAgent` is not one of them.
#[tokio::test]
async fn the_people_a_po_is_for_are_named_to_the_worker_in_order() {
    let doc = ARIBA_MARKETPLACE.replace(
        "        <Comments",
        "        <Contact role=\"endUser\">\n          <Name xml:lang=\"en-US\">Nancy Davolio</Name>\n          <Email name=\"default\">nancy.davolio@northwind.example</Email>\n        </Contact>\n        <Comments",
    );
    assert_ne!(doc, ARIBA_MARKETPLACE);
    let h = ariba_harness("");
    let (_, code, text) = h.send("/procurement/cxml", &doc).await;
    assert_eq!(code, 200, "{text}");
    assert_eq!(
        h.sent()[0]["procurement"]["named_buyers"],
        serde_json::json!([
            "nancy.davolio@northwind.example",
            "receiving@northwind.example"
        ])
    );
}
