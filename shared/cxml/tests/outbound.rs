//! The documents sent back to the buyer: a confirmation (accept, reject with its reason) and
//! a ship notice, well-formed, every value escaped, referring to the purchase order by its
//! orderID and payloadID, and authenticated by the Sender's shared secret.

mod common;

use b2b_cxml::{
    confirmation_request, ship_notice_request, Confirmation, ConfirmationKind, ShipNotice,
    ShippedLine,
};
use bigcommerce_b2b::money::Amount;
use common::with_parties;
use quick_xml::events::Event;

/// Every element name of a well-formed document, in order (panics on a malformed one).
fn elements(xml: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut names = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                names.push(e.name().into_inner().to_owned())
            }
            Ok(Event::Eof) => return names,
            Ok(_) => {}
            Err(e) => panic!("not well-formed: {e}\n{xml}"),
        }
    }
}

#[test]
fn a_confirmation_accepts_or_rejects_the_order_it_names() {
    let accept = with_parties(|p, o| {
        let c = Confirmation {
            kind: ConfirmationKind::Accept,
            confirm_id: "131",
            notice_date: "2026-12-03T15:20:00Z",
            total: Some((Amount::parse("86.50").unwrap(), "USD")),
            comments: None,
        };
        confirmation_request(
            "confirm.131.accept@acme",
            "2026-12-03T15:20:00Z",
            "test",
            p,
            o,
            &c,
        )
    });
    assert!(accept.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE cXML SYSTEM"));
    assert_eq!(
        elements(&accept),
        [
            "cXML",
            "Header",
            "From",
            "Credential",
            "Identity",
            "To",
            "Credential",
            "Identity",
            "Sender",
            "Credential",
            "Identity",
            "SharedSecret",
            "UserAgent",
            "Request",
            "ConfirmationRequest",
            "ConfirmationHeader",
            "Total",
            "Money",
            "OrderReference",
            "DocumentReference"
        ]
    );
    for part in [
        r#"<cXML payloadID="confirm.131.accept@acme" timestamp="2026-12-03T15:20:00Z" xml:lang="en-US">"#,
        r#"<Request deploymentMode="test">"#,
        r#"<ConfirmationHeader type="accept" noticeDate="2026-12-03T15:20:00Z" operation="new" confirmID="131">"#,
        r#"<Money currency="USD">86.5000</Money>"#,
        r#"<OrderReference orderID="PO-2026-0042" orderDate="2026-12-03T10:14:00-05:00"><DocumentReference payloadID="1796300000.4711@procure.northwind.example"/></OrderReference>"#,
        "<SharedSecret>supplier-s3cret</SharedSecret>",
        r#"<To><Credential domain="NetworkID"><Identity>NORTHWIND-AN01</Identity></Credential></To>"#,
    ] {
        assert!(accept.contains(part), "{part}\n{accept}");
    }

    let reject = with_parties(|p, o| {
        let c = Confirmation {
            kind: ConfirmationKind::Reject,
            confirm_id: "PO-2026-0042",
            notice_date: "2026-12-03T15:20:00Z",
            total: None,
            comments: Some("`order.lines[1].sku`: <SKU & co> is no variant"),
        };
        confirmation_request(
            "confirm.x.reject@acme",
            "2026-12-03T15:20:00Z",
            "production",
            p,
            o,
            &c,
        )
    });
    elements(&reject);
    assert!(reject.contains(r#"type="reject""#), "{reject}");
    assert!(
        reject.contains(
            "<Comments>`order.lines[1].sku`: &lt;SKU &amp; co&gt; is no variant</Comments>"
        ),
        "{reject}"
    );
    assert!(!reject.contains("<Total>"), "{reject}");
}

#[test]
fn a_ship_notice_names_its_carrier_tracking_and_lines() {
    let notice = with_parties(|p, o| {
        let s = ShipNotice {
            operation: b2b_cxml::NoticeOperation::New,
            shipment_id: "131-1",
            notice_date: "2026-12-04T09:00:00Z",
            shipment_date: "2026-12-04T08:30:00Z",
            carrier: Some("UPS"),
            tracking_number: Some("1Z999AA10000000131"),
            lines: vec![
                ShippedLine {
                    line_number: 1,
                    quantity: 3,
                    unit_of_measure: Some("EA"),
                },
                ShippedLine {
                    line_number: 2,
                    quantity: 1,
                    unit_of_measure: None,
                },
            ],
        };
        ship_notice_request("ship.131-1@acme", "2026-12-04T09:00:00Z", "test", p, o, &s)
    });
    let names = elements(&notice);
    let body: Vec<&str> = names
        .iter()
        .skip_while(|n| *n != "Request")
        .map(String::as_str)
        .collect();
    assert_eq!(
        body,
        [
            "Request",
            "ShipNoticeRequest",
            "ShipNoticeHeader",
            "ShipControl",
            "CarrierIdentifier",
            "ShipmentIdentifier",
            "ShipNoticePortion",
            "OrderReference",
            "DocumentReference",
            "ShipNoticeItem",
            "UnitOfMeasure",
            "ShipNoticeItem",
            "UnitOfMeasure"
        ]
    );
    for part in [
        r#"<ShipNoticeHeader shipmentID="131-1" operation="new" noticeDate="2026-12-04T09:00:00Z" shipmentDate="2026-12-04T08:30:00Z"/>"#,
        r#"<CarrierIdentifier domain="companyName">UPS</CarrierIdentifier><ShipmentIdentifier>1Z999AA10000000131</ShipmentIdentifier>"#,
        r#"<ShipNoticeItem lineNumber="2" quantity="1"><UnitOfMeasure>EA</UnitOfMeasure></ShipNoticeItem>"#,
    ] {
        assert!(notice.contains(part), "{part}\n{notice}");
    }
    // Without carrier or tracking there is no ShipControl.
    let bare = with_parties(|p, o| {
        let s = ShipNotice {
            operation: b2b_cxml::NoticeOperation::New,
            shipment_id: "131-2",
            notice_date: "2026-12-04T09:00:00Z",
            shipment_date: "2026-12-04T08:30:00Z",
            carrier: None,
            tracking_number: None,
            lines: vec![ShippedLine {
                line_number: 1,
                quantity: 3,
                unit_of_measure: None,
            }],
        };
        ship_notice_request("ship.131-2@acme", "2026-12-04T09:00:00Z", "test", p, o, &s)
    });
    assert!(
        !elements(&bare).iter().any(|n| n == "ShipControl"),
        "{bare}"
    );
}

#[test]
fn a_receivers_response_is_read_for_its_status() {
    let ok = b2b_cxml::response("x", "2026-12-03T15:20:00Z", b2b_cxml::Status::Ok, "");
    let read = b2b_cxml::read_response(ok.as_bytes()).unwrap();
    assert_eq!((read.code, read.text.as_str()), (200, "OK"));
    assert!(read.is_success() && !read.is_temporary());
    let refused = r#"<?xml version="1.0"?><cXML payloadID="r" timestamp="t"><Response><Status code="406" text="Not Acceptable">unknown orderID &amp; more</Status></Response></cXML>"#;
    let read = b2b_cxml::read_response(refused.as_bytes()).unwrap();
    assert_eq!(
        (read.code, read.text.as_str()),
        (406, "unknown orderID & more")
    );
    assert!(!read.is_success() && !read.is_temporary());
    let busy =
        r#"<cXML><Response><Status code="560" text="Temporary server error"/></Response></cXML>"#;
    assert!(b2b_cxml::read_response(busy.as_bytes())
        .unwrap()
        .is_temporary());
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE cXML [<!ENTITY a "a">]><cXML>&a;</cXML>"#;
    assert_eq!(
        b2b_cxml::read_response(laughs.as_bytes()),
        Err(b2b_cxml::CxmlError::InternalSubset)
    );
    assert!(b2b_cxml::read_response(b"<html>502 Bad Gateway</html>").is_err());
}
