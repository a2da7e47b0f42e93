//! [`Dedicated`]: connections of their own, for what would stall a shared one (blocking
//! commands, WATCH transactions, blocking pipelines, WAIT), at most
//! [`max_blocking_connections`](crate::Builder::max_blocking_connections) at a time; beyond
//! the cap, callers wait for one to come back, within their deadline.

use std::sync::{Arc, Mutex};

use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use crate::command::{CommandInfo, Encoded, Flags, OFFSET_PROBE};
use crate::config::Config;
use crate::connection::{Answer, Connection};
use crate::deadline::Deadline;
use crate::request::Pending;
use crate::Error;

/// Idle dedicated connections kept for reuse; more are closed when returned.
const MAX_IDLE: usize = 4;

/// The dedicated connections of one server (or cluster node).
pub(crate) struct Dedicated {
    cfg: Arc<Config>,
    idle: Mutex<Vec<Connection>>,
    /// One permit per connection in use.
    leases: Arc<Semaphore>,
}

/// A dedicated connection in use; its permit goes back when it is dropped.
pub(crate) struct Lease {
    conn: Connection,
    _permit: OwnedSemaphorePermit,
}

impl std::ops::Deref for Lease {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl Dedicated {
    /// No connections yet; they connect with `cfg` (to its hosts) when first used.
    pub(crate) fn new(cfg: &Config) -> Dedicated {
        Dedicated {
            cfg: Arc::new(Config { auto_connect: true, ..cfg.clone() }),
            idle: Mutex::default(),
            leases: Arc::new(Semaphore::new(cfg.max_blocking.max(1))),
        }
    }

    /// An idle connection, or a new one, once fewer than the cap are in use; waits for one to
    /// come back until `deadline`, then fails with [`ErrorKind::Timeout`](crate::ErrorKind).
    pub(crate) async fn checkout(&self, deadline: Option<Deadline>) -> Result<Lease, Error> {
        let acquire = self.leases.clone().acquire_owned();
        let permit = match deadline {
            Some(d) => tokio::time::timeout_at(d.instant(), acquire).await.map_err(|_| {
                Error::timeout(d.timeout()).with_source(Error::config(format!(
                    "all {} connections for blocking commands were in use (max_blocking_connections)",
                    self.cfg.max_blocking
                )))
            })?,
            None => acquire.await,
        }
        .map_err(|_| Error::closed())?;
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = idle.unwrap_or_else(|| Connection::spawn(self.cfg.clone()));
        Ok(Lease { conn, _permit: permit })
    }

    /// Returns a connection whose requests are all answered.
    pub(crate) fn checkin(&self, lease: Lease) {
        let Lease { conn, _permit } = lease;
        if conn.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }

    /// Runs a blocking command on a dedicated connection, which goes back to the idle set once
    /// answered, or is closed (ending the block on the server) if the caller gives up first.
    /// A command that counts its connection's writes (WAIT) goes right after the offset probe.
    pub(crate) fn submit(
        self: &Arc<Self>,
        bytes: Encoded,
        info: &'static CommandInfo,
        deadline: Option<Deadline>,
    ) -> Pending {
        let dedicated = self.clone();
        let (mut tx, rx) = oneshot::channel::<Answer>();
        tokio::spawn(async move {
            let lease = tokio::select! {
                lease = dedicated.checkout(deadline) => lease,
                _ = tx.closed() => return,
            };
            let lease = match lease {
                Ok(lease) => lease,
                Err(e) => {
                    let _ = tx.send(Answer { result: Err(e.with_command(info.name)), request: Some(bytes) });
                    return;
                }
            };
            let mut inner = if info.flags.contains(Flags::SYNCS_OFFSET) {
                let probed = OFFSET_PROBE.iter().chain(bytes.as_bytes()).copied().collect();
                let batch = lease.submit_batch(Encoded::concat(probed), 2, info, deadline);
                Pending::prefixed(batch, bytes, deadline)
            } else {
                lease.submit(bytes, info, deadline)
            };
            tokio::select! {
                answer = std::future::poll_fn(|cx| inner.poll_answer_raw(cx)) => {
                    dedicated.checkin(lease);
                    let _ = tx.send(answer);
                }
                _ = tx.closed() => drop(lease),
            }
        });
        Pending::waiting(rx, deadline)
    }

    /// Lets go of the idle connections.
    pub(crate) fn close_idle(&self) -> Vec<Connection> {
        std::mem::take(&mut *self.idle.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
