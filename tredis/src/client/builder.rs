//! [`Builder`]: every option of a [`Client`], checked before anything connects.

use std::sync::Arc;
use std::time::Duration;

use super::Client;
use crate::config::{parse_url, CloseEvent, Config, Protocol, Wanted};
use crate::resp::Limits;
use crate::Error;

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
    #[cfg(feature = "tls")]
    tls: Option<crate::Tls>,
    #[cfg(feature = "tls")]
    sentinel_tls: Option<crate::Tls>,
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

    /// Whether the spans of requests record `db.query.text` (feature `spans`): each
    /// command's name with every argument after it replaced by `?` (`SET ? ? ?`), so no key
    /// or value is recorded. Off by default.
    #[cfg(feature = "spans")]
    pub fn span_statements(mut self, on: bool) -> Builder {
        self.cfg.span_statement = on;
        self
    }

    /// Where the client's measurements go (feature `metrics`): request durations and
    /// failures by command, connections made and lost, cluster redirections. See
    /// [`tredis::metrics`](crate::metrics).
    #[cfg(feature = "metrics")]
    pub fn metrics(mut self, metrics: std::sync::Arc<dyn crate::metrics::Metrics>) -> Builder {
        self.cfg.metrics = crate::meter::Meters::new(metrics);
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

    /// Events a [`Subscriber`](crate::Subscriber) buffers before it drops messages (default
    /// 10,000). The connection's reader never waits for a slow subscriber, as other callers'
    /// replies may share its connection: when the buffer is full, messages are dropped and
    /// the stream says how many, where they were ([`Event::Lagged`](crate::Event::Lagged)).
    pub fn subscriber_buffer(mut self, n: usize) -> Builder {
        if n == 0 {
            self.fail(Error::config("subscriber_buffer must be at least 1"));
        }
        self.cfg.subscriber_buffer = n.max(1);
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

    /// Asks `provider` for the user name and password (or token) whenever a connection is
    /// made, instead of taking them from the URL; and, when they say how long they are good
    /// for ([`Credentials::valid_for`](crate::Credentials::valid_for)), again before they
    /// expire, re-authenticating live connections in place (AUTH), without dropping them or
    /// failing a request. A provider that fails makes the connection attempt fail with an
    /// [`ErrorKind::Auth`](crate::ErrorKind::Auth) error holding its cause; attempts go on
    /// with the reconnect backoff.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), tredis::Error> {
    /// let client = tredis::Client::builder()
    ///     .url("redis://cache.internal:6379")
    ///     .credentials_provider(|| async {
    ///         let token = String::from("fetched from the identity service");
    ///         Ok(tredis::Credentials::user("app", token).valid_for(std::time::Duration::from_secs(3600)))
    ///     })
    ///     .build()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn credentials_provider<F, Fut>(mut self, provider: F) -> Builder
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<crate::Credentials, crate::ProviderError>> + Send + 'static,
    {
        self.cfg.credentials = Some(crate::credentials::provider(provider));
        self
    }

    /// TLS for every connection to a data server, with these settings (a `rediss://` URL
    /// alone gives TLS verified against the platform's roots; with Sentinel, see
    /// [`sentinel_tls`](Builder::sentinel_tls)).
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: crate::Tls) -> Builder {
        self.tls = Some(tls);
        self
    }

    /// TLS to the Sentinels, with these settings (with Sentinel, `rediss://` hosts alone give
    /// TLS verified against the platform's roots). The data servers speak TLS as
    /// [`tls`](Builder::tls) says: the two may differ.
    #[cfg(feature = "tls")]
    pub fn sentinel_tls(mut self, tls: crate::Tls) -> Builder {
        self.sentinel_tls = Some(tls);
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

    /// A client-side cache for the reads made with [`.cached()`](crate::Req::cached): kept
    /// correct by the server's invalidations (`CLIENT TRACKING`), bounded in bytes and time
    /// (see [`tredis::cache`](crate::cache)). Works on one server, a hosts list, Sentinel
    /// and a cluster (where each node tracks the keys read from it), under either protocol:
    /// with RESP2 each shared connection has a second one, to the same server, that receives
    /// its invalidations (`CLIENT TRACKING ... REDIRECT`).
    pub fn cache(mut self, cache: crate::CacheConfig) -> Builder {
        self.cfg.cache = Some(cache);
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
            #[cfg(feature = "tls")]
            tls,
            #[cfg(feature = "tls")]
            sentinel_tls,
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
                Some(f) if f.tls != parts.tls => {
                    return Err(Error::config(format!(
                        "URL `{}` uses another scheme than the first host: every host speaks TLS (rediss://), or none",
                        crate::config::redact(url)
                    )));
                }
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
        #[cfg(feature = "tls")]
        {
            // With Sentinel the URLs are the Sentinels': `rediss://` is their TLS, and the
            // data servers speak TLS when `tls` says so.
            let by_url = first.tls.then(crate::Tls::new);
            let (data, sentinels) = match &sentinel {
                Some(_) => (tls, sentinel_tls.or(by_url)),
                None if sentinel_tls.is_some() => {
                    return Err(Error::config(
                        "sentinel_tls without sentinel: the hosts are the data servers",
                    ))
                }
                None => (tls.or(by_url), None),
            };
            cfg.tls = data.map(|t| t.connector()).transpose()?;
            cfg.sentinel_tls = sentinels.map(|t| t.connector()).transpose()?;
        }
        #[cfg(not(feature = "tls"))]
        if first.tls {
            return Err(Error::config("rediss:// needs TLS: build tredis with its `tls` cargo feature"));
        }
        cfg.db = db.or(first.db).unwrap_or(0);
        cfg.username = username.or(first.username);
        cfg.password = password.or(first.password);
        cfg.client_name = client_name.or(first.client_name);
        cfg.protocol = protocol.or(first.protocol).unwrap_or_default();
        if cfg.credentials.is_some() && cfg.password.is_some() {
            return Err(Error::config("a password and a credentials provider: give one"));
        }
        if cfg.username.is_some() && cfg.password.is_none() && cfg.credentials.is_none() {
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
        Ok(Client::start(cfg))
    }
}
