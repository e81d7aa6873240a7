//! Applies one inbound command to BigCommerce, idempotently.
//!
//! Upsert by external id: the id map in the state table first, then a search in BigCommerce
//! (company extra field, user email, address `externalId`, quote reference number), the mapping
//! recorded, then create if absent or update only the fields that differ. A lease in the state
//! table keeps two deliveries of the same command from racing; a done marker lets a replay skip
//! the command without a single BigCommerce call.
//!
//! For a batch, [`Applier::apply_deferring_create`] stops a `company.upsert` before its create so
//! that the worker can create the batch's missing companies with one bulk request
//! ([`Applier::create_companies`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use b2b_shared::messages::{Action, AddressData, Command, CompanyData, QuoteData, UserData};
use b2b_shared::state::{Claim, StateError, StateStore};
use bigcommerce_b2b::b2b::{
    Company, CompanyFields, CompanyFilter, CompanyStatus, ExtraField, PriceListAssign, UserFields,
    UserFilter,
};
use bigcommerce_b2b::core::PriceListAssignment;
use bigcommerce_b2b::{BcClient, BcError};
use futures_util::TryStreamExt;
use serde_json::{json, Map, Value};

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
}

impl Outcome {
    /// Lower-case name for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Replayed => "replayed",
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
    /// Will never succeed as sent: dead-letter it.
    #[error("{0}")]
    Permanent(String),
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
}

impl Applier {
    /// An applier for one store.
    pub fn new(client: BcClient, state: Arc<dyn StateStore>, external_id_field: String) -> Self {
        Self {
            client,
            state,
            external_id_field,
            batch_companies: Arc::default(),
        }
    }

