//! A field mapping delivered in S3 (`FIELD_MAPPING_S3_URI`, moto's S3): read at cold start and
//! checked as a file is; a record it maps becomes a command applied to the sandbox; a missing
//! object, an invalid mapping or a missing version stops the cold start with one error naming
//! the variable, the URI and the reason. The real `upsert-worker` binary, under a Lambda Runtime
//! API, does the same: it applies a mapped record, and it does not start without its mapping.
//!
//! `make test` starts moto and sets `AWS_ENDPOINT_URL`; without it these tests fail.

mod common;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use b2b_shared::queue::MemoryQueue;
use b2b_shared::state::MemoryState;
use b2b_test_support as support;
use b2b_test_support::lambda::{answer_of, FunctionProcess, InvokeFailure};
use bigcommerce_b2b::ClientOptions;
use serde_json::{json, Value};
use upsert_worker::mapping::Mapping;
use upsert_worker::settings::Settings;
use upsert_worker::Engine;

/// A mapping from an ERP's customer rows to `company.upsert`.
const CUSTOMERS: &str = r#"version: 1
rules:
  - match: { record_type: customer }
    command: company.upsert
    store_hash: { const: abc123 }
    external_id: entity_id
    fields:
      company.name: company_name
      company.email: email
      company.phone: phone
      company.country: { field: country, default: US }
      company.status: { field: status, lookup: customer_status }
      company.admin.first_name: contact.first
      company.admin.last_name: contact.last
      company.admin.email: contact.email
lookups:
  customer_status: { ACTIVE: approved, HOLD: inactive }
"#;

/// A customer row of the ERP, not a command.
fn customer(id: &str, name: &str) -> Value {
    json!({"record_type": "customer", "entity_id": id, "company_name": name,
        "email": format!("ap@{}.example", id.to_lowercase()), "phone": "555-0100", "status": "ACTIVE",
        "contact": {"first": "Nancy", "last": "Davolio", "email": format!("nancy@{}.example", id.to_lowercase())}})
}

fn s3(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    upsert_worker::mapping_source::s3_client(sdk)
}

/// A new bucket in moto.
async fn bucket(s3: &aws_sdk_s3::Client) -> String {
    let name = support::unique("mappings");
    s3.create_bucket().bucket(&name).send().await.unwrap();
    name
}

/// Puts `body` at `key`; the version id S3 gave it (with versioning on).
async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: &str) -> Option<String> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
        .unwrap()
        .version_id
}

