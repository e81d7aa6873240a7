//! What the export's sandbox tests share: a strict sandbox with two seeded companies and an
//! exporter of some streams into memory, and the document schema users read.

use std::sync::Arc;

use b2b_export::{ExportSettings, Exporter, StreamKind};
use b2b_shared::queue::MemoryQueue;
use b2b_shared::state::MemoryState;
use b2b_test_support as support;
use bc_sandbox::{RunningSandbox, SandboxOptions};
use bigcommerce_b2b::ClientOptions;
use serde_json::Value;

/// A strict sandbox with two companies, and an exporter of `streams` to an in-memory queue.
// Each test crate compiles this module; not every one uses everything in it.
#[allow(dead_code)]
pub async fn strict_export(
    streams: Vec<StreamKind>,
) -> (RunningSandbox, Exporter, Arc<MemoryQueue>) {
    let sandbox = support::sandbox(SandboxOptions {
        seed_companies: 2,
        ..support::unlimited().strict()
    })
    .await;
    let outbox = Arc::new(MemoryQueue::default());
    let exporter = Exporter {
        client: support::client(&sandbox, ClientOptions::default()),
        state: Arc::new(MemoryState::default()),
        outbound: outbox.clone(),
        settings: ExportSettings {
            streams,
            ..ExportSettings::default()
        },
        fifo: false,
        archive: None,
    };
    (sandbox, exporter, outbox)
}

/// The export document schema (`schemas/export-document.v1.schema.json`), compiled.
pub fn document_schema() -> jsonschema::Validator {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schemas/export-document.v1.schema.json"
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}
