//! `POST /inbound`: ERP/CRM commands, one or a batch, authenticated by the bearer inbound API
//! key of every store they name, each validated against the command schema; all enqueued or
//! none. Commands only: a record for the worker's field mapping is refused, saying it goes to
//! the inbound queue directly ([`NOT_A_COMMAND`]).
//!
//! Each command is enqueued with a `trace_id` (its sender's, else `{request id}-{index}`): the
//! `id` the 202 answers with, which the worker's log lines, dead letters and metrics carry.
//! An `idempotency_key` used for another command (earlier in the same request, or bound in the
//! state table by the worker: [`KeyBinding`]) is answered 409 and nothing is enqueued.

use std::sync::Arc;

use b2b_commands::{reused_keys, Command, KeyBinding};
use b2b_shared::queue::{OutgoingMessage, MAX_MESSAGE_BYTES};
use b2b_shared::secrets::StoreSecret;
use bigcommerce_b2b::StoreHash;
use lambda_http::http::{header, HeaderMap, StatusCode};
use lambda_http::{Body, Response};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::http::{
    answer, hex, names_a_command_type, short_hash, unauthorized, unavailable, Refusal,
    MAPPED_RECORDS_GO_TO_THE_QUEUE,
};
use crate::intake::Intake;
use crate::stores::inbound_stores;
use crate::verify::{log_unusable, secrets_equal};

/// The answer refusing `given` unless it is the inbound API key of every one of `secrets`
/// (compared in constant time): 401 for a wrong key, 503 when a configured key may not be used
/// (a placeholder, empty, short or missing: logged naming the secret and field).
fn refusal(secrets: &[Arc<StoreSecret>], given: &str) -> Option<Response<Body>> {
    let mut matches = true;
    for secret in secrets {
        match secret.inbound_key() {
            Ok(key) => matches &= secrets_equal(given.as_bytes(), key.expose_secret().as_bytes()),
            Err(e) => {
                log_unusable("inbound", &e);
                return Some(unavailable());
            }
        }
    }
    (!matches).then(unauthorized)
}

/// Reads an inbound body: one command object or a non-empty array of at most
/// `max_batch` (no AWS calls).
pub fn read_batch(intake: &Intake, body: &[u8]) -> Result<Vec<Value>, Refusal> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            &format!("body is not valid JSON: {e}"),
        )
    })?;
    let items = match value {
        Value::Array(items) if items.is_empty() => {
            return Err(Refusal::new(StatusCode::BAD_REQUEST, "empty batch"))
        }
        Value::Array(items) => items,
        Value::Object(_) => vec![value],
        _ => {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "body must be a command object or an array of commands",
            ))
        }
    };
    if items.len() > intake.options.max_batch {
        return Err(Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("at most {} commands per request", intake.options.max_batch),
        ));
    }
    Ok(items)
}

/// The problem added for an item with no command type this toolkit knows: most often a record
/// meant for the worker's field mapping, which reads the inbound queue, not this route.
pub const NOT_A_COMMAND: &str =
    "not a command (no `type` this toolkit knows): POST /inbound takes commands only";

/// Validates inbound commands, every one, all or nothing, for the stores `served` (the
/// ones the request authenticated for; no AWS calls).
pub fn decide(
    intake: &Intake,
    items: Vec<Value>,
    served: &[StoreHash],
) -> Result<Vec<(Command, OutgoingMessage)>, Refusal> {
    let mut invalid = Vec::new();
    let mut valid = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        let external_id = item.get("external_id").cloned().unwrap_or(Value::Null);
        let known_type = names_a_command_type(&item);
        match Command::from_value(item) {
            Ok(cmd) if !served.iter().any(|s| s.as_str() == cmd.store_hash) => invalid.push(json!({
                "index": index, "external_id": external_id,
                "problems": [format!("`store_hash` `{}` is not this deployment's store", cmd.store_hash)],
            })),
            Ok(cmd) => valid.push(cmd),
            Err(e) => {
                let mut problems = e.problems;
                if !known_type {
                    problems.push(format!("{NOT_A_COMMAND}; {MAPPED_RECORDS_GO_TO_THE_QUEUE}"));
                }
                invalid.push(json!({ "index": index, "external_id": external_id, "problems": problems }))
            }
        }
    }
    if !invalid.is_empty() {
        return Err(Refusal {
            status: StatusCode::BAD_REQUEST,
            body: json!({ "error": "invalid commands; nothing was enqueued", "invalid": invalid }),
        });
    }
    let reused = reused_keys(&valid);
    if !reused.is_empty() {
        return Err(key_conflict(&valid, reused));
    }
    let request_id = hex(&fastrand::u128(..).to_be_bytes());
    let mut out = Vec::with_capacity(valid.len());
    for (index, mut cmd) in valid.into_iter().enumerate() {
        cmd.trace_id
            .get_or_insert_with(|| format!("{request_id}-{index}"));
        let body = serde_json::to_string(&cmd).map_err(|e| {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                &format!("command {index} cannot be encoded: {e}"),
            )
        })?;
        if body.len() > MAX_MESSAGE_BYTES {
            return Err(Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("command {index} is larger than 256 KiB"),
            ));
        }
        let mut message = OutgoingMessage::new(format!("{index}"), body);
        if intake.options.fifo {
            message.group_id = Some(format!("{}#{}", cmd.store_hash, cmd.group()));
            message.dedup_id = Some(short_hash(&cmd.dedupe_key()));
        }
        out.push((cmd, message));
    }
    Ok(out)
}

