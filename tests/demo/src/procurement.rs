//! The demo's procurement step: Acme Texas's procurement system (a small simulator here, on
//! a local port) punches out to the store (its buyer signed in to the sandbox's storefront
//! by a customer login token, a cart filled and returned as a PunchOutOrderMessage), sends
//! that cart as a cXML purchase order to webhook-intake, hears back a confirmation once the
//! worker has made the order, and a ship notice when the ERP ships it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::routing::post;
use axum::Router;
use bc_sandbox::RunningSandbox;
use serde_json::{json, Value};

use crate::{drain, post_inbound, sandbox_state, Aws, Error, Lambdas, STORE};

/// The procurement identity of Acme Texas: the `From` of the POs its procurement system sends.
pub const PROCUREMENT_BUYER: &str = "ACME-TX-AN01";
/// The sample cXML purchase order (its `From` is replaced by Acme Texas's identity).
const SAMPLE_PO: &str =
    include_str!("../../../functions/webhook-intake/events/cxml/order-request.xml");
/// The secret the procurement system and the store share.
const SHARED_SECRET: &str = "s3cret-for-tests-0123456789abcdefgh";
/// The sample punch-out setup request (its `From` and shopper replaced by Acme Texas's).
const SAMPLE_SETUP: &str =
    include_str!("../../../functions/webhook-intake/events/cxml/punchout-setup-request.xml");
/// The app whose client secret signs customer login tokens (the sandbox's defaults).
pub const APP_CLIENT_ID: &str = "sandbox-client";
/// See [`APP_CLIENT_ID`].
pub const APP_CLIENT_SECRET: &str = "sandbox-client-secret";

/// The buyer's procurement system, as far as it hears back: every cXML document it took.
pub struct BuyerSystem {
    /// Where it takes documents.
    pub url: String,
    received: Arc<Mutex<Vec<String>>>,
}

