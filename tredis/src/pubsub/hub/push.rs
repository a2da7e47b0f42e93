//! What the servers say to a hub: pushes (messages, confirmations, subscriptions the server
//! ended), lost connections, and the outcome of resubscribing.

use bytes::Bytes;

use super::{encode, place, Hub, Place, State, SUBSCRIBE};
use crate::command::{CommandInfo, Encoded};
use crate::config::Addr;
use crate::pubsub::{Event, Kind, Message};
use crate::resp::Value;
use crate::Error;

/// The message kinds, and the subscriptions they come from.
const MESSAGES: [(&[u8], Kind); 3] =
    [(b"message", Kind::Channel), (b"pmessage", Kind::Pattern), (b"smessage", Kind::Shard)];

impl Hub {
    /// A push from the server at `at`.
    pub(super) fn on_push(&self, at: &Addr, frame: Value) {
        let items = match &frame {
            Value::Push(items) | Value::Array(items) => items,
            _ => return crate::connection::unrouted(&frame),
        };
        // Servers send the kinds in lower case; matched without allocating, in any case.
        let name = crate::connection::push_kind(items).unwrap_or_default();
        let message = MESSAGES.iter().find(|(m, _)| m.eq_ignore_ascii_case(name)).map(|&(_, k)| k);
        match (message, Kind::of(name)) {
            (Some(k @ (Kind::Channel | Kind::Shard)), _) => {
                if let (Some(channel), Some(payload)) = (item(items, 1), item(items, 2)) {
                    self.deliver(
                        k,
                        &channel,
                        Message { kind: k, channel: channel.clone(), pattern: None, payload },
                    );
                }
            }
            (Some(Kind::Pattern), _) => {
                if let (Some(pattern), Some(channel), Some(payload)) =
                    (item(items, 1), item(items, 2), item(items, 3))
                {
                    let message =
                        Message { kind: Kind::Pattern, channel, pattern: Some(pattern.clone()), payload };
                    self.deliver(Kind::Pattern, &pattern, message);
                }
            }
            (_, Some((kind, true))) => {
                let Some(channel) = item(items, 1) else { return };
                let mut s = self.lock();
                let State { channels, members, .. } = &mut *s;
                for (id, told) in
                    channels[kind.index()].get_mut(&channel).map(|c| &mut c.subs).into_iter().flatten()
                {
                    if !*told {
                        *told = true;
                        if let Some(m) = members.get(id) {
                            m.queue.push(Event::Subscribed { kind, channel: channel.clone() });
                        }
                    }
                }
            }
            (_, Some((kind, false))) => {
                let Some(channel) = item(items, 1) else { return };
                self.on_unsubscribed(at, kind, channel);
            }
            _ => crate::connection::unrouted(&frame),
        }
    }

    /// An unsubscription confirmed by the server at `at`: ours, or the server ending a
    /// subscription by itself.
    fn on_unsubscribed(&self, at: &Addr, kind: Kind, channel: Bytes) {
        let mut s = self.lock();
        let leaving = &mut s.leaving[kind.index()];
        if let Some(n) = leaving.get_mut(&channel) {
            *n -= 1;
            if *n == 0 {
                leaving.remove(&channel);
            }
            return;
        }
        if !s.channels[kind.index()].get(&channel).is_some_and(|c| c.at == *at) {
            return;
        }
        // A cluster ends a shard channel's subscription when its slot moves: it is made
        // again where the slot went.
        if let (Place::Cluster(_), Kind::Shard) = (&self.place, kind) {
            let cause = Error::connect(format!(
                "the slot of shard channel {} moved",
                String::from_utf8_lossy(&channel)
            ));
            s.gap_holders(kind, &channel, &cause);
            s.down.insert(at.clone());
            drop(s);
            if let Some(hub) = self.me.upgrade() {
                tokio::spawn(place::follow_slot(hub, at.clone(), channel));
            }
            return;
        }
        let Some(ch) = s.channels[kind.index()].remove(&channel) else { return };
        for (id, _) in ch.subs {
            if let Some(m) = s.members.get(&id) {
                m.queue.push(Event::Unsubscribed { kind, channel: channel.clone() });
            }
        }
    }

    /// The connection to `at` was lost with subscriptions on it.
    pub(super) fn on_lost(&self, at: &Addr, cause: &Error) {
        let mut s = self.lock();
        if !s.gap(|c| c.at == *at, cause) {
            return;
        }
        s.down.insert(at.clone());
        drop(s);
        if let (Place::Cluster(_), Some(hub)) = (&self.place, self.me.upgrade()) {
            tokio::spawn(place::move_from(hub, at.clone()));
        }
    }

    /// The commands that make the subscriptions held at `at` again.
    pub(super) fn commands_at(&self, at: &Addr) -> Vec<(Encoded, &'static CommandInfo)> {
        let s = self.lock();
        let mut commands = Vec::new();
        for kind in Kind::ALL {
            let here = s.channels[kind.index()]
                .iter()
                .filter(|(_, c)| c.at == *at)
                .map(|(n, _)| (n.clone(), at.clone()));
            for (_, channels) in place::groups(kind, here.collect()) {
                let info = &SUBSCRIBE[kind.index()];
                commands.push((encode(info.name, &channels), info));
            }
        }
        commands
    }

    /// The subscriptions held at `at` were made again (or failed to be).
    pub(super) fn on_resubscribed(&self, at: &Addr, outcome: Result<(), Error>) {
        let mut s = self.lock();
        match outcome {
            Ok(()) => s.back(at),
            Err(e) => {
                let State { members, .. } = &mut *s;
                for m in members.values().filter(|m| m.gapped) {
                    m.queue.push(Event::ResubscribeFailed { cause: e.duplicate() });
                }
            }
        }
    }
}

/// The bytes of a frame's element `i`.
fn item(items: &[Value], i: usize) -> Option<Bytes> {
    match items.get(i)? {
        Value::Bulk(b) | Value::Simple(b) => Some(b.clone()),
        _ => None,
    }
}
