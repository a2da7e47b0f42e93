//! [`parse_url`]: what a `redis://`, `rediss://` or `unix://` URL says.
//!
//! The URL parser is small on purpose (the `url` crate costs seconds of every clean build):
//! `redis://[[user][:password]@]host[:port][/db][?option=value&...]`, IPv6 hosts in brackets,
//! `unix://[[user][:password]@]/path/to/socket[?db=N&...]`, percent-escapes in user, password,
//! path and option values. Every error names the part of the URL it rejects.

use std::fmt;
use std::path::PathBuf;

use super::redact::bad;
use super::{Addr, Protocol};
use crate::Error;

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
    /// `rediss://`: TLS.
    pub tls: bool,
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
            .field("tls", &self.tls)
            .finish()
    }
}

/// Options a URL may carry.
pub(super) const OPTIONS: [&str; 8] =
    ["db", "protocol", "resp", "client_name", "name", "user", "username", "password"];

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
            parts.tls = true;
            parse_tcp(url, hostpath, &mut parts)?
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
        assert!(parse_url("rediss://h:6380").unwrap().tls);
        let e = err("redis://user:hunter2@h:bad");
        assert!(!e.contains("hunter2"), "password leaked: {e}");
        assert_eq!(parse_url("redis://h:bad").unwrap_err().kind(), crate::ErrorKind::Config);
    }
}
