//! Reading cXML purchase orders: the sample PO (`functions/webhook-intake/events/`) read whole,
//! each kind of bad input refused with its reason (and never parsed when it declares
//! entities), the shared secret compared, the answer written; and, over generated input, the
//! reader never panics and never accepts a declared entity.

use b2b_cxml::{check_prolog, response, CxmlError, PurchaseOrder, Status};
use bigcommerce_b2b::money::Amount;
use proptest::prelude::*;
use secrecy::SecretString;

const SAMPLE: &str =
    include_str!("../../../functions/webhook-intake/events/cxml/order-request.xml");

fn amount(s: &str) -> Amount {
    Amount::parse(s).unwrap()
}

#[test]
fn the_sample_purchase_order_is_read_whole() {
    let po = PurchaseOrder::from_xml(SAMPLE.as_bytes()).unwrap();
    assert_eq!(po.payload_id, "1796300000.4711@procure.northwind.example");
    assert_eq!(po.order_id, "PO-2026-0042");
    assert_eq!(po.order_type, "new");
    assert_eq!(po.comments.as_deref(), Some("Deliver before noon."));
    assert_eq!(po.deployment_mode, "test");
    assert_eq!(po.from[0].domain, "NetworkID");
    assert_eq!(po.from[0].identity, "NORTHWIND-AN01");
    assert_eq!(po.to[0].identity, "ACME-SUPPLY");
    assert_eq!((po.currency.as_str(), po.total), ("USD", amount("86.50")));
    assert_eq!(po.shipping, amount("10"));
    let ship = po.ship_to.as_ref().unwrap();
    assert_eq!(ship.name, "Northwind Traders - Receiving");
    assert_eq!(ship.street, ["1 Harbour Rd", "Dock 3"]);
    assert_eq!(
        (ship.city.as_str(), ship.country_code.as_str()),
        ("Seattle", "US")
    );
    assert_eq!(ship.email.as_deref(), Some("receiving@northwind.example"));
    assert_eq!(
        po.bill_to.as_ref().unwrap().address_id.as_deref(),
        Some("NW-AP")
    );
    assert_eq!(po.lines.len(), 2);
    assert_eq!(po.lines[0].sku, "SKU-001-1");
    assert_eq!(po.lines[0].quantity, 3);
    assert_eq!(po.lines[0].unit_price, amount("12.5"));
    assert_eq!(po.lines[0].aux_id.as_deref(), Some("punchout-cart-7"));
    assert_eq!(po.lines[1].unit_of_measure.as_deref(), Some("EA"));
}

#[test]
fn the_shared_secret_is_compared_and_never_shown() {
    let po = PurchaseOrder::from_xml(SAMPLE.as_bytes()).unwrap();
    assert!(po.sender_secret_matches(&SecretString::from("s3cret-for-tests-0123456789abcdefgh")));
    assert!(!po.sender_secret_matches(&SecretString::from("s3cret-for-test")));
    assert!(!po.sender_secret_matches(&SecretString::from("")));
    assert!(!format!("{po:?}").contains("s3cret"));
}

fn refused(xml: &str) -> CxmlError {
    PurchaseOrder::from_xml(xml.as_bytes()).unwrap_err()
}

