//! The FIFO of requests written to the socket and still waiting for their reply.
//!
//! The writer appends a whole batch under one lock; the reader takes the waiters of all the
//! replies of one read under one lock. So the lock is taken per batch, never per command. When
//! the connection dies, every waiter is failed once, and nothing can be appended afterwards.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use tokio::sync::oneshot;

use crate::command::{CommandInfo, Encoded};
use crate::resp::Value;
use crate::Error;

/// Where a reply goes.
pub(crate) type ReplyTx = oneshot::Sender<Result<Value, Error>>;

/// A request on its way to the socket.
pub(crate) struct Request {
    pub bytes: Encoded,
    pub tx: ReplyTx,
    pub info: &'static CommandInfo,
}

/// A written request waiting for its reply.
pub(crate) struct Waiter {
    pub tx: ReplyTx,
    pub info: &'static CommandInfo,
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
        // on it is a single push or pop.
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
        q.waiters.extend(batch.drain(..).map(|r| Waiter { tx: r.tx, info: r.info }));
        self.len.fetch_add(n, Ordering::Relaxed);
        true
    }

    /// Takes the waiters of `n` replies, oldest first; `false` when fewer are waiting, which
    /// means the server sent a reply nobody asked for.
    pub(crate) fn take(&self, n: usize, out: &mut Vec<Waiter>) -> bool {
        let mut q = self.lock();
        if q.waiters.len() < n {
            return false;
        }
        out.extend(q.waiters.drain(..n));
        self.len.fetch_sub(n, Ordering::Relaxed);
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
            let _ = w.tx.send(Err(err.duplicate().with_command(w.info.name)));
        }
    }
}
