//! With the bench's `spans` feature: a `tracing` subscriber that wants every span and event
//! and keeps nothing, so that the cost measured is tredis's own (making spans, recording
//! their fields), not a collector's.

use std::sync::atomic::{AtomicU64, Ordering};

use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Wants everything, keeps nothing.
pub struct Discard(AtomicU64);

impl Subscriber for Discard {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::always()
    }

    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(self.0.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, _: &Event<'_>) {}

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// Installs [`Discard`] for the whole process, unless `BENCH_NO_SUBSCRIBER` is set (to measure
/// the feature with nobody listening).
pub fn install() {
    if std::env::var_os("BENCH_NO_SUBSCRIBER").is_none() {
        tracing::subscriber::set_global_default(Discard(AtomicU64::new(0))).expect("the only subscriber");
    }
}