    /// A copy for one batch, with its own (empty) memo of company ids.
    pub fn for_batch(&self) -> Self {
        Self {
            batch_companies: Arc::default(),
            ..self.clone()
        }
    }
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
        if self.state.is_claimed(&done_key).await? {
            return Ok(Begun::Replayed);
        }
        let entity = cmd
            .action
            .company_key(&cmd.external_id)
            .unwrap_or(&cmd.external_id);
        let lease_key = format!("lease#{}#{}#{}", cmd.store_hash, cmd.kind(), entity);
        let lease_key = if matches!(
            cmd.action,
            Action::UserUpsert { .. } | Action::AddressUpsert { .. } | Action::QuoteUpsert { .. }
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
        if let Action::UserUpsert {
            company_external_id,
            user,
        } = &cmd.action
        {
            self.check_store(store).await?;
            let company_id = self.require_company_id(store, company_external_id).await?;
            let key = format!("{store}#user#{}", cmd.external_id);
            return Ok(
                match self
                    .user_upsert_or_create_fields(&key, company_id, user)
                    .await?
                {
                    Ok(outcome) => Step::Done(outcome),
                    Err(fields) => {
                        Step::Create(HeldCreate::User(Box::new(PendingUser { key, fields })))
                    }
                },
            );
        }
        let Action::CompanyUpsert { company } = &cmd.action else {
            return self.apply_leased(cmd).await.map(Step::Done);
        };
        self.check_store(store).await?;
        match self.find_company(store, &cmd.external_id).await? {
            Some(existing) => self
                .company_update(&existing, &cmd.external_id, company)
                .await
                .map(Step::Done),
            None => Ok(Step::Create(HeldCreate::Company(Box::new(PendingCreate {
                store: store.to_owned(),
                external_id: cmd.external_id.clone(),
                fields: self.company_create_fields(&cmd.external_id, company),
                status: company.status,
            })))),
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

    /// Creates the companies of several held-back creates with one `POST /companies/bulk` (at most
    /// [`B2B_BULK_MAX`](bigcommerce_b2b::b2b::B2B_BULK_MAX)), then records their ids and sets their statuses: one result per
    /// company, in order.
    ///
    /// [`BulkCreate::Refused`] when BigCommerce refused the request as sent (one invalid or
    /// conflicting company refuses it, and may leave others created): the caller applies each
    /// command again on its own, which looks the company up before creating it.
    pub async fn create_companies(&self, pending: &[&PendingCreate]) -> BulkCreate {
        if let [one] = pending {
            // One company: the plain create, same cost.
            return match self.client.b2b().create_company(&one.fields).await {
                Ok(created) => {
                    BulkCreate::Created(vec![self.created(one, created.company_id).await])
                }
                Err(e) => BulkCreate::Created(vec![Err(e.into())]),
            };
        }
        let fields: Vec<CompanyFields> = pending.iter().map(|p| p.fields.clone()).collect();
        let answer = self.client.b2b().create_companies(&fields).await;
        let ids = match bulk_answer(answer, pending.len(), "companies") {
            Ok(ids) => ids,
            Err(not_created) => return not_created,
        };
        let mut out = Vec::with_capacity(pending.len());
        for (p, id) in pending.iter().zip(ids) {
            out.push(self.created(p, id).await);
        }
        BulkCreate::Created(out)
    }

    /// Creates the buyers of several held-back creates with one `POST /users/bulk` and
    /// records their ids: one result per buyer, in order. Refusals as for
    /// [`create_companies`](Self::create_companies).
    pub async fn create_users(&self, pending: &[&PendingUser]) -> BulkCreate {
        let created = if let [one] = pending {
            // One buyer: the plain create, same cost; its own error (a permanent one
            // dead-letters it).
            match self.client.b2b().create_user(&one.fields).await {
                Ok(user) => vec![user],
                Err(e) => return BulkCreate::Created(vec![Err(e.into())]),
            }
        } else {
            let fields: Vec<UserFields> = pending.iter().map(|p| p.fields.clone()).collect();
            let answer = self.client.b2b().create_users(&fields).await;
            match bulk_answer(answer, pending.len(), "buyers") {
                Ok(users) => users,
                Err(not_created) => return not_created,
            }
        };
        let mut out = Vec::with_capacity(pending.len());
        for (p, user) in pending.iter().zip(created) {
            out.push(
                self.state
                    .put_id(&p.key, user.user_id)
                    .await
                    .map(|()| Outcome::Created)
                    .map_err(ApplyError::from),
            );
        }
        BulkCreate::Created(out)
    }

    /// After company `id` was created for `p`: its id in the map, then its status. A failure
    /// here is retryable: the retry finds the company by its external id.
    async fn created(&self, p: &PendingCreate, id: i64) -> Result<Outcome, ApplyError> {
        self.state
            .put_id(&format!("{}#company#{}", p.store, p.external_id), id)
            .await?;
        // The create takes no status: set it right away (re-reading the new company first would
        // cost a request and tell nothing the command does not already say).
        if let Some(status) = p.status {
            self.client.b2b().set_company_status(id, status).await?;
        }
        Ok(Outcome::Created)
    }

    async fn check_store(&self, store: &str) -> Result<(), ApplyError> {
        let secret = self.client.auth().await?;
        if secret.store_hash.as_str() != store {
            return Err(ApplyError::Permanent(format!(
                "command is for store `{store}` but this worker serves `{}`",
                secret.store_hash
            )));
        }
        Ok(())
    }

    /// Applies `cmd` under a lease from [`begin`](Self::begin) (no done check, no lease).
    pub async fn apply_leased(&self, cmd: &Command) -> Result<Outcome, ApplyError> {
        let store = cmd.store_hash.as_str();
        self.check_store(store).await?;
        match &cmd.action {
            Action::CompanyUpsert { company } => {
                self.company_upsert(store, &cmd.external_id, company).await
            }
            Action::CompanyStatus { status } => {
                let company = self.require_company(store, &cmd.external_id).await?;
                self.set_status(&company, *status).await
            }
            Action::UserUpsert {
                company_external_id,
                user,
            } => {
                let company_id = self.require_company_id(store, company_external_id).await?;
                self.user_upsert(store, &cmd.external_id, company_id, user)
                    .await
            }
            Action::AddressUpsert {
                company_external_id,
                address,
            } => {
                let company_id = self.require_company_id(store, company_external_id).await?;
                self.address_upsert(store, &cmd.external_id, company_id, address)
                    .await
            }
            Action::PriceListRecordsUpsert {
                price_list_id,
                records,
            } => {
                let report = self
                    .client
                    .core()
                    .upsert_price_records(*price_list_id, records)
                    .await?;
                // Price-list sync accuracy: the share of records BigCommerce accepted.
                if report.records > 0 {
                    let accepted = report.records - report.rejected.len();
                    b2b_shared::telemetry::emit_metrics(
                        &[("Function", "upsert-worker"), ("Store", store)],
                        &[b2b_shared::telemetry::Metric {
                            name: "PriceListSyncAccuracy",
                            value: accepted as f64 / report.records as f64,
                            unit: "None",
                        }],
                    );
                }
                if !report.rejected.is_empty() {
                    let reasons: Vec<String> = report
                        .rejected
                        .iter()
                        .take(10)
                        .map(|r| format!("{}: {:?}", r.data, r.field_errors))
                        .collect();
                    return Err(ApplyError::Permanent(format!(
                        "{} of {} records rejected: {}",
                        report.rejected.len(),
                        report.records,
                        reasons.join("; ")
                    )));
                }
                Ok(Outcome::Updated)
            }
            Action::PriceListAssign {
                price_list_id,
                customer_group_id,
                company_external_id,
                channel_id,
            } => match (customer_group_id, company_external_id) {
                (Some(group), _) => self.assign_group(*price_list_id, *group, *channel_id).await,
                (None, Some(ext)) => {
                    let company = self.require_company(store, ext).await?;
                    self.assign_company(&company, *price_list_id, *channel_id)
                        .await
                }
                (None, None) => Err(ApplyError::Permanent("no assignment target".into())),
            },
            Action::QuoteUpsert {
                company_external_id,
                quote,
            } => {
                let company = self.require_company(store, company_external_id).await?;
                self.quote_upsert(store, &cmd.external_id, &company, quote)
                    .await
            }
        }
    }

    async fn find_company(
        &self,
        store: &str,
        external_id: &str,
    ) -> Result<Option<Company>, ApplyError> {
        let key = format!("{store}#company#{external_id}");
        if let Some(id) = self.state.get_id(&key).await? {
            if let Some(c) = self.client.b2b().company(id).await? {
                return Ok(Some(c));
            }
        }
        let filter = CompanyFilter {
            extra_fields: vec![(self.external_id_field.clone(), external_id.to_owned())],
            extra_fields_exact: true,
            include_extra_fields: true,
            ..CompanyFilter::default()
        };
        let found: Vec<Company> = self.client.b2b().companies(&filter).try_collect().await?;
        let mut matching = found
            .into_iter()
            .filter(|c| c.extra_field(&self.external_id_field) == Some(external_id));
        let Some(summary) = matching.next() else {
            return Ok(None);
        };
        if matching.next().is_some() {
            tracing::warn!(%external_id, "several companies carry this external id; using the oldest");
        }
        self.state.put_id(&key, summary.company_id).await?;
        Ok(self.client.b2b().company(summary.company_id).await?)
    }

    /// The id of the company with `external_id`, looked up at most once per batch (buyers and
    /// addresses need only the id; status, price-list and quote commands read the company).
    async fn require_company_id(&self, store: &str, external_id: &str) -> Result<i64, ApplyError> {
        let key = format!("{store}#company#{external_id}");
        let cell = match self.batch_companies.lock() {
            Ok(mut m) => m.entry(key).or_default().clone(),
            // A poisoned memo only costs the lookup.
            Err(_) => Arc::default(),
        };
        // Concurrent callers wait for the first lookup; a failed one leaves the cell empty, so
        // the next caller looks again (a missing company may be created meanwhile).
        cell.get_or_try_init(|| async {
            Ok(self.require_company(store, external_id).await?.company_id)
        })
        .await
        .copied()
    }

    async fn require_company(&self, store: &str, external_id: &str) -> Result<Company, ApplyError> {
        self.find_company(store, external_id)
            .await?
            .ok_or_else(|| ApplyError::MissingCompany(external_id.to_owned()))
    }

    fn company_extra_fields(&self, external_id: &str, data: &CompanyData) -> Vec<ExtraField> {
        let mut fields = vec![ExtraField {
            field_name: self.external_id_field.clone(),
            field_value: Some(external_id.to_owned()),
        }];
        for (k, v) in &data.extra_fields {
            if *k != self.external_id_field {
                fields.push(ExtraField {
                    field_name: k.clone(),
                    field_value: Some(v.clone()),
                });
            }
        }
        fields
    }

    fn price_list_assign(data: &CompanyData) -> Vec<PriceListAssign> {
        data.price_lists
            .iter()
            .map(|p| PriceListAssign {
                channel_id: Some(p.channel_id),
                price_list_id: Some(p.price_list_id),
            })
            .collect()
    }

    /// The create request for a company the store does not have.
    fn company_create_fields(&self, external_id: &str, data: &CompanyData) -> CompanyFields {
        let address = data.address.as_ref();
        CompanyFields {
            company_name: some_text(&data.name),
            company_phone: some_text(&data.phone),
            company_email: some_text(&data.email),
            country: some_text(&data.country),
            address_line1: address.map(|a| a.line1.clone()),
            address_line2: address.and_then(|a| a.line2.clone()),
            city: address.map(|a| a.city.clone()),
            state: address.and_then(|a| a.state.clone()),
            zip_code: address.and_then(|a| a.zip_code.clone()),
            customer_group_id: data.customer_group_id,
            catalog_id: data.catalog_id,
            admin_first_name: some_text(&data.admin.first_name),
            admin_last_name: some_text(&data.admin.last_name),
            admin_email: some_text(&data.admin.email),
            admin_phone_number: data.admin.phone.clone(),
            extra_fields: self.company_extra_fields(external_id, data),
            price_list_assign: Self::price_list_assign(data),
        }
    }

    async fn company_upsert(
        &self,
        store: &str,
        external_id: &str,
        data: &CompanyData,
    ) -> Result<Outcome, ApplyError> {
        match self.find_company(store, external_id).await? {
            Some(existing) => self.company_update(&existing, external_id, data).await,
            None => {
                let pending = PendingCreate {
                    store: store.to_owned(),
                    external_id: external_id.to_owned(),
                    fields: self.company_create_fields(external_id, data),
                    status: data.status,
                };
                let created = self.client.b2b().create_company(&pending.fields).await?;
                self.created(&pending, created.company_id).await
            }
        }
    }

    /// Changes only what differs between `existing` and the command.
    async fn company_update(
        &self,
        existing: &Company,
        external_id: &str,
        data: &CompanyData,
    ) -> Result<Outcome, ApplyError> {
        let price_lists = Self::price_list_assign(data);
        let address = data.address.as_ref();
        let mut fields = CompanyFields {
            company_name: changed(&some_text(&data.name), &existing.company_name),
            company_phone: changed(&some_text(&data.phone), &existing.company_phone),
            company_email: changed(&some_text(&data.email), &existing.company_email),
            country: changed(&some_text(&data.country), &existing.country),
            address_line1: changed(&address.map(|a| a.line1.clone()), &existing.address_line1),
            address_line2: changed(
                &address.and_then(|a| a.line2.clone()),
                &existing.address_line2,
            ),
            city: changed(&address.map(|a| a.city.clone()), &existing.city),
            state: changed(&address.and_then(|a| a.state.clone()), &existing.state),
            zip_code: changed(
                &address.and_then(|a| a.zip_code.clone()),
                &existing.zip_code,
            ),
            customer_group_id: changed(&data.customer_group_id, &existing.bc_group_id),
            catalog_id: changed(&data.catalog_id, &existing.catalog_id),
            ..CompanyFields::default()
        };
        let wanted_extra = self.company_extra_fields(external_id, data);
        if wanted_extra
            .iter()
            .any(|f| existing.extra_field(&f.field_name) != f.field_value.as_deref())
        {
            fields.extra_fields = wanted_extra;
        }
        let mut have: Vec<_> = existing
            .price_list_assign
            .iter()
            .map(|p| (p.channel_id, p.price_list_id))
            .collect();
        let mut want: Vec<_> = price_lists
            .iter()
            .map(|p| (p.channel_id, p.price_list_id))
            .collect();
        have.sort();
        want.sort();
        if !want.is_empty() && want != have {
            fields.price_list_assign = price_lists;
        }
        let mut outcome = Outcome::Unchanged;
        if fields != CompanyFields::default() {
            self.client
                .b2b()
                .update_company(existing.company_id, &fields)
                .await?;
            outcome = Outcome::Updated;
        }
        if let Some(status) = data.status {
            if self.set_status(existing, status).await? == Outcome::Updated {
                outcome = Outcome::Updated;
            }
        }
        Ok(outcome)
    }

    async fn set_status(
        &self,
        company: &Company,
        status: CompanyStatus,
    ) -> Result<Outcome, ApplyError> {
        if company.status() == Some(status) {
            return Ok(Outcome::Unchanged);
        }
        self.client
            .b2b()
            .set_company_status(company.company_id, status)
            .await?;
        Ok(Outcome::Updated)
    }

    /// The buyer `external_id` names: by the id map, else by email (the mapping then recorded).
    async fn find_user(
        &self,
        key: &str,
        email: &str,
    ) -> Result<Option<bigcommerce_b2b::b2b::User>, ApplyError> {
        if let Some(id) = self.state.get_id(key).await? {
            if let Some(u) = self.client.b2b().user(id).await? {
                return Ok(Some(u));
            }
        }
        let filter = UserFilter {
            email: Some(email.to_owned()),
            ..UserFilter::default()
        };
        let users: Vec<_> = self.client.b2b().users(&filter).try_collect().await?;
        let found = users.into_iter().find(|u| {
            u.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        });
        if let Some(u) = &found {
            self.state.put_id(key, u.id).await?;
        }
        Ok(found)
    }

    fn user_create_fields(company_id: i64, data: &UserData) -> UserFields {
        UserFields {
            first_name: some_text(&data.first_name),
            last_name: some_text(&data.last_name),
            email: some_text(&data.email),
            phone_number: data.phone.clone(),
            company_id: Some(company_id),
            role: Some(data.role.code()),
            channel_ids: Some(data.channel_ids.clone()),
            extra_fields: data
                .extra_fields
                .iter()
                .map(|(k, v)| ExtraField {
                    field_name: k.clone(),
                    field_value: Some(v.clone()),
                })
                .collect(),
        }
    }

    /// Finds the buyer; `Err(fields)` with the create request when it does not exist.
    async fn user_upsert_or_create_fields(
        &self,
        key: &str,
        company_id: i64,
        data: &UserData,
    ) -> Result<Result<Outcome, UserFields>, ApplyError> {
        match self.find_user(key, &data.email).await? {
            Some(user) => self.user_update(&user, company_id, data).await.map(Ok),
            None => Ok(Err(Self::user_create_fields(company_id, data))),
        }
    }

    async fn user_upsert(
        &self,
        store: &str,
        external_id: &str,
        company_id: i64,
        data: &UserData,
    ) -> Result<Outcome, ApplyError> {
        let key = format!("{store}#user#{external_id}");
        match self
            .user_upsert_or_create_fields(&key, company_id, data)
            .await?
        {
            Ok(outcome) => Ok(outcome),
            Err(fields) => {
                let created = self.client.b2b().create_user(&fields).await?;
                self.state.put_id(&key, created.user_id).await?;
                Ok(Outcome::Created)
            }
        }
    }

    /// Changes only what differs between the buyer and the command.
    async fn user_update(
        &self,
        user: &bigcommerce_b2b::b2b::User,
        company_id: i64,
        data: &UserData,
    ) -> Result<Outcome, ApplyError> {
        if user.company_id.is_some_and(|c| c != company_id) {
            return Err(ApplyError::Permanent(format!(
                "email `{}` belongs to a buyer of another company (B2B user {})",
                data.email, user.id
            )));
        }
        let fields = UserFields {
            first_name: changed(&some_text(&data.first_name), &user.first_name),
            last_name: changed(&some_text(&data.last_name), &user.last_name),
            phone_number: changed(&data.phone, &user.phone_number),
            role: changed(&Some(data.role.code()), &user.role),
            ..UserFields::default()
        };
        if fields == UserFields::default() {
            return Ok(Outcome::Unchanged);
        }
        self.client.b2b().update_user(user.id, &fields).await?;
        Ok(Outcome::Updated)
    }

    fn address_body(external_id: &str, company_id: i64, a: &AddressData) -> Map<String, Value> {
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_owned(), v);
        };
        put("companyId", json!(company_id));
        put("externalId", json!(external_id));
        put("firstName", json!(a.first_name));
        put("lastName", json!(a.last_name));
        put("addressLine1", json!(a.line1));
        put("addressLine2", json!(a.line2.clone().unwrap_or_default()));
        put("city", json!(a.city));
        put("stateName", json!(a.state.clone().unwrap_or_default()));
        put("zipCode", json!(a.zip_code));
        put("countryCode", json!(a.country_code.to_ascii_uppercase()));
        put("phoneNumber", json!(a.phone.clone().unwrap_or_default()));
        put("label", json!(a.label.clone().unwrap_or_default()));
        put("isShipping", json!(a.is_shipping));
        put("isBilling", json!(a.is_billing));
        put("isDefaultShipping", json!(a.is_default_shipping));
        put("isDefaultBilling", json!(a.is_default_billing));
        m
    }