/// The 409 for the commands of `batch` whose `idempotency_key` stands for another command
/// (`reused`: each one's index and why), enqueueing nothing.
fn key_conflict(batch: &[Command], reused: Vec<(usize, String)>) -> Refusal {
    let invalid: Vec<Value> = reused
        .into_iter()
        .map(|(index, why)| {
            let external_id = batch.get(index).map(|c| c.external_id.as_str());
            json!({ "index": index, "external_id": external_id, "problems": [why] })
        })
        .collect();
    Refusal {
        status: StatusCode::CONFLICT,
        body: json!({ "error": "an idempotency_key stands for another command; nothing was enqueued", "invalid": invalid }),
    }
}

/// The 409 for the commands whose `idempotency_key` the state table binds to another command,
/// if any. When the table cannot be read the commands go on: the worker checks them again and
/// dead-letters a reused key.
async fn known_key_conflicts(
    intake: &Intake,
    commands: &[(Command, OutgoingMessage)],
) -> Option<Refusal> {
    let now = chrono::Utc::now().timestamp();
    let mut reused = Vec::new();
    for (index, (cmd, _)) in commands.iter().enumerate() {
        let Some(record) = cmd.key_record() else {
            continue;
        };
        match intake.state.get_watermark(&record).await {
            Ok(value) => {
                let bound = value.and_then(|v| KeyBinding::from_record(&v, now));
                reused.extend(bound.and_then(|b| b.refusal(cmd)).map(|why| (index, why)));
            }
            Err(e) => {
                tracing::warn!(error = %e, "idempotency keys not checked at intake; the worker checks them");
                return None;
            }
        }
    }
    if reused.is_empty() {
        return None;
    }
    let batch: Vec<Command> = commands.iter().map(|(c, _)| c.clone()).collect();
    Some(key_conflict(&batch, reused))
}

/// Answers `POST /inbound`. Authentication: a single-store deployment checks the bearer key
/// before reading the body (as before many stores); a many-store one reads which stores the
/// commands name, and the key must be the inbound key of every one of them.
pub(crate) async fn serve(intake: &Intake, headers: &HeaderMap, body: &[u8]) -> Response<Body> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .trim();
    let only = match intake.credentials.only_store().await {
        Ok(only) => only,
        Err(e) => {
            tracing::error!(error = %e, "store secret unavailable");
            return unavailable();
        }
    };
    if let Some(only) = &only {
        if let Some(refused) = refusal(std::slice::from_ref(only), given) {
            return refused;
        }
    }
    let items = match read_batch(intake, body) {
        Ok(items) => items,
        Err(refusal) => return refusal.into_response(),
    };
    let secrets = match only {
        Some(only) => vec![only],
        None => match inbound_stores(intake.credentials.as_ref(), &items).await {
            Ok(secrets) => match refusal(&secrets, given) {
                None => secrets,
                Some(refused) => return refused,
            },
            Err(refusal) => return refusal.into_response(),
        },
    };
    let served: Vec<StoreHash> = secrets.iter().map(|s| s.store_hash.clone()).collect();
    let commands = match decide(intake, items, &served) {
        Ok(c) => c,
        Err(refusal) => return refusal.into_response(),
    };
    if let Some(refusal) = known_key_conflicts(intake, &commands).await {
        return refusal.into_response();
    }
    let messages: Vec<OutgoingMessage> = commands.iter().map(|(_, m)| m.clone()).collect();
    if let Err(e) = intake.queue.send_all(&messages).await {
        tracing::error!(error = %e, commands = messages.len(), "enqueue of inbound commands failed");
        return unavailable();
    }
    let accepted: Vec<Value> = commands
        .iter()
        .enumerate()
        .map(|(i, (cmd, _))| {
            let trace_id = cmd.trace_id.as_deref().unwrap_or_default();
            tracing::info!(kind = cmd.kind(), external_id = %cmd.external_id, %trace_id, outcome = "enqueued", "inbound command accepted");
            json!({ "index": i, "id": trace_id, "type": cmd.kind(), "external_id": cmd.external_id })
        })
        .collect();
    answer(StatusCode::ACCEPTED, json!({ "accepted": accepted }))
}

#[cfg(test)]
#[path = "inbound_tests.rs"]
mod tests;
