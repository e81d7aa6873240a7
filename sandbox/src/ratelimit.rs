//! Fixed-window request quotas, one per API family (core and B2B), as BigCommerce applies them.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a request learned from the limiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// Quota per window (the reported number when unlimited).
    pub quota: u32,
    /// Requests left in the current window after this one.
    pub left: u32,
    /// Milliseconds until the window resets.
    pub reset_ms: u64,
    /// Window length in milliseconds.
    pub window_ms: u64,
}

/// The number reported as quota and as left when the limiter is unlimited (quota 0).
pub const UNLIMITED_REPORTED: u32 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Acquire,
    Force,
    Peek,
}

/// A fixed-window counter.
#[derive(Debug)]
pub struct FixedWindow {
    quota: std::sync::atomic::AtomicU32,
    window: Duration,
    inner: Mutex<(Instant, u32)>,
}

impl FixedWindow {
    /// A limiter allowing `quota` requests per `window_ms` (0 = unlimited).
    pub fn new(quota: u32, window_ms: u64) -> Self {
        FixedWindow {
            quota: quota.into(),
            window: Duration::from_millis(window_ms.max(1)),
            inner: Mutex::new((Instant::now(), 0)),
        }
    }

    /// Changes the quota (0 = unlimited), as when a store changes plan; the window goes on.
    pub fn set_quota(&self, quota: u32) {
        self.quota
            .store(quota, std::sync::atomic::Ordering::Relaxed);
    }

    /// Starts a fresh window with nothing spent.
    pub fn reset(&self) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *g = (Instant::now(), 0);
    }

    fn roll(&self, g: &mut (Instant, u32), now: Instant) -> u64 {
        let elapsed = now.duration_since(g.0);
        if elapsed >= self.window {
            // Align to window boundaries so resets stay periodic.
            let windows = elapsed.as_nanos() / self.window.as_nanos().max(1);
            g.0 += self.window * windows as u32;
            g.1 = 0;
        }
        let reset = self.window.saturating_sub(now.duration_since(g.0));
        (reset.as_millis() as u64).max(1)
    }

    /// Takes one request from the quota if any is left.
    pub fn acquire(&self) -> Decision {
        self.take(Mode::Acquire)
    }

    /// Takes one request even when the quota is spent (fan-out calls made on the client's behalf).
    pub fn charge(&self) {
        self.take(Mode::Force);
    }

    /// Reports the window without spending anything.
    pub fn peek(&self) -> Decision {
        self.take(Mode::Peek)
    }

    fn take(&self, mode: Mode) -> Decision {
        let window_ms = self.window.as_millis() as u64;
        let quota = self.quota.load(std::sync::atomic::Ordering::Relaxed);
        if quota == 0 {
            return Decision {
                allowed: true,
                quota: UNLIMITED_REPORTED,
                left: UNLIMITED_REPORTED,
                reset_ms: window_ms,
                window_ms,
            };
        }
        let now = Instant::now();
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let reset_ms = self.roll(&mut g, now);
        let allowed = g.1 < quota;
        if (allowed && mode == Mode::Acquire) || mode == Mode::Force {
            g.1 = g.1.saturating_add(1);
        }
        Decision {
            allowed,
            quota,
            left: quota.saturating_sub(g.1),
            reset_ms,
            window_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spends_then_refuses_then_resets() {
        let w = FixedWindow::new(2, 50);
        let a = w.acquire();
        assert!(a.allowed);
        assert_eq!(a.left, 1);
        assert!(w.acquire().allowed);
        let c = w.acquire();
        assert!(!c.allowed);
        assert_eq!(c.left, 0);
        assert!(c.reset_ms <= 50);
        std::thread::sleep(Duration::from_millis(60));
        let d = w.acquire();
        assert!(d.allowed);
        assert_eq!(d.left, 1);
    }

    #[test]
    fn zero_means_unlimited() {
        let w = FixedWindow::new(0, 1000);
        for _ in 0..10_000 {
            assert!(w.acquire().allowed);
        }
    }

    #[test]
    fn a_quota_can_be_lifted_and_put_back() {
        let w = FixedWindow::new(1, 60_000);
        assert!(w.acquire().allowed);
        assert!(!w.acquire().allowed);
        w.set_quota(0);
        assert!(w.acquire().allowed, "unlimited");
        w.set_quota(1);
        w.reset();
        assert!(w.acquire().allowed);
        assert!(!w.acquire().allowed);
    }
}
