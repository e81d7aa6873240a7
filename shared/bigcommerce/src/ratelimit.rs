//! Rate-limit headers of both APIs, and the pacer that keeps us under a shared quota.
//!
//! The core API sends `X-Rate-Limit-Requests-Left` and `X-Rate-Limit-Time-Reset-Ms`; the B2B API
//! sends `X-Requests-Remaining: 150 times` and `X-Request-Window-Resets-After: 0.397 s`. The quota is
//! shared by every app on the store, so the [`Pacer`] stops at a low-water mark and waits for the
//! window to reset instead of spending the last requests, and after a 429 it holds every caller of
//! this client until the reset BigCommerce announced.

use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

use super::error::Api;

/// What one response said about the rate-limit window.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RateLimitInfo {
    /// Requests left in the current window.
    pub remaining: Option<u32>,
    /// Time until the window resets.
    pub reset_in: Option<Duration>,
    /// The window's quota.
    pub quota: Option<u32>,
}

impl RateLimitInfo {
    /// Whether the response carried any rate-limit header (a 429 without them is load shedding).
    pub fn is_present(&self) -> bool {
        self.remaining.is_some() || self.reset_in.is_some()
    }
}

/// Parses the leading number of a header value such as `150 times` or `0.397 s`.
fn leading_number(headers: &HeaderMap, name: &str) -> Option<f64> {
    let raw = headers.get(name)?.to_str().ok()?.trim();
    let end = raw
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(raw.len());
    let n: f64 = raw[..end].parse().ok()?;
    (n.is_finite() && n >= 0.0).then_some(n)
}

/// The core window when a response does not say (`X-Rate-Limit-Time-Window-Ms`, 30 s on every
/// documented plan).
const CORE_WINDOW: Duration = Duration::from_secs(30);
/// The B2B window: 150 requests per minute per store.
const B2B_WINDOW: Duration = Duration::from_secs(60);

/// Reads the rate-limit headers of `api` from a response. A reset announced beyond the window
/// is not believed: one absurd header would otherwise hold every later call of a warm container
/// until its deadline. It is replaced by the window.
pub fn parse_rate_limit(api: Api, headers: &HeaderMap) -> RateLimitInfo {
    match api {
        Api::Core => {
            let window = leading_number(headers, "x-rate-limit-time-window-ms")
                .filter(|ms| *ms >= 1.0)
                .map_or(CORE_WINDOW, |ms| {
                    Duration::from_millis(ms.min(CORE_WINDOW.as_millis() as f64 * 10.0) as u64)
                });
            RateLimitInfo {
                remaining: leading_number(headers, "x-rate-limit-requests-left").map(|n| n as u32),
                reset_in: leading_number(headers, "x-rate-limit-time-reset-ms")
                    .map(|ms| Duration::from_millis(ms.min(window.as_millis() as f64) as u64)),
                quota: leading_number(headers, "x-rate-limit-requests-quota").map(|n| n as u32),
            }
        }
        Api::B2b => RateLimitInfo {
            remaining: leading_number(headers, "x-requests-remaining").map(|n| n as u32),
            reset_in: leading_number(headers, "x-request-window-resets-after")
                .map(|s| Duration::from_secs_f64(s.min(B2B_WINDOW.as_secs_f64()))),
            quota: leading_number(headers, "x-request-limit").map(|n| n as u32),
        },
    }
}

#[derive(Debug, Default)]
struct PaceState {
    /// Requests we believe are left in the current window, counting our own in flight.
    remaining: Option<u32>,
    /// When the current window resets.
    reset_at: Option<Instant>,
    /// Nobody sends before this instant (set by a 429).
    hold_until: Option<Instant>,
}

/// Proactive pacing for one API of one store.
#[derive(Debug)]
pub struct Pacer {
    low_water: u32,
    state: Mutex<PaceState>,
}

/// Margin added to announced resets, so we arrive just after the window turns, not just before.
const RESET_MARGIN: Duration = Duration::from_millis(25);

