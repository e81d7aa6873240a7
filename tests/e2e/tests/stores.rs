//! One deployment serving two stores, end to end with the real binaries: `webhook-intake` and
//! `upsert-worker` under a Lambda Runtime API of the test's own, moto (the stores' secrets, the
//! registry in the state table, the queues) and one sandbox serving both stores, each with its
//! own token. Store A is declared in `STORES`, store B installed (in the registry).
//!
//! - Each store's ERP key enqueues only that store's commands: store A's key with a command
//!   naming store B (in the body) is refused, and so is a store the deployment does not serve.
//! - The worker applies each store's commands in that store, with that store's token.
//! - A record the worker parks in the dead-letter queue is counted for its store, and
//!   `auth-callback`'s `load` page (a signed request, as BigCommerce sends it) shows the count
//!   for that store and none for the other.

mod common;

use std::time::Duration;

use b2b_shared::state::DynamoState;
use b2b_shared::stores::{StoreRegistry, StoreStatus};
use b2b_test_support::lambda::{answer_of, function_binary, http_post, FunctionProcess};
use b2b_test_support::{drain, moto, queue, state_table, stores, unique, unlimited};
use common::sqs_record;
use serde_json::{json, Value};

fn company(store: &str, ext: &str) -> Value {
    let lower = ext.to_lowercase();
    json!({"type": "company.upsert", "version": 1, "store_hash": store, "external_id": ext,
        "company": {"name": format!("Co {ext}"), "email": format!("{lower}@stores.example"),
        "phone": "1", "country": "US",
        "admin": {"first_name": "A", "last_name": "B", "email": format!("admin-{lower}@stores.example")}}})
}

#[tokio::test]
async fn two_stores_one_deployment_each_store_gets_only_its_own_commands() {
    let sdk = moto().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let table = state_table(&sdk).await;
    let inbound = queue(&sdk, "stores-inbound").await;
    let dlq = queue(&sdk, "stores-dlq").await;
    let prefix = format!("{}/", unique("e2e-stores"));
    let secrets = ["storea", "storeb"].map(|s| (s, stores::store_secret_json(s)));
    stores::create_secrets(&sdk, &prefix, &secrets).await;
    DynamoState::new(aws_sdk_dynamodb::Client::new(&sdk), table.clone())
        .put_store(&stores::app_store(&prefix, "storeb", StoreStatus::Active))
        .await
        .unwrap();
    let sandbox = stores::sandbox_of(&[("storea", 0), ("storeb", 0)], unlimited().strict()).await;
    let env = vec![
        ("STORES", "storea".to_owned()),
        ("STORE_SECRET_PREFIX", prefix.clone()),
        ("STATE_TABLE", table),
        ("INBOUND_QUEUE_URL", inbound.clone()),
        ("DEAD_LETTER_QUEUE_URL", dlq.clone()),
        ("BC_API_URL", sandbox.base_url()),
        ("B2B_API_URL", sandbox.base_url()),
        ("EXTERNAL_ID_FIELD", "externalId".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ];
    let intake_binary = function_binary("webhook-intake", false).unwrap();
    let intake = FunctionProcess::start(
        &intake_binary,
        "webhook-intake",
        &env,
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    let (key_a, key_b) = (stores::inbound_key("storea"), stores::inbound_key("storeb"));
    let sends = [
        (
            key_a.as_str(),
            json!([company("storea", "A-1"), company("storea", "A-2")]),
            202,
        ),
        (key_b.as_str(), json!([company("storeb", "B-1")]), 202),
        // Store A's key for a command naming store B: refused, nothing enqueued.
        (key_a.as_str(), json!([company("storeb", "B-2")]), 401),
        (
            key_a.as_str(),
            json!([company("storea", "A-3"), company("storeb", "B-3")]),
            401,
        ),
        (key_a.as_str(), json!([company("zz9", "Z-1")]), 401),
    ];
    for (key, body, expected) in sends {
        let answer = answer_of(&intake, &http_post("/inbound", key, &body)).await;
        assert_eq!(answer["statusCode"], expected, "{body}: {answer}");
    }
    let bodies = drain(&sqs, &inbound).await;
    assert_eq!(
        bodies.len(),
        3,
        "only the accepted commands are queued: {bodies:?}"
    );

    let worker_binary = function_binary("upsert-worker", false).unwrap();
    let worker = FunctionProcess::start(
        &worker_binary,
        "upsert-worker",
        &env,
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| sqs_record(&format!("m{i}"), &b.to_string(), 1))
        .collect();
    let answer = answer_of(&worker, &json!({ "Records": records })).await;
    assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
    assert_eq!(
        stores::company_names(&sandbox, "storea").await,
        ["Co A-1", "Co A-2"]
    );
    assert_eq!(stores::company_names(&sandbox, "storeb").await, ["Co B-1"]);
    assert!(drain(&sqs, &dlq).await.is_empty(), "nothing dead-lettered");

    let mut poison = company("storeb", "B-4");
    poison["company"]["email"] = json!("broken");
    let record = sqs_record("m9", &poison.to_string(), 1);
    let answer = answer_of(&worker, &json!({ "Records": [record] })).await;
    assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
    assert_eq!(drain(&sqs, &dlq).await.len(), 1);
    let pages = load_pages(&sdk, &env, &["storeb", "storea"]).await;
    let (b_page, a_page) = (&pages[0], &pages[1]);
    assert!(
        b_page.contains("Dead letters</th><td>1 parked in the dead-letter queue"),
        "{b_page}"
    );
    assert!(a_page.contains("Dead letters</th><td>none"), "{a_page}");
}

/// The `load` pages of `stores`, from the real `auth-callback` binary, for requests signed as
/// BigCommerce signs them.
async fn load_pages(
    sdk: &aws_config::SdkConfig,
    env: &[(&str, String)],
    stores: &[&str],
) -> Vec<String> {
    let app = unique("e2e-app");
    aws_sdk_secretsmanager::Client::new(sdk)
        .create_secret()
        .name(&app)
        .secret_string(
            json!({"client_id": "app-client", "client_secret": "app-SECRET-0123456789abcdef0123456789"}).to_string(),
        )
        .send()
        .await
        .unwrap();
    let mut env = env.to_vec();
    env.push(("APP_SECRET_ID", app));
    env.push((
        "AUTH_REDIRECT_URI",
        "https://apps.example.com/auth".to_owned(),
    ));
    let binary = function_binary("auth-callback", false).unwrap();
    let callback = FunctionProcess::start(&binary, "auth-callback", &env, Duration::from_secs(30))
        .await
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut pages = Vec::new();
    for store in stores {
        let claims = json!({"aud": "app-client", "iss": "bc", "iat": now, "nbf": now - 5,
            "exp": now + 600, "sub": format!("stores/{store}"),
            "user": {"id": 7, "email": "owner@example.com"}, "owner": {"id": 7, "email": "owner@example.com"}});
        let jwt =
            auth_callback::signed_payload::sign(&claims, "app-SECRET-0123456789abcdef0123456789")
                .unwrap();
        let mut event = http_post("/load", "-", &json!(null));
        event["rawQueryString"] = json!(format!("signed_payload_jwt={jwt}"));
        event["requestContext"]["http"]["method"] = json!("GET");
        event.as_object_mut().unwrap().remove("body");
        let answer = answer_of(&callback, &event).await;
        assert_eq!(answer["statusCode"], 200, "{answer}");
        pages.push(answer["body"].as_str().unwrap_or_default().to_owned());
    }
    pages
}
