//! The spans, when the `spans` feature is on (see the module docs).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tracing::field::Empty;
use tracing::{Instrument, Span};

use crate::cluster::Args;
use crate::command::{CommandInfo, Encoded};
use crate::config::{Addr, Config};
use crate::resp::Value;
use crate::{Error, ErrorKind};

/// What spans need to know of the client, fixed when it is built.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct Settings {
    /// The database index, as `db.namespace` wants it.
    namespace: Box<str>,
    /// Whether to record `db.query.text`.
    statement: bool,
}

impl Settings {
    pub(crate) fn new(cfg: &Config) -> Settings {
        Settings { namespace: cfg.db.to_string().into(), statement: cfg.span_statement }
    }
}

/// Which kind of batch.
#[derive(Clone, Copy)]
pub(crate) enum Batch {
    Pipeline,
    Transaction,
}

/// The span of one request, pipeline or transaction; a disabled one for the parts of a
/// request that has its own (see the module docs).
pub(crate) struct Op {
    span: Span,
}

/// Which server the requests handed to connections while a span is entered went to: the
/// connection records it here, the span takes it when it is left. Thread-local, because a
/// request is handed to its connection synchronously, within the poll that entered the span.
#[derive(Default)]
enum Serving {
    /// Nobody asks.
    #[default]
    Off,
    Wanted,
    One(&'static Addr),
    /// Several servers: none is recorded.
    Many,
}

thread_local! {
    static SERVING: Cell<Serving> = const { Cell::new(Serving::Off) };
}

impl Op {
    /// No span: a part of a request whose span covers it.
    #[inline]
    pub(crate) fn none() -> Op {
        Op { span: Span::none() }
    }

    /// The span of one command, handed to the connection of the server `served` (see
    /// [`Watch`]); `statement` is its `db.query.text`, when asked for.
    #[inline]
    pub(crate) fn command(
        info: &'static CommandInfo,
        statement: Statement,
        settings: &Settings,
        served: Served,
    ) -> Op {
        let (address, port) = served.fields();
        let span = tracing::info_span!(
            target: "tredis",
            "redis.command",
            "otel.name" = info.name,
            "otel.kind" = "client",
            "db.system.name" = "redis",
            "db.operation.name" = info.name,
            "db.namespace" = &*settings.namespace,
            "server.address" = address,
            "server.port" = port,
            "db.query.text" = statement.0.as_deref(),
            "db.response.status_code" = Empty,
            "error.type" = Empty,
            "otel.status_code" = Empty,
        );
        Op { span }
    }

    /// The span of a pipeline or transaction of the commands `bytes` (MULTI and EXEC not
    /// included), whose facts are `infos`.
    pub(crate) fn batch(
        kind: Batch,
        bytes: &[u8],
        infos: &[&'static CommandInfo],
        settings: &Settings,
    ) -> Op {
        // A span's name is fixed at its call site: one call site per kind of batch.
        macro_rules! batch_span {
            ($name:literal) => {
                tracing::info_span!(
                    target: "tredis",
                    $name,
                    "otel.name" = Empty,
                    "otel.kind" = "client",
                    "db.system.name" = "redis",
                    "db.operation.name" = Empty,
                    "db.operation.batch.size" = Empty,
                    "db.namespace" = &*settings.namespace,
                    "server.address" = Empty,
                    "server.port" = Empty,
                    "db.query.text" = Empty,
                    "db.response.status_code" = Empty,
                    "error.type" = Empty,
                    "otel.status_code" = Empty,
                )
            };
        }
        let span = match kind {
            Batch::Pipeline => batch_span!("redis.pipeline"),
            Batch::Transaction => batch_span!("redis.transaction"),
        };
        if span.is_disabled() {
            return Op { span };
        }
        let prefix = match kind {
            Batch::Pipeline => "PIPELINE",
            Batch::Transaction => "MULTI",
        };
        let name = match infos.split_first() {
            Some((first, rest)) if rest.iter().all(|i| i.name == first.name) => {
                format!("{prefix} {}", first.name)
            }
            _ => prefix.to_string(),
        };
        span.record("otel.name", name.as_str());
        span.record("db.operation.name", name.as_str());
        // The conventions count only batches of two or more.
        if infos.len() >= 2 {
            span.record("db.operation.batch.size", infos.len() as u64);
        }
        if settings.statement {
            span.record("db.query.text", redacted(bytes, infos).as_str());
        }
        Op { span }
    }

    /// Enters the span until the guard drops, and records the server of the requests handed
    /// to connections meanwhile.
    #[inline]
    pub(crate) fn enter(&self) -> Entered<'_> {
        if self.span.is_disabled() {
            return Entered { op: self, guard: None, prev: Serving::Off };
        }
        let prev = SERVING.replace(Serving::Wanted);
        Entered { op: self, guard: Some(self.span.enter()), prev }
    }

