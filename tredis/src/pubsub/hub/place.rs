//! Where subscriptions go, and where they move. On one server, nothing moves: a lost
//! connection is remade and resubscribes. In a cluster, channels and patterns live on one
//! node, any will do, as a message published anywhere reaches every node; when that node is
//! gone they move to another primary at once. A shard channel lives on the primary of its
//! slot: when the node is gone, it moves once the cluster has promoted a replica; when the
//! slot moves (the server ends the subscription itself), it follows the slot.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::{encode, Hub, Kind, Place, State, SUBSCRIBE};
use crate::cluster::{slot, Cluster};
use crate::config::Addr;
use crate::deadline::Deadline;
use crate::log;
use crate::pubsub::Event;

/// How long one attempt to subscribe on a node may take.
const ATTEMPT: Duration = Duration::from_secs(5);

/// How often a lost node's subscriptions are looked at again, until they are in place.
const RETRY: Duration = Duration::from_millis(300);

impl Hub {
    /// The server for a new subscription of `kind` to `channel`.
    pub(super) fn target(&self, s: &mut State, kind: Kind, channel: &Bytes) -> Addr {
        match &self.place {
            Place::One(pool) => pool.addr().clone(),
            Place::Cluster(c) => match kind {
                Kind::Shard => c.owner(slot(channel)).addr().clone(),
                _ => s.classic.get_or_insert_with(|| classic_node(c, None)).clone(),
            },
        }
    }
}

/// A primary for channels and patterns, not `avoid`, preferably one that is up.
fn classic_node(c: &Cluster, avoid: Option<&Addr>) -> Addr {
    let primaries = c.primaries();
    let other = |p: &&Arc<crate::pool::Pool>| Some(p.addr()) != avoid;
    primaries
        .iter()
        .filter(other)
        .find(|p| p.is_up())
        .or_else(|| primaries.iter().find(other))
        .or(primaries.first())
        .map(|p| p.addr().clone())
        .expect("a cluster map has a primary")
}

/// Channels grouped into commands: by server, and shard channels by slot too (one
/// SSUBSCRIBE may not span slots).
pub(super) fn groups(kind: Kind, items: Vec<(Bytes, Addr)>) -> Vec<(Addr, Vec<Bytes>)> {
    let mut out: Vec<(Addr, u16, Vec<Bytes>)> = Vec::new();
    for (c, at) in items {
        let s = if kind == Kind::Shard { slot(&c) } else { 0 };
        match out.iter_mut().find(|g| g.0 == at && g.1 == s) {
            Some(g) => g.2.push(c),
            None => out.push((at, s, vec![c])),
        }
    }
    out.into_iter().map(|(at, _, c)| (at, c)).collect()
}

/// After the connection to cluster node `at` was lost: moves its subscriptions where they
/// belong now, until none is left there or the node is back (its connection then
/// resubscribes what stays).
pub(super) async fn move_from(hub: Arc<Hub>, at: Addr) {
    let Place::Cluster(c) = &hub.place else { return };
    let c = c.clone();
    let weak = Arc::downgrade(&hub);
    drop(hub);
    loop {
        tokio::time::sleep(RETRY).await;
        let Some(hub) = weak.upgrade() else { return };
        if hub.link(&at).conn().is_connected() {
            return;
        }
        if !hub.lock().holds_at(&at) {
            hub.lock().back(&at);
            return;
        }
        c.refreshed(RETRY).await;
        let moves = hub.lock().moves(&c, &at);
        for kind in Kind::ALL {
            let of_kind =
                moves.iter().filter(|m| m.0 == kind).map(|(_, n, to)| (n.clone(), to.clone())).collect();
            for (to, channels) in groups(kind, of_kind) {
                let info = &SUBSCRIBE[kind.index()];
                let answer = hub
                    .link(&to)
                    .conn()
                    .submit(encode(info.name, &channels), info, Deadline::within(Some(ATTEMPT)))
                    .await;
                let failed = match &answer.result {
                    Ok(v) => v.as_error().map(|e| String::from_utf8_lossy(e).into_owned()),
                    Err(e) => Some(e.to_string()),
                };
                if let Some(why) = failed {
                    // Tried again on the next round, from where it was.
                    log::debug!("moving subscriptions from {} to {} failed: {}", at, to, why);
                    hub.lock().put_back(kind, &channels, &at);
                }
            }
        }
        if !hub.lock().holds_at(&at) {
            hub.lock().back(&at);
            return;
        }
    }
}

/// The slot of shard channel `channel` moved away from `at`, and the server ended the
/// subscription: it is made again on the slot's new primary.
pub(super) async fn follow_slot(hub: Arc<Hub>, at: Addr, channel: Bytes) {
    let Place::Cluster(c) = &hub.place else { return };
    let c = c.clone();
    for _ in 0..50 {
        c.refreshed(RETRY).await;
        let to = c.owner(slot(&channel)).addr().clone();
        {
            let mut s = hub.lock();
            match s.channels[Kind::Shard.index()].get_mut(&channel) {
                Some(ch) => ch.at = to.clone(),
                // Unsubscribed meanwhile.
                None => return s.back(&at),
            }
        }
        let info = &SUBSCRIBE[Kind::Shard.index()];
        let answer = hub
            .link(&to)
            .conn()
            .submit(encode(info.name, std::slice::from_ref(&channel)), info, Deadline::within(Some(ATTEMPT)))
            .await;
        if answer.result.as_ref().is_ok_and(|v| v.as_error().is_none()) {
            return hub.lock().back(&at);
        }
        // The map is not fresh yet (MOVED), or the node not ready: again, soon.
        tokio::time::sleep(RETRY).await;
    }
    let mut s = hub.lock();
    let cause = crate::Error::connect(format!(
        "shard channel {} could not follow its slot to a new node",
        String::from_utf8_lossy(&channel)
    ));
    for m in s.members.values_mut().filter(|m| m.gapped) {
        m.queue.push(Event::ResubscribeFailed { cause: cause.duplicate() });
    }
}

impl State {
    /// Whether any subscription is held at `at`.
    fn holds_at(&self, at: &Addr) -> bool {
        self.channels.iter().any(|map| map.values().any(|c| c.at == *at))
    }

    /// The subscriptions at lost node `at` that belong elsewhere now, moved there in the
    /// books: channels and patterns to another primary, shard channels to their slot's
    /// primary once it is another node.
    fn moves(&mut self, c: &Cluster, at: &Addr) -> Vec<(Kind, Bytes, Addr)> {
        if self.classic.as_ref() == Some(at) {
            self.classic = Some(classic_node(c, Some(at)));
        }
        let classic = self.classic.clone();
        let mut moves = Vec::new();
        for kind in Kind::ALL {
            for (name, ch) in self.channels[kind.index()].iter_mut().filter(|(_, ch)| ch.at == *at) {
                let to = match kind {
                    Kind::Shard => c.owner(slot(name)).addr().clone(),
                    _ => classic.clone().unwrap_or_else(|| at.clone()),
                };
                if to != *at {
                    ch.at = to.clone();
                    moves.push((kind, name.clone(), to));
                }
            }
        }
        moves
    }

    /// Channels whose move failed are back at `at`, to be moved again.
    fn put_back(&mut self, kind: Kind, channels: &[Bytes], at: &Addr) {
        for name in channels {
            if let Some(ch) = self.channels[kind.index()].get_mut(name) {
                ch.at = at.clone();
            }
        }
    }
}