#[test]
fn declared_entities_are_refused_before_parsing() {
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE cXML [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<cXML payloadID="x">&lol2;</cXML>"#;
    assert_eq!(refused(laughs), CxmlError::InternalSubset);
    let external = r#"<?xml version="1.0"?>
<!DOCTYPE cXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><cXML payloadID="x">&xxe;</cXML>"#;
    assert_eq!(refused(external), CxmlError::InternalSubset);
    // An entity never declared is no entity we expand either.
    let undeclared = SAMPLE.replace("Widget, blue", "&xxe;");
    assert!(matches!(refused(&undeclared), CxmlError::Malformed(_)));
}

#[test]
fn bad_documents_are_refused_with_what_is_wrong() {
    assert!(matches!(refused("<cXML"), CxmlError::Malformed(_)));
    assert!(matches!(refused(""), CxmlError::Malformed(_)));
    let cases = [
        (
            SAMPLE.replace(r#"quantity="3""#, r#"quantity="1.5""#),
            "ItemOut[1]@quantity",
        ),
        (
            SAMPLE.replace(r#"quantity="3""#, r#"quantity="0""#),
            "ItemOut[1]@quantity",
        ),
        (
            SAMPLE.replace(
                "<SupplierPartID>SKU-002-2</SupplierPartID>",
                "<SupplierPartID> </SupplierPartID>",
            ),
            "ItemOut[2]/ItemID/SupplierPartID",
        ),
        (
            SAMPLE.replace(r#"orderID="PO-2026-0042""#, ""),
            "OrderRequestHeader@orderID",
        ),
        (
            SAMPLE.replace(
                r#"<Money currency="USD">19.50</Money>"#,
                r#"<Money currency="EUR">19.50</Money>"#,
            ),
            "ItemOut[2]/ItemDetail/UnitPrice/Money@currency",
        ),
        (
            SAMPLE.replace(
                r#"payloadID="1796300000.4711@procure.northwind.example""#,
                "",
            ),
            "cXML@payloadID",
        ),
    ];
    for (xml, field) in cases {
        match refused(&xml) {
            CxmlError::Invalid { field: f, .. } => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}

#[test]
fn the_answer_is_cxml_with_the_status_and_an_escaped_detail() {
    let xml = response(
        "abc@x",
        "2026-12-03T10:15:01Z",
        Status::NotAcceptable,
        "SKU <X> & co",
    );
    assert!(
        xml.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?>"#),
        "{xml}"
    );
    assert!(xml
        .contains(r#"<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.014/cXML.dtd">"#));
    assert!(xml.contains(r#"payloadID="abc@x.response""#), "{xml}");
    assert!(
        xml.contains(r#"<Status code="406" text="Not Acceptable">SKU &lt;X&gt; &amp; co</Status>"#),
        "{xml}"
    );
    // It reads back as well-formed XML with our own guard.
    check_prolog(xml.as_bytes()).unwrap();
    assert_eq!(Status::Unauthorized.code(), 401);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = PurchaseOrder::from_xml(&bytes);
    }

    #[test]
    fn any_internal_subset_is_refused(decls in "[a-z<>!\" ]{0,64}", body in "[a-z&;]{0,32}") {
        let xml = format!("<?xml version=\"1.0\"?><!DOCTYPE cXML [{decls}]><cXML payloadID=\"p\">{body}</cXML>");
        let refused = PurchaseOrder::from_xml(xml.as_bytes()).unwrap_err();
        prop_assert!(matches!(refused, CxmlError::InternalSubset | CxmlError::Malformed(_)), "{refused:?}");
    }

    #[test]
    fn mutations_of_the_sample_are_read_or_refused_never_accepted_wrongly(at in 0usize..3000, byte in any::<u8>()) {
        let mut bytes = SAMPLE.as_bytes().to_vec();
        let i = at % bytes.len();
        bytes[i] = byte;
        if let Ok(po) = PurchaseOrder::from_xml(&bytes) {
            // Whatever was read adds up, or says it does not.
            let lines = po.lines_total().unwrap();
            let full = po.order_total();
            prop_assert_eq!(Some(full), lines.checked_add(po.shipping).and_then(|l| l.checked_add(po.tax)));
            let check = po.total_check();
            match check {
                b2b_cxml::TotalCheck::LinesTaxShipping => prop_assert_eq!(po.total, full),
                b2b_cxml::TotalCheck::LinesOnly => prop_assert_eq!(po.total, lines),
                b2b_cxml::TotalCheck::Neither { .. } => prop_assert!(po.total != full && po.total != lines),
            }
        }
    }
}

/// An Ariba-style PO for a marketplace member (a `DOCTYPE`, the marketplace's credential
/// before the member's in one domain): read whole, the member is the buyer, never the
/// marketplace (the cXML DTD: `type="marketplace"` describes the marketplace).
#[test]
fn a_marketplace_members_po_names_the_member_as_the_buyer() {
    use b2b_cxml::{buyer_credential, BuyerChoice};
    let xml = include_str!(
        "../../../functions/webhook-intake/events/cxml/order-request-ariba-marketplace.xml"
    );
    let po = PurchaseOrder::from_xml(xml.as_bytes()).unwrap();
    assert_eq!(po.from.len(), 2);
    assert!(po.from[0].is_marketplace());
    assert!(!po.from[1].is_marketplace());
    assert_eq!(
        (po.total, po.tax, po.shipping),
        (amount("68.86"), amount("3.86"), amount("5"))
    );
    assert_eq!(po.lines_total(), Some(amount("60")));
    let member = &po.from[1];
    assert_eq!(member.identity, "northwind-buyer@ariba.example");
    for domain in [
        None,
        Some("AribaNetworkUserId"),
        Some(" aribanetworkuserid "),
    ] {
        assert_eq!(
            buyer_credential(&po.from, domain),
            BuyerChoice::Found {
                credential: member,
                by_domain: domain.is_some()
            },
            "{domain:?}"
        );
    }
    assert_eq!(
        buyer_credential(&po.from, Some("DUNS")),
        BuyerChoice::Missing
    );
    assert_eq!(buyer_credential(&po.from[..1], None), BuyerChoice::Missing);
}

/// Real POs disagree about what `OrderRequestHeader/Total` includes: the lines alone or the
/// lines, tax and shipping are both taken; any other total is read, and said to match neither
/// (the intake flags or refuses it, as the partner asks). The order is the lines, shipping and
/// tax either way.
#[test]
fn a_total_of_the_lines_alone_or_with_tax_and_shipping_is_read_and_any_other_said_to_match_neither()
{
    use b2b_cxml::TotalCheck;
    let xml = include_str!(
        "../../../functions/webhook-intake/events/cxml/order-request-ariba-marketplace.xml"
    );
    let with_total = |t: &str| {
        let doc = xml.replace(
            r#"<Money currency="USD">68.86</Money>"#,
            &format!(r#"<Money currency="USD">{t}</Money>"#),
        );
        PurchaseOrder::from_xml(doc.as_bytes()).unwrap()
    };
    let full = with_total("68.86");
    assert_eq!(full.total_check(), TotalCheck::LinesTaxShipping);
    let lines_only = with_total("60.00");
    assert_eq!(lines_only.total_check(), TotalCheck::LinesOnly);
    assert_eq!(lines_only.order_total(), amount("68.86"));
    let neither = with_total("75.00");
    assert_eq!(
        neither.total_check(),
        TotalCheck::Neither {
            lines: amount("60"),
            full: amount("68.86")
        }
    );
    assert_eq!(neither.order_total(), amount("68.86"));
    let sample = PurchaseOrder::from_xml(SAMPLE.replace("86.50", "99.00").as_bytes()).unwrap();
    assert!(matches!(sample.total_check(), TotalCheck::Neither { .. }));
}

/// A whole quantity written with decimals (`3.000`, as real systems send it) is that many; a
/// fractional one is refused, and every line with one is named with its quantity.
#[test]
fn fractional_quantities_are_refused_per_line_and_whole_ones_with_decimals_are_taken() {
    let whole = SAMPLE.replace(r#"quantity="3""#, r#"quantity="3.000""#);
    assert_ne!(whole, SAMPLE);
    assert_eq!(
        PurchaseOrder::from_xml(whole.as_bytes()).unwrap().lines[0].quantity,
        3
    );
    let two = SAMPLE
        .replace(r#"quantity="3""#, r#"quantity="1.5""#)
        .replace(r#"quantity="2""#, r#"quantity="0.25""#);
    let text = refused(&two).to_string();
    for says in [
        "ItemOut[1]@quantity",
        "`1.5`",
        "ItemOut[2]@quantity",
        "`0.25`",
        "fractional",
    ] {
        assert!(text.contains(says), "{says}: {text}");
    }
}
