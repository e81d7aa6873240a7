//! order-export, the function: runs the export library ([`b2b_export`]) on a schedule.
//!
//! - [`settings`]: every environment variable it reads, validated at cold start, and the
//!   schedule input.
//! - [`s3`]: the archive's parts in S3.
//! - [`exporter`]: the [`b2b_export::Exporter`] these settings describe.

pub mod s3;
pub mod settings;

use std::sync::Arc;

use b2b_export::archive::Archive;
use b2b_export::Exporter;
use b2b_shared::queue::SqsQueue;
use b2b_shared::setup;
use b2b_shared::state::DynamoState;
use bigcommerce_b2b::BcError;

pub use settings::{ScheduleInput, Settings};

/// The exporter that `settings` describe, with AWS clients from `sdk`.
pub fn exporter(settings: &Settings, sdk: &aws_config::SdkConfig) -> Result<Exporter, BcError> {
    Ok(Exporter {
        client: setup::store_client(&settings.config, sdk, Default::default())?,
        state: Arc::new(DynamoState::new(
            aws_sdk_dynamodb::Client::new(sdk),
            settings.state_table().to_owned(),
        )),
        fifo: settings.fifo(),
        archive: settings.archive.as_ref().map(|a| Archive {
            store: Arc::new(s3::S3Parts {
                client: s3::S3Parts::client(sdk),
                bucket: a.bucket.clone(),
            }),
            prefix: a.prefix.clone(),
        }),
        outbound: Arc::new(SqsQueue::new(
            aws_sdk_sqs::Client::new(sdk),
            settings.outbound_queue_url().to_owned(),
        )),
        settings: settings.export.clone(),
    })
}
