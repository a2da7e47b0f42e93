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

/// What one URL says. Its `Debug` shows `***` for the password.
#[derive(Clone, PartialEq, Eq, Default)]
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

impl fmt::Debug for UrlParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UrlParts")
            .field("addr", &self.addr)
            .field("db", &self.db)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("protocol", &self.protocol)
            .field("client_name", &self.client_name)
            .finish()
    }
}

/// An error about `url` that shows neither its password nor, quoted in `what`, a piece of it.
fn bad(url: &str, what: impl fmt::Display) -> Error {
    let secrets = secret_ranges(url);
    let what = what.to_string();
    // Quoted pieces of the URL are odd-numbered between backticks; a piece found where a
    // password may be (an unescaped `?` in one makes its tail look like a port) becomes `***`.
    let from_secret = |piece: &str| {
        (0..url.len())
            .filter(|&i| url.as_bytes()[i..].starts_with(piece.as_bytes()))
            .any(|i| secrets.iter().any(|s| i < s.end && s.start < i + piece.len()))
    };
    let what: Vec<&str> = what
        .split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 && !part.is_empty() && from_secret(part) { "***" } else { part })
        .collect();
    Error::config(format!("URL `{}`: {}", masked(url, &secrets), what.join("`")))
}

/// Options a URL may carry.
const OPTIONS: [&str; 8] = ["db", "protocol", "resp", "client_name", "name", "user", "username", "password"];

/// Byte ranges of `url` that may hold a password, chosen wide, since a URL that fails to parse
/// may have been cut in the wrong places: the user info up to the last `@` of the URL (a
/// password may hold `/`, `?`, `#` or `@` unescaped), but for a user name before its first
/// `:`; and the value of each option whose name speaks of a password (`password=`, `pass=`,
/// `token=` ...), up to the next known option (a password may hold `&` unescaped).
fn secret_ranges(url: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let start = url.find("://").map_or(0, |i| i + 3);
    if let Some(at) = url[start..].rfind('@').map(|i| start + i) {
        let info = &url[start..at];
        match info.find(':') {
            Some(colon) if !info[..colon].contains(['/', '?', '#', '&', '=']) => {
                out.push(start + colon + 1..at);
            }
            // The old `redis://password@host` form: all of it.
            _ => out.push(start..at),
        }
    }
    let lower = url.to_ascii_lowercase();
    for (i, _) in lower.match_indices(['?', '&']) {
        let Some((key, _)) = lower[i + 1..].split_once('=') else { continue };
        if key.contains(['&', '#'])
            || !["pass", "pwd", "secret", "token", "auth"].iter().any(|w| key.contains(w))
        {
            continue;
        }
        let value = i + 1 + key.len() + 1;
        let end = lower[value..]
            .match_indices('&')
            .map(|(j, _)| value + j)
            .find(|&j| OPTIONS.iter().any(|o| lower[j + 1..].starts_with(&format!("{o}="))))
            .unwrap_or(url.len());
        out.push(value..end);
    }
    out.retain(|r| !r.is_empty());
    out
}

/// `url` with each of `secrets` (ranges of it) shown as `***`.
fn masked(url: &str, secrets: &[std::ops::Range<usize>]) -> String {
    let mut shown = String::with_capacity(url.len());
    let mut from = 0;
    let mut sorted = secrets.to_vec();
    sorted.sort_by_key(|r| r.start);
    for r in sorted {
        if r.start >= from {
            shown.push_str(&url[from..r.start]);
            shown.push_str("***");
        }
        from = from.max(r.end);
    }
    shown.push_str(&url[from.min(url.len())..]);
    shown
}

/// The URL with anything that may be a password replaced by `***`, for messages.
pub(crate) fn redact(url: &str) -> String {
    masked(url, &secret_ranges(url))
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
                return Err(bad(url, format!("unknown option `{other}`; known: {}", OPTIONS.join(", "))))
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
    /// Most dedicated connections in use at once, per server (or cluster node).
    pub max_blocking: usize,
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
            max_blocking: 64,
            role: Wanted::Any,
            cluster: false,
            cluster_refresh: Some(Duration::from_secs(30)),
            sentinel: None,
            sentinel_auth: None,
            read_from_replicas: false,
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

    /// Halves of the secret: a leaked fragment shows as well as the whole.
    const HALVES: [&str; 2] = ["Qz7", "Kx4"];

    fn assert_hidden(what: &str, shown: &str) {
        for half in HALVES {
            assert!(!shown.contains(half), "{what}: the password shows in {shown}");
        }
    }

    #[test]
    fn passwords_never_show_whatever_the_url_form() {
        let urls = [
            "redis://user:Qz7Kx4@host:6379/0",
            "redis://Qz7Kx4@host",
            "redis://:Qz7Kx4@host",
            "redis://user:Qz7%2F%3F%40%23Kx4@host",
            "redis://user:Qz7/Kx4@host/2",
            "redis://user:Qz7?Kx4@host",
            "redis://user:Qz7@Kx4@host",
            "redis://user:Qz7#Kx4@host",
            "redis://user:Qz7:Kx4@host",
            "redis://host?password=Qz7Kx4&db=1",
            "redis://host?db=1&password=Qz7%26Kx4",
            "redis://host?db=1&password=Qz7&Kx4",
            "redis://host?db=1&password=Qz7&Kx4=1",
            "redis://host?PASSWORD=Qz7Kx4",
            "redis://host?pass=Qz7Kx4",
            "unix://user:Qz7Kx4@/tmp/redis.sock",
            "unix://Qz7Kx4@/tmp/redis.sock?db=1",
            "unix:///tmp/redis.sock?password=Qz7Kx4",
            "redis+unix://user:Qz7Kx4@relative.sock",
            "redis://user:Qz7Kx4@host:bad",
            "redis://user:Qz7Kx4@host/x",
            "redis://user:Qz7Kx4@host?bogus=1",
            "redis://user:Qz7Kx4@host?protocol=9",
            "redis://user:Qz7Kx4@[::1",
            "redis://user:Qz7%zzKx4@host",
            "redis://user:Qz7%FFKx4@host",
            "redis://Qz7%zzKx4@host",
            "http://user:Qz7Kx4@host",
            "rediss://user:Qz7Kx4@host",
            "user:Qz7Kx4@host:6379",
            "redis://user:Qz7Kx4@host#frag",
            "redis://user:Qz7Kx4@ho st",
        ];
        for url in urls {
            assert_hidden(url, &redact(url));
            match parse_url(url) {
                Result::Ok(parts) => assert_hidden(url, &format!("{parts:?}")),
                Err(e) => assert_hidden(url, &format!("{e} {e:?}")),
            }
        }
        // What stays shows: the user name, the host and the options.
        assert_eq!(redact("redis://me:Qz7Kx4@h:1/2?db=3"), "redis://me:***@h:1/2?db=3");
        assert_eq!(redact("redis://Qz7Kx4@h"), "redis://***@h");
        assert_eq!(redact("redis://h?db=1&password=Qz7&Kx4&name=x"), "redis://h?db=1&password=***&name=x");
        let e = parse_url("redis://u:Qz7Kx4@h:bad").unwrap_err().to_string();
        assert!(e.contains("redis://u:***@h:bad") && e.contains("port `bad`"), "{e}");
        let e = parse_url("redis://u:Qz7?Kx4@h").unwrap_err().to_string();
        assert!(e.contains("port `***`"), "{e}");
    }

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
