//! What every command type declares about itself, in its own file: what it must stay in order
//! with, and the checks its schema branch cannot express. The registry ([`crate::Action`]) asks
//! each command through this trait, so nothing outside a command's file lists its fields.

use crate::order_ref::OrderRef;

/// What a command type says about itself. Every method has a default, so a command declares
/// only what applies to it.
pub trait CommandSpec {
    /// The external id of the company this command belongs to, if any (`external_id` is the
    /// command's own): a company's commands run in order (one FIFO message group) and its
    /// leases are taken within the company.
    fn company<'a>(&'a self, external_id: &'a str) -> Option<&'a str> {
        let _ = external_id;
        None
    }

    /// The order a fulfillment command is about, if any: one order's commands run in order and
    /// share one lease.
    fn order(&self) -> Option<&OrderRef> {
        None
    }

    /// The FIFO group of another command this one must never overtake, when neither its company
    /// nor its order decides its group (a cancellation by reference follows its `order.create`).
    fn follows(&self) -> Option<&str> {
        None
    }

    /// Problems the schema cannot express (totals against lines, a company named twice...),
    /// each naming its field; empty when there are none.
    fn problems(&self) -> Vec<String> {
        Vec::new()
    }
}
