//! A command's source version: which version of its entity, in the source system, the command
//! carries (`source_version`, a non-negative integer that only grows, and/or
//! `source_updated_at`, an RFC 3339 date-time with an offset, compared as instants).
//!
//! The worker keeps the last version it applied per version line
//! ([`Command::version_key`](crate::Command::version_key):
//! the store, the command type and the external id) and skips a command strictly older than
//! it (outcome `stale`). When both fields are set, `source_version` decides and
//! `source_updated_at` breaks a tie; two versions that share no field cannot be compared and
//! count as equal (the command is applied). A command with neither has no version: it is
//! applied as it always was, and the record is left as it is.

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, FixedOffset};
use serde_json::{json, Value};

/// A version of an entity in the source system.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceVersion {
    /// `source_version`: a number that grows with every change of the entity.
    pub version: Option<u64>,
    /// `source_updated_at`: when the entity last changed, with the sender's offset.
    pub updated_at: Option<DateTime<FixedOffset>>,
}

/// Why a `source_updated_at` is refused.
pub const UPDATED_AT_PROBLEM: &str =
    "`source_updated_at` must be an RFC 3339 date-time with an offset, e.g. 2026-11-10T09:30:00Z";

impl SourceVersion {
    /// The version a command carries in its `source_version` and `source_updated_at`, `None`
    /// when it carries neither. A `source_updated_at` that does not parse (the schema refuses
    /// it before) counts as absent.
    pub fn of(source_version: Option<u64>, source_updated_at: Option<&str>) -> Option<Self> {
        let updated_at = source_updated_at.and_then(|t| DateTime::parse_from_rfc3339(t).ok());
        let version = Self {
            version: source_version,
            updated_at,
        };
        (!version.is_empty()).then_some(version)
    }

    fn is_empty(&self) -> bool {
        self.version.is_none() && self.updated_at.is_none()
    }

    /// How this version compares with `other`: by `source_version` when both have one, then by
    /// `source_updated_at` (as instants) when both have one; [`Ordering::Equal`] when they
    /// share no field.
    pub fn compare(&self, other: &SourceVersion) -> Ordering {
        let by_number = match (self.version, other.version) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => Ordering::Equal,
        };
        by_number.then_with(|| match (self.updated_at, other.updated_at) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => Ordering::Equal,
        })
    }

    /// Whether this version is strictly older than `applied`: its command is stale.
    pub fn is_older_than(&self, applied: &SourceVersion) -> bool {
        self.compare(applied) == Ordering::Less
    }

    /// What is recorded once this version is applied over `applied`: its own fields, and the
    /// applied record's for a field it lacks (so that a sender switching fields never lets an
    /// older command in through the field it dropped).
    pub fn over(&self, applied: Option<&SourceVersion>) -> SourceVersion {
        SourceVersion {
            version: self.version.or(applied.and_then(|a| a.version)),
            updated_at: self.updated_at.or(applied.and_then(|a| a.updated_at)),
        }
    }

    /// The state-table record of this version.
    pub fn to_record(&self) -> Value {
        let mut record = json!({});
        if let Some(v) = self.version {
            record["source_version"] = json!(v);
        }
        if let Some(t) = self.updated_at {
            record["source_updated_at"] = json!(t.to_rfc3339());
        }
        record
    }

    /// A version read back from [`to_record`](Self::to_record); `None` when the record holds
    /// neither field.
    pub fn from_record(record: &Value) -> Option<Self> {
        let version = Self {
            version: record.get("source_version").and_then(Value::as_u64),
            updated_at: record
                .get("source_updated_at")
                .and_then(Value::as_str)
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok()),
        };
        (!version.is_empty()).then_some(version)
    }
}

impl fmt::Display for SourceVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(v) = self.version {
            parts.push(format!("source_version {v}"));
        }
        if let Some(t) = self.updated_at {
            parts.push(format!("source_updated_at {}", t.to_rfc3339()));
        }
        f.write_str(&parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(version: Option<u64>, at: Option<&str>) -> SourceVersion {
        SourceVersion {
            version,
            updated_at: at.map(|t| DateTime::parse_from_rfc3339(t).unwrap()),
        }
    }

    #[test]
    fn numbers_compare_first_and_times_as_instants() {
        assert!(v(Some(4), None).is_older_than(&v(Some(5), None)));
        assert!(!v(Some(5), None).is_older_than(&v(Some(5), None)));
        assert!(!v(Some(6), None).is_older_than(&v(Some(5), None)));
        // 10:00+02:00 is 08:00Z: older than 09:00Z although its digits are larger.
        let at = |t| v(None, Some(t));
        assert!(at("2026-11-10T10:00:00+02:00").is_older_than(&at("2026-11-10T09:00:00Z")));
        assert!(!at("2026-11-10T11:00:00+02:00").is_older_than(&at("2026-11-10T09:00:00Z")));
        // Both set: the number decides, the time breaks a tie.
        let both = |n, t| v(Some(n), Some(t));
        assert!(!both(6, "2026-01-01T00:00:00Z").is_older_than(&both(5, "2026-12-01T00:00:00Z")));
        assert!(both(5, "2026-01-01T00:00:00Z").is_older_than(&both(5, "2026-12-01T00:00:00Z")));
        // Nothing in common: equal, applied.
        assert!(!v(Some(1), None).is_older_than(&at("2026-12-01T00:00:00Z")));
    }

    #[test]
    fn a_record_keeps_the_fields_a_newer_version_lacks() {
        let applied = v(Some(5), Some("2026-11-10T09:00:00Z"));
        let newer = v(Some(6), None);
        let recorded = newer.over(Some(&applied));
        assert_eq!(recorded, v(Some(6), Some("2026-11-10T09:00:00Z")));
        assert_eq!(
            SourceVersion::from_record(&recorded.to_record()),
            Some(recorded)
        );
        assert_eq!(SourceVersion::from_record(&json!({})), None);
        assert_eq!(
            v(Some(6), Some("2026-11-10T09:00:00+01:00")).to_string(),
            "source_version 6, source_updated_at 2026-11-10T09:00:00+01:00"
        );
    }
}
