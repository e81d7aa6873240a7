//! Inbound commands from ERP/CRM systems (schema `schemas/inbound-command.v1.schema.json`).
//!
//! Every command carries `type`, `version`, `store_hash`, the source system's `external_id` and an
//! optional `idempotency_key`; the payload depends on the type. Parsing refuses unknown fields (a
//! typo must not silently drop data) and [`Command::from_value`] reports every problem at once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::MessageError;
use bigcommerce_b2b::b2b::{BuyerRole, CompanyStatus};
use bigcommerce_b2b::core::PriceRecord;
use bigcommerce_b2b::fulfillment::Tracking;
use bigcommerce_b2b::money::Amount;

pub use super::assortment::*;
pub use super::purchase::*;
pub use super::receivables::*;

/// A postal address of a company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostalAddress {
    /// Street and number.
    pub line1: String,
    /// Building, floor...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// State or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
}

/// A person (the company's administrator).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Email.
    pub email: String,
    /// Phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// A price list for one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelPriceList {
    /// The channel (1 is the default storefront).
    pub channel_id: i64,
    /// The price list.
    pub price_list_id: i64,
}

/// The company of a `company.upsert`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompanyData {
    /// Company name.
    pub name: String,
    /// Contact email.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Country (ISO 3166 alpha-2, or a name).
    pub country: String,
    /// Postal address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<PostalAddress>,
    /// The administrator, created with the company.
    pub admin: Box<Person>,
    /// Extra field name → value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_fields: BTreeMap<String, String>,
    /// BigCommerce customer group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_group_id: Option<i64>,
    /// The external id of a customer group of a `customergroup.upsert` (instead of
    /// `customer_group_id`; a group not made yet is waited for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_group_external_id: Option<String>,
    /// Catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_id: Option<i64>,
    /// Price lists per channel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub price_lists: Vec<ChannelPriceList>,
    /// Status to set after the upsert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CompanyStatus>,
    /// The external id of its parent company in an account hierarchy (absent: the hierarchy is
    /// left as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_external_id: Option<String>,
    /// Payment on terms (absent: left as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_terms: Option<PaymentTermsData>,
    /// The codes of the store payment methods the company may use; every other store method is
    /// disabled for it (absent: left as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_methods: Option<Vec<String>>,
    /// The company's credit from the ERP's customer master (absent: left as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<Box<CreditData>>,
}

/// A company's payment terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentTermsData {
    /// Net days: 0, 5, 15, 30, 45 or 60 (what B2B Edition offers).
    pub net_days: u32,
    /// Whether the company may pay on terms (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
}

/// A company's credit as the ERP keeps it: a limit and what is owed against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditData {
    /// ISO 4217 currency of the credit account.
    pub currency: String,
    /// The credit limit.
    pub limit: Amount,
    /// What the company owes against it (default 0): available credit is the limit less this,
    /// and never below 0.
    #[serde(default)]
    pub balance: Amount,
    /// On credit hold: no buyer may purchase (default false).
    #[serde(default)]
    pub on_hold: bool,
    /// Block purchases beyond the available credit (default true).
    #[serde(default = "yes")]
    pub limit_purchases: bool,
}

fn yes() -> bool {
    true
}

fn default_channels() -> Vec<i64> {
    vec![1]
}

/// The buyer of a `user.upsert`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserData {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Email (also how an existing user is found).
    pub email: String,
    /// Phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// admin, senior_buyer or junior_buyer.
    pub role: BuyerRole,
    /// A company user role by name (a custom role of the store, or a predefined one); it
    /// overrides `role` in B2B Edition (absent: left as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_role: Option<String>,
    /// Channels the buyer may use (default: channel 1).
    #[serde(default = "default_channels")]
    pub channel_ids: Vec<i64>,
    /// Extra field name → value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_fields: BTreeMap<String, String>,
}

