//! The measurements, when the `metrics` feature is on.

use std::fmt;
use std::num::NonZeroU64;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::config::Addr;
use crate::metrics::{ConnectionEvent, Metrics, Redirection, Request};
use crate::Error;

/// The installed [`Metrics`], if any.
#[derive(Clone, Default)]
#[doc(hidden)]
pub struct Meters(Option<Arc<dyn Metrics>>);

impl fmt::Debug for Meters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "Some(Metrics)" } else { "None" })
    }
}

impl Meters {
    /// None installed.
    pub(crate) fn none() -> Meters {
        Meters(None)
    }

    /// `metrics`, installed.
    pub(crate) fn new(metrics: Arc<dyn Metrics>) -> Meters {
        Meters(Some(metrics))
    }

    /// A connection was made (`reconnect`: to replace one that was lost).
    pub(crate) fn connected(&self, server: &Addr, reconnect: bool) {
        if let Some(m) = &self.0 {
            m.connection(&ConnectionEvent::Connected { server, reconnect });
        }
    }

    /// An established connection was lost.
    pub(crate) fn lost(&self, server: &Addr, cause: &Error) {
        if let Some(m) = &self.0 {
            m.connection(&ConnectionEvent::Lost { server, cause });
        }
    }

    /// A request was redirected.
    pub(crate) fn redirection(&self, kind: &'static str, slot: &str, to: &Addr) {
        if let Some(m) = &self.0 {
            let slot = slot.parse().unwrap_or_default();
            m.redirection(&Redirection { kind, slot, to });
        }
    }
}

/// When the process first measured something: requests keep their start as nanoseconds
/// since then, in 8 bytes rather than an `Instant`'s 16, so that a request's future stays
/// small enough to be moved without `memcpy`.
static EPOCH: OnceLock<Instant> = OnceLock::new();

fn now() -> NonZeroU64 {
    let nanos = EPOCH.get_or_init(Instant::now).elapsed().as_nanos();
    NonZeroU64::new(u64::try_from(nanos).unwrap_or(u64::MAX).max(1)).expect("at least 1")
}

/// A request's start, when metrics are installed.
pub(crate) struct Meter(Option<NonZeroU64>);

impl Meter {
    /// Starts measuring a request, if `meters` has somewhere to report it.
    #[inline]
    pub(crate) fn start(meters: &Meters) -> Meter {
        Meter(meters.0.as_ref().map(|_| now()))
    }

    /// Nothing to measure.
    #[inline]
    pub(crate) fn none() -> Meter {
        Meter(None)
    }

    /// The request ended.
    #[inline]
    pub(crate) fn end(
        &self,
        meters: &Meters,
        operation: &'static str,
        commands: usize,
        error: Option<&Error>,
    ) {
        if let (Some(start), Some(m)) = (self.0, &meters.0) {
            let duration = Duration::from_nanos(now().get().saturating_sub(start.get()));
            m.request(&Request { operation, commands, duration, error });
        }
    }
}
