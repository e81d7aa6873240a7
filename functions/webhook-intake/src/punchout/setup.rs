//! The punch-out setup: a `PunchOutSetupRequest` on `POST /procurement/cxml[/{store}]`, from a
//! trading partner authenticated like a purchase order, for one of its company's buyers,
//! answered with the start page of a new session (or refused with its cXML status).

use b2b_cxml::{PunchOutSetup, Status};
use b2b_shared::secrets::acceptable_destination;
use lambda_http::http::HeaderMap;
use lambda_http::{Body, Response};

use super::browser::public_base;
use super::session::{login_of, new_session, remember_session};
use crate::cxml::{addressed_here, buyer_identity, partner_of};
use crate::http::{count_exchange, cxml_response, timestamp, xml_response, CxmlAnswer};
use crate::intake::Intake;
use crate::punchout_store::within;
use crate::stores::procurement_store;

/// Answers a `PunchOutSetupRequest` (at `path`) with a `PunchOutSetupResponse`, or the
/// refusal; counted by the cXML status answered.
pub(crate) async fn answer_setup(
    intake: &Intake,
    path: &str,
    headers: &HeaderMap,
    setup: &PunchOutSetup,
    now: i64,
) -> Response<Body> {
    let (resp, status) = match start_page(intake, path, headers, setup, now).await {
        Ok(start) => {
            let doc = b2b_cxml::punchout_setup_response(&setup.payload_id, &timestamp(now), &start);
            (xml_response(doc), 200)
        }
        Err(answer) => {
            tracing::info!(payload_id = %setup.payload_id, status = answer.status.code(), detail = %answer.detail, "cXML punch-out setup refused");
            let code = answer.status.code();
            (cxml_response(&setup.payload_id, &answer, now), code)
        }
    };
    count_exchange("PunchOutSetupRequest", status);
    resp
}

/// The start page of a new session for `setup`, remembered; or the refusal.
async fn start_page(
    intake: &Intake,
    path: &str,
    headers: &HeaderMap,
    setup: &PunchOutSetup,
    now: i64,
) -> Result<String, CxmlAnswer> {
    let secret = procurement_store(intake.credentials.as_ref(), path).await?;
    let not_offered = || {
        CxmlAnswer::new(
            Status::NotImplemented,
            "punch-out is not offered by this supplier; send purchase orders (OrderRequest)",
        )
    };
    let Some(config) = &secret.procurement else {
        return Err(CxmlAnswer::new(
            Status::Unauthorized,
            "this supplier takes no cXML documents",
        ));
    };
    let partner = partner_of(
        &secret,
        config,
        &setup.sender,
        |s| setup.sender_secret_matches(s),
        &setup.payload_id,
    )?;
    let (Some(login), Some(lookups)) = (login_of(&secret), intake.punchout.as_ref()) else {
        return Err(not_offered());
    };
    addressed_here(config, partner, &setup.to, &setup.deployment_mode)?;
    if !matches!(
        setup.operation.to_ascii_lowercase().as_str(),
        "create" | "edit"
    ) {
        return Err(CxmlAnswer::new(
            Status::NotImplemented,
            format!(
                "operation `{}` is not offered: punch out to create or edit a cart",
                setup.operation
            ),
        ));
    }
    check_return_url(setup)?;
    let identity = buyer_identity(partner, &setup.from)?;
    let email = setup.user_email.as_deref().ok_or_else(|| {
        CxmlAnswer::new(
            Status::BadRequest,
            "the shopper is not named: an `Extrinsic name=\"UserEmail\"` (or a Contact's Email) is required",
        )
    })?;
    let shopper = match within(lookups.shopper(&secret.store_hash, identity, email)).await {
        Ok(Ok(shopper)) => shopper,
        Ok(Err(why)) => return Err(CxmlAnswer::new(Status::BadRequest, why)),
        Err(reason) => {
            tracing::warn!(%reason, payload_id = %setup.payload_id, "the store could not be asked about a punch-out's shopper; asking the sender to retry");
            return Err(CxmlAnswer::unavailable());
        }
    };
    let base = public_base(intake.options.public_url.as_deref(), headers, path)
        .ok_or_else(|| CxmlAnswer::new(Status::BadRequest, "the request names no Host"))?;
    let minutes = login.punchout.session_minutes;
    let session = new_session(&secret, &partner.name, setup, shopper, now, minutes);
    let session_id = remember_session(intake, &session).await.map_err(|e| {
        tracing::error!(error = %e, "punch-out session not remembered; asking the sender to retry");
        CxmlAnswer::unavailable()
    })?;
    tracing::info!(partner = %partner.name, payload_id = %setup.payload_id, customer_id = shopper.customer_id, company_id = shopper.company_id, outcome = "session", "punch-out session set up");
    Ok(format!("{base}/procurement/punchout/start/{session_id}"))
}

/// The refusal of a setup whose `BrowserFormPost` is not a place a cart may be sent.
fn check_return_url(setup: &PunchOutSetup) -> Result<(), CxmlAnswer> {
    if acceptable_destination(&setup.browser_form_post) {
        Ok(())
    } else {
        Err(CxmlAnswer::new(
            Status::BadRequest,
            "`PunchOutSetupRequest/BrowserFormPost/URL` must be an https:// URL",
        ))
    }
}
