//! Webhook delivery: events queued by changes are sent to `--webhook-url` and to every active
//! `/v3/hooks` registration whose scope matches, as BigCommerce does (payload
//! `{scope, store_id, data, hash, created_at, producer}`, the hook's custom headers, Standard
//! Webhooks signature headers), with exponential back-off retries; a hook whose deliveries keep
//! failing is deactivated and its domain blocked for a while.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha1::Digest;

use crate::state::{lock, App, Event};
use crate::store::{int, now_secs, text, Store};

/// Whether a hook's scope (possibly ending in `/*`) covers an event scope.
pub fn scope_matches(hook_scope: &str, scope: &str) -> bool {
    match hook_scope.strip_suffix("/*") {
        Some(prefix) => scope.starts_with(prefix) && scope[prefix.len()..].starts_with('/'),
        None => hook_scope == scope,
    }
}

/// The numeric store id reported in payloads, derived from the store hash.
pub fn store_id(hash: &str) -> String {
    let sum = hash.bytes().fold(1_000_003u64, |a, b| {
        a.wrapping_mul(31).wrapping_add(u64::from(b))
    });
    (1_000_000 + sum % 9_000_000).to_string()
}

/// The JSON body BigCommerce posts.
pub fn payload(store_hash: &str, ev: &Event) -> Value {
    let inner = json!({"scope": ev.scope, "data": ev.data, "created_at": ev.created_at});
    let digest = sha1::Sha1::digest(inner.to_string().as_bytes());
    let hash: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    json!({
        "scope": ev.scope,
        "store_id": store_id(store_hash),
        "data": ev.data,
        "hash": hash,
        "created_at": ev.created_at,
        "producer": format!("stores/{store_hash}"),
    })
}

/// The signing key of a Standard Webhooks secret: base64-decoded after `whsec_`, else raw bytes.
pub fn signing_key(secret: &str) -> Vec<u8> {
    match secret.strip_prefix("whsec_") {
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap_or_else(|_| secret.as_bytes().to_vec()),
        None => secret.as_bytes().to_vec(),
    }
}

/// `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = match <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let sig = mac.finalize().into_bytes();
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(sig)
    )
}

fn domain_of(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.split(['/', '?']).next().unwrap_or("").to_string()
}

/// Blocks a destination domain for `secs` seconds.
pub fn block_domain(store: &mut Store, destination: &str, secs: i64, why: &str) {
    let domain = domain_of(destination);
    let now = now_secs();
    store
        .blocked_domains
        .retain(|d| domain_of(&text(d, "destination")) != domain);
    store.blocked_domains.push(json!({
        "destination": destination,
        "until": now + secs,
        "reasons": [{"failure_description": why, "count": 1, "timestamp": now}],
    }));
}

fn is_blocked(store: &Store, destination: &str) -> bool {
    let domain = domain_of(destination);
    let now = now_secs();
    store
        .blocked_domains
        .iter()
        .any(|d| domain_of(&text(d, "destination")) == domain && int(d, "until").unwrap_or(0) > now)
}

/// Starts the task that delivers queued events.
pub fn spawn_dispatcher(app: Arc<App>) {
    let Some(mut rx) = lock(&app.events_rx).take() else {
        return;
    };
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook HTTP client; webhooks are off");
            return;
        }
    };
    let weak = Arc::downgrade(&app);
    drop(app);
    tokio::spawn(async move {
        while let Some(ev) = rx.recv().await {
            let Some(app) = weak.upgrade() else {
                break;
            };
            let mut targets: Vec<(Option<i64>, String, Value)> = Vec::new();
            if let Some(url) = &app.opts.webhook_url {
                targets.push((None, url.clone(), json!({})));
            }
            for h in app.data().hooks.values() {
                let active = h.get("is_active").and_then(Value::as_bool).unwrap_or(true);
                if active && scope_matches(&text(h, "scope"), &ev.scope) {
                    targets.push((
                        int(h, "id"),
                        text(h, "destination"),
                        h.get("headers").cloned().unwrap_or_else(|| json!({})),
                    ));
                }
            }
            if targets.is_empty() {
                continue;
            }
            let body = payload(&app.opts.store_hash, &ev).to_string();
            let msg_id = format!("msg_{}", app.next_seq());
            for (hook, url, headers) in targets {
                let app = app.clone();
                let client = client.clone();
                let body = body.clone();
                let msg_id = msg_id.clone();
                tokio::spawn(async move {
                    deliver(app, client, hook, url, headers, msg_id, body).await;
                });
            }
        }
    });
}

async fn deliver(
    app: Arc<App>,
    client: reqwest::Client,
    hook: Option<i64>,
    url: String,
    headers: Value,
    msg_id: String,
    body: String,
) {
    let attempts = app.opts.webhook_max_attempts.max(1);
    let key = app.opts.webhook_secret.as_deref().map(signing_key);
    let mut last_error = String::new();
    for attempt in 0..attempts {
        if attempt > 0 {
            let delay = app
                .opts
                .webhook_retry_base_ms
                .saturating_mul(1u64 << (attempt - 1).min(20));
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        if is_blocked(&app.data(), &url) {
            last_error = "destination domain is blocked".into();
            continue;
        }
        app.stats
            .webhook_attempts_total
            .fetch_add(1, Ordering::Relaxed);
        let ts = now_secs();
        let mut req = client
            .post(&url)
            .header("content-type", "application/json")
            .header("webhook-id", &msg_id)
            .header("webhook-timestamp", ts.to_string());
        if let Some(key) = &key {
            req = req.header("webhook-signature", sign(key, &msg_id, ts, body.as_bytes()));
        }
        if let Some(h) = headers.as_object() {
            for (k, v) in h {
                if let Some(v) = v.as_str() {
                    req = req.header(k.as_str(), v);
                }
            }
        }
        match req.body(body.clone()).send().await {
            Ok(r) if r.status().is_success() => {
                app.stats
                    .webhook_delivered_total
                    .fetch_add(1, Ordering::Relaxed);
                return;
            }
            Ok(r) => last_error = format!("HTTP {}", r.status().as_u16()),
            Err(e) => last_error = e.to_string(),
        }
    }
    app.stats
        .webhook_failed_total
        .fetch_add(1, Ordering::Relaxed);
    tracing::warn!(%url, error = %last_error, "webhook delivery abandoned");
    if let Some(id) = hook {
        let mut store = app.data();
        if let Some(h) = store.hooks.get_mut(&id) {
            h["is_active"] = json!(false);
            h["status"] = json!("deactivated");
        }
        block_domain(&mut store, &url, 180, &last_error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_and_wildcards() {
        assert!(scope_matches("store/order/*", "store/order/created"));
        assert!(scope_matches(
            "store/company/*",
            "store/company/user/created"
        ));
        assert!(!scope_matches("store/order/*", "store/orders/x"));
        assert!(scope_matches("store/order/created", "store/order/created"));
        assert!(!scope_matches("store/order/created", "store/order/updated"));
    }

    #[test]
    fn standard_webhooks_signature() {
        // Test vector from the Standard Webhooks reference libraries.
        let key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let sig = sign(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert_eq!(signing_key("plain"), b"plain".to_vec());
    }

    #[test]
    fn payload_shape() {
        let ev = Event {
            scope: "store/order/created".into(),
            data: json!({"type": "order", "id": 250}),
            created_at: 1_561_479_335,
        };
        let p = payload("abc", &ev);
        assert_eq!(p["producer"], "stores/abc");
        assert_eq!(p["data"]["id"], 250);
        assert_eq!(p["hash"].as_str().map(str::len), Some(40));
        assert!(p["store_id"].is_string());
    }
}
