//! The FIFO of requests written to the socket and still waiting for their replies.
//!
//! The writer appends a whole batch under one lock; the reader hands out the replies of one read
//! under one lock. So the lock is taken per batch, never per command. When the connection
//! dies, every waiter is failed once, and nothing can be appended afterwards.
//!
//! A waiter whose deadline passes is answered at once ([`Inflight::expire`]) but keeps its
//! place: its reply is still on its way and must be matched, then dropped, so that no later
//! caller receives it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use tokio::sync::oneshot;

use super::push::{classify, Frame};
use crate::command::{CommandInfo, Encoded, Flags};
use crate::deadline::{self, Deadline, Millis};
use crate::resp::Value;
use crate::Error;

/// The answer to one command: its reply or why there is none, and the request bytes, handed
/// back so that the caller can send them again where that is safe.
#[doc(hidden)]
pub struct Answer {
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
    /// The connection's own request (a health-check PING): its reply is dropped.
    Internal,
}

impl ReplyTo {
    /// True when the caller gave up waiting before the request was written.
    pub(crate) fn is_closed(&self) -> bool {
        match self {
            ReplyTo::One(tx) => tx.is_closed(),
            ReplyTo::Many(_, tx) => tx.is_closed(),
            ReplyTo::Internal => false,
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
            ReplyTo::Internal => {}
        }
    }
}

/// A request on its way to the socket.
pub(crate) struct Request {
    pub bytes: Encoded,
    pub reply: ReplyTo,
    pub info: &'static CommandInfo,
    pub deadline: Option<Deadline>,
}

/// A written request waiting for its replies. `tx` is `None` once nobody waits any more (the
/// deadline passed and the caller was answered, or the connection's own PING): the reply is
/// then matched and dropped.
pub(crate) enum Waiter {
    One {
        tx: Option<oneshot::Sender<Answer>>,
        request: Encoded,
        info: &'static CommandInfo,
        deadline: Option<Deadline>,
    },
    Many {
        want: usize,
        got: Vec<Value>,
        tx: Option<oneshot::Sender<BatchAnswer>>,
        request: Encoded,
        info: &'static CommandInfo,
        deadline: Option<Deadline>,
    },
    /// A subscribe-family command: answered by one confirmation per channel it names (the
    /// last one is its reply), or by one error.
    Confirms {
        want: usize,
        tx: Option<oneshot::Sender<Answer>>,
        request: Encoded,
        info: &'static CommandInfo,
        deadline: Option<Deadline>,
    },
}

impl Waiter {
    fn deadline(&self) -> Option<Deadline> {
        match self {
            Waiter::One { deadline, .. }
            | Waiter::Many { deadline, .. }
            | Waiter::Confirms { deadline, .. } => *deadline,
        }
    }

    /// Whether a caller still waits for it.
    fn waited_for(&self) -> bool {
        match self {
            Waiter::One { tx, .. } | Waiter::Confirms { tx, .. } => tx.is_some(),
            Waiter::Many { tx, .. } => tx.is_some(),
        }
    }

    /// Answers the caller with `err` (the request bytes are handed back, for a retry where
    /// that is safe), leaving the waiter in place to absorb its replies.
    fn answer_err(&mut self, err: &Error) {
        match self {
            Waiter::One { tx, request, info, .. } | Waiter::Confirms { tx, request, info, .. } => {
                if let Some(tx) = tx.take() {
                    let request = std::mem::replace(request, Encoded::concat(Vec::new()));
                    let _ = tx.send(Answer {
                        result: Err(err.duplicate().with_command(info.name)),
                        request: Some(request),
                    });
                }
            }
            Waiter::Many { got, tx, info, request, .. } => {
                if let Some(tx) = tx.take() {
                    let request = std::mem::replace(request, Encoded::concat(Vec::new()));
                    let _ = tx.send(BatchAnswer {
                        values: std::mem::take(got),
                        error: Some(err.duplicate().with_command(info.name)),
                        request: Some(request),
                    });
                }
            }
        }
    }
}

/// A waiter whose replies are complete, ready to be answered outside the lock.
pub(crate) enum Ready {
    One(oneshot::Sender<Answer>, Encoded, Value),
    Many(oneshot::Sender<BatchAnswer>, Vec<Value>, Encoded),
    /// Nobody waits for these replies any more.
    Dropped,
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
            Ready::Dropped => {}
        }
    }

    /// Fails the waiter instead: its reply cannot be trusted.
    pub(crate) fn fail(self, err: &Error) {
        match self {
            Ready::One(tx, request, _) => {
                let _ = tx.send(Answer { result: Err(err.duplicate()), request: Some(request) });
            }
            Ready::Many(tx, _, request) => {
                let _ = tx.send(BatchAnswer {
                    values: Vec::new(),
                    error: Some(err.duplicate()),
                    request: Some(request),
                });
            }
            Ready::Dropped => {}
        }
    }
}

#[derive(Default)]
struct Queue {
    waiters: VecDeque<Waiter>,
    closed: bool,
    /// No waiter's deadline is earlier (some may be later: it is only lowered on push, and
    /// raised again by a scan), so that most ticks skip the scan.
    earliest: Option<Millis>,
}

