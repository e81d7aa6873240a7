//! Core webhooks (`/v3/hooks`): list, create, read, update and delete, and the admin view
//! (`/v3/hooks/admin`) with each hook's delivery status and the blocked destinations.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use crate::reply::{
    json_status, no_content, path_id, v3_body, v3_data, v3_err, v3_invalid, v3_list, v3_list_body,
    v3_not_found, v3_page, v3_unprocessable, Answer, Links, PathParams,
};
use crate::state::App;
use crate::store::{int, max_key, now_secs, text};

/// The webhook routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/stores/{store_hash}/v3/hooks",
            get(list_hooks).post(create_hook),
        )
        .route(
            "/stores/{store_hash}/v3/hooks/admin",
            get(hooks_admin).put(update_hooks_admin),
        )
        .route(
            "/stores/{store_hash}/v3/hooks/{webhook_id}",
            get(get_hook).put(update_hook).delete(delete_hook),
        )
}

/// A hook body, which must be a JSON object.
fn hook_body(bytes: &[u8]) -> Result<Value, Response> {
    match v3_body(bytes)? {
        b @ Value::Object(_) => Ok(b),
        _ => Err(v3_err(
            StatusCode::BAD_REQUEST,
            "The request body must be a JSON object",
            json!({}),
        )),
    }
}

/// A hook as the API shows it: without the delivery `status` the admin list adds.
fn hook_public(h: &Value) -> Value {
    let mut h = h.clone();
    if let Some(o) = h.as_object_mut() {
        o.remove("status");
    }
    h
}

async fn list_hooks(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let (p, page) = v3_page(q)?;
    let active = p.get("is_active").map(|v| v == "true" || v == "1");
    let scope = p.get("scope").map(str::to_string);
    let dest = p.get("destination").map(str::to_string);
    let items: Vec<Value> = app
        .data()
        .hooks
        .values()
        .filter(|h| {
            active.is_none_or(|a| h.get("is_active").and_then(Value::as_bool) == Some(a))
                && scope.as_ref().is_none_or(|s| text(h, "scope") == *s)
                && dest.as_ref().is_none_or(|d| text(h, "destination") == *d)
        })
        .map(hook_public)
        .collect();
    let total = items.len();
    Ok(v3_list(page.slice(&items), &page, total, Links::With))
}

async fn create_hook(State(app): State<Arc<App>>, body: Bytes) -> Answer {
    let body = hook_body(&body)?;
    let mut errors = Map::new();
    let scope = text(&body, "scope");
    if !scope.starts_with("store/") {
        errors.insert(
            "scope".into(),
            json!("scope is required and must start with store/"),
        );
    }
    let dest = text(&body, "destination");
    if !(dest.starts_with("https://") || dest.starts_with("http://")) {
        errors.insert(
            "destination".into(),
            json!("destination must be an http(s) URL"),
        );
    }
    let headers = match body.get("headers") {
        None | Some(Value::Null) => json!({}),
        Some(h @ Value::Object(_)) => h.clone(),
        Some(_) => {
            errors.insert(
                "headers".into(),
                json!("headers must be an object of strings"),
            );
            json!({})
        }
    };
    if !errors.is_empty() {
        return Err(v3_invalid(errors));
    }
    let now = now_secs();
    let mut store = app.data();
    let max = max_key(&store.hooks);
    let id = store.next_id("hook", max);
    let hook = json!({
        "id": id,
        "client_id": "sandbox-client",
        "store_hash": app.opts.store_hash,
        "scope": scope,
        "destination": dest,
        "headers": headers,
        "is_active": body.get("is_active").and_then(Value::as_bool).unwrap_or(true),
        "created_at": now,
        "updated_at": now,
    });
    store.hooks.insert(id, hook.clone());
    drop(store);
    Ok(v3_data(hook))
}

async fn get_hook(State(app): State<Arc<App>>, Path(p): PathParams) -> Response {
    let found = path_id(&p, "webhook_id").and_then(|id| app.data().hooks.get(&id).cloned());
    match found {
        Some(h) => v3_data(hook_public(&h)),
        None => v3_not_found("Webhook"),
    }
}

async fn update_hook(State(app): State<Arc<App>>, Path(p): PathParams, body: Bytes) -> Answer {
    let body = hook_body(&body)?;
    let Some(id) = path_id(&p, "webhook_id") else {
        return Err(v3_not_found("Webhook"));
    };
    let mut store = app.data();
    let Some(h) = store.hooks.get_mut(&id) else {
        return Err(v3_not_found("Webhook"));
    };
    for f in ["scope", "destination"] {
        if let Some(v) = body.get(f).and_then(Value::as_str) {
            h[f] = json!(v);
        }
    }
    if let Some(v) = body.get("headers").filter(|v| v.is_object()) {
        h["headers"] = v.clone();
    }
    if let Some(a) = body.get("is_active").and_then(Value::as_bool) {
        h["is_active"] = json!(a);
        if a {
            if let Some(o) = h.as_object_mut() {
                o.remove("status");
            }
        }
    }
    h["updated_at"] = json!(now_secs());
    let out = hook_public(h);
    drop(store);
    Ok(v3_data(out))
}

async fn delete_hook(State(app): State<Arc<App>>, Path(p): PathParams) -> Response {
    let removed = path_id(&p, "webhook_id").and_then(|id| app.data().hooks.remove(&id));
    match removed {
        Some(h) => v3_data(hook_public(&h)),
        None => v3_not_found("Webhook"),
    }
}

async fn hooks_admin(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let (p, page) = v3_page(q)?;
    let active = p.get("is_active").map(|v| v == "true" || v == "1");
    let store = app.data();
    let now = now_secs();
    let hooks: Vec<Value> = store
        .hooks
        .values()
        .filter(|h| {
            let is_active = h.get("is_active").and_then(Value::as_bool).unwrap_or(true);
            match active {
                Some(a) => is_active == a,
                None => !is_active,
            }
        })
        .map(|h| {
            let mut h = h.clone();
            if h.get("status").is_none() {
                let active = h.get("is_active").and_then(Value::as_bool).unwrap_or(true);
                h["status"] = json!(if active { "active" } else { "inactive" });
            }
            h
        })
        .collect();
    let blocked: Vec<Value> = store
        .blocked_domains
        .iter()
        .filter(|d| int(d, "until").unwrap_or(0) > now)
        .map(|d| {
            json!({
                "destination": text(d, "destination"),
                "time_left": int(d, "until").unwrap_or(0) - now,
                "reasons": d.get("reasons").cloned().unwrap_or_else(|| json!([])),
            })
        })
        .collect();
    drop(store);
    let total = hooks.len();
    let mut body = v3_list_body(page.slice(&hooks), &page, total, Links::With);
    let list = body.get("data").cloned().unwrap_or_else(|| json!([]));
    body["data"] = json!({"emails": [], "hooks_list": list, "blocked_domains": blocked});
    Ok(json_status(StatusCode::OK, &body))
}

async fn update_hooks_admin(body: Bytes) -> Response {
    match v3_body(&body) {
        Ok(b) if b.get("emails").is_some_and(Value::is_array) => no_content(),
        Ok(_) => v3_unprocessable("emails must be an array"),
        Err(r) => r,
    }
}