    async fn address_upsert(
        &self,
        store: &str,
        external_id: &str,
        company_id: i64,
        data: &AddressData,
    ) -> Result<Outcome, ApplyError> {
        let key = format!("{store}#address#{external_id}");
        let mut existing: Option<Value> = None;
        if let Some(id) = self.state.get_id(&key).await? {
            existing = self.client.b2b().address(id).await?;
        }
        if existing.is_none() {
            let found: Vec<_> = self
                .client
                .b2b()
                .addresses(Some(company_id), Some(external_id))
                .try_collect()
                .await?;
            if let Some(a) = found
                .into_iter()
                .find(|a| a.external_id.as_deref() == Some(external_id))
            {
                self.state.put_id(&key, a.id).await?;
                existing = self.client.b2b().address(a.id).await?;
            }
        }
        let wanted = Self::address_body(external_id, company_id, data);
        let Some(current) = existing else {
            let id = self
                .client
                .b2b()
                .create_address(&Value::Object(wanted))
                .await?;
            self.state.put_id(&key, id).await?;
            return Ok(Outcome::Created);
        };
        let id = current
            .get("addressId")
            .or_else(|| current.get("id"))
            .and_then(Value::as_i64)
            .unwrap_or_default();
        let diff: Map<String, Value> = wanted
            .into_iter()
            .filter(|(k, v)| k != "companyId" && current.get(k) != Some(v))
            .collect();
        if diff.is_empty() {
            return Ok(Outcome::Unchanged);
        }
        self.client
            .b2b()
            .update_address(id, &Value::Object(diff))
            .await?;
        Ok(Outcome::Updated)
    }

