//! Punch-out documents: the setup request read (who, the session's cookie, where the cart
//! goes back), refused without its cookie or return URL or with entities; the setup
//! response naming the start page; the cart as a PunchOutOrderMessage in a self-posting HTML
//! form, every value escaped.

use b2b_cxml::{
    auto_post_form, html_page, punchout_order_message, punchout_setup_response, read_response,
    read_start_page, Cart, CartItem, Credential, CxmlError, PunchOutOrder, PunchOutSetup,
};
use bigcommerce_b2b::money::Amount;
use secrecy::SecretString;

const SETUP: &str =
    include_str!("../../../functions/webhook-intake/events/cxml/punchout-setup-request.xml");

#[test]
fn the_sample_setup_request_is_read_whole() {
    let s = PunchOutSetup::from_xml(SETUP.as_bytes()).unwrap();
    assert_eq!(s.payload_id, "1796299000.77@procure.northwind.example");
    assert_eq!(s.operation, "create");
    assert_eq!(s.deployment_mode, "test");
    assert_eq!(s.buyer_cookie, "NW-SESSION-5c1f2e");
    assert_eq!(
        s.browser_form_post,
        "https://procure.northwind.example/punchout/return?session=5c1f2e"
    );
    // The UserEmail extrinsic wins over the contact's address.
    assert_eq!(s.user_email.as_deref(), Some("nancy@northwind.example"));
    assert_eq!(s.from[0].identity, "NORTHWIND-AN01");
    assert_eq!(s.to[0].identity, "ACME-SUPPLY");
    assert!(s.sender_secret_matches(&SecretString::from("s3cret-for-tests-0123456789abcdefgh")));
    assert!(!s.sender_secret_matches(&SecretString::from("s3cret-for-test")));
    assert!(!format!("{s:?}").contains("s3cret"));
    let contact_only = SETUP.replace(
        r#"<Extrinsic name="UserEmail">nancy@northwind.example</Extrinsic>"#,
        "",
    );
    let s = PunchOutSetup::from_xml(contact_only.as_bytes()).unwrap();
    assert_eq!(s.user_email.as_deref(), Some("nancy.d@northwind.example"));
}

#[test]
fn a_setup_request_without_its_cookie_or_return_url_or_with_entities_is_refused() {
    let no_cookie = SETUP.replace("<BuyerCookie>NW-SESSION-5c1f2e</BuyerCookie>", "");
    assert_eq!(
        PunchOutSetup::from_xml(no_cookie.as_bytes()).unwrap_err(),
        CxmlError::invalid("PunchOutSetupRequest/BuyerCookie", "is required")
    );
    let no_return = SETUP.replace(
        "<URL>https://procure.northwind.example/punchout/return?session=5c1f2e</URL>",
        "",
    );
    assert_eq!(
        PunchOutSetup::from_xml(no_return.as_bytes()).unwrap_err(),
        CxmlError::invalid("PunchOutSetupRequest/BrowserFormPost/URL", "is required")
    );
    let entity = SETUP.replace(
        r#"<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.014/cXML.dtd">"#,
        r#"<!DOCTYPE cXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>"#,
    );
    assert_eq!(
        PunchOutSetup::from_xml(entity.as_bytes()).unwrap_err(),
        CxmlError::InternalSubset
    );
    let order = include_str!("../../../functions/webhook-intake/events/cxml/order-request.xml");
    assert!(matches!(
        PunchOutSetup::from_xml(order.as_bytes()),
        Err(CxmlError::Invalid { .. })
    ));
}

