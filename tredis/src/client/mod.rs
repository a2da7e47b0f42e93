//! [`Client`]: the handle callers share, and the [`Builder`] that configures it.

use std::fmt;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

mod builder;
mod executor;

pub use builder::Builder;

use crate::cluster::Cluster;
use crate::command::{Blocking, CommandInfo, Encoded};
use crate::config::{Addr, Config, Wanted};
use crate::connection::{BatchAnswer, Connection};
use crate::deadline::Deadline;
pub(crate) use crate::dedicated::Dedicated;
use crate::request::ReqOpts;
use crate::Error;

/// An async Redis client: cheap to clone, shared by any number of tasks.
///
/// Commands are methods of the group traits (`StringCommands::set` ...), in scope with
/// `use tredis::prelude::*;`. Requests from all tasks share one multiplexed connection and are
/// written in batches. The connection is made in the background (`auto_connect`, on by
/// default) and remade after failures; requests issued meanwhile wait for it.
///
/// ```no_run
/// use tredis::prelude::*;
///
/// # async fn demo() -> Result<(), tredis::Error> {
/// let client = tredis::Client::connect("redis://127.0.0.1:6379/0").await?;
/// client.set("greeting", "hello").await?;
/// let value = client.get("greeting").await?;
/// assert_eq!(value.as_deref(), Some(&b"hello"[..]));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// The pool of multiplexed connections, used in turn (empty for a cluster).
    conns: Box<[Connection]>,
    /// With `read_from_replicas` outside a cluster: connections to replicas, for commands that
    /// only read (empty otherwise).
    replicas: Box<[Connection]>,
    next_replica: AtomicUsize,
    /// With clustering on: the slot map and a pool per node.
    cluster: Option<Arc<Cluster>>,
    /// With Sentinel: dropped with the client, which stops the `+switch-master` watcher.
    _sentinel_watch: Option<oneshot::Sender<()>>,
    next: AtomicUsize,
    /// With Sentinel: when a timeout last made the client ask the Sentinels where the
    /// primary is.
    last_sentinel_check: Mutex<Option<std::time::Instant>>,
    /// Connections of their own for blocking commands, WATCH and blocking pipelines.
    dedicated: Arc<Dedicated>,
    /// The default command timeout, in the unit deadlines count in.
    command_timeout_ms: Option<u64>,
    cfg: Arc<Config>,
}

impl Client {
    /// A client for `url` that connects in the background; returns at once.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for a malformed URL, or when called
    /// outside a tokio runtime.
    pub fn new(url: &str) -> Result<Client, Error> {
        Client::builder().url(url).build()
    }

    /// A client for `url`, once connected.
    ///
    /// # Errors
    ///
    /// As [`Client::new`], and [`ErrorKind::Connect`](crate::ErrorKind::Connect) or
    /// [`ErrorKind::Auth`](crate::ErrorKind::Auth) when the first connection fails.
    pub async fn connect(url: &str) -> Result<Client, Error> {
        let client = Client::new(url)?;
        client.ready().await?;
        Ok(client)
    }

    /// A builder for every option.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Waits until the client is connected. With `auto_connect` off, this starts connecting.
    ///
    /// # Errors
    ///
    /// The error of the first failed connection attempt, or `Closed`.
    pub async fn ready(&self) -> Result<(), Error> {
        if let Some(c) = &self.inner.cluster {
            return c.ready().await;
        }
        for conn in self.inner.conns.iter() {
            conn.ready().await?;
        }
        // Reads go to the primary until a replica is up: a replica that is down (or syncing)
        // is no reason to fail.
        for conn in self.inner.replicas.iter() {
            let _ = conn.ready().await;
        }
        Ok(())
    }

    /// Closes the connections. Requests not yet sent fail with `Closed`; requests in flight
    /// fail as `Indeterminate`. Every clone of the client is closed.
    pub async fn close(&self) {
        if let Some(c) = &self.inner.cluster {
            c.close().await;
        }
        for conn in self.inner.conns.iter().chain(self.inner.replicas.iter()) {
            conn.close().await;
        }
        for conn in self.inner.dedicated.close_idle() {
            conn.close().await;
        }
    }

