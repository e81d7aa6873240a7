//! The store mirror (issue 17): what BigCommerce holds of the companies, buyers and addresses
//! of a store, kept in the state table by delta reads, so that the shared B2B quota is spent on
//! changes, not on lookups.
//!
//! For each kind the mirror holds a **snapshot** per entity (`{store}#mirror#{kind}#{identity}`:
//! the entity as the list answered it, its id and when it was read; the identity is the company's
//! external-id extra field, the buyer's email, the address's `externalId`) and a **position**
//! (`{store}#mirror#{companies|users|addresses}`: `synced_through`, the newest modification
//! seen, and `read_at`). A **delta read** is one `GET /companies?minModified={synced_through −
//! overlap}&isIncludeExtraFields=1` (`/users`, `/addresses` alike; a full listing the first
//! time): it records every entity modified since, including what the control panel or other apps
//! did, and then moves the position. A batch makes one when the last is older than
//! `MIRROR_MAX_AGE_SECS`, or a webhook told of a change made elsewhere since.
//!
//! What the mirror decides:
//! - an identity it does not hold (and the id map does not name) is **absent**: the command
//!   goes straight to its create, without a search;
//! - a snapshot is the entity **as BigCommerce has it**: the command diffs against it, so an
//!   identical command costs no request and a changed one exactly its write. A snapshot is
//!   trusted unless the entity was **written** by us (`{store}#mirror#{kind}-id#{id}#written`,
//!   marked before the write) or reported **changed** by a `store/company/*` webhook
//!   (`…#changed`) after it was read; then it is read again by id;
//! - the replay of a command applied before is applied again when the snapshot's modification
//!   time is later than our last write (`edited_elsewhere`): drift is repaired.
//!
//! Instances share one read: a delta read holds the kind's **read lease**
//! (`{store}#mirror#{kind}#reading`) while it reads and records; an instance that finds the
//! lease held polls the position until that read lands and uses it. A holder that died only
//! delays the others: its lease expires and the next one reads.
//!
//! A delta read that fails leaves the batch on lookups (a search by extra field, email or
//! `externalId`), as without the mirror.

use std::collections::HashMap;

use b2b_commands::WebhookEvent;
use bigcommerce_b2b::b2b::{CompanyFilter, UserFilter};
use futures_util::future::BoxFuture;
use futures_util::{StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::engine::context::Context;
use crate::engine::ids::{id_key, Kind};
use crate::engine::outcome::ApplyError;

/// Seconds re-read before the sync position (clock skew, late commits).
pub const MIRROR_OVERLAP_SECS: i64 = 120;

/// How long a snapshot must have been read after its entity was touched to be trusted: clock
/// skew between Lambda instances.
const TOUCH_MARGIN_MS: i64 = 1_000;

/// How often an instance waiting for another's delta read looks at the position.
const READ_LEASE_POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// State-table writes in flight while a delta read records what it saw.
const RECORD_CONCURRENCY: usize = 4;

/// The kinds of entity the mirror holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mirrored {
    /// Companies, by their external-id extra field.
    Companies,
    /// Buyers, by email (lower case).
    Users,
    /// Company addresses, by `externalId`.
    Addresses,
}

impl Mirrored {
    fn index(self) -> usize {
        self as usize
    }

    /// The name of one entity, in keys.
    fn entity(self) -> &'static str {
        match self {
            Mirrored::Companies => "company",
            Mirrored::Users => "user",
            Mirrored::Addresses => "address",
        }
    }

    /// The name of the kind, in the position's key and in logs.
    fn plural(self) -> &'static str {
        match self {
            Mirrored::Companies => "companies",
            Mirrored::Users => "users",
            Mirrored::Addresses => "addresses",
        }
    }
}

/// One batch's view of the mirror: per kind, when the mirror it uses was read (unix ms), once
/// known; `None` when the delta read failed.
#[derive(Debug, Default)]
pub(crate) struct BatchMirror([tokio::sync::OnceCell<Option<i64>>; 3]);

