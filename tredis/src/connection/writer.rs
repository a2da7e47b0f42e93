//! Serves one established connection: drains callers' requests into as few writes as possible,
//! and watches the connection's health on a periodic tick.
//!
//! When woken with replies still outstanding, the writer yields once before draining the queue,
//! so that every task that is ready to submit does so and one write carries them all. That
//! single yield is what turns one syscall per command into one per batch; with nothing
//! outstanding it does not yield, so a lone request is not delayed.
//!
//! On each tick ([`TICK`]) it answers the requests whose deadline passed, and decides whether
//! the connection still works: one whose oldest request is overdue while nothing at all was
//! read for [`STALL`] is dead (a stopped server, a black hole, a half-open link), and one idle
//! for the health-check interval is sent a PING, whose deadline makes the same rule catch a
//! silent link. A write that cannot finish (the server stopped reading) is covered by the same
//! rule, and by the client closing.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio::time::{Interval, MissedTickBehavior};

use super::inflight::{Inflight, ReplyTo, Request};
use super::transport::WriteHalf;
use super::Shared;
use crate::command::{CommandInfo, Encoded, Flags};
use crate::deadline::{self, Deadline, Millis, TICK};
use crate::Error;

/// Stop adding to a write beyond this many bytes; the rest goes in the next one.
const MAX_BATCH_BYTES: usize = 1 << 20;

/// How long nothing may be read while the oldest request is overdue before the connection is
/// deemed dead. Longer than a tick, so that one slow reply to a request with a short timeout
/// does not cost every other caller on the connection its reply.
const STALL: Duration = Duration::from_secs(1);

static PING: CommandInfo = CommandInfo { name: "PING", flags: Flags::NONE, key_specs: &[], tips: &[] };

/// Why serving a connection stopped.
pub(crate) enum Stopped {
    /// It failed, for this reason.
    Lost(Error),
    /// The client is closing.
    Closing,
    /// It leads to a replica now; the next connection must find the primary.
    Relocate,
}

/// A tick that fires every [`TICK`], skipping the ticks it missed.
pub(crate) fn ticker() -> Interval {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tick
}

/// What the health check counts between ticks.
struct Health {
    /// Replies seen at the last tick.
    progress: u64,
    /// Ticks without a reply while requests were outstanding.
    stalled: u32,
    /// Ticks with nothing outstanding and nothing written.
    idle: u32,
    /// A batch was written since the last tick.
    wrote: bool,
    /// Idle ticks after which a PING is sent (none: never).
    ping_after: Option<u32>,
    /// The PING's own timeout.
    ping_timeout: Duration,
}

/// What a tick found.
enum Checked {
    Fine,
    /// Send a PING to prove the idle connection still works.
    Ping(Request),
    /// The connection is dead.
    Dead(Error),
}

impl Health {
    fn new(interval: Option<Duration>) -> Health {
        let ticks = |d: Duration| (d.as_millis() / TICK.as_millis()).max(1) as u32;
        Health {
            progress: 0,
            stalled: 0,
            idle: 0,
            wrote: false,
            ping_after: interval.map(ticks),
            ping_timeout: interval.unwrap_or(STALL).max(STALL),
        }
    }

    fn check(&mut self, inflight: &Inflight, shared: &Shared) -> Checked {
        let now = crate::deadline::now();
        inflight.expire(now);
        let progress = inflight.progress();
        let outstanding = inflight.outstanding() > 0;
        self.stalled = if outstanding && progress == self.progress { self.stalled + 1 } else { 0 };
        self.idle = if outstanding || self.wrote { 0 } else { self.idle + 1 };
        self.progress = progress;
        self.wrote = false;
        if TICK * self.stalled >= STALL && inflight.front_overdue(now) {
            let stalled = TICK * self.stalled;
            let e = Error::indeterminate(format!(
                "nothing came back for {stalled:?} while a reply was overdue: the server or the link is stuck"
            ));
            crate::log::event!(debug, "health check failed", cause = e);
            return Checked::Dead(e);
        }
        if self.ping_after.is_some_and(|n| self.idle >= n) {
            self.idle = 0;
            // Counted like any request: the writer discounts it once written.
            shared.queued.fetch_add(1, Ordering::Relaxed);
            return Checked::Ping(Request {
                bytes: Encoded::concat(b"*1\r\n$4\r\nPING\r\n".to_vec()),
                reply: ReplyTo::Internal,
                info: &PING,
                deadline: Deadline::within(Some(self.ping_timeout)),
            });
        }
        Checked::Fine
    }
}