/// The address of an `address.upsert`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddressData {
    /// Recipient first name.
    pub first_name: String,
    /// Recipient last name.
    pub last_name: String,
    /// Street and number.
    pub line1: String,
    /// Building, floor...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// State name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Postal code.
    pub zip_code: String,
    /// ISO 3166 alpha-2.
    pub country_code: String,
    /// Phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// A label for buyers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Usable for shipping.
    #[serde(default)]
    pub is_shipping: bool,
    /// Usable for billing.
    #[serde(default)]
    pub is_billing: bool,
    /// The company's default shipping address.
    #[serde(default)]
    pub is_default_shipping: bool,
    /// The company's default billing address.
    #[serde(default)]
    pub is_default_billing: bool,
}

/// Quote status as the API codes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteStatus {
    /// 0.
    New,
    /// 2.
    InProcess,
    /// 3.
    UpdatedByCustomer,
    /// 4.
    Ordered,
    /// 5.
    Expired,
    /// 6.
    Archived,
    /// 7.
    Draft,
}

impl QuoteStatus {
    /// The command's name of the status.
    pub fn name(self) -> &'static str {
        match self {
            QuoteStatus::New => "new",
            QuoteStatus::InProcess => "in_process",
            QuoteStatus::UpdatedByCustomer => "updated_by_customer",
            QuoteStatus::Ordered => "ordered",
            QuoteStatus::Expired => "expired",
            QuoteStatus::Archived => "archived",
            QuoteStatus::Draft => "draft",
        }
    }

    /// True for the statuses a command may ask for: BigCommerce's API links an order
    /// (`ordered`) and moves the expiry date (`expired`); a quote it creates is `in_process`.
    /// Neither `POST` nor `PUT /rfq` takes a status.
    pub fn settable(self) -> bool {
        matches!(
            self,
            QuoteStatus::Ordered | QuoteStatus::Expired | QuoteStatus::InProcess
        )
    }

    /// The numeric code the API uses.
    pub fn code(self) -> i64 {
        match self {
            QuoteStatus::New => 0,
            QuoteStatus::InProcess => 2,
            QuoteStatus::UpdatedByCustomer => 3,
            QuoteStatus::Ordered => 4,
            QuoteStatus::Expired => 5,
            QuoteStatus::Archived => 6,
            QuoteStatus::Draft => 7,
        }
    }
}

/// One line of a quote, priced by the ERP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuoteLine {
    /// SKU.
    pub sku: String,
    /// Product id.
    pub product_id: i64,
    /// Variant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<i64>,
    /// Quantity.
    pub quantity: i64,
    /// List price per unit.
    pub base_price: f64,
    /// Offered price per unit.
    pub offered_price: f64,
}

/// The quote of a `quote.upsert`: created when absent, else its lines, expiry and status are
/// brought to what the command says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuoteData {
    /// The buyer the quote is for (a user of the company).
    pub buyer_email: String,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Expiry date, `YYYY-MM-DD`.
    pub expires_on: String,
    /// Notes for the buyer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Lines (required to create).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<QuoteLine>,
    /// Status to move the quote to: `ordered` (with `order_id`), `expired` or `in_process`
    /// (what a quote created through the API is); BigCommerce's API sets no other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<QuoteStatus>,
    /// The BigCommerce order the quote became (required with status `ordered`), linked with
    /// `POST /rfq/{id}/ordered`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<i64>,
}

/// The order a fulfillment command is about: its BigCommerce id, or the ERP's reference for it
/// (known once a command named both), or both (which records the reference).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRef {
    /// The BigCommerce order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// The ERP's reference for the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl OrderRef {
    /// The order as a lease and FIFO key: `id:{id}` or `ref:{reference}`.
    pub fn key(&self) -> String {
        match (&self.id, &self.reference) {
            (Some(id), _) => format!("id:{id}"),
            (None, Some(r)) => format!("ref:{r}"),
            (None, None) => String::new(),
        }
    }
}

