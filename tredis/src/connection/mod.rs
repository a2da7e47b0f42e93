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
pub(crate) mod sentinel;
mod transport;
mod writer;

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch, Notify};

use crate::command::{CommandInfo, Encoded};
use crate::config::{Addr, CloseEvent, Config};
use crate::deadline::Deadline;
use crate::log;
use crate::Error;
use backoff::Backoff;
use carry::{expire_queued, fail_queued};
pub use inflight::Answer;
pub(crate) use inflight::BatchAnswer;
use inflight::{Inflight, ReplyTo, Request};
pub(crate) use pending::refused_probe;
pub use pending::Pending;
use push::resubscribe;
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
    addr: std::sync::Mutex<Option<Arc<Addr>>>,
    /// Unique in the process: what a client-side cache knows this connection by.
    id: u64,
    /// The client-side cache whose keys this connection tracks: its invalidations go there.
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
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            tracking: cfg.tracking.clone(),
        });
        tokio::spawn(run(cfg.clone(), shared.clone(), rx, first, tx.downgrade()));
        Connection { tx, shared, cfg }
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

    /// The server a request queued now is expected to reach, for its span: the last one
    /// connected to, else the first host (unless the hosts are Sentinels).
    fn server(&self) -> Option<Arc<Addr>> {
        // Shared, not copied: a span asks for it on every request it covers.
        let last = self.shared.addr.lock().unwrap_or_else(|e| e.into_inner()).clone();
        last.or_else(|| self.cfg.hosts.first().filter(|_| self.cfg.sentinel.is_none()).cloned().map(Arc::new))
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
        self.shared.addr.lock().unwrap_or_else(|e| e.into_inner()).as_deref().cloned()
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

/// How long a move to the primary waits for the replies of requests already written.
const RELOCATE_DRAIN: Duration = Duration::from_secs(2);

/// How long a move waits when no reply comes at all: the old primary may hang (that is often
/// why there was a failover), and everyone waiting to write waits with it.
const RELOCATE_STALL: Duration = Duration::from_millis(200);

/// Waits until every written request is answered, `limit` passes, or no reply comes for
/// [`RELOCATE_STALL`].
async fn drained(inflight: &Inflight, limit: Duration) {
    let start = tokio::time::Instant::now();
    let (mut last, mut progress) = (inflight.outstanding(), start);
    while inflight.outstanding() > 0 && start.elapsed() < limit && progress.elapsed() < RELOCATE_STALL {
        tokio::time::sleep(Duration::from_millis(2)).await;
        let now = inflight.outstanding();
        if now != last {
            (last, progress) = (now, tokio::time::Instant::now());
        }
    }
}

/// The connection task.
async fn run(
    cfg: Arc<Config>,
    shared: Arc<Shared>,
    mut rx: mpsc::UnboundedReceiver<Request>,
    first: usize,
    tx: mpsc::WeakUnboundedSender<Request>,
) {
    let mut carry: VecDeque<Request> = VecDeque::new();
    let mut backoff = Backoff::new(cfg.backoff_min, cfg.backoff_max);
    let mut host = first;
    let mut tick = writer::ticker();
    let mut end = Error::closed();
    // Subscriptions are made again on every connection after the first.
    let mut lost_once = false;
    while !shared.started.load(Ordering::Acquire) {
        shared.start.notified().await;
    }
    // The task also ends when every handle was dropped (`rx.is_closed()`).
    'connect: while !shared.closed.load(Ordering::Acquire) && !rx.is_closed() {
        // Requests that wait meanwhile are answered by their deadlines. A failover
        // announced meanwhile starts the attempt anew: the server it waits on (a stopped
        // one, say) is no longer the one to use.
        let mut connecting = std::pin::pin!(connect::connect(&cfg, &mut host));
        let attempt = loop {
            tokio::select! {
                biased;
                _ = shared.closing() => break 'connect,
                r = &mut connecting => break r,
                _ = shared.wake.notified() => continue 'connect,
                _ = tick.tick() => expire_queued(&mut rx, &mut carry, &shared),
            }
        };
        let est = match attempt {
            Ok(est) => est,
            Err(e) => {
                shared.state.send_replace(State::Failed(Arc::new(e.duplicate())));
                fail_queued(&mut rx, &mut carry, &shared, &e);
                let mut delay = std::pin::pin!(tokio::time::sleep(backoff.next_delay()));
                loop {
                    tokio::select! {
                        biased;
                        _ = shared.closing() => break 'connect,
                        _ = &mut delay => continue 'connect,
                        _ = shared.wake.notified() => continue 'connect,
                        _ = tick.tick() => expire_queued(&mut rx, &mut carry, &shared),
                    }
                }
            }
        };
        backoff.reset();
        // A move asked for while connecting is done: this connection passed the ROLE check.
        shared.relocating.store(false, Ordering::Release);
        log::event!(
            debug,
            "connected",
            addr = est.addr,
            protocol = format_args!("{:?}", est.session.protocol)
        );
        *shared.addr.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(est.addr.clone()));
        let inflight = Arc::new(Inflight::default());
        let (done_tx, done_rx) = oneshot::channel();
        let reader = tokio::spawn(reader::run(
            est.rd,
            est.session.leftover,
            inflight.clone(),
            cfg.limits,
            shared.clone(),
            done_tx,
        ));
        if lost_once {
            resubscribe(&shared, &mut carry);
        }
        shared.connected.store(true, Ordering::Release);
        shared.state.send_replace(State::Ready);
        // A subscribed RESP2 connection takes no AUTH; it stays authenticated as it was.
        let reauth = est
            .refresh
            .filter(|_| !shared.subscriber)
            .map(|after| reauth::start(cfg.clone(), shared.clone(), tx.clone(), after));
        let stopped = writer::serve(
            est.wr,
            inflight.clone(),
            done_rx,
            &mut rx,
            &mut carry,
            &shared,
            &mut tick,
            cfg.health_check,
        )
        .await;
        shared.connected.store(false, Ordering::Release);
        if let Some(task) = reauth {
            task.abort();
        }
        lost_once = true;
        let err = match stopped {
            writer::Stopped::Lost(err) => err,
            writer::Stopped::Closing => {
                reader.abort();
                let err = Error::unanswered("the client was closed before the reply came", Error::closed());
                inflight.fail_all(&err);
                break;
            }
            writer::Stopped::Relocate => {
                // Written requests still get their replies (READONLY ones retry elsewhere).
                drained(&inflight, RELOCATE_DRAIN).await;
                reader.abort();
                let err = Error::indeterminate(format!(
                    "no reply from {} before the move to the new primary",
                    est.addr
                ));
                inflight.fail_all(&err);
                if let Some(sink) = shared.sink.get() {
                    sink.lost(&err);
                }
                if let Some(cache) = &shared.tracking {
                    cache.lost(shared.id);
                }
                if shared.once {
                    end = Error::connect(format!("{} is no longer the primary; {ONCE}", est.addr));
                    break;
                }
                log::event!(
                    debug,
                    "moving to the new primary",
                    addr = est.addr,
                    cause = "no longer the primary"
                );
                shared.state.send_replace(State::Connecting);
                continue;
            }
        };
        reader.abort();
        inflight.fail_all(&err);
        if shared.closed.load(Ordering::Acquire) {
            break;
        }
        if let Some(sink) = shared.sink.get() {
            sink.lost(&err);
        }
        // Before the next connection: invalidations sent meanwhile are lost, so what was
        // cached from this one is dropped (see `crate::cache`).
        if let Some(cache) = &shared.tracking {
            cache.lost(shared.id);
        }
        if shared.once {
            end = Error::connect(format!("the connection to {} was lost; {ONCE}", est.addr)).with_source(err);
            break;
        }
        log::event!(warn, "connection lost", addr = est.addr, cause = err);
        shared.state.send_replace(State::Connecting);
        if let Some(cb) = &cfg.on_close {
            let event = CloseEvent { addr: est.addr.clone(), error: err };
            // A panicking callback must not take the connection task (and every caller) down.
            if std::panic::catch_unwind(AssertUnwindSafe(|| cb(&event))).is_err() {
                log::warning!("the on_close callback panicked");
            }
        }
    }
    shared.closed.store(true, Ordering::Release);
    // A closed connection hears of no more writes: nothing cached from it may be served.
    if let Some(cache) = &shared.tracking {
        cache.lost(shared.id);
    }
    rx.close();
    fail_queued(&mut rx, &mut carry, &shared, &end);
    shared.state.send_replace(State::Closed);
}

/// Why a connection made [once](Connection::spawn_once) is not remade.
const ONCE: &str =
    "a dedicated connection is not remade, as what it held on the server (a WATCH, a block) went with it";