/// What the mirror knows of one entity.
#[derive(Debug)]
pub(crate) enum Mirror<T> {
    /// The mirror is off or could not be read: look the entity up.
    Unknown,
    /// Not in BigCommerce as of the mirror's last read.
    Absent,
    /// As BigCommerce has it.
    Current(T),
    /// Known by id, but written or changed since it was read (or mapped since): read it by id.
    Stale(i64),
}

/// A snapshot as the state table keeps it.
#[derive(Debug, Serialize, Deserialize)]
struct Snapshot {
    /// The entity's BigCommerce id.
    id: i64,
    /// When the delta read that saw it began (unix ms).
    read_at: i64,
    /// The entity as listed; `null` once it is known deleted.
    item: Value,
}

/// An entity a delta read saw.
struct Seen {
    identity: String,
    id: i64,
    updated_at: Option<i64>,
    item: Value,
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn snapshot_key(store: &str, kind: Mirrored, identity: &str) -> String {
    format!("{store}#mirror#{}#{identity}", kind.entity())
}

/// The marker of our last write of entity `id` (`marker` `written`), or of the last change
/// a webhook reported (`changed`).
fn entity_marker(store: &str, kind: Mirrored, id: i64, marker: &str) -> String {
    format!("{store}#mirror#{}-id#{id}#{marker}", kind.entity())
}

/// The marker of a create of the entity of `kind` with `identity` begun at its value (unix ms).
fn creating_key(store: &str, kind: Mirrored, identity: &str) -> String {
    format!("{store}#mirror#{}#{identity}#creating", kind.entity())
}

/// The marker of the last change made elsewhere that a webhook reported for `kind`: a mirror
/// read before it may lack an entity.
fn kind_changed_key(store: &str, kind: Mirrored) -> String {
    format!("{store}#mirror#{}#changed", kind.plural())
}

fn read_lease_key(store: &str, kind: Mirrored) -> String {
    format!("{}#reading", position_key(store, kind))
}

fn position_key(store: &str, kind: Mirrored) -> String {
    format!("{store}#mirror#{}", kind.plural())
}

/// A buyer's identity in the mirror: the email in lower case (emails match case-blind).
pub(crate) fn user_identity(email: &str) -> String {
    email.to_ascii_lowercase()
}

/// The entities in `items` by identity: the one with the lowest id (the oldest) where several
/// carry one identity, as the lookups choose.
fn by_identity(items: Vec<Seen>) -> Vec<Seen> {
    let mut kept: HashMap<String, Seen> = HashMap::new();
    for s in items {
        match kept.get(&s.identity) {
            Some(k) if k.id <= s.id => {}
            _ => {
                kept.insert(s.identity.clone(), s);
            }
        }
    }
    kept.into_values().collect()
}

/// When the mirror of `kind` this batch uses was read, if it may be used: the mirror is on
/// and its last read is recent (younger than the maximum age, after the last change a
/// webhook reported), or the delta read made now succeeded. Boxed: it keeps the command
/// futures small.
pub(crate) fn mirror_read_at<'a>(
    cx: &'a Context,
    store: &'a str,
    kind: Mirrored,
) -> BoxFuture<'a, Option<i64>> {
    Box::pin(async move {
        if !cx.store_mirror {
            return None;
        }
        let memo = cx.memo::<BatchMirror>();
        let read_at = *memo.0[kind.index()]
            .get_or_init(|| async {
                match recent_read(cx, store, kind).await {
                    Some(at) => Some(at),
                    None => delta_read(cx, store, kind).await,
                }
            })
            .await;
        read_at
    })
}

/// When the mirror of `kind` was last read, if that read may be used without another.
async fn recent_read(cx: &Context, store: &str, kind: Mirrored) -> Option<i64> {
    let recent = async {
        let Some(position) = cx.state.get_watermark(&position_key(store, kind)).await? else {
            return Ok(None);
        };
        let Some(read_at) = position.get("read_at").and_then(Value::as_i64) else {
            return Ok(None);
        };
        let age_ms = now_millis() - read_at;
        if age_ms < 0 || age_ms >= cx.mirror_max_age.as_millis() as i64 {
            return Ok(None);
        }
        let changed = cx.state.get_id(&kind_changed_key(store, kind)).await?;
        Ok(changed.is_none_or(|c| read_at > c).then_some(read_at))
    };
    match recent.await {
        Ok(at) => at,
        Err(e @ b2b_shared::state::StateError(_)) => {
            tracing::warn!(store, kind = kind.plural(), error = %e, "mirror position not read; reading the changes");
            None
        }
    }
}

