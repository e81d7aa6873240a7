//! What a store defines that commands name: its company extra fields and its company user
//! roles, read once per process and store (at the first command that needs them) and read
//! again when a name is missing and the copy is older than [`REFRESH_AFTER`] — a field or role
//! added in the control panel is seen within a minute, without a read per command.
//!
//! A name the store does not define is a permanent dead letter naming the command's field and
//! listing what the store has, instead of a write BigCommerce refuses or silently drops.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use b2b_commands::CompanyData;
use futures_util::TryStreamExt;

use crate::engine::context::Context;
use crate::engine::outcome::ApplyError;

/// How old a copy may be before a missing name reads the store again.
pub const REFRESH_AFTER: Duration = Duration::from_secs(60);

/// The kinds of definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Defined {
    CompanyFields,
    CompanyRoles,
}

/// Names → id (0 for extra fields), as read at a time.
type Names = Arc<BTreeMap<String, i64>>;

/// One store's copy of one kind, behind its own lock: when it was read, and what it holds.
type Slot = Arc<tokio::sync::Mutex<Option<(Instant, Names)>>>;

/// The copies, by store and kind (shared by the container's batches). Each has its own lock,
/// held across a read: concurrent commands wait for one read instead of each making one.
#[derive(Debug, Default)]
pub struct Definitions(Mutex<HashMap<(String, Defined), Slot>>);

impl Definitions {
    fn slot(&self, store: &str, kind: Defined) -> Slot {
        match self.0.lock() {
            Ok(mut map) => map.entry((store.to_owned(), kind)).or_default().clone(),
            // A poisoned map only costs a read.
            Err(_) => Arc::default(),
        }
    }
}

/// Which of `wanted` are not in `names`.
fn missing<'w>(names: &BTreeMap<String, i64>, wanted: &[&'w str]) -> Vec<&'w str> {
    wanted
        .iter()
        .copied()
        .filter(|w| !names.contains_key(*w))
        .collect()
}

fn listing(names: &BTreeMap<String, i64>) -> String {
    if names.is_empty() {
        return "none".to_owned();
    }
    names
        .keys()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The store's names of `kind`: the copy, or a read when there is none or `fresh` asks for
/// one and the copy is older than [`REFRESH_AFTER`].
async fn read_names(
    cx: &Context,
    store: &str,
    kind: Defined,
    fresh: bool,
) -> Result<Names, ApplyError> {
    let slot = cx.kept::<Definitions>().slot(store, kind);
    let mut copy = slot.lock().await;
    if let Some((at, names)) = &*copy {
        if !fresh || at.elapsed() < REFRESH_AFTER {
            return Ok(names.clone());
        }
    }
    let b2b = cx.client.b2b();
    let names: BTreeMap<String, i64> = match kind {
        Defined::CompanyFields => {
            b2b.company_extra_fields()
                .map_ok(|f| (f.field_name, 0))
                .try_collect()
                .await?
        }
        Defined::CompanyRoles => {
            b2b.company_roles()
                .try_filter_map(|r| async move { Ok(r.name.map(|n| (n.trim().to_owned(), r.id))) })
                .try_collect()
                .await?
        }
    };
    let names = Arc::new(names);
    *copy = Some((Instant::now(), names.clone()));
    Ok(names)
}

/// Every extra field a `company.upsert` writes (the external-id field and its
/// `extra_fields`) must be one the store defines.
pub(crate) async fn check_company_fields(
    cx: &Context,
    store: &str,
    data: &CompanyData,
) -> Result<(), ApplyError> {
    let mut wanted: Vec<&str> = vec![cx.external_id_field.as_str()];
    wanted.extend(data.extra_fields.keys().map(String::as_str));
    let mut names = read_names(cx, store, Defined::CompanyFields, false).await?;
    if !missing(&names, &wanted).is_empty() {
        names = read_names(cx, store, Defined::CompanyFields, true).await?;
    }
    let absent = missing(&names, &wanted);
    let Some(first) = absent.first() else {
        return Ok(());
    };
    let defined = listing(&names);
    Err(ApplyError::Permanent(if *first == cx.external_id_field {
        format!(
            "EXTERNAL_ID_FIELD `{first}`: the store defines no company extra field of that name \
             (it defines: {defined}); create it in B2B Edition's company extra fields, or set \
             EXTERNAL_ID_FIELD to one of these"
        )
    } else {
        let fields: Vec<String> = absent
            .iter()
            .map(|f| format!("`company.extra_fields.{f}`"))
            .collect();
        format!(
            "{}: the store defines no company extra field of that name (it defines: {defined})",
            fields.join(", ")
        )
    }))
}

/// The id of the company user role named `name` (case-insensitive).
pub(crate) async fn company_role_id(
    cx: &Context,
    store: &str,
    name: &str,
) -> Result<i64, ApplyError> {
    let named = |roles: &BTreeMap<String, i64>| {
        roles
            .iter()
            .find(|(n, _)| n.to_lowercase() == name.trim().to_lowercase())
            .map(|(_, id)| *id)
    };
    let roles = read_names(cx, store, Defined::CompanyRoles, false).await?;
    if let Some(id) = named(&roles) {
        return Ok(id);
    }
    let roles = read_names(cx, store, Defined::CompanyRoles, true).await?;
    named(&roles).ok_or_else(|| {
        ApplyError::Permanent(format!(
            "`user.company_role`: the store has no company role named `{name}` (it has: {})",
            listing(&roles)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_names_are_the_ones_not_defined() {
        let names: BTreeMap<String, i64> = [("erp_id".to_owned(), 0)].into();
        assert_eq!(missing(&names, &["erp_id", "region"]), ["region"]);
        assert_eq!(listing(&names), "erp_id");
        assert_eq!(listing(&BTreeMap::new()), "none");
    }
}
