//! Client configuration: `redis://`, `rediss://` and `unix://` URLs, and the options a
//! [`Builder`](crate::Builder) collects.
//!
//! The URL parser is small on purpose (the `url` crate costs seconds of every clean build):
//! `redis://[[user][:password]@]host[:port][/db][?option=value&...]`, IPv6 hosts in brackets,
//! `unix://[[user][:password]@]/path/to/socket[?db=N&...]`, percent-escapes in user, password,
//! path and option values. Every error names the part of the URL it rejects.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::resp::Limits;
use crate::Error;

/// Where a server listens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Addr {
    /// TCP host name or IP address, and port.
    Tcp {
        /// Host name or IP address (IPv6 without brackets).
        host: String,
        /// Port.
        port: u16,
    },
    /// A Unix domain socket.
    Unix(PathBuf),
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Addr::Tcp { host, port } => write!(f, "{host}:{port}"),
            Addr::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// The protocol a connection asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// RESP2: works with every server.
    Resp2,
    /// RESP3 through `HELLO 3`; falls back to RESP2 on servers without HELLO (before 6.0).
    #[default]
    Resp3,
}

/// What one URL says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UrlParts {
    /// The server address.
    pub addr: Option<Addr>,
    /// The database index, when given.
    pub db: Option<i64>,
    /// ACL user name.
    pub username: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// `?protocol=2|3`.
    pub protocol: Option<Protocol>,
    /// `?client_name=...`.
    pub client_name: Option<String>,
}

fn bad(url: &str, what: impl fmt::Display) -> Error {
    Error::config(format!("URL `{}`: {what}", redact(url)))
}

/// The URL with its password replaced, for messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

fn percent_decode(url: &str, s: &str, what: &str) -> Result<String, Error> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| bad(url, format!("bad percent-escape in the {what}")))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad(url, format!("the {what} is not UTF-8 after unescaping")))
}

/// Parses one URL.
pub fn parse_url(url: &str) -> Result<UrlParts, Error> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad(url, "missing scheme; expected redis://, rediss:// or unix://"))?;
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    if !fragment.is_empty() {
        return Err(bad(url, "fragments (#...) mean nothing here"));
    }
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut parts = UrlParts::default();
    let (userinfo, hostpath) = match rest.rfind('@') {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    if let Some(info) = userinfo {
        let (user, pass) = match info.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (info, None),
        };
        if !user.is_empty() {
            parts.username = Some(percent_decode(url, user, "user name")?);
        }
        if let Some(p) = pass {
            parts.password = Some(percent_decode(url, p, "password")?);
        } else if !user.is_empty() {
            // `redis://secret@host` is the old password-only form.
            parts.password = parts.username.take();
        }
    }
    match scheme.to_ascii_lowercase().as_str() {
        "redis" => parse_tcp(url, hostpath, &mut parts)?,
        "rediss" => {
            return Err(bad(url, "TLS (rediss://) is not supported yet; use redis:// or a TLS proxy"))
        }
        "unix" | "redis+unix" => {
            if !hostpath.starts_with('/') {
                return Err(bad(url, "a unix socket path must be absolute: unix:///path/to/redis.sock"));
            }
            parts.addr = Some(Addr::Unix(PathBuf::from(percent_decode(url, hostpath, "socket path")?)));
        }
        other => {
            return Err(bad(
                url,
                format!("unknown scheme `{other}`; expected redis://, rediss:// or unix://"),
            ))
        }
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_decode(url, v, &format!("option `{k}`"))?;
        match k {
            "db" => parts.db = Some(parse_db(url, &v)?),
            "protocol" | "resp" => {
                parts.protocol = Some(match v.as_str() {
                    "2" | "resp2" => Protocol::Resp2,
                    "3" | "resp3" => Protocol::Resp3,
                    other => {
                        return Err(bad(url, format!("option `protocol` is `{other}`; expected 2 or 3")))
                    }
                })
            }
            "client_name" | "name" => parts.client_name = Some(v),
            "password" => parts.password = Some(v),
            "user" | "username" => parts.username = Some(v),
            other => {
                return Err(bad(
                    url,
                    format!("unknown option `{other}`; known: db, protocol, client_name, user, password"),
                ))
            }
        }
    }
    Ok(parts)
}

