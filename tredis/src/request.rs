//! [`Req`]: a generated command bound to what will run it. Awaiting it sends the command,
//! waits for the reply, retries where that is provably safe, and decodes the reply with the
//! command's decoder. Its deadline is fixed at the first send and kept by every retry; the
//! connection holding the request answers it by then (see [`crate::deadline`]).

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use crate::command::{Blocking, Command, CommandInfo, Encoded, WithReply};
use crate::connection::Pending;
use crate::deadline::Deadline;
use crate::meter::Meter;
use crate::pool::Pool;
use crate::reply::{As, Decode, FromValue};
use crate::resp::Value;
use crate::retry::{Delivery, Resend};
use crate::route::Router;
use crate::spans::{Op, Served, Statement};
use crate::Error;

mod sealed {
    pub trait Sealed {}
}

pub(crate) use sealed::Sealed;

/// Anything the generated command methods can be called on: the client, pipelines and
/// transactions. Sealed: the group traits are implemented for these types only.
pub trait Target: sealed::Sealed {
    /// The router of the target's client, where raw commands find their facts.
    #[doc(hidden)]
    fn router(&self) -> RouterRef<'_>;
}

/// The router of a target's client.
#[doc(hidden)]
pub struct RouterRef<'a>(pub(crate) &'a Router);

/// A target that runs each command as it is awaited: it routes requests, sends them again
/// where the retry policy allows, and fixes their deadlines.
pub trait Executor: sealed::Sealed + Resend {
    /// The deadline of a request made now: `timeout` from now, else the client's rule for
    /// a command that blocks as `blocking` says.
    #[doc(hidden)]
    fn deadline(&self, blocking: Blocking, timeout: Option<Duration>) -> Option<Deadline>;

    /// What the span of a request records of the client (feature `spans`).
    #[doc(hidden)]
    fn span_settings(&self) -> &crate::spans::Settings;

    /// Where the client's measurements go (feature `metrics`).
    #[doc(hidden)]
    fn meters(&self) -> &crate::meter::Meters;

    /// The pools a SCAN must walk one after the other: the primaries of a cluster.
    #[doc(hidden)]
    fn scan_nodes(&self) -> Option<ScanNodes> {
        None
    }
}

/// The primaries of a cluster, as a SCAN stream found them when it started.
#[doc(hidden)]
pub struct ScanNodes(pub(crate) Vec<Arc<Pool>>);

impl ScanNodes {
    /// How many nodes there are to walk.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Per-request settings: idempotence and timeout.
#[derive(Debug, Clone, Copy, Default)]
#[doc(hidden)]
pub struct ReqOpts {
    pub(crate) idempotent: bool,
    pub(crate) timeout: Option<Duration>,
}

/// A command request: chain its options, then `.await` it.
///
/// Made by the command methods (`client.set("k", "v")`); its setters (`.nx()`, `.ex(..)`)
/// are generated per command and listed in the method's docs.
#[must_use = "a request does nothing until it is awaited"]
pub struct Req<'c, E: ?Sized, C> {
    pub(crate) exec: &'c E,
    pub(crate) cmd: C,
    pub(crate) opts: ReqOpts,
}

impl<'c, E: ?Sized, C> Req<'c, E, C> {
    #[inline]
    pub(crate) fn new(exec: &'c E, cmd: C) -> Self {
        Req { exec, cmd, opts: ReqOpts::default() }
    }

    /// The same request with its command transformed (a reply switch), options kept.
    #[inline]
    pub(crate) fn map<D>(self, f: impl FnOnce(C) -> D) -> Req<'c, E, D> {
        Req { exec: self.exec, cmd: f(self.cmd), opts: self.opts }
    }

    /// Marks the request safe to run twice: if its connection breaks after it was sent, it
    /// is sent again instead of failing as [`ErrorKind::Indeterminate`](crate::ErrorKind).
    pub fn idempotent(mut self) -> Self {
        self.opts.idempotent = true;
        self
    }

    /// A timeout for this request alone, instead of the client's default: its deadline, which
    /// covers the wait for a connection, redirections and retries.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.opts.timeout = Some(timeout);
        self
    }
}

