//! Redis Cluster: commands go to the node serving their keys' slot.
//!
//! The slot map comes from CLUSTER SLOTS, asked of any known node and refreshed when a reply
//! says it is stale (MOVED, or a node that went away), at most every
//! [`MIN_REFRESH_INTERVAL`], so a storm of MOVED makes few refreshes. Until a refresh lands,
//! a MOVED request goes straight to the node named, and an ASK one is sent there after
//! ASKING. Routing reads the current map through a per-thread cache, so a command takes no
//! lock.

mod batch;
mod fanout;
mod keys;
mod learn;
mod slots;
mod topology;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::command::{CmdBuf, CommandInfo, Encoded, Flags};
use crate::config::{Addr, Config};
use crate::connection::Pending;
use crate::deadline::Deadline;
use crate::log;
use crate::pool::Pool;
use crate::reply::{Array, ClusterSlotRange, Decode};
use crate::resp::Value;
use crate::retry::{Rerouted, Resend};
use crate::Error;
use fanout::RequestPolicy;
pub(crate) use keys::{key_slot, Args, KeySlot, MarkedKeys};
pub(crate) use slots::slot;
use topology::{parse_addr, Topology};

/// Refreshes of the slot map are at least this far apart.
pub(crate) const MIN_REFRESH_INTERVAL: Duration = Duration::from_millis(200);

static CLUSTER_SLOTS: CommandInfo =
    CommandInfo { name: "CLUSTER SLOTS", flags: Flags::NONE, key_specs: &[], tips: &[] };

static IDS: AtomicUsize = AtomicUsize::new(0);

std::thread_local! {
    /// Per cluster client: the map epoch this thread last saw, and that map.
    static CACHE: RefCell<Vec<(usize, u64, Weak<Topology>)>> = const { RefCell::new(Vec::new()) };
}

/// What a refresh found, for `ready()`.
type Outcome = Option<Result<(), Arc<Error>>>;

/// The cluster state a client shares between its clones.
pub(crate) struct Cluster {
    id: usize,
    /// How to connect to a node (its `hosts` are the seeds).
    cfg: Config,
    current: RwLock<Arc<Topology>>,
    epoch: AtomicU64,
    /// Every node the client holds connections to, by address.
    known: Mutex<HashMap<Addr, Arc<Pool>>>,
    refreshing: AtomicBool,
    last_refresh: Mutex<Option<Instant>>,
    refreshed: watch::Sender<Outcome>,
    spread: AtomicUsize,
    /// Set by `close`: from then on, Closed errors are the caller's, not a departed node's.
    closed: AtomicBool,
    /// The key positions of raw commands the spec does not know, asked of the cluster once
    /// per name (`learn`).
    learned: learn::Learned,
}

impl Cluster {
    /// Starts with every slot on the first seed, and a refresh at once: a cluster always
    /// connects in the background, as its nodes are only known once it has.
    pub(crate) fn new(cfg: Config) -> Arc<Cluster> {
        let cfg = Config { auto_connect: true, ..cfg };
        let seed = Arc::new(Pool::node(cfg.hosts[0].clone(), &cfg));
        let known = HashMap::from([(seed.addr().clone(), seed.clone())]);
        let cluster = Arc::new(Cluster {
            id: IDS.fetch_add(1, Ordering::Relaxed),
            current: RwLock::new(Arc::new(Topology::seed(seed))),
            epoch: AtomicU64::new(0),
            known: Mutex::new(known),
            refreshing: AtomicBool::new(false),
            last_refresh: Mutex::new(None),
            refreshed: watch::channel(None).0,
            spread: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            learned: learn::Learned::default(),
            cfg,
        });
        cluster.schedule_refresh();
        if let Some(every) = cluster.cfg.cluster_refresh {
            tokio::spawn(refresh_every(Arc::downgrade(&cluster), every));
        }
        cluster
    }

    /// The current map, from this thread's cache unless a refresh replaced it.
    #[inline]
    fn topology(&self) -> Arc<Topology> {
        let epoch = self.epoch.load(Ordering::Acquire);
        CACHE.with(|cache| {
            let mut cache = cache.borrow_mut();
            if let Some(entry) = cache.iter().find(|e| e.0 == self.id && e.1 == epoch) {
                if let Some(t) = entry.2.upgrade() {
                    return t;
                }
            }
            let t = self.current.read().unwrap_or_else(|e| e.into_inner()).clone();
            // Entries of dropped clients go: their maps can no longer be upgraded.
            cache.retain(|e| e.0 != self.id && e.2.strong_count() > 0);
            cache.push((self.id, epoch, Arc::downgrade(&t)));
            t
        })
    }

