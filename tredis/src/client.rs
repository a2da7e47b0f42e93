//! [`Client`]: the handle callers share, and the [`Builder`] that configures it.

use std::fmt;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::cluster::Cluster;
use crate::command::{Blocking, CommandInfo, Encoded};
use crate::config::{parse_url, Addr, CloseEvent, Config, Protocol, Wanted};
use crate::connection::{BatchAnswer, Connection};
use crate::deadline::Deadline;
pub(crate) use crate::dedicated::Dedicated;
use crate::request::{Executor, Pending, ReqOpts, Sealed, Target};
use crate::resp::Limits;
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

/// Configures a [`Client`]. Options set here win over those of the URLs.
#[derive(Default)]
pub struct Builder {
    cfg: Config,
    urls: Vec<String>,
    db: Option<i64>,
    username: Option<String>,
    password: Option<String>,
    client_name: Option<String>,
    protocol: Option<Protocol>,
    cluster: bool,
    sentinel: Option<String>,
    error: Option<Error>,
}

impl Builder {
    /// One server, by URL: `redis://[user:password@]host[:port][/db]`.
    pub fn url(self, url: &str) -> Builder {
        self.hosts([url])
    }

    /// A primary and its replicas (the seed's `hosts` list), in any order. Each is tried in
    /// turn, and with more than one only the primary (ROLE `master`) is accepted. When a
    /// failover makes it a replica, the first READONLY reply moves the client to the new
    /// primary and the refused command is sent there once more. Their database and
    /// credentials must agree.
    pub fn hosts<I, S>(mut self, urls: I) -> Builder
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.urls.extend(urls.into_iter().map(|u| u.as_ref().to_string()));
        self
    }

    /// The database to select on every connection.
    pub fn db(mut self, db: i64) -> Builder {
        if db < 0 {
            self.fail(Error::config(format!("db {db} is negative")));
        }
        self.db = Some(db);
        self
    }

    /// ACL user name (with [`Builder::password`]).
    pub fn username(mut self, user: impl Into<String>) -> Builder {
        self.username = Some(user.into());
        self
    }

    /// Password, sent with AUTH (or HELLO) on every connection.
    pub fn password(mut self, password: impl Into<String>) -> Builder {
        self.password = Some(password.into());
        self
    }

    /// Connection name, set on every connection (CLIENT SETNAME).
    pub fn client_name(mut self, name: impl Into<String>) -> Builder {
        let name = name.into();
        if name.contains([' ', '\n', '\r']) {
            self.fail(Error::config(format!(
                "client_name {name:?} contains spaces or newlines, which the server rejects"
            )));
        }
        self.client_name = Some(name);
        self
    }

    /// The protocol; RESP3 by default, with fallback to RESP2 on servers without HELLO.
    pub fn protocol(mut self, protocol: Protocol) -> Builder {
        self.protocol = Some(protocol);
        self
    }

    /// Connect in the background at once (default), or only on [`Client::ready`].
    pub fn auto_connect(mut self, on: bool) -> Builder {
        self.cfg.auto_connect = on;
        self
    }

    /// Time allowed to connect and handshake, per host (default 5 s).
    pub fn connect_timeout(mut self, t: Duration) -> Builder {
        if t.is_zero() {
            self.fail(Error::config("connect_timeout must be above zero"));
        }
        self.cfg.connect_timeout = t;
        self
    }

    /// The deadline of each request (default 30 s), counted from when it is made and covering
    /// the wait for a connection, redirections and retries; `None`: no deadline. Blocking
    /// commands wait their own block time plus [`blocking_grace`](Builder::blocking_grace)
    /// instead, and [`Req::with_timeout`](crate::Req::with_timeout) sets one request's.
    ///
    /// A request not yet written by its deadline fails with
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) (it did not run); one written fails
    /// as [`ErrorKind::Indeterminate`](crate::ErrorKind::Indeterminate), and its late reply
    /// is discarded, never handed to another caller. A connection whose oldest request is
    /// overdue while nothing at all came back for a second is deemed dead and replaced.
    ///
    /// Why 30 s: long enough for any command a shared connection should carry, and for a
    /// cluster failover to complete while requests wait (`cluster-node-timeout` is 15 s by
    /// default); short enough that a hung server surfaces as an error. redis-rs's 500 ms
    /// fails slow commands that are working; Lettuce uses 60 s.
    pub fn command_timeout(mut self, t: impl Into<Option<Duration>>) -> Builder {
        let t = t.into();
        if t.is_some_and(|t| t.is_zero()) {
            self.fail(Error::config("command_timeout must be above zero"));
        }
        self.cfg.command_timeout = t;
        self
    }

    /// How long a connection may sit idle before it is sent a PING (default 5 s), so that a
    /// dead server or a half-open link is found, and the connection replaced, before a
    /// caller waits on it; `None`: never. TCP keepalive is on as well.
    pub fn health_check_interval(mut self, every: Option<Duration>) -> Builder {
        if every.is_some_and(|d| d.is_zero()) {
            self.fail(Error::config("health_check_interval must be above zero"));
        }
        self.cfg.health_check = every;
        self
    }

    /// Called once for every established connection that is lost.
    pub fn on_close(mut self, f: impl Fn(&CloseEvent) + Send + Sync + 'static) -> Builder {
        self.cfg.on_close = Some(Arc::new(f));
        self
    }

    /// Redis Cluster: the hosts are seed nodes, from which the client learns the others and
    /// which node serves each slot. Each command goes to the primary of its keys' slot; a
    /// command without keys goes to any primary. MOVED and ASK are followed, the slot map is
    /// refreshed when it proves stale (and every
    /// [`cluster_refresh_interval`](Builder::cluster_refresh_interval)), and a node that fails
    /// is replaced by its promoted replica. A transaction the server refused whole because
    /// its slot moved is sent again whole to the new owner. Commands whose keys span slots
    /// fail with
    /// [`ErrorKind::InvalidClusterCommand`](crate::ErrorKind::InvalidClusterCommand) before
    /// anything is sent, and so do MOVE and SWAPDB, as a cluster has database 0 only.
    pub fn cluster(mut self, on: bool) -> Builder {
        self.cluster = on;
        self
    }

    /// How often a cluster's slot map is fetched anew although no reply proved it stale
    /// (default every 30 s), so that replicas and nodes added since are used; `None` fetches
    /// it only when a redirection or a failure proves it stale.
    pub fn cluster_refresh_interval(mut self, every: Option<Duration>) -> Builder {
        if every.is_some_and(|d| d.is_zero()) {
            self.fail(Error::config("cluster_refresh_interval must be more than zero"));
        }
        self.cfg.cluster_refresh = every;
        self
    }

    /// Sends commands that only read to a replica, trading freshness for load spread: a
    /// replica may lag its primary, so a read may not see a write just made. Writes,
    /// transactions and pipelines always go to the primary.
    ///
    /// - In a cluster: a replica of the command's shard that is up, else the primary.
    /// - With a hosts list: the hosts whose ROLE is a replica in sync with its primary (the
    ///   list must hold them), one connection per pool slot, spread over them.
    /// - With Sentinel: the replicas the Sentinels deem healthy (SENTINEL REPLICAS).
    ///
    /// While no replica is up, reads go to the primary; a read a replica fails to answer
    /// (it went down, is loading, or lost its primary) is sent again to the primary.
    pub fn read_from_replicas(mut self, on: bool) -> Builder {
        self.cfg.read_from_replicas = on;
        self
    }

    /// Sentinel: the hosts are Sentinels, and the client connects to the primary they know
    /// as `name` (SENTINEL GET-MASTER-ADDR-BY-NAME), asking the next Sentinel when one does
    /// not answer, and checking the server's ROLE. When the Sentinels announce a failover
    /// (`+switch-master`), or a READONLY reply shows the primary moved, every connection
    /// moves to the new primary; the refused command is sent again there. The URLs' database
    /// and credentials are those of the data servers; the Sentinels are reached without,
    /// unless [`sentinel_auth`](Builder::sentinel_auth) gives theirs.
    pub fn sentinel(mut self, name: impl Into<String>) -> Builder {
        self.sentinel = Some(name.into());
        self
    }

    /// The credentials of the Sentinels themselves (their `requirepass`, or an ACL user of
    /// theirs), sent with AUTH on every connection to a Sentinel. `username` `None` is the
    /// `default` user. The data servers' credentials are those of the URLs.
    pub fn sentinel_auth(mut self, username: Option<&str>, password: &str) -> Builder {
        self.cfg.sentinel_auth = Some((username.map(str::to_string), password.to_string()));
        self
    }

    /// Multiplexed connections shared by all tasks (default 1). Each runtime thread keeps to
    /// one of them, so more help when many threads submit at once; one connection already
    /// carries any number of tasks of a thread.
    pub fn pool_size(mut self, n: usize) -> Builder {
        if n == 0 {
            self.fail(Error::config("pool_size must be at least 1"));
        }
        self.cfg.pool_size = n.max(1);
        self
    }

    /// Most connections of their own (for blocking commands, WATCH transactions, blocking
    /// pipelines and WAIT) in use at once, per server or cluster node (default 64). Each is a
    /// socket and a client on the server: without a cap, 10,000 concurrent BLPOPs would open
    /// 10,000. Beyond it, callers wait for one to come back, within their deadline, and fail
    /// with [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) (nothing was sent) if none does.
    pub fn max_blocking_connections(mut self, n: usize) -> Builder {
        if n == 0 {
            self.fail(Error::config("max_blocking_connections must be at least 1"));
        }
        self.cfg.max_blocking = n.max(1);
        self
    }

    /// Time a blocking command may take beyond its own block time before it times out
    /// (default 2 s). Blocking commands never use the default command timeout.
    pub fn blocking_grace(mut self, grace: Duration) -> Builder {
        self.cfg.blocking_grace = grace;
        self
    }

    /// Bounds on reply sizes and nesting.
    pub fn limits(mut self, limits: Limits) -> Builder {
        self.cfg.limits = limits;
        self
    }

    /// Most requests that may wait while no connection is up (default 65,536); beyond it,
    /// requests fail at once with `QueueFull`.
    pub fn max_queued(mut self, n: usize) -> Builder {
        self.cfg.max_queued = n;
        self
    }

    /// Smallest and largest delay between reconnection attempts (default 10 ms to 2 s).
    pub fn reconnect_backoff(mut self, min: Duration, max: Duration) -> Builder {
        if min.is_zero() || max < min {
            self.fail(Error::config("reconnect_backoff needs 0 < min <= max"));
        }
        self.cfg.backoff_min = min;
        self.cfg.backoff_max = max;
        self
    }

    fn fail(&mut self, e: Error) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    /// Builds the client; it connects in the background when `auto_connect` is on.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config), naming the bad URL or option, or when
    /// called outside a tokio runtime.
    pub fn build(self) -> Result<Client, Error> {
        let Builder {
            mut cfg,
            urls,
            db,
            username,
            password,
            client_name,
            protocol,
            cluster,
            sentinel,
            error,
        } = self;
        if let Some(e) = error {
            return Err(e);
        }
        if urls.is_empty() {
            return Err(Error::config("no server given: call `url` or `hosts`"));
        }
        let mut first: Option<crate::config::UrlParts> = None;
        for url in &urls {
            let mut parts = parse_url(url)?;
            cfg.hosts.push(parts.addr.take().expect("parse_url sets the address"));
            match &first {
                None => first = Some(parts),
                Some(f)
                    if f.db.unwrap_or(0) != parts.db.unwrap_or(0)
                        || f.username != parts.username
                        || f.password != parts.password =>
                {
                    return Err(Error::config(format!(
                        "URL `{}` names another database or other credentials than the first host",
                        crate::config::redact(url)
                    )));
                }
                Some(_) => {}
            }
        }
        let first = first.unwrap_or_default();
        cfg.db = db.or(first.db).unwrap_or(0);
        cfg.username = username.or(first.username);
        cfg.password = password.or(first.password);
        cfg.client_name = client_name.or(first.client_name);
        cfg.protocol = protocol.or(first.protocol).unwrap_or_default();
        if cfg.username.is_some() && cfg.password.is_none() {
            return Err(Error::config("a user name needs a password"));
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::config("a client must be built inside a tokio runtime"));
        }
        if cfg.read_from_replicas && !cluster && sentinel.is_none() && cfg.hosts.len() < 2 {
            return Err(Error::config(
                "read_from_replicas needs the replicas: list them with the primary in `hosts`, or use Sentinel or a cluster",
            ));
        }
        if cluster && sentinel.is_some() {
            return Err(Error::config("a client is for a cluster or for Sentinel, not both"));
        }
        if cfg.sentinel_auth.is_some() && sentinel.is_none() {
            return Err(Error::config("sentinel_auth is for Sentinel: call `sentinel` too"));
        }
        cfg.role = if sentinel.is_some() || (!cluster && cfg.hosts.len() > 1) {
            Wanted::Primary
        } else {
            Wanted::Any
        };
        cfg.cluster = cluster;
        cfg.sentinel = sentinel;
        if cluster && cfg.db != 0 {
            return Err(Error::config(format!("a cluster has database 0 only, not {}", cfg.db)));
        }
        let (conns, cluster): (Box<[Connection]>, _) = if cluster {
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
        Ok(Client { inner })
    }
}
