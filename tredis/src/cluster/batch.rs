//! Batches in a cluster: a transaction (or a blocking pipeline) runs on the one node of its
//! keys' slot and is sent again whole when the server refused it whole because the slot
//! moved; a plain pipeline's commands each go their own way.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::fanout::{self, RequestPolicy};
use super::keys::{key_slot, Args, KeySlot};
use super::topology::parse_addr;
use super::{refused, Cluster};
use crate::command::{CommandInfo, Encoded};
use crate::config::Addr;
use crate::connection::BatchAnswer;
use crate::deadline::Deadline;
use crate::pool::Pool;
use crate::resp::Value;
use crate::retry::Delivery;
use crate::spans::Op;
use crate::Error;

impl Cluster {
    /// The node of a batch whose keyed commands share one slot (a transaction, or a pipeline
    /// that fits on one node); any primary when none has keys.
    pub(crate) fn route_batch(
        &self,
        requests: &[u8],
        infos: &[&'static CommandInfo],
    ) -> Result<Arc<Pool>, Error> {
        let topology = self.topology();
        let mut found = KeySlot::None;
        // A transaction's MULTI has no keys, and no entry in `infos`.
        let mut rest = requests.strip_prefix(crate::command::MULTI).unwrap_or(requests);
        for info in infos {
            if refused(info) {
                return Err(Error::invalid_cluster("a cluster has only database 0").with_command(info.name));
            }
            if fanout::request_policy(info) != RequestPolicy::Keys && !fanout::one_node_suffices(info) {
                return Err(Error::invalid_cluster(
                    "it runs on several nodes, which a batch on one connection cannot do; send it on its own",
                )
                .with_command(info.name));
            }
            let Some((args, len)) = Args::of(rest).map(|a| (a, a.byte_len())) else { break };
            let slot = key_slot(info, args);
            rest = &rest[len.min(rest.len())..];
            found = match (found, slot) {
                (f, KeySlot::None | KeySlot::Unknown) => f,
                (KeySlot::None, s) => s,
                (KeySlot::One(a), KeySlot::One(b)) if a == b => KeySlot::One(a),
                _ => KeySlot::Cross,
            };
        }
        match found {
            KeySlot::One(slot) => Ok(topology
                .shard(slot)
                .map_or_else(|| topology.any_primary(usize::from(slot)), |s| &s.primary)
                .clone()),
            KeySlot::Cross => Err(Error::invalid_cluster(
                "its commands' keys hash to different slots; in a cluster a batch must stay in one slot (use a hash tag)",
            )),
            _ => Ok(topology.any_primary(self.spread.fetch_add(1, Ordering::Relaxed)).clone()),
        }
    }
    /// Where a transaction belongs that the server refused whole (EXECABORT, so nothing ran)
    /// because its slot moved: the node every refused command was MOVED to, or the node they
    /// were all sent to by ASK (with `true`: ASKING must go first). `None` for any other
    /// refusal. ASK is only followed when no command was queued: one that was still found on
    /// the source would create its key anew on the target.
    pub(crate) fn tx_redirect(self: &Arc<Self>, answer: &BatchAnswer) -> Option<(Arc<Pool>, bool)> {
        let (exec, queued) = answer.values.split_last()?;
        if answer.error.is_some() || !exec.as_error().is_some_and(|e| e.starts_with(b"EXECABORT")) {
            return None;
        }
        let mut target: Option<(Addr, bool)> = None;
        let mut any_queued = false;
        // The first reply is MULTI's.
        for reply in queued.iter().skip(1) {
            let Some(e) = reply.as_error() else {
                any_queued = true;
                continue;
            };
            let text = std::str::from_utf8(e).ok()?;
            let ask = match text.split(' ').next() {
                Some("MOVED") => false,
                Some("ASK") => true,
                _ => return None,
            };
            let addr = text.split(' ').nth(2).and_then(|a| parse_addr(a, self.cfg.hosts.first()))?;
            match &target {
                None => target = Some((addr, ask)),
                Some((a, k)) if *a == addr && *k == ask => {}
                Some(_) => return None,
            }
        }
        let (addr, ask) = target?;
        if ask && any_queued {
            return None;
        }
        if !ask {
            self.schedule_refresh();
        }
        Some((self.node(addr), ask))
    }

    /// A pipeline: each command routed on its own (the writers still coalesce the commands
    /// bound for one node into few writes), redirections followed, results in order. The
    /// pipeline's deadline bounds the whole: each command has it.
    pub(crate) async fn run_pipeline(
        self: &Arc<Self>,
        bytes: &[u8],
        infos: &[&'static CommandInfo],
        deadline: Option<Deadline>,
    ) -> Vec<Result<Value, Error>> {
        let mut rest = bytes;
        let mut parts = Vec::with_capacity(infos.len());
        for info in infos {
            let Some(len) = Args::of(rest).map(Args::byte_len) else { break };
            let one = Encoded::concat(rest[..len].to_vec());
            rest = &rest[len..];
            parts.push((self.submit(one, info, deadline), *info));
        }
        let mut results = Vec::with_capacity(parts.len());
        for (pending, info) in parts {
            results.push(Delivery::of(self, pending, info, false, deadline, Op::none()).await);
        }
        results
    }
}
