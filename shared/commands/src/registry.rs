//! The one list of command types. Everything that depends on the set of types is generated from
//! it: the [`Action`] enum (one variant per type, holding the command's own struct), its
//! `type` names, [`COMMAND_TYPES`], and [`Action::spec`] through which a command's ordering and
//! checks are asked. Other crates generate their dispatch from the same list with
//! [`with_command_registry!`](crate::with_command_registry) (the upsert-worker does), so adding a
//! command type is one line here, and the compiler names every place that must handle it.

use serde::{Deserialize, Serialize};

use crate::spec::CommandSpec;

/// Calls the macro named `$callback` with the registry: one `"type" => Variant(path::Struct)`
/// entry per command type, each with its doc comment, in the order users read them. This is
/// the one place a command type is registered.
#[macro_export]
macro_rules! with_command_registry {
    ($callback:ident) => {
        $callback! {
            /// Create or update a company (found by `external_id`).
            "company.upsert" => CompanyUpsert($crate::company::Upsert),
            /// Set the status of the company whose external id is the command's `external_id`.
            "company.status" => CompanyStatus($crate::company::SetStatus),
            /// Create or update a buyer of a company.
            "user.upsert" => UserUpsert($crate::user::Upsert),
            /// Create or update an address of a company.
            "address.upsert" => AddressUpsert($crate::address::Upsert),
            /// Upsert any number of records of one price list.
            "pricelist.records.upsert" => PriceListRecordsUpsert($crate::price_list::UpsertRecords),
            /// Assign a price list to a customer group, or to a company by its external id.
            "pricelist.assign" => PriceListAssign($crate::price_list::Assign),
            /// Create a quote for a company's buyer, or update its status.
            "quote.upsert" => QuoteUpsert($crate::quote::Upsert),
            /// Move an order to a status (the ERP's name, mapped, or BigCommerce's id).
            "order.status" => OrderStatus($crate::fulfillment::SetOrderStatus),
            /// Ship lines of an order with tracking.
            "shipment.create" => ShipmentCreate($crate::fulfillment::CreateShipment),
            /// Correct a shipment's tracking.
            "shipment.update" => ShipmentUpdate($crate::fulfillment::UpdateShipment),
            /// Delete a shipment.
            "shipment.delete" => ShipmentDelete($crate::fulfillment::DeleteShipment),
            /// Set stock levels.
            "inventory.set" => InventorySet($crate::inventory::Set),
            /// Change stock levels.
            "inventory.adjust" => InventoryAdjust($crate::inventory::Adjust),
            /// Create or update an invoice (or credit memo) in the Invoice Portal.
            "invoice.upsert" => InvoiceUpsert($crate::invoice::Upsert),
            /// A payment or credit the ERP received: open balances follow.
            "invoice.balance" => InvoiceBalance($crate::invoice::Balance),
            /// A sales staff member (by email) assigned to or removed from companies.
            "salesrep.assign" => SalesRepAssign($crate::staff::AssignSalesRep),
            /// A super admin created when missing and assigned to or removed from companies.
            "superadmin.upsert" => SuperAdminUpsert($crate::staff::UpsertSuperAdmin),
            /// A customer group created or updated (found by `external_id`, then by name).
            "customergroup.upsert" => CustomerGroupUpsert($crate::customer_group::Upsert),
            /// A company's shopping list created or made to match.
            "shoppinglist.upsert" => ShoppingListUpsert($crate::shopping_list::Upsert),
            /// A BigCommerce order created once from a purchase order.
            "order.create" => OrderCreate($crate::purchase::CreateOrder),
            /// An order cancelled unless it shipped, completed or was refunded.
            "order.cancel" => OrderCancel($crate::purchase::CancelOrder),
        }
    };
}

/// Generates [`Action`], [`COMMAND_TYPES`], [`Action::kind`] and [`Action::spec`] from the
/// registry.
macro_rules! define_action {
    ($( $(#[$doc:meta])* $name:literal => $variant:ident($command:ty), )+) => {
        /// What a command asks for: one variant per command type, holding that command's own
        /// struct (its payload and checks live in its module).
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "type")]
        pub enum Action {
            $( $(#[$doc])* #[serde(rename = $name)] $variant($command), )+
        }

        /// The command types this version knows, in registry order.
        pub const COMMAND_TYPES: [&str; [$($name),+].len()] = [$($name),+];

        impl Action {
            /// The command type, e.g. `company.upsert`.
            pub fn kind(&self) -> &'static str {
                match self {
                    $( Action::$variant(_) => $name, )+
                }
            }

            /// The command's declarations (ordering, checks).
            pub fn spec(&self) -> &dyn CommandSpec {
                match self {
                    $( Action::$variant(command) => command, )+
                }
            }
        }
    };
}

with_command_registry!(define_action);

impl Action {
    /// The external id of the company this command belongs to, if any (FIFO message group).
    pub fn company_key<'a>(&'a self, external_id: &'a str) -> Option<&'a str> {
        self.spec().company(external_id)
    }

    /// The order a fulfillment command is about, if any.
    pub fn order(&self) -> Option<&crate::order_ref::OrderRef> {
        self.spec().order()
    }
}
