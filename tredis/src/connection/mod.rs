//! One multiplexed connection: many callers share one socket through a queue, without a lock
//! per command.
//!
//! A background task owns the socket. It connects (trying each configured host), replays the
//! handshake, then runs the writer (this task) and a reader task until the connection fails; then
//! it reconnects with backoff. Callers only push onto an unbounded channel whose length is
//! bounded by a counter of the requests not yet written. Every request gets exactly one
//! answer, and only this task knows which applies, so it alone gives the failures:
//!
//! - not yet written when the connection fails: kept and sent on the next connection;
//! - written, no reply yet: [`ErrorKind::Indeterminate`](crate::ErrorKind::Indeterminate),
//!   never replayed, with the cause as its source;
//! - no connection could be made: [`ErrorKind::Connect`](crate::ErrorKind::Connect);
//! - its deadline passed: [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) if it was not
//!   written yet, else `Indeterminate` (see [`crate::deadline`]);
//! - the client closed: [`ErrorKind::Closed`](crate::ErrorKind::Closed) if it was not written
//!   yet, else `Indeterminate`.
//!
//! With several hosts, only the primary is accepted (ROLE). When a caller learns that the
//! connection now leads to a replica (a READONLY reply), [`Connection::relocate`] stops writing,
//! lets the requests already written be answered, and connects again, to the new primary;
//! requests not yet written wait for it.

mod backoff;
mod carry;
mod connect;
mod handshake;
mod inflight;
mod pending;
mod push;
mod reader;
mod reauth;
mod redirect;
mod renewal;
pub(crate) mod sentinel;
mod task;
mod transport;
mod writer;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot, watch, Notify};

use crate::command::{CommandInfo, Encoded};
use crate::config::{Addr, Config};
use crate::deadline::Deadline;
use crate::Error;
pub use inflight::Answer;
pub(crate) use inflight::BatchAnswer;
use inflight::{Inflight, ReplyTo, Request};
pub(crate) use pending::refused_probe;
pub use pending::Pending;
pub(crate) use push::{kind as push_kind, unrouted, Invalidations, PushSink};

/// The id of the next connection made.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// What a connection is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Shared by many callers; remade when lost.
    Shared,
    /// Not remade once lost.
    Once,
    /// A RESP2 subscriber; remade when lost.
    Subscriber,
}

/// Connection state, as `ready()` sees it.
#[derive(Debug, Clone)]
enum State {
    /// auto_connect is off and nobody asked to connect yet.
    Idle,
    Connecting,
    Ready,
    /// The last attempt failed with this error.
    Failed(Arc<Error>),
    Closed,
}

/// What callers and the connection task share.
pub(crate) struct Shared {
    /// Requests submitted and neither written nor answered yet.
    queued: AtomicUsize,
    connected: AtomicBool,
    started: AtomicBool,
    closed: AtomicBool,
    close: Notify,
    start: Notify,
    /// Ends a reconnect backoff early: a failover was announced, so waiting longer only
    /// delays the callers.
    wake: Notify,
    state: watch::Sender<State>,
    /// Set by `relocate` until the next connection is made. The writer checks it before each
    /// write, so the move happens with the next request (a READONLY retry comes at once),
    /// without a wake-up of its own on the hot path.
    relocating: AtomicBool,
    /// Not remade once lost (see [`Connection::spawn_once`]).
    once: bool,
    /// A RESP2 subscriber connection (see [`Connection::spawn_subscriber`]).
    subscriber: bool,
    /// Where its pushes go, once something listens.
    sink: OnceLock<Arc<dyn PushSink>>,
    /// The server of the current (or last) connection; written once per connect.
    addr: std::sync::Mutex<Option<&'static Addr>>,
    /// The requests of the current connection awaiting replies, for [`Connection::stats`];
    /// written once per connect.
    session: std::sync::Mutex<Option<Arc<Inflight>>>,
    /// Unique in the process: what a client-side cache knows this connection by.
    id: u64,
    /// The client-side cache whose keys this connection tracks: its invalidations go there
    /// (under RESP2 by way of a companion connection, see [`redirect`]).
    tracking: Option<Arc<dyn Invalidations>>,
}

impl Shared {
    /// Resolves once the client is closed.
    pub(crate) async fn closing(&self) {
        loop {
            let n = self.close.notified();
            if self.closed.load(Ordering::Acquire) {
                return;
            }
            n.await;
        }
    }

    /// `n` requests left the queue.
    pub(crate) fn dequeued(&self, n: usize) {
        if n > 0 {
            self.queued.fetch_sub(n, Ordering::Relaxed);
        }
    }
}