    /// `f`, polled inside the span.
    pub(crate) fn around<F: Future>(&self, f: F) -> Around<'_, F> {
        Around { op: self, f }
    }

    /// The request is sent again after `err`.
    pub(crate) fn retrying(&self, err: &Error) {
        let kind = error_type(err);
        if self.span.is_disabled() {
            tracing::debug!(target: "tredis", cause = kind, "retry");
        } else {
            tracing::debug!(target: "tredis", parent: &self.span, cause = kind, "retry");
        }
    }

    /// Records how the request ended, and hands the result on.
    #[inline]
    pub(crate) fn ended(&self, r: Result<Value, Error>) -> Result<Value, Error> {
        if !self.span.is_disabled() {
            match &r {
                Ok(v) => {
                    if let Some(text) = v.as_error() {
                        let code = text.split(|&b| b == b' ').next().unwrap_or_default();
                        let code = std::str::from_utf8(code).unwrap_or("ERR");
                        self.span.record("db.response.status_code", code);
                        self.fail_as(code);
                    }
                }
                Err(e) => self.failed(e),
            }
        }
        r
    }

    /// The request failed with `e`.
    pub(crate) fn failed(&self, e: &Error) {
        if self.span.is_disabled() {
            return;
        }
        if let Some(code) = e.code() {
            self.span.record("db.response.status_code", code);
        }
        self.fail_as(error_type(e));
    }

    fn fail_as(&self, kind: &str) {
        self.span.record("error.type", kind);
        self.span.record("otel.status_code", "ERROR");
    }

    /// Records the server (a batch's, or a command's sent again): rare enough that the
    /// fields are found by name.
    fn served_by(&self, addr: &Addr) {
        let (address, port) = Served::fields_of(addr);
        if let Some(address) = address {
            self.span.record("server.address", address);
        }
        if let Some(port) = port {
            self.span.record("server.port", port);
        }
    }
}

/// `db.query.text` of a command, made before the command is handed over (and moved), only
/// when the client records statements.
pub(crate) struct Statement(Option<String>);

impl Statement {
    /// The statement of `request`, if `settings` ask for it.
    #[inline]
    pub(crate) fn of(settings: &Settings, request: &Encoded, info: &'static CommandInfo) -> Statement {
        Statement(settings.statement.then(|| redacted(request.as_bytes(), &[info])))
    }

    /// None.
    pub(crate) fn none() -> Statement {
        Statement(None)
    }
}

/// The server a request went to, from [`Watch::served`].
pub(crate) struct Served(Option<&'static Addr>);

impl Served {
    /// Unknown.
    pub(crate) fn none() -> Served {
        Served(None)
    }

    /// The server a connection is connected to (see `Connection::server`).
    pub(crate) fn by(server: impl FnOnce() -> Option<&'static Addr>) -> Served {
        Served(server())
    }

    /// `server.address` and `server.port`.
    fn fields(&self) -> (Option<&str>, Option<u16>) {
        self.0.map_or((None, None), Served::fields_of)
    }

    fn fields_of(addr: &Addr) -> (Option<&str>, Option<u16>) {
        match addr {
            Addr::Tcp { host, port } => (Some(host.as_str()), Some(*port)),
            Addr::Unix(path) => (path.to_str(), None),
        }
    }
}

/// Watches which server the requests handed to connections go to, so that a command's span
/// is made with its server rather than recording it afterwards: made after the hand-off,
/// the span costs one call into the subscriber instead of three.
pub(crate) struct Watch(Serving);

impl Watch {
    /// Starts watching.
    #[inline]
    pub(crate) fn start() -> Watch {
        Watch(SERVING.replace(Serving::Wanted))
    }

    /// The one server the requests went to since [`start`](Watch::start), if there was one.
    /// An enclosing watch (a batch's span entered) learns of it too.
    #[inline]
    pub(crate) fn served(self) -> Served {
        match SERVING.replace(self.0) {
            Serving::One(addr) => {
                serving(|| Some(addr));
                Served(Some(addr))
            }
            Serving::Many => {
                serving(|| None);
                Served(None)
            }
            // Nothing was handed to a connection (it failed before).
            Serving::Wanted | Serving::Off => Served(None),
        }
    }
}

/// The span entered, from [`Op::enter`].
pub(crate) struct Entered<'a> {
    op: &'a Op,
    guard: Option<tracing::span::Entered<'a>>,
    prev: Serving,
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        if self.guard.is_none() {
            return;
        }
        if let Serving::One(addr) = SERVING.replace(std::mem::take(&mut self.prev)) {
            self.op.served_by(addr);
        }
    }
}

