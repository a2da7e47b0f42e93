//! [`Delivery`]: a request from its first send to its final answer, sent again, redirected
//! or moved as the policy of this module allows, all within one deadline. Single requests,
//! SCAN pages, the parts of cluster pipelines and of commands a cluster splits or fans out
//! all end through this one loop.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::time::Sleep;

use super::Attempts;
use crate::command::{CommandInfo, Encoded, Flags};
use crate::connection::Pending;
use crate::deadline::Deadline;
use crate::pool::Pool;
use crate::resp::Value;
use crate::spans::{Op, Served, Watch};
use crate::{Error, ErrorKind};

/// What the retry loop asks of whatever routes requests (the client's router, a cluster,
/// a transaction's own connection).
#[doc(hidden)]
pub trait Resend {
    /// Sends a request where it belongs.
    fn send(&self, request: Encoded, info: &'static CommandInfo, deadline: Option<Deadline>) -> Pending;

    /// Sends a request to `pool`, whatever its keys (a page of a SCAN walking every node).
    fn send_to(
        &self,
        pool: &Pool,
        request: Encoded,
        info: &'static CommandInfo,
        deadline: Option<Deadline>,
    ) -> Pending {
        pool.submit(request, info, deadline)
    }

    /// After a failure that says where the request belongs now (MOVED, ASK) or that the
    /// routing is stale: sends it there, or says to send it again later.
    fn reroute(
        &self,
        _err: &Error,
        request: Encoded,
        _info: &'static CommandInfo,
        _deadline: Option<Deadline>,
    ) -> Rerouted {
        Rerouted::No(request)
    }

    /// A request got no reply in time: the server may hang, and with Sentinel, may have been
    /// replaced without the client hearing of it.
    fn timed_out(&self) {}

    /// A READONLY reply said the server is no longer the primary: move to the new one.
    /// Returns whether a retry can reach a different server.
    fn relocate(&self) -> bool {
        false
    }
}

/// What to do with a request that came back with an error.
#[doc(hidden)]
pub enum Rerouted {
    /// Sent again elsewhere (a redirection, a replica's read sent to the primary); here is
    /// its new answer.
    Sent(Pending),
    /// Send it again after a pause (the slot map is being refreshed).
    Later(Encoded),
    /// Routing has nothing to add: the retry policy alone decides.
    No(Encoded),
}

pin_project_lite::pin_project! {
    /// The final raw answer to a request: a reply (a server error only when no earlier
    /// attempt may have run), or the error that ends it with its fate exact.
    pub(crate) struct Delivery<'c, X: ?Sized> {
        to: &'c X,
        pending: Pending,
        info: &'static CommandInfo,
        idempotent: bool,
        deadline: Option<Deadline>,
        attempts: Attempts,
        relocated: bool,
        // Where every attempt must go (a page of a cluster-wide SCAN); none: where `to`
        // routes it.
        pinned: Option<Arc<Pool>>,
        // The request's span (none for the parts of a request: see `crate::spans`).
        op: Op,
        // A retry waiting for its time, with its request. Boxed: a retry is rare, and inline
        // they would more than double the size of every request's future, which is moved as
        // it is made and awaited.
        delay: Option<Pin<Box<Retry>>>,
    }
}

pin_project_lite::pin_project! {
    /// A request waiting to be sent again.
    struct Retry {
        #[pin]
        sleep: Sleep,
        request: Option<Encoded>,
    }
}

impl<'c, X: Resend + ?Sized> Delivery<'c, X> {
    /// Sends `request` through `to` and follows it to its end, inside the span `span` makes
    /// once the request was handed to a connection, from the server it went to (see
    /// [`crate::spans::Watch`]).
    #[inline]
    pub(crate) fn send(
        to: &'c X,
        request: Encoded,
        info: &'static CommandInfo,
        idempotent: bool,
        deadline: Option<Deadline>,
        span: impl FnOnce(Served) -> Op,
    ) -> Self {
        let watch = Watch::start();
        let pending = to.send(request, info, deadline);
        let op = span(watch.served());
        Delivery::of(to, pending, info, idempotent, deadline, op)
    }

    /// As [`send`](Delivery::send), every attempt to `pool`.
    pub(crate) fn send_to(
        to: &'c X,
        pool: Arc<Pool>,
        request: Encoded,
        info: &'static CommandInfo,
        deadline: Option<Deadline>,
        span: impl FnOnce(Served) -> Op,
    ) -> Self {
        let watch = Watch::start();
        let pending = to.send_to(&pool, request, info, deadline);
        let op = span(watch.served());
        let mut d = Delivery::of(to, pending, info, false, deadline, op);
        d.pinned = Some(pool);
        d
    }

