//! The sample of every document the toolkit writes, kept beside the samples it reads in
//! `functions/webhook-intake/events/cxml/`: each file is exactly what the writer produces for
//! the sample exchange (Northwind's PO-2026-0042 with Acme Supply), so a change to a document
//! shows in review. `UPDATE_CXML_SAMPLES=1 cargo test -p b2b-cxml --test samples` rewrites
//! them. The documents the buyer's side reads are read back.

mod common;

use common::{cred, with_parties};
use std::path::PathBuf;

use b2b_cxml::{
    confirmation_request, punchout_order_message, punchout_setup_response, read_start_page,
    ship_notice_request, Cart, CartItem, Confirmation, ConfirmationKind, PunchOutOrder, ShipNotice,
    ShippedLine,
};
use bigcommerce_b2b::money::Amount;

fn sample_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../functions/webhook-intake/events/cxml")
        .join(name)
}

/// Compares `doc` with the sample `name` (or rewrites it with `UPDATE_CXML_SAMPLES`).
fn matches_sample(name: &str, doc: &str) {
    let path = sample_path(name);
    let doc = format!("{doc}\n");
    if std::env::var_os("UPDATE_CXML_SAMPLES").is_some() {
        std::fs::write(&path, &doc).unwrap();
        return;
    }
    let kept = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_CXML_SAMPLES=1 writes it)", path.display()));
    assert_eq!(
        kept, doc,
        "{name} differs from what is written now (UPDATE_CXML_SAMPLES=1 rewrites it)"
    );
}

#[test]
fn the_confirmation_sample_is_what_is_written() {
    let doc = with_parties(|p, o| {
        let c = Confirmation {
            kind: ConfirmationKind::Accept,
            confirm_id: "131",
            notice_date: "2026-12-03T15:20:00Z",
            total: Some((Amount::parse("86.50").unwrap(), "USD")),
            comments: None,
        };
        confirmation_request(
            "confirm.accept.northwind.PO-2026-0042@abc123.b2b-edition-toolkit",
            "2026-12-03T15:20:00Z",
            "test",
            p,
            o,
            &c,
        )
    });
    matches_sample("confirmation-request.xml", &doc);
}

#[test]
fn the_ship_notice_sample_is_what_is_written() {
    let doc = with_parties(|p, o| {
        let s = ShipNotice {
            operation: b2b_cxml::NoticeOperation::New,
            shipment_id: "1",
            notice_date: "2026-12-04T09:00:00Z",
            shipment_date: "2026-12-04T09:00:00Z",
            carrier: Some("ups"),
            tracking_number: Some("1Z999AA10000000042"),
            lines: vec![ShippedLine {
                line_number: 1,
                quantity: 3,
                unit_of_measure: Some("EA"),
            }],
        };
        ship_notice_request(
            "ship.1.131@abc123.b2b-edition-toolkit",
            "2026-12-04T09:00:00Z",
            "test",
            p,
            o,
            &s,
        )
    });
    matches_sample("ship-notice-request.xml", &doc);
}

#[test]
fn the_punch_out_samples_are_what_is_written_and_read_back() {
    let start = "https://api.example/procurement/punchout/start/5f0c9b1de2a4c6e8f0a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5";
    let setup = punchout_setup_response(
        "1796299000.77@procure.northwind.example",
        "2026-12-03T14:50:01Z",
        start,
    );
    matches_sample("punchout-setup-response.xml", &setup);
    assert_eq!(read_start_page(setup.as_bytes()).unwrap(), start);
    let items = [
        CartItem {
            sku: "SKU-001-1".into(),
            aux_id: Some("6e193ce6-f327-4dcc-b75e-72cf6738525e".into()),
            quantity: 3,
            unit_price: Amount::parse("12.50").unwrap(),
            description: "Widget 1".into(),
            unit_of_measure: None,
        },
        CartItem {
            sku: "SKU-002-2".into(),
            aux_id: Some("0b7e3f6a-2c1d-4e8f-9a5b-3d2c1b0a9f8e".into()),
            quantity: 2,
            unit_price: Amount::parse("19.50").unwrap(),
            description: "Widget 2".into(),
            unit_of_measure: None,
        },
    ];
    let message = punchout_order_message(
        "punchout.3f1a2b4c5d6e7f80.1796299300@abc123",
        "2026-12-03T14:55:00Z",
        &[cred("NetworkID", "ACME-SUPPLY")],
        &[cred("NetworkID", "NORTHWIND-AN01")],
        &cred("NetworkID", "ACME-SUPPLY"),
        Cart {
            buyer_cookie: "NW-SESSION-5c1f2e",
            currency: "USD",
            items: &items,
        },
    );
    matches_sample("punchout-order-message.xml", &message);
    let read = PunchOutOrder::from_xml(message.as_bytes()).unwrap();
    assert_eq!(read.total, Amount::parse("76.50").unwrap());
    assert_eq!(read.items.len(), 2);
}