impl<'c, E: ?Sized, C: Command> Req<'c, E, C> {
    /// Reads the reply as `T` instead of the command's own type, through [`FromValue`]: a
    /// map reply as a `BTreeMap`, counts as `u32`, text as `String` ... The command is sent
    /// as before; a reply `T` cannot read fails as [`ErrorKind::Protocol`](crate::ErrorKind)
    /// naming the command and where in the reply (`value of "age": expected an integer, got
    /// bulk string "x"`).
    ///
    /// Chain it after the command's options, which are setters of the request before it.
    /// With the `serde` feature, `.deserialize::<T>()` does the same for `Deserialize` types.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn f(client: tredis::Client) -> Result<(), tredis::Error> {
    /// use std::collections::BTreeMap;
    /// use tredis::prelude::*;
    ///
    /// let counters: BTreeMap<String, u64> = client.hgetall("counters").decode_as().await?;
    /// let (name, visits): (Option<String>, Option<u64>) =
    ///     client.hmget("user:1", ["name", "visits"]).decode_as().await?;
    /// # Ok(()) }
    /// ```
    pub fn decode_as<T: FromValue>(self) -> Req<'c, E, WithReply<C, As<T>>> {
        self.map(WithReply::new)
    }
}

impl<'c, E: Executor + ?Sized, C: Command> IntoFuture for Req<'c, E, C> {
    type Output = Result<<C::Reply as Decode>::Output, Error>;
    type IntoFuture = ReplyFuture<'c, E, C::Reply>;

    #[inline]
    fn into_future(self) -> Self::IntoFuture {
        ReplyFuture::new(self.exec, self.cmd.encode(), C::INFO, self.opts)
    }
}

pin_project_lite::pin_project! {
    /// The typed reply of a command: waits for it (through every retry the policy allows)
    /// and decodes it.
    pub struct ReplyFuture<'c, E: ?Sized, R> {
        #[pin]
        delivery: Delivery<'c, E>,
        meter: Meter,
        _reply: PhantomData<fn() -> R>,
    }
}

impl<'c, E: Executor + ?Sized, R> ReplyFuture<'c, E, R> {
    /// Sends `cmd` through `exec` (or fails with its argument error); its deadline is fixed
    /// now and kept by every retry.
    #[inline]
    pub(crate) fn new(
        exec: &'c E,
        cmd: Result<Encoded, Error>,
        info: &'static CommandInfo,
        opts: ReqOpts,
    ) -> Self {
        let meter = Meter::start(exec.meters());
        let settings = exec.span_settings();
        let delivery = match cmd {
            Ok(request) => {
                let deadline = exec.deadline(request.blocking(), opts.timeout);
                let statement = Statement::of(settings, &request, info);
                let span = |served| Op::command(info, statement, settings, served);
                Delivery::send(exec, request, info, opts.idempotent, deadline, span)
            }
            Err(e) => {
                let op = Op::command(info, Statement::none(), settings, Served::none());
                Delivery::of(exec, Pending::failed(e.with_command(info.name)), info, false, None, op)
            }
        };
        ReplyFuture { delivery, meter, _reply: PhantomData }
    }

    /// Sends `request` with its deadline fixed already (a raw command that first learned
    /// where its keys are).
    pub(crate) fn sent(
        exec: &'c E,
        request: Encoded,
        info: &'static CommandInfo,
        idempotent: bool,
        deadline: Option<Deadline>,
    ) -> Self {
        let meter = Meter::start(exec.meters());
        let settings = exec.span_settings();
        let statement = Statement::of(settings, &request, info);
        let span = |served| Op::command(info, statement, settings, served);
        ReplyFuture {
            delivery: Delivery::send(exec, request, info, idempotent, deadline, span),
            meter,
            _reply: PhantomData,
        }
    }

    /// As [`new`](ReplyFuture::new), every attempt to `pool` (a page of a SCAN walking the
    /// nodes of a cluster: a cursor means something on its own node only).
    pub(crate) fn pinned(exec: &'c E, pool: Arc<Pool>, request: Encoded, info: &'static CommandInfo) -> Self {
        let deadline = exec.deadline(request.blocking(), None);
        let meter = Meter::start(exec.meters());
        let settings = exec.span_settings();
        let statement = Statement::of(settings, &request, info);
        let span = |served| Op::command(info, statement, settings, served);
        ReplyFuture {
            delivery: Delivery::send_to(exec, pool, request, info, deadline, span),
            meter,
            _reply: PhantomData,
        }
    }
}

impl<E: Executor + ?Sized, R: Decode> Future for ReplyFuture<'_, E, R> {
    type Output = Result<R::Output, Error>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let name = this.delivery.info().name;
        let out = match ready!(this.delivery.as_mut().poll(cx)) {
            Ok(Value::Error(e) | Value::BulkError(e)) => Err(Error::server(&e).with_command(name)),
            Ok(v) => R::decode(v).map_err(|e| {
                let e = Error::protocol(e.to_string()).with_command(name);
                this.delivery.op().failed(&e);
                e
            }),
            Err(e) => Err(e.with_command(name)),
        };
        this.meter.end(this.delivery.target().meters(), name, 1, out.as_ref().err());
        Poll::Ready(out)
    }
}
