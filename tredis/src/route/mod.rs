//! [`Router`]: where requests go. The only code that branches on the topology: one server (a
//! hosts list or a Sentinel group, with replicas for reads) or a cluster. The public handles
//! hand it encoded requests with their deadline; it hands them to a [`Pool`].

mod batch;
mod raw;
mod standalone;

use std::sync::{Arc, OnceLock};

use crate::cluster::Cluster;
use crate::command::{Blocking, CommandInfo, Encoded};
use crate::config::Config;
use crate::connection::Pending;
use crate::deadline::Deadline;
use crate::pool::{Lease, Pool};
use crate::pubsub::{Hub, Place};
use crate::retry::{Rerouted, Resend};
use crate::Error;
pub(crate) use raw::Facts;
use standalone::Standalone;

/// The topology a client runs on, and the settings every request's deadline comes from.
pub(crate) struct Router {
    topology: Topology,
    /// The default command timeout, in the unit deadlines count in.
    command_timeout_ms: Option<u64>,
    pub(crate) cfg: Arc<Config>,
    /// What the spans of its requests record of the client.
    pub(crate) spans: crate::spans::Settings,
    /// The client-side cache, when the builder configured one.
    pub(crate) cache: Option<Arc<crate::cache::Cache>>,
}

enum Topology {
    Standalone(Standalone),
    /// The cluster, and the subscriptions' hub once there is a subscriber.
    Cluster(Arc<Cluster>, OnceLock<Arc<Hub>>),
}

impl Router {
    /// Starts the connections of a client configured by `cfg` (checked by the builder).
    pub(crate) fn start(mut cfg: Config) -> Router {
        // Made before any connection, so that every one reports its invalidations to it.
        let cache = cfg.cache.as_ref().map(|c| Arc::new(crate::cache::Cache::new(c, cfg.cluster)));
        cfg.tracking = cache.clone().map(|c| c as Arc<dyn crate::connection::Invalidations>);
        let cfg = Arc::new(cfg);
        let topology = if cfg.cluster {
            Topology::Cluster(Cluster::new((*cfg).clone()), OnceLock::new())
        } else {
            Topology::Standalone(Standalone::start(cfg.clone()))
        };
        let spans = crate::spans::Settings::new(&cfg);
        let command_timeout_ms = cfg.command_timeout.map(crate::deadline::millis);
        Router { topology, command_timeout_ms, cfg, spans, cache }
    }

    /// The pool whose connections serve cached reads of `key` and track it: the primary's, in
    /// a cluster the primary of the key's slot as the current map says. Never a replica's,
    /// even with `read_from_replicas`: one tracking place per key keeps the argument of
    /// `crate::cache` simple, and a replica may lag its primary.
    #[inline]
    pub(crate) fn tracking_pool(&self, key: &[u8]) -> Arc<Pool> {
        match &self.topology {
            Topology::Standalone(s) => s.primary.clone(),
            Topology::Cluster(c, _) => c.owner(crate::cluster::slot(key)),
        }
    }

    /// Counts the connections of every pool (see [`crate::Client::stats`]).
    pub(crate) fn stats(&self) -> crate::Stats {
        let mut stats = crate::Stats::default();
        match &self.topology {
            Topology::Standalone(s) => s.stats(&mut stats),
            Topology::Cluster(c, _) => c.stats(&mut stats),
        }
        stats
    }

    /// Whether clustering is on.
    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self.topology, Topology::Cluster(..))
    }

    /// A request's deadline: its own timeout from now, else the block time plus the grace
    /// period for blocking commands, else the default command timeout.
    #[inline]
    pub(crate) fn deadline(
        &self,
        blocking: Blocking,
        timeout: Option<std::time::Duration>,
    ) -> Option<Deadline> {
        match (timeout, blocking) {
            (None, Blocking::No) => Deadline::within_ms(self.command_timeout_ms),
            (Some(t), _) => Deadline::within(Some(t)),
            (None, Blocking::For(d)) => Deadline::within(d.checked_add(self.cfg.blocking_grace)),
            (None, Blocking::Forever) => None,
        }
    }

    /// Waits until connected (starting to connect when `auto_connect` is off).
    pub(crate) async fn ready(&self) -> Result<(), Error> {
        match &self.topology {
            Topology::Standalone(s) => s.ready().await,
            Topology::Cluster(c, _) => c.ready().await,
        }
    }

    /// Closes every connection.
    pub(crate) async fn close(&self) {
        match &self.topology {
            Topology::Standalone(s) => s.close().await,
            Topology::Cluster(c, hub) => {
                if let Some(hub) = hub.get() {
                    hub.close().await;
                }
                c.close().await
            }
        }
    }

    /// The hub of the client's subscriptions, made with the first subscriber.
    pub(crate) fn hub(&self) -> Arc<Hub> {
        match &self.topology {
            Topology::Standalone(s) => s.hub(),
            Topology::Cluster(c, hub) => {
                hub.get_or_init(|| Hub::new(Place::Cluster(c.clone()), &self.cfg)).clone()
            }
        }
    }

    /// The pools a SCAN walks one after the other: a cluster's primaries. `None`: one SCAN
    /// covers every key.
    pub(crate) fn scan_pools(&self) -> Option<Vec<Arc<Pool>>> {
        match &self.topology {
            Topology::Standalone(_) => None,
            Topology::Cluster(c, _) => Some(c.primaries()),
        }
    }

    /// A dedicated connection for a transaction that WATCHes the keys of `watch` (encoded
    /// WATCH): on the primary, or the cluster node of their slot.
    pub(crate) async fn lease_for(
        &self,
        watch: &Encoded,
        info: &'static CommandInfo,
        deadline: Option<Deadline>,
    ) -> Result<Lease, Error> {
        let pool = match &self.topology {
            Topology::Standalone(s) => s.primary.clone(),
            Topology::Cluster(c, _) => c.route_batch(watch.as_bytes(), &[info])?,
        };
        pool.checkout(deadline).await
    }
}

impl Resend for Router {
    #[inline]
    fn send(&self, request: Encoded, info: &'static CommandInfo, deadline: Option<Deadline>) -> Pending {
        match &self.topology {
            Topology::Standalone(s) => s.send(request, info, deadline),
            Topology::Cluster(c, _) => c.send(request, info, deadline),
        }
    }

    fn reroute(
        &self,
        err: &Error,
        request: Encoded,
        info: &'static CommandInfo,
        deadline: Option<Deadline>,
    ) -> Rerouted {
        match &self.topology {
            Topology::Standalone(s) => s.reroute(err, request, info, deadline),
            Topology::Cluster(c, _) => c.reroute(err, request, info, deadline),
        }
    }

    fn timed_out(&self) {
        match &self.topology {
            Topology::Standalone(s) => s.timed_out(),
            Topology::Cluster(c, _) => c.timed_out(),
        }
    }

    fn relocate(&self) -> bool {
        match &self.topology {
            Topology::Standalone(s) => s.relocate(),
            Topology::Cluster(c, _) => c.relocate(),
        }
    }
}
