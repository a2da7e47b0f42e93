//! The cluster as the client knows it: which shard serves each slot, and the nodes of each
//! shard with their connection pools. A topology never changes once built; a refresh builds a
//! new one, and the nodes the two share keep their connections.

use std::sync::Arc;

use super::slots::SLOTS;
use crate::command::{key_probe, KEY_PROBE_REPLIES};
use crate::config::Addr;
use crate::pool::Pool;
use crate::reply::ClusterSlotRange;
use crate::Error;

/// A primary and its replicas.
pub(crate) struct Shard {
    pub primary: Arc<Pool>,
    pub replicas: Vec<Arc<Pool>>,
}

/// No shard serves the slot.
const UNASSIGNED: u16 = u16::MAX;

/// Slot to shard, and the shards.
pub(crate) struct Topology {
    slots: Box<[u16]>,
    pub shards: Vec<Shard>,
}

impl Topology {
    /// Before the first refresh: every slot to a seed node. A wrong guess costs one MOVED.
    pub(crate) fn seed(node: Arc<Pool>) -> Topology {
        Topology {
            slots: vec![0; SLOTS].into_boxed_slice(),
            shards: vec![Shard { primary: node, replicas: Vec::new() }],
        }
    }

    /// From CLUSTER SLOTS, as answered by the node at `asked`; `node` gives the node for an
    /// address (reusing the one already known).
    pub(crate) fn from_slots(
        ranges: Vec<ClusterSlotRange>,
        asked: &Addr,
        mut node: impl FnMut(Addr) -> Arc<Pool>,
    ) -> Result<Topology, Error> {
        let mut slots = vec![UNASSIGNED; SLOTS].into_boxed_slice();
        let mut shards: Vec<Shard> = Vec::new();
        for range in ranges {
            let mut addrs = range.nodes.iter().map(|n| endpoint(n.endpoint.as_deref(), n.port, asked));
            let Some(primary) = addrs.next() else { continue };
            let index = match shards.iter().position(|s| *s.primary.addr() == primary) {
                Some(i) => i,
                None => {
                    shards.push(Shard { primary: node(primary), replicas: addrs.map(&mut node).collect() });
                    shards.len() - 1
                }
            };
            let (start, end) = (usize::from(range.start), usize::from(range.end));
            if start > end || end >= SLOTS || index >= usize::from(UNASSIGNED) {
                return Err(Error::protocol(format!("CLUSTER SLOTS gave the range {start}-{end}")));
            }
            slots[start..=end].fill(index as u16);
        }
        if shards.is_empty() {
            return Err(Error::protocol(format!("{asked} serves no slots: is it a cluster node?")));
        }
        let topology = Topology { slots, shards };
        topology.give_offset_probes();
        Ok(topology)
    }

    /// Gives each primary an offset probe of a key in its slots (WAIT needs one that
    /// propagates: in a cluster, PUBLISH travels over the cluster bus on Redis 7.2+ and Valkey).
    /// Tags are tried in order until one falls in the shard: a few tries for a shard with a
    /// fair share of the slots.
    fn give_offset_probes(&self) {
        for (index, shard) in self.shards.iter().enumerate() {
            let tag = (0u32..)
                .map(|n| n.to_string())
                .take(1 << 20)
                .find(|tag| usize::from(self.slots[usize::from(super::slot(tag.as_bytes()))]) == index);
            if let Some(tag) = tag {
                shard.primary.set_offset_probe(key_probe(&tag), KEY_PROBE_REPLIES);
            }
        }
    }

    /// The shard serving `slot`, when one does.
    #[inline]
    pub(crate) fn shard(&self, slot: u16) -> Option<&Shard> {
        self.shards.get(usize::from(*self.slots.get(usize::from(slot))?))
    }

    /// A replica of `shard` that is up, picked by `hint`; the primary when none is.
    pub(crate) fn reader(shard: &Shard, hint: usize) -> &Arc<Pool> {
        let up = shard.replicas.iter().filter(|r| r.is_up()).count();
        if up == 0 {
            return &shard.primary;
        }
        shard.replicas.iter().filter(|r| r.is_up()).nth(hint % up).unwrap_or(&shard.primary)
    }

    /// Some primary, spreading keyless commands by `hint`.
    pub(crate) fn any_primary(&self, hint: usize) -> &Arc<Pool> {
        &self.shards[hint % self.shards.len()].primary
    }

    /// The slots whose primary differs from the one `old` had (or that one of the two leaves
    /// unserved).
    pub(crate) fn moved_from(&self, old: &Topology) -> Vec<u16> {
        let primary = |t: &Topology, slot: u16| t.shard(slot).map(|s| Arc::as_ptr(&s.primary));
        (0..SLOTS as u16).filter(|&slot| primary(self, slot) != primary(old, slot)).collect()
    }

    /// Every node.
    pub(crate) fn nodes(&self) -> impl Iterator<Item = &Arc<Pool>> {
        self.shards.iter().flat_map(|s| std::iter::once(&s.primary).chain(&s.replicas))
    }
}

/// A node's address from its preferred endpoint: `?`, empty or nil mean "the address you
/// asked", as the cluster specification says.
fn endpoint(endpoint: Option<&str>, port: u16, asked: &Addr) -> Addr {
    match endpoint {
        Some(host) if !host.is_empty() && host != "?" => Addr::Tcp { host: host.to_string(), port },
        _ => match asked {
            Addr::Tcp { host, .. } => Addr::Tcp { host: host.clone(), port },
            other => other.clone(),
        },
    }
}

/// The address of a `MOVED`/`ASK` redirection: `host:port` (IPv6 hosts have colons too).
pub(crate) fn parse_addr(text: &str, asked: Option<&Addr>) -> Option<Addr> {
    let (host, port) = text.rsplit_once(':')?;
    let port = port.parse().ok()?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return asked.map(|a| endpoint(None, port, a));
    }
    Some(Addr::Tcp { host: host.to_string(), port })
}
