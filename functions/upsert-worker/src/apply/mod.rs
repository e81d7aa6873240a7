//! Applies one inbound command to BigCommerce, idempotently.
//!
//! Upsert by external id: the store mirror (`mirror`: companies, buyers and addresses as the last
//! delta read saw them) first, else the id map in the state table, then a search in BigCommerce
//! (company extra field, user email, address `externalId`, quote reference number), the mapping
//! recorded, then create if absent or update only the fields that differ. A lease in the state
//! table keeps two deliveries of the same command from racing; a done marker lets a replay skip
//! the command without a single BigCommerce call.
//!
//! For a batch, [`Applier::apply_deferring_create`] stops a `company.upsert` before its create so
//! that the worker can create the batch's missing companies with one bulk request
//! ([`Applier::create_companies`]).
//!
//! This module holds what every command shares (outcomes, errors, leases, done markers, the
//! dispatch by command type); each command family has its own file: `company` (`company.upsert`,
//! `company.status`), `user`, `address`, `pricelist` (records and assignments), `quote`,
//! `fulfillment` (`order.status`, `shipment.*`), `inventory` (`inventory.set`, `inventory.adjust`),
//! `invoice` (`invoice.upsert`, `invoice.balance`), `hierarchy` and `terms` (a `company.upsert`'s
//! parent, terms and credit), `staff` (`salesrep.assign`, `superadmin.upsert`).

mod address;
mod company;
mod definitions;
mod fulfillment;
mod groups;
mod hierarchy;
mod inventory;
mod invoice;
mod mirror;
mod order_cancel;
mod order_create;
mod price_check;
mod pricelist;
mod procurement;
mod quote;
mod shopping_list;
mod staff;
mod terms;
mod user;

pub use fulfillment::StatusMap;
pub use order_create::{procurement_key, PurchaseOrderSettings};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use b2b_commands::{Action, Command};
use b2b_shared::state::{Claim, StateError, StateStore};
use bigcommerce_b2b::b2b::{CompanyFields, CompanyStatus, PriceListAssign, UserFields};
use bigcommerce_b2b::{BcClient, BcError};

/// How long a lease on a command's entity lasts when the client has no deadline (longer than the
/// worker's timeout).
pub const LEASE_TTL: Duration = Duration::from_secs(180);

/// Added to the invocation's remaining time for a lease: the deadline's safety margin plus clock
/// skew between Lambda instances.
const LEASE_MARGIN: Duration = Duration::from_secs(5);

/// How long a lease taken now must last: until the invocation can no longer be running (its
/// deadline, which the client carries less a safety margin), so a crashed or killed invocation
/// blocks its entity only until then, and SQS's redelivery (after 6 x the function's timeout)
/// always finds it free. Without a deadline, [`LEASE_TTL`].
pub fn lease_ttl(deadline: Option<tokio::time::Instant>) -> Duration {
    match deadline {
        Some(d) => {
            d.saturating_duration_since(tokio::time::Instant::now())
                + LEASE_MARGIN
                + b2b_shared::deadline::DEFAULT_SAFETY_MARGIN
        }
        None => LEASE_TTL,
    }
}
/// How old a store mirror may be for a command to diff against it (`MIRROR_MAX_AGE_SECS`).
pub const DEFAULT_MIRROR_MAX_AGE: Duration = Duration::from_secs(60);

/// How long one instance's delta read of a kind holds the store's read lease: the others wait
/// for its result instead of reading the same pages. Short, because it is also how long an
/// instance killed mid-read delays the others; a read that takes longer (a first listing of a
/// large store) is read a second time by the next waiter, which costs quota, never correctness.
pub const DEFAULT_MIRROR_READ_LEASE: Duration = Duration::from_secs(10);

/// How long a done marker lets identical replays skip.
pub const DONE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// What applying a command did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An entity was created.
    Created,
    /// An existing entity was changed.
    Updated,
    /// Everything already matched: nothing was written.
    Unchanged,
    /// The identical command was applied before: skipped without calls.
    Replayed,
    /// An entity was deleted.
    Deleted,
}

