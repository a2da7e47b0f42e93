//! With the bench's `metrics` feature: a `Metrics` that counts requests, failures and their
//! time in atomics, the least an exporter does, so that the cost measured is tredis's own.

use std::sync::atomic::{AtomicU64, Ordering};

use tredis::metrics::{Metrics, Request};

/// Requests, failures and nanoseconds.
#[derive(Default)]
pub struct Count(AtomicU64, AtomicU64, AtomicU64);

impl Metrics for Count {
    fn request(&self, r: &Request<'_>) {
        self.0.fetch_add(1, Ordering::Relaxed);
        self.1.fetch_add(u64::from(r.error.is_some()), Ordering::Relaxed);
        self.2.fetch_add(u64::try_from(r.duration.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }
}