/// The worker's settings with the mapping in S3 at `uri`.
fn settings(uri: &str) -> Settings {
    Settings::from_lookup(|k| match k {
        "BC_SECRET_ID" => Some("bigcommerce/store/abc123".into()),
        "INBOUND_QUEUE_URL" => Some("https://sqs/in".into()),
        "STATE_TABLE" => Some("state".into()),
        "DEAD_LETTER_QUEUE_URL" => Some("https://sqs/dlq".into()),
        "FIELD_MAPPING_S3_URI" => Some(uri.to_owned()),
        _ => None,
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

/// What the cold start says for the mapping at `uri`.
async fn cold_start_error(sdk: &aws_config::SdkConfig, uri: &str) -> String {
    let mut s = settings(uri);
    let e = s.load_mapping(sdk).await.unwrap_err();
    assert_eq!(e.problems.len(), 1, "{e}");
    assert_eq!(e.problems[0].variable, "FIELD_MAPPING_S3_URI");
    assert!(s.mapping.is_none(), "no mapping after a failed load");
    let text = e.to_string();
    assert!(
        text.contains(&format!("FIELD_MAPPING_S3_URI: {uri} cannot be loaded: ")),
        "{text}"
    );
    assert!(
        !text.contains("ErrorMetadata") && !text.contains("SdkBody"),
        "a Debug dump: {text}"
    );
    text
}

#[tokio::test]
async fn a_mapping_in_s3_is_read_at_cold_start_and_its_records_become_commands() {
    let sdk = support::moto().await;
    let s3 = s3(&sdk);
    let bucket = bucket(&s3).await;
    put(&s3, &bucket, "erp/customers.yaml", CUSTOMERS).await;
    let mut s = settings(&format!("s3://{bucket}/erp/customers.yaml"));
    assert!(s.mapping.is_none());
    s.load_mapping(&sdk).await.unwrap_or_else(|e| panic!("{e}"));
    let mapping = s.mapping.clone().expect("the mapping is loaded");
    assert_eq!(*mapping, Mapping::from_text(CUSTOMERS, false).unwrap());

    // The bundled example, uploaded as it is, is checked and loaded the same.
    let example = include_str!("../mappings/erp-customers.example.yaml");
    put(&s3, &bucket, "example.yaml", example).await;
    let mut e = settings(&format!("s3://{bucket}/example.yaml"));
    e.load_mapping(&sdk).await.unwrap_or_else(|e| panic!("{e}"));
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/mappings/erp-customers.example.yaml"
    );
    assert_eq!(
        e.mapping.as_deref(),
        Some(&Mapping::load(std::path::Path::new(path)).unwrap())
    );

    // A record the mapping knows is applied as the command it builds.
    let sandbox = support::sandbox(support::unlimited()).await;
    let dead = Arc::new(MemoryQueue::default());
    let engine = Engine::new(
        support::client(&sandbox, ClientOptions::default()),
        Arc::new(MemoryState::default()),
        "external_id".into(),
    );
    let mut worker = common::worker(engine, dead.clone());
    worker.mapping = Some(mapping);
    let failed = common::handle_received(&worker, &[customer("CUST-7", "Northwind")], 1).await;
    assert!(failed.is_empty(), "{failed:?}");
    assert!(dead.bodies().is_empty(), "{:?}", dead.bodies());
    let state = support::admin(&sandbox, "state").await;
    let names: Vec<Value> = support::all(&state, "companies")
        .into_iter()
        .map(|c| c["companyName"].clone())
        .collect();
    assert!(names.contains(&json!("Northwind")), "{names:?}");
}

#[tokio::test]
async fn a_missing_or_invalid_mapping_stops_the_cold_start_naming_uri_and_reason() {
    let sdk = support::moto().await;
    let s3 = s3(&sdk);
    let bucket = bucket(&s3).await;

    let missing = cold_start_error(&sdk, &format!("s3://{bucket}/nowhere.yaml")).await;
    assert!(missing.contains("no such object"), "{missing}");
    let no_bucket = cold_start_error(&sdk, "s3://no-such-bucket-for-mappings/m.yaml").await;
    assert!(no_bucket.contains("no such bucket"), "{no_bucket}");

    put(&s3, &bucket, "v2.yaml", "version: 2\nrules: []\n").await;
    let v2 = cold_start_error(&sdk, &format!("s3://{bucket}/v2.yaml")).await;
    assert!(v2.contains("version 2 is not supported"), "{v2}");

    put(&s3, &bucket, "broken.yaml", "version: 1\nrules: [\n").await;
    let broken = cold_start_error(&sdk, &format!("s3://{bucket}/broken.yaml")).await;
    assert!(broken.contains("at line 3"), "{broken}");

    let unknown = CUSTOMERS.replace("company.upsert", "company.delete");
    put(&s3, &bucket, "unknown.yaml", &unknown).await;
    let e = cold_start_error(&sdk, &format!("s3://{bucket}/unknown.yaml")).await;
    assert!(e.contains("unknown command `company.delete`"), "{e}");

    // JSON by its key's extension, as for a file: YAML text in a `.json` key is refused.
    put(&s3, &bucket, "customers.json", CUSTOMERS).await;
    let json = cold_start_error(&sdk, &format!("s3://{bucket}/customers.json")).await;
    assert!(json.contains("expected value at line 1"), "{json}");

    let huge = format!("{CUSTOMERS}# {}\n", "x".repeat(1 << 20));
    put(&s3, &bucket, "huge.yaml", &huge).await;
    let e = cold_start_error(&sdk, &format!("s3://{bucket}/huge.yaml")).await;
    assert!(e.contains("a mapping may have at most 1048576"), "{e}");
}

#[tokio::test]
async fn a_pinned_version_is_the_one_read() {
    let sdk = support::moto().await;
    let s3 = s3(&sdk);
    let bucket = bucket(&s3).await;
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let good = put(&s3, &bucket, "m.yaml", CUSTOMERS)
        .await
        .expect("a version");
    put(&s3, &bucket, "m.yaml", "version: 2\nrules: []\n").await;
    let mut pinned = settings(&format!("s3://{bucket}/m.yaml?versionId={good}"));
    pinned
        .load_mapping(&sdk)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(pinned.mapping.is_some());
    let latest = cold_start_error(&sdk, &format!("s3://{bucket}/m.yaml")).await;
    assert!(latest.contains("version 2"), "{latest}");
    let gone = cold_start_error(&sdk, &format!("s3://{bucket}/m.yaml?versionId=nope")).await;
    assert!(gone.contains("no such object (or version)"), "{gone}");
}

/// The real worker binary's environment for `sandbox`, with the mapping at `uri`.
async fn binary_env(
    sdk: &aws_config::SdkConfig,
    sandbox: &bc_sandbox::RunningSandbox,
    uri: &str,
) -> Vec<(&'static str, String)> {
    vec![
        (
            "BC_SECRET_ID",
            support::store_secret(sdk, "mapping/store").await,
        ),
        ("BC_API_URL", sandbox.base_url()),
        ("B2B_API_URL", sandbox.base_url()),
        ("STATE_TABLE", support::state_table(sdk).await),
        ("INBOUND_QUEUE_URL", support::queue(sdk, "map-in").await),
        (
            "DEAD_LETTER_QUEUE_URL",
            support::queue(sdk, "map-dlq").await,
        ),
        ("FIELD_MAPPING_S3_URI", uri.to_owned()),
        ("RUST_LOG", "info".into()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_binary_reads_its_mapping_from_s3_or_does_not_start() {
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_upsert-worker"));
    let sdk = support::moto().await;
    let s3 = s3(&sdk);
    let bucket = bucket(&s3).await;
    put(&s3, &bucket, "customers.yaml", CUSTOMERS).await;
    let sandbox = support::sandbox(support::unlimited()).await;
    let timeout = Duration::from_secs(60);

    let uri = format!("s3://{bucket}/customers.yaml");
    let env = binary_env(&sdk, &sandbox, &uri).await;
    let worker = FunctionProcess::start(binary, "upsert-worker", &env, timeout)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let record = json!({"messageId": "m1", "receiptHandle": "rh", "eventSource": "aws:sqs",
        "body": customer("CUST-9", "Mapped From S3").to_string(),
        "attributes": {"ApproximateReceiveCount": "1"}});
    let answer = answer_of(&worker, &json!({"Records": [record]})).await;
    assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
    let state = support::admin(&sandbox, "state").await;
    assert!(
        support::all(&state, "companies")
            .iter()
            .any(|c| c["companyName"] == "Mapped From S3"),
        "the mapped record was applied"
    );
    drop(worker);

    let missing = format!("s3://{bucket}/missing.yaml");
    let env = binary_env(&sdk, &sandbox, &missing).await;
    let worker = FunctionProcess::start(binary, "upsert-worker", &env, timeout)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    match worker.invoke(&json!({"Records": []}), timeout).await {
        Err(InvokeFailure::Exited(status)) => assert!(status.contains("1"), "{status}"),
        other => panic!("the worker started without its mapping: {other:?}"),
    }
    assert!(worker.init_time().is_none(), "it never asked for an event");
    let log = std::fs::read_to_string(&worker.log).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains("cannot start"))
        .unwrap_or_else(|| panic!("no start-up error in {log}"));
    assert!(
        line.contains(&format!(
            "FIELD_MAPPING_S3_URI: {missing} cannot be loaded: no such object"
        )),
        "{line}"
    );
}