impl Outcome {
    /// Lower-case name for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Replayed => "replayed",
            Outcome::Deleted => "deleted",
        }
    }
}

/// What [`Applier::begin`] found.
#[derive(Debug)]
pub enum Begun {
    /// The identical command was applied before: nothing to do.
    Replayed,
    /// The entity is leased to this delivery.
    Leased(Lease),
}

/// A command's lease on its entity, from [`Applier::begin`] to [`Applier::finish`].
#[derive(Debug)]
pub struct Lease {
    done_key: String,
    lease_key: String,
}

/// What [`Applier::apply_deferring_create`] did.
#[derive(Debug)]
pub enum Step {
    /// Applied.
    Done(Outcome),
    /// The entity does not exist: its create is held back for a bulk request.
    Create(HeldCreate),
}

/// A create held back by [`Applier::apply_deferring_create`] for a bulk request.
#[derive(Debug)]
pub enum HeldCreate {
    /// A company that does not exist.
    Company(Box<PendingCreate>),
    /// A buyer that does not exist (its company does).
    User(Box<PendingUser>),
}

/// A buyer create held back by [`Applier::apply_deferring_create`].
#[derive(Debug, Clone)]
pub struct PendingUser {
    /// Its store.
    store: String,
    /// Its id-map key.
    key: String,
    fields: UserFields,
}

/// A company create held back by [`Applier::apply_deferring_create`].
#[derive(Debug, Clone)]
pub struct PendingCreate {
    store: String,
    external_id: String,
    fields: CompanyFields,
    status: Option<CompanyStatus>,
    /// Price lists to assign once the company exists (creates take none).
    price_lists: Vec<PriceListAssign>,
}

/// What [`Applier::create_companies`] did.
#[derive(Debug)]
pub enum BulkCreate {
    /// Created; one result per company (the status or id map may still have failed).
    Created(Vec<Result<Outcome, ApplyError>>),
    /// Not created, or not known: every command is retried later.
    Retry(ApplyError),
    /// Refused as sent (may have created some): apply each command on its own.
    Refused(String),
}

/// A bulk create's answer: the created items in request order, or why they are not known to be
/// (a retryable failure, or a refusal that sends each command its own way).
fn bulk_answer<T>(
    answer: Result<Vec<T>, BcError>,
    sent: usize,
    what: &str,
) -> Result<Vec<T>, BulkCreate> {
    match answer {
        Ok(items) if items.len() == sent => Ok(items),
        Ok(items) => Err(BulkCreate::Refused(format!(
            "bulk create answered {} of {sent} {what}",
            items.len()
        ))),
        Err(e) if e.is_retryable() => Err(BulkCreate::Retry(e.into())),
        Err(e) => Err(BulkCreate::Refused(e.to_string())),
    }
}

/// Why a command was not applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApplyError {
    /// Try again later (after `after`, when known).
    #[error("{reason}")]
    Retryable {
        /// What happened.
        reason: String,
        /// When BigCommerce said to come back.
        after: Option<Duration>,
    },
    /// The company the command belongs to does not exist yet (retryable: it may be on its way,
    /// even in the same batch).
    #[error("company `{0}` does not exist yet; retrying later")]
    MissingCompany(String),
    /// The parent a `company.upsert` names (`company.parent_external_id`) does not exist yet
    /// (retryable like [`ApplyError::MissingCompany`]: parents come first).
    #[error("`company.parent_external_id`: the parent company `{0}` does not exist in this store yet; retrying later (a parent in another store never will)")]
    MissingParent(String),
    /// Something else a command names does not exist yet: a customer group of a
    /// `customergroup.upsert`, a company's buyer (retryable like
    /// [`ApplyError::MissingCompany`]: what is named comes first).
    #[error("`{field}`: `{name}` does not exist in this store yet; retrying later")]
    Missing {
        /// The command's field that names it.
        field: &'static str,
        /// What it names.
        name: String,
    },
    /// Will never succeed as sent: dead-letter it.
    #[error("{0}")]
    Permanent(String),
    /// Applied in part: the rest will never succeed as sent. `remainder` is the command with
    /// only what was refused, which the dead letter carries instead of the original.
    #[error("{reason}")]
    PartlyApplied {
        /// What was refused, and why.
        reason: String,
        /// The command's JSON with only the refused part.
        remainder: String,
    },
}

