//! [`Addr`]: where a server listens.

use std::fmt;
use std::path::PathBuf;

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

/// Every server address the process connected to, once each, for as long as it runs: a
/// request's span takes its server's address on the hot path, and a `&'static` one costs no
/// reference count (two atomic operations per request with an `Arc`). The set grows with the
/// distinct servers a process ever connects to, which a failover or a resharding adds to by
/// a few entries.
static INTERNED: std::sync::Mutex<Vec<&'static Addr>> = std::sync::Mutex::new(Vec::new());

impl Addr {
    /// This address, interned (see [`INTERNED`]).
    pub(crate) fn interned(&self) -> &'static Addr {
        let mut all = INTERNED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(a) = all.iter().find(|a| **a == self) {
            return a;
        }
        let a: &'static Addr = Box::leak(Box::new(self.clone()));
        all.push(a);
        a
    }
}
