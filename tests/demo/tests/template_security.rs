//! What a deploy of `infra/template.yaml` must never do: hold a credential written into the
//! template (every shared key is generated at deploy time; a credential someone else issues is
//! left empty for the operator), create an ERP connection nobody asked for, store data without
//! the stack's key, let a burst of invocations outrun BigCommerce's quota, or skip a scanner
//! check without saying why.

mod cfn;

use b2b_shared::secrets::MIN_SHARED_KEY_BYTES;
use cfn::{root, short_ref, template_text, Deploy, Resolved};
use serde_norway::Value;

/// Fields that hold a credential, in any secret's JSON.
const CREDENTIAL_FIELDS: &[&str] = &[
    "access_token",
    "refresh_token",
    "client_secret",
    "webhook_secret",
    "inbound_api_key",
    "shared_secret",
    "outbound_shared_secret",
    "password",
    "api_key",
];

/// The parameters that create every optional resource.
const EVERYTHING: &[(&str, &str)] = &[
    ("StoreMode", "many"),
    ("ExportBucketName", "acme-b2b-exports"),
    ("ErpTokenUrl", "https://erp.acme.example/oauth2/token"),
];

/// The text of a `!Sub` (either form), or of a plain string.
fn sub_text(v: &Value) -> Option<String> {
    match v {
        Value::Tagged(t) if t.tag == "!Sub" => match &t.value {
            Value::Sequence(s) => s.first().and_then(Value::as_str).map(str::to_owned),
            other => other.as_str().map(str::to_owned),
        },
        other => other.as_str().map(str::to_owned),
    }
}

/// The names a `!Sub` text substitutes (`${Name}`), in order.
fn substitutions(text: &str) -> Vec<String> {
    text.split("${")
        .skip(1)
        .filter_map(|rest| rest.split('}').next())
        .map(str::to_owned)
        .collect()
}