#[test]
fn the_setup_response_names_the_start_page() {
    let doc = punchout_setup_response(
        "1796299000.77@procure.northwind.example",
        "2026-12-03T14:50:01Z",
        "https://store.example/login/token/abc?x=1&y=2",
    );
    assert!(doc.contains(r#"payloadID="1796299000.77@procure.northwind.example.response""#));
    assert!(
        doc.contains("<PunchOutSetupResponse><StartPage><URL>https://store.example/login/token/abc?x=1&amp;y=2</URL></StartPage></PunchOutSetupResponse>"),
        "{doc}"
    );
    assert_eq!(read_response(doc.as_bytes()).unwrap().code, 200);
    // What the procurement system reads of it.
    assert_eq!(
        read_start_page(doc.as_bytes()).unwrap(),
        "https://store.example/login/token/abc?x=1&y=2"
    );
    let refused = b2b_cxml::response(
        "p1",
        "2026-12-03T14:50:01Z",
        b2b_cxml::Status::BadRequest,
        "no UserEmail",
    );
    let err = read_start_page(refused.as_bytes()).unwrap_err().to_string();
    assert!(err.contains("400") && err.contains("no UserEmail"), "{err}");
}

#[test]
fn the_cart_goes_back_as_an_order_message_in_a_self_posting_form() {
    let cred = |d: &str, i: &str| Credential::new(d, i);
    let items = [
        CartItem {
            sku: "SKU-001-1".into(),
            aux_id: Some("cart-7:1".into()),
            quantity: 3,
            unit_price: Amount::parse("12.50").unwrap(),
            description: "Widget <blue> & \"large\"".into(),
            unit_of_measure: None,
        },
        CartItem {
            sku: "SKU-002-2".into(),
            aux_id: None,
            quantity: 2,
            unit_price: Amount::parse("26.25").unwrap(),
            description: "Gadget".into(),
            unit_of_measure: Some("BX".into()),
        },
    ];
    let cart = Cart {
        buyer_cookie: "NW-SESSION-5c1f2e",
        currency: "USD",
        items: &items,
    };
    let msg = punchout_order_message(
        "cart.7@abc123.b2b-edition-toolkit",
        "2026-12-03T15:00:00Z",
        &[cred("NetworkID", "ACME-SUPPLY")],
        &[cred("NetworkID", "NORTHWIND-AN01")],
        &cred("NetworkID", "ACME-SUPPLY"),
        cart,
    );
    for part in [
        "<BuyerCookie>NW-SESSION-5c1f2e</BuyerCookie>",
        r#"<PunchOutOrderMessageHeader operationAllowed="edit"><Total><Money currency="USD">90.0000</Money></Total></PunchOutOrderMessageHeader>"#,
        r#"<ItemIn quantity="3"><ItemID><SupplierPartID>SKU-001-1</SupplierPartID><SupplierPartAuxiliaryID>cart-7:1</SupplierPartAuxiliaryID></ItemID>"#,
        "Widget &lt;blue&gt; &amp; \"large\"",
        "<UnitOfMeasure>EA</UnitOfMeasure>",
        "<UnitOfMeasure>BX</UnitOfMeasure>",
    ] {
        assert!(msg.contains(part), "{part}\n{msg}");
    }
    assert!(!msg.contains("SharedSecret"), "{msg}");
    let page = auto_post_form("https://procure.northwind.example/return?a=1&b=\"2\"", &msg);
    assert!(
        page.contains(r#"<form method="post" action="https://procure.northwind.example/return?a=1&amp;b=&quot;2&quot;">"#),
        "{page}"
    );
    assert!(
        page.contains(r#"name="cxml-urlencoded" value="&lt;?xml version=&quot;1.0&quot;"#),
        "{page}"
    );
    // The document survives the round trip through the form's attribute.
    let value = page
        .split(r#"value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(quick_xml::escape::unescape(value).unwrap(), msg);
    // The procurement system reads back exactly the cart that was written.
    let read = PunchOutOrder::from_xml(msg.as_bytes()).unwrap();
    assert_eq!(read.buyer_cookie, "NW-SESSION-5c1f2e");
    assert_eq!(
        (read.currency.as_str(), read.total),
        ("USD", Amount::parse("90").unwrap())
    );
    let mut expected = items.to_vec();
    expected[0].unit_of_measure = Some("EA".into());
    assert_eq!(read.items, expected);
    let empty = punchout_order_message(
        "cart.8@abc123",
        "2026-12-03T15:00:00Z",
        &[cred("NetworkID", "ACME-SUPPLY")],
        &[cred("NetworkID", "NORTHWIND-AN01")],
        &cred("NetworkID", "ACME-SUPPLY"),
        Cart {
            buyer_cookie: "c",
            currency: "USD",
            items: &[],
        },
    );
    let read = PunchOutOrder::from_xml(empty.as_bytes()).unwrap();
    assert!(
        read.items.is_empty() && read.total == Amount::ZERO,
        "{empty}"
    );
}

#[test]
fn a_page_for_the_shopper_escapes_what_it_says() {
    let page = html_page("Punch-out <ended>", "Cart \"a\" & b");
    assert!(
        page.contains("<title>Punch-out &lt;ended&gt;</title>"),
        "{page}"
    );
    assert!(page.contains("<p>Cart &quot;a&quot; &amp; b</p>"), "{page}");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic_any_reader(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = PunchOutSetup::from_xml(&bytes);
            let _ = PunchOutOrder::from_xml(&bytes);
            let _ = read_start_page(&bytes);
        }

        #[test]
        fn a_mutated_setup_request_is_read_whole_or_refused(at in 0usize..4000, byte in any::<u8>()) {
            let mut bytes = SETUP.as_bytes().to_vec();
            let i = at % bytes.len();
            bytes[i] = byte;
            if let Ok(s) = PunchOutSetup::from_xml(&bytes) {
                // What a session needs is never read empty.
                prop_assert!(!s.buyer_cookie.is_empty() && !s.browser_form_post.is_empty());
                prop_assert!(!s.payload_id.is_empty());
            }
        }

        #[test]
        fn an_entity_in_a_setup_request_is_never_expanded(decls in "[a-z<>!\" ]{0,64}") {
            let doc = SETUP.replacen(
                "<cXML ",
                &format!("<!DOCTYPE x [{decls}]>\n<cXML "),
                1,
            ).replacen("<!DOCTYPE cXML SYSTEM \"http://xml.cxml.org/schemas/cXML/1.2.014/cXML.dtd\">\n", "", 1);
            prop_assert!(PunchOutSetup::from_xml(doc.as_bytes()).is_err());
        }
    }
}
