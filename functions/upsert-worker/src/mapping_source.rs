//! Where the field mapping comes from, and its loading at cold start.
//!
//! Either a file bundled with the function (`FIELD_MAPPING_FILE`, read with the other settings)
//! or an S3 object (`FIELD_MAPPING_S3_URI`, `s3://BUCKET/KEY`, optionally `?versionId=ID`), read
//! once per cold start, after the AWS configuration and before the runtime takes an event. S3
//! rather than an SSM parameter: a mapping with its lookup tables soon outgrows a parameter's
//! 4 KB (standard) or 8 KB (advanced). Either way the mapping is checked the same
//! ([`Mapping::from_text`]); a missing object, a refused read or an invalid mapping stops the
//! cold start with one error naming the variable, the URI and the reason, so no message is
//! taken without the mapping it needs.
//!
//! Guide: `docs/erp/mapping.md`.

use std::fmt;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;
use b2b_shared::env::{ConfigError, ConfigProblem};

use crate::mapping::Mapping;

/// The variable naming a mapping file bundled with the function.
pub const FILE_VARIABLE: &str = "FIELD_MAPPING_FILE";

/// The variable naming a mapping in S3.
pub const S3_VARIABLE: &str = "FIELD_MAPPING_S3_URI";

/// The largest mapping object read from S3 (1 MiB): far above any real mapping, and a mistaken
/// object (an export, an archive) is refused with its size instead of filling the memory.
pub const MAX_MAPPING_BYTES: usize = 1 << 20;

/// The form `FIELD_MAPPING_S3_URI` takes, as its problems say.
const URI_FORM: &str = "s3://BUCKET/KEY, optionally followed by ?versionId=ID";

/// One S3 object holding a mapping: `s3://BUCKET/KEY[?versionId=ID]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Object {
    /// The bucket.
    pub bucket: String,
    /// The key, as written (not percent-decoded, as the S3 console's "S3 URI" shows it).
    pub key: String,
    /// A pinned version, when the bucket is versioned.
    pub version_id: Option<String>,
}

impl S3Object {
    /// Reads `s3://BUCKET/KEY[?versionId=ID]`: a `?` starts the version, so a key cannot hold
    /// one; the bucket follows S3's naming rules.
    pub fn parse(uri: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("`{uri}` {why}; expected {URI_FORM}");
        let rest = uri
            .strip_prefix("s3://")
            .ok_or_else(|| bad("is not an S3 URI"))?;
        let (object, version) = match rest.split_once('?') {
            None => (rest, None),
            Some((object, query)) => match query.strip_prefix("versionId=") {
                Some(id) if !id.is_empty() && !id.contains(['?', '&', '=']) => {
                    (object, Some(id.to_owned()))
                }
                _ => return Err(bad("has a query other than one versionId")),
            },
        };
        let (bucket, key) = object
            .split_once('/')
            .ok_or_else(|| bad("names no object key"))?;
        if !is_bucket_name(bucket) {
            return Err(bad(
                "does not start with an S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens)",
            ));
        }
        if key.is_empty() {
            return Err(bad("names no object key"));
        }
        Ok(Self {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            version_id: version,
        })
    }

    /// Whether the object holds JSON (its key ends in `.json`), as for a file; YAML otherwise.
    pub fn is_json(&self) -> bool {
        self.key.ends_with(".json")
    }
}

impl fmt::Display for S3Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)?;
        match &self.version_id {
            Some(id) => write!(f, "?versionId={id}"),
            None => Ok(()),
        }
    }
}

/// S3's bucket naming rules, as far as a name alone shows them.
fn is_bucket_name(name: &str) -> bool {
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-';
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    (3..=63).contains(&name.len())
        && name.bytes().all(allowed)
        && edge(name.chars().next())
        && edge(name.chars().last())
}

/// Why a mapping object cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum S3MappingError {
    /// S3 refused or failed the read; `retryable` when a later cold start may succeed as it is
    /// (throttling, a server error, the network), not when the object or a permission is missing.
    #[error("{reason}")]
    Read {
        /// What S3 answered, with a hint for the usual causes.
        reason: String,
        /// Whether trying again as it is may succeed.
        retryable: bool,
    },
    /// The object is not a mapping, or not one this worker accepts.
    #[error("{0}")]
    Invalid(String),
}

impl S3MappingError {
    /// Whether a later cold start may succeed without a change.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Read {
                retryable: true,
                ..
            }
        )
    }
}

