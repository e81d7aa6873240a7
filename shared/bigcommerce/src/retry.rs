//! When and how long to wait before trying a call again.

use std::time::Duration;

/// Retry limits and back-off shapes for BigCommerce calls.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// First back-off after a 5xx or transport error; doubles per attempt.
    pub base: Duration,
    /// Longest back-off after a 5xx or transport error.
    pub cap: Duration,
    /// First back-off after a 429 without rate-limit headers (platform load shedding).
    pub shed_base: Duration,
    /// Longest back-off after a 429 without headers.
    pub shed_cap: Duration,
    /// Extra random wait added to an announced reset, so callers do not return all at once.
    pub reset_jitter: Duration,
    /// The least time an attempt needs; no attempt starts with less than this left before the deadline.
    pub min_attempt_time: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base: Duration::from_millis(200),
            cap: Duration::from_secs(10),
            shed_base: Duration::from_secs(2),
            shed_cap: Duration::from_secs(30),
            reset_jitter: Duration::from_millis(100),
            min_attempt_time: Duration::from_millis(500),
        }
    }
}

impl RetryPolicy {
    /// Back-off after failed attempt number `attempt` (1-based): capped exponential with jitter
    /// drawn from the upper half, so a wait is never close to zero.
    pub fn backoff(&self, attempt: u32, shed: bool) -> Duration {
        let (base, cap) = if shed {
            (self.shed_base, self.shed_cap)
        } else {
            (self.base, self.cap)
        };
        let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let ceiling = exp.min(cap);
        let half = ceiling / 2;
        half + half.mul_f64(fastrand::f64())
    }

    /// Wait after a 429 that announced its reset.
    pub fn after_reset(&self, reset_in: Duration) -> Duration {
        reset_in + self.reset_jitter.mul_f64(fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        for _ in 0..50 {
            let first = p.backoff(1, false);
            assert!(first >= Duration::from_millis(100) && first <= Duration::from_millis(200));
            let late = p.backoff(20, false);
            assert!(late >= Duration::from_secs(5) && late <= Duration::from_secs(10));
            let shed = p.backoff(1, true);
            assert!(shed >= Duration::from_secs(1) && shed <= Duration::from_secs(2));
        }
    }
}
