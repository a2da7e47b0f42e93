//! The connection task: connects (again, after a loss, with backoff), hands the session to
//! the writer and the reader (and under RESP2 with a cache, to the connection that receives
//! its invalidations), and answers what a lost session leaves behind.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::backoff::Backoff;
use super::carry::{expire_queued, fail_queued};
use super::inflight::{Inflight, Request};
use super::push::resubscribe;
use super::renewal::Renewal;
use super::{connect, reader, reauth, writer, Shared, State};
use crate::config::{CloseEvent, Config};
use crate::log;
use crate::Error;

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
pub(super) async fn run(
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
        *shared.addr.lock().unwrap_or_else(|e| e.into_inner()) = Some(est.addr.interned());
        cfg.metrics.connected(&est.addr, lost_once);
        let inflight = Arc::new(Inflight::default());
        *shared.session.lock().unwrap_or_else(|e| e.into_inner()) = Some(inflight.clone());
        let (done_tx, done_rx) = oneshot::channel();
        let reader = tokio::spawn(reader::run(
            est.rd,
            est.session.leftover,
            inflight.clone(),
            cfg.limits,
            shared.clone(),
            done_tx,
        ));
        // Under RESP2 with a cache: the connection its invalidations come on, whose loss ends
        // the session like the reader's (see `redirect`); closed with the session.
        let (companion, companion_lost) = match est.companion {
            Some(c) => {
                // C authenticates again when T does, with credentials of its own asking.
                let renewal = cfg
                    .credentials
                    .clone()
                    .zip(est.refresh)
                    .map(|(p, after)| Renewal::new(p, after, cfg.connect_timeout));
                let (listening, lost) = c.listen(shared.id, inflight.clone(), renewal);
                (Some(listening), Some(lost))
            }
            None => (None, None),
        };
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
            ended(done_rx, companion_lost),
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
                drop(companion);
                let err = Error::unanswered("the client was closed before the reply came", Error::closed());
                inflight.fail_all(&err);
                break;
            }
            writer::Stopped::Relocate => {
                // Written requests still get their replies (READONLY ones retry elsewhere).
                drained(&inflight, RELOCATE_DRAIN).await;
                reader.abort();
                drop(companion);
                let err = Error::indeterminate(format!(
                    "no reply from {} before the move to the new primary",
                    est.addr
                ));
                inflight.fail_all(&err);
                session_lost(&cfg, &shared, &est.addr, &err);
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
        drop(companion);
        inflight.fail_all(&err);
        if shared.closed.load(Ordering::Acquire) {
            break;
        }
        session_lost(&cfg, &shared, &est.addr, &err);
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

/// Resolves with why the session ended: its reader stopped, or, under RESP2 with a cache, the
/// connection its invalidations come on was lost, which ends it just the same (see
/// `redirect`).
async fn ended(reader: oneshot::Receiver<Error>, companion: Option<oneshot::Receiver<Error>>) -> Error {
    let reader = async { reader.await.unwrap_or_else(|_| Error::indeterminate("the reader stopped")) };
    let Some(companion) = companion else { return reader.await };
    tokio::select! {
        biased;
        e = companion => e.unwrap_or_else(|_| Error::indeterminate("the invalidation connection stopped")),
        e = reader => e,
    }
}

/// Why a connection made [once](Connection::spawn_once) is not remade.
const ONCE: &str =
    "a dedicated connection is not remade, as what it held on the server (a WATCH, a block) went with it";

/// Tells whoever depends on an established connection that it ended with `err` (not by the
/// client closing): the metrics, the subscriptions (messages published until they are made
/// again are lost) and the client-side cache (invalidations sent until the next connection
/// tracks again are lost, so what was cached from this one goes now).
fn session_lost(cfg: &Config, shared: &Shared, addr: &crate::config::Addr, err: &Error) {
    cfg.metrics.lost(addr, err);
    if let Some(sink) = shared.sink.get() {
        sink.lost(err);
    }
    if let Some(cache) = &shared.tracking {
        cache.lost(shared.id);
    }
}
