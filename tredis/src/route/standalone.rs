//! [`Standalone`]: one server, or a hosts list or Sentinel group with one primary at a time;
//! reads may go to replicas. Moves to the new primary when told of a failover: by a READONLY
//! reply, by the Sentinels' `+switch-master`, or by asking the Sentinels after a timeout.

use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use crate::command::{Blocking, CommandInfo, Encoded};
use crate::config::{Config, Wanted};
use crate::connection::{Connection, Pending};
use crate::deadline::Deadline;
use crate::log;
use crate::pool::Pool;
use crate::pubsub::{Hub, Place};
use crate::retry::{Rerouted, Resend};
use crate::{Error, ErrorKind};

/// At most one check with the Sentinels per this interval, however many requests time out.
const SENTINEL_CHECK_INTERVAL: Duration = Duration::from_millis(250);

pub(crate) struct Standalone {
    /// The primary's connections; blocking commands and transactions run here too.
    pub(super) primary: Arc<Pool>,
    /// With `read_from_replicas`: the replicas' connections, for commands that only read.
    replicas: Option<Arc<Pool>>,
    /// With Sentinel: when a timeout last made the client ask the Sentinels where the primary
    /// is, and the `+switch-master` watcher, which stops when this is dropped.
    sentinel: Option<(Mutex<Option<Instant>>, Connection)>,
    /// The subscriptions, once there is a subscriber.
    hub: Arc<OnceLock<Arc<Hub>>>,
    cfg: Arc<Config>,
}

impl Standalone {
    /// Starts the connections (and the Sentinel watcher) of `cfg`.
    pub(crate) fn start(cfg: Arc<Config>) -> Standalone {
        let primary = Arc::new(Pool::new((*cfg).clone()));
        // Cached reads go to the primary alone (see `crate::cache`): the replicas track nothing,
        // so they ask for no tracking (nor, under RESP2, for connections to receive it).
        let replicas = cfg.read_from_replicas.then(|| {
            Arc::new(Pool::spread(Config { role: Wanted::Replica, tracking: None, ..(*cfg).clone() }))
        });
        let hub: Arc<OnceLock<Arc<Hub>>> = Arc::default();
        let sentinel = cfg.sentinel.as_ref().map(|name| {
            let (p, r, h) =
                (Arc::downgrade(&primary), replicas.as_ref().map(Arc::downgrade), Arc::downgrade(&hub));
            let switched = move || {
                relocate(&p, r.as_ref(), &h);
            };
            (Mutex::new(None), crate::connection::sentinel::watch(&cfg, name, switched))
        });
        Standalone { primary, replicas, sentinel, hub, cfg }
    }

    /// Adds its connections to `stats`.
    pub(crate) fn stats(&self, stats: &mut crate::Stats) {
        self.primary.stats(stats);
        if let Some(r) = &self.replicas {
            r.stats(stats);
        }
    }

    /// The subscriptions' hub, made with the first subscriber: on the primary's first shared
    /// connection with RESP3, on a connection of its own with RESP2.
    pub(crate) fn hub(&self) -> Arc<Hub> {
        self.hub.get_or_init(|| Hub::new(Place::One(self.primary.clone()), &self.cfg)).clone()
    }

    /// Waits for the primary's connections; replicas too, but one that is down (or syncing)
    /// is no reason to fail: reads go to the primary until it is up.
    pub(crate) async fn ready(&self) -> Result<(), Error> {
        self.primary.ready().await?;
        if let Some(r) = &self.replicas {
            let _ = r.ready().await;
        }
        Ok(())
    }

    pub(crate) async fn close(&self) {
        if let Some(hub) = self.hub.get() {
            hub.close().await;
        }
        self.primary.close().await;
        if let Some(r) = &self.replicas {
            r.close().await;
        }
    }
}

/// Moves every connection to the current primary, and those for reads to the current
/// replicas (one of them may be the new primary). False once the client is gone.
fn relocate(primary: &Weak<Pool>, replicas: Option<&Weak<Pool>>, hub: &Weak<OnceLock<Arc<Hub>>>) -> bool {
    let Some(primary) = primary.upgrade() else { return false };
    primary.relocate();
    if let Some(r) = replicas.and_then(Weak::upgrade) {
        r.relocate();
    }
    if let Some(hub) = hub.upgrade().as_ref().and_then(|h| h.get()) {
        hub.relocate();
    }
    true
}

impl Resend for Standalone {
    /// A command that only reads goes to a replica when replicas are wanted and one is up;
    /// everything else to the primary.
    #[inline]
    fn send(&self, request: Encoded, info: &'static CommandInfo, deadline: Option<Deadline>) -> Pending {
        if let Some(replicas) = &self.replicas {
            if info.reads_only() && request.blocking() == Blocking::No {
                let conn = replicas.conn();
                if conn.is_connected() {
                    return conn.submit(request, info, deadline);
                }
            }
        }
        self.primary.submit(request, info, deadline)
    }

    /// A read that a replica could not answer (it went down, or is loading or cut off from
    /// its primary) is answered by the primary: reading twice is harmless. Not when the
    /// primary is down too: then the error stands.
    fn reroute(
        &self,
        err: &Error,
        request: Encoded,
        info: &'static CommandInfo,
        deadline: Option<Deadline>,
    ) -> Rerouted {
        let replica_failed = matches!(err.kind(), ErrorKind::Connect | ErrorKind::Indeterminate)
            || matches!(err.code(), Some("MASTERDOWN" | "LOADING"));
        if self.replicas.is_some() && info.reads_only() && replica_failed && self.primary.is_up() {
            return Rerouted::Sent(self.primary.conn().submit(request, info, deadline));
        }
        Rerouted::No(request)
    }

    /// The Sentinels announce a failover (`+switch-master`) only once it is complete, and the
    /// announcement may be missed: a primary that stopped answering is checked at once.
    fn timed_out(&self) {
        let (Some((last, _)), Some(name)) = (&self.sentinel, &self.cfg.sentinel) else { return };
        {
            let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|at| at.elapsed() < SENTINEL_CHECK_INTERVAL) {
                return;
            }
            *last = Some(Instant::now());
        }
        let (cfg, name) = (self.cfg.clone(), name.clone());
        let (p, r, h) = (
            Arc::downgrade(&self.primary),
            self.replicas.as_ref().map(Arc::downgrade),
            Arc::downgrade(&self.hub),
        );
        tokio::spawn(async move {
            let Ok(primary) = crate::connection::sentinel::primary(&cfg, &name).await else { return };
            let Some(pool) = p.upgrade() else { return };
            if pool.addrs().any(|a| a != primary) {
                log::event!(
                    debug,
                    "moving to the new primary",
                    addr = primary,
                    cause = "named by the Sentinels"
                );
                relocate(&p, r.as_ref(), &h);
            }
        });
    }

    fn relocate(&self) -> bool {
        if self.cfg.role != Wanted::Primary {
            return false;
        }
        let p = Arc::downgrade(&self.primary);
        relocate(&p, self.replicas.as_ref().map(Arc::downgrade).as_ref(), &Arc::downgrade(&self.hub))
    }
}