/// One delta read of `kind` shared by every instance: under the kind's read lease, or the
/// result of the read another instance makes under it now. Its start time when it succeeded.
async fn delta_read(cx: &Context, store: &str, kind: Mirrored) -> Option<i64> {
    let lease = read_lease_key(store, kind);
    let waited_until = read_lease_wait_until(cx);
    loop {
        match cx.state.claim(&lease, cx.mirror_read_lease).await {
            Ok(b2b_shared::state::Claim::New) => {
                // Another instance's read may have landed just before the lease was free.
                let at = match recent_read(cx, store, kind).await {
                    Some(at) => Some(at),
                    None => read_changes(cx, store, kind).await,
                };
                if let Err(e) = cx.state.release(&lease).await {
                    tracing::warn!(store, kind = kind.plural(), error = %e, "mirror read lease not released; it expires");
                }
                return at;
            }
            Ok(b2b_shared::state::Claim::Duplicate) => {
                if tokio::time::Instant::now() >= waited_until {
                    tracing::warn!(
                        store,
                        kind = kind.plural(),
                        "mirror read lease held too long; reading the changes"
                    );
                    return read_changes(cx, store, kind).await;
                }
                tokio::time::sleep(READ_LEASE_POLL).await;
                if let Some(at) = recent_read(cx, store, kind).await {
                    return Some(at);
                }
            }
            Err(e) => {
                tracing::warn!(store, kind = kind.plural(), error = %e, "mirror read lease not taken; reading the changes");
                return read_changes(cx, store, kind).await;
            }
        }
    }
}

/// Until when an instance waits for another's delta read: the lease's length, and never
/// more than half the time left before the invocation's deadline (the rest is for reading
/// itself, should the holder not deliver).
fn read_lease_wait_until(cx: &Context) -> tokio::time::Instant {
    let now = tokio::time::Instant::now();
    let by_lease = now + cx.mirror_read_lease;
    match cx.client.deadline() {
        Some(deadline) => by_lease.min(now + deadline.saturating_duration_since(now) / 2),
        None => by_lease,
    }
}

/// One delta read of `kind`, logged; its start time when it succeeded.
async fn read_changes(cx: &Context, store: &str, kind: Mirrored) -> Option<i64> {
    let read_at = now_millis();
    match refresh_mirror(cx, store, kind, read_at).await {
        Ok(seen) => {
            tracing::debug!(store, kind = kind.plural(), seen, "mirror up to date");
            Some(read_at)
        }
        Err(e) => {
            tracing::warn!(store, kind = kind.plural(), error = %e, "mirror not refreshed; looking entities up one by one");
            None
        }
    }
}

/// Records every entity of `kind` modified since the position (all of them the first
/// time), then moves the position. Returns how many it saw.
async fn refresh_mirror(
    cx: &Context,
    store: &str,
    kind: Mirrored,
    read_at: i64,
) -> Result<usize, ApplyError> {
    let key = position_key(store, kind);
    let synced_through = cx
        .state
        .get_watermark(&key)
        .await?
        .and_then(|v| v.get("synced_through").and_then(Value::as_i64));
    let since = synced_through.map(|t| t - MIRROR_OVERLAP_SECS);
    let seen = changed_since(cx, kind, since).await?;
    let count = seen.len();
    let newest = seen
        .iter()
        .filter_map(|s| s.updated_at)
        .fold(synced_through.unwrap_or(0), i64::max);
    futures_util::stream::iter(by_identity(seen))
        .map(|s| record_seen(cx, store, kind, s, read_at))
        .buffer_unordered(RECORD_CONCURRENCY)
        .try_collect::<()>()
        .await?;
    // Only now: a position moved before the snapshots were written would skip them.
    let position = json!({ "synced_through": newest, "read_at": read_at });
    cx.state.put_watermark(&key, &position).await?;
    Ok(count)
}