    /// The node for `addr`, connecting to it if it is new.
    fn node(&self, addr: Addr) -> Arc<Pool> {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        known.entry(addr.clone()).or_insert_with(|| Arc::new(Pool::node(addr, &self.cfg))).clone()
    }

    /// Routes and sends a request: to the primary of its keys' slot; to any primary when it
    /// has none; to every primary (or node) when its tips say so; split by slot when its keys
    /// span slots and its tips allow that.
    pub(crate) fn submit(
        self: &Arc<Self>,
        request: Encoded,
        info: &'static CommandInfo,
        deadline: Option<Deadline>,
    ) -> Pending {
        if refused(info) {
            return Pending::failed(
                Error::invalid_cluster("a cluster has only database 0").with_command(info.name),
            );
        }
        let policy = fanout::request_policy(info);
        let topology = self.topology();
        match policy {
            RequestPolicy::AllShards | RequestPolicy::AllNodes if !fanout::one_node_suffices(info) => {
                let nodes: Vec<Arc<Pool>> = if policy == RequestPolicy::AllShards {
                    topology.shards.iter().map(|s| s.primary.clone()).collect()
                } else {
                    topology.nodes().cloned().collect()
                };
                return fanout::broadcast(self, nodes, request, info, deadline);
            }
            RequestPolicy::Special => {
                return Pending::failed(
                    Error::invalid_cluster(
                        "one call pages through one node; use `.stream()`, which walks every primary",
                    )
                    .with_command(info.name),
                );
            }
            _ => {}
        }
        let Some(args) = Args::of(request.as_bytes()) else {
            return Pending::failed(Error::protocol("a malformed request").with_command(info.name));
        };
        let node = match key_slot(info, args) {
            KeySlot::One(slot) => match topology.shard(slot) {
                Some(shard) if self.cfg.read_from_replicas && info.reads_only() => {
                    Topology::reader(shard, self.spread.fetch_add(1, Ordering::Relaxed))
                }
                Some(shard) => &shard.primary,
                // No shard serves it (yet): a node will say where it went, or CLUSTERDOWN.
                None => topology.any_primary(usize::from(slot)),
            },
            KeySlot::None | KeySlot::Unknown => {
                topology.any_primary(self.spread.fetch_add(1, Ordering::Relaxed))
            }
            KeySlot::Cross => {
                if policy == RequestPolicy::MultiShard {
                    if let Some(p) = fanout::split(self, &request, info, deadline) {
                        return p;
                    }
                }
                return Pending::failed(cross_slot().with_command(info.name));
            }
        };
        node.submit(request, info, deadline)
    }

    /// Adds the connections of every node of the current map to `stats`.
    pub(crate) fn stats(&self, stats: &mut crate::Stats) {
        self.topology().nodes().for_each(|n| n.stats(stats));
    }

    /// Follows a redirection, or says to retry once the map is fresh.
    pub(crate) fn reroute(
        self: &Arc<Self>,
        err: &Error,
        request: Encoded,
        info: &'static CommandInfo,
        deadline: Option<Deadline>,
    ) -> Rerouted {
        let target = |msg: &str| msg.split(' ').nth(2).and_then(|a| parse_addr(a, self.cfg.hosts.first()));
        // `MOVED <slot> <node>`: the slot, never a key. Inside the request's span, if any.
        let slot = || err.server_message().and_then(|m| m.split(' ').nth(1)).unwrap_or("");
        match err.code() {
            Some("MOVED") => match err.server_message().and_then(target) {
                Some(addr) => {
                    log::event!(
                        debug,
                        "redirected",
                        redirect = "MOVED",
                        slot = slot(),
                        to = addr,
                        command = info.name
                    );
                    self.cfg.metrics.redirection("MOVED", slot(), &addr);
                    self.slots_moved(slot());
                    self.schedule_refresh();
                    Rerouted::Sent(self.node(addr).submit(request, info, deadline))
                }
                None => Rerouted::No(request),
            },
            Some("ASK") => match err.server_message().and_then(target) {
                Some(addr) => {
                    log::event!(
                        debug,
                        "redirected",
                        redirect = "ASK",
                        slot = slot(),
                        to = addr,
                        command = info.name
                    );
                    self.cfg.metrics.redirection("ASK", slot(), &addr);
                    // The slot is migrating: keys created from now on are the target's.
                    self.slots_moved(slot());
                    Rerouted::Sent(asking(&self.node(addr), request, info, deadline))
                }
                None => Rerouted::No(request),
            },
            // A replica that was our primary, or a cluster that lost a shard: the map is old.
            Some("READONLY" | "CLUSTERDOWN") => {
                self.schedule_refresh();
                Rerouted::Later(request)
            }
            // The node is gone (its request was never written): a replica may take over.
            None if err.kind() == crate::ErrorKind::Connect => {
                self.schedule_refresh();
                Rerouted::Later(request)
            }
            // A read lost with a node that went down, or was let go with the read in flight:
            // reading twice is harmless, and the node the new map names answers it.
            None if crate::retry::may_resend(err, info, false) => Rerouted::Later(request),
            // A node that left the map was let go with requests still queued for it (never
            // written): they go where the new map says.
            None if err.kind() == crate::ErrorKind::Closed && !self.closed.load(Ordering::Acquire) => {
                Rerouted::Later(request)
            }
            _ => Rerouted::No(request),
        }
    }