fn parse_db(url: &str, s: &str) -> Result<i64, Error> {
    s.parse::<i64>()
        .ok()
        .filter(|d| *d >= 0)
        .ok_or_else(|| bad(url, format!("database `{s}` is not a non-negative integer")))
}

fn parse_tcp(url: &str, hostpath: &str, parts: &mut UrlParts) -> Result<(), Error> {
    let (authority, path) = match hostpath.find('/') {
        Some(i) => (&hostpath[..i], &hostpath[i + 1..]),
        None => (hostpath, ""),
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or_else(|| bad(url, "unclosed `[` in the IPv6 host"))?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or_else(|| bad(url, "expected `:port` after the IPv6 host"))?),
        };
        (h, port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad(url, "missing host"));
    }
    if host.contains(['/', ' ', '@']) {
        return Err(bad(url, format!("invalid host `{host}`")));
    }
    let port = match port {
        None => 6379,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| bad(url, format!("port `{p}` is not a number from 1 to 65535")))?,
    };
    parts.addr = Some(Addr::Tcp { host: host.to_string(), port });
    if !path.is_empty() {
        parts.db = Some(parse_db(url, path)?);
    }
    Ok(())
}

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
            role: Wanted::Any,
            cluster: false,
            cluster_refresh: Some(Duration::from_secs(30)),
            sentinel: None,
            sentinel_auth: None,
            read_from_replicas: false,
        }
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
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(h: &str, p: u16) -> Option<Addr> {
        Some(Addr::Tcp { host: h.into(), port: p })
    }

    #[test]
    fn parses_redis_urls() {
        let p = parse_url("redis://127.0.0.1:6380/2").unwrap();
        assert_eq!((p.addr, p.db), (tcp("127.0.0.1", 6380), Some(2)));
        let p = parse_url("redis://localhost").unwrap();
        assert_eq!((p.addr, p.db), (tcp("localhost", 6379), None));
        let p = parse_url("redis://user:p%40ss@host:1/0?protocol=2&client_name=app").unwrap();
        assert_eq!(p.username.as_deref(), Some("user"));
        assert_eq!(p.password.as_deref(), Some("p@ss"));
        assert_eq!(p.protocol, Some(Protocol::Resp2));
        assert_eq!(p.client_name.as_deref(), Some("app"));
        let p = parse_url("redis://:secret@host").unwrap();
        assert_eq!((p.username, p.password.as_deref()), (None, Some("secret")));
        let p = parse_url("redis://secret@host").unwrap();
        assert_eq!(p.password.as_deref(), Some("secret"));
        let p = parse_url("redis://[::1]:7000/3").unwrap();
        assert_eq!((p.addr, p.db), (tcp("::1", 7000), Some(3)));
        assert_eq!(tcp("::1", 7000).unwrap().to_string(), "[::1]:7000");
        let p = parse_url("unix:///tmp/redis.sock?db=4").unwrap();
        assert_eq!((p.addr, p.db), (Some(Addr::Unix("/tmp/redis.sock".into())), Some(4)));
    }

    #[test]
    fn rejects_bad_urls_naming_the_part() {
        let err = |u: &str| parse_url(u).unwrap_err().to_string();
        assert!(err("127.0.0.1:6379").contains("missing scheme"));
        assert!(err("http://x").contains("unknown scheme `http`"));
        assert!(err("redis://host:abc").contains("port `abc`"));
        assert!(err("redis://host:0").contains("port `0`"));
        assert!(err("redis://host:70000").contains("port `70000`"));
        assert!(err("redis://host/x").contains("database `x`"));
        assert!(err("redis://host/-1").contains("database `-1`"));
        assert!(err("redis://").contains("missing host"));
        assert!(err("redis://[::1").contains("unclosed"));
        assert!(err("redis://h?bogus=1").contains("unknown option `bogus`"));
        assert!(err("redis://h?protocol=4").contains("expected 2 or 3"));
        assert!(err("redis://u:p%zz@h").contains("percent-escape"));
        assert!(err("unix://relative.sock").contains("absolute"));
        assert!(err("rediss://h").contains("TLS"));
        let e = err("redis://user:hunter2@h:bad");
        assert!(!e.contains("hunter2"), "password leaked: {e}");
        assert_eq!(parse_url("redis://h:bad").unwrap_err().kind(), crate::ErrorKind::Config);
    }
}
