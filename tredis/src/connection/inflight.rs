//! The FIFO of requests written to the socket and still waiting for their replies.
//!
//! The writer appends a whole batch under one lock; the reader hands out the replies of one read
//! under one lock. So the lock is taken per batch, never per command. When the connection
//! dies, every waiter is failed once, and nothing can be appended afterwards.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use tokio::sync::oneshot;

use crate::command::{CommandInfo, Encoded};
use crate::resp::Value;
use crate::Error;

/// The answer to one command: its reply or why there is none, and the request bytes, handed
/// back so that the caller can send them again where that is safe.
pub(crate) struct Answer {
    pub result: Result<Value, Error>,
    pub request: Option<Encoded>,
}

/// The answers to a batch (pipeline, transaction): the replies that arrived, in order, and the
/// error that cut the batch short, if any.
pub(crate) struct BatchAnswer {
    pub values: Vec<Value>,
    pub error: Option<Error>,
    /// The batch's bytes, handed back when the connection had them (to send them again where
    /// that is safe: a cluster transaction refused whole).
    pub request: Option<Encoded>,
}

/// Where the replies of a request go.
pub(crate) enum ReplyTo {
    /// One command.
    One(oneshot::Sender<Answer>),
    /// A batch of `n` commands, sent as one unit so that nothing interleaves with it.
    Many(usize, oneshot::Sender<BatchAnswer>),
}

impl ReplyTo {
    /// True when the caller gave up waiting before the request was written.
    pub(crate) fn is_closed(&self) -> bool {
        match self {
            ReplyTo::One(tx) => tx.is_closed(),
            ReplyTo::Many(_, tx) => tx.is_closed(),
        }
    }

    /// Fails a request that was never written.
    pub(crate) fn fail(self, err: Error, request: Encoded) {
        match self {
            ReplyTo::One(tx) => {
                let _ = tx.send(Answer { result: Err(err), request: Some(request) });
            }
            ReplyTo::Many(_, tx) => {
                let _ = tx.send(BatchAnswer { values: Vec::new(), error: Some(err), request: Some(request) });
            }
        }
    }
}

/// A request on its way to the socket.
pub(crate) struct Request {
    pub bytes: Encoded,
    pub reply: ReplyTo,
    pub info: &'static CommandInfo,
}

/// A written request waiting for its replies.
pub(crate) enum Waiter {
    One {
        tx: oneshot::Sender<Answer>,
        request: Encoded,
        info: &'static CommandInfo,
    },
    Many {
        want: usize,
        got: Vec<Value>,
        tx: oneshot::Sender<BatchAnswer>,
        request: Encoded,
        info: &'static CommandInfo,
    },
}

impl Waiter {
    fn fail(self, err: &Error) {
        match self {
            Waiter::One { tx, request, info } => {
                let _ = tx.send(Answer {
                    result: Err(err.duplicate().with_command(info.name)),
                    request: Some(request),
                });
            }
            Waiter::Many { got, tx, info, request, .. } => {
                let _ = tx.send(BatchAnswer {
                    values: got,
                    error: Some(err.duplicate().with_command(info.name)),
                    request: Some(request),
                });
            }
        }
    }
}

/// A waiter whose replies are complete, ready to be answered outside the lock.
pub(crate) enum Ready {
    One(oneshot::Sender<Answer>, Encoded, Value),
    Many(oneshot::Sender<BatchAnswer>, Vec<Value>, Encoded),
}

impl Ready {
    /// Hands the replies to the caller; one who gave up is skipped.
    pub(crate) fn send(self) {
        match self {
            Ready::One(tx, request, value) => {
                let _ = tx.send(Answer { result: Ok(value), request: Some(request) });
            }
            Ready::Many(tx, values, request) => {
                let _ = tx.send(BatchAnswer { values, error: None, request: Some(request) });
            }
        }
    }
}

#[derive(Default)]
struct Queue {
    waiters: VecDeque<Waiter>,
    closed: bool,
}

/// The in-flight queue of one connection.
#[derive(Default)]
pub(crate) struct Inflight {
    queue: Mutex<Queue>,
    len: AtomicUsize,
}

impl Inflight {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        // A panic while holding the lock cannot leave the queue inconsistent: every operation
        // on it is a push, a pop, or a push onto the front waiter's replies.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Requests awaiting replies, without taking the lock.
    pub(crate) fn outstanding(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Moves a batch in. Returns `false`, leaving the batch untouched, when the connection has
    /// already failed: those requests were never written.
    pub(crate) fn push(&self, batch: &mut Vec<Request>) -> bool {
        let mut q = self.lock();
        if q.closed {
            return false;
        }
        let n = batch.len();
        q.waiters.extend(batch.drain(..).map(|r| match r.reply {
            ReplyTo::One(tx) => Waiter::One { tx, request: r.bytes, info: r.info },
            ReplyTo::Many(want, tx) => {
                Waiter::Many { want, got: Vec::with_capacity(want), tx, request: r.bytes, info: r.info }
            }
        }));
        self.len.fetch_add(n, Ordering::Relaxed);
        true
    }

    /// Matches replies with waiters, oldest first, moving completed ones to `out`. Returns
    /// `false` when a reply has no waiter: the server sent something nobody asked for.
    pub(crate) fn complete(&self, values: &mut Vec<Value>, out: &mut Vec<Ready>) -> bool {
        let mut q = self.lock();
        let mut done = 0;
        for v in values.drain(..) {
            match q.waiters.front_mut() {
                None => return false,
                Some(Waiter::One { .. }) => {
                    if let Some(Waiter::One { tx, request, .. }) = q.waiters.pop_front() {
                        out.push(Ready::One(tx, request, v));
                        done += 1;
                    }
                }
                Some(Waiter::Many { want, got, .. }) => {
                    got.push(v);
                    if got.len() == *want {
                        if let Some(Waiter::Many { tx, got, request, .. }) = q.waiters.pop_front() {
                            out.push(Ready::Many(tx, got, request));
                            done += 1;
                        }
                    }
                }
            }
        }
        self.len.fetch_sub(done, Ordering::Relaxed);
        true
    }

    /// Fails every waiter and refuses later batches.
    pub(crate) fn fail_all(&self, err: &Error) {
        let waiters: Vec<Waiter> = {
            let mut q = self.lock();
            q.closed = true;
            q.waiters.drain(..).collect()
        };
        self.len.store(0, Ordering::Relaxed);
        for w in waiters {
            w.fail(err);
        }
    }
}
