//! The command families, one module each: what each command does to BigCommerce. A family
//! module implements [`Apply`](crate::engine::family::Apply) for each of its command types and
//! [`Family`](crate::engine::family::Family) once (its settings, its caches, its lease scope);
//! the engine finds it through the command registry, so no list of families is kept here.
//!
//! | family | commands |
//! |---|---|
//! | [`company`] | `company.upsert`, `company.status` (with hierarchy, terms and credit) |
//! | [`user`] | `user.upsert` |
//! | [`address`] | `address.upsert` |
//! | [`price_list`] | `pricelist.records.upsert`, `pricelist.assign` |
//! | [`quote`] | `quote.upsert` |
//! | [`fulfillment`] | `order.status`, `shipment.create`, `shipment.update`, `shipment.delete` |
//! | [`inventory`] | `inventory.set`, `inventory.adjust` |
//! | [`invoice`] | `invoice.upsert`, `invoice.balance` |
//! | [`staff`] | `salesrep.assign`, `superadmin.upsert` |
//! | [`customer_group`] | `customergroup.upsert` |
//! | [`shopping_list`] | `shoppinglist.upsert` |
//! | [`purchase`] | `order.create`, `order.cancel` |

pub mod address;
pub mod company;
pub mod customer_group;
pub mod fulfillment;
pub mod inventory;
pub mod invoice;
pub mod price_list;
pub mod purchase;
pub mod quote;
pub mod shopping_list;
pub mod staff;
pub mod user;
