//! The app's lifecycle against moto (Secrets Manager and the DynamoDB state table) and a mock
//! token endpoint: install registers the store, `load` shows its status, `uninstall` takes it
//! out of the registry and schedules its secret for deletion, a reinstall restores both, and a
//! payload that is not BigCommerce's for this app changes nothing.
//!
//! Needs moto (`make test`, or `scripts/with-moto.sh cargo test -p auth-callback`).

use std::sync::Arc;

use auth_callback::settings::Settings;
use auth_callback::signed_payload::sign;
use auth_callback::{exchange, AuthCallback};
use b2b_shared::secrets::SecretsApi;
use b2b_shared::state::{DynamoState, Watermarks};
use b2b_shared::stores::{StoreRegistry, StoreStatus};
use b2b_test_support as support;
use lambda_http::{Body, Request, Response};
use serde_json::json;

struct Rig {
    cb: AuthCallback,
    sm: aws_sdk_secretsmanager::Client,
    state: Arc<DynamoState>,
    prefix: String,
    _bc: mockito::ServerGuard,
}

async fn rig() -> Rig {
    let sdk = support::moto().await;
    let sm = aws_sdk_secretsmanager::Client::new(&sdk);
    let prefix = format!("{}/", support::unique("lifecycle"));
    let app = format!("{prefix}app");
    sm.create_secret()
        .name(&app)
        .secret_string(
            json!({"client_id": "app-client", "client_secret": "app-SECRET-0123456789abcdef0123456789"}).to_string(),
        )
        .send()
        .await
        .unwrap();
    let mut bc = mockito::Server::new_async().await;
    bc.mock("POST", "/oauth2/token")
        .with_body(
            json!({"access_token": "store-TOKEN", "scope": "store_b2b_edition",
                "context": "stores/abc123", "user": {"id": 1, "email": "m@example.com"}})
            .to_string(),
        )
        .create_async()
        .await;
    let table = support::state_table(&sdk).await;
    let settings = Settings::from_lookup(|k| match k {
        "APP_SECRET_ID" => Some(app.clone()),
        "AUTH_REDIRECT_URI" => Some("https://apps.example.com/auth".into()),
        "BC_OAUTH_TOKEN_URL" => Some(format!("{}/oauth2/token", bc.url())),
        "STORE_SECRET_PREFIX" => Some(prefix.clone()),
        "STATE_TABLE" => Some(table.clone()),
        _ => None,
    })
    .unwrap();
    let state = Arc::new(DynamoState::new(aws_sdk_dynamodb::Client::new(&sdk), table));
    let cb = AuthCallback {
        settings,
        secrets: SecretsApi::new(sm.clone()),
        http: exchange::http_client(Default::default()).unwrap(),
        registry: state.clone(),
        state: state.clone(),
    };
    Rig {
        cb,
        sm,
        state,
        prefix,
        _bc: bc,
    }
}

fn get(path_and_query: &str) -> Request {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let event = json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": {}, "isBase64Encoded": false,
        "requestContext": {"accountId": "1", "apiId": "a", "domainName": "apps.example.com",
            "domainPrefix": "apps", "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1", "userAgent": "t"}, "requestId": "r", "routeKey": "$default",
            "stage": "$default", "time": "02/Dec/2026:12:00:00 +0000", "timeEpoch": 0}
    });
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

fn install() -> Request {
    get("/auth?code=c1&scope=store_b2b_edition&context=stores%2Fabc123")
}

/// A callback request signed as BigCommerce signs it, for store `store`, with `secret`.
fn signed(callback: &str, store: &str, secret: &str) -> Request {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let claims = json!({"aud": "app-client", "iss": "bc", "iat": now, "nbf": now - 5,
        "exp": now + 3600, "sub": format!("stores/{store}"),
        "user": {"id": 7, "email": "owner@example.com"}, "owner": {"id": 7, "email": "owner@example.com"}});
    get(&format!(
        "/{callback}?signed_payload_jwt={}",
        sign(&claims, secret).unwrap()
    ))
}

fn text(resp: &Response<Body>) -> String {
    match resp.body() {
        Body::Text(t) => t.clone(),
        other => panic!("expected HTML, got {other:?}"),
    }
}