    /// The configured hosts.
    pub fn hosts(&self) -> &[Addr] {
        &self.inner.cfg.hosts
    }

    /// A pipeline: commands sent together and answered together, each with its own result.
    pub fn pipeline(&self) -> crate::Pipeline<'_> {
        crate::Pipeline::new(self)
    }

    /// A transaction without WATCH: its commands run together, atomically.
    pub fn multi(&self) -> crate::Transaction<'_> {
        crate::Transaction::new(self, None)
    }

    /// Whether clustering is on.
    pub fn is_cluster(&self) -> bool {
        self.inner.cluster.is_some()
    }

    /// A transaction that first WATCHes `keys`, on a connection of its own: it only commits
    /// if none of them changed before EXEC.
    ///
    /// # Errors
    ///
    /// Those of sending WATCH.
    #[cfg(feature = "transactions")]
    pub async fn watch(&self, keys: impl crate::args::ToKeys) -> Result<crate::Transaction<'_>, Error> {
        use crate::commands::TransactionsTxCommands;
        let home = match &self.inner.cluster {
            // The connection of the keys' node: the transaction must run there.
            Some(c) => {
                // The generated WATCH, encoded to find its keys' slot.
                use crate::command::Command;
                let info = <crate::commands::transactions::Watch as Command>::INFO;
                let request = crate::Transaction::new(self, None).watch(&keys).cmd.encode();
                let request = request.map_err(|e| e.with_command(info.name))?;
                c.route_batch(request.as_bytes(), &[info])?.dedicated.clone()
            }
            None => self.inner.dedicated.clone(),
        };
        let deadline = self.deadline_for(Blocking::No, &ReqOpts::default());
        let lease = home.checkout(deadline).await.map_err(|e| e.with_command("WATCH"))?;
        let tx = crate::Transaction::new(self, Some((lease, home)));
        tx.watch(keys).await?;
        Ok(tx)
    }

    /// Runs `f` in a WATCH transaction on `keys`, again while a watched key changed before
    /// EXEC, at most `attempts` times. `f` reads through the transaction and returns the
    /// result of [`Transaction::exec`](crate::Transaction::exec).
    ///
    /// # Errors
    ///
    /// Any error of `f`, or [`ErrorKind::Aborted`](crate::ErrorKind::Aborted) when every attempt
    /// found a watched key changed.
    #[cfg(feature = "transactions")]
    pub async fn transaction<'a, K, F, Fut, T>(
        &'a self,
        keys: K,
        attempts: usize,
        mut f: F,
    ) -> Result<T, Error>
    where
        K: crate::args::ToKeys,
        F: FnMut(crate::Transaction<'a>) -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>, Error>>,
    {
        for _ in 0..attempts.max(1) {
            let tx = self.watch(&keys).await?;
            if let Some(out) = f(tx).await? {
                return Ok(out);
            }
        }
        Err(Error::aborted(attempts))
    }

    /// The pooled connection for this thread (see [`pick`](crate::connection::pick)).
    #[inline]
    pub(crate) fn conn(&self) -> &Connection {
        crate::connection::pick(&self.inner.conns, &self.inner.next)
    }

    /// The connection for a command: a replica's when it only reads, replicas are wanted and
    /// one is up; else the primary's.
    #[inline]
    fn conn_for(&self, info: &CommandInfo) -> &Connection {
        if !self.inner.replicas.is_empty() && info.reads_only() {
            let replica = crate::connection::pick(&self.inner.replicas, &self.inner.next_replica);
            if replica.is_connected() {
                return replica;
            }
        }
        self.conn()
    }

    /// A request's deadline: the one it already has (a retry), else its own timeout from
    /// now, else the block time plus the grace period for blocking commands, else the
    /// default command timeout.
    pub(crate) fn deadline_for(&self, blocking: Blocking, opts: &ReqOpts) -> Option<Deadline> {
        if opts.deadline.is_some() {
            return opts.deadline;
        }
        match (opts.timeout, blocking) {
            (None, Blocking::No) => Deadline::within_ms(self.inner.command_timeout_ms),
            (Some(t), _) => Deadline::within(Some(t)),
            (None, Blocking::For(d)) => Deadline::within(d.checked_add(self.inner.cfg.blocking_grace)),
            (None, Blocking::Forever) => None,
        }
    }

    /// Sends a batch on one connection as a unit: a dedicated one if any command blocks.
    /// In a cluster, a pipeline without blocking commands: each command on its own route.
    /// `None` without clustering.
    pub(crate) async fn run_pipeline_in_cluster(
        &self,
        bytes: &[u8],
        infos: &[&'static CommandInfo],
    ) -> Option<Vec<Result<crate::resp::Value, Error>>> {
        let c = self.inner.cluster.as_ref()?;
        let deadline = self.deadline_for(Blocking::No, &ReqOpts::default());
        Some(c.run_pipeline(bytes, infos, deadline).await)
    }

    /// `infos` are those of the commands in `bytes`, for routing them in a cluster.
    pub(crate) async fn run_batch(
        &self,
        bytes: Encoded,
        n: usize,
        info: &'static CommandInfo,
        blocking: Blocking,
        infos: &[&'static CommandInfo],
    ) -> BatchAnswer {
        let deadline = self.deadline_for(blocking, &ReqOpts::default());
        let Some(c) = &self.inner.cluster else {
            let probe = syncs_offset(blocking, infos);
            return self.send_batch(None, bytes, n, info, blocking, deadline, probe).await;
        };
        let mut node = match c.route_batch(bytes.as_bytes(), infos) {
            Ok(node) => node,
            Err(e) => {
                return BatchAnswer {
                    values: Vec::new(),
                    error: Some(e.with_command(info.name)),
                    request: None,
                }
            }
        };
        // A transaction the server refused whole (EXECABORT) because its slot moved, or is
        // moving, ran nowhere: it is sent again whole where the slot now is.
        let is_tx = blocking == Blocking::No && bytes.as_bytes().starts_with(crate::transaction::MULTI);
        let probe = syncs_offset(blocking, infos);
        let (mut bytes, mut ask, mut redirects) = (bytes, false, 0);
        loop {
            let mut answer = if ask {
                let mut buf = Vec::with_capacity(bytes.as_bytes().len() + 20);
                buf.extend_from_slice(b"*1\r\n$6\r\nASKING\r\n");
                buf.extend_from_slice(bytes.as_bytes());
                let mut a = self
                    .send_batch(Some(&node), Encoded::concat(buf), n + 1, info, blocking, deadline, probe)
                    .await;
                if !a.values.is_empty() {
                    a.values.remove(0);
                }
                a.request = Some(bytes);
                a
            } else {
                self.send_batch(Some(&node), bytes, n, info, blocking, deadline, probe).await
            };
            if !is_tx || redirects >= MAX_TX_REDIRECTS {
                return answer;
            }
            match (c.tx_redirect(&answer), answer.request.take()) {
                (Some((next, asked)), Some(again)) => {
                    (node, ask, bytes) = (next, asked, again);
                    redirects += 1;
                }
                _ => return answer,
            }
        }
    }

    /// Sends a batch as a unit to `node` (or the pool without clustering): on a dedicated
    /// connection if any command blocks, after the offset probe when one of them counts the
    /// connection's writes (WAIT).
    #[allow(clippy::too_many_arguments)]
    async fn send_batch(
        &self,
        node: Option<&Arc<crate::cluster::Node>>,
        bytes: Encoded,
        n: usize,
        info: &'static CommandInfo,
        blocking: Blocking,
        deadline: Option<Deadline>,
        probe: bool,
    ) -> BatchAnswer {
        if probe {
            let probed = crate::command::OFFSET_PROBE.iter().chain(bytes.as_bytes()).copied().collect();
            let mut a = Box::pin(self.send_batch(
                node,
                Encoded::concat(probed),
                n + 1,
                info,
                blocking,
                deadline,
                false,
            ))
            .await;
            if !a.values.is_empty() {
                let first = a.values.remove(0);
                if let Some(e) = first.as_error() {
                    // Without its offset brought up to date, a WAIT in the batch counts nothing.
                    a.error.get_or_insert(Error::server(e).with_command(info.name));
                    a.values.clear();
                }
            }
            a.request = Some(bytes);
            return a;
        }
        let dedicated = node.map_or(&self.inner.dedicated, |n| &n.dedicated);
        let (rx, conn) = match blocking {
            Blocking::No => {
                let conn = node.map_or_else(|| self.conn(), |n| n.conn());
                (conn.submit_batch(bytes, n, info, deadline), None)
            }
            _ => match dedicated.checkout(deadline).await {
                Ok(lease) => (lease.submit_batch(bytes, n, info, deadline), Some(lease)),
                Err(e) => {
                    let error = Some(e.with_command(info.name));
                    return BatchAnswer { values: Vec::new(), error, request: Some(bytes) };
                }
            },
        };
        // The connection answers by the deadline.
        let answer = rx.await.unwrap_or_else(|_| BatchAnswer {
            values: Vec::new(),
            error: Some(Error::indeterminate("the connection task stopped")),
            request: None,
        });
        if let Some(conn) = conn {
            // A connection whose batch was cut short may still block; it is closed instead.
            if answer.error.is_none() {
                dedicated.checkin(conn);
            }
        }
        answer
    }
}

/// Whether a batch must go after the offset probe: it blocks (so it has a connection of its
/// own) and holds a command that counts the connection's writes.
fn syncs_offset(blocking: Blocking, infos: &[&'static CommandInfo]) -> bool {
    blocking != Blocking::No && infos.iter().any(|i| i.flags.contains(crate::command::Flags::SYNCS_OFFSET))
}

/// At most one check with the Sentinels per this interval, however many requests time out.
const SENTINEL_CHECK_INTERVAL: Duration = Duration::from_millis(250);

/// How many times a cluster transaction is sent again after its slot moved.
const MAX_TX_REDIRECTS: u32 = 5;

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &*self.inner.cfg)
            .field("pool", &self.inner.conns.len())
            .finish()
    }
}

