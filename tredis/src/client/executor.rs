//! How a [`Client`] runs a request: where it goes (the pool, a replica, a dedicated
//! connection, a cluster node), where a redirection or a failure sends it next, and what a
//! timeout makes it check.

use std::sync::Arc;

use super::{Client, SENTINEL_CHECK_INTERVAL};
use crate::cluster::Cluster;
use crate::command::{Blocking, CommandInfo, Encoded};
use crate::config::Wanted;
use crate::request::{Executor, Pending, ReqOpts, Sealed, Target};
use crate::Error;

impl Sealed for Client {}
impl Target for Client {}

impl Executor for Client {
    fn scan_nodes(&self) -> Option<crate::request::ScanNodes> {
        let c = self.inner.cluster.as_ref()?;
        Some(crate::request::ScanNodes(c.primaries().into_iter().map(crate::request::ScanNode).collect()))
    }

    fn submit_to(
        &self,
        node: &crate::request::ScanNode,
        cmd: Result<Encoded, Error>,
        info: &'static CommandInfo,
        opts: &ReqOpts,
    ) -> Pending {
        match cmd {
            Ok(bytes) => {
                let deadline = self.deadline_for(bytes.blocking(), opts);
                Cluster::submit_to(&node.0, bytes, info, deadline)
            }
            Err(e) => Pending::failed(e.with_command(info.name)),
        }
    }

    fn reroute(
        &self,
        err: &Error,
        request: Encoded,
        info: &'static CommandInfo,
        opts: &ReqOpts,
    ) -> crate::request::Rerouted {
        use crate::request::Rerouted;
        let deadline = opts.deadline;
        if let Some(c) = &self.inner.cluster {
            return c.reroute(err, request, info, deadline);
        }
        // A read that a replica could not answer (it went down, or is loading or cut off
        // from its primary) is answered by the primary: reading twice is harmless. Not when
        // the primary is down too: then the error stands.
        let replica_failed =
            matches!(err.kind(), crate::ErrorKind::Connect | crate::ErrorKind::Indeterminate)
                || matches!(err.code(), Some("MASTERDOWN" | "LOADING"));
        let primary = self.conn();
        if !self.inner.replicas.is_empty() && info.reads_only() && replica_failed && primary.is_connected() {
            return Rerouted::Sent(primary.submit(request, info, deadline));
        }
        Rerouted::No(request)
    }

    fn timed_out(&self) {
        let Some(name) = &self.inner.cfg.sentinel else { return };
        {
            let mut last = self.inner.last_sentinel_check.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|at| at.elapsed() < SENTINEL_CHECK_INTERVAL) {
                return;
            }
            *last = Some(std::time::Instant::now());
        }
        // The Sentinels announce a failover (`+switch-master`) only once it is complete, and
        // the announcement may be missed: a primary that stopped answering is checked at once.
        let (cfg, name, inner) = (self.inner.cfg.clone(), name.clone(), Arc::downgrade(&self.inner));
        tokio::spawn(async move {
            let Ok(primary) = crate::connection::sentinel::primary(&cfg, &name).await else { return };
            let Some(inner) = inner.upgrade() else { return };
            if inner.conns.iter().any(|c| c.addr().is_some_and(|a| a != primary)) {
                crate::log::debug!("the Sentinels name {} as the primary now; moving there", primary);
                inner.relocate();
            }
        });
    }

    fn relocate(&self) -> bool {
        if self.inner.cluster.is_some() {
            return false;
        }
        if self.inner.cfg.role != Wanted::Primary {
            return false;
        }
        self.inner.relocate();
        true
    }

    #[inline]
    fn submit(&self, cmd: Result<Encoded, Error>, info: &'static CommandInfo, opts: &ReqOpts) -> Pending {
        let bytes = match cmd {
            Ok(b) => b,
            Err(e) => return Pending::failed(e.with_command(info.name)),
        };
        let blocking = bytes.blocking();
        let deadline = self.deadline_for(blocking, opts);
        if let Some(c) = &self.inner.cluster {
            return c.submit(bytes, info, deadline);
        }
        match blocking {
            Blocking::No => self.conn_for(info).submit(bytes, info, deadline),
            _ => self.inner.dedicated.submit(bytes, info, deadline),
        }
    }
}
