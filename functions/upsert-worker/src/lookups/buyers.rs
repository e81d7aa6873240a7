//! Buyer resolution, shared by the families whose commands name a company's buyer: the store
//! mirror by email first, else the id map, else a search by email (the mapping then recorded).

use bigcommerce_b2b::b2b::{User, UserFilter};
use futures_util::TryStreamExt;

use crate::engine::context::Context;
use crate::engine::ids::{id_key, Kind};
use crate::engine::outcome::ApplyError;
use crate::lookups::mirror::{self, user_identity, Mirror, Mirrored};

/// The buyer of company `company_id` with `email`, which the command's `field` names: one
/// not made yet is waited for ([`ApplyError::Missing`]), one of another company refused.
pub(crate) async fn of_company(
    cx: &Context,
    store: &str,
    company_id: i64,
    email: &str,
    field: &'static str,
) -> Result<User, ApplyError> {
    let key = id_key(store, Kind::BuyerEmail, &email.to_ascii_lowercase());
    let found = match find(cx, store, &key, email).await? {
        Some(u) => Some(u),
        // A company's administrator is made with the company, which the mirror of buyers
        // does not see until its next read: ask before waiting.
        None => search(cx, &key, email).await?,
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

/// The buyer `key` (its id-map key) names: from the mirror by email when it holds the buyer
/// as BigCommerce has it (no request), else by the id map, else by a search by email (the
/// mapping then recorded).
pub(crate) async fn find(
    cx: &Context,
    store: &str,
    key: &str,
    email: &str,
) -> Result<Option<User>, ApplyError> {
    let mapped =
        match mirror::mirrored::<User>(cx, store, Mirrored::Users, &user_identity(email), key)
            .await?
        {
            Mirror::Current(u) => {
                if cx.state.get_id(key).await? != Some(u.id) {
                    cx.state.put_id(key, u.id).await?;
                }
                return Ok(Some(u));
            }
            Mirror::Absent => return Ok(None),
            Mirror::Stale(id) => Some(id),
            Mirror::Unknown => cx.state.get_id(key).await?,
        };
    if let Some(id) = mapped {
        if let Some(u) = cx.client.b2b().user(id).await? {
            return Ok(Some(u));
        }
    }
    search(cx, key, email).await
}

/// The buyer with `email`, by a search (no mirror), its mapping recorded under `key`.
pub(crate) async fn search(
    cx: &Context,
    key: &str,
    email: &str,
) -> Result<Option<User>, ApplyError> {
    let filter = UserFilter {
        email: Some(email.to_owned()),
        ..UserFilter::default()
    };
    let users: Vec<_> = cx.client.b2b().users(&filter).try_collect().await?;
    let found = users.into_iter().find(|u| {
        u.email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(email))
    });
    if let Some(u) = &found {
        cx.state.put_id(key, u.id).await?;
    }
    Ok(found)
}
