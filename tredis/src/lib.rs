//! An async Redis client for tokio whose whole typed command surface is generated at compile
//! time from one command spec (`commands.json`).
//!
//! ```no_run
//! use tredis::prelude::*;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), tredis::Error> {
//!     let client = tredis::Client::connect("redis://127.0.0.1:6379").await?;
//!     client.set("greeting", "hello").await?;
//!     let n: u64 = client.exists(["greeting", "other"]).await?;
//!     assert_eq!(n, 1);
//!     Ok(())
//! }
//! ```
//!
//! # Layout
//!
//! A request goes down one path, each module importing only those below it:
//!
//! - [`commands`]: the generated surface: one trait per command group, one request type per
//!   command, with docs, options and a typed reply. The records of map replies are generated
//!   too, at a call site of their own in [`reply`]. `command/` holds what requests are made
//!   of; `request.rs` how `.await` runs one.
//! - [`Client`] (`client/`, options in [`Builder`]), [`Pipeline`], [`Transaction`],
//!   [`ScanStream`]: the public handles, with no routing code. [`Raw`] (`raw/`): any command
//!   by name, its facts from the spec's name table or found at run time; [`Queue`]: a batch of
//!   any shape.
//! - [`cache`]: the client-side cache: `.cached()` reads, kept correct by the server's
//!   invalidations, bounded in bytes and time.
//! - `route/`: where a request goes, the only code that branches on the topology (one server,
//!   a hosts list, Sentinel, replicas, or `cluster/`: slot map, fan-out, splitting).
//! - `retry/`: the one policy for sending again, and the one loop (`Delivery`) that
//!   follows a request to its end within its deadline (`deadline.rs`).
//! - `pool/`: every set of connections to one server: shared multiplexed connections, and
//!   capped dedicated ones (blocking commands, WATCH, WAIT).
//! - `connection/`: one socket (writer and its health check, reader, in-flight queue,
//!   handshake, reconnect with backoff, Sentinel queries; under RESP2 with a cache, the
//!   companion connection that receives its invalidations).
//! - [`resp`]: RESP2/RESP3 values, the incremental decoder and its limits; [`reply`]: decoders
//!   from values to Rust types, and [`FromValue`] for the caller's own; [`args`]: how Rust
//!   values become arguments; `serde` (feature `serde`): replies into `Deserialize` types and
//!   `Serialize` types into field and value arguments.
//! - `spans/` (feature `spans`): one `tracing` span per request, pipeline and transaction,
//!   with OpenTelemetry's attributes; `log.rs`: connection events as `tracing` events.
//! - [`Error`]: one error type; [`ErrorKind`] says what went wrong, and whether a request ran.

#![warn(missing_docs)]
// Runtime helpers serve several groups; with only some groups on, a few go unused.
#![cfg_attr(not(feature = "all-groups"), allow(dead_code))]

pub mod args;
mod batch;
pub mod cache;
mod client;
mod cluster;
pub mod command;
pub mod commands;
mod config;
mod connection;
mod credentials;
mod deadline;
mod error;
mod log;
mod meter;
#[cfg(feature = "metrics")]
pub mod metrics;
mod pipeline;
mod pool;
pub mod pubsub;
mod queue;
mod raw;
pub mod reply;
mod request;
pub mod resp;
mod retry;
mod route;
mod scan;
#[cfg(feature = "scripting")]
mod script;
#[cfg(feature = "serde")]
pub mod serde;
mod spans;
mod subscriber;
#[cfg(feature = "tls")]
mod tls;
mod transaction;

pub use batch::{Batch, BatchItem, BatchTarget};
pub use cache::{CacheConfig, CacheStats};
pub use client::{Builder, Client, Stats};
pub use config::{parse_url, Addr, CloseEvent, Protocol, UrlParts};
#[doc(hidden)]
pub use connection::Pending;
pub use credentials::{Credentials, ProviderError};
pub use error::{Error, ErrorKind, Result};
pub use pipeline::Pipeline;
pub use pubsub::{Event, Message};
pub use queue::{Answers, Queue, Queued};
pub use raw::{Raw, RawFuture};
pub use reply::FromValue;
pub use request::{Executor, ReplyFuture, Req, ReqOpts, Target};
pub use resp::Value;
pub use scan::ScanStream;
#[cfg(feature = "scripting")]
pub use script::Script;
pub use subscriber::{SubTarget, Subscriber};
#[cfg(feature = "tls")]
pub use tls::Tls;
pub use transaction::{Transaction, TxTarget};

pub use bytes::Bytes;

/// The Redis Cluster hash slot of `key` (0 to 16383): CRC16 of the key, or of its hash tag,
/// the part between the first `{` and the next `}` when that is not empty.
pub fn key_slot(key: impl AsRef<[u8]>) -> u16 {
    cluster::slot(key.as_ref())
}

/// Everything needed to call commands: `use tredis::prelude::*;`.
pub mod prelude {
    #[allow(unused_imports)] // empty when every group is off
    pub use crate::commands::*;
    pub use crate::reply::{ExpireTime, KeyType, Ttl};
    pub use crate::{Client, Error, ErrorKind, Pipeline, Subscriber, Transaction};
}
