//! A function that cannot start says why in one log line: every real binary, started with its
//! required variables missing and one malformed, exits with status 1 after a single JSON log
//! line whose message names each problem, never a `Debug` dump of the error.

use std::process::Command;

use b2b_test_support::lambda::function_binary;
use serde_json::Value;

/// Each function, a malformed variable it reads, and the variables it requires.
const FUNCTIONS: &[(&str, (&str, &str), &[&str])] = &[
    (
        "webhook-intake",
        ("WEBHOOK_AUTH", "sometimes"),
        &["BC_SECRET_ID", "INBOUND_QUEUE_URL", "STATE_TABLE"],
    ),
    (
        "upsert-worker",
        ("MAX_RECEIVE_COUNT", "0"),
        &[
            "BC_SECRET_ID",
            "INBOUND_QUEUE_URL",
            "STATE_TABLE",
            "DEAD_LETTER_QUEUE_URL",
        ],
    ),
    (
        "order-export",
        ("EXPORT_BUCKET", "Not_A_Bucket"),
        &["BC_SECRET_ID", "OUTBOUND_QUEUE_URL", "STATE_TABLE"],
    ),
    ("token-refresh", ("BC_API_URL", "ftp://x"), &[]),
    (
        "auth-callback",
        ("BC_OAUTH_TOKEN_URL", "ftp://x"),
        &["APP_SECRET_ID", "STATE_TABLE"],
    ),
];

#[test]
fn a_function_that_cannot_start_logs_one_sentence_naming_each_problem() {
    for (name, (bad, value), required) in FUNCTIONS {
        let binary = function_binary(name, false).unwrap_or_else(|e| panic!("{e}"));
        let mut cmd = Command::new(&binary);
        for var in [
            "BC_SECRET_ID",
            "INBOUND_QUEUE_URL",
            "OUTBOUND_QUEUE_URL",
            "STATE_TABLE",
            "DEAD_LETTER_QUEUE_URL",
            "EXPORT_BUCKET",
        ] {
            cmd.env_remove(var);
        }
        let out = cmd
            .env(bad, value)
            .env("RUST_LOG", "info")
            .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
            .output()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out.status.code(), Some(1), "{name} exits with status 1");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{name}: one line, got {text}");
        let line: Value = serde_json::from_str(lines[0])
            .unwrap_or_else(|e| panic!("{name}: not a JSON log line ({e}): {text}"));
        assert_eq!(line["level"], "ERROR", "{name}: {line}");
        let error = line["fields"]["error"].as_str().unwrap_or_default();
        assert!(error.starts_with("cannot start"), "{name}: {line}");
        for var in required.iter().chain([bad]) {
            assert!(error.contains(var), "{name}: `{var}` not named in {error}");
        }
        assert!(
            !text.contains("ConfigError {") && !text.contains("problems:"),
            "{name}: a Debug dump: {text}"
        );
    }
}
