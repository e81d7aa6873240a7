//! The app's lifecycle after the install: `GET /load` (the merchant opens the app: a status page
//! for the store), `GET /uninstall` (the store leaves the registry at once, so every function
//! refuses its webhooks, commands and exports from then on, and its secret is scheduled for
//! deletion) and `GET /remove_user` (nothing is kept per user: logged). Each request carries a
//! `signed_payload_jwt` that is verified before anything else ([`crate::signed_payload`]).

use b2b_export::StreamKind;
use b2b_shared::secrets::{SecretError, SecretSource};
use b2b_shared::stores::StoreStatus;
use bigcommerce_b2b::StoreHash;
use lambda_http::{Body, Request, RequestExt, Response};

use crate::page::{escape, page, page_html};
use crate::signed_payload::{verify, Verified};
use crate::AuthCallback;

/// The lifecycle callbacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// `GET /load`.
    Load,
    /// `GET /uninstall`.
    Uninstall,
    /// `GET /remove_user`.
    RemoveUser,
}

impl Lifecycle {
    /// The callback a path ends with, if any.
    pub fn of_path(path: &str) -> Option<Self> {
        let last = path.trim_end_matches('/').rsplit('/').next()?;
        match last {
            "load" => Some(Self::Load),
            "uninstall" => Some(Self::Uninstall),
            "remove_user" => Some(Self::RemoveUser),
            _ => None,
        }
    }
}

impl AuthCallback {
    /// Serves one lifecycle callback: the payload verified with the app's credentials first.
    pub async fn lifecycle(&self, which: Lifecycle, req: &Request) -> Response<Body> {
        let params = req.query_string_parameters();
        let Some(token) = params.first("signed_payload_jwt").filter(|t| !t.is_empty()) else {
            return page(
                400,
                "This link is incomplete",
                "Open the app again from the BigCommerce control panel.",
            );
        };
        let app = match self.app().await {
            Ok(app) => app,
            Err(page) => return page,
        };
        let verified = match verify(token, &app) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(callback = ?which, error = %e, "lifecycle callback refused");
                return page(
                    401,
                    "This link could not be verified",
                    "Open the app again from the BigCommerce control panel.",
                );
            }
        };
        let user = verified.user.as_ref().map(|u| u.id);
        tracing::info!(callback = ?which, store = %verified.store_hash, user, "lifecycle callback verified");
        match which {
            Lifecycle::Load => self.status_page(&verified).await,
            Lifecycle::Uninstall => self.uninstall(&verified.store_hash).await,
            Lifecycle::RemoveUser => page(
                200,
                "User removed",
                "This app keeps nothing per user; the store's integration is unchanged.",
            ),
        }
    }

    /// Takes the store out of the registry (atomically: from now on it is refused everywhere,
    /// and exports stop at their next run), then schedules its secret for deletion with a
    /// recovery window (a reinstall within it restores the secret).
    async fn uninstall(&self, store: &StoreHash) -> Response<Body> {
        let secret_id = self.store_secret_id(store);
        if let Err(e) = self.record_store(store, StoreStatus::Uninstalled).await {
            tracing::error!(%store, error = %e, "uninstall not recorded; BigCommerce is asked to retry");
            return page(
                503,
                "Uninstall could not be completed",
                "Please try again in a few minutes.",
            );
        }
        let days = self.settings.secret_recovery_days;
        match self.secrets.schedule_deletion(&secret_id, days).await {
            Ok(()) | Err(SecretError::NotFound { .. }) => {
                tracing::info!(%store, %secret_id, recovery_days = days, "app uninstalled: store unregistered, secret scheduled for deletion");
            }
            Err(e) => {
                // The store is unregistered, which is what stops everything; the secret stays.
                tracing::error!(%store, %secret_id, error = %e, "app uninstalled, but its secret could not be scheduled for deletion: delete it by hand");
            }
        }
        page(
            200,
            &format!("App uninstalled from store {store}"),
            "The integration no longer reaches this store. Data already exported stays where it was delivered.",
        )
    }

    /// The store's status: registered or not, its secret readable, each export's position.
    async fn status_page(&self, verified: &Verified) -> Response<Body> {
        let store = &verified.store_hash;
        let registered = match self.registry.get_store(store.as_str()).await {
            Ok(Some(r)) if r.status == StoreStatus::Active => {
                format!("served since {}", utc(r.since))
            }
            Ok(Some(r)) => format!("uninstalled {}", utc(r.since)),
            Ok(None) => "not registered: install the app again".to_owned(),
            Err(e) => {
                tracing::error!(%store, error = %e, "store registry unavailable");
                "unknown (the state table is unavailable)".to_owned()
            }
        };
        let token = match self.store_secret(store).await {
            Ok(secret) if &secret.store_hash == store => "stored".to_owned(),
            Ok(_) => "the secret names another store: install the app again".to_owned(),
            Err(e) => format!("unavailable ({})", short(&e.to_string())),
        };
        let mut rows = vec![("Store", store.to_string()), ("Integration", registered)];
        rows.push(("API token", token));
        for stream in StreamKind::ALL {
            let key = b2b_export::watermark_key(store.as_str(), stream);
            let position = match self.state.get_watermark(&key).await {
                Ok(Some(v)) => v
                    .get("t")
                    .and_then(|t| t.as_i64())
                    .map(|t| format!("everything changed before {}", utc(t)))
                    .unwrap_or_else(|| "position unreadable".into()),
                Ok(None) => "not exported yet".into(),
                Err(_) => "unknown (the state table is unavailable)".into(),
            };
            rows.push((stream.title(), position));
        }
        rows.push(("Dead letters", self.dead_letter_row(store).await));
        let table: String = rows
            .iter()
            .map(|(k, v)| format!("<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(v)))
            .collect();
        page_html(
            200,
            &format!("Integration status for store {store}"),
            &format!("<table>{table}</table>"),
        )
    }

    /// The dead-letter row: how many of the store's records were parked, the last one's time
    /// and reason.
    async fn dead_letter_row(&self, store: &StoreHash) -> String {
        match self.state.dead_letters(store.as_str()).await {
            Ok(None) => "none".into(),
            Ok(Some(d)) => format!(
                "{} parked in the dead-letter queue; the last at {}: {}",
                d.count,
                utc(d.last_at),
                d.last_reason
            ),
            Err(e) => {
                tracing::error!(%store, error = %e, "dead-letter count unavailable");
                "unknown (the state table is unavailable)".into()
            }
        }
    }

    /// The store's secret, read now (the status page shows whether it is there).
    async fn store_secret(
        &self,
        store: &StoreHash,
    ) -> Result<std::sync::Arc<b2b_shared::StoreSecret>, SecretError> {
        let cache = b2b_shared::SecretCache::new(
            self.secrets.clone(),
            self.store_secret_id(store),
            std::time::Duration::ZERO,
        );
        SecretSource::current(&cache).await
    }
}

fn utc(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| unix.to_string())
}

fn short(text: &str) -> &str {
    text.get(..120).unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callbacks_are_told_by_their_last_path_segment() {
        assert_eq!(Lifecycle::of_path("/load"), Some(Lifecycle::Load));
        assert_eq!(
            Lifecycle::of_path("/prod/uninstall/"),
            Some(Lifecycle::Uninstall)
        );
        assert_eq!(
            Lifecycle::of_path("remove_user"),
            Some(Lifecycle::RemoveUser)
        );
        assert_eq!(Lifecycle::of_path("/auth"), None);
        assert_eq!(Lifecycle::of_path("/unload"), None);
    }
}
