//! The handler's state: [`Intake`], what every route reads (the secrets of the stores served,
//! the inbound queue, the state table, the options, the store lookups), and the largest body
//! it takes. The routes are functions of it (see [`crate::router`]); it imports no route module.

use std::sync::Arc;

use b2b_shared::queue::{Queue, MAX_MESSAGE_BYTES};
use b2b_shared::state::StateStore;
use b2b_shared::stores::StoreSecrets;

use crate::precheck::OrderPrecheck;
use crate::punchout_store::PunchOutStore;
use crate::settings::IntakeOptions;

/// Largest body accepted: SQS's message limit.
pub const MAX_BODY_BYTES: usize = MAX_MESSAGE_BYTES;

/// webhook-intake's handler, with its dependencies behind traits so tests can swap them.
#[derive(Clone)]
pub struct Intake {
    /// The secrets of the stores served (one, or many: see [`b2b_shared::stores`]).
    pub credentials: Arc<dyn StoreSecrets>,
    /// The inbound queue.
    pub queue: Arc<dyn Queue>,
    /// The dedupe store.
    pub state: Arc<dyn StateStore>,
    /// How it behaves (authentication, dedupe, batch size).
    pub options: IntakeOptions,
    /// The store checks of cXML purchase orders (unknown buyer, unknown SKU) made before they
    /// are answered; `None`: the worker alone checks them.
    pub precheck: Option<Arc<dyn OrderPrecheck>>,
    /// The store lookups of punch-out (the shopper, the cart); `None`: punch-out is not
    /// offered.
    pub punchout: Option<Arc<dyn PunchOutStore>>,
}