/// The in-flight queue of one connection.
#[derive(Default)]
pub(crate) struct Inflight {
    queue: Mutex<Queue>,
    len: AtomicUsize,
    /// Reads that brought replies, ever: the health check's sign of progress.
    progress: AtomicU64,
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
        for d in batch.iter().filter_map(|r| r.deadline) {
            if q.earliest.map_or(true, |e| d.at() < e) {
                q.earliest = Some(d.at());
            }
        }
        q.waiters.extend(batch.drain(..).map(|r| match r.reply {
            ReplyTo::One(tx) => waiter(Some(tx), r.bytes, r.info, r.deadline),
            ReplyTo::Internal => waiter(None, r.bytes, r.info, r.deadline),
            ReplyTo::Many(want, tx) => Waiter::Many {
                want,
                got: Vec::with_capacity(want),
                tx: Some(tx),
                request: r.bytes,
                info: r.info,
                deadline: r.deadline,
            },
        }));
        self.len.fetch_add(n, Ordering::Relaxed);
        true
    }

    /// Matches frames with waiters, oldest first, moving completed ones to `out` and what
    /// is not a reply to `pushes` (`subscriber`: a RESP2 subscriber connection, see
    /// [`push`](super::push)). Returns `false` when a reply has no waiter: the server sent
    /// something nobody asked for.
    pub(crate) fn complete(
        &self,
        frames: &mut Vec<Value>,
        out: &mut Vec<Ready>,
        pushes: &mut Vec<Value>,
        subscriber: bool,
    ) -> bool {
        let mut q = self.lock();
        let mut done = 0;
        for v in frames.drain(..) {
            let frame = classify(&v, subscriber);
            match frame {
                Frame::Reply => {}
                Frame::Push => {
                    pushes.push(v);
                    continue;
                }
                Frame::Confirm => {
                    // A confirmation of the waiting command's kind is its; any other was sent
                    // by the server on its own (a shard channel whose slot moved).
                    let answers = matches!(q.waiters.front(), Some(Waiter::Confirms { info, .. }) if confirms_kind(&v, info));
                    if !answers {
                        pushes.push(v);
                        continue;
                    }
                    // The subscriptions learn of it too.
                    pushes.push(v.clone());
                }
            }
            match q.waiters.front_mut() {
                None => return false,
                Some(Waiter::One { .. }) => {
                    if let Some(Waiter::One { tx, request, .. }) = q.waiters.pop_front() {
                        out.push(tx.map_or(Ready::Dropped, |tx| Ready::One(tx, request, v)));
                        done += 1;
                    }
                }
                Some(Waiter::Confirms { want, .. }) => {
                    // An error refuses the whole command; otherwise the last confirmation
                    // answers it.
                    *want = want.saturating_sub(1);
                    if *want == 0 || frame == Frame::Reply {
                        if let Some(Waiter::Confirms { tx, request, .. }) = q.waiters.pop_front() {
                            out.push(tx.map_or(Ready::Dropped, |tx| Ready::One(tx, request, v)));
                            done += 1;
                        }
                    }
                }
                Some(Waiter::Many { want, got, tx, .. }) => {
                    // A batch nobody waits for only counts its replies.
                    *want -= 1;
                    if tx.is_some() {
                        got.push(v);
                    }
                    if *want == 0 {
                        if let Some(Waiter::Many { tx, got, request, .. }) = q.waiters.pop_front() {
                            out.push(tx.map_or(Ready::Dropped, |tx| Ready::Many(tx, got, request)));
                            done += 1;
                        }
                    }
                }
            }
        }
        self.len.fetch_sub(done, Ordering::Relaxed);
        // Any frame is progress, also one that only fills part of a long pipeline.
        self.progress.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// How many reads brought replies so far.
    pub(crate) fn progress(&self) -> u64 {
        self.progress.load(Ordering::Relaxed)
    }

    /// Answers every waiter whose deadline passed at `now` ([`Error::overdue`]: it was
    /// written, so it may have run).
    pub(crate) fn expire(&self, now: Millis) {
        let mut q = self.lock();
        if q.earliest.map_or(true, |e| e > now) {
            return;
        }
        let mut earliest: Option<Millis> = None;
        for w in q.waiters.iter_mut().filter(|w| w.waited_for()) {
            match w.deadline() {
                Some(d) if d.passed(now) => w.answer_err(&Error::overdue(d.timeout())),
                Some(d) if earliest.map_or(true, |e| d.at() < e) => earliest = Some(d.at()),
                _ => {}
            }
        }
        q.earliest = earliest;
    }

    /// Whether the oldest waiter's deadline passed at `now`: every other reply waits behind
    /// its reply.
    pub(crate) fn front_overdue(&self, now: Millis) -> bool {
        deadline::passed(self.lock().waiters.front().and_then(Waiter::deadline), now)
    }

    /// Fails every waiter and refuses later batches.
    pub(crate) fn fail_all(&self, err: &Error) {
        let waiters: Vec<Waiter> = {
            let mut q = self.lock();
            q.closed = true;
            q.waiters.drain(..).collect()
        };
        self.len.store(0, Ordering::Relaxed);
        for mut w in waiters {
            w.answer_err(err);
        }
    }
}

/// The waiter of a one-command request: a subscribe-family command waits for one
/// confirmation per channel it names.
#[inline]
fn waiter(
    tx: Option<oneshot::Sender<Answer>>,
    request: Encoded,
    info: &'static CommandInfo,
    deadline: Option<Deadline>,
) -> Waiter {
    if info.flags.contains(Flags::SUBSCRIBES) {
        return Waiter::Confirms { want: request.args(), tx, request, info, deadline };
    }
    Waiter::One { tx, request, info, deadline }
}

/// Whether a confirmation is of the kind `info`'s command asks for (`subscribe` for
/// SUBSCRIBE ...).
fn confirms_kind(v: &Value, info: &CommandInfo) -> bool {
    match v {
        Value::Push(items) | Value::Array(items) => {
            super::push::kind(items).is_some_and(|k| k.eq_ignore_ascii_case(info.name.as_bytes()))
        }
        _ => false,
    }
}