/// A line of a shipment: an order line by SKU or order product id, and the quantity shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentLine {
    /// The SKU ordered...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// ...or the order product id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_product_id: Option<i64>,
    /// Quantity shipped.
    pub quantity: i64,
}

/// The shipment of a `shipment.create`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShipmentData {
    /// The lines shipped (all to one of the order's shipping addresses).
    pub lines: Vec<ShipmentLine>,
    /// Tracking number, provider or carrier or link, method, comments.
    #[serde(flatten)]
    pub tracking: Tracking,
}

/// One stock line of an inventory command: a variant (by SKU or id) at a location (by id or
/// code), and its level (`inventory.set`) or change (`inventory.adjust`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLine {
    /// The variant's SKU...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// ...or its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<i64>,
    /// The location's id...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<i64>,
    /// ...or its code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_code: Option<String>,
    /// The level, or the change.
    pub quantity: i64,
}

/// What a command asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Action {
    /// Create or update a company (found by `external_id`).
    #[serde(rename = "company.upsert")]
    CompanyUpsert {
        /// The company.
        company: CompanyData,
    },
    /// Set the status of the company whose external id is the command's `external_id`.
    #[serde(rename = "company.status")]
    CompanyStatus {
        /// pending, approved, rejected or inactive.
        status: CompanyStatus,
    },
    /// Create or update a buyer of a company.
    #[serde(rename = "user.upsert")]
    UserUpsert {
        /// The company's external id.
        company_external_id: String,
        /// The buyer.
        user: UserData,
    },
    /// Create or update an address of a company.
    #[serde(rename = "address.upsert")]
    AddressUpsert {
        /// The company's external id.
        company_external_id: String,
        /// The address.
        address: AddressData,
    },
    /// Upsert any number of records of one price list.
    #[serde(rename = "pricelist.records.upsert")]
    PriceListRecordsUpsert {
        /// The price list.
        price_list_id: i64,
        /// The records.
        records: Vec<PriceRecord>,
    },
    /// Assign a price list to a customer group, or to a company by its external id.
    #[serde(rename = "pricelist.assign")]
    PriceListAssign {
        /// The price list.
        price_list_id: i64,
        /// The customer group...
        #[serde(default, skip_serializing_if = "Option::is_none")]
        customer_group_id: Option<i64>,
        /// ...or the company.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        company_external_id: Option<String>,
        /// The channel (default 1).
        #[serde(default = "default_channel")]
        channel_id: i64,
    },
    /// Create a quote for a company's buyer, or update its status.
    #[serde(rename = "quote.upsert")]
    QuoteUpsert {
        /// The company's external id.
        company_external_id: String,
        /// The quote.
        quote: QuoteData,
    },
    /// Move an order to a status (the ERP's name, mapped, or BigCommerce's id).
    #[serde(rename = "order.status")]
    OrderStatus {
        /// The order.
        order: OrderRef,
        /// The ERP's status name...
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
        /// ...or BigCommerce's status id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status_id: Option<i64>,
    },
    /// Ship lines of an order with tracking.
    #[serde(rename = "shipment.create")]
    ShipmentCreate {
        /// The order.
        order: OrderRef,
        /// The shipment.
        shipment: ShipmentData,
    },
    /// Correct a shipment's tracking.
    #[serde(rename = "shipment.update")]
    ShipmentUpdate {
        /// The order.
        order: OrderRef,
        /// The shipment, when it was not created by a command with this external id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shipment_id: Option<i64>,
        /// The tracking fields to set.
        shipment: Tracking,
    },
    /// Delete a shipment.
    #[serde(rename = "shipment.delete")]
    ShipmentDelete {
        /// The order.
        order: OrderRef,
        /// The shipment, when it was not created by a command with this external id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shipment_id: Option<i64>,
    },
    /// Set stock levels.
    #[serde(rename = "inventory.set")]
    InventorySet {
        /// Shown in BigCommerce's inventory history.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The levels.
        items: Vec<StockLine>,
    },
    /// Change stock levels.
    #[serde(rename = "inventory.adjust")]
    InventoryAdjust {
        /// Shown in BigCommerce's inventory history.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The changes.
        items: Vec<StockLine>,
    },
    /// Create or update an invoice (or credit memo) in the Invoice Portal, found by
    /// `external_id`.
    #[serde(rename = "invoice.upsert")]
    InvoiceUpsert {
        /// The company's external id.
        company_external_id: String,
        /// The invoice.
        invoice: InvoiceData,
    },
    /// A payment or credit the ERP received: open balances follow, and an offline payment may
    /// be recorded.
    #[serde(rename = "invoice.balance")]
    InvoiceBalance {
        /// The company's external id.
        company_external_id: String,
        /// The balances.
        balance: BalanceData,
    },
    /// A sales staff member (by email) assigned to or removed from companies.
    #[serde(rename = "salesrep.assign")]
    SalesRepAssign {
        /// The member and the companies.
        sales_rep: SalesRepData,
    },
    /// A super admin created when missing (by email) and assigned to or removed from the
    /// companies they may act for.
    #[serde(rename = "superadmin.upsert")]
    SuperAdminUpsert {
        /// The super admin and the companies.
        super_admin: SuperAdminData,
    },
    /// A customer group created or updated (found by `external_id`, then by name).
    #[serde(rename = "customergroup.upsert")]
    CustomerGroupUpsert {
        /// The group.
        customer_group: CustomerGroupData,
    },
    /// A company's shopping list created or made to match (found by `external_id`, then by
    /// its name within the company).
    #[serde(rename = "shoppinglist.upsert")]
    ShoppingListUpsert {
        /// The company's external id.
        company_external_id: String,
        /// The list.
        shopping_list: ShoppingListData,
    },
    /// A BigCommerce order created once from a purchase order, for a company's buyer, with its
    /// PO number recorded in B2B Edition.
    #[serde(rename = "order.create")]
    OrderCreate {
        /// The company, by its external id...
        #[serde(default, skip_serializing_if = "Option::is_none")]
        company_external_id: Option<String>,
        /// ...or by its procurement identity (the company extra field
        /// `PROCUREMENT_IDENTITY_FIELD`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        company_identity: Option<String>,
        /// The purchase order (boxed: it is the largest payload).
        order: Box<OrderData>,
        /// The cXML exchange it came from, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        procurement: Option<ProcurementRef>,
    },
    /// An order cancelled (status 5) unless it shipped, completed or was refunded: a buyer's
    /// cancellation.
    #[serde(rename = "order.cancel")]
    OrderCancel {
        /// The order.
        order: OrderRef,
        /// Why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The cXML exchange it came from (an `OrderRequest type="delete"`), if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        procurement: Option<ProcurementRef>,
    },
}