pin_project_lite::pin_project! {
    /// A future polled inside a span.
    pub(crate) struct Around<'a, F> {
        op: &'a Op,
        #[pin]
        f: F,
    }
}

impl<F: Future> Future for Around<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = this.op.enter();
        this.f.poll(cx)
    }
}

/// `f` inside the current span: the parts of a request, waited for by a task of their own.
pub(crate) fn follow<F: Future>(f: F) -> tracing::instrument::Instrumented<F> {
    f.instrument(Span::current())
}

/// A connection took a request: if a span asks, this is its server. `addr` is called only
/// then.
#[inline]
pub(crate) fn serving(addr: impl FnOnce() -> Option<&'static Addr>) {
    let now = SERVING.take();
    let next = match now {
        Serving::Off => Serving::Off,
        Serving::Wanted => addr().map_or(Serving::Many, Serving::One),
        Serving::One(a) => match addr() {
            Some(b) if b == a => Serving::One(a),
            _ => Serving::Many,
        },
        Serving::Many => Serving::Many,
    };
    SERVING.set(next);
}

/// `error.type` of an error: the server's code, else the kind.
fn error_type(e: &Error) -> &str {
    if let Some(code) = e.code() {
        return code;
    }
    match e.kind() {
        ErrorKind::Connect => "connect",
        ErrorKind::Indeterminate => "indeterminate",
        ErrorKind::Auth => "auth",
        ErrorKind::Redis => "redis",
        ErrorKind::InvalidClusterCommand => "invalid_cluster_command",
        ErrorKind::Protocol => "protocol",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Argument => "argument",
        ErrorKind::Config => "config",
        ErrorKind::Closed => "closed",
        ErrorKind::QueueFull => "queue_full",
        ErrorKind::Aborted => "aborted",
    }
}

/// The commands encoded in `bytes` as `db.query.text`: each command's name as its facts
/// spell it, every other argument `?`, commands joined with `; `. An argument that is not
/// the name the facts give is a value, whatever it looks like.
fn redacted(mut bytes: &[u8], infos: &[&'static CommandInfo]) -> String {
    let mut out = String::new();
    for info in infos {
        let Some(args) = Args::of(bytes) else { break };
        if !out.is_empty() {
            out.push_str("; ");
        }
        let mut words = info.name.split(' ');
        let mut naming = true;
        for (i, arg) in args.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            match words.next().filter(|w| naming && w.as_bytes().eq_ignore_ascii_case(arg)) {
                Some(w) => out.push_str(w),
                None => {
                    naming = false;
                    out.push('?');
                }
            }
        }
        bytes = &bytes[args.byte_len().min(bytes.len())..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Flags;

    static SET: CommandInfo = CommandInfo { name: "SET", flags: Flags::WRITE, key_specs: &[], tips: &[] };
    static SETNAME: CommandInfo =
        CommandInfo { name: "CLIENT SETNAME", flags: Flags::NONE, key_specs: &[], tips: &[] };

    #[test]
    fn statements_keep_names_and_hide_every_value() {
        let set = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nSET\r\n";
        assert_eq!(redacted(set, &[&SET]), "SET ? ?");
        let name = b"*3\r\n$6\r\nclient\r\n$7\r\nSETNAME\r\n$6\r\nclient\r\n";
        assert_eq!(redacted(name, &[&SETNAME]), "CLIENT SETNAME ?");
        let both: Vec<u8> = [&set[..], &name[..]].concat();
        assert_eq!(redacted(&both, &[&SET, &SETNAME]), "SET ? ?; CLIENT SETNAME ?");
    }
}