impl Pacer {
    /// A pacer that stops when `low_water` requests are left in a window.
    pub fn new(low_water: u32) -> Self {
        Self {
            low_water,
            state: Mutex::new(PaceState::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PaceState> {
        // A poisoned lock only means another thread panicked mid-update of plain numbers.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserves one request. Returns `Duration::ZERO` to go now, or how long to wait first
    /// (then call again).
    pub fn reserve(&self) -> Duration {
        let now = Instant::now();
        let mut s = self.lock();
        if let Some(until) = s.hold_until {
            if until > now {
                return until - now;
            }
            s.hold_until = None;
        }
        match (s.remaining, s.reset_at) {
            (Some(_), Some(reset_at)) if reset_at <= now => {
                // The window turned: we know nothing about the new one until a response says.
                s.remaining = None;
                s.reset_at = None;
            }
            (Some(left), Some(reset_at)) if left <= self.low_water => {
                return reset_at - now + RESET_MARGIN;
            }
            (Some(left), _) => s.remaining = Some(left.saturating_sub(1)),
            _ => {}
        }
        Duration::ZERO
    }

    /// Takes in what a response said about the window.
    pub fn observe(&self, info: &RateLimitInfo) {
        let (Some(left), Some(reset_in)) = (info.remaining, info.reset_in) else {
            return;
        };
        let now = Instant::now();
        let reset_at = now + reset_in;
        let mut s = self.lock();
        let same_window = s
            .reset_at
            .is_some_and(|known| known > now && reset_at <= known + Duration::from_millis(500));
        s.remaining = Some(match (same_window, s.remaining) {
            // Answers arrive out of order: within one window the lowest count is the truest.
            (true, Some(known)) => known.min(left),
            _ => left,
        });
        s.reset_at = Some(reset_at);
    }

    /// Holds every caller for `wait` (after a 429).
    pub fn hold(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut s = self.lock();
        if s.hold_until.is_none_or(|u| u < until) {
            s.hold_until = Some(until);
        }
        s.remaining = Some(0);
        s.reset_at = Some(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn parses_both_header_families() {
        let core = parse_rate_limit(
            Api::Core,
            &headers(&[
                ("X-Rate-Limit-Requests-Left", "7"),
                ("X-Rate-Limit-Time-Reset-Ms", "1500"),
                ("X-Rate-Limit-Requests-Quota", "150"),
                ("X-Rate-Limit-Time-Window-Ms", "30000"),
            ]),
        );
        assert_eq!(
            core,
            RateLimitInfo {
                remaining: Some(7),
                reset_in: Some(Duration::from_millis(1500)),
                quota: Some(150)
            }
        );
        let b2b = parse_rate_limit(
            Api::B2b,
            &headers(&[
                ("X-Requests-Remaining", "149 times"),
                ("X-Request-Window-Resets-After", "0.397 s"),
            ]),
        );
        assert_eq!(b2b.remaining, Some(149));
        assert_eq!(b2b.reset_in, Some(Duration::from_millis(397)));
        assert!(
            !parse_rate_limit(Api::B2b, &headers(&[("X-Requests-Remaining", "lots")])).is_present()
        );
    }

    #[test]
    fn a_reset_beyond_the_window_is_replaced_by_the_window() {
        let core =
            |pairs: &[(&'static str, &str)]| parse_rate_limit(Api::Core, &headers(pairs)).reset_in;
        assert_eq!(
            core(&[
                ("X-Rate-Limit-Time-Reset-Ms", "999999999999"),
                ("X-Rate-Limit-Time-Window-Ms", "30000"),
            ]),
            Some(Duration::from_secs(30))
        );
        // Without a window header, the documented 30 s.
        assert_eq!(
            core(&[("X-Rate-Limit-Time-Reset-Ms", "86400000")]),
            Some(Duration::from_secs(30))
        );
        // An absurd window is not believed either.
        assert_eq!(
            core(&[
                ("X-Rate-Limit-Time-Reset-Ms", "86400000"),
                ("X-Rate-Limit-Time-Window-Ms", "86400000"),
            ]),
            Some(Duration::from_secs(300))
        );
        let b2b = parse_rate_limit(
            Api::B2b,
            &headers(&[("X-Request-Window-Resets-After", "86400 s")]),
        );
        assert_eq!(b2b.reset_in, Some(Duration::from_secs(60)));
    }

    #[tokio::test(start_paused = true)]
    async fn stops_at_the_low_water_mark_until_the_window_resets() {
        let pacer = Pacer::new(2);
        pacer.observe(&RateLimitInfo {
            remaining: Some(4),
            reset_in: Some(Duration::from_secs(10)),
            quota: Some(150),
        });
        assert_eq!(pacer.reserve(), Duration::ZERO); // 4 -> 3
        assert_eq!(pacer.reserve(), Duration::ZERO); // 3 -> 2
        let wait = pacer.reserve();
        assert_eq!(wait, Duration::from_secs(10) + RESET_MARGIN);
        tokio::time::advance(wait).await;
        assert_eq!(pacer.reserve(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_answer_does_not_raise_the_count() {
        let pacer = Pacer::new(0);
        let info = |left| RateLimitInfo {
            remaining: Some(left),
            reset_in: Some(Duration::from_secs(5)),
            quota: None,
        };
        pacer.observe(&info(3));
        pacer.observe(&info(9));
        assert_eq!(pacer.lock().remaining, Some(3));
    }

    #[tokio::test(start_paused = true)]
    async fn hold_blocks_everyone() {
        let pacer = Pacer::new(0);
        pacer.hold(Duration::from_secs(3));
        assert_eq!(pacer.reserve(), Duration::from_secs(3));
        tokio::time::advance(Duration::from_secs(3)).await;
        assert_eq!(pacer.reserve(), Duration::ZERO);
    }
}
