//! webhook-intake: the project's front door.
//!
//! - `POST /webhooks/bigcommerce`: BigCommerce and B2B Edition webhooks, authenticated by a shared
//!   header secret and/or a Standard Webhooks signature, deduped on scope + hash in the state
//!   table, enqueued as one normalized [`WebhookEvent`](b2b_commands::WebhookEvent).
//! - `POST /inbound`: ERP/CRM commands (one or a batch), bearer-authenticated, each validated;
//!   all enqueued or none.
//! - `POST /procurement/cxml` (`/procurement/cxml/{store_hash}` in a deployment of many
//!   stores): cXML purchase orders from procurement platforms, authenticated by their
//!   trading partner's shared secret, enqueued as `order.create` commands, answered with a
//!   cXML `Response` (see [`procurement`]).
//! - Punch-out (see [`punchout`]): a `PunchOutSetupRequest` on the same route opens a
//!   session; `GET /procurement/punchout/start/{session}` signs the shopper in to the
//!   storefront (Customer Login API); `/procurement/punchout/return` sends the cart back as a
//!   `PunchOutOrderMessage`.
//! - `GET /health`.
//!
//! A webhook is accepted in two steps, so that a queue, a table or a process that fails loses
//! nothing (see [`webhooks`]). Nothing the caller sends produces a 500 or a panic.
//!
//! Layout, from the top: a route family imports the modules below it, never another family.
//!
//! - [`router`]: which route a request is for, the method it takes, and the family that
//!   answers it ([`Intake::handle`]).
//! - The route families, functions of the handler's state: [`webhooks`], [`inbound`],
//!   [`procurement`] (cXML purchase orders), [`punchout`] (setup, start page, return) and
//!   [`health`].
//! - What the families share: [`cxml`] (which cXML document came, its trading partner and
//!   addressee), [`stores`] (which store a request is for, with whose secret),
//!   [`punchout_store`] (punch-out's store lookups), [`precheck`] (a purchase order's store
//!   checks), [`verify`] (the header secret and Standard Webhooks signatures).
//! - [`intake`](mod@intake): the handler's state, [`Intake`].
//! - [`http`]: the ground floor: the answers every route gives (JSON, cXML, HTML) and the
//!   helpers they share.
//! - [`settings`]: every environment variable it reads, validated at cold start.
//! - [`intake()`]: the [`Intake`] these settings describe.

pub mod cxml;
pub mod health;
pub mod http;
pub mod inbound;
pub mod intake;
pub mod precheck;
pub mod procurement;
pub mod punchout;
pub mod punchout_store;
pub mod router;
pub mod settings;
pub mod stores;
#[cfg(test)]
mod test_harness;
pub mod verify;
pub mod webhooks;

use std::sync::Arc;

use b2b_shared::queue::SqsQueue;
use b2b_shared::setup;
use b2b_shared::state::DynamoState;
use b2b_shared::stores::StoreClients;

pub use intake::Intake;
pub use settings::{AuthMode, IntakeOptions, Settings};

/// The handler that `settings` describe, with AWS clients from `sdk`: the store secret through
/// a TTL cache, the inbound queue, the state table, and a BigCommerce client per store for the
/// checks of cXML purchase orders. Nothing is fetched until the first request.
pub fn intake(settings: &Settings, sdk: &aws_config::SdkConfig) -> Intake {
    let state = Arc::new(DynamoState::new(
        aws_sdk_dynamodb::Client::new(sdk),
        settings.state_table().to_owned(),
    ));
    let directory = setup::store_directory(&settings.config, sdk, Some(state.clone()));
    let clients = Arc::new(StoreClients::new(
        directory.clone(),
        settings.config.clone(),
        None,
    ));
    Intake {
        credentials: directory,
        queue: Arc::new(SqsQueue::new(
            aws_sdk_sqs::Client::new(sdk),
            settings.inbound_queue_url().to_owned(),
        )),
        state,
        options: settings.intake.clone(),
        precheck: Some(Arc::new(precheck::StorePrecheck {
            clients: clients.clone(),
            identity_field: settings.procurement_identity_field.clone(),
        })),
        punchout: Some(Arc::new(punchout_store::StorePunchOut {
            clients,
            identity_field: settings.procurement_identity_field.clone(),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_intake_is_built_from_the_settings() {
        let settings = Settings::from_lookup(|k| match k {
            "BC_SECRET_ID" => Some("bigcommerce/store/abc123".into()),
            "INBOUND_QUEUE_URL" => Some("https://sqs/in.fifo".into()),
            "STATE_TABLE" => Some("state".into()),
            "WEBHOOK_AUTH" => Some("signature".into()),
            _ => None,
        })
        .unwrap();
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let intake = intake(&settings, &sdk);
        assert_eq!(intake.options.auth, AuthMode::Signature);
        assert!(intake.options.fifo);
    }
}