impl BuyerSystem {
    /// Starts it on a free local port; it answers every document cXML 200.
    pub async fn start() -> Result<Self, Error> {
        let received: Arc<Mutex<Vec<String>>> = Arc::default();
        let kept = received.clone();
        let app = Router::new().route(
            "/cxml",
            post(move |body: String| {
                let kept = kept.clone();
                async move {
                    if let Ok(mut docs) = kept.lock() {
                        docs.push(body);
                    }
                    r#"<?xml version="1.0"?><cXML payloadID="ack@buyer" timestamp="2026-12-03T00:00:00Z"><Response><Status code="200" text="OK"/></Response></cXML>"#
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let url = format!("http://{}/cxml", listener.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, received })
    }

    /// The documents taken so far that contain `element` (`ConfirmationRequest`...).
    fn taken(&self, element: &str) -> Vec<String> {
        let tag = format!("<{element}");
        self.received
            .lock()
            .map(|d| d.iter().filter(|x| x.contains(&tag)).cloned().collect())
            .unwrap_or_default()
    }
}

/// The store secret's `procurement`: the store is supplier `ACME-SUPPLY` to the sample's
/// procurement system (in test mode, as the sample is), which takes documents at `url`.
pub fn config(url: &str, storefront: &str) -> Value {
    json!({"supplier": [{"domain": "NetworkID", "identity": "ACME-SUPPLY"}],
        "partners": [{"name": "acme-coupa", "sender": {"domain": "NetworkID", "identity": "NORTHWIND-AN01"},
            "shared_secret": SHARED_SECRET, "deployment_mode": "test", "document_url": url}],
        "punchout": {"storefront_url": storefront}})
}

/// The action and cXML of a return page's self-posting form.
fn form_of(page: &str) -> Result<(String, String), Error> {
    let attr = |name: &str| -> Result<String, Error> {
        let raw = page
            .split(&format!("{name}=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .ok_or_else(|| format!("punch-out: no {name} in the return page: {page}"))?;
        Ok(quick_xml::escape::unescape(raw)?.into_owned())
    };
    Ok((attr("action")?, attr("value")?))
}

/// Pat of Acme Texas punches out from the procurement system: the setup answered with a
/// start page, which signs Pat in to the storefront (the sandbox checks the login token);
/// Pat's cart (the PO's two lines) goes back as a PunchOutOrderMessage. The items returned.
async fn punch_out(
    intake_url: &str,
    sandbox: &RunningSandbox,
) -> Result<b2b_cxml::PunchOutOrder, Error> {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let setup = SAMPLE_SETUP
        .replacen("NORTHWIND-AN01", PROCUREMENT_BUYER, 1)
        .replace("nancy@northwind.example", "pat@acme-tx.example");
    let answer = browser
        .post(format!("{intake_url}/procurement/cxml"))
        .header("content-type", "text/xml")
        .body(setup)
        .send()
        .await?
        .text()
        .await?;
    let start = b2b_cxml::read_start_page(answer.as_bytes())
        .map_err(|e| format!("punch-out setup: {e}: {answer}"))?;
    let opened = browser.get(&start).send().await?;
    let login = opened
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .ok_or_else(|| {
            format!(
                "punch-out: the start page {start} answered {} without a redirect",
                opened.status()
            )
        })?
        .to_owned();
    let set_cookie = opened
        .headers()
        .get("set-cookie")
        .and_then(|c| c.to_str().ok())
        .ok_or("punch-out: the start page set no session cookie")?
        .to_owned();
    let cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
    // A browser sends it back only under its Path: the return link's.
    let cookie_path = set_cookie
        .split(';')
        .find_map(|p| p.trim().strip_prefix("Path="))
        .unwrap_or("/")
        .to_owned();
    let signed_in = browser.get(&login).send().await?;
    if signed_in.status() != reqwest::StatusCode::FOUND
        || signed_in.headers().get("set-cookie").is_none()
    {
        return Err(format!(
            "punch-out: the storefront refused the login token ({})",
            signed_in.status()
        )
        .into());
    }
    let logins: Value = browser
        .get(format!(
            "{}/__sandbox/storefront/logins",
            sandbox.base_url()
        ))
        .send()
        .await?
        .json()
        .await?;
    let customer = logins["logins"][0]["customer_id"].clone();
    let cart: Value = browser
        .post(format!("{}/stores/{STORE}/v3/carts", sandbox.base_url()))
        .header("X-Auth-Token", crate::TOKEN)
        .json(&json!({"customer_id": customer, "line_items": [
            {"product_id": 1, "variant_id": 1, "quantity": 3, "list_price": 12.5},
            {"product_id": 2, "variant_id": 4, "quantity": 2, "list_price": 19.5}]}))
        .send()
        .await?
        .json()
        .await?;
    let cart_id = cart["data"]["id"].as_str().unwrap_or_default();
    let return_url = start
        .split("/procurement/punchout/start/")
        .next()
        .unwrap_or_default()
        .to_owned()
        + "/procurement/punchout/return?cart_id="
        + cart_id;
    let return_path = reqwest::Url::parse(&return_url)?.path().to_owned();
    if !return_path.starts_with(&cookie_path) {
        return Err(format!("punch-out: the session cookie's Path {cookie_path} does not cover the return link {return_path}").into());
    }
    let page = browser
        .get(&return_url)
        .header("cookie", &cookie)
        .send()
        .await?
        .text()
        .await?;
    let (_, cxml) = form_of(&page)?;
    Ok(b2b_cxml::PunchOutOrder::from_xml(cxml.as_bytes())?)
}

/// POSTs a cXML document to webhook-intake; its cXML status code and text.
async fn post_cxml(
    http: &reqwest::Client,
    intake_url: &str,
    doc: &str,
) -> Result<(u16, String), Error> {
    let text = http
        .post(format!("{intake_url}/procurement/cxml"))
        .header("content-type", "text/xml")
        .body(doc.to_owned())
        .send()
        .await?
        .text()
        .await?;
    let code = text
        .split(r#"<Status code=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("no cXML Status in {text}"))?;
    Ok((code, text))
}

/// The sandbox's order made from the PO, with its PO number and buyer's email.
fn made_order(state: &Value) -> Result<(Value, String, String), Error> {
    let external = format!("{PROCUREMENT_BUYER}:PO-2026-0042");
    let orders: Vec<&Value> = state["orders"]
        .as_object()
        .map(|m| {
            m.values()
                .filter(|o| o["external_order_id"] == external.as_str())
                .collect()
        })
        .unwrap_or_default();
    let [order] = orders[..] else {
        return Err(format!("procurement step: {} orders for {external}", orders.len()).into());
    };
    let id = order["id"].to_string();
    let po_number = state["b2b_orders"][&id]["poNumber"]
        .as_str()
        .unwrap_or_default();
    let buyer = state["customers"][order["customer_id"].to_string()]["email"]
        .as_str()
        .unwrap_or_default();
    Ok((order.clone(), po_number.to_owned(), buyer.to_owned()))
}

/// Acme Texas's procurement system sends a cXML purchase order: answered at once, it becomes
/// one order for the company's buyer with its PO number and is confirmed back; sent again it
/// is answered the same and creates nothing; a forged one is refused; the ERP ships it and
/// the procurement system gets the ship notice.
pub async fn step(
    http: &reqwest::Client,
    intake_url: &str,
    aws: &Aws,
    lambdas: &Lambdas,
    sandbox: &RunningSandbox,
    buyer_system: &BuyerSystem,
) -> Result<String, Error> {
    let cart = punch_out(intake_url, sandbox).await?;
    let po = SAMPLE_PO.replacen("NORTHWIND-AN01", PROCUREMENT_BUYER, 1);
    let ordered = b2b_cxml::PurchaseOrder::from_xml(po.as_bytes())?;
    let same = ordered.lines.len() == cart.items.len()
        && ordered.lines.iter().zip(&cart.items).all(|(l, i)| {
            (l.sku.as_str(), l.quantity, l.unit_price) == (i.sku.as_str(), i.quantity, i.unit_price)
        });
    if !same {
        return Err(format!(
            "procurement step: the punched-out cart {:?} is not the PO's lines",
            cart.items
        )
        .into());
    }
    let (code, text) = post_cxml(http, intake_url, &po).await?;
    if code != 200 {
        return Err(format!("procurement step: the PO was answered {code}: {text}").into());
    }
    drain(aws, lambdas).await?;
    let (again, _) = post_cxml(http, intake_url, &po).await?;
    let (forged, _) = post_cxml(http, intake_url, &po.replace(SHARED_SECRET, "guess")).await?;
    let (order, po_number, buyer) = made_order(&sandbox_state(http, sandbox).await?)?;
    let id = order["id"].to_string();
    let ship = json!({"type": "shipment.create", "version": 1, "store_hash": STORE,
        "external_id": format!("SHIP-{id}-1"),
        "order": {"reference": format!("{PROCUREMENT_BUYER}:PO-2026-0042")},
        "shipment": {"lines": [{"sku": "SKU-001-1", "quantity": 3}], "tracking_number": "1Z999AA10000000042",
            "shipping_provider": "ups"}});
    post_inbound(http, intake_url, &json!([ship])).await?;
    drain(aws, lambdas).await?;
    let confirmations = buyer_system.taken("ConfirmationRequest");
    let notices = buyer_system.taken("ShipNoticeRequest");
    let accepted = confirmations.iter().any(|d| d.contains(r#"type="accept""#));
    if po_number != "PO-2026-0042"
        || again != 200
        || forged != 401
        || !accepted
        || notices.len() != 1
    {
        return Err(format!(
            "procurement step: PO number {po_number}, resend {again}, forged {forged}, {} confirmation(s), {} ship notice(s)",
            confirmations.len(),
            notices.len()
        )
        .into());
    }
    Ok(format!(
        "procurement: Pat of Acme Texas punched out from Coupa (PunchOutSetupRequest → start page → signed in to the storefront by a customer login token → cart of {} items, {} {} returned as a PunchOutOrderMessage); Coupa sent that cart as cXML PO PO-2026-0042 (2 lines, {} USD) to POST /procurement/cxml → cXML 200; order #{id} created for {buyer} with PO number {po_number} and confirmed back (ConfirmationRequest accept); sent again → 200, nothing new; a wrong shared secret → 401; the ERP shipped line 1 by UPS → ShipNoticeRequest to the procurement system",
        cart.items.len(),
        cart.total,
        cart.currency,
        order["total_inc_tax"].as_str().unwrap_or_default()
    ))
}
