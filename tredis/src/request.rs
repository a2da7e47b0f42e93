//! [`Req`]: a generated command bound to what will run it. Awaiting it sends the command,
//! waits for the reply, retries where that is provably safe, and decodes the reply with the
//! command's decoder. Its deadline is fixed at the first send and kept by every retry; the
//! connection holding the request answers it by then (see [`crate::deadline`]).

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Sleep;

use crate::command::{Command, CommandInfo, Encoded};
use crate::connection::{Answer, BatchAnswer};
use crate::deadline::Deadline;
use crate::reply::Decode;
use crate::resp::Value;
use crate::retry::Attempts;
use crate::Error;

mod sealed {
    pub trait Sealed {}
}

pub(crate) use sealed::Sealed;

/// Anything the generated command methods can be called on: the client, pipelines and
/// transactions. Sealed: the group traits are implemented for these types only.
pub trait Target: sealed::Sealed {}

/// A target that runs each command as it is awaited.
pub trait Executor: Target {
    /// Sends an encoded command (or fails with its argument error).
    #[doc(hidden)]
    fn submit(&self, cmd: Result<Encoded, Error>, info: &'static CommandInfo, opts: &ReqOpts) -> Pending;

    /// The nodes a SCAN must walk one after the other: the primaries of a cluster.
    #[doc(hidden)]
    fn scan_nodes(&self) -> Option<ScanNodes> {
        None
    }

    /// Sends a request to `node`, whatever its keys.
    #[doc(hidden)]
    fn submit_to(
        &self,
        _node: &ScanNode,
        cmd: Result<Encoded, Error>,
        info: &'static CommandInfo,
        opts: &ReqOpts,
    ) -> Pending {
        self.submit(cmd, info, opts)
    }

    /// A cluster redirection (MOVED, ASK) or a stale slot map: where to send the request now.
    #[doc(hidden)]
    fn reroute(
        &self,
        _err: &Error,
        request: Encoded,
        _info: &'static CommandInfo,
        _opts: &ReqOpts,
    ) -> Rerouted {
        Rerouted::No(request)
    }

    /// A request got no reply in time: the server may hang, and with Sentinel, may have been
    /// replaced without the client hearing of it.
    #[doc(hidden)]
    fn timed_out(&self) {}

    /// A READONLY reply said the server is no longer the primary: move to the new one.
    /// Returns whether a retry can reach a different server.
    #[doc(hidden)]
    fn relocate(&self) -> bool {
        false
    }
}

/// The primaries of a cluster, as a SCAN stream found them when it started.
#[doc(hidden)]
pub struct ScanNodes(pub(crate) Vec<ScanNode>);

impl ScanNodes {
    /// How many nodes there are to walk.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Node `i`.
    pub fn get(&self, i: usize) -> Option<&ScanNode> {
        self.0.get(i)
    }
}

/// One node a SCAN walks: its pages, retries included, must all go there, as a cursor means
/// something on its own node only.
#[doc(hidden)]
#[derive(Clone)]
pub struct ScanNode(pub(crate) std::sync::Arc<crate::cluster::Node>);

/// What to do with a request that came back with an error (cluster redirections).
#[doc(hidden)]
pub enum Rerouted {
    /// Sent again elsewhere; here is its new answer.
    Sent(Pending),
    /// Send it again after a pause (the slot map is being refreshed).
    Later(Encoded),
    /// Not a cluster matter.
    No(Encoded),
}

/// Per-request settings: idempotence, timeout, and the deadline once the request was sent.
#[derive(Debug, Clone, Copy, Default)]
#[doc(hidden)]
pub struct ReqOpts {
    pub(crate) idempotent: bool,
    pub(crate) timeout: Option<Duration>,
    /// Fixed by the first send; retries keep it.
    pub(crate) deadline: Option<Deadline>,
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

impl<'c, E: Executor + ?Sized, C: Command> IntoFuture for Req<'c, E, C> {
    type Output = Result<<C::Reply as Decode>::Output, Error>;
    type IntoFuture = ReplyFuture<'c, E, C::Reply>;