/// The entities of `kind` modified at or after `since` (all when `None`), with identities.
async fn changed_since(
    cx: &Context,
    kind: Mirrored,
    since: Option<i64>,
) -> Result<Vec<Seen>, ApplyError> {
    let b2b = cx.client.b2b();
    let seen = |identity: Option<&str>, id, updated_at, item| {
        identity.map(|identity| Seen {
            identity: identity.to_owned(),
            id,
            updated_at,
            item,
        })
    };
    let mut out = Vec::new();
    match kind {
        Mirrored::Companies => {
            let filter = CompanyFilter {
                min_modified: since,
                include_extra_fields: true,
                ..CompanyFilter::default()
            };
            let mut s = std::pin::pin!(b2b.companies(&filter));
            while let Some(c) = s.try_next().await? {
                let identity = c.extra_field(&cx.external_id_field).map(str::to_owned);
                let item = to_item(&c)?;
                out.extend(seen(identity.as_deref(), c.company_id, c.updated_at, item));
            }
        }
        Mirrored::Users => {
            let filter = UserFilter {
                min_modified: since,
                ..UserFilter::default()
            };
            let mut s = std::pin::pin!(b2b.users(&filter));
            while let Some(u) = s.try_next().await? {
                let identity = u.email.as_deref().map(user_identity);
                let item = to_item(&u)?;
                out.extend(seen(identity.as_deref(), u.id, u.updated_at, item));
            }
        }
        Mirrored::Addresses => {
            let mut s = std::pin::pin!(b2b.addresses_modified_since(since));
            while let Some(a) = s.try_next().await? {
                let updated_at = a.extra.get("updatedAt").and_then(lenient_secs);
                let item = to_item(&a)?;
                out.extend(seen(a.external_id.as_deref(), a.id, updated_at, item));
            }
        }
    }
    Ok(out)
}

/// Writes the snapshot of one entity a delta read saw, and maps its id where the id map
/// does not yet (an existing mapping to another entity with the same identity stays, and
/// that entity's snapshot with it).
async fn record_seen(
    cx: &Context,
    store: &str,
    kind: Mirrored,
    s: Seen,
    read_at: i64,
) -> Result<(), ApplyError> {
    if let Some(map_key) = mirror_id_key(store, kind, &s.identity) {
        match cx.state.get_id(&map_key).await? {
            Some(mapped) if mapped != s.id => return Ok(()),
            Some(_) => {}
            None => cx.state.put_id(&map_key, s.id).await?,
        }
    }
    let snapshot = Snapshot {
        id: s.id,
        read_at,
        item: s.item,
    };
    let value = serde_json::to_value(&snapshot)
        .map_err(|e| ApplyError::Permanent(format!("mirror snapshot: {e}")))?;
    cx.state
        .put_watermark(&snapshot_key(store, kind, &s.identity), &value)
        .await?;
    Ok(())
}

/// The id-map key of an identity, for the kinds whose identity is the id map's (a buyer's
/// id-map key is its command's external id, which BigCommerce does not hold).
fn mirror_id_key(store: &str, kind: Mirrored, identity: &str) -> Option<String> {
    match kind {
        Mirrored::Companies => Some(id_key(store, Kind::Company, identity)),
        Mirrored::Addresses => Some(id_key(store, Kind::Address, identity)),
        Mirrored::Users => None,
    }
}