    /// Refreshes the map soon, unless a refresh is already under way; never more often than
    /// every [`MIN_REFRESH_INTERVAL`].
    pub(crate) fn schedule_refresh(self: &Arc<Self>) {
        if self.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let last = *me.last_refresh.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(last) = last {
                tokio::time::sleep_until(last + MIN_REFRESH_INTERVAL).await;
            }
            let outcome = me.refresh().await;
            *me.last_refresh.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
            me.refreshing.store(false, Ordering::Release);
            match &outcome {
                Ok(()) => log::event!(debug, "slot map refreshed", shards = me.topology().shards.len()),
                Err(e) => log::event!(warn, "slot map refresh failed", cause = e),
            }
            me.refreshed.send_replace(Some(outcome.map_err(Arc::new)));
        });
    }

    /// Asks the known nodes, then the seeds, for the slot map, until one answers.
    async fn refresh(&self) -> Result<(), Error> {
        let mut candidates: Vec<Addr> = {
            let t = self.topology();
            t.shards
                .iter()
                .map(|s| s.primary.addr().clone())
                .chain(t.nodes().map(|n| n.addr().clone()))
                .collect()
        };
        candidates.extend(self.cfg.hosts.iter().cloned());
        let mut tried = Vec::new();
        let mut last = Error::connect("no cluster node is known");
        for addr in candidates {
            if tried.contains(&addr) {
                continue;
            }
            tried.push(addr.clone());
            let node = self.node(addr.clone());
            match self
                .query(&node)
                .await
                .and_then(|ranges| Topology::from_slots(ranges, &addr, |a| self.node(a)))
            {
                Ok(t) => {
                    self.install(t);
                    return Ok(());
                }
                Err(e) => {
                    log::debug!("CLUSTER SLOTS from {} failed: {}", addr, e);
                    last = e;
                }
            }
        }
        Err(last)
    }

    async fn query(&self, node: &Pool) -> Result<Vec<ClusterSlotRange>, Error> {
        let request = CmdBuf::new(b"$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n", 2).finish()?;
        let deadline = Deadline::within(Some(self.cfg.connect_timeout));
        let answer = node.conn().submit(request, &CLUSTER_SLOTS, deadline).await;
        match answer.result? {
            Value::Error(e) | Value::BulkError(e) => Err(Error::server(&e).with_command(CLUSTER_SLOTS.name)),
            v => Array::<ClusterSlotRange>::decode(v)
                .map_err(|e| Error::protocol(e.to_string()).with_command(CLUSTER_SLOTS.name)),
        }
    }

    /// Makes `t` the current map, and lets go of nodes it no longer has.
    fn install(&self, t: Topology) {
        let keep: Vec<Addr> = t.nodes().map(|n| n.addr().clone()).collect();
        // A node the new map names may have come back (a restarted primary, a promoted
        // replica): requests for it should not wait out a reconnect backoff.
        t.nodes().for_each(|n| n.wake());
        let t = Arc::new(t);
        let old = std::mem::replace(&mut *self.current.write().unwrap_or_else(|e| e.into_inner()), t.clone());
        self.epoch.fetch_add(1, Ordering::AcqRel);
        // After the new map is in place, so that a cached read routed by the old one finds
        // its node changed when it would fill (see `crate::cache`).
        if let Some(cache) = &self.cfg.tracking {
            let moved = t.moved_from(&old);
            if !moved.is_empty() {
                log::debug!("{} slots have a new owner", moved.len());
                cache.slots_moved(&moved);
            }
        }
        self.known.lock().unwrap_or_else(|e| e.into_inner()).retain(|addr, _| keep.contains(addr));
    }

    /// Tells the client-side cache, if any, that `slot` (of a MOVED or ASK) moved.
    fn slots_moved(&self, slot: &str) {
        if let (Some(cache), Ok(slot)) = (&self.cfg.tracking, slot.parse::<u16>()) {
            cache.slots_moved(&[slot]);
        }
    }

    /// Waits for the first map, then for every primary's connections (and the replicas', to
    /// read from them).
    pub(crate) async fn ready(self: &Arc<Self>) -> Result<(), Error> {
        let mut rx = self.refreshed.subscribe();
        if rx.borrow().is_none() {
            self.schedule_refresh();
        }
        loop {
            match &*rx.borrow_and_update() {
                Some(Ok(())) => break,
                Some(Err(e)) => return Err(e.duplicate()),
                None => {}
            }
            if rx.changed().await.is_err() {
                return Err(Error::closed());
            }
        }
        let t = self.topology();
        for shard in &t.shards {
            shard.primary.ready().await?;
        }
        // Reads go to replicas only once they are up: wait for them too, but a replica that
        // is down only means its shard's reads go to the primary.
        if self.cfg.read_from_replicas {
            for replica in t.shards.iter().flat_map(|s| &s.replicas) {
                let _ = replica.ready().await;
            }
        }
        Ok(())
    }

    /// Closes every node's connections.
    pub(crate) async fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let nodes: Vec<Arc<Pool>> =
            self.known.lock().unwrap_or_else(|e| e.into_inner()).values().cloned().collect();
        for n in nodes {
            n.close().await;
        }
    }
}

