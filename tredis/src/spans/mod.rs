//! One `tracing` span per request, pipeline and transaction (feature `spans`), named and
//! attributed as OpenTelemetry's semantic conventions for Redis clients say
//! (<https://opentelemetry.io/docs/specs/semconv/db/redis/>, on top of the general database
//! client spans, <https://opentelemetry.io/docs/specs/semconv/db/database-spans/>). Without
//! the feature, every item here is an empty twin that the compiler removes.
//!
//! A `tracing` span's name is fixed where it is made, so the spans are named `redis.command`,
//! `redis.pipeline` and `redis.transaction`; the OpenTelemetry span name is in `otel.name`,
//! which `tracing-opentelemetry` uses, as it uses `otel.kind` and `otel.status_code`:
//!
//! - `otel.name` and `db.operation.name`: the command (`GET`, `CLIENT SETNAME`); for a
//!   pipeline `PIPELINE`, for a transaction `MULTI`, followed by the command when every
//!   command of the batch is the same one (`PIPELINE GET`), as the conventions ask.
//! - `db.system.name`: always `redis`. Valkey speaks the same protocol and the conventions
//!   name no value for it; which server answers is not known when the span is made.
//! - `db.namespace`: the database index, as a string.
//! - `server.address`, `server.port`: the server the connection the request was handed to
//!   was connected to. Not recorded when that connection was between two connections (the
//!   next one may reach another server: a failover), nor when the request went to several
//!   servers (a command a cluster fans out, a cluster pipeline across nodes, a retry that
//!   reached another server).
//! - `db.operation.batch.size`: the number of commands of a pipeline or transaction (MULTI
//!   and EXEC not counted), only from two on, as the conventions ask.
//! - `db.query.text`: only with [`Builder::span_statements`](crate::Builder::span_statements),
//!   the command with every argument after its name replaced by `?` (`SET ? ? ?`); the
//!   commands of a batch are joined with `; `.
//! - On failure: `error.type` (the server's error code such as `WRONGTYPE`, else the
//!   [`ErrorKind`](crate::ErrorKind) in snake case: `timeout`, `indeterminate`),
//!   `db.response.status_code` (the server's code, when it answered with one) and
//!   `otel.status_code = "ERROR"`. Never an error's text: it may quote values. A pipeline
//!   fails as a whole only when its connection failed; a command of it that the server
//!   refused fails alone, as its result says.
//!
//! A cached read (`.cached()`) has a span when it misses, as any command; a hit, answered from
//! the client's memory, has none (the cache's stats count it).
//!
//! Redirections (`MOVED`, `ASK`: the `redirected` event of `log.rs`, with the slot and the
//! node) and retries (`retry`, with the error's type) are events inside the span.
//!
//! A request is one span from when it is made to when it ends, whatever happened on the
//! way: the parts of a command a cluster splits or fans out, and the commands of a cluster
//! pipeline, get no spans of their own; their redirections are events of the request's (or
//! the pipeline's) span. Spans are made at `INFO` level with target `tredis`: a subscriber
//! that does not want them makes them cost a check of the callsite's interest, nothing more.

#[cfg(feature = "spans")]
mod on;
#[cfg(feature = "spans")]
pub(crate) use on::*;

#[cfg(not(feature = "spans"))]
mod off;
#[cfg(not(feature = "spans"))]
pub(crate) use off::*;