/// Serves until the connection fails (`ended` resolves: the reader stopped, say), the client
/// closes, or a move to the primary is asked for; returns why it stopped. Requests that were
/// never written are left in `carry` for the next connection.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn serve(
    mut wr: WriteHalf,
    inflight: Arc<Inflight>,
    ended: impl Future<Output = Error>,
    rx: &mut mpsc::UnboundedReceiver<Request>,
    carry: &mut VecDeque<Request>,
    shared: &Shared,
    tick: &mut Interval,
    health_interval: Option<Duration>,
) -> Stopped {
    let mut wbuf: Vec<u8> = Vec::with_capacity(16 << 10);
    let mut batch: Vec<Request> = Vec::new();
    let mut health = Health::new(health_interval);
    let mut ended = std::pin::pin!(ended);
    loop {
        let first = match carry.pop_front() {
            Some(r) => r,
            None => tokio::select! {
                biased;
                e = &mut ended => return Stopped::Lost(e),
                _ = shared.closing() => return Stopped::Closing,
                // Before the queue: under a steady stream of requests the queue is never
                // empty, and deadlines must still be kept.
                _ = tick.tick() => match health.check(&inflight, shared) {
                    Checked::Fine => continue,
                    Checked::Ping(r) => r,
                    Checked::Dead(e) => return Stopped::Lost(e),
                },
                r = rx.recv() => match r {
                    Some(r) => r,
                    None => return Stopped::Closing,
                },
            },
        };
        if inflight.outstanding() > 0 {
            tokio::task::yield_now().await;
        }
        batch.push(first);
        let mut bytes = batch[0].bytes.as_bytes().len();
        while bytes < MAX_BATCH_BYTES {
            let next = match carry.pop_front() {
                Some(r) => r,
                None => match rx.try_recv() {
                    Ok(r) => r,
                    Err(_) => break,
                },
            };
            bytes += next.bytes.as_bytes().len();
            batch.push(next);
        }
        // The flag is set before a READONLY retry is queued, and checked after the batch was
        // taken, so a retry is never written to the server that refused it.
        if shared.relocating.load(Ordering::Acquire) {
            for r in batch.drain(..).rev() {
                carry.push_front(r);
            }
            return Stopped::Relocate;
        }
        let taken = batch.len();
        let mut now = None;
        batch.retain_mut(|r| sendable(r, &mut now));
        for r in &batch {
            wbuf.extend_from_slice(r.bytes.as_bytes());
        }
        if !inflight.push(&mut batch) {
            // The session already failed: nothing of this batch was written, so it is
            // retried on the next connection, in order.
            shared.dequeued(taken - batch.len());
            for r in batch.drain(..).rev() {
                carry.push_front(r);
            }
            return Stopped::Lost(ended.await);
        }
        shared.dequeued(taken);
        health.wrote = true;
        // The write is bounded too: a server that stops reading fills the socket's buffer,
        // and the health check (the batch's deadlines) or the client closing ends the wait.
        let mut write = std::pin::pin!(wr.write_all(&wbuf));
        let written = loop {
            tokio::select! {
                biased;
                r = &mut write => break r,
                _ = shared.closing() => return Stopped::Closing,
                _ = tick.tick() => match health.check(&inflight, shared) {
                    Checked::Fine => {}
                    Checked::Ping(r) => {
                        shared.dequeued(1);
                        drop(r);
                    }
                    Checked::Dead(e) => return Stopped::Lost(e),
                },
            }
        };
        if let Err(e) = written {
            let cause = Error::indeterminate(format!("write failed: {e}")).with_source(e);
            return Stopped::Lost(cause);
        }
        wbuf.clear();
    }
}

/// Whether a request may still be written. Not when its caller gave up (dropped its future),
/// nor when its deadline passed while it waited: it is then answered with [`Error::timeout`],
/// as it never left the client. `now` is read once, when first needed.
pub(crate) fn sendable(r: &mut Request, now: &mut Option<Millis>) -> bool {
    if r.reply.is_closed() {
        return false;
    }
    let Some(d) = r.deadline else { return true };
    if !d.passed(*now.get_or_insert_with(deadline::now)) {
        return true;
    }
    let reply = std::mem::replace(&mut r.reply, ReplyTo::Internal);
    let bytes = std::mem::replace(&mut r.bytes, Encoded::concat(Vec::new()));
    reply.fail(Error::timeout(d.timeout()).with_command(r.info.name), bytes);
    false
}