/// A handle to one multiplexed connection.
pub(crate) struct Connection {
    tx: mpsc::UnboundedSender<Request>,
    shared: Arc<Shared>,
    cfg: Arc<Config>,
    /// The one server it ever connects to (a single host, a cluster node), so that a span
    /// finds it without the lock of `Shared::addr`.
    fixed: Option<&'static Addr>,
}

impl Connection {
    /// Starts the connection task, which connects at once when `auto_connect` is on,
    /// trying the candidate servers from the `first`th on, so
    /// that the connections of a pool of replicas spread over them.
    pub(crate) fn spawn_from(cfg: Arc<Config>, first: usize) -> Connection {
        Connection::start(cfg, first, Kind::Shared)
    }

    /// A connection that is not remade once lost: what it held on the server (a WATCH, a
    /// block) went with it, so its later requests fail as never sent, and its holder knows.
    pub(crate) fn spawn_once(cfg: Arc<Config>) -> Connection {
        Connection::start(cfg, 0, Kind::Once)
    }

    /// A connection for subscriptions alone, on RESP2, where a subscribed connection takes
    /// nothing but pub/sub commands and PING: its pub/sub arrays are pushes, not replies.
    pub(crate) fn spawn_subscriber(cfg: Arc<Config>) -> Connection {
        Connection::start(cfg, 0, Kind::Subscriber)
    }

