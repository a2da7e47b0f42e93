//! [`Dedicated`]: connections of their own, for what would stall a shared one (blocking
//! commands, WATCH transactions, blocking pipelines, WAIT), at most
//! [`max_blocking_connections`](crate::Builder::max_blocking_connections) at a time; beyond
//! the cap, callers wait for one to come back, within their deadline.

use std::sync::{Arc, Mutex};

use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use crate::command::{CommandInfo, Encoded, Flags, OFFSET_PROBE};
use crate::config::Config;
use crate::connection::{Answer, Connection, Pending};
use crate::deadline::Deadline;
use crate::Error;

/// Idle dedicated connections kept for reuse; more are closed when returned.
const MAX_IDLE: usize = 4;

/// The dedicated connections of one server (or cluster node).
pub(crate) struct Dedicated {
    home: Arc<Home>,
}

/// What leases go back to.
struct Home {
    cfg: Arc<Config>,
    idle: Mutex<Vec<Connection>>,
    /// One permit per connection in use.
    leases: Arc<Semaphore>,
    /// The offset probe a cluster node needs instead of [`OFFSET_PROBE`], and its replies.
    probe: Mutex<Option<(Arc<[u8]>, usize)>>,
}

/// A dedicated connection in use; its permit goes back when it is dropped, the connection
/// only through [`Lease::release`], once nothing it was sent can still block it.
pub(crate) struct Lease {
    conn: Connection,
    home: Arc<Home>,
    _permit: OwnedSemaphorePermit,
}

impl std::ops::Deref for Lease {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl Lease {
    /// Returns a connection whose requests are all answered, for reuse.
    pub(crate) fn release(self) {
        let Lease { conn, home, _permit } = self;
        if conn.is_closed() {
            return;
        }
        let mut idle = home.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }
}

impl Dedicated {
    /// No connections yet; they connect with `cfg` (to its hosts) when first used.
    pub(crate) fn new(cfg: &Config) -> Dedicated {
        let home = Home {
            cfg: Arc::new(Config { auto_connect: true, ..cfg.clone() }),
            idle: Mutex::default(),
            leases: Arc::new(Semaphore::new(cfg.max_blocking.max(1))),
            probe: Mutex::default(),
        };
        Dedicated { home: Arc::new(home) }
    }

    /// An idle connection, or a new one, once fewer than the cap are in use; waits for one to
    /// come back until `deadline`, then fails with [`ErrorKind::Timeout`](crate::ErrorKind).
    pub(crate) async fn checkout(&self, deadline: Option<Deadline>) -> Result<Lease, Error> {
        checkout(&self.home, deadline).await
    }

    /// Runs a blocking command on a dedicated connection, which goes back to the idle set once
    /// answered, or is closed (ending the block on the server) if the caller gives up first.
    /// A command that counts its connection's writes (WAIT) goes right after the offset probe.
    pub(crate) fn submit(
        &self,
        bytes: Encoded,
        info: &'static CommandInfo,
        deadline: Option<Deadline>,
    ) -> Pending {
        let home = self.home.clone();
        let (mut tx, rx) = oneshot::channel::<Answer>();
        tokio::spawn(async move {
            let lease = tokio::select! {
                lease = checkout(&home, deadline) => lease,
                _ = tx.closed() => return,
            };
            let lease = match lease {
                Ok(lease) => lease,
                Err(e) => {
                    let _ = tx.send(Answer { result: Err(e.with_command(info.name)), request: Some(bytes) });
                    return;
                }
            };
            let inner = if info.flags.contains(Flags::SYNCS_OFFSET) {
                let (probe, replies) = offset_probe(&home);
                let probed = probe.iter().chain(bytes.as_bytes()).copied().collect();
                let batch = lease.submit_batch(Encoded::concat(probed), replies + 1, info, deadline);
                Pending::prefixed(batch, replies, bytes)
            } else {
                lease.submit(bytes, info, deadline)
            };
            tokio::select! {
                answer = inner => {
                    lease.release();
                    let _ = tx.send(answer);
                }
                _ = tx.closed() => drop(lease),
            }
        });
        Pending::waiting(rx)
    }

    /// Adds the idle connections, and the count of those in use, to `stats`.
    pub(crate) fn stats(&self, stats: &mut crate::Stats) {
        for c in self.home.idle.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            c.stats(stats);
        }
        let max = self.home.cfg.max_blocking.max(1);
        stats.dedicated_in_use += max.saturating_sub(self.home.leases.available_permits());
    }

    /// The offset probe of this server, and how many replies it gets.
    pub(crate) fn offset_probe(&self) -> (Arc<[u8]>, usize) {
        offset_probe(&self.home)
    }

    /// Makes `probe` (with `replies` replies) this server's offset probe: a cluster node's.
    pub(crate) fn set_offset_probe(&self, probe: Vec<u8>, replies: usize) {
        *self.home.probe.lock().unwrap_or_else(|e| e.into_inner()) = Some((probe.into(), replies));
    }

    /// Lets go of the idle connections.
    pub(crate) fn close_idle(&self) -> Vec<Connection> {
        std::mem::take(&mut *self.home.idle.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

fn offset_probe(home: &Home) -> (Arc<[u8]>, usize) {
    let probe = home.probe.lock().unwrap_or_else(|e| e.into_inner());
    probe.clone().unwrap_or_else(|| (Arc::from(OFFSET_PROBE), 1))
}

async fn checkout(home: &Arc<Home>, deadline: Option<Deadline>) -> Result<Lease, Error> {
    let acquire = home.leases.clone().acquire_owned();
    let permit = match deadline {
        Some(d) => tokio::time::timeout_at(d.instant(), acquire).await.map_err(|_| {
            Error::timeout(d.timeout()).with_source(Error::config(format!(
                "all {} connections for blocking commands were in use (max_blocking_connections)",
                home.cfg.max_blocking
            )))
        })?,
        None => acquire.await,
    }
    .map_err(|_| Error::closed())?;
    // An idle connection that was lost meanwhile is closed for good (see below).
    let idle = {
        let mut idle = home.idle.lock().unwrap_or_else(|e| e.into_inner());
        idle.retain(|c| !c.is_closed());
        idle.pop()
    };
    // Never remade once lost: a reconnected WATCH connection would run EXEC unwatched.
    let conn = idle.unwrap_or_else(|| Connection::spawn_once(home.cfg.clone()));
    Ok(Lease { conn, home: home.clone(), _permit: permit })
}