/// Every `(path, value)` of a credential field in `json`, at any depth.
fn credentials_in(json: &serde_json::Value, path: &str, out: &mut Vec<(String, String)>) {
    match json {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let here = format!("{path}.{k}");
                if let (true, Some(text)) = (CREDENTIAL_FIELDS.contains(&k.as_str()), v.as_str()) {
                    out.push((here.clone(), text.to_owned()));
                }
                credentials_in(v, &here, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                credentials_in(v, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Whether `name` is a secret of `deploy` whose whole value Secrets Manager generates, long
/// enough for a shared key and without punctuation (it goes into headers and JSON as it is).
fn is_generated_key(deploy: &Deploy, name: &str) -> bool {
    let Some(resource) = deploy.t["Resources"].get(name) else {
        return false;
    };
    let generate = &resource["Properties"]["GenerateSecretString"];
    resource["Type"].as_str() == Some("AWS::SecretsManager::Secret")
        && generate["SecretStringTemplate"].is_null()
        && generated_key_is_strong(generate)
}

/// Whether a `GenerateSecretString` makes keys a function accepts.
fn generated_key_is_strong(generate: &Value) -> bool {
    generate["PasswordLength"]
        .as_u64()
        .is_some_and(|n| n >= MIN_SHARED_KEY_BYTES as u64)
        && generate["ExcludePunctuation"].as_bool() == Some(true)
}

/// Checks every secret `deploy` creates: no credential field holds anything but nothing (for
/// the operator to fill in), the key Secrets Manager generates, or a reference to a secret that
/// is wholly generated. Returns, per secret, the credential fields that are generated.
fn check_secrets(deploy: &Deploy) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (name, resource) in deploy.resources_of("AWS::SecretsManager::Secret") {
        let props = &resource["Properties"];
        let generate = &props["GenerateSecretString"];
        assert!(
            props["SecretString"].is_null() || generate.is_null(),
            "{name}: SecretString or GenerateSecretString, not both"
        );
        let written = if generate.is_null() {
            &props["SecretString"]
        } else {
            &generate["SecretStringTemplate"]
        };
        let mut generated = Vec::new();
        if let Some(key) = generate["GenerateStringKey"].as_str() {
            assert!(generated_key_is_strong(generate), "{name}: {generate:?}");
            generated.push(format!("$.{key}"));
        }
        let Some(text) = sub_text(written) else {
            assert!(
                generated_key_is_strong(generate),
                "{name}: a wholly generated secret must make strong keys"
            );
            out.push((name, generated));
            continue;
        };
        // `${...}` substitutions sit inside JSON strings: the text parses as it is.
        let json: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{name}: the secret's JSON: {e}: {text}"));
        let mut found = Vec::new();
        credentials_in(&json, "$", &mut found);
        for (path, value) in found {
            if value.is_empty() {
                continue;
            }
            let target = value
                .strip_prefix("{{resolve:secretsmanager:")
                .and_then(|rest| substitutions(rest).into_iter().next());
            assert!(
                target
                    .as_deref()
                    .is_some_and(|t| is_generated_key(deploy, t)),
                "{name}: {path} holds a credential written into the template"
            );
            generated.push(path);
        }
        out.push((name, generated));
    }
    out
}

#[test]
fn no_secret_in_the_template_holds_a_literal_credential() {
    let text = template_text().to_ascii_uppercase();
    let samconfig = std::fs::read_to_string(root().join("samconfig.toml"))
        .unwrap()
        .to_ascii_uppercase();
    for placeholder in ["REPLACE_ME", "CHANGE_ME"] {
        assert!(
            !text.contains(placeholder),
            "the template holds {placeholder}"
        );
        assert!(
            !samconfig.contains(placeholder),
            "samconfig.toml holds {placeholder}"
        );
    }
    for overrides in [&[][..], EVERYTHING] {
        let deploy = Deploy::with(overrides);
        let secrets = check_secrets(&deploy);
        assert!(!secrets.is_empty());
    }
}

/// The store secret is created with both of the store's shared keys generated, and the store
/// token empty until the operator puts it in (the functions refuse an empty one).
#[test]
fn the_store_secret_is_created_with_generated_keys_and_no_token() {
    let deploy = Deploy::default_parameters();
    let secrets = check_secrets(&deploy);
    let (_, generated) = secrets
        .iter()
        .find(|(name, _)| name == "StoreSecret")
        .expect("a StoreSecret");
    for field in ["$.inbound_api_key", "$.webhook_secret"] {
        assert!(
            generated.iter().any(|g| g == field),
            "StoreSecret: {field} is not generated ({generated:?})"
        );
    }
}

/// ERP connections are opt-in: by default no connection secret, no rotation schedule, no
/// permission for Secrets Manager to invoke token-refresh, and token-refresh refreshes nothing;
/// with `ErpTokenUrl` there is one of each, and an alarm on its failed refreshes.
#[test]
fn the_default_deploy_creates_no_erp_connection_and_no_rotation() {
    let connection = |deploy: &Deploy| {
        deploy
            .resources_of("AWS::SecretsManager::Secret")
            .into_iter()
            .filter(|(_, r)| {
                let props = &r["Properties"];
                [
                    &props["SecretString"],
                    &props["GenerateSecretString"]["SecretStringTemplate"],
                ]
                .into_iter()
                .filter_map(sub_text)
                .any(|t| t.contains("token_url"))
            })
            .count()
    };
    let refresh_env = |deploy: &Deploy| {
        let (_, f) = deploy
            .resources()
            .into_iter()
            .find(|(n, _)| n == "TokenRefreshFunction")
            .unwrap();
        let ids = &f["Properties"]["Environment"]["Variables"]["CONNECTION_SECRET_IDS"];
        match deploy.resolve(ids) {
            Resolved::Text(t) => !t.is_empty(),
            Resolved::Value(v) => v.as_str().is_none_or(|s| !s.is_empty()),
            Resolved::Absent => false,
        }
    };
    let failed_refresh_alarms = |deploy: &Deploy| {
        deploy
            .resources_of("AWS::CloudWatch::Alarm")
            .into_iter()
            .filter(|(_, r)| r["Properties"]["MetricName"].as_str() == Some("TokenRefreshFailed"))
            .count()
    };
    let default = Deploy::default_parameters();
    assert_eq!(connection(&default), 0, "a connection secret by default");
    assert!(default
        .resources_of("AWS::SecretsManager::RotationSchedule")
        .is_empty());
    assert!(default
        .resources_of("AWS::Lambda::Permission")
        .iter()
        .all(
            |(_, p)| p["Properties"]["Principal"].as_str() != Some("secretsmanager.amazonaws.com")
        ));
    assert!(
        !refresh_env(&default),
        "token-refresh is given a connection by default"
    );
    assert_eq!(failed_refresh_alarms(&default), 0);

    let opted_in = Deploy::with(&[("ErpTokenUrl", "https://erp.acme.example/oauth2/token")]);
    assert_eq!(connection(&opted_in), 1);
    assert_eq!(
        opted_in
            .resources_of("AWS::SecretsManager::RotationSchedule")
            .len(),
        1
    );
    assert!(refresh_env(&opted_in));
    assert_eq!(
        failed_refresh_alarms(&opted_in),
        1,
        "TokenRefreshFailed alarm"
    );
}

/// Where a resource type names its KMS key, in its properties.
type KeyOf = fn(&Value) -> &Value;

/// Whether `v` names the stack's KMS key (`!Ref` it, or `!GetAtt` its ARN).
fn is_stack_key(deploy: &Deploy, v: &Value) -> bool {
    let keys: Vec<String> = deploy
        .resources_of("AWS::KMS::Key")
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let named = match v {
        Value::Tagged(t) if t.tag == "!GetAtt" => t
            .value
            .as_str()
            .and_then(|s| s.strip_suffix(".Arn"))
            .map(str::to_owned),
        other => short_ref(other).map(str::to_owned),
    };
    named.is_some_and(|n| keys.contains(&n))
}

/// Everything the stack stores is encrypted with the stack's own key (rotated yearly): every
/// queue, the state table, the export bucket (versioned), every log group and secret; and the
/// HTTP API writes access logs.
#[test]
fn everything_stored_is_encrypted_with_the_stack_key_and_the_api_logs_access() {
    let deploy = Deploy::with(EVERYTHING);
    let keys = deploy.resources_of("AWS::KMS::Key");
    assert_eq!(keys.len(), 1, "one stack key");
    assert_eq!(
        keys[0].1["Properties"]["EnableKeyRotation"].as_bool(),
        Some(true)
    );
    let checks: [(&str, KeyOf); 5] = [
        ("AWS::SQS::Queue", |p| &p["KmsMasterKeyId"]),
        ("AWS::DynamoDB::Table", |p| {
            &p["SSESpecification"]["KMSMasterKeyId"]
        }),
        ("AWS::Logs::LogGroup", |p| &p["KmsKeyId"]),
        ("AWS::SecretsManager::Secret", |p| &p["KmsKeyId"]),
        ("AWS::S3::Bucket", |p| {
            &p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
                ["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]
        }),
    ];
    for (kind, key_of) in checks {
        let resources = deploy.resources_of(kind);
        assert!(!resources.is_empty(), "{kind}");
        for (name, r) in resources {
            assert!(
                is_stack_key(&deploy, key_of(&r["Properties"])),
                "{name}: not the stack key"
            );
        }
    }
    for (name, bucket) in deploy.resources_of("AWS::S3::Bucket") {
        let p = &bucket["Properties"];
        assert_eq!(
            p["VersioningConfiguration"]["Status"].as_str(),
            Some("Enabled"),
            "{name}"
        );
    }
    for (name, api) in deploy.resources_of("AWS::Serverless::HttpApi") {
        let logs = &api["Properties"]["AccessLogSettings"];
        assert!(
            !logs["DestinationArn"].is_null() && !logs["Format"].is_null(),
            "{name}"
        );
        // The install callback's query string carries the OAuth code: never logged.
        let format = logs["Format"].as_str().unwrap_or_default();
        assert!(!format.contains("rawQueryString") && !format.contains("requestOverride"));
    }
}

/// Every function has a concurrency limit; those calling BigCommerce are held to a few at
/// once (a store's quota is shared by every app), and the worker's queue never offers it more
/// batches at once than it may run.
#[test]
fn every_function_s_concurrency_is_bounded_and_bigcommerce_callers_are_few() {
    let deploy = Deploy::default_parameters();
    for (name, f) in deploy.resources_of("AWS::Serverless::Function") {
        let props = &f["Properties"];
        let reserved: u64 = deploy
            .text(&props["ReservedConcurrentExecutions"])
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("{name}: no ReservedConcurrentExecutions"));
        assert!(reserved >= 1, "{name}");
        let calls_bigcommerce = [
            "UpsertWorkerFunction",
            "OrderExportFunction",
            "TokenRefreshFunction",
        ]
        .contains(&name.as_str());
        if calls_bigcommerce {
            assert!(
                reserved <= 2,
                "{name}: {reserved} at once against one store's quota"
            );
        }
        if let Some(events) = props["Events"].as_mapping() {
            for (event, e) in events {
                let most = &e["Properties"]["ScalingConfig"]["MaximumConcurrency"];
                if let Some(most) = deploy.text(most).and_then(|t| t.parse::<u64>().ok()) {
                    assert!(most <= reserved, "{name}.{event:?}: {most} > {reserved}");
                }
            }
        }
    }
}

/// A scanner check skipped in the template says why, in one line; encryption, access logs,
/// concurrency and versioning are fixed, never skipped.
#[test]
fn every_scanner_skip_says_why_and_nothing_that_matters_is_skipped() {
    const NEVER_SKIPPED: &[&str] = &[
        "CKV_AWS_27",  // SQS encryption
        "CKV_AWS_119", // DynamoDB with a customer key
        "CKV_AWS_158", // log groups with KMS
        "CKV_AWS_149", // secrets with a customer key
        "CKV_AWS_95",  // API access logs
        "CKV_AWS_115", // function concurrency
        "CKV_AWS_21",  // bucket versioning
        "CKV_AWS_7",   // key rotation
    ];
    let deploy = Deploy::with(EVERYTHING);
    let mut skips = 0;
    for (name, r) in deploy.resources() {
        let Some(list) = r["Metadata"]["checkov"]["skip"].as_sequence() else {
            continue;
        };
        for skip in list {
            let id = skip["id"].as_str().unwrap_or_default();
            let why = skip["comment"].as_str().unwrap_or_default();
            assert!(id.starts_with("CKV"), "{name}: {skip:?}");
            assert!(
                !why.trim().is_empty() && !why.contains('\n'),
                "{name}: {id} is skipped without a one-line reason"
            );
            assert!(
                !NEVER_SKIPPED.contains(&id),
                "{name}: {id} must be fixed, not skipped"
            );
            skips += 1;
        }
    }
    assert!(skips > 0);
}