    async fn assign_group(
        &self,
        price_list_id: i64,
        group: i64,
        channel_id: i64,
    ) -> Result<Outcome, ApplyError> {
        let current = self
            .client
            .core()
            .price_list_assignments(group, channel_id)
            .await?;
        if current.iter().any(|a| a.price_list_id == price_list_id) {
            return Ok(Outcome::Unchanged);
        }
        let assignment = PriceListAssignment {
            price_list_id,
            customer_group_id: group,
            channel_id,
        };
        self.client
            .core()
            .assign_price_lists(std::slice::from_ref(&assignment))
            .await?;
        Ok(Outcome::Updated)
    }

    async fn assign_company(
        &self,
        company: &Company,
        price_list_id: i64,
        channel_id: i64,
    ) -> Result<Outcome, ApplyError> {
        if company
            .price_list_assign
            .iter()
            .any(|p| p.channel_id == Some(channel_id) && p.price_list_id == Some(price_list_id))
        {
            return Ok(Outcome::Unchanged);
        }
        let mut lists: Vec<PriceListAssign> = company
            .price_list_assign
            .iter()
            .filter(|p| p.channel_id != Some(channel_id))
            .cloned()
            .collect();
        lists.push(PriceListAssign {
            channel_id: Some(channel_id),
            price_list_id: Some(price_list_id),
        });
        let fields = CompanyFields {
            price_list_assign: lists,
            ..CompanyFields::default()
        };
        self.client
            .b2b()
            .update_company(company.company_id, &fields)
            .await?;
        Ok(Outcome::Updated)
    }

