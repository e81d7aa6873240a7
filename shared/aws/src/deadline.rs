//! The time an invocation has left, as an [`Instant`] clients can respect.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// Time kept back from the Lambda deadline to report results and save state.
pub const DEFAULT_SAFETY_MARGIN: Duration = Duration::from_secs(2);

/// Deadlines below this (2001-09-09 in epoch milliseconds) cannot be wall-clock times.
const EPOCH_FLOOR_MS: u64 = 1_000_000_000_000;

/// Converts a Lambda deadline (milliseconds since the Unix epoch, as in the invocation context)
/// into an [`Instant`], less `margin`. A deadline already past gives "now". Some local emulators
/// (cargo-lambda's `watch`) send the timeout as a duration instead (e.g. `600000`); a value too
/// small to be a wall-clock time is read that way.
pub fn from_epoch_millis(deadline_ms: u64, margin: Duration) -> Instant {
    let now_wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let deadline = Duration::from_millis(deadline_ms);
    let left = if deadline_ms < EPOCH_FLOOR_MS {
        deadline
    } else {
        deadline.saturating_sub(now_wall)
    }
    .saturating_sub(margin);
    tracing::debug!(
        deadline_ms,
        left_ms = left.as_millis() as u64,
        "time left before the invocation's deadline"
    );
    Instant::now() + left
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_and_keeps_a_margin() {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let d = from_epoch_millis(now_ms + 10_000, Duration::from_secs(2));
        let left = d.saturating_duration_since(Instant::now());
        assert!(
            left > Duration::from_millis(7_500) && left <= Duration::from_secs(8),
            "{left:?}"
        );
        let past = from_epoch_millis(now_ms.saturating_sub(5_000), Duration::from_secs(2));
        assert!(past.saturating_duration_since(Instant::now()).is_zero());
        // An emulator's relative timeout (10 minutes) is not a deadline in 1970.
        let relative = from_epoch_millis(600_000, Duration::from_secs(2));
        let left = relative.saturating_duration_since(Instant::now());
        assert!(
            left > Duration::from_secs(590) && left <= Duration::from_secs(598),
            "{left:?}"
        );
    }
}