/// The payload of a `salesrep.assign`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesRepData {
    /// The sales staff member's email (they are made in the control panel).
    pub email: String,
    /// External ids of the companies to assign them to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assign: Vec<String>,
    /// External ids of the companies to remove them from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unassign: Vec<String>,
}

/// The payload of a `superadmin.upsert`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuperAdminData {
    /// Email: the account's identity.
    pub email: String,
    /// First name (for the create).
    pub first_name: String,
    /// Last name (for the create).
    pub last_name: String,
    /// Phone (for the create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Channels the account may use (for the create; default: the store's default).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channel_ids: Vec<i64>,
    /// External ids of the companies to assign them to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assign: Vec<String>,
    /// External ids of the companies to remove them from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unassign: Vec<String>,
}

/// Companies named in both `assign` and `unassign` of `field`.
fn assignment_problems(field: &str, assign: &[String], unassign: &[String]) -> Vec<String> {
    assign
        .iter()
        .filter(|c| unassign.contains(c))
        .map(|c| format!("`{field}.assign` and `{field}.unassign` both name company `{c}`"))
        .collect()
}

fn default_channel() -> i64 {
    1
}

impl Action {
    /// The command type, e.g. `company.upsert`.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::CompanyUpsert { .. } => "company.upsert",
            Action::CompanyStatus { .. } => "company.status",
            Action::UserUpsert { .. } => "user.upsert",
            Action::AddressUpsert { .. } => "address.upsert",
            Action::PriceListRecordsUpsert { .. } => "pricelist.records.upsert",
            Action::PriceListAssign { .. } => "pricelist.assign",
            Action::QuoteUpsert { .. } => "quote.upsert",
            Action::OrderStatus { .. } => "order.status",
            Action::ShipmentCreate { .. } => "shipment.create",
            Action::ShipmentUpdate { .. } => "shipment.update",
            Action::ShipmentDelete { .. } => "shipment.delete",
            Action::InventorySet { .. } => "inventory.set",
            Action::InventoryAdjust { .. } => "inventory.adjust",
            Action::InvoiceUpsert { .. } => "invoice.upsert",
            Action::InvoiceBalance { .. } => "invoice.balance",
            Action::SalesRepAssign { .. } => "salesrep.assign",
            Action::SuperAdminUpsert { .. } => "superadmin.upsert",
            Action::CustomerGroupUpsert { .. } => "customergroup.upsert",
            Action::ShoppingListUpsert { .. } => "shoppinglist.upsert",
            Action::OrderCreate { .. } => "order.create",
            Action::OrderCancel { .. } => "order.cancel",
        }
    }

    /// The external id of the company this command belongs to, if any (FIFO message group).
    pub fn company_key<'a>(&'a self, external_id: &'a str) -> Option<&'a str> {
        match self {
            Action::CompanyUpsert { .. } | Action::CompanyStatus { .. } => Some(external_id),
            Action::UserUpsert {
                company_external_id,
                ..
            }
            | Action::AddressUpsert {
                company_external_id,
                ..
            }
            | Action::QuoteUpsert {
                company_external_id,
                ..
            }
            | Action::InvoiceUpsert {
                company_external_id,
                ..
            }
            | Action::InvoiceBalance {
                company_external_id,
                ..
            }
            | Action::ShoppingListUpsert {
                company_external_id,
                ..
            } => Some(company_external_id),
            Action::PriceListAssign {
                company_external_id,
                ..
            }
            | Action::OrderCreate {
                company_external_id,
                ..
            } => company_external_id.as_deref(),
            Action::PriceListRecordsUpsert { .. }
            | Action::OrderStatus { .. }
            | Action::OrderCancel { .. }
            | Action::ShipmentCreate { .. }
            | Action::ShipmentUpdate { .. }
            | Action::ShipmentDelete { .. }
            | Action::InventorySet { .. }
            | Action::InventoryAdjust { .. }
            | Action::SalesRepAssign { .. }
            | Action::SuperAdminUpsert { .. }
            | Action::CustomerGroupUpsert { .. } => None,
        }
    }

    /// The order a fulfillment command is about, if any.
    pub fn order(&self) -> Option<&OrderRef> {
        match self {
            Action::OrderStatus { order, .. }
            | Action::OrderCancel { order, .. }
            | Action::ShipmentCreate { order, .. }
            | Action::ShipmentUpdate { order, .. }
            | Action::ShipmentDelete { order, .. } => Some(order),
            _ => None,
        }
    }
}

