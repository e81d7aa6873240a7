//! The app install callback against moto (Secrets Manager) and a mock BigCommerce token endpoint
//! (mockito), driven by the API Gateway fixture in `events/`.
//!
//! `make test` (or `scripts/with-moto.sh cargo test -p auth-callback`) starts moto and sets
//! `AWS_ENDPOINT_URL`; without it the moto tests fail.

use std::sync::Arc;

use auth_callback::settings::Settings;
use auth_callback::{exchange, AuthCallback};
use b2b_shared::secrets::SecretsApi;
use b2b_shared::state::MemoryState;
use lambda_http::{Body, Request, Response};
use mockito::Matcher;
use serde_json::{json, Value};

fn fixture() -> Request {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/events/auth-install.json");
    lambda_http::request::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn sm() -> aws_sdk_secretsmanager::Client {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "AWS_ENDPOINT_URL is not set: run these tests with `make test` or \
         `scripts/with-moto.sh cargo test -p auth-callback` (they need moto)"
    );
    aws_sdk_secretsmanager::Client::new(&aws_config::load_from_env().await)
}

fn unique(name: &str) -> String {
    format!(
        "test/{name}-{}-{:08x}/",
        std::process::id(),
        fastrand::u32(..)
    )
}

async fn app_secret(sm: &aws_sdk_secretsmanager::Client, prefix: &str) -> String {
    let id = format!("{prefix}app");
    sm.create_secret()
        .name(&id)
        .secret_string(
            json!({"client_id": "app-client", "client_secret": "app-SECRET-0123456789abcdef0123456789"}).to_string(),
        )
        .send()
        .await
        .unwrap();
    id
}

fn callback(
    sm: aws_sdk_secretsmanager::Client,
    app_secret_id: &str,
    token_url: &str,
    prefix: &str,
) -> AuthCallback {
    let settings = Settings::from_lookup(|k| match k {
        "APP_SECRET_ID" => Some(app_secret_id.to_owned()),
        "AUTH_REDIRECT_URI" => Some("https://apps.example.com/auth".to_owned()),
        "BC_OAUTH_TOKEN_URL" => Some(token_url.to_owned()),
        "STORE_SECRET_PREFIX" => Some(prefix.to_owned()),
        "STATE_TABLE" => Some("state".to_owned()),
        _ => None,
    })
    .unwrap();
    let state = Arc::new(MemoryState::default());
    AuthCallback {
        settings,
        secrets: SecretsApi::new(sm),
        http: exchange::http_client(Default::default()).unwrap(),
        registry: state.clone(),
        state,
    }
}

fn text(resp: &Response<Body>) -> String {
    match resp.body() {
        Body::Text(t) => t.clone(),
        other => panic!("expected an HTML text body, got {other:?}"),
    }
}

fn assert_no_secret(page: &str) {
    for s in [
        "app-SECRET-0123456789abcdef0123456789",
        "store-TOKEN",
        "qr6h3thvbvag2ffq",
    ] {
        assert!(!page.contains(s), "page leaks {s}: {page}");
    }
}

async fn current(sm: &aws_sdk_secretsmanager::Client, id: &str) -> Value {
    let out = sm
        .get_secret_value()
        .secret_id(id)
        .version_stage("AWSCURRENT")
        .send()
        .await
        .unwrap();
    serde_json::from_str(out.secret_string().unwrap()).unwrap()
}

async fn token_endpoint(server: &mut mockito::ServerGuard) -> mockito::Mock {
    token_endpoint_for(server, "https://apps.example.com/auth").await
}

/// The token endpoint, expecting `redirect_uri`.
async fn token_endpoint_for(
    server: &mut mockito::ServerGuard,
    redirect_uri: &str,
) -> mockito::Mock {
    server
        .mock("POST", "/oauth2/token")
        .match_header("content-type", "application/json")
        .match_body(Matcher::Json(json!({
            "client_id": "app-client",
            "client_secret": "app-SECRET-0123456789abcdef0123456789",
            "code": "qr6h3thvbvag2ffq",
            "context": "stores/abc123",
            "scope": "store_v2_orders_read_only store_b2b_edition",
            "grant_type": "authorization_code",
            "redirect_uri": redirect_uri
        })))
        .with_body(
            json!({
                "access_token": "store-TOKEN",
                "scope": "store_v2_orders_read_only store_b2b_edition",
                "user": {"id": 1, "username": "merchant", "email": "m@example.com"},
                "owner": {"id": 1, "username": "merchant", "email": "m@example.com"},
                "context": "stores/abc123",
                "account_uuid": "8b5c8e6b-4f3b-4f6e-9d33-6f7a2c1b0e4d"
            })
            .to_string(),
        )
        .expect(1)
        .create_async()
        .await
}

