//! Measurements of the client (feature `metrics`), handed to a [`Metrics`] you implement and
//! install with [`Builder::metrics`](crate::Builder::metrics): export them to Prometheus,
//! OpenTelemetry or the `metrics` facade in a few lines (see `examples/metrics.rs`).
//!
//! A trait rather than a dependency on one facade: a request costs the client two clock
//! reads and one call to your code, and nothing at all when no [`Metrics`] is installed or
//! the feature is off.
//!
//! What is measured, and where:
//!
//! - [`Metrics::request`]: every command, pipeline and transaction when it ends, with its
//!   duration (from when it was made to its answer, through every retry and redirection)
//!   and its error, if any: the operation duration by command, and timeouts
//!   ([`ErrorKind::Timeout`](crate::ErrorKind::Timeout)) and every other failure by kind.
//! - [`Metrics::connection`]: a connection made, made again, or lost: connections opened and
//!   reconnects.
//! - [`Metrics::redirection`]: a cluster's `MOVED` and `ASK`.
//! - Gauges are read when you want them, at no cost to requests:
//!   [`Client::stats`](crate::Client::stats) counts the connections open and the requests
//!   queued and in flight; [`Client::cache_stats`](crate::Client::cache_stats) the
//!   client-side cache's hits, misses, entries, bytes and invalidations.
//!
//! A cached read (`.cached()`) is a request of the database only when it misses: a hit is
//! counted by the cache's stats, not reported to [`Metrics::request`].

use std::time::Duration;

use crate::{Addr, Error};

/// Receives the client's measurements. Every method does nothing unless you implement it.
/// Called on the client's tasks: keep it short and never block (update an atomic counter or
/// a histogram).
pub trait Metrics: Send + Sync + 'static {
    /// A command, pipeline or transaction ended.
    fn request(&self, request: &Request<'_>) {
        let _ = request;
    }

    /// A connection was made or lost.
    fn connection(&self, event: &ConnectionEvent<'_>) {
        let _ = event;
    }

    /// A cluster node redirected a request.
    fn redirection(&self, redirection: &Redirection<'_>) {
        let _ = redirection;
    }
}

/// A request that ended.
#[derive(Debug)]
#[non_exhaustive]
pub struct Request<'a> {
    /// The command as the spec names it (`GET`, `CLIENT SETNAME`), or `PIPELINE` or `MULTI`
    /// for a batch.
    pub operation: &'static str,
    /// How many commands it held: 1, or a batch's size (MULTI and EXEC not counted).
    pub commands: usize,
    /// From when it was made to when it was answered.
    pub duration: Duration,
    /// Why it failed, if it did: a server's error keeps its code
    /// ([`Error::code`](crate::Error::code)); a pipeline fails as a whole only when its
    /// connection failed (a command of it the server refused fails alone, in its result).
    pub error: Option<&'a Error>,
}

/// A connection made or lost.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectionEvent<'a> {
    /// A connection was made (its handshake done).
    Connected {
        /// The server.
        server: &'a Addr,
        /// Whether it replaces one that was lost (a reconnect).
        reconnect: bool,
    },
    /// An established connection was lost; the client makes it again unless it is closing.
    Lost {
        /// The server.
        server: &'a Addr,
        /// Why.
        cause: &'a Error,
    },
}

/// A redirection by a cluster node.
#[derive(Debug)]
#[non_exhaustive]
pub struct Redirection<'a> {
    /// `MOVED` (the slot has a new owner: the slot map is refreshed) or `ASK` (the slot is
    /// migrating: this request alone goes to the target).
    pub kind: &'static str,
    /// The slot.
    pub slot: u16,
    /// The node the request is sent to.
    pub to: &'a Addr,
}