async fn scheduled_for_deletion(rig: &Rig) -> bool {
    let out = rig
        .sm
        .describe_secret()
        .secret_id(format!("{}abc123", rig.prefix))
        .send()
        .await
        .unwrap();
    out.deleted_date.is_some()
}

#[tokio::test]
async fn install_load_uninstall_and_reinstall_keep_the_registry_and_the_secret_right() {
    let rig = rig().await;
    let resp = rig.cb.handle(install()).await;
    assert_eq!(resp.status(), 200, "{}", text(&resp));
    assert_eq!(rig.state.active_stores().await.unwrap(), ["abc123"]);

    let key = b2b_export::watermark_key("abc123", b2b_export::StreamKind::Orders);
    let position = json!({"t": 1_790_000_000, "ids_at_t": [], "page": 1, "complete": true});
    rig.state.put_watermark(&key, &position).await.unwrap();
    let page = rig
        .cb
        .handle(signed(
            "load",
            "abc123",
            "app-SECRET-0123456789abcdef0123456789",
        ))
        .await;
    let html = text(&page);
    assert_eq!(page.status(), 200, "{html}");
    assert!(html.contains("served since"), "{html}");
    assert!(
        html.contains("everything changed before 2026-09-21"),
        "{html}"
    );
    assert!(
        html.contains("Quotes export</th><td>not exported yet"),
        "{html}"
    );
    assert!(
        !html.contains("store-TOKEN") && !html.contains("app-SECRET-0123456789abcdef0123456789"),
        "{html}"
    );
    assert!(html.contains("Dead letters</th><td>none"), "{html}");

    // The worker counts what it parks (two batches here); the page shows the sum and the last.
    use b2b_shared::state::DeadLetterCounts;
    let state = &rig.state;
    state
        .add_dead_letters("abc123", 2, 1_790_000_000, "unknown SKU `A`")
        .await
        .unwrap();
    state
        .add_dead_letters("abc123", 1, 1_790_000_600, "unknown SKU <B>")
        .await
        .unwrap();
    state
        .add_dead_letters("def456", 9, 1_790_000_900, "another store")
        .await
        .unwrap();
    let html = text(
        &rig.cb
            .handle(signed(
                "load",
                "abc123",
                "app-SECRET-0123456789abcdef0123456789",
            ))
            .await,
    );
    assert!(
        html.contains(
            "Dead letters</th><td>3 parked in the dead-letter queue; the last at 2026-09-21 14:"
        ),
        "{html}"
    );
    assert!(html.contains("unknown SKU &lt;B&gt;</td>"), "{html}");

    let resp = rig
        .cb
        .handle(signed(
            "uninstall",
            "abc123",
            "app-SECRET-0123456789abcdef0123456789",
        ))
        .await;
    assert_eq!(resp.status(), 200, "{}", text(&resp));
    assert!(rig.state.active_stores().await.unwrap().is_empty());
    let record = rig.state.get_store("abc123").await.unwrap().unwrap();
    assert_eq!(record.status, StoreStatus::Uninstalled);
    assert!(scheduled_for_deletion(&rig).await);
    // The export position stays: a reinstall continues where the export stopped.
    assert_eq!(rig.state.get_watermark(&key).await.unwrap(), Some(position));

    let resp = rig.cb.handle(install()).await;
    assert_eq!(resp.status(), 200, "{}", text(&resp));
    assert!(
        !scheduled_for_deletion(&rig).await,
        "the reinstall restored the secret"
    );
    assert_eq!(rig.state.active_stores().await.unwrap(), ["abc123"]);
}

#[tokio::test]
async fn a_payload_not_signed_by_bigcommerce_for_this_app_changes_nothing() {
    let rig = rig().await;
    assert_eq!(rig.cb.handle(install()).await.status(), 200);
    for req in [
        signed("uninstall", "abc123", "another-app-secret"),
        get("/uninstall?signed_payload_jwt=not.a.token"),
        get("/uninstall"),
    ] {
        let status = rig.cb.handle(req).await.status();
        assert!(status == 401 || status == 400, "{status}");
    }
    assert_eq!(rig.state.active_stores().await.unwrap(), ["abc123"]);
    assert!(!scheduled_for_deletion(&rig).await);
    let resp = rig
        .cb
        .handle(signed(
            "remove_user",
            "abc123",
            "app-SECRET-0123456789abcdef0123456789",
        ))
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(rig.state.active_stores().await.unwrap(), ["abc123"]);
}