impl ApplyError {
    fn retry(reason: impl Into<String>) -> Self {
        ApplyError::Retryable {
            reason: reason.into(),
            after: None,
        }
    }
}

impl From<BcError> for ApplyError {
    fn from(e: BcError) -> Self {
        if e.is_retryable() {
            ApplyError::Retryable {
                reason: e.to_string(),
                after: e.retry_after(),
            }
        } else {
            ApplyError::Permanent(e.to_string())
        }
    }
}

impl From<StateError> for ApplyError {
    fn from(e: StateError) -> Self {
        ApplyError::retry(e.to_string())
    }
}

/// Applies commands for one store.
#[derive(Clone)]
pub struct Applier {
    /// The store's client (bound to the invocation's deadline by the caller).
    pub client: BcClient,
    /// The state table.
    pub state: Arc<dyn StateStore>,
    /// The company extra field that carries the external id (`EXTERNAL_ID_FIELD`).
    pub external_id_field: String,
    /// Company ids found during the current batch, by `{store}#company#{external id}`: the
    /// buyers and addresses of one company look it up once per batch, even at the same time.
    batch_companies: Arc<Mutex<HashMap<String, Arc<tokio::sync::OnceCell<i64>>>>>,
    /// Country names by ISO code, as `GET /countries` gave them (kept while the container is).
    countries: Arc<Mutex<HashMap<String, String>>>,
    /// `STORE_MIRROR`: resolve companies, buyers and addresses through the store mirror (see
    /// `mirror`).
    pub store_mirror: bool,
    /// `MIRROR_MAX_AGE_SECS`: how old a mirror may be to diff against (older: a delta read).
    pub mirror_max_age: Duration,
    /// How long a delta read holds the read lease of its kind (see `mirror`): instances that
    /// find it held wait for that read, at most this long.
    pub mirror_read_lease: Duration,
    /// This batch's view of the mirror.
    batch_mirror: Arc<mirror::BatchMirror>,
    /// `ORDER_STATUS_MAP`: the ERP's status names (upper case) → BigCommerce status ids.
    pub order_statuses: Arc<StatusMap>,
    /// The store's inventory locations, as last read (shared by the container's batches).
    locations: Arc<inventory::LocationCache>,
    /// `STORE_CURRENCIES`: the currencies invoices may be in (empty: any).
    pub currencies: Arc<Vec<String>>,
    /// The stores' company extra fields and roles, as last read (shared by the batches).
    definitions: Arc<definitions::Definitions>,
    /// `PROCUREMENT_IDENTITY_FIELD` and `ORDER_CREATE_STATUS_ID`: how `order.create` works.
    pub purchase_orders: Arc<PurchaseOrderSettings>,
    /// The stores' secrets, for their trading partners (cXML documents back to the buyer);
    /// `None`: no documents are sent.
    pub store_secrets: Option<Arc<dyn b2b_shared::stores::StoreSecrets>>,
    /// The HTTP client documents go to trading partners with; `None`: none are sent.
    pub partner_http: Option<reqwest::Client>,
}

impl Applier {
    /// An applier for one store, with the store mirror on (as `STORE_MIRROR` defaults).
    pub fn new(client: BcClient, state: Arc<dyn StateStore>, external_id_field: String) -> Self {
        Self {
            client,
            state,
            external_id_field,
            batch_companies: Arc::default(),
            countries: Arc::default(),
            store_mirror: true,
            mirror_max_age: DEFAULT_MIRROR_MAX_AGE,
            mirror_read_lease: DEFAULT_MIRROR_READ_LEASE,
            batch_mirror: Arc::default(),
            order_statuses: Arc::default(),
            locations: Arc::default(),
            currencies: Arc::default(),
            definitions: Arc::default(),
            purchase_orders: Arc::default(),
            store_secrets: None,
            partner_http: None,
        }
    }