/// The command types this version knows.
pub const COMMAND_TYPES: [&str; 21] = [
    "company.upsert",
    "company.status",
    "user.upsert",
    "address.upsert",
    "pricelist.records.upsert",
    "pricelist.assign",
    "quote.upsert",
    "order.status",
    "shipment.create",
    "shipment.update",
    "shipment.delete",
    "inventory.set",
    "inventory.adjust",
    "invoice.upsert",
    "invoice.balance",
    "salesrep.assign",
    "superadmin.upsert",
    "customergroup.upsert",
    "shoppinglist.upsert",
    "order.create",
    "order.cancel",
];

/// An inbound command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Command {
    /// Schema version (1).
    pub version: u32,
    /// The store the command is for.
    pub store_hash: String,
    /// The source system's id of the entity.
    pub external_id: String,
    /// Replays with the same key are applied once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// What to do.
    #[serde(flatten)]
    pub action: Action,
}

impl Command {
    /// Parses and validates a command, reporting every problem found.
    pub fn from_value(value: Value) -> Result<Self, MessageError> {
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if !COMMAND_TYPES.contains(&kind.as_str()) {
            return Err(MessageError::one(format!(
                "unknown command type `{kind}`; expected one of {}",
                COMMAND_TYPES.join(", ")
            )));
        }
        let problems = super::validation::schema_problems(&kind, &value);
        if !problems.is_empty() {
            return Err(MessageError { problems });
        }
        // The schema and these types are kept in agreement by tests; a disagreement still
        // refuses the command, with the reason.
        let cmd: Command =
            serde_json::from_value(value).map_err(|e| MessageError::one(format!("{kind}: {e}")))?;
        let problems = match &cmd.action {
            Action::InvoiceUpsert { invoice, .. } => invoice.problems(),
            Action::InvoiceBalance { balance, .. } => balance.problems(),
            Action::SalesRepAssign { sales_rep: r } => {
                assignment_problems("sales_rep", &r.assign, &r.unassign)
            }
            Action::SuperAdminUpsert { super_admin: a } => {
                assignment_problems("super_admin", &a.assign, &a.unassign)
            }
            Action::CustomerGroupUpsert { customer_group } => customer_group.problems(),
            Action::ShoppingListUpsert { shopping_list, .. } => shopping_list.problems(),
            Action::OrderCreate { order, .. } => order.problems(),
            _ => Vec::new(),
        };
        if problems.is_empty() {
            Ok(cmd)
        } else {
            Err(MessageError { problems })
        }
    }