/// What the mirror knows of the entity of `kind` with `identity`; `map_key` is its id-map
/// key, which names entities created or found since the last delta read.
pub(crate) async fn mirrored<T: DeserializeOwned>(
    cx: &Context,
    store: &str,
    kind: Mirrored,
    identity: &str,
    map_key: &str,
) -> Result<Mirror<T>, ApplyError> {
    let read_at = mirror_read_at(cx, store, kind).await;
    if read_at.is_none() {
        return Ok(Mirror::Unknown);
    }
    let snapshot = snapshot(cx, store, kind, identity).await?;
    let Some(s) = snapshot else {
        if let Some(id) = cx.state.get_id(map_key).await? {
            return Ok(Mirror::Stale(id));
        }
        // A create begun after this mirror was read, whose id was never recorded (the
        // process died, or the answer was lost), may have made it: look it up.
        let creating = cx
            .state
            .get_id(&creating_key(store, kind, identity))
            .await?;
        return Ok(match (creating, read_at) {
            (Some(c), Some(r)) if c + TOUCH_MARGIN_MS >= r => Mirror::Unknown,
            _ => Mirror::Absent,
        });
    };
    if s.item.is_null() {
        // Known deleted (a write of ours answered 404).
        return Ok(Mirror::Absent);
    }
    for marker in ["written", "changed"] {
        let at = cx
            .state
            .get_id(&entity_marker(store, kind, s.id, marker))
            .await?;
        if at.is_some_and(|t| s.read_at <= t + TOUCH_MARGIN_MS) {
            return Ok(Mirror::Stale(s.id));
        }
    }
    Ok(match serde_json::from_value::<T>(s.item) {
        Ok(item) => Mirror::Current(item),
        Err(e) => {
            tracing::warn!(identity, error = %e, "mirror snapshot unreadable; reading the entity");
            Mirror::Stale(s.id)
        }
    })
}

/// The snapshot of the entity of `kind` with `identity`, if the mirror holds a readable one.
async fn snapshot(
    cx: &Context,
    store: &str,
    kind: Mirrored,
    identity: &str,
) -> Result<Option<Snapshot>, ApplyError> {
    let stored = cx
        .state
        .get_watermark(&snapshot_key(store, kind, identity))
        .await?;
    Ok(match stored.map(serde_json::from_value::<Snapshot>) {
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            tracing::warn!(identity, error = %e, "mirror snapshot unreadable; reading the entity");
            None
        }
        None => None,
    })
}

/// Whether the entity of `kind` with `identity` was changed in BigCommerce after our last
/// write of it (its modification time, as the mirror last read it, is later than our last
/// touch): then the replay of a command applied before is applied again, to repair that drift.
/// `false` when the mirror cannot tell (off, unread, the entity unknown or deleted).
pub(crate) async fn edited_elsewhere(
    cx: &Context,
    store: &str,
    kind: Mirrored,
    identity: &str,
) -> Result<bool, ApplyError> {
    if mirror_read_at(cx, store, kind).await.is_none() {
        return Ok(false);
    }
    let Some(s) = snapshot(cx, store, kind, identity).await? else {
        return Ok(false);
    };
    let Some(modified) = s.item.get("updatedAt").and_then(lenient_secs) else {
        return Ok(false);
    };
    let written = cx
        .state
        .get_id(&entity_marker(store, kind, s.id, "written"))
        .await?
        .unwrap_or(0);
    // Modification times are whole seconds: an edit within the second after our write
    // (plus the margin) is taken for ours.
    Ok(modified * 1000 > written + TOUCH_MARGIN_MS)
}

/// Marks entity `id` of `kind` written by us now, before the write: snapshots read earlier
/// are no longer trusted (another instance may hold one from before this write), and its
/// modification times up to now are ours.
pub(crate) async fn touch(
    cx: &Context,
    store: &str,
    kind: Mirrored,
    id: i64,
) -> Result<(), ApplyError> {
    if !cx.store_mirror {
        return Ok(());
    }
    cx.state
        .put_id(&entity_marker(store, kind, id, "written"), now_millis())
        .await?;
    Ok(())
}

/// Marks the entities of `kind` with `identities` as being created now, before the create
/// request: until a mirror read after it, they are not taken for absent, so a replay after
/// a create whose answer was lost looks them up instead of creating them twice.
pub(crate) async fn creating(
    cx: &Context,
    store: &str,
    kind: Mirrored,
    identities: impl IntoIterator<Item = &str>,
) -> Result<(), ApplyError> {
    if !cx.store_mirror {
        return Ok(());
    }
    let now = now_millis();
    for identity in identities {
        cx.state
            .put_id(&creating_key(store, kind, identity), now)
            .await?;
    }
    Ok(())
}

