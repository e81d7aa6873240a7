//! The scheduled refresh, the four rotation steps and the token health check against moto
//! (Secrets Manager), a mock token endpoint (mockito) and the BigCommerce sandbox, driven through
//! the handler with the fixtures in `events/`.
//!
//! `make test` (or `scripts/with-moto.sh cargo test -p token-refresh`) starts moto and sets
//! `AWS_ENDPOINT_URL`; without it these tests fail.

use std::sync::Arc;

use b2b_shared::secrets::{SecretsApi, StaticCredentials, StoreSecret};
use bc_sandbox::{start, SandboxOptions};
use bigcommerce_b2b::{BcClient, ClientOptions};
use mockito::Matcher;
use serde_json::{json, Value};
use token_refresh::health::{HealthChecker, Probe, DEFAULT_B2B_PROBE, DEFAULT_CORE_PROBE};
use token_refresh::lease::LEASE_STAGE;
use token_refresh::refresh::{now_unix, Outcome, Refresher};
use token_refresh::{oauth, Handler};

fn fixture(name: &str) -> Value {
    let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn unique(name: &str) -> String {
    format!(
        "test/{name}-{}-{:08x}",
        std::process::id(),
        fastrand::u32(..)
    )
}

async fn sm() -> aws_sdk_secretsmanager::Client {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "AWS_ENDPOINT_URL is not set: run these tests with `make test` or \
         `scripts/with-moto.sh cargo test -p token-refresh` (they need moto)"
    );
    aws_sdk_secretsmanager::Client::new(&aws_config::load_from_env().await)
}