    /// A copy for one batch, with its own (empty) memo of company ids and its own mirror read.
    pub fn for_batch(&self) -> Self {
        Self {
            batch_companies: Arc::default(),
            batch_mirror: Arc::default(),
            ..self.clone()
        }
    }

    /// A copy for one batch of another store, through `client`.
    pub fn with_client(&self, client: BcClient) -> Self {
        Self {
            client,
            ..self.for_batch()
        }
    }

    /// A copy that looks every entity up in BigCommerce: after a bulk create was refused, what
    /// it may have created is found, not taken for absent.
    pub fn without_mirror(&self) -> Self {
        Self {
            store_mirror: false,
            ..self.clone()
        }
    }
}

/// A 64-bit digest of `value`'s JSON (the first 8 bytes of its SHA-256), to keep in the id map
/// beside an entity's id and compare with what a later command asks.
fn digest_of<T: serde::Serialize + ?Sized>(value: &T) -> i64 {
    use sha2::{Digest, Sha256};
    let text = serde_json::to_string(value).unwrap_or_default();
    let d = Sha256::digest(text.as_bytes());
    i64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

fn changed<T: PartialEq + Clone>(want: &Option<T>, have: &Option<T>) -> Option<T> {
    match want {
        Some(w) if Some(w) != have.as_ref() => Some(w.clone()),
        _ => None,
    }
}

fn some_text(s: &str) -> Option<String> {
    Some(s.to_owned())
}

/// The kinds of entity the id map holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Company,
    User,
    Address,
    Quote,
    Order,
    Shipment,
    Invoice,
    Payment,
    CustomerGroup,
    ShoppingList,
    BuyerEmail,
}

/// The id-map key of the entity of `kind` that `external_id` names in `store`:
/// `{store}#{kind}#{external id}`, the one place this format is written.
fn id_key(store: &str, kind: Kind, external_id: &str) -> String {
    let kind = match kind {
        Kind::Company => "company",
        Kind::User => "user",
        Kind::Address => "address",
        Kind::Quote => "quote",
        Kind::Order => "order",
        Kind::Shipment => "shipment",
        Kind::Invoice => "invoice",
        Kind::Payment => "payment",
        Kind::CustomerGroup => "customer_group",
        Kind::ShoppingList => "shopping_list",
        Kind::BuyerEmail => "buyer_email",
    };
    format!("{store}#{kind}#{external_id}")
}

impl Applier {
    /// Applies `cmd` once: leased against concurrent deliveries, skipped when already done.
    pub async fn apply(&self, cmd: &Command) -> Result<Outcome, ApplyError> {
        match self.begin(cmd).await? {
            Begun::Replayed => Ok(Outcome::Replayed),
            Begun::Leased(lease) => {
                let result = self.apply_leased(cmd).await;
                self.finish(lease, result).await
            }
        }
    }

