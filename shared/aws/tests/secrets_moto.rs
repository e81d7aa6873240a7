//! Reads the store secret from a real Secrets Manager protocol peer: a moto server.
//!
//! `make test` starts moto and sets `AWS_ENDPOINT_URL`; without it this test fails (it never
//! passes silently).

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};
use b2b_shared::secrets::{SecretCache, SecretError, SecretSource, SecretsApi};
use bigcommerce_b2b::Credentials as ClientCredentials;
use secrecy::ExposeSecret;

fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL")
        .expect("AWS_ENDPOINT_URL is not set: run the tests with `make test` (it starts moto)")
}

async fn client() -> aws_sdk_secretsmanager::Client {
    let conf = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .endpoint_url(endpoint())
        .build();
    aws_sdk_secretsmanager::Client::from_conf(conf)
}

fn unique(name: &str) -> String {
    format!("{name}-{}-{}", std::process::id(), fastrand::u32(..))
}

#[tokio::test]
async fn store_secret_is_read_cached_and_reread_after_rotation() {
    let sm = client().await;
    let id = unique("bc/store");
    sm.create_secret()
        .name(&id)
        .secret_string(r#"{"store_hash":"abc123","access_token":"first","webhook_secret":"wh"}"#)
        .send()
        .await
        .unwrap();
    let cache = Arc::new(SecretCache::new(
        SecretsApi::new(sm.clone()),
        id.clone(),
        Duration::from_secs(300),
    ));
    let first = SecretSource::current(&*cache).await.unwrap();
    let first_auth = ClientCredentials::current(&*cache).await.unwrap();
    assert_eq!(first.store_hash.as_str(), "abc123");
    assert_eq!(first_auth.access_token.expose_secret(), "first");
    assert_eq!(first.access_token.expose_secret(), "first");
    assert_eq!(first.webhook_secret.as_ref().unwrap().expose_secret(), "wh");

    // A new AWSCURRENT version: the cache keeps the old one until a 401 asks for a re-read.
    sm.put_secret_value()
        .secret_id(&id)
        .secret_string(r#"{"store_hash":"abc123","access_token":"second"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        SecretSource::current(&*cache)
            .await
            .unwrap()
            .access_token
            .expose_secret(),
        "first"
    );
    let fresh = cache.refresh(&first_auth).await.unwrap();
    assert_eq!(fresh.access_token.expose_secret(), "second");
    let whole = SecretSource::current(&*cache).await.unwrap();
    assert!(whole.webhook_secret.is_none());
}

#[tokio::test]
async fn missing_and_malformed_secrets_are_permanent_errors() {
    let sm = client().await;
    let fetcher = SecretsApi::new(sm.clone());
    let missing = SecretCache::new(fetcher.clone(), unique("nope"), Duration::from_secs(1));
    let err = SecretSource::current(&missing).await.unwrap_err();
    assert!(matches!(err, SecretError::NotFound { .. }), "{err:?}");
    assert!(!err.is_retryable());

    let id = unique("bc/bad");
    sm.create_secret()
        .name(&id)
        .secret_string(r#"{"store_hash":"abc","access_token":12345678}"#)
        .send()
        .await
        .unwrap();
    let bad = SecretCache::new(fetcher, id, Duration::from_secs(1));
    let err = SecretSource::current(&bad).await.unwrap_err();
    assert!(matches!(err, SecretError::Malformed { .. }), "{err:?}");
    assert!(!err.to_string().contains("12345678"), "{err}");
}