    /// Its span.
    #[inline]
    pub(crate) fn op(&self) -> &Op {
        &self.op
    }

    /// Where it is sent.
    #[inline]
    pub(crate) fn target(&self) -> &'c X {
        self.to
    }

    /// The command it delivers.
    #[inline]
    pub(crate) fn info(&self) -> &'static CommandInfo {
        self.info
    }

    /// Follows a request already sent (or failed before it was), inside the span `op`.
    #[inline]
    pub(crate) fn of(
        to: &'c X,
        pending: Pending,
        info: &'static CommandInfo,
        idempotent: bool,
        deadline: Option<Deadline>,
        op: Op,
    ) -> Self {
        Delivery {
            to,
            pending,
            info,
            idempotent,
            deadline,
            attempts: Attempts::first(),
            relocated: false,
            pinned: None,
            op,
            delay: None,
        }
    }
}

impl<X: Resend + ?Sized> Future for Delivery<'_, X> {
    type Output = Result<Value, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let info = *this.info;
        let op = &*this.op;
        // The span is entered only where something may happen inside it (a request handed to
        // a connection, a redirection, a retry): not around the polls that only wait, nor
        // around the common end, a reply, which is recorded without entering.
        loop {
            if let Some(delay) = this.delay.as_mut() {
                if delay.as_mut().project().sleep.poll(cx).is_pending() {
                    return Poll::Pending;
                }
                let request = delay.as_mut().project().request.take().expect("a retry has its request");
                *this.delay = None;
                let _entered = op.enter();
                // The request is in hand: this attempt never ran.
                if let Some(d) = this.deadline.filter(|d| d.passed(crate::deadline::now())) {
                    return Poll::Ready(op.ended(Err(this.attempts.expired(d, info.name))));
                }
                *this.pending = match this.pinned {
                    Some(pool) => this.to.send_to(pool, request, info, *this.deadline),
                    None => this.to.send(request, info, *this.deadline),
                };
            }
            let answer = match Pin::new(&mut *this.pending).poll(cx) {
                Poll::Ready(a) => a,
                Poll::Pending => return Poll::Pending,
            };
            let (err, reply) = match answer.result {
                Ok(value) => match value.as_error() {
                    Some(text) => (Error::server(text), Some(value)),
                    // A reply that is no error leaves nothing to record on the span.
                    None => return Poll::Ready(Ok(value)),
                },
                // SHUTDOWN succeeds by closing the connection: no reply is its success.
                Err(e)
                    if e.kind() == ErrorKind::Indeterminate
                        && info.flags.contains(Flags::CLOSES_CONNECTION) =>
                {
                    return Poll::Ready(Ok(Value::Simple(Bytes::from_static(b"OK"))));
                }
                Err(e) => {
                    if e.is_timeout() {
                        this.to.timed_out();
                    }
                    (e, None)
                }
            };
            let _entered = op.enter();
            let Some(request) = answer.request.filter(|_| this.attempts.left()) else {
                return Poll::Ready(op.ended(this.attempts.end(err, reply, info.name)));
            };
            // Where the request belongs now (MOVED, ASK), or that the routing is stale. A
            // pinned request has nowhere else to go.
            let (request, later) = match this.pinned {
                Some(_) => (request, false),
                None => match this.to.reroute(&err, request, info, *this.deadline) {
                    Rerouted::Sent(pending) => {
                        this.attempts.redirected();
                        *this.pending = pending;
                        continue;
                    }
                    Rerouted::Later(r) => (r, true),
                    Rerouted::No(r) => (r, false),
                },
            };
            // READONLY proves the command did not run: after a failover the primary moved.
            // One retry, once the client has moved to the new primary (the seed's promise).
            let moved = err.code() == Some("READONLY") && !*this.relocated && this.to.relocate();
            *this.relocated |= moved;
            match this.attempts.next(&err, info, *this.idempotent, later, moved, *this.deadline) {
                Some(at) => {
                    op.retrying(&err);
                    let sleep = tokio::time::sleep_until(at);
                    *this.delay = Some(Box::pin(Retry { sleep, request: Some(request) }));
                }
                None => return Poll::Ready(op.ended(this.attempts.end(err, reply, info.name))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// A request's future is moved as it is made and awaited: up to 128 bytes, a move is a
    /// few stores; above, a call to `memcpy` per move (60 instructions per command in w2).
    #[test]
    fn a_delivery_is_moved_without_memcpy() {
        let size = std::mem::size_of::<super::Delivery<'static, crate::client::Client>>();
        assert!(size <= 128, "a Delivery takes {size} bytes");
    }
}