fn handler(
    sm: &aws_sdk_secretsmanager::Client,
    connections: &[&str],
    stores: &[&str],
    bc_url: &str,
) -> Handler {
    let url = url::Url::parse(bc_url).unwrap();
    let dummy =
        StoreSecret::from_json(r#"{"store_hash":"abc123","access_token":"unused"}"#).unwrap();
    let dummy = Arc::new(StaticCredentials(Arc::new(dummy)));
    Handler {
        refresher: Refresher {
            secrets: SecretsApi::new(sm.clone()),
            http: oauth::http_client(Default::default()).unwrap(),
            lead_seconds: 600,
            lease_seconds: 120,
        },
        health: HealthChecker {
            bc_api_url: url.clone(),
            b2b_api_url: url.clone(),
            core_probe: Probe::parse(bigcommerce_b2b::Api::Core, DEFAULT_CORE_PROBE).unwrap(),
            b2b_probe: Probe::parse(bigcommerce_b2b::Api::B2b, DEFAULT_B2B_PROBE).unwrap(),
            trust_roots: Default::default(),
        },
        fetcher: SecretsApi::new(sm.clone()),
        connection_secret_ids: connections.iter().map(|s| s.to_string()).collect(),
        store_secret_ids: stores.iter().map(|s| s.to_string()).collect(),
        store_client: BcClient::new(&url, &url, dummy.clone(), ClientOptions::default()).unwrap(),
        store_secret: dummy,
        hooks: None,
        stores: None,
    }
}

fn connection(token_url: &str, expires_in: i64) -> Value {
    json!({
        "token_url": token_url,
        "grant_type": "refresh_token",
        "client_id": "cid",
        "client_secret": "cs",
        "client_auth": "body",
        "refresh_token": "rt-1",
        "access_token": "at-1",
        "expires_at": now_unix() + expires_in,
        "erp_tenant": "tenant-42"
    })
}

async fn create(sm: &aws_sdk_secretsmanager::Client, name: &str, value: &Value) -> String {
    sm.create_secret()
        .name(name)
        .secret_string(value.to_string())
        .send()
        .await
        .unwrap()
        .version_id
        .unwrap()
}

async fn current(sm: &aws_sdk_secretsmanager::Client, name: &str) -> (String, Value) {
    let out = sm
        .get_secret_value()
        .secret_id(name)
        .version_stage("AWSCURRENT")
        .send()
        .await
        .unwrap();
    (
        out.version_id.unwrap(),
        serde_json::from_str(out.secret_string.as_deref().unwrap()).unwrap(),
    )
}

async fn stages(
    sm: &aws_sdk_secretsmanager::Client,
    name: &str,
) -> std::collections::HashMap<String, Vec<String>> {
    sm.describe_secret()
        .secret_id(name)
        .send()
        .await
        .unwrap()
        .version_ids_to_stages
        .unwrap_or_default()
}

fn outcome(answer: &Value, i: usize) -> &str {
    answer["connections"][i]["outcome"].as_str().unwrap()
}

#[tokio::test]
async fn refreshes_near_expiry_keeping_every_field_and_the_rotated_refresh_token() {
    let sm = sm().await;
    let mut erp = mockito::Server::new_async().await;
    let token_url = format!("{}/oauth2/token", erp.url());
    let refresh = erp
        .mock("POST", "/oauth2/token")
        .match_body(Matcher::AllOf(vec![
            Matcher::UrlEncoded("grant_type".into(), "refresh_token".into()),
            Matcher::UrlEncoded("refresh_token".into(), "rt-1".into()),
            Matcher::UrlEncoded("client_id".into(), "cid".into()),
            Matcher::UrlEncoded("client_secret".into(), "cs".into()),
        ]))
        .with_body(r#"{"access_token":"at-2","refresh_token":"rt-2","expires_in":3600,"token_type":"Bearer"}"#)
        .expect(1)
        .create_async()
        .await;
    let near = unique("near");
    let far = unique("far");
    let v_near = create(&sm, &near, &connection(&token_url, 60)).await;
    let v_far = create(&sm, &far, &connection(&token_url, 7200)).await;
    let h = handler(&sm, &[&near, &far], &[], "http://127.0.0.1:9");

    let answer = h
        .handle(&fixture("schedule-refresh-tokens.json"), None)
        .await
        .unwrap();
    refresh.assert_async().await;
    assert_eq!(outcome(&answer, 0), "refreshed", "{answer}");
    assert_eq!(answer["connections"][0]["refresh_token_rotated"], true);
    assert_eq!(outcome(&answer, 1), "not-due", "{answer}");

    let (v, doc) = current(&sm, &near).await;
    assert_ne!(v, v_near, "a new AWSCURRENT version");
    assert_eq!(doc["access_token"], "at-2");
    assert_eq!(
        doc["refresh_token"], "rt-2",
        "the rotated refresh token is kept"
    );
    assert_eq!(doc["erp_tenant"], "tenant-42", "other fields are kept");
    assert_eq!(doc["client_secret"], "cs");
    let exp = doc["expires_at"].as_i64().unwrap();
    assert!((exp - (now_unix() + 3600)).abs() < 30, "{exp}");
    assert_eq!(
        current(&sm, &far).await.0,
        v_far,
        "far from expiry: untouched"
    );
    assert!(
        stages(&sm, &near)
            .await
            .values()
            .all(|s| !s.contains(&LEASE_STAGE.to_string())),
        "the lease is released"
    );

    // The classic EventBridge scheduled event means the same; nothing is due any more.
    let again = h
        .handle(&fixture("eventbridge-scheduled-event.json"), None)
        .await
        .unwrap();
    assert_eq!(outcome(&again, 0), "not-due", "{again}");
    refresh.assert_async().await;
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_old_token_and_the_next_run_tries_again() {
    let sm = sm().await;
    let mut erp = mockito::Server::new_async().await;
    let token_url = format!("{}/token", erp.url());
    let name = unique("fail");
    let v1 = create(&sm, &name, &connection(&token_url, -5)).await;
    let h = handler(&sm, &[&name], &[], "http://127.0.0.1:9");

    let refused = erp
        .mock("POST", "/token")
        .with_status(400)
        .with_body(r#"{"error":"invalid_grant"}"#)
        .expect(1)
        .create_async()
        .await;
    let answer = h
        .handle(&fixture("schedule-refresh-tokens.json"), None)
        .await
        .unwrap();
    refused.assert_async().await;
    assert_eq!(outcome(&answer, 0), "failed", "{answer}");
    assert_eq!(answer["connections"][0]["retryable"], false);
    assert!(answer["connections"][0]["error"]
        .as_str()
        .unwrap()
        .contains("invalid_grant"));
    let (v, doc) = current(&sm, &name).await;
    assert_eq!(v, v1, "no new version after a failure");
    assert_eq!(
        (doc["access_token"].as_str(), doc["refresh_token"].as_str()),
        (Some("at-1"), Some("rt-1"))
    );
    refused.remove_async().await;

    let down = erp
        .mock("POST", "/token")
        .with_status(503)
        .expect(1)
        .create_async()
        .await;
    let answer = h
        .handle(&fixture("schedule-refresh-tokens.json"), None)
        .await
        .unwrap();
    down.assert_async().await;
    assert_eq!(answer["connections"][0]["retryable"], true, "{answer}");
    assert_eq!(current(&sm, &name).await.0, v1);
    down.remove_async().await;

    // The lease was released: the next run is not blocked and succeeds.
    let ok = erp
        .mock("POST", "/token")
        .with_body(r#"{"access_token":"at-3","expires_in":3600}"#)
        .expect(1)
        .create_async()
        .await;
    let answer = h
        .handle(&fixture("schedule-refresh-tokens.json"), None)
        .await
        .unwrap();
    ok.assert_async().await;
    assert_eq!(outcome(&answer, 0), "refreshed", "{answer}");
    let (_, doc) = current(&sm, &name).await;
    assert_eq!(doc["access_token"], "at-3");
    assert_eq!(
        doc["refresh_token"], "rt-1",
        "not rotated: the old refresh token stays"
    );
}

#[tokio::test]
async fn concurrent_runs_trade_the_refresh_token_once() {
    let sm = sm().await;
    let mut erp = mockito::Server::new_async().await;
    let token_url = format!("{}/token", erp.url());
    let name = unique("race");
    create(&sm, &name, &connection(&token_url, 0)).await;
    let once = erp
        .mock("POST", "/token")
        .match_body(Matcher::UrlEncoded("refresh_token".into(), "rt-1".into()))
        .with_body(r#"{"access_token":"at-2","refresh_token":"rt-2","expires_in":3600}"#)
        .expect(1)
        .create_async()
        .await;
    let h = handler(&sm, &[&name], &[], "http://127.0.0.1:9");
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let r = h.refresher.clone();
            let id = name.clone();
            tokio::spawn(async move { r.refresh_one(&id).await.unwrap() })
        })
        .collect();
    let mut outcomes = Vec::new();
    for r in runs {
        outcomes.push(r.await.unwrap());
    }
    once.assert_async().await;
    let refreshed = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Refreshed { .. }))
        .count();
    assert_eq!(refreshed, 1, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| matches!(
            o,
            Outcome::Refreshed { .. } | Outcome::Busy | Outcome::NotDue { .. }
        )),
        "{outcomes:?}"
    );
    let (_, doc) = current(&sm, &name).await;
    assert_eq!(
        doc["refresh_token"], "rt-2",
        "the one rotated refresh token is stored"
    );
}

fn rotation_event(name: &str, fixture_name: &str, token: &str) -> Value {
    let mut e = fixture(fixture_name);
    e["SecretId"] = name.into();
    e["ClientRequestToken"] = token.into();
    e
}

#[tokio::test]
async fn the_four_rotation_steps_called_directly() {
    let sm = sm().await;
    let mut erp = mockito::Server::new_async().await;
    let mut doc = connection(&format!("{}/token", erp.url()), 7200);
    doc["test_url"] = format!("{}/me", erp.url()).into();
    let name = unique("rotate");
    let v1 = create(&sm, &name, &doc).await;
    let issue = erp
        .mock("POST", "/token")
        .with_body(r#"{"access_token":"at-rot","refresh_token":"rt-rot","expires_in":3600}"#)
        .expect(1)
        .create_async()
        .await;
    let me = erp
        .mock("GET", "/me")
        .match_header("authorization", "Bearer at-rot")
        .with_body("{}")
        .expect(1)
        .create_async()
        .await;
    let h = handler(&sm, &[], &[], "http://127.0.0.1:9");
    let token = "5f0c1c44-8a43-4b7e-9d2e-6a1b2c3d4e5f";

    let create_event = rotation_event(&name, "rotation-create-secret.json", token);
    h.handle(&create_event, None).await.unwrap();
    let s = stages(&sm, &name).await;
    assert_eq!(s[token], ["AWSPENDING"]);
    assert_eq!(
        current(&sm, &name).await.0,
        v1,
        "AWSCURRENT untouched by createSecret"
    );
    h.handle(&create_event, None).await.unwrap();
    issue.assert_async().await; // idempotent: still one token request
    let pending = sm
        .get_secret_value()
        .secret_id(&name)
        .version_id(token)
        .version_stage("AWSPENDING")
        .send()
        .await
        .unwrap();
    let pending: Value = serde_json::from_str(pending.secret_string().unwrap()).unwrap();
    assert_eq!(pending["access_token"], "at-rot");
    assert_eq!(pending["refresh_token"], "rt-rot");
    assert_eq!(pending["erp_tenant"], "tenant-42");

    h.handle(
        &rotation_event(&name, "rotation-set-secret.json", token),
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        current(&sm, &name).await.0,
        v1,
        "AWSCURRENT untouched by setSecret"
    );
    h.handle(
        &rotation_event(&name, "rotation-test-secret.json", token),
        None,
    )
    .await
    .unwrap();
    me.assert_async().await;
    assert_eq!(
        current(&sm, &name).await.0,
        v1,
        "AWSCURRENT untouched by testSecret"
    );

    let finish = rotation_event(&name, "rotation-finish-secret.json", token);
    h.handle(&finish, None).await.unwrap();
    let (v, doc) = current(&sm, &name).await;
    assert_eq!(v, token);
    assert_eq!(doc["access_token"], "at-rot");
    assert!(stages(&sm, &name).await[&v1].contains(&"AWSPREVIOUS".to_string()));
    h.handle(&finish, None).await.unwrap(); // idempotent
    assert_eq!(current(&sm, &name).await.0, token);
}

#[tokio::test]
async fn a_pending_token_that_fails_its_test_is_never_made_current() {
    let sm = sm().await;
    let mut erp = mockito::Server::new_async().await;
    let mut doc = connection(&format!("{}/token", erp.url()), 7200);
    doc["test_url"] = format!("{}/me", erp.url()).into();
    let name = unique("rotate-bad");
    let v1 = create(&sm, &name, &doc).await;
    erp.mock("POST", "/token")
        .with_body(r#"{"access_token":"at-bad","expires_in":3600}"#)
        .create_async()
        .await;
    erp.mock("GET", "/me").with_status(401).create_async().await;
    let h = handler(&sm, &[], &[], "http://127.0.0.1:9");
    let token = "0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b";
    h.handle(
        &rotation_event(&name, "rotation-create-secret.json", token),
        None,
    )
    .await
    .unwrap();
    let err = h
        .handle(
            &rotation_event(&name, "rotation-test-secret.json", token),
            None,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("HTTP 401"), "{err}");
    assert!(!err.is_retryable());
    assert!(!err.to_string().contains("at-bad"), "{err}");
    assert_eq!(current(&sm, &name).await.0, v1);
    // A step for a version that was never created is refused.
    let err = h
        .handle(
            &rotation_event(
                &name,
                "rotation-finish-secret.json",
                "11111111-2222-4333-8444-555555555555",
            ),
            None,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not staged"), "{err}");
    assert_eq!(current(&sm, &name).await.0, v1);
}

#[tokio::test]
async fn token_health_reports_valid_and_revoked_store_tokens() {
    let sm = sm().await;
    let sb = start(SandboxOptions {
        store_hash: "abc123".into(),
        token: "good-token".into(),
        quota: 0,
        b2b_quota: 0,
        ..SandboxOptions::default().strict()
    })
    .await
    .unwrap();
    let good = unique("store-good");
    let revoked = unique("store-revoked");
    let missing = unique("store-missing");
    create(
        &sm,
        &good,
        &json!({"store_hash": "abc123", "access_token": "good-token"}),
    )
    .await;
    create(
        &sm,
        &revoked,
        &json!({"store_hash": "abc123", "access_token": "revoked-token"}),
    )
    .await;
    let h = handler(&sm, &[], &[&good, &revoked, &missing], &sb.base_url());
    let answer = h
        .handle(&fixture("schedule-token-health.json"), None)
        .await
        .unwrap();
    let stores = answer["stores"].as_array().unwrap();
    assert_eq!(stores[0]["status"], "valid", "{answer}");
    assert_eq!(stores[0]["store_hash"], "abc123");
    assert_eq!(stores[1]["status"], "rejected", "{answer}");
    assert_eq!(stores[1]["refusals"], json!(["core 401", "b2b 401"]));
    assert_eq!(stores[2]["status"], "no-usable-secret", "{answer}");
    assert!(
        !answer.to_string().contains("good-token") && !answer.to_string().contains("revoked-token")
    );
}