    /// The command type, e.g. `company.upsert`.
    pub fn kind(&self) -> &'static str {
        self.action.kind()
    }

    /// What keeps this command in order with the others about the same thing (its FIFO message
    /// group within the store): its company's external id, else its order (`order:id:101`),
    /// else its own external id.
    pub fn group(&self) -> String {
        if let Some(company) = self.action.company_key(&self.external_id) {
            return company.to_owned();
        }
        // A cancellation by reference follows its order.create (whose group is the order's
        // external id, the reference): never ahead of it in a FIFO queue.
        if let Action::OrderCancel {
            order:
                OrderRef {
                    reference: Some(reference),
                    ..
                },
            ..
        } = &self.action
        {
            return reference.clone();
        }
        match self.action.order() {
            Some(order) => format!("order:{}", order.key()),
            None => self.external_id.clone(),
        }
    }

    /// This inventory command with only `items` (the ones a worker refused), as the JSON a
    /// redrive sends again; its idempotency key, if any, gets `:remainder` so the original's
    /// markers do not skip it. Other commands come back unchanged.
    pub fn with_stock_lines(&self, items: Vec<StockLine>) -> String {
        let mut rest = self.clone();
        match &mut rest.action {
            Action::InventorySet { items: i, .. } | Action::InventoryAdjust { items: i, .. } => {
                *i = items;
            }
            _ => {}
        }
        rest.idempotency_key = rest
            .idempotency_key
            .map(|k| format!("{}:remainder", k.chars().take(245).collect::<String>()));
        serde_json::to_string(&rest).unwrap_or_default()
    }

    /// The key replays are recognised by: the idempotency key, else type + external id + content.
    pub fn dedupe_key(&self) -> String {
        match &self.idempotency_key {
            Some(k) => format!("{}#{}", self.store_hash, k),
            None => {
                use sha2::{Digest, Sha256};
                let body = serde_json::to_vec(self).unwrap_or_default();
                let digest = Sha256::digest(&body);
                let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
                format!(
                    "{}#{}#{}#{hex}",
                    self.store_hash,
                    self.kind(),
                    self.external_id
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn company_upsert() -> Value {
        json!({
            "type": "company.upsert", "version": 1, "store_hash": "abc123", "external_id": "C-1001",
            "company": {
                "name": "Acme Supply", "email": "ap@acme.example", "phone": "555-0100", "country": "US",
                "address": {"line1": "1 Main St", "city": "Austin", "state": "Texas", "zip_code": "78701"},
                "admin": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@acme.example"},
                "extra_fields": {"erp_id": "C-1001"},
                "price_lists": [{"channel_id": 1, "price_list_id": 3}],
                "status": "approved"
            }
        })
    }

    #[test]
    fn a_valid_command_round_trips() {
        let cmd = Command::from_value(company_upsert()).unwrap();
        assert_eq!(cmd.kind(), "company.upsert");
        assert_eq!(cmd.action.company_key(&cmd.external_id), Some("C-1001"));
        let again = Command::from_value(serde_json::to_value(&cmd).unwrap()).unwrap();
        assert_eq!(cmd, again);
    }

    #[test]
    fn unknown_fields_and_every_problem_are_reported() {
        let mut v = company_upsert();
        v["company"]["compnay_size"] = json!(50);
        v["company"]["email"] = json!("not-an-email");
        v["store_hash"] = json!("bad/hash");
        let err = Command::from_value(v).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("unknown field `company.compnay_size`"),
            "{text}"
        );
        assert!(
            text.contains("`company.email` is not an email address"),
            "{text}"
        );
        assert!(text.contains("`store_hash`"), "{text}");
        assert_eq!(err.problems.len(), 3);
    }

    #[test]
    fn an_inconsistent_invoice_is_refused_naming_each_field() {
        let err = Command::from_value(json!({
            "type": "invoice.upsert", "version": 1, "store_hash": "abc", "external_id": "INV-E-1",
            "company_external_id": "C-1", "invoice": {"number": "INV-1", "currency": "USD",
            "total": "100", "open_balance": "120", "issued_on": "2026-11-10", "due_on": "2026-11-01"}
        }))
        .unwrap_err();
        assert_eq!(err.problems.len(), 2, "{err}");
        let text = err.to_string();
        assert!(
            text.contains("`invoice.open_balance` (120.0000) is more than"),
            "{text}"
        );
        assert!(
            text.contains("`invoice.due_on` (2026-11-01) is before"),
            "{text}"
        );
    }

    #[test]
    fn missing_fields_and_unknown_types_are_named() {
        let err = Command::from_value(
            json!({"type":"user.upsert","version":1,"store_hash":"a","external_id":"u"}),
        )
        .unwrap_err();
        assert_eq!(
            err.problems,
            ["`company_external_id` is required", "`user` is required"]
        );
        let err = Command::from_value(json!({"type":"order.delete","version":1})).unwrap_err();
        assert!(
            err.to_string()
                .contains("unknown command type `order.delete`"),
            "{err}"
        );
    }

    #[test]
    fn price_records_need_a_variant_and_a_currency() {
        let err = Command::from_value(json!({
            "type":"pricelist.records.upsert","version":1,"store_hash":"abc","external_id":"pl-3",
            "price_list_id":3,"records":[{"currency":"usd","price":1.0},{"sku":"A","currency":"dollars","price":-1}]
        }))
        .unwrap_err();
        assert_eq!(
            err.problems,
            vec![
                "`records[0]` needs a `variant_id` or a `sku`".to_string(),
                "`records[1].currency` must be a 3-letter ISO 4217 code".to_string(),
                "`records[1].price` must be a non-negative number".to_string(),
            ]
        );
    }

    #[test]
    fn fulfillment_refusals_name_their_field() {
        let err = Command::from_value(json!({
            "type": "shipment.create", "version": 1, "store_hash": "abc", "external_id": "S-1",
            "order": {}, "shipment": {"lines": [{"sku": "A", "order_product_id": 3, "quantity": 0}]}
        }))
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`order` needs an `id` or a `reference`"),
            "{text}"
        );
        assert!(
            text.contains("`shipment.lines[0]` needs exactly one of `sku` and `order_product_id`"),
            "{text}"
        );
        assert!(
            text.contains("`shipment.lines[0].quantity` must be a whole number"),
            "{text}"
        );
        let err = Command::from_value(json!({
            "type": "order.status", "version": 1, "store_hash": "abc", "external_id": "SO-1",
            "order": {"id": 5}, "status_id": 99
        }))
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("`status_id` must be a BigCommerce order status id"),
            "{err}"
        );
    }

    #[test]
    fn a_remainder_is_the_command_with_the_refused_lines_only() {
        let cmd = Command::from_value(json!({
            "type": "inventory.adjust", "version": 1, "store_hash": "abc", "external_id": "RMA-1",
            "idempotency_key": "k", "items": [
                {"sku": "A", "location_id": 1, "quantity": -1},
                {"sku": "B", "location_id": 1, "quantity": 2}]
        }))
        .unwrap();
        let Action::InventoryAdjust { items, .. } = &cmd.action else {
            panic!("{cmd:?}")
        };
        let rest: Value =
            serde_json::from_str(&cmd.with_stock_lines(vec![items[1].clone()])).unwrap();
        assert_eq!(
            rest["items"],
            json!([{"sku": "B", "location_id": 1, "quantity": 2}])
        );
        assert_eq!(rest["idempotency_key"], "k:remainder");
        assert_eq!(Command::from_value(rest).unwrap().external_id, "RMA-1");
    }

    #[test]
    fn an_orders_commands_share_a_group() {
        let cmd = |kind: &str, ext: &str| {
            let mut v = json!({"type": kind, "version": 1, "store_hash": "abc", "external_id": ext,
                "order": {"id": 101}});
            match kind {
                "order.status" => v["status"] = json!("SHIPPED"),
                _ => v["shipment"] = json!({"lines": [{"sku": "A", "quantity": 1}]}),
            }
            Command::from_value(v).unwrap()
        };
        assert_eq!(cmd("shipment.create", "S-1").group(), "order:id:101");
        assert_eq!(cmd("order.status", "SO-1").group(), "order:id:101");
        let company = Command::from_value(company_upsert()).unwrap();
        assert_eq!(company.group(), "C-1001");
    }

    #[test]
    fn a_cancellation_follows_its_order_and_is_checked_by_the_schema() {
        let cancel = Command::from_value(json!({"type": "order.cancel", "version": 1,
            "store_hash": "abc", "external_id": "AN01:PO-1:cancel",
            "order": {"reference": "AN01:PO-1"}, "reason": "not needed",
            "procurement": {"partner": "coupa", "payload_id": "p2@coupa", "order_id": "PO-1"}}))
        .unwrap();
        assert_eq!(cancel.kind(), "order.cancel");
        // The group of the order.create it cancels (whose external id is the reference).
        assert_eq!(cancel.group(), "AN01:PO-1");
        let err = Command::from_value(json!({"type": "order.cancel", "version": 1,
            "store_hash": "abc", "external_id": "X", "order": {}, "status_id": 5}))
        .unwrap_err();
        assert!(!err.problems.is_empty(), "{err:?}");
    }

    #[test]
    fn dedupe_key_prefers_the_idempotency_key() {
        let mut v = company_upsert();
        let plain = Command::from_value(v.clone()).unwrap().dedupe_key();
        assert!(plain.starts_with("abc123#company.upsert#C-1001#"));
        v["idempotency_key"] = json!("batch-7-line-3");
        assert_eq!(
            Command::from_value(v).unwrap().dedupe_key(),
            "abc123#batch-7-line-3"
        );
    }
}
