//! Punch-out: a buyer in a procurement system (Coupa, SAP Ariba, ...) shops the supplier's
//! storefront and the cart goes back to the procurement system for approval.
//!
//! 1. `PunchOutSetupRequest` on `POST /procurement/cxml[/{store}]`: the partner authenticated
//!    like a purchase order, its `From` identity must be one approved company and its
//!    `UserEmail` one of that company's buyers. A session is remembered in the state table
//!    (partner, `BuyerCookie`, `BrowserFormPost` URL, the buyer's customer id, expiry) under
//!    the SHA-256 of a random 256-bit session id, and the answer's start page is
//!    `GET /procurement/punchout/start/{session id}` on this API.
//! 2. The start page, opened once and within five minutes of the setup, signs the shopper in
//!    through the Customer Login API (a JWT made at that moment: BigCommerce takes it for 30
//!    seconds only, once) and redirects to the storefront; it sets the `b2b_punchout` cookie
//!    on this API's address.
//! 3. `GET|POST /procurement/punchout/return[/{store}]?cart_id=...` (the storefront's
//!    "return to procurement" link): the session named by the cookie (or, where the browser
//!    sent none, the latest session of the cart's customer), the cart read from BigCommerce,
//!    answered with a page whose form posts the `PunchOutOrderMessage` to the session's
//!    `BrowserFormPost` URL. Once per session; without `cart_id` the message is empty (the
//!    buyer cancelled).
//!
//! Refused, each with a page saying why: an unknown or expired session, a start page opened
//! twice, a cart of another customer than the session's, a session of another store, a second
//! return, a session a newer punch-out of the same buyer replaced.
//!
//! The route family, one step a file: `setup.rs` (1), `start.rs` (2), `cart_return.rs` (3); the
//! session they share (its record, keys and one-time steps) in `session.rs`, and what is read
//! from and set in the browser (this API's address, the cookie, the cart named) in
//! `browser.rs`. The store lookups it makes are [`crate::punchout_store`]'s.

mod browser;
mod cart_return;
mod session;
mod setup;
mod start;

pub use self::browser::{cart_id_of, cookie_path, cookie_value, public_base, SESSION_COOKIE};
pub use self::cart_return::cart_items;
pub(crate) use self::cart_return::return_cart;
pub use self::session::{session_key, Session, START_WITHIN_SECS};
pub(crate) use self::setup::answer_setup;
pub(crate) use self::start::open_start_page;

#[cfg(test)]
#[path = "punchout_tests.rs"]
mod tests;
