//! The buyer family: `user.upsert`. A buyer is found by the id map or email
//! (`crate::lookups::buyers`), created (alone, or held back for a bulk request) or changed only
//! where it differs.

use b2b_commands::UserData;
use bigcommerce_b2b::b2b::{ExtraField, User, UserFields};

use crate::engine::context::Context;
use crate::engine::family::{bulk_answer, BulkCreate};
use crate::engine::family::{held_of, Apply, Family, Held, HeldCreate, Step};
use crate::engine::ids::{changed, id_key, some_text, Kind};
use crate::engine::lease::LeaseScope;
use crate::engine::outcome::{Applied, ApplyError, Outcome};
use crate::lookups::buyers;
use crate::lookups::companies;
use crate::lookups::definitions;
use crate::lookups::mirror::{self, user_identity, Mirrored};
use b2b_commands::{user, Command};

/// A buyer create held back for a bulk request.
#[derive(Debug, Clone)]
struct PendingUser {
    /// Its store.
    store: String,
    /// Its id-map key.
    key: String,
    fields: UserFields,
}

impl Held for PendingUser {
    fn bulk_kind(&self) -> &'static str {
        "users"
    }
}

/// Creates the buyers of several held-back creates with one `POST /users/bulk` and
/// records their ids: one result per buyer, in order. Refusals as for
/// the companies' bulk create.
async fn create_users(cx: &Context, pending: &[&PendingUser]) -> BulkCreate {
    for p in pending {
        let email = user_identity(p.fields.email.as_deref().unwrap_or_default());
        if let Err(e) = mirror::creating(cx, &p.store, Mirrored::Users, [email.as_str()]).await {
            return BulkCreate::Retry(e);
        }
    }
    let created = if let [one] = pending {
        // One buyer: the plain create, same cost; its own error (a permanent one
        // dead-letters it).
        match cx.client.b2b().create_user(&one.fields).await {
            Ok(user) => vec![user],
            Err(e) => return BulkCreate::Created(vec![Err(e.into())]),
        }
    } else {
        let fields: Vec<UserFields> = pending.iter().map(|p| p.fields.clone()).collect();
        let answer = cx.client.b2b().create_users(&fields).await;
        match bulk_answer(answer, pending.len(), "buyers") {
            Ok(users) => users,
            Err(not_created) => return not_created,
        }
    };
    let mut out = Vec::with_capacity(pending.len());
    for (p, user) in pending.iter().zip(created) {
        out.push(user_created(cx, &p.store, &p.key, user.user_id).await);
    }
    BulkCreate::Created(out)
}

/// After buyer `id` was created: its id in the map, and marked ours in the mirror.
async fn user_created(
    cx: &Context,
    store: &str,
    key: &str,
    id: i64,
) -> Result<Outcome, ApplyError> {
    cx.state.put_id(key, id).await?;
    mirror::touch(cx, store, Mirrored::Users, id).await?;
    Ok(Outcome::Created)
}

pub(crate) fn user_create_fields(company_id: i64, data: &UserData) -> UserFields {
    UserFields {
        first_name: some_text(&data.first_name),
        last_name: some_text(&data.last_name),
        email: some_text(&data.email),
        phone_number: data.phone.clone(),
        company_id: Some(company_id),
        role: Some(data.role.code()),
        company_role_id: None,
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
pub(crate) async fn user_upsert_or_create_fields(
    cx: &Context,
    store: &str,
    key: &str,
    company_id: i64,
    data: &UserData,
) -> Result<Result<Outcome, UserFields>, ApplyError> {
    let role_id = match &data.company_role {
        Some(name) => Some(definitions::company_role_id(cx, store, name).await?),
        None => None,
    };
    match buyers::find(cx, store, key, &data.email).await? {
        Some(user) => user_update(cx, store, &user, company_id, data, role_id)
            .await
            .map(Ok),
        None => Ok(Err(UserFields {
            company_role_id: role_id,
            ..user_create_fields(company_id, data)
        })),
    }
}

pub(crate) async fn user_upsert(
    cx: &Context,
    store: &str,
    external_id: &str,
    company_id: i64,
    data: &UserData,
) -> Result<Outcome, ApplyError> {
    let key = id_key(store, Kind::User, external_id);
    match user_upsert_or_create_fields(cx, store, &key, company_id, data).await? {
        Ok(outcome) => Ok(outcome),
        Err(fields) => {
            let email = user_identity(&data.email);
            mirror::creating(cx, store, Mirrored::Users, [email.as_str()]).await?;
            let created = cx.client.b2b().create_user(&fields).await?;
            user_created(cx, store, &key, created.user_id).await
        }
    }
}

/// Changes only what differs between the buyer and the command (`role_id`: the id of its
/// `company_role`).
pub(crate) async fn user_update(
    cx: &Context,
    store: &str,
    user: &User,
    company_id: i64,
    data: &UserData,
    role_id: Option<i64>,
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
        company_role_id: changed(&role_id, &user.company_role_id),
        ..UserFields::default()
    };
    if fields == UserFields::default() {
        return Ok(Outcome::Unchanged);
    }
    mirror::touch(cx, store, Mirrored::Users, user.id).await?;
    cx.client.b2b().update_user(user.id, &fields).await?;
    Ok(Outcome::Updated)
}

/// The buyer family: `user.upsert`. A company's buyers are applied side by side, each buyer once
/// at a time.
#[derive(Debug, Default)]
pub struct Buyers;

impl Family for Buyers {
    const LEASE: LeaseScope = LeaseScope::Entity;
}

impl Apply for user::Upsert {
    type Family = Buyers;
    const OTHERS_WAIT_FOR_IT: bool = true;

    async fn apply(&self, _: &Buyers, cx: &Context, cmd: &Command) -> Applied {
        let store = cmd.store_hash.as_str();
        let company_id = companies::require_id(cx, store, &self.company_external_id).await?;
        user_upsert(cx, store, &cmd.external_id, company_id, &self.user).await
    }

    fn may_hold_create(&self) -> bool {
        true
    }

    async fn apply_or_hold(
        &self,
        _: &Buyers,
        cx: &Context,
        cmd: &Command,
    ) -> Result<Step, ApplyError> {
        let store = cmd.store_hash.as_str();
        let company_id = companies::require_id(cx, store, &self.company_external_id).await?;
        let key = id_key(store, Kind::User, &cmd.external_id);
        Ok(
            match user_upsert_or_create_fields(cx, store, &key, company_id, &self.user).await? {
                Ok(outcome) => Step::Done(outcome),
                Err(fields) => Step::Create(Box::new(PendingUser {
                    store: store.to_owned(),
                    key,
                    fields,
                })),
            },
        )
    }

    async fn create_held(_: &Buyers, cx: &Context, held: &[&HeldCreate]) -> BulkCreate {
        match held_of::<PendingUser>(held) {
            Some(pending) => create_users(cx, &pending).await,
            None => BulkCreate::Refused("a bulk request mixed companies and buyers".into()),
        }
    }

    async fn edited_elsewhere(&self, cx: &Context, cmd: &Command) -> Result<bool, ApplyError> {
        let identity = user_identity(&self.user.email);
        mirror::edited_elsewhere(cx, &cmd.store_hash, Mirrored::Users, &identity).await
    }
}