impl Inner {
    /// Moves every connection to the current primary, and those for reads to the current
    /// replicas (one of them may be the new primary).
    fn relocate(&self) {
        for conn in self.conns.iter().chain(self.replicas.iter()) {
            conn.relocate();
        }
        // Idle dedicated connections may lead to the old primary too; new ones check ROLE.
        drop(self.dedicated.close_idle());
    }
}

impl Client {
    /// Starts the connections of a client configured by `cfg` (checked by the builder).
    pub(crate) fn start(cfg: Config) -> Client {
        let (conns, cluster): (Box<[Connection]>, _) = if cfg.cluster {
            (Box::new([]), Some(Cluster::new(cfg.clone())))
        } else {
            ((0..cfg.pool_size).map(|_| Connection::spawn(Arc::new(cfg.clone()))).collect(), None)
        };
        let replicas: Box<[Connection]> = if cfg.read_from_replicas && cluster.is_none() {
            let for_reads = Arc::new(Config { role: Wanted::Replica, ..cfg.clone() });
            (0..cfg.pool_size).map(|i| Connection::spawn_from(for_reads.clone(), i)).collect()
        } else {
            Box::new([])
        };
        let dedicated = Arc::new(Dedicated::new(&cfg));
        let (stop, stopped) = oneshot::channel();
        let watching = cfg.sentinel.clone();
        let inner = Arc::new(Inner {
            conns,
            replicas,
            next_replica: AtomicUsize::new(0),
            cluster,
            _sentinel_watch: watching.as_ref().map(|_| stop),
            next: AtomicUsize::new(0),
            last_sentinel_check: Mutex::new(None),
            dedicated,
            command_timeout_ms: cfg.command_timeout.map(crate::deadline::millis),
            cfg: Arc::new(cfg),
        });
        if let Some(name) = watching {
            let weak = Arc::downgrade(&inner);
            let switched = move || weak.upgrade().map(|inner| inner.relocate()).is_some();
            tokio::spawn(crate::connection::sentinel::watch((*inner.cfg).clone(), name, stopped, switched));
        }
        Client { inner }
    }
}