/// The S3 client for `sdk`; path-style addressing when an endpoint override (moto, MinIO) is
/// configured.
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Reads the mapping in `object` and checks it as a mapping file is checked.
pub async fn read_s3(
    client: &aws_sdk_s3::Client,
    object: &S3Object,
) -> Result<Mapping, S3MappingError> {
    let got = client
        .get_object()
        .bucket(&object.bucket)
        .key(&object.key)
        .set_version_id(object.version_id.clone())
        .send()
        .await
        .map_err(|e| read_error(&e))?;
    let too_large = |n: usize| {
        S3MappingError::Invalid(format!(
            "the object is {n} bytes; a mapping may have at most {MAX_MAPPING_BYTES}"
        ))
    };
    if let Some(n) = got.content_length().and_then(|n| usize::try_from(n).ok()) {
        if n > MAX_MAPPING_BYTES {
            return Err(too_large(n));
        }
    }
    let bytes = got
        .body
        .collect()
        .await
        .map_err(|e| S3MappingError::Read {
            reason: format!("the object could not be read to its end: {e}"),
            retryable: true,
        })?
        .into_bytes();
    if bytes.len() > MAX_MAPPING_BYTES {
        return Err(too_large(bytes.len()));
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| S3MappingError::Invalid(format!("the object is not UTF-8 text: {e}")))?;
    Mapping::from_text(text, object.is_json()).map_err(S3MappingError::Invalid)
}

/// What S3's answer to `GetObject` means for the person deploying.
fn read_error(e: &SdkError<GetObjectError, HttpResponse>) -> S3MappingError {
    let code = e.code().unwrap_or_default();
    let status = e.raw_response().map_or(0, |r| r.status().as_u16());
    let detail = match e {
        SdkError::ServiceError(s) => format!(
            "S3 answered {status} {code}: {}",
            s.err().message().unwrap_or_default()
        ),
        other => sources(other),
    };
    let hint = match code {
        "NoSuchKey" | "NoSuchVersion" => "no such object (or version) in the bucket",
        "NoSuchBucket" => "no such bucket",
        "AccessDenied" | "Forbidden" => {
            "access denied: the function's role needs s3:GetObject (s3:GetObjectVersion with a \
             versionId) on the object, and kms:Decrypt when the bucket's KMS key is a customer's; \
             without s3:ListBucket S3 also answers so for an object that does not exist"
        }
        _ => "",
    };
    let retryable = matches!(
        e,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_)
    ) || status >= 500
        || status == 429
        || code == "SlowDown";
    let reason = if hint.is_empty() {
        detail
    } else {
        format!("{hint} ({detail})")
    };
    S3MappingError::Read { reason, retryable }
}

/// `e` and its sources, one sentence each: what went wrong, never a `Debug` dump.
fn sources(e: &(dyn std::error::Error + 'static)) -> String {
    std::iter::successors(Some(e), |e| e.source())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

/// The cold start's error for a mapping in `object` that cannot be used: one problem of
/// `FIELD_MAPPING_S3_URI`, naming the URI and the reason.
pub fn init_error(object: &S3Object, e: &S3MappingError) -> ConfigError {
    ConfigError {
        problems: vec![ConfigProblem {
            variable: S3_VARIABLE,
            reason: format!("{object} cannot be loaded: {e}"),
        }],
    }
}

/// Loads the mapping of `object` for a cold start, or the error that stops it.
pub async fn load_s3(
    sdk: &aws_config::SdkConfig,
    object: &S3Object,
) -> Result<Mapping, ConfigError> {
    read_s3(&s3_client(sdk), object)
        .await
        .map_err(|e| init_error(object, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uri_round_trips_and_the_key_is_kept_as_written() {
        for uri in [
            "s3://erp-config/m.yaml",
            "s3://erp.config-1/deep/path/erp customers%20.yaml",
            "s3://abc/m.json?versionId=null",
        ] {
            assert_eq!(S3Object::parse(uri).unwrap().to_string(), uri);
        }
        assert!(S3Object::parse("s3://abc/m.json").unwrap().is_json());
        assert!(!S3Object::parse("s3://abc/m.yml").unwrap().is_json());
    }

    #[test]
    fn malformed_uris_say_what_is_expected() {
        for bad in [
            "",
            "s3:/abc/m",
            "S3://abc/m",
            "s3://ab/m",
            "s3://-abc/m",
            "s3://abc-/m",
            "s3://abc/m?versionId=1&x=2",
            "s3://abc/m?a=b?versionId=1",
        ] {
            let e = S3Object::parse(bad).unwrap_err();
            assert!(e.contains(URI_FORM), "{bad}: {e}");
        }
    }

    #[test]
    fn only_a_read_that_may_succeed_later_is_retryable() {
        let read = |retryable| S3MappingError::Read {
            reason: "x".into(),
            retryable,
        };
        assert!(read(true).is_retryable());
        assert!(!read(false).is_retryable());
        assert!(!S3MappingError::Invalid("x".into()).is_retryable());
    }

    #[test]
    fn the_init_error_names_the_variable_the_uri_and_the_reason() {
        let object = S3Object::parse("s3://erp-config/m.yaml").unwrap();
        let e = init_error(&object, &S3MappingError::Invalid("version 2".into()));
        assert_eq!(
            e.to_string(),
            "cannot start, 1 problem in the configuration: (1) FIELD_MAPPING_S3_URI: \
             s3://erp-config/m.yaml cannot be loaded: version 2."
        );
    }
}