impl Resend for Arc<Cluster> {
    #[inline]
    fn send(&self, request: Encoded, info: &'static CommandInfo, deadline: Option<Deadline>) -> Pending {
        self.submit(request, info, deadline)
    }

    fn reroute(
        &self,
        err: &Error,
        request: Encoded,
        info: &'static CommandInfo,
        deadline: Option<Deadline>,
    ) -> Rerouted {
        Cluster::reroute(self, err, request, info, deadline)
    }
}

impl Cluster {
    /// The pool of the node at `addr` (made if the map does not name it yet).
    pub(crate) fn pool(&self, addr: &Addr) -> Arc<Pool> {
        self.node(addr.clone())
    }

    /// The primary serving `slot`; some primary when none does (a redirection will say).
    pub(crate) fn owner(&self, slot: u16) -> Arc<Pool> {
        let t = self.topology();
        t.shard(slot).map_or_else(|| t.any_primary(usize::from(slot)), |s| &s.primary).clone()
    }

    /// Asks for a fresh map and waits for it (or for `limit`).
    pub(crate) async fn refreshed(self: &Arc<Self>, limit: Duration) {
        let mut rx = self.refreshed.subscribe();
        rx.borrow_and_update();
        self.schedule_refresh();
        let _ = tokio::time::timeout(limit, rx.changed()).await;
    }

    /// The primaries, for walking each with SCAN.
    pub(crate) fn primaries(&self) -> Vec<Arc<Pool>> {
        self.topology().shards.iter().map(|s| s.primary.clone()).collect()
    }
}

/// The refusal of a request whose keys hash to different slots, before anything is sent.
pub(crate) fn cross_slot() -> Error {
    Error::invalid_cluster(
        "its keys hash to different slots; give them a common hash tag ({user1}.a, {user1}.b) to keep them in one",
    )
}

/// Commands that cannot run on a cluster: there is only database 0.
fn refused(info: &CommandInfo) -> bool {
    info.flags.contains(Flags::REFUSED_IN_CLUSTER)
}

/// Refreshes the map every `every` while the cluster lives: nothing proves a map stale when
/// a replica or a node was only added.
async fn refresh_every(cluster: Weak<Cluster>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        match cluster.upgrade() {
            Some(c) if !c.closed.load(Ordering::Acquire) => c.schedule_refresh(),
            _ => return,
        }
    }
}

/// ASKING and the request, back to back on one connection, so that ASKING applies to it.
fn asking(node: &Pool, request: Encoded, info: &'static CommandInfo, deadline: Option<Deadline>) -> Pending {
    let mut buf = Vec::with_capacity(request.as_bytes().len() + 20);
    buf.extend_from_slice(crate::command::ASKING);
    buf.extend_from_slice(request.as_bytes());
    let rx = node.conn().submit_batch(Encoded::concat(buf), 2, info, deadline);
    Pending::prefixed(rx, 1, request)
}