    async fn quote_upsert(
        &self,
        store: &str,
        external_id: &str,
        company: &Company,
        q: &QuoteData,
    ) -> Result<Outcome, ApplyError> {
        let key = format!("{store}#quote#{external_id}");
        let mut existing: Option<Value> = None;
        if let Some(id) = self.state.get_id(&key).await? {
            existing = self.client.b2b().quote(id).await?;
        }
        if existing.is_none() {
            let quotes: Vec<_> = self
                .client
                .b2b()
                .quotes(&Default::default())
                .try_collect()
                .await?;
            if let Some(found) = quotes.iter().find(|x| {
                x.extra.get("referenceNumber").and_then(Value::as_str) == Some(external_id)
            }) {
                self.state.put_id(&key, found.quote_id).await?;
                existing = self.client.b2b().quote(found.quote_id).await?;
            }
        }
        if let Some(current) = existing {
            let id = current
                .get("quoteId")
                .or_else(|| current.get("id"))
                .and_then(Value::as_i64)
                .unwrap_or_default();
            let Some(status) = q.status else {
                return Ok(Outcome::Unchanged);
            };
            if current.get("status").and_then(Value::as_i64) == Some(status.code()) {
                return Ok(Outcome::Unchanged);
            }
            self.client
                .b2b()
                .update_quote(id, &json!({ "status": status.code() }))
                .await?;
            return Ok(Outcome::Updated);
        }
        if q.lines.is_empty() {
            return Err(ApplyError::retry(format!("quote `{external_id}` does not exist yet and the command has no lines to create it")));
        }
        let filter = UserFilter {
            email: Some(q.buyer_email.clone()),
            company_id: Some(company.company_id),
            ..UserFilter::default()
        };
        let buyers: Vec<_> = self.client.b2b().users(&filter).try_collect().await?;
        let Some(buyer) = buyers.into_iter().find(|u| {
            u.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(&q.buyer_email))
        }) else {
            return Err(ApplyError::retry(format!(
                "buyer `{}` does not exist yet in company `{}`; retrying later",
                q.buyer_email, company.company_id
            )));
        };
        let expires =
            chrono::NaiveDate::parse_from_str(&q.expires_on, "%Y-%m-%d").map_err(|_| {
                ApplyError::Permanent(format!("`expires_on` `{}` is not a date", q.expires_on))
            })?;
        let subtotal: f64 = q
            .lines
            .iter()
            .map(|l| l.base_price * l.quantity as f64)
            .sum();
        let total: f64 = q
            .lines
            .iter()
            .map(|l| l.offered_price * l.quantity as f64)
            .sum();
        let products: Vec<Value> = q
            .lines
            .iter()
            .map(|l| {
                json!({
                    "sku": l.sku, "productId": l.product_id, "variantId": l.variant_id,
                    "basePrice": l.base_price, "offeredPrice": l.offered_price,
                    "discount": l.base_price - l.offered_price, "quantity": l.quantity,
                })
            })
            .collect();
        let name = format!(
            "{} {}",
            buyer.first_name.clone().unwrap_or_default(),
            buyer.last_name.clone().unwrap_or_default()
        );
        let body = json!({
            "companyId": company.company_id,
            "referenceNumber": external_id,
            "quoteTitle": q.title.clone().unwrap_or_default(),
            "notes": q.notes.clone().unwrap_or_default(),
            "expiredAt": expires.format("%m/%d/%Y").to_string(),
            "currency": { "currencyCode": q.currency.to_ascii_uppercase() },
            "contactInfo": { "name": name.trim(), "email": q.buyer_email },
            "subtotal": subtotal,
            "discount": subtotal - total,
            "grandTotal": total,
            "totalAmount": total,
            "productList": products,
            "status": q.status.map(|s| s.code()).unwrap_or(0),
        });
        let id = self.client.b2b().create_quote(&body).await?;
        self.state.put_id(&key, id).await?;
        Ok(Outcome::Created)
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