    fn start(cfg: Arc<Config>, first: usize, kind: Kind) -> Connection {
        // Cached reads go to shared connections only: a dedicated or subscriber connection
        // tracks nothing, so it asks for no tracking (nor, under RESP2, for a connection to
        // receive invalidations).
        let cfg = match kind {
            Kind::Once | Kind::Subscriber if cfg.tracking.is_some() => {
                Arc::new(Config { tracking: None, ..(*cfg).clone() })
            }
            _ => cfg,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let (state, _) = watch::channel(if cfg.auto_connect { State::Connecting } else { State::Idle });
        let shared = Arc::new(Shared {
            queued: AtomicUsize::new(0),
            connected: AtomicBool::new(false),
            started: AtomicBool::new(cfg.auto_connect),
            closed: AtomicBool::new(false),
            close: Notify::new(),
            start: Notify::new(),
            wake: Notify::new(),
            state,
            relocating: AtomicBool::new(false),
            once: kind == Kind::Once,
            subscriber: kind == Kind::Subscriber,
            sink: OnceLock::new(),
            addr: std::sync::Mutex::new(None),
            session: std::sync::Mutex::new(None),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            tracking: cfg.tracking.clone(),
        });
        tokio::spawn(task::run(cfg.clone(), shared.clone(), rx, first, tx.downgrade()));
        let fixed = match &cfg.hosts[..] {
            [one] if cfg.sentinel.is_none() => Some(one.interned()),
            _ => None,
        };
        Connection { tx, shared, cfg, fixed }
    }

    /// Queues a command; the returned future resolves to its answer, by `deadline` at the
    /// latest.
    #[inline]
    pub(crate) fn submit(
        &self,
        bytes: Encoded,
        info: &'static CommandInfo,
        deadline: Option<Deadline>,
    ) -> Pending {
        let (tx, rx) = oneshot::channel();
        crate::spans::serving(|| self.server());
        self.enqueue(Request { bytes, reply: ReplyTo::One(tx), info, deadline });
        Pending::waiting(rx)
    }

    /// Queues a command whose answer nobody waits for (an unsubscription as a subscriber
    /// goes): it is written all the same, and its reply matched and dropped.
    pub(crate) fn submit_detached(&self, bytes: Encoded, info: &'static CommandInfo) {
        self.enqueue(Request { bytes, reply: ReplyTo::Internal, info, deadline: None });
    }

    /// Queues `n` commands encoded back to back, as one unit: nothing interleaves with them.
    pub(crate) fn submit_batch(
        &self,
        bytes: Encoded,
        n: usize,
        info: &'static CommandInfo,
        deadline: Option<Deadline>,
    ) -> oneshot::Receiver<BatchAnswer> {
        let (tx, rx) = oneshot::channel();
        crate::spans::serving(|| self.server());
        self.enqueue(Request { bytes, reply: ReplyTo::Many(n, tx), info, deadline });
        rx
    }

    /// The server a request queued now goes to, for its span: the one connected to. None
    /// between connections, when the next one may reach another server (after a failover),
    /// nor before the first.
    pub(crate) fn server(&self) -> Option<&'static Addr> {
        if !self.is_connected() {
            return None;
        }
        // Shared, not copied: a span asks for it on every request it covers.
        if self.fixed.is_some() {
            return self.fixed;
        }
        *self.shared.addr.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a request; one that cannot be queued is answered at once with why, and with
    /// its bytes, which were never written (so a cluster can send them elsewhere).
    #[inline]
    fn enqueue(&self, request: Request) {
        let refuse = |r: Request, e: Error| r.reply.fail(e.with_command(r.info.name), r.bytes);
        if !self.shared.started.load(Ordering::Relaxed) {
            let e = Error::connect("not connected: auto_connect is off, so call `Client::ready()` first");
            return refuse(request, e);
        }
        // Bounded whether connected or not: a server that stops reading must not make the
        // client buffer without end.
        let queued = self.shared.queued.fetch_add(1, Ordering::Relaxed);
        if queued >= self.cfg.max_queued {
            self.shared.dequeued(1);
            return refuse(request, Error::queue_full(self.cfg.max_queued));
        }
        if let Err(mpsc::error::SendError(r)) = self.tx.send(request) {
            self.shared.dequeued(1);
            refuse(r, Error::closed());
        }
    }

    /// Sends its pushes to `sink` from now on, and has it make its subscriptions again after
    /// each reconnect. Once only: false (and `sink` unused) when one is set already.
    pub(crate) fn set_sink(&self, sink: Arc<dyn PushSink>) -> bool {
        self.shared.sink.set(sink).is_ok()
    }

    /// Moves to the current primary: the connection is remade once the requests already
    /// written are answered. Idempotent while a move is under way, so a burst of READONLY
    /// replies makes one move.
    pub(crate) fn relocate(&self) {
        self.shared.relocating.store(true, Ordering::Release);
        self.wake();
    }

    /// Ends a reconnect backoff (or restarts an attempt) now: a failover was announced, the
    /// server may be back. Nothing to do while connected: a wake-up kept for later would cut
    /// the next backoff short for no reason.
    pub(crate) fn wake(&self) {
        if !self.is_connected() {
            self.shared.wake.notify_one();
        }
    }

    /// What a client-side cache knows it by: unique in the process, kept across reconnects.
    pub(crate) fn id(&self) -> u64 {
        self.shared.id
    }

    /// The server it is (or was last) connected to.
    pub(crate) fn addr(&self) -> Option<Addr> {
        self.shared.addr.lock().unwrap_or_else(|e| e.into_inner()).cloned()
    }

    /// Adds this connection to `stats`.
    pub(crate) fn stats(&self, stats: &mut crate::Stats) {
        let connected = self.is_connected();
        stats.connections += usize::from(connected);
        stats.queued += self.shared.queued.load(Ordering::Relaxed);
        if connected {
            let session = self.shared.session.lock().unwrap_or_else(|e| e.into_inner());
            stats.in_flight += session.as_ref().map_or(0, |s| s.outstanding());
        }
    }

    /// True while a connection is established.
    #[inline]
    pub(crate) fn is_connected(&self) -> bool {
        self.shared.connected.load(Ordering::Relaxed)
    }

    /// True once the connection was closed, by the client or because every handle dropped.
    pub(crate) fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// Starts connecting (when auto_connect is off) and waits until connected, or until the
    /// first attempt fails.
    pub(crate) async fn ready(&self) -> Result<(), Error> {
        let mut rx = self.shared.state.subscribe();
        if !self.shared.started.swap(true, Ordering::AcqRel) {
            self.shared.state.send_replace(State::Connecting);
            self.shared.start.notify_one();
        }
        loop {
            match &*rx.borrow_and_update() {
                State::Ready => return Ok(()),
                State::Failed(e) => return Err(e.duplicate()),
                State::Closed => return Err(Error::closed()),
                State::Idle | State::Connecting => {}
            }
            if rx.changed().await.is_err() {
                return Err(Error::closed());
            }
        }
    }

    /// Closes the connection: queued requests fail with `Closed`, in-flight ones with
    /// `Indeterminate`. Resolves once the connection task has stopped, which it does at once,
    /// whatever the socket does (even in the middle of a write the server does not read).
    pub(crate) async fn close(&self) {
        let mut rx = self.shared.state.subscribe();
        self.shared.closed.store(true, Ordering::Release);
        self.shared.close.notify_waiters();
        self.shared.start.notify_one();
        while !matches!(*rx.borrow_and_update(), State::Closed) {
            if rx.changed().await.is_err() {
                return;
            }
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // The last handle is gone: stop the task even if it waits to start or to reconnect.
        self.shared.closed.store(true, Ordering::Release);
        self.shared.close.notify_waiters();
        self.shared.start.notify_one();
    }
}
