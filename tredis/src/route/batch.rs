//! Batches: pipelines and transactions. A batch runs on one connection as a unit (a
//! dedicated one if any of its commands blocks), except a cluster pipeline without blocking
//! commands, whose commands each go their own way. In a cluster, a transaction that the
//! server refused whole because its slot moved (EXECABORT: nothing ran) is sent again whole
//! where the slot now is.

use std::sync::Arc;

use super::{Router, Topology};
use crate::command::{Blocking, CommandInfo, Encoded, Flags, ASKING, MULTI};
use crate::connection::{refused_probe, BatchAnswer};
use crate::deadline::Deadline;
use crate::pool::Pool;
use crate::resp::Value;
use crate::Error;

/// How many times a cluster transaction is sent again after its slot moved.
const MAX_TX_REDIRECTS: u32 = 5;

impl Router {
    /// A cluster pipeline without blocking commands: each command on its own route, its
    /// result alone. `None` without clustering.
    pub(crate) async fn run_pipeline_in_cluster(
        &self,
        bytes: &[u8],
        infos: &[&'static CommandInfo],
    ) -> Option<Vec<Result<Value, Error>>> {
        let Topology::Cluster(c, _) = &self.topology else { return None };
        Some(c.run_pipeline(bytes, infos, self.deadline(Blocking::No, None)).await)
    }

    /// Sends `n` commands encoded back to back as a unit. `infos` are those of the commands,
    /// for routing them in a cluster.
    pub(crate) async fn run_batch(
        &self,
        bytes: Encoded,
        n: usize,
        info: &'static CommandInfo,
        blocking: Blocking,
        infos: &[&'static CommandInfo],
    ) -> BatchAnswer {
        let deadline = self.deadline(blocking, None);
        let probe = syncs_offset(blocking, infos);
        let c = match &self.topology {
            Topology::Standalone(s) => {
                return send(&s.primary, bytes, n, info, blocking, deadline, probe).await
            }
            Topology::Cluster(c, _) => c,
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
        let is_tx = blocking == Blocking::No && bytes.as_bytes().starts_with(MULTI);
        let (mut bytes, mut ask, mut redirects) = (bytes, false, 0);
        loop {
            let mut answer = if ask {
                let mut buf = Vec::with_capacity(bytes.as_bytes().len() + 20);
                buf.extend_from_slice(ASKING);
                buf.extend_from_slice(bytes.as_bytes());
                let mut a = send(&node, Encoded::concat(buf), n + 1, info, blocking, deadline, probe).await;
                if !a.values.is_empty() {
                    a.values.remove(0);
                }
                a.request = Some(bytes);
                a
            } else {
                send(&node, bytes, n, info, blocking, deadline, probe).await
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
}

/// Sends a batch as a unit to `pool`: on a dedicated connection if any command blocks,
/// after the offset probe when one of them counts the connection's writes (WAIT).
async fn send(
    pool: &Arc<Pool>,
    bytes: Encoded,
    n: usize,
    info: &'static CommandInfo,
    blocking: Blocking,
    deadline: Option<Deadline>,
    probe: bool,
) -> BatchAnswer {
    if probe {
        let (probe, replies) = pool.offset_probe();
        let probed = probe.iter().chain(bytes.as_bytes()).copied().collect();
        let mut a =
            Box::pin(send(pool, Encoded::concat(probed), n + replies, info, blocking, deadline, false)).await;
        if a.values.len() >= replies {
            let probe_replies: Vec<Value> = a.values.drain(..replies).collect();
            if let Some(refused) = refused_probe(&probe_replies) {
                // Without its offset brought up to date, a WAIT in the batch counts nothing.
                let e = refused.as_error().cloned().unwrap_or_default();
                a.error.get_or_insert(Error::server(&e).with_command(info.name));
                a.values.clear();
            }
        } else {
            a.values.clear();
        }
        a.request = Some(bytes);
        return a;
    }
    let (rx, lease) = match blocking {
        Blocking::No => (pool.conn().submit_batch(bytes, n, info, deadline), None),
        _ => match pool.checkout(deadline).await {
            Ok(lease) => (lease.submit_batch(bytes, n, info, deadline), Some(lease)),
            Err(e) => {
                return BatchAnswer {
                    values: Vec::new(),
                    error: Some(e.with_command(info.name)),
                    request: Some(bytes),
                }
            }
        },
    };
    // The connection answers by the deadline.
    let answer = rx.await.unwrap_or_else(|_| BatchAnswer {
        values: Vec::new(),
        error: Some(Error::indeterminate("the connection task stopped")),
        request: None,
    });
    // A connection whose batch was cut short may still block; it is closed instead.
    if let Some(lease) = lease.filter(|_| answer.error.is_none()) {
        lease.release();
    }
    answer
}

/// Whether a batch must go after the offset probe: it blocks (so it has a connection of its
/// own) and holds a command that counts the connection's writes.
fn syncs_offset(blocking: Blocking, infos: &[&'static CommandInfo]) -> bool {
    blocking != Blocking::No && infos.iter().any(|i| i.flags.contains(Flags::SYNCS_OFFSET))
}