/// Records that the entity of `kind` with `identity` is gone from BigCommerce (a write
/// answered 404): the mirror takes it for absent until a delta read sees it again.
pub(crate) async fn forget(cx: &Context, store: &str, kind: Mirrored, identity: &str, id: i64) {
    if !cx.store_mirror {
        return;
    }
    let gone = json!({ "id": id, "read_at": now_millis(), "item": null });
    if let Err(e) = cx
        .state
        .put_watermark(&snapshot_key(store, kind, identity), &gone)
        .await
    {
        tracing::warn!(identity, error = %e, "deleted entity not recorded in the mirror");
    }
}

/// Takes note of a `store/company/*` webhook about a change made elsewhere (one about our
/// own write, made within the margin after it, is ours): the entity's snapshot is no longer
/// trusted, and the next batch reads the kind's changes (the change may have made a new
/// identity). Other scopes: nothing.
pub async fn touch_by_event(cx: &Context, event: &WebhookEvent) -> Result<(), ApplyError> {
    let Some(kind) = touched_kind(&event.scope) else {
        return Ok(());
    };
    if !cx.store_mirror {
        return Ok(());
    }
    let field = match kind {
        Mirrored::Companies => "company_id",
        Mirrored::Users => "user_id",
        Mirrored::Addresses => "address_id",
    };
    let store = event.store_hash.as_str();
    let now = now_millis();
    let Some(id) = event.data.get(field).and_then(lenient_secs) else {
        tracing::warn!(scope = %event.scope, field, "webhook names no entity; the next batch reads the changes");
        cx.state.put_id(&kind_changed_key(store, kind), now).await?;
        return Ok(());
    };
    let at = event.created_at.map(|s| s * 1000).unwrap_or(now);
    let written = cx
        .state
        .get_id(&entity_marker(store, kind, id, "written"))
        .await?;
    if written.is_some_and(|w| at <= w + TOUCH_MARGIN_MS) {
        return Ok(());
    }
    cx.state
        .put_id(&entity_marker(store, kind, id, "changed"), now)
        .await?;
    cx.state.put_id(&kind_changed_key(store, kind), now).await?;
    Ok(())
}

/// The kind a webhook scope is about, for the scopes that change mirrored entities.
fn touched_kind(scope: &str) -> Option<Mirrored> {
    if scope.starts_with("store/company/user/") {
        Some(Mirrored::Users)
    } else if scope.starts_with("store/company/address/") {
        Some(Mirrored::Addresses)
    } else if scope.starts_with("store/company/") {
        Some(Mirrored::Companies)
    } else {
        None
    }
}

/// An integer that may come as a JSON number or a string of digits.
fn lenient_secs(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// An entity as the snapshot keeps it.
fn to_item<T: Serialize>(entity: &T) -> Result<Value, ApplyError> {
    serde_json::to_value(entity).map_err(|e| ApplyError::Permanent(format!("mirror snapshot: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(identity: &str, id: i64) -> Seen {
        Seen {
            identity: identity.into(),
            id,
            updated_at: None,
            item: Value::Null,
        }
    }

    #[test]
    fn the_oldest_entity_keeps_a_shared_identity() {
        let kept = by_identity(vec![seen("a", 7), seen("a", 3), seen("b", 9), seen("a", 5)]);
        let mut ids: Vec<_> = kept.iter().map(|s| (s.identity.as_str(), s.id)).collect();
        ids.sort();
        assert_eq!(ids, [("a", 3), ("b", 9)]);
    }

    #[test]
    fn webhook_scopes_name_the_kind_they_touch() {
        assert_eq!(
            touched_kind("store/company/updated"),
            Some(Mirrored::Companies)
        );
        assert_eq!(
            touched_kind("store/company/user/created"),
            Some(Mirrored::Users)
        );
        assert_eq!(
            touched_kind("store/company/address/deleted"),
            Some(Mirrored::Addresses)
        );
        assert_eq!(touched_kind("store/order/created"), None);
        assert_eq!(touched_kind("store/quote/updated"), None);
    }
}
