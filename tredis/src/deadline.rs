//! [`Deadline`]: the one point in time by which a request must be answered, fixed when the
//! request is made and carried with it through queueing, reconnection, redirections and
//! retries.
//!
//! No request owns a timer. The connection that holds a request enforces its deadline on its
//! own periodic tick, because only the connection knows whether the request was written: one
//! never written fails as [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) (it did not run),
//! one written fails as [`ErrorKind::Indeterminate`](crate::ErrorKind::Indeterminate) with the
//! timeout as its cause. That is also cheaper than a timer per request.
//!
//! Nor does a request read the clock: its deadline counts from the coarse time that the
//! connections' ticks publish ([`now`]), at most a tick old, so a request may be answered up
//! to a tick before its timeout has fully passed.

use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use tokio::time::Instant;

/// A point in time as milliseconds since the coarse clock started, plus one (0 never occurs).
pub(crate) type Millis = u64;

/// When a request must be answered, and its timeout (for messages), in 16 bytes (an
/// `Option` of it too) and plain integers: making and checking one costs an addition and a
/// comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[doc(hidden)]
pub struct Deadline {
    at: NonZeroU64,
    timeout_ms: u32,
}

impl Deadline {
    /// `timeout` from now; none for no limit.
    #[inline]
    pub(crate) fn within(timeout: Option<Duration>) -> Option<Deadline> {
        Deadline::within_ms(timeout.map(millis))
    }

    /// `ms` milliseconds from now; none for no limit.
    #[inline]
    pub(crate) fn within_ms(ms: Option<u64>) -> Option<Deadline> {
        let ms = ms?;
        let timeout_ms = u32::try_from(ms).unwrap_or(u32::MAX);
        let at = NonZeroU64::new(coarse_now().saturating_add(ms)).unwrap_or(NonZeroU64::MAX);
        Some(Deadline { at, timeout_ms })
    }

    /// The timeout it was made with, to the millisecond.
    pub(crate) fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.into())
    }

    /// When it is.
    #[inline]
    pub(crate) fn at(&self) -> Millis {
        self.at.get()
    }

    /// Whether it passed at `now`.
    #[inline]
    pub(crate) fn passed(&self, now: Millis) -> bool {
        self.at.get() <= now
    }

    /// The deadline as an instant, to sleep until.
    pub(crate) fn instant(&self) -> Instant {
        let origin = *ORIGIN.get_or_init(Instant::now);
        origin.checked_add(Duration::from_millis(self.at.get() - 1)).unwrap_or(origin)
    }
}

/// `d` in whole milliseconds.
pub(crate) fn millis(d: Duration) -> u64 {
    d.as_secs().saturating_mul(1000).saturating_add(u64::from(d.subsec_millis()))
}

/// Whether `deadline` (none: never) passed at `now`.
#[inline]
pub(crate) fn passed(deadline: Option<Deadline>, now: Millis) -> bool {
    deadline.is_some_and(|d| d.passed(now))
}

/// When the coarse clock started, and its last reading.
static ORIGIN: OnceLock<Instant> = OnceLock::new();
static COARSE: AtomicU64 = AtomicU64::new(0);

/// Reads the clock, and publishes the reading as the coarse time. Each connection calls it on
/// its tick, so the coarse time is never more than a tick old while a connection lives.
pub(crate) fn now() -> Millis {
    let now = Instant::now();
    let origin = *ORIGIN.get_or_init(|| now);
    let ms = u64::try_from(now.duration_since(origin).as_millis()).unwrap_or(u64::MAX - 1) + 1;
    COARSE.fetch_max(ms, Ordering::Relaxed);
    ms
}

/// The coarse time: one atomic read instead of a clock read per request.
#[inline]
pub(crate) fn coarse_now() -> Millis {
    match COARSE.load(Ordering::Relaxed) {
        0 => now(),
        ms => ms,
    }
}

/// How often a connection checks the deadlines of the requests it holds and its own health.
/// A request is answered at most this long after its deadline.
pub(crate) const TICK: Duration = Duration::from_millis(10);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_is_small_and_counts_from_now() {
        // It travels with every request: no bigger than two words, `Option` included.
        assert_eq!(std::mem::size_of::<Option<Deadline>>(), 16);
        let start = now();
        let d = Deadline::within(Some(Duration::from_millis(1500))).unwrap();
        assert!(d.at() >= start + 1500 - u64::try_from(TICK.as_millis()).unwrap());
        assert!(!d.passed(start) && d.passed(d.at()));
        assert_eq!(d.timeout(), Duration::from_millis(1500));
        assert_eq!(Deadline::within(None), None);
        assert!(passed(Deadline::within(Some(Duration::ZERO)), now()));
    }
}