#[tokio::test]
async fn a_code_exchange_creates_the_store_secret() {
    let sm = sm().await;
    let prefix = unique("create");
    let app = app_secret(&sm, &prefix).await;
    let mut bc = mockito::Server::new_async().await;
    let m = token_endpoint(&mut bc).await;
    let cb = callback(
        sm.clone(),
        &app,
        &format!("{}/oauth2/token", bc.url()),
        &prefix,
    );

    let resp = cb.handle(fixture()).await;
    m.assert_async().await;
    let page = text(&resp);
    assert_eq!(resp.status(), 200, "{page}");
    assert!(page.contains("App installed for store abc123"), "{page}");
    assert_eq!(resp.headers()["content-type"], "text/html; charset=utf-8");
    assert_no_secret(&page);

    let stored = current(&sm, &format!("{prefix}abc123")).await;
    assert_eq!(stored["store_hash"], "abc123");
    assert_eq!(stored["access_token"], "store-TOKEN");
    assert_eq!(stored["client_id"], "app-client");
    assert_eq!(
        stored["scope"],
        "store_v2_orders_read_only store_b2b_edition"
    );
    // The shared crate reads what was written.
    b2b_shared::secrets::StoreSecret::from_json(&stored.to_string()).unwrap();
}

#[tokio::test]
async fn without_a_configured_redirect_uri_the_request_s_own_url_is_sent() {
    let sm = sm().await;
    let prefix = unique("derived");
    let app = app_secret(&sm, &prefix).await;
    let mut bc = mockito::Server::new_async().await;
    // The fixture came through API Gateway on local.execute-api.us-east-1.amazonaws.com.
    let m = token_endpoint_for(
        &mut bc,
        "https://local.execute-api.us-east-1.amazonaws.com/auth",
    )
    .await;
    let settings = Settings::from_lookup(|k| match k {
        "APP_SECRET_ID" => Some(app.clone()),
        "BC_OAUTH_TOKEN_URL" => Some(format!("{}/oauth2/token", bc.url())),
        "STORE_SECRET_PREFIX" => Some(prefix.clone()),
        "STATE_TABLE" => Some("state".to_owned()),
        _ => None,
    })
    .unwrap();
    let state = Arc::new(MemoryState::default());
    let cb = AuthCallback {
        settings,
        secrets: SecretsApi::new(sm.clone()),
        http: exchange::http_client(Default::default()).unwrap(),
        registry: state.clone(),
        state,
    };
    let resp = cb.handle(fixture()).await;
    m.assert_async().await;
    assert_eq!(resp.status(), 200, "{}", text(&resp));
    assert_eq!(
        current(&sm, &format!("{prefix}abc123")).await["access_token"],
        "store-TOKEN"
    );
}

#[tokio::test]
async fn a_reinstall_updates_the_store_secret_and_keeps_its_other_fields() {
    let sm = sm().await;
    let prefix = unique("update");
    let app = app_secret(&sm, &prefix).await;
    let id = format!("{prefix}abc123");
    sm.create_secret()
        .name(&id)
        .secret_string(json!({"store_hash": "abc123", "access_token": "old", "webhook_secret": "wh", "inbound_api_key": "ik"}).to_string())
        .send()
        .await
        .unwrap();
    let mut bc = mockito::Server::new_async().await;
    let m = token_endpoint(&mut bc).await;
    let cb = callback(
        sm.clone(),
        &app,
        &format!("{}/oauth2/token", bc.url()),
        &prefix,
    );
    let resp = cb.handle(fixture()).await;
    m.assert_async().await;
    assert_eq!(resp.status(), 200, "{}", text(&resp));
    let stored = current(&sm, &id).await;
    assert_eq!(stored["access_token"], "store-TOKEN");
    assert_eq!(stored["webhook_secret"], "wh");
    assert_eq!(stored["inbound_api_key"], "ik");
}

#[tokio::test]
async fn a_refused_code_gives_a_502_page_and_stores_nothing() {
    let sm = sm().await;
    let prefix = unique("refused");
    let app = app_secret(&sm, &prefix).await;
    let mut bc = mockito::Server::new_async().await;
    let m = bc
        .mock("POST", "/oauth2/token")
        .with_status(400)
        .with_body(r#"{"error":"Invalid verification code: qr6h3thvbvag2ffq"}"#)
        .create_async()
        .await;
    let cb = callback(
        sm.clone(),
        &app,
        &format!("{}/oauth2/token", bc.url()),
        &prefix,
    );
    let resp = cb.handle(fixture()).await;
    m.assert_async().await;
    let page = text(&resp);
    assert_eq!(resp.status(), 502, "{page}");
    assert!(page.contains("refused the authorization code"), "{page}");
    assert_no_secret(&page);
    let missing = sm
        .get_secret_value()
        .secret_id(format!("{prefix}abc123"))
        .version_stage("AWSCURRENT")
        .send()
        .await;
    assert!(missing.is_err(), "no store secret after a failed exchange");
}

#[tokio::test]
async fn a_token_for_another_store_is_refused() {
    let sm = sm().await;
    let prefix = unique("other-store");
    let app = app_secret(&sm, &prefix).await;
    let mut bc = mockito::Server::new_async().await;
    bc.mock("POST", "/oauth2/token")
        .with_body(r#"{"access_token":"store-TOKEN","context":"stores/zzz999"}"#)
        .create_async()
        .await;
    let cb = callback(
        sm.clone(),
        &app,
        &format!("{}/oauth2/token", bc.url()),
        &prefix,
    );
    let resp = cb.handle(fixture()).await;
    assert_eq!(resp.status(), 502);
    assert!(text(&resp).contains("another store"));
    assert_no_secret(&text(&resp));
}

#[tokio::test]
async fn missing_parameters_give_a_400_page_before_anything_is_called() {
    // Secrets Manager and the token endpoint point nowhere: a 400 must not need them.
    let sdk = aws_config::from_env()
        .endpoint_url("http://127.0.0.1:9")
        .region(aws_config::Region::new("us-east-1"))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    let cb = callback(
        aws_sdk_secretsmanager::Client::new(&sdk),
        "app",
        "http://127.0.0.1:9/oauth2/token",
        "p/",
    );
    let event = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/events/auth-install.json"
    ))
    .unwrap()
    .replace("code=qr6h3thvbvag2ffq&", "")
    .replace("\"code\": \"qr6h3thvbvag2ffq\",", "");
    let resp = cb
        .handle(lambda_http::request::from_str(&event).unwrap())
        .await;
    assert_eq!(resp.status(), 400);
    assert!(text(&resp).contains("missing code"), "{}", text(&resp));

    // With valid parameters, an unreachable Secrets Manager is a 503.
    let resp = cb.handle(fixture()).await;
    assert_eq!(resp.status(), 503, "{}", text(&resp));
    assert!(text(&resp).contains("try installing the app again"));
}