    /// Starts `cmd`: [`Begun::Replayed`] when it was applied before, else its entity's lease
    /// (a retryable error when another delivery holds it). Every lease taken must be given to
    /// [`finish`](Self::finish).
    pub async fn begin(&self, cmd: &Command) -> Result<Begun, ApplyError> {
        let done_key = format!("done#{}", cmd.dedupe_key());
        // With the mirror, the replay of an upsert is skipped only while the mirror says its
        // entity was not changed elsewhere since our last write: the done marker alone would
        // hide such drift for 7 days.
        let mirror_decides = self.store_mirror
            && matches!(
                cmd.action,
                Action::CompanyUpsert(_) | Action::UserUpsert(_) | Action::AddressUpsert(_)
            );
        if self.state.is_claimed(&done_key).await?
            && !(mirror_decides && self.edited_elsewhere(cmd).await?)
        {
            return Ok(Begun::Replayed);
        }
        // One order's fulfillment commands share a lease: two shipments never race over what
        // its lines have left to ship.
        let lease_key = match cmd.action.order() {
            Some(order) => format!("lease#{}#order#{}", cmd.store_hash, order.key()),
            None => {
                let entity = cmd
                    .action
                    .company_key(&cmd.external_id)
                    .unwrap_or(&cmd.external_id);
                format!("lease#{}#{}#{}", cmd.store_hash, cmd.kind(), entity)
            }
        };
        let lease_key = if matches!(
            cmd.action,
            Action::UserUpsert(_)
                | Action::AddressUpsert(_)
                | Action::QuoteUpsert(_)
                | Action::InvoiceUpsert(_)
                | Action::InvoiceBalance(_)
                | Action::OrderCreate(_)
        ) {
            format!("{lease_key}#{}", cmd.external_id)
        } else {
            lease_key
        };
        let ttl = lease_ttl(self.client.deadline());
        if self.state.claim(&lease_key, ttl).await? == Claim::Duplicate {
            return Err(ApplyError::retry(
                "another delivery of this entity is being applied; retrying later",
            ));
        }
        Ok(Begun::Leased(Lease {
            done_key,
            lease_key,
        }))
    }

    /// Ends a command begun with [`begin`](Self::begin): records it done when `result` is a
    /// success, releases the lease, and passes `result` on.
    pub async fn finish(
        &self,
        lease: Lease,
        result: Result<Outcome, ApplyError>,
    ) -> Result<Outcome, ApplyError> {
        if result.is_ok() {
            if let Err(e) = self.state.claim(&lease.done_key, DONE_TTL).await {
                tracing::warn!(error = %e, "done marker not recorded; a replay will re-check BigCommerce");
            }
        }
        if let Err(e) = self.state.release(&lease.lease_key).await {
            tracing::warn!(error = %e, key = %lease.lease_key, "lease not released; it expires by itself");
        }
        result
    }

    /// Like [`apply`](Self::apply) under a lease from [`begin`](Self::begin), except that a
    /// `company.upsert` whose company does not exist yet stops before the create and returns it
    /// as [`Step::Create`] (so does a `user.upsert` whose buyer does not), so that several can go
    /// to BigCommerce in one bulk request ([`create_held`](Self::create_held)).
    pub async fn apply_deferring_create(&self, cmd: &Command) -> Result<Step, ApplyError> {
        let store = cmd.store_hash.as_str();
        if let Action::UserUpsert(b2b_commands::user::Upsert {
            company_external_id,
            user,
        }) = &cmd.action
        {
            self.check_store(store).await?;
            let company_id = self.require_company_id(store, company_external_id).await?;
            let key = id_key(store, Kind::User, &cmd.external_id);
            return Ok(
                match self
                    .user_upsert_or_create_fields(store, &key, company_id, user)
                    .await?
                {
                    Ok(outcome) => Step::Done(outcome),
                    Err(fields) => Step::Create(HeldCreate::User(Box::new(PendingUser {
                        store: store.to_owned(),
                        key,
                        fields,
                    }))),
                },
            );
        }
        let Action::CompanyUpsert(b2b_commands::company::Upsert { company }) = &cmd.action else {
            return self.apply_leased(cmd).await.map(Step::Done);
        };
        self.check_store(store).await?;
        let with_group = self.prepare_company(store, company).await?;
        let company = &*with_group;
        match self.find_company(store, &cmd.external_id).await? {
            Some(existing) => self
                .company_update(store, &existing, &cmd.external_id, company)
                .await
                .map(Step::Done),
            // The bulk create names a catalog, not its id: such a company is created alone.
            None if company.catalog_id.is_some() => self
                .create_company(&self.pending_company(store, &cmd.external_id, company))
                .await
                .map(Step::Done),
            None => Ok(Step::Create(HeldCreate::Company(Box::new(
                self.pending_company(store, &cmd.external_id, company),
            )))),
        }
    }

