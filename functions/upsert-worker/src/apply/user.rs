//! `user.upsert`: find a buyer by the id map or email, create it (alone or in a bulk request), or
//! change only what differs.

use b2b_commands::UserData;
use bigcommerce_b2b::b2b::{ExtraField, User, UserFields, UserFilter};
use futures_util::TryStreamExt;

use super::mirror::{user_identity, Mirror, Mirrored};
use super::{
    bulk_answer, changed, id_key, some_text, Applier, ApplyError, BulkCreate, Kind, Outcome,
    PendingUser,
};

impl Applier {
    /// The buyer of company `company_id` with `email`, which the command's `field` names: one
    /// not made yet is waited for ([`ApplyError::Missing`]), one of another company refused.
    pub(super) async fn company_buyer(
        &self,
        store: &str,
        company_id: i64,
        email: &str,
        field: &'static str,
    ) -> Result<User, ApplyError> {
        let key = id_key(store, Kind::BuyerEmail, &email.to_ascii_lowercase());
        let found = match self.find_user(store, &key, email).await? {
            Some(u) => Some(u),
            // A company's administrator is made with the company, which the mirror of buyers
            // does not see until its next read: ask before waiting.
            None => self.search_user(&key, email).await?,
        };
        let Some(buyer) = found else {
            return Err(ApplyError::Missing {
                field,
                name: email.to_owned(),
            });
        };
        if buyer.company_id != Some(company_id) {
            return Err(ApplyError::Permanent(format!(
                "`{field}`: `{email}` is a buyer of another company"
            )));
        }
        Ok(buyer)
    }

    /// Creates the buyers of several held-back creates with one `POST /users/bulk` and
    /// records their ids: one result per buyer, in order. Refusals as for
    /// [`create_companies`](Self::create_companies).
    pub async fn create_users(&self, pending: &[&PendingUser]) -> BulkCreate {
        for p in pending {
            let email = user_identity(p.fields.email.as_deref().unwrap_or_default());
            if let Err(e) = self
                .creating(&p.store, Mirrored::Users, [email.as_str()])
                .await
            {
                return BulkCreate::Retry(e);
            }
        }
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
            out.push(self.user_created(&p.store, &p.key, user.user_id).await);
        }
        BulkCreate::Created(out)
    }

    /// After buyer `id` was created: its id in the map, and marked ours in the mirror.
    async fn user_created(&self, store: &str, key: &str, id: i64) -> Result<Outcome, ApplyError> {
        self.state.put_id(key, id).await?;
        self.touch(store, Mirrored::Users, id).await?;
        Ok(Outcome::Created)
    }

    /// The buyer `key` (its id-map key) names: from the mirror by email when it holds the buyer
    /// as BigCommerce has it (no request), else by the id map, else by a search by email (the
    /// mapping then recorded).
    pub(super) async fn find_user(
        &self,
        store: &str,
        key: &str,
        email: &str,
    ) -> Result<Option<User>, ApplyError> {
        let mapped = match self
            .mirrored::<User>(store, Mirrored::Users, &user_identity(email), key)
            .await?
        {
            Mirror::Current(u) => {
                if self.state.get_id(key).await? != Some(u.id) {
                    self.state.put_id(key, u.id).await?;
                }
                return Ok(Some(u));
            }
            Mirror::Absent => return Ok(None),
            Mirror::Stale(id) => Some(id),
            Mirror::Unknown => self.state.get_id(key).await?,
        };
        if let Some(id) = mapped {
            if let Some(u) = self.client.b2b().user(id).await? {
                return Ok(Some(u));
            }
        }
        self.search_user(key, email).await
    }

    /// The buyer with `email`, by a search (no mirror), its mapping recorded under `key`.
    pub(super) async fn search_user(
        &self,
        key: &str,
        email: &str,
    ) -> Result<Option<User>, ApplyError> {
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

    pub(super) fn user_create_fields(company_id: i64, data: &UserData) -> UserFields {
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
    pub(super) async fn user_upsert_or_create_fields(
        &self,
        store: &str,
        key: &str,
        company_id: i64,
        data: &UserData,
    ) -> Result<Result<Outcome, UserFields>, ApplyError> {
        let role_id = match &data.company_role {
            Some(name) => Some(self.company_role_id(store, name).await?),
            None => None,
        };
        match self.find_user(store, key, &data.email).await? {
            Some(user) => self
                .user_update(store, &user, company_id, data, role_id)
                .await
                .map(Ok),
            None => Ok(Err(UserFields {
                company_role_id: role_id,
                ..Self::user_create_fields(company_id, data)
            })),
        }
    }

    pub(super) async fn user_upsert(
        &self,
        store: &str,
        external_id: &str,
        company_id: i64,
        data: &UserData,
    ) -> Result<Outcome, ApplyError> {
        let key = id_key(store, Kind::User, external_id);
        match self
            .user_upsert_or_create_fields(store, &key, company_id, data)
            .await?
        {
            Ok(outcome) => Ok(outcome),
            Err(fields) => {
                let email = user_identity(&data.email);
                self.creating(store, Mirrored::Users, [email.as_str()])
                    .await?;
                let created = self.client.b2b().create_user(&fields).await?;
                self.user_created(store, &key, created.user_id).await
            }
        }
    }

    /// Changes only what differs between the buyer and the command (`role_id`: the id of its
    /// `company_role`).
    pub(super) async fn user_update(
        &self,
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
        self.touch(store, Mirrored::Users, user.id).await?;
        self.client.b2b().update_user(user.id, &fields).await?;
        Ok(Outcome::Updated)
    }
}