#[tokio::test]
async fn concurrent_installs_all_land_and_keep_the_secret_s_other_fields() {
    use auth_callback::exchange::{AppCredentials, Installed};
    use auth_callback::store::{write_store_secret, Written};
    use bigcommerce_b2b::StoreHash;
    use secrecy::SecretString;

    let sm = sm().await;
    let prefix = unique("race");
    let id = format!("{prefix}abc123");
    sm.create_secret()
        .name(&id)
        .secret_string(
            json!({"store_hash": "abc123", "access_token": "old", "webhook_secret": "wh"})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    let api = SecretsApi::new(sm.clone());
    let hash = StoreHash::parse("abc123").unwrap();
    let app = AppCredentials {
        client_id: "app-client".into(),
        client_secret: SecretString::from("app-SECRET-0123456789abcdef0123456789"),
    };
    // Three installs read the same version and write on top of it at once: each must land (a
    // lost race merges again on the winner's version), none may fail or drop a field.
    let installs = (0..3).map(|i| {
        let (api, id, hash, app) = (api.clone(), id.clone(), hash.clone(), &app);
        async move {
            let installed = Installed {
                access_token: SecretString::from(format!("token-{i}")),
                scope: Some("store_b2b_edition".into()),
                account_uuid: None,
            };
            write_store_secret(&api, &id, &hash, app, &installed).await
        }
    });
    let results = futures_util::future::join_all(installs).await;
    for r in &results {
        assert_eq!(r.as_ref().map_err(|e| e.to_string()), Ok(&Written::Updated));
    }
    let stored = current(&sm, &id).await;
    assert!(
        ["token-0", "token-1", "token-2"].contains(&stored["access_token"].as_str().unwrap()),
        "{stored}"
    );
    assert_eq!(stored["webhook_secret"], "wh");
    let versions = sm
        .list_secret_version_ids()
        .secret_id(&id)
        .include_deprecated(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        versions.versions().len(),
        4,
        "the original and one version per install"
    );
}

/// The app secret as the template leaves it (empty), with a placeholder or with a short client
/// secret: the install is answered 503 ("not set up yet") before any code is exchanged, and the
/// page quotes none of it.
#[tokio::test]
async fn an_unusable_app_secret_is_503_before_any_code_exchange() {
    const STRONG: &str = "q7JcVh2LxP9mWbT4sKzR8nYdF3gA6eU1oHiC5vQ0wXyZ";
    let sm = sm().await;
    for (i, app) in [
        json!({"client_id": "", "client_secret": ""}),
        json!({"client_id": "app-client", "client_secret": "REPLACE_ME"}),
        json!({"client_id": "app-client", "client_secret": "short-secret"}),
        json!({"client_id": "REPLACE_ME", "client_secret": STRONG}),
    ]
    .into_iter()
    .enumerate()
    {
        let prefix = unique("unusable-app");
        let id = format!("{prefix}app");
        sm.create_secret()
            .name(&id)
            .secret_string(app.to_string())
            .send()
            .await
            .unwrap();
        let mut bc = mockito::Server::new_async().await;
        let m = bc
            .mock("POST", "/oauth2/token")
            .expect(0)
            .create_async()
            .await;
        let cb = callback(
            sm.clone(),
            &id,
            &format!("{}/oauth2/token", bc.url()),
            &prefix,
        );
        let resp = cb.handle(fixture()).await;
        let page = text(&resp);
        assert_eq!(resp.status(), 503, "case {i}: {page}");
        assert!(
            !page.contains("REPLACE_ME") && !page.contains("short-secret"),
            "{page}"
        );
        m.assert_async().await;
    }
}