    /// Creates held-back entities of one kind (as the worker chunks them) with one bulk request:
    /// [`create_companies`](Self::create_companies) or [`create_users`](Self::create_users).
    pub async fn create_held(&self, held: &[&HeldCreate]) -> BulkCreate {
        let companies: Vec<&PendingCreate> = held
            .iter()
            .filter_map(|h| match h {
                HeldCreate::Company(p) => Some(&**p),
                HeldCreate::User(_) => None,
            })
            .collect();
        if companies.len() == held.len() {
            return self.create_companies(&companies).await;
        }
        let users: Vec<&PendingUser> = held
            .iter()
            .filter_map(|h| match h {
                HeldCreate::User(p) => Some(&**p),
                HeldCreate::Company(_) => None,
            })
            .collect();
        if users.len() == held.len() {
            return self.create_users(&users).await;
        }
        BulkCreate::Refused("a bulk request mixed companies and buyers".into())
    }

    async fn check_store(&self, store: &str) -> Result<(), ApplyError> {
        let served = self.client.store_hash().await?;
        if served.as_str() != store {
            return Err(ApplyError::Permanent(format!(
                "command is for store `{store}` but this worker serves `{served}`"
            )));
        }
        Ok(())
    }

    /// Applies `cmd` under a lease from [`begin`](Self::begin) (no done check, no lease).
    pub async fn apply_leased(&self, cmd: &Command) -> Result<Outcome, ApplyError> {
        let store = cmd.store_hash.as_str();
        self.check_store(store).await?;
        match &cmd.action {
            Action::CompanyUpsert(b2b_commands::company::Upsert { company }) => {
                let with_group = self.prepare_company(store, company).await?;
                let company = &*with_group;
                let upserted = self
                    .company_upsert(store, &cmd.external_id, company)
                    .await?;
                let linked = match &company.parent_external_id {
                    Some(parent) => {
                        self.link_parent(store, &cmd.external_id, parent, upserted)
                            .await?
                    }
                    None => upserted,
                };
                self.sync_terms(store, &cmd.external_id, company, linked)
                    .await
            }
            Action::CompanyStatus(b2b_commands::company::SetStatus { status }) => {
                let company = self.require_company(store, &cmd.external_id).await?;
                self.set_status(store, &company, *status).await
            }
            Action::UserUpsert(b2b_commands::user::Upsert {
                company_external_id,
                user,
            }) => {
                let company_id = self.require_company_id(store, company_external_id).await?;
                self.user_upsert(store, &cmd.external_id, company_id, user)
                    .await
            }
            Action::AddressUpsert(b2b_commands::address::Upsert {
                company_external_id,
                address,
            }) => {
                let company_id = self.require_company_id(store, company_external_id).await?;
                self.address_upsert(store, &cmd.external_id, company_id, address)
                    .await
            }
            Action::PriceListRecordsUpsert(b2b_commands::price_list::UpsertRecords {
                price_list_id,
                records,
            }) => self.records_upsert(store, *price_list_id, records).await,
            Action::PriceListAssign(b2b_commands::price_list::Assign {
                price_list_id,
                customer_group_id,
                company_external_id,
                channel_id,
            }) => match (customer_group_id, company_external_id) {
                (Some(group), _) => self.assign_group(*price_list_id, *group, *channel_id).await,
                (None, Some(ext)) => {
                    let company = self.require_company(store, ext).await?;
                    self.assign_company(store, &company, *price_list_id, *channel_id)
                        .await
                }
                (None, None) => Err(ApplyError::Permanent("no assignment target".into())),
            },
            Action::QuoteUpsert(b2b_commands::quote::Upsert {
                company_external_id,
                quote,
            }) => {
                let company = self.require_company(store, company_external_id).await?;
                self.quote_upsert(store, &cmd.external_id, &company, quote)
                    .await
            }
            Action::OrderStatus(b2b_commands::fulfillment::SetOrderStatus {
                order,
                status,
                status_id,
            }) => {
                self.order_status(store, order, status.as_deref(), *status_id)
                    .await
            }
            Action::ShipmentCreate(b2b_commands::fulfillment::CreateShipment {
                order,
                shipment,
            }) => {
                self.shipment_create(store, &cmd.external_id, order, shipment)
                    .await
            }
            Action::ShipmentUpdate(b2b_commands::fulfillment::UpdateShipment {
                order,
                shipment_id,
                shipment,
            }) => {
                self.shipment_update(store, &cmd.external_id, order, *shipment_id, shipment)
                    .await
            }
            Action::ShipmentDelete(b2b_commands::fulfillment::DeleteShipment {
                order,
                shipment_id,
            }) => {
                self.shipment_delete(store, &cmd.external_id, order, *shipment_id)
                    .await
            }
            Action::InventorySet(b2b_commands::inventory::Set { reason, items }) => {
                self.inventory(cmd, reason.as_deref(), items, true).await
            }
            Action::InventoryAdjust(b2b_commands::inventory::Adjust { reason, items }) => {
                self.inventory(cmd, reason.as_deref(), items, false).await
            }
            Action::InvoiceUpsert(b2b_commands::invoice::Upsert {
                company_external_id,
                invoice,
            }) => {
                self.invoice_upsert(store, &cmd.external_id, company_external_id, invoice)
                    .await
            }
            Action::InvoiceBalance(b2b_commands::invoice::Balance {
                company_external_id,
                balance,
            }) => {
                self.invoice_balance(store, &cmd.external_id, company_external_id, balance)
                    .await
            }
            Action::SalesRepAssign(b2b_commands::staff::AssignSalesRep { sales_rep }) => {
                self.sales_rep_assign(store, sales_rep).await
            }
            Action::CustomerGroupUpsert(b2b_commands::customer_group::Upsert {
                customer_group,
            }) => {
                self.customer_group_upsert(store, &cmd.external_id, customer_group)
                    .await
            }
            Action::ShoppingListUpsert(b2b_commands::shopping_list::Upsert {
                company_external_id,
                shopping_list,
            }) => {
                let company_id = self.require_company_id(store, company_external_id).await?;
                self.shopping_list_upsert(store, &cmd.external_id, company_id, shopping_list)
                    .await
            }
            Action::SuperAdminUpsert(b2b_commands::staff::UpsertSuperAdmin { super_admin }) => {
                self.super_admin_upsert(store, super_admin).await
            }
            Action::OrderCreate(b2b_commands::purchase::CreateOrder {
                company_external_id,
                company_identity,
                order,
                procurement,
            }) => {
                let company = match (company_external_id, company_identity) {
                    (Some(ext), _) => order_create::CompanyNamed::ExternalId(ext),
                    (None, Some(identity)) => order_create::CompanyNamed::Identity(identity),
                    (None, None) => {
                        return Err(ApplyError::Permanent(
                            "`order.create` names no company".into(),
                        ))
                    }
                };
                self.order_create(
                    store,
                    &cmd.external_id,
                    company,
                    order,
                    procurement.as_ref(),
                )
                .await
            }
            Action::OrderCancel(b2b_commands::purchase::CancelOrder {
                order,
                reason,
                procurement,
            }) => {
                self.order_cancel(store, order, reason.as_deref(), procurement.as_ref())
                    .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_lease_lasts_until_the_invocation_cannot_be_running() {
        let in_10s = tokio::time::Instant::now() + Duration::from_secs(10);
        let ttl = lease_ttl(Some(in_10s));
        // 10 s left on the client's deadline, + its 2 s safety margin, + 5 s for clock skew.
        assert!(
            ttl > Duration::from_secs(16) && ttl <= Duration::from_secs(17),
            "{ttl:?}"
        );
        let past = tokio::time::Instant::now() - Duration::from_secs(1);
        assert_eq!(lease_ttl(Some(past)), Duration::from_secs(7));
        assert_eq!(lease_ttl(None), LEASE_TTL);
    }
}
