//! cXML, the language of procurement platforms (Coupa, SAP Ariba, Jaggaer, Oracle): a
//! purchase order (`OrderRequest`) read and checked into a [`PurchaseOrder`], its sender's
//! shared secret compared in constant time, the synchronous `Response` written with the
//! status code the cXML spec gives each outcome, and the documents sent back about an order
//! ([`confirmation_request`], [`ship_notice_request`]).
//!
//! Reading never resolves a DTD or an entity: the `DOCTYPE` real documents carry (a `SYSTEM`
//! identifier, never fetched) is allowed, one with an internal subset (where entities are
//! declared: billion laughs, external entities) is refused before anything is parsed, and an
//! entity reference other than XML's five is a malformed document. The XML itself is read by
//! `quick-xml`.

mod error;
mod guard;
mod order;
mod outbound;
mod punchout;
mod response;

pub use error::CxmlError;
pub use guard::{check_prolog, MAX_DOCUMENT_BYTES};
pub use order::{
    buyer_credential, BuyerChoice, Credential, PoAddress, PoContact, PoLine, PurchaseOrder,
    TotalCheck,
};
pub use outbound::{
    confirmation_request, ship_notice_request, Confirmation, ConfirmationKind, NoticeOperation,
    OrderReference, Parties, ShipNotice, ShippedLine,
};
pub use punchout::{
    auto_post_form, html_page, punchout_order_message, punchout_setup_response, read_start_page,
    Cart, CartItem, PunchOutOrder, PunchOutSetup,
};
pub use response::{read_response, response, ResponseStatus, Status};
