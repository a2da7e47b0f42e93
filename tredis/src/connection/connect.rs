//! Making a connection: to each candidate in turn (the hosts, or the servers the Sentinels
//! name), with the handshake (and under RESP2 with a cache, the connection for its
//! invalidations), within the connect timeout.

use std::time::Duration;

use super::{handshake, redirect, sentinel, transport};
use crate::config::{Addr, Config, Protocol, Wanted};
use crate::credentials::{Credentials, Provider, ProviderError};
use crate::log;
use crate::Error;

/// An established, handshaken connection.
pub(super) struct Established {
    pub(super) addr: Addr,
    pub(super) rd: transport::ReadHalf,
    pub(super) wr: transport::WriteHalf,
    pub(super) session: handshake::Session,
    /// With a credentials provider whose credentials expire: when to authenticate again.
    pub(super) refresh: Option<Duration>,
    /// Under RESP2 with a client-side cache: the connection its invalidations go to.
    pub(super) companion: Option<redirect::Companion>,
}

/// Connects and runs the handshake on `addr`, with the provider's credentials if there is one.
async fn attempt(addr: &Addr, cfg: &Config) -> Result<Established, Error> {
    let attempt = async {
        let fresh;
        let (cfg, refresh) = match &cfg.credentials {
            None => (cfg, None),
            Some(provider) => {
                let creds = ask(provider).await?;
                let refresh = creds.refresh_after();
                fresh = Config { username: creds.username, password: Some(creds.password), ..cfg.clone() };
                (&fresh, refresh)
            }
        };
        let (mut rd, mut wr, reached) =
            transport::open_at(addr, None, cfg.connect_timeout, cfg.tls.as_ref()).await?;
        let mut session = handshake::run(&mut rd, &mut wr, cfg).await?;
        let companion = match &cfg.tracking {
            Some(cache) if session.protocol == Protocol::Resp2 => {
                let c = redirect::open(addr, reached, cfg, cache.clone()).await?;
                handshake::track_redirected(&mut rd, &mut wr, cfg, &mut session, c.id()).await?;
                Some(c)
            }
            _ => None,
        };
        Ok::<_, Error>(Established { addr: addr.clone(), rd, wr, session, refresh, companion })
    };
    match tokio::time::timeout(cfg.connect_timeout, attempt).await {
        Ok(r) => r,
        Err(_) => Err(Error::connect(format!("{addr}: no handshake within {:?}", cfg.connect_timeout))),
    }
}

/// Tries every candidate in turn, starting with the one that worked last: the hosts, or with
/// Sentinel, the servers the Sentinels name.
pub(super) async fn connect(cfg: &Config, first: &mut usize) -> Result<Established, Error> {
    let replicas;
    let candidates: &[Addr] = match (&cfg.sentinel, cfg.role) {
        (Some(name), Wanted::Replica) => {
            replicas = sentinel::replicas(cfg, name).await?;
            &replicas
        }
        (Some(name), _) => return connect_via_sentinels(cfg, name, first).await,
        (None, _) => &cfg.hosts,
    };
    let mut last = Error::connect("no hosts are configured");
    let mut refused = Vec::new();
    for i in 0..candidates.len() {
        let idx = (*first + i) % candidates.len();
        let addr = &candidates[idx];
        match attempt(addr, cfg).await {
            Ok(est) => {
                *first = idx;
                return Ok(est);
            }
            Err(e) => {
                log::event!(debug, "connect failed", addr = addr, cause = e);
                refused.push(format!("{addr}: {e}"));
                last = e;
            }
        }
    }
    // With several candidates, say why each one would not do (down, or not the right role).
    if refused.len() > 1 && last.kind() == crate::ErrorKind::Connect {
        last = Error::connect(format!("no host would do: {}", refused.join("; ")));
    }
    Err(last)
}

/// Asks the Sentinels in turn, from the one that answered last, for the primary, until one
/// names a server that passes the ROLE check: a Sentinel with a stale view (it names a
/// replica, or a server that is down) is passed over.
async fn connect_via_sentinels(cfg: &Config, name: &str, first: &mut usize) -> Result<Established, Error> {
    let mut why = Vec::new();
    let mut tried: Vec<Addr> = Vec::new();
    let mut last = None;
    for i in 0..cfg.hosts.len() {
        let idx = (*first + i) % cfg.hosts.len();
        let sentinel = &cfg.hosts[idx];
        let addr = match sentinel::ask_primary(sentinel, name, cfg).await {
            Ok(addr) => addr,
            Err(e) => {
                log::debug!("Sentinel {} did not name the primary: {}", sentinel, e);
                why.push(format!("Sentinel {sentinel}: {e}"));
                if e.kind() == crate::ErrorKind::Auth {
                    last = Some(e);
                }
                continue;
            }
        };
        if tried.contains(&addr) {
            continue;
        }
        match attempt(&addr, cfg).await {
            Ok(est) => {
                *first = idx;
                return Ok(est);
            }
            Err(e) => {
                log::debug!("{}, named by Sentinel {}, would not do: {}", addr, sentinel, e);
                why.push(format!("{addr}, named by Sentinel {sentinel}: {e}"));
                tried.push(addr);
                last = Some(e);
            }
        }
    }
    let why = format!("no Sentinel named a primary for `{name}` that would do: {}", why.join("; "));
    match last {
        // Wrong credentials (of a Sentinel, or of the server) are not a matter of which
        // server: say so.
        Some(e) if e.kind() == crate::ErrorKind::Auth => Err(Error::auth(why)),
        _ => Err(Error::connect(why)),
    }
}

/// The provider's credentials; its failure is an authentication error holding the cause.
pub(super) async fn ask(provider: &Provider) -> Result<Credentials, Error> {
    provider().await.map_err(|e| {
        Error::auth(format!("the credentials provider failed: {e}")).with_source(ProviderFailure(e))
    })
}

/// A provider's error, as the source of ours.
#[derive(Debug)]
struct ProviderFailure(ProviderError);

impl std::fmt::Display for ProviderFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ProviderFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}
