//! auth-callback: the BigCommerce app install callback (`GET /auth`).
//!
//! BigCommerce sends the merchant's browser to `GET /auth?code=..&scope=..&context=stores/{hash}`.
//! The function exchanges the code at the OAuth token URL (with the app's client id and secret
//! from `APP_SECRET_ID`), stores the store token in the store secret `{STORE_SECRET_PREFIX}{hash}`
//! (created if missing, otherwise a new version keeping its other fields), and answers a small
//! HTML page. Errors are readable pages, never with a token or secret: 400 for missing or invalid
//! parameters, 502 when the token exchange fails, 503 when Secrets Manager is unavailable or the
//! app secret is not filled in yet (an empty, placeholder or short client secret is never used),
//! 500 for a misconfiguration.
//!
//! Every environment variable is read in [`settings`]; [`callback`] builds the [`AuthCallback`]
//! they describe.

/// The OAuth code exchange, from the client crate.
pub use bigcommerce_b2b::oauth as exchange;
pub mod lifecycle;
pub mod page;
pub mod settings;
pub mod signed_payload;
pub mod store;

use std::sync::Arc;

use b2b_shared::state::{DynamoState, StateStore};
use b2b_shared::stores::{StoreRecord, StoreRegistry, StoreSource, StoreStatus};

use bigcommerce_b2b::StoreHash;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use secrecy::SecretString;

use crate::exchange::{exchange, Grant};
use crate::lifecycle::Lifecycle;
use crate::page::page;
use crate::settings::Settings;
use crate::store::{app_credentials, now_unix, write_store_secret, StoreError, Written};

/// The callback, wired once per cold start.
#[derive(Clone)]
pub struct AuthCallback {
    /// The settings.
    pub settings: Settings,
    /// Secrets Manager.
    pub secrets: b2b_shared::secrets::SecretsApi,
    /// The HTTP client for the token exchange.
    pub http: reqwest::Client,
    /// The store registry (in the state table): installs add the store, uninstalls remove it.
    pub registry: Arc<dyn StoreRegistry>,
    /// The state table, for the status page: export positions and dead-letter counts.
    pub state: Arc<dyn StateStore>,
}

/// The callback that `settings` describe, with Secrets Manager and the state table from `sdk`.
/// Fails only when the HTTP client cannot be built.
pub fn callback(settings: &Settings, sdk: &aws_config::SdkConfig) -> Result<AuthCallback, String> {
    let state = Arc::new(DynamoState::new(
        aws_sdk_dynamodb::Client::new(sdk),
        settings.state_table.clone(),
    ));
    Ok(AuthCallback {
        settings: settings.clone(),
        secrets: b2b_shared::secrets::SecretsApi::new(aws_sdk_secretsmanager::Client::new(sdk)),
        http: exchange::http_client(settings.trust_roots)?,
        registry: state.clone(),
        state,
    })
}

/// Reads and validates the callback's query parameters.
pub fn parse_grant(req: &Request) -> Result<Grant, String> {
    let params = req.query_string_parameters();
    let get = |k: &str| params.first(k).map(str::trim).filter(|v| !v.is_empty());
    let mut missing = Vec::new();
    for k in ["code", "scope", "context"] {
        if get(k).is_none() {
            missing.push(k);
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "The install link is missing {}. Start the install again from the BigCommerce control panel.",
            missing.join(", ")
        ));
    }
    let context = get("context").unwrap_or_default();
    let store_hash = context
        .strip_prefix("stores/")
        .and_then(|h| StoreHash::parse(h).ok())
        .ok_or_else(|| {
            "The install link's context is not a store (expected stores/{store hash}).".to_owned()
        })?;
    Ok(Grant {
        code: SecretString::from(get("code").unwrap_or_default().to_owned()),
        scope: get("scope").unwrap_or_default().to_owned(),
        context: context.to_owned(),
        store_hash,
    })
}