    #[inline]
    fn into_future(self) -> Self::IntoFuture {
        let pending = self.exec.submit(self.cmd.encode(), C::INFO, &self.opts);
        ReplyFuture::new(self.exec, pending, C::INFO, self.opts)
    }
}

/// The raw answer to a submitted command, and its deadline.
#[doc(hidden)]
pub struct Pending {
    state: PendingState,
    deadline: Option<Deadline>,
}

enum PendingState {
    Failed(Option<Error>),
    Waiting(oneshot::Receiver<Answer>),
    /// A command (ASKING, an offset probe) and the request, sent as a batch of two: the
    /// answer is the second reply, unless the first was refused.
    Prefixed(oneshot::Receiver<BatchAnswer>, Option<Encoded>),
}

impl Pending {
    /// A request that failed before it was sent.
    pub(crate) fn failed(e: Error) -> Pending {
        Pending { state: PendingState::Failed(Some(e)), deadline: None }
    }

    /// A request waiting for its answer, which whoever holds the request gives by
    /// `deadline`.
    pub(crate) fn waiting(rx: oneshot::Receiver<Answer>, deadline: Option<Deadline>) -> Pending {
        Pending { state: PendingState::Waiting(rx), deadline }
    }

    /// The answer to a request sent right after another command (ASKING, an offset probe),
    /// in one batch of two.
    pub(crate) fn prefixed(
        rx: oneshot::Receiver<BatchAnswer>,
        request: Encoded,
        deadline: Option<Deadline>,
    ) -> Pending {
        Pending { state: PendingState::Prefixed(rx, Some(request)), deadline }
    }

    /// The answer, once it arrives.
    pub(crate) fn poll_answer_raw(&mut self, cx: &mut Context<'_>) -> Poll<Answer> {
        self.poll_answer(cx)
    }

