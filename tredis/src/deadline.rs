//! [`Deadline`]: the one point in time by which a request must be answered, fixed when the
//! request is made and carried with it through queueing, reconnection, redirections and
//! retries.
//!
//! No request owns a timer. The connection that holds a request enforces its deadline on its
//! own periodic tick, because only the connection knows whether the request was written: one
//! never written fails as [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) (it did not run),
//! one written fails as [`ErrorKind::Indeterminate`](crate::ErrorKind::Indeterminate) with the
//! timeout as its cause. That is also cheaper than a timer per request.

use std::time::Duration;

use tokio::time::Instant;

/// When a request must be answered, and the timeout it came from (for messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Deadline {
    pub at: Instant,
    pub after: Duration,
}

impl Deadline {
    /// `after` from now; none for no limit. A timeout too large for the clock is no limit.
    #[inline]
    pub(crate) fn after(after: Option<Duration>) -> Option<Deadline> {
        let after = after?;
        Instant::now().checked_add(after).map(|at| Deadline { at, after })
    }

    /// Whether it passed at `now`.
    #[inline]
    pub(crate) fn passed(&self, now: Instant) -> bool {
        self.at <= now
    }
}

/// Whether `deadline` (none: never) passed at `now`.
#[inline]
pub(crate) fn passed(deadline: Option<Deadline>, now: Instant) -> bool {
    deadline.is_some_and(|d| d.passed(now))
}

/// How often a connection checks the deadlines of the requests it holds and its own health.
/// A request is answered at most this long after its deadline.
pub(crate) const TICK: Duration = Duration::from_millis(10);