/// This callback's own URL, as API Gateway served the request: `https://` + its domain (the
/// execute-api domain, or a custom domain mapped to the API) + the request's path. `None` when
/// the request did not come through API Gateway's HTTP API.
pub fn request_url(req: &Request) -> Option<String> {
    let domain = match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx.domain_name.clone()?,
        #[allow(unreachable_patterns)] // other event sources are compiled out
        _ => return None,
    };
    if domain.is_empty()
        || !domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
    {
        return None;
    }
    Some(format!("https://{domain}{}", req.uri().path()))
}

/// The page for a Secrets Manager failure: 503 when retrying may help or the app is not set up
/// yet, 500 otherwise.
pub(crate) fn store_error_page(e: &StoreError) -> Response<Body> {
    match e {
        StoreError::Unavailable(_) => page(
            503,
            "Install could not be completed",
            "Secure storage is unavailable right now. Please try installing the app again in a few minutes.",
        ),
        StoreError::Unconfigured(_) => page(
            503,
            "Install could not be completed",
            "The app's server is not set up yet. Please try again later, or contact the app's support.",
        ),
        StoreError::Permanent(_) => page(
            500,
            "Install could not be completed",
            "The app's server is not configured correctly. Please contact the app's support.",
        ),
    }
}

impl AuthCallback {
    /// The secret `store`'s credentials are kept in: `{STORE_SECRET_PREFIX}{hash}`.
    pub fn store_secret_id(&self, store: &StoreHash) -> String {
        format!("{}{}", self.settings.store_secret_prefix, store)
    }

    /// Records in the registry that app-installed `store` is now `status`, since now.
    pub(crate) async fn record_store(
        &self,
        store: &StoreHash,
        status: StoreStatus,
    ) -> Result<(), b2b_shared::state::StateError> {
        let record = StoreRecord {
            store_hash: store.to_string(),
            secret_id: self.store_secret_id(store),
            source: StoreSource::App,
            status,
            since: now_unix(),
        };
        self.registry.put_store(&record).await
    }

    /// The app's client id and secret (`APP_SECRET_ID`), or the error page to answer with.
    pub(crate) async fn app(&self) -> Result<exchange::AppCredentials, Response<Body>> {
        let settings = &self.settings;
        let read = app_credentials(
            &self.secrets,
            &settings.app_secret_id,
            settings.client_id.as_deref(),
        );
        read.await.map_err(|e| {
            match &e {
                StoreError::Unconfigured(unusable) => tracing::error!(
                    secret_id = %unusable.secret,
                    field = %unusable.field,
                    outcome = "unusable_credential",
                    error = %e,
                    "request refused: the app secret's credential may not be used"
                ),
                _ => tracing::error!(error = %e, retryable = e.is_retryable(), "app credentials unavailable"),
            }
            store_error_page(&e)
        })
    }