    fn poll_answer(&mut self, cx: &mut Context<'_>) -> Poll<Answer> {
        match &mut self.state {
            PendingState::Failed(e) => Poll::Ready(Answer {
                result: Err(e.take().unwrap_or_else(|| Error::protocol("reply polled after completion"))),
                request: None,
            }),
            PendingState::Waiting(rx) => Poll::Ready(ready!(Pin::new(rx).poll(cx)).unwrap_or_else(|_| {
                Answer { result: Err(Error::indeterminate("the connection task stopped")), request: None }
            })),
            PendingState::Prefixed(rx, request) => {
                let batch = ready!(Pin::new(rx).poll(cx));
                let request = request.take();
                Poll::Ready(match batch {
                    // The first command was refused: the request's own reply cannot be
                    // trusted (a WAIT whose offset was not brought up to date counts nothing).
                    Ok(BatchAnswer { mut values, error: None, .. }) if values.len() == 2 => {
                        let reply = values.pop().expect("two replies");
                        match values.pop() {
                            Some(refused @ (Value::Error(_) | Value::BulkError(_))) => {
                                Answer { result: Ok(refused), request }
                            }
                            _ => Answer { result: Ok(reply), request },
                        }
                    }
                    Ok(BatchAnswer { error: Some(e), .. }) => Answer { result: Err(e), request },
                    _ => Answer { result: Err(Error::indeterminate("the batch ended early")), request },
                })
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// The typed reply of a command: waits for it and decodes it.
    #[project = ReplyFutureProj]
    pub struct ReplyFuture<'c, E: ?Sized, R> {
        exec: &'c E,
        pending: Pending,
        info: &'static CommandInfo,
        opts: ReqOpts,
        attempts: Attempts,
        relocated: bool,
        retry: Option<Encoded>,
        // Where every attempt must go (a page of a cluster-wide SCAN); none: wherever the
        // executor routes it.
        pinned: Option<ScanNode>,
        #[pin]
        delay: Option<Sleep>,
        _reply: PhantomData<fn() -> R>,
    }
}

impl<'c, E: ?Sized, R> ReplyFuture<'c, E, R> {
    pub(crate) fn new(exec: &'c E, pending: Pending, info: &'static CommandInfo, mut opts: ReqOpts) -> Self {
        // Retries keep the first send's deadline.
        opts.deadline = opts.deadline.or(pending.deadline);
        ReplyFuture {
            exec,
            pending,
            info,
            opts,
            attempts: Attempts::first(),
            relocated: false,
            retry: None,
            pinned: None,
            delay: None,
            _reply: PhantomData,
        }
    }
}

impl<E: Executor + ?Sized, R: Decode> Future for ReplyFuture<'_, E, R> {
    type Output = Result<R::Output, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let name = this.info.name;
        loop {
            if let Some(delay) = this.delay.as_mut().as_pin_mut() {
                if delay.poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.delay.set(None);
                let request = this.retry.take().expect("a retry has its request");
                // The request is in hand: this attempt never ran.
                if let Some(d) = this.opts.deadline.filter(|d| d.passed(crate::deadline::now())) {
                    return Poll::Ready(Err(this.attempts.expired(d, name)));
                }
                *this.pending = match this.pinned {
                    Some(node) => this.exec.submit_to(node, Ok(request), this.info, this.opts),
                    None => this.exec.submit(Ok(request), this.info, this.opts),
                };
            }
            let answer = match this.pending.poll_answer(cx) {
                Poll::Ready(a) => a,
                Poll::Pending => return Poll::Pending,
            };
            let err = match answer.result {
                Ok(Value::Error(e) | Value::BulkError(e)) => Error::server(&e).with_command(name),
                Ok(v) => {
                    return Poll::Ready(
                        R::decode(v).map_err(|e| Error::protocol(e.to_string()).with_command(name)),
                    )
                }
                // SHUTDOWN succeeds by closing the connection: no reply is its success.
                Err(e)
                    if e.kind() == crate::ErrorKind::Indeterminate
                        && this.info.flags.contains(crate::command::Flags::CLOSES_CONNECTION) =>
                {
                    let ok = Value::Simple(bytes::Bytes::from_static(b"OK"));
                    return Poll::Ready(
                        R::decode(ok).map_err(|e| Error::protocol(e.to_string()).with_command(name)),
                    );
                }
                Err(e) => {
                    if e.is_timeout() {
                        // The server may hang; with Sentinel, it may have been replaced.
                        this.exec.timed_out();
                    }
                    e.with_command(name)
                }
            };
            // A cluster says where the request belongs (MOVED, ASK), or that its map is stale.
            let mut request = answer.request;
            let mut later = false;
            if let Some(r) = request.take() {
                if !this.attempts.left() {
                    return Poll::Ready(Err(this.attempts.fail(err)));
                }
                // A pinned request has nowhere else to go.
                let rerouted = match this.pinned {
                    Some(_) => Rerouted::No(r),
                    None => this.exec.reroute(&err, r, this.info, this.opts),
                };
                match rerouted {
                    Rerouted::Sent(pending) => {
                        this.attempts.redirected();
                        *this.pending = pending;
                        continue;
                    }
                    Rerouted::Later(r) => {
                        later = true;
                        request = Some(r);
                    }
                    Rerouted::No(r) => request = Some(r),
                }
            }
            // READONLY proves the command did not run: after a failover the primary moved.
            // One retry, once the client has moved to the new primary (the seed's promise).
            let moved = err.code() == Some("READONLY") && !*this.relocated && this.exec.relocate();
            *this.relocated |= moved;
            let Some(request) = request else {
                return Poll::Ready(Err(this.attempts.fail(err)));
            };
            let deadline = this.opts.deadline;
            match this.attempts.next(&err, this.info, this.opts.idempotent, later, moved, deadline) {
                Some(at) => {
                    *this.retry = Some(request);
                    this.delay.set(Some(tokio::time::sleep_until(at)));
                }
                None => return Poll::Ready(Err(this.attempts.fail(err))),
            }
        }
    }
}

impl<'c, E: ?Sized, R> ReplyFuture<'c, E, R> {
    /// A reply whose every attempt goes to `node`.
    pub(crate) fn pinned(mut self, node: ScanNode) -> Self {
        self.pinned = Some(node);
        self
    }
}
