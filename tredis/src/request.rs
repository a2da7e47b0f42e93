//! [`Req`]: a generated command bound to what will run it. Awaiting it sends the command and
//! decodes the reply with the command's decoder; chained setters before that add options.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::command::{Command, CommandInfo, Encoded};
use crate::reply::Decode;
use crate::resp::Value;
use crate::Error;

mod sealed {
    pub trait Sealed {}
}

pub(crate) use sealed::Sealed;

/// Anything the generated command methods can be called on: the client, and later pipelines
/// and transactions. Sealed: the group traits are implemented for these types only.
pub trait Target: sealed::Sealed {}

/// A target that runs each command as it is awaited.
pub trait Executor: Target {
    /// Sends an encoded command (or fails with its argument error) and returns its reply.
    #[doc(hidden)]
    fn submit(&self, cmd: Result<Encoded, Error>, info: &'static CommandInfo) -> Pending;
}

/// A command request: chain its options, then `.await` it.
///
/// Made by the command methods (`client.set("k", "v")`); its setters (`.nx()`, `.ex(..)`)
/// are generated per command and documented on the method.
#[must_use = "a request does nothing until it is awaited"]
pub struct Req<'c, E: ?Sized, C> {
    pub(crate) exec: &'c E,
    pub(crate) cmd: C,
}

impl<'c, E: ?Sized, C> Req<'c, E, C> {
    #[inline]
    pub(crate) fn new(exec: &'c E, cmd: C) -> Self {
        Req { exec, cmd }
    }
}

impl<'c, E: Executor + ?Sized, C: Command> IntoFuture for Req<'c, E, C> {
    type Output = Result<<C::Reply as Decode>::Output, Error>;
    type IntoFuture = ReplyFuture<C::Reply>;

    #[inline]
    fn into_future(self) -> Self::IntoFuture {
        let pending = self.exec.submit(self.cmd.encode(), C::INFO);
        ReplyFuture { pending, name: C::INFO.name, _reply: PhantomData }
    }
}

pin_project_lite::pin_project! {
    /// The raw reply of a submitted command.
    #[doc(hidden)]
    pub struct Pending {
        result: Option<Result<Value, Error>>,
        rx: Option<oneshot::Receiver<Result<Value, Error>>>,
        name: &'static str,
        #[pin]
        deadline: Option<tokio::time::Sleep>,
        after: Duration,
    }
}

impl Pending {
    /// A request that failed before it was sent.
    pub(crate) fn failed(e: Error) -> Pending {
        Pending { result: Some(Err(e)), rx: None, name: "", deadline: None, after: Duration::ZERO }
    }

    /// A request waiting for its reply, at most `timeout` when given.
    pub(crate) fn waiting(
        rx: oneshot::Receiver<Result<Value, Error>>,
        name: &'static str,
        timeout: Option<Duration>,
    ) -> Pending {
        Pending {
            result: None,
            rx: Some(rx),
            name,
            deadline: timeout.map(tokio::time::sleep),
            after: timeout.unwrap_or_default(),
        }
    }
}

impl Future for Pending {
    type Output = Result<Value, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Some(r) = this.result.take() {
            return Poll::Ready(r);
        }
        let Some(rx) = this.rx.as_mut() else {
            return Poll::Ready(Err(Error::protocol("reply polled after completion")));
        };
        if let Poll::Ready(r) = Pin::new(rx).poll(cx) {
            *this.rx = None;
            return Poll::Ready(
                r.unwrap_or_else(|_| Err(Error::indeterminate("the connection task stopped"))),
            );
        }
        if let Some(sleep) = this.deadline.as_pin_mut() {
            ready!(sleep.poll(cx));
            // The request stays in flight; its late reply is discarded, never handed to another
            // caller, because replies are matched by position and this waiter is now closed.
            *this.rx = None;
            return Poll::Ready(Err(Error::timeout(*this.after).with_command(this.name)));
        }
        Poll::Pending
    }
}

pin_project_lite::pin_project! {
    /// The typed reply of a command: awaits the raw reply and decodes it.
    pub struct ReplyFuture<R> {
        #[pin]
        pending: Pending,
        name: &'static str,
        _reply: PhantomData<fn() -> R>,
    }
}

impl<R> ReplyFuture<R> {
    pub(crate) fn from_pending(pending: Pending, name: &'static str) -> Self {
        ReplyFuture { pending, name, _reply: PhantomData }
    }
}

impl<R: Decode> Future for ReplyFuture<R> {
    type Output = Result<R::Output, Error>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let name = *this.name;
        Poll::Ready(match ready!(this.pending.poll(cx)) {
            Ok(Value::Error(e) | Value::BulkError(e)) => Err(Error::server(&e).with_command(name)),
            Ok(v) => R::decode(v).map_err(|e| Error::protocol(e.to_string()).with_command(name)),
            Err(e) => Err(e.with_command(name)),
        })
    }
}