    /// Serves one request: `GET /auth` (the install), `/load`, `/uninstall` or `/remove_user`.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        let path = req.uri().path().trim_end_matches('/');
        let lifecycle = Lifecycle::of_path(path);
        if lifecycle.is_none() && !path.ends_with("/auth") && path != "auth" {
            return page(
                404,
                "Not found",
                "This app serves /auth, /load, /uninstall and /remove_user.",
            );
        }
        if req.method() != lambda_http::http::Method::GET {
            return page(405, "Method not allowed", "Use GET.");
        }
        match lifecycle {
            Some(which) => self.lifecycle(which, &req).await,
            None => self.install(&req).await,
        }
    }

    /// The install: the code exchanged for the store's token, the token kept in the store's
    /// secret (restored first when the store had been uninstalled), the store registered.
    async fn install(&self, req: &Request) -> Response<Body> {
        let grant = match parse_grant(req) {
            Ok(g) => g,
            Err(reason) => {
                tracing::warn!(%reason, "install callback with invalid parameters");
                return page(400, "Install could not be completed", &reason);
            }
        };
        let hash = grant.store_hash.clone();
        // The redirect URI must repeat the registered one: configured, or this request's own.
        let Some(redirect_uri) = self
            .settings
            .redirect_uri
            .clone()
            .or_else(|| request_url(req))
        else {
            tracing::error!(store = %hash, "no AUTH_REDIRECT_URI and no API Gateway domain to derive it from");
            return page(
                500,
                "Install could not be completed",
                "The app's server is not configured correctly. Please contact the app's support.",
            );
        };
        let app = match self.app().await {
            Ok(app) => app,
            Err(page) => return page,
        };
        let installed = match exchange(
            &self.http,
            &self.settings.token_url,
            &app,
            &redirect_uri,
            &grant,
        )
        .await
        {
            Ok(i) => i,
            Err(e) => {
                tracing::error!(store = %hash, error = %e, retryable = e.is_retryable(), "OAuth code exchange failed");
                return page(
                    502,
                    "Install could not be completed",
                    &format!(
                        "{e}. Please start the install again from the BigCommerce control panel."
                    ),
                );
            }
        };
        let secret_id = self.store_secret_id(&hash);
        if let Err(e) = self.restore_if_uninstalled(&hash, &secret_id).await {
            tracing::error!(store = %hash, %secret_id, error = %e, retryable = e.is_retryable(), "the uninstalled store's secret could not be restored");
            return store_error_page(&e);
        }
        let written = match write_store_secret(&self.secrets, &secret_id, &hash, &app, &installed)
            .await
        {
            Ok(written) => written,
            Err(e) => {
                tracing::error!(store = %hash, %secret_id, error = %e, retryable = e.is_retryable(), "store token could not be stored");
                return store_error_page(&e);
            }
        };
        if let Err(e) = self.record_store(&hash, StoreStatus::Active).await {
            // The secret is written; installing again writes it again and registers the store.
            tracing::error!(store = %hash, error = %e, "store token stored but the store not registered");
            return store_error_page(&StoreError::Unavailable(e.to_string()));
        }
        tracing::info!(store = %hash, %secret_id, created = (written == Written::Created), scope = ?installed.scope, "app installed; store token stored and store registered");
        page(
            200,
            &format!("App installed for store {hash}"),
            "The integration can now reach your store. You can close this page.",
        )
    }

    /// A store uninstalled before has its secret scheduled for deletion: cancel that first, so
    /// the new token can be written to it.
    async fn restore_if_uninstalled(
        &self,
        store: &StoreHash,
        secret_id: &str,
    ) -> Result<(), StoreError> {
        let record = self
            .registry
            .get_store(store.as_str())
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        if record.is_some_and(|r| r.status == StoreStatus::Uninstalled) {
            match self.secrets.restore(secret_id).await {
                Ok(()) | Err(b2b_shared::secrets::SecretError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str) -> Request {
        let event = serde_json::json!({
            "version": "2.0", "routeKey": "$default", "rawPath": "/auth", "rawQueryString": query,
            "headers": {}, "isBase64Encoded": false,
            "requestContext": {"accountId": "1", "apiId": "a", "domainName": "d", "domainPrefix": "d",
                "http": {"method": "GET", "path": "/auth", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "t"},
                "requestId": "r", "routeKey": "$default", "stage": "$default", "time": "26/Nov/2026:12:00:00 +0000", "timeEpoch": 0}
        });
        lambda_http::request::from_str(&event.to_string()).unwrap()
    }

    #[test]
    fn the_callback_is_built_from_the_settings() {
        let settings = Settings::from_lookup(|k| match k {
            "APP_SECRET_ID" => Some("bigcommerce/app".into()),
            "STORE_SECRET_PREFIX" => Some("stack/bigcommerce/store/".into()),
            "STATE_TABLE" => Some("state".into()),
            _ => None,
        })
        .unwrap();
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let callback = callback(&settings, &sdk).unwrap();
        assert_eq!(callback.settings, settings);
    }

    #[test]
    fn parameters_are_required_and_the_context_must_be_a_store() {
        let g = parse_grant(&request(
            "code=c1&scope=store_v2_products&context=stores%2Fabc123",
        ))
        .unwrap();
        assert_eq!(g.store_hash.as_str(), "abc123");
        assert_eq!(g.context, "stores/abc123");
        let e = parse_grant(&request("scope=x")).unwrap_err();
        assert!(e.contains("code, context"), "{e}");
        let e = parse_grant(&request("code=c&scope=x&context=stores/ab%2F..")).unwrap_err();
        assert!(e.contains("not a store"), "{e}");
        assert!(parse_grant(&request("code=c&scope=x&context=accounts/1")).is_err());
    }
}
