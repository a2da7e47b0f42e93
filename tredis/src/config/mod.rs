//! Client configuration: `redis://`, `rediss://` and `unix://` URLs, and the options a
//! [`Builder`](crate::Builder) collects.

mod addr;
mod redact;
mod url;

pub use addr::Addr;
pub(crate) use redact::redact;
pub use url::{parse_url, UrlParts};

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::resp::Limits;
use crate::Error;

pub use crate::resp::Protocol;

/// Called once per lost connection, with what was lost and why.
pub type OnClose = Arc<dyn Fn(&CloseEvent) + Send + Sync>;

/// A connection that closed after it was established.
#[derive(Debug)]
pub struct CloseEvent {
    /// The server it was connected to.
    pub addr: Addr,
    /// Why it closed.
    pub error: Error,
}

/// Which servers a connection accepts, checked with ROLE on each (re)connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// Whatever the host is (one host: the user named that server).
    Any,
    /// Only the primary (several hosts, or Sentinel).
    Primary,
    /// Only a replica whose link to its primary is up (reads from replicas).
    Replica,
}

/// The default deadline of a request. Long enough for any command a shared connection should
/// carry, and for a failover to complete while requests wait (a cluster's `cluster-node-timeout`
/// is 15 s by default); short enough that a hung server surfaces as an error instead of a
/// hang. (redis-rs's 500 ms fails slow commands that are working; Lettuce uses 60 s.)
pub(crate) const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// What a connection speaks TLS with.
#[cfg(feature = "tls")]
pub(crate) type TlsConnector = crate::tls::Connector;

/// Without the `tls` feature there is no TLS to speak: nothing of this type exists.
#[cfg(not(feature = "tls"))]
#[derive(Clone)]
pub(crate) enum TlsConnector {}

/// Everything a connection needs to (re)connect and serve.
#[derive(Clone)]
pub(crate) struct Config {
    pub hosts: Vec<Addr>,
    pub db: i64,
    pub username: Option<String>,
    pub password: Option<String>,
    pub client_name: Option<String>,
    pub protocol: Protocol,
    pub connect_timeout: Duration,
    pub command_timeout: Option<Duration>,
    /// A PING on a connection idle this long, to find a dead link before a caller does.
    pub health_check: Option<Duration>,
    pub limits: Limits,
    pub auto_connect: bool,
    pub on_close: Option<OnClose>,
    pub max_queued: usize,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    pub pool_size: usize,
    pub blocking_grace: Duration,
    /// Most dedicated connections in use at once, per server (or cluster node).
    pub max_blocking: usize,
    /// Events a subscriber's buffer holds before messages are dropped.
    pub subscriber_buffer: usize,
    /// TLS, when the URLs say `rediss://` or the builder was given TLS settings.
    pub tls: Option<TlsConnector>,
    /// TLS to the Sentinels, which may differ from the data servers'.
    pub sentinel_tls: Option<TlsConnector>,
    /// Asked for the user name and password at each connection, instead of `username` and
    /// `password`.
    pub credentials: Option<crate::credentials::Provider>,
    /// Which servers a connection accepts, by their ROLE.
    pub role: Wanted,
    /// Clustering is on: connections go to one node each.
    pub cluster: bool,
    /// How often a cluster's slot map is fetched anew even when nothing proved it stale, so
    /// that new replicas and nodes are found; `None`: only when it proves stale.
    pub cluster_refresh: Option<Duration>,
    /// With Sentinel: the name of the primary; `hosts` are then the Sentinels.
    pub sentinel: Option<String>,
    /// With Sentinel: the user name (none: `default`) and password of the Sentinels
    /// themselves, when they require one.
    pub sentinel_auth: Option<(Option<String>, String)>,
    /// Commands that only read go to replicas: in a cluster, connections send READONLY so
    /// that replicas serve them; otherwise the client keeps a pool of replica connections.
    pub read_from_replicas: bool,
    /// Spans record `db.query.text`, values redacted.
    #[cfg(feature = "spans")]
    pub span_statement: bool,
    /// Where measurements go (feature `metrics`).
    pub(crate) metrics: crate::meter::Meters,
    /// A client-side cache: its settings, from the builder.
    pub cache: Option<crate::cache::CacheConfig>,
    /// Where the connections that serve cached reads send their invalidations; set by the
    /// router when `cache` is, so that every connection made with this config tracks keys
    /// (`CLIENT TRACKING ON OPTIN` in the handshake).
    pub tracking: Option<Arc<dyn crate::connection::Invalidations>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            hosts: Vec::new(),
            db: 0,
            username: None,
            password: None,
            client_name: None,
            protocol: Protocol::Resp3,
            connect_timeout: Duration::from_secs(5),
            command_timeout: Some(DEFAULT_COMMAND_TIMEOUT),
            health_check: Some(Duration::from_secs(5)),
            limits: Limits::default(),
            auto_connect: true,
            on_close: None,
            max_queued: 65_536,
            backoff_min: Duration::from_millis(10),
            backoff_max: Duration::from_secs(2),
            pool_size: 1,
            blocking_grace: Duration::from_secs(2),
            max_blocking: 64,
            subscriber_buffer: 10_000,
            tls: None,
            credentials: None,
            sentinel_tls: None,
            role: Wanted::Any,
            cluster: false,
            cluster_refresh: Some(Duration::from_secs(30)),
            sentinel: None,
            sentinel_auth: None,
            read_from_replicas: false,
            #[cfg(feature = "spans")]
            span_statement: false,
            metrics: crate::meter::Meters::none(),
            cache: None,
            tracking: None,
        }
    }
}

impl Config {
    /// `text` with every password of the configuration in it replaced by `***`: for messages
    /// that quote a server, which may echo what it was sent.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let secrets = [self.password.as_deref(), self.sentinel_auth.as_ref().map(|(_, p)| p.as_str())];
        secrets
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .fold(text.to_string(), |t, s| t.replace(s, "***"))
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("hosts", &self.hosts)
            .field("db", &self.db)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("client_name", &self.client_name)
            .field("protocol", &self.protocol)
            .field("sentinel", &self.sentinel)
            .field("sentinel_auth", &self.sentinel_auth.as_ref().map(|(user, _)| (user, "***")))
            .field("tls", &self.tls.is_some())
            .field("credentials_provider", &self.credentials.is_some())
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::redact::tests::assert_hidden;
    use super::*;

    #[test]
    fn builder_errors_and_config_debug_hide_passwords() {
        let e = crate::Builder::default()
            .hosts(["redis://u:Qz7Kx4@h1", "redis://u:Qz7%2FKx4@h2", "redis://Qz7Kx4@h3"])
            .build()
            .unwrap_err();
        assert_hidden("two hosts", &format!("{e} {e:?}"));
        assert!(e.to_string().contains("redis://u:***@h2"), "{e}");
        let cfg = Config {
            password: Some("Qz7Kx4".into()),
            sentinel_auth: Some((Some("sentinel-user".into()), "Qz7Kx4".into())),
            ..Config::default()
        };
        let shown = format!("{cfg:?}");
        assert_hidden("Config", &shown);
        assert!(shown.contains("sentinel-user"), "{shown}");
        let echoed = "ERR unknown command 'HELLO', with args beginning with: '3' 'AUTH' 'default' 'Qz7Kx4'";
        assert_hidden("scrub", &cfg.scrub(echoed));
        let event = CloseEvent {
            addr: Addr::Tcp { host: "h".into(), port: 1 },
            error: Error::config(echoed).map_message(|m| cfg.scrub(m)),
        };
        assert_hidden("CloseEvent", &format!("{event:?} {}", event.error));
    }
}
