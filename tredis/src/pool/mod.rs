//! [`Pool`]: every set of connections to one server has this one shape, whether it is a
//! standalone primary, the replicas read from, or a cluster node. Requests share a few
//! multiplexed connections, one per runtime thread; what would stall a shared connection
//! (blocking commands, WATCH, WAIT) takes a [dedicated](Dedicated) one, under a cap.

mod dedicated;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::command::{Blocking, CommandInfo, Encoded};
use crate::config::{Addr, Config, Wanted};
use crate::connection::{Connection, Pending};
use crate::deadline::Deadline;
use crate::Error;
pub(crate) use dedicated::{Dedicated, Lease};

static THREADS: AtomicUsize = AtomicUsize::new(0);

std::thread_local! {
    /// This thread's place in every pool.
    static THREAD_SLOT: usize = THREADS.fetch_add(1, Ordering::Relaxed);
}

/// One shared connection of a pool, held with the pool: a cached read looks its entry up
/// with the connection's id, and must then send on that same connection, whichever thread
/// the request is sent from (see `crate::cache`).
pub(crate) struct Pinned {
    pool: Arc<Pool>,
    i: usize,
}

impl Pinned {
    /// The shared connection [`Pool::conn`] returns on this thread now, kept.
    pub(crate) fn new(pool: Arc<Pool>) -> Pinned {
        let i = pool.pick();
        Pinned { pool, i }
    }

    /// The connection.
    pub(crate) fn conn(&self) -> &Connection {
        &self.pool.shared[self.i]
    }

    /// The pool it belongs to.
    pub(crate) fn pool(&self) -> &Arc<Pool> {
        &self.pool
    }
}

/// The connections to one server (or to one role of a hosts list: its primary, its
/// replicas).
#[doc(hidden)]
pub struct Pool {
    /// The first server it tries: a cluster node's only one.
    addr: Addr,
    shared: Box<[Connection]>,
    next: AtomicUsize,
    dedicated: Dedicated,
}

impl Pool {
    /// `cfg.pool_size` shared connections, each trying the configured hosts in order, and
    /// dedicated ones made on demand.
    pub(crate) fn new(cfg: Config) -> Pool {
        Pool::starting(cfg, |_| 0)
    }

    /// As [`new`](Pool::new), the shared connections starting from different hosts, so that
    /// they spread over several servers that all qualify (replicas).
    pub(crate) fn spread(cfg: Config) -> Pool {
        Pool::starting(cfg, |i| i)
    }

    /// The pool of the server at `addr` alone (a cluster node), connecting like `template`
    /// otherwise.
    pub(crate) fn node(addr: Addr, template: &Config) -> Pool {
        Pool::new(Config { hosts: vec![addr], role: Wanted::Any, sentinel: None, ..template.clone() })
    }

    fn starting(cfg: Config, first: impl Fn(usize) -> usize) -> Pool {
        let dedicated = Dedicated::new(&cfg);
        let addr = cfg.hosts[0].clone();
        let cfg = Arc::new(cfg);
        let shared =
            (0..cfg.pool_size.max(1)).map(|i| Connection::spawn_from(cfg.clone(), first(i))).collect();
        Pool { addr, shared, next: AtomicUsize::new(0), dedicated }
    }

    /// The offset probe that goes before a command that counts its connection's writes
    /// (WAIT), and how many replies it gets.
    pub(crate) fn offset_probe(&self) -> (Arc<[u8]>, usize) {
        self.dedicated.offset_probe()
    }

    /// Gives a cluster node the probe of a key whose slot it serves (see
    /// [`key_probe`](crate::command::key_probe)).
    pub(crate) fn set_offset_probe(&self, probe: Vec<u8>, replies: usize) {
        self.dedicated.set_offset_probe(probe, replies);
    }

    /// Adds its connections to `stats`.
    pub(crate) fn stats(&self, stats: &mut crate::Stats) {
        self.shared.iter().for_each(|c| c.stats(stats));
        self.dedicated.stats(stats);
    }

    /// The first server it tries: with one configured host (a cluster node), the server.
    pub(crate) fn addr(&self) -> &Addr {
        &self.addr
    }

    /// The shared connection this thread uses. Each runtime thread keeps to one connection,
    /// so that the requests of its tasks are coalesced into few writes (spreading them over
    /// all connections would only split the batches), and threads spread over the pool. A
    /// connection that is down is passed over.
    #[inline]
    pub(crate) fn conn(&self) -> &Connection {
        &self.shared[self.pick()]
    }

    /// The place of the shared connection [`conn`](Pool::conn) returns.
    #[inline]
    fn pick(&self) -> usize {
        let conns = &self.shared;
        if conns.len() == 1 {
            return 0;
        }
        let first = THREAD_SLOT.with(|slot| *slot) % conns.len();
        if conns[first].is_connected() {
            return first;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..conns.len())
            .map(|i| (start + i) % conns.len())
            .find(|&i| conns[i].is_connected())
            .unwrap_or(first)
    }

    /// Its first shared connection, the same for every thread: the one that carries the
    /// client's subscriptions on RESP3.
    pub(crate) fn first(&self) -> &Connection {
        &self.shared[0]
    }

    /// Sends a request: on a shared connection, or on a dedicated one if it blocks.
    #[inline]
    pub(crate) fn submit(
        &self,
        request: Encoded,
        info: &'static CommandInfo,
        deadline: Option<Deadline>,
    ) -> Pending {
        match request.blocking() {
            Blocking::No => self.conn().submit(request, info, deadline),
            _ => self.dedicated.submit(request, info, deadline),
        }
    }

    /// A dedicated connection, within `deadline` (see [`Dedicated::checkout`]).
    pub(crate) async fn checkout(&self, deadline: Option<Deadline>) -> Result<Lease, Error> {
        self.dedicated.checkout(deadline).await
    }

    /// Whether a shared connection is up.
    pub(crate) fn is_up(&self) -> bool {
        self.shared.iter().any(Connection::is_connected)
    }

    /// The servers its shared connections are (or were last) connected to.
    pub(crate) fn addrs(&self) -> impl Iterator<Item = Addr> + '_ {
        self.shared.iter().filter_map(Connection::addr)
    }

    /// Waits until every shared connection is up (starting them when `auto_connect` is off).
    pub(crate) async fn ready(&self) -> Result<(), Error> {
        for c in self.shared.iter() {
            c.ready().await?;
        }
        Ok(())
    }

    /// Ends any reconnect backoff now: a failover or a new map says the server may be back.
    pub(crate) fn wake(&self) {
        self.shared.iter().for_each(Connection::wake);
    }

    /// Moves to the current primary (or replicas): shared connections are remade once their
    /// written requests are answered; idle dedicated ones, which may lead to the old
    /// server, are let go (new ones check the role).
    pub(crate) fn relocate(&self) {
        self.shared.iter().for_each(Connection::relocate);
        drop(self.dedicated.close_idle());
    }

    /// Closes the shared connections and the idle dedicated ones. Dedicated connections in
    /// use close when their holders let go of them.
    pub(crate) async fn close(&self) {
        for c in self.shared.iter() {
            c.close().await;
        }
        for c in self.dedicated.close_idle() {
            c.close().await;
        }
    }
}
