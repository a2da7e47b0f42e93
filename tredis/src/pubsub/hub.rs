//! [`Hub`]: the subscriptions of one client on one connection. It knows which subscriber holds
//! which channel, so that a message goes to each subscriber of its channel, a channel is
//! unsubscribed on the server only when its last subscriber lets go, and every subscription
//! is made again after a reconnect.
//!
//! On RESP3 the subscriptions ride the first shared connection of the primary's pool, beside
//! ordinary commands; on RESP2, where a subscribed connection takes nothing else, a connection
//! of the hub's own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::{Event, Kind, Message, Queue};
use crate::cluster::Args;
use crate::command::{CommandInfo, Encoded, Flags};
use crate::config::Config;
use crate::connection::{Connection, Pending, PushSink};
use crate::deadline::Deadline;
use crate::log;
use crate::pool::Pool;
use crate::resp::{bulk, Value};
use crate::Error;

/// The commands that make subscriptions again after a reconnect, by kind.
static SUBSCRIBE: [CommandInfo; 3] = [
    CommandInfo { name: "SUBSCRIBE", flags: Flags::SUBSCRIBES, key_specs: &[], tips: &[] },
    CommandInfo { name: "PSUBSCRIBE", flags: Flags::SUBSCRIBES, key_specs: &[], tips: &[] },
    CommandInfo { name: "SSUBSCRIBE", flags: Flags::SUBSCRIBES, key_specs: &[], tips: &[] },
];

/// The commands that end subscriptions, by kind.
const UNSUBSCRIBE: [&str; 3] = ["UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"];

/// The connection a hub's subscriptions ride.
enum Carrier {
    /// The first shared connection of a pool (RESP3).
    Shared(Arc<Pool>),
    /// A subscriber connection of its own (RESP2).
    Own(Connection),
}

pub(crate) struct Hub {
    carrier: Carrier,
    state: Mutex<State>,
    /// Messages a subscriber's buffer takes.
    capacity: usize,
}

#[derive(Default)]
struct State {
    next_id: u64,
    subscribers: HashMap<u64, Member>,
    /// By kind: each channel's subscribers, each with whether it was told of the server's
    /// confirmation.
    channels: [HashMap<Bytes, Vec<(u64, bool)>>; 3],
    /// By kind: unsubscriptions sent and not yet confirmed, so that their confirmations are
    /// not taken for the server ending a subscription by itself.
    leaving: [HashMap<Bytes, u32>; 3],
}

struct Member {
    queue: Arc<Queue>,
    /// Told of a gap, not yet of the resubscription.
    gapped: bool,
}

impl Hub {
    /// A hub on the first shared connection of `pool` (RESP3).
    pub(crate) fn shared(pool: Arc<Pool>, capacity: usize) -> Arc<Hub> {
        let hub = Arc::new(Hub { carrier: Carrier::Shared(pool), state: Mutex::default(), capacity });
        hub.attach();
        hub
    }

    /// A hub with a subscriber connection of its own, connecting as `cfg` says (RESP2).
    pub(crate) fn own(cfg: &Config, capacity: usize) -> Arc<Hub> {
        let cfg = Arc::new(Config { auto_connect: true, ..cfg.clone() });
        let conn = Connection::spawn_subscriber(cfg);
        let hub = Arc::new(Hub { carrier: Carrier::Own(conn), state: Mutex::default(), capacity });
        hub.attach();
        hub
    }

    fn attach(self: &Arc<Self>) {
        let sink: Arc<dyn PushSink> = self.clone();
        if !self.conn().set_sink(sink) {
            log::warning!("a connection already had a push sink; its subscriptions stay with it");
        }
    }

    fn conn(&self) -> &Connection {
        match &self.carrier {
            Carrier::Shared(pool) => pool.first(),
            Carrier::Own(conn) => conn,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new subscriber: its id, and the buffer its events arrive in.
    pub(crate) fn join(&self) -> (u64, Arc<Queue>) {
        let queue = Arc::new(Queue::new(self.capacity));
        let mut s = self.lock();
        let id = s.next_id;
        s.next_id += 1;
        s.subscribers.insert(id, Member { queue: queue.clone(), gapped: false });
        (id, queue)
    }

    /// A subscriber goes: the channels nobody else holds are unsubscribed on the server.
    pub(crate) fn leave(&self, id: u64) {
        let mut commands = Vec::new();
        {
            let mut s = self.lock();
            s.subscribers.remove(&id);
            for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
                let held: Vec<Bytes> = s.channels[kind.index()]
                    .iter()
                    .filter(|(_, subs)| subs.iter().any(|(i, _)| *i == id))
                    .map(|(c, _)| c.clone())
                    .collect();
                let gone = s.release(kind, id, held);
                if !gone.is_empty() {
                    commands.push(unsubscribe(kind, &gone));
                }
            }
        }
        // Nobody waits for the confirmations: they are matched and dropped.
        for (bytes, info) in commands {
            self.conn().submit_detached(bytes, info);
        }
    }

    /// Sends subscriber `id`'s subscribe-family command, keeping the books first: messages
    /// of a new channel may arrive right after its confirmation, and an unsubscription only
    /// reaches the server for channels no other subscriber holds.
    pub(crate) fn send(
        &self,
        id: u64,
        request: Encoded,
        info: &'static CommandInfo,
        deadline: Option<Deadline>,
    ) -> Pending {
        let (Some((kind, subscribes)), Some(args)) =
            (Kind::of(info.name.as_bytes()), Args::of(request.as_bytes()))
        else {
            return Pending::failed(
                Error::protocol("not a subscribe-family request").with_command(info.name),
            );
        };
        let named: Vec<Bytes> = args.iter().skip(1).map(Bytes::copy_from_slice).collect();
        let mut s = self.lock();
        if subscribes {
            if named.is_empty() {
                return Pending::failed(Error::argument("name at least one channel").with_command(info.name));
            }
            for c in named {
                // Already confirmed for another subscriber: this one is told at once.
                let confirmed = s.channels[kind.index()].get(&c).is_some_and(|v| v.iter().any(|e| e.1));
                if confirmed {
                    if let Some(m) = s.subscribers.get(&id) {
                        m.queue.push(Event::Subscribed { kind, channel: c.clone() });
                    }
                }
                let subs = s.channels[kind.index()].entry(c).or_default();
                if !subs.iter().any(|(i, _)| *i == id) {
                    subs.push((id, confirmed));
                }
            }
            drop(s);
            return self.conn().submit(request, info, deadline);
        }
        let named = if named.is_empty() {
            s.channels[kind.index()]
                .iter()
                .filter(|(_, subs)| subs.iter().any(|(i, _)| *i == id))
                .map(|(c, _)| c.clone())
                .collect()
        } else {
            named
        };
        let gone = s.release(kind, id, named);
        // The confirmation by the books: after a lost connection, the unsubscribed channels
        // are not made again, so they are gone all the same.
        let name = Bytes::from(info.name.to_ascii_lowercase());
        let books = Value::Push(vec![Value::Bulk(name), Value::Null, Value::Int(s.count(kind))]);
        if gone.is_empty() {
            return Pending::ready(books);
        }
        drop(s);
        let (bytes, _) = unsubscribe(kind, &gone);
        self.conn().submit(bytes, info, deadline).or_when_lost(books)
    }

    /// Moves its own connection to the current primary (RESP2; on RESP3 the pool moves).
    pub(crate) fn relocate(&self) {
        if let Carrier::Own(conn) = &self.carrier {
            conn.relocate();
        }
    }

    /// Ends every subscriber's stream, and closes its own connection.
    pub(crate) async fn close(&self) {
        let queues: Vec<Arc<Queue>> = self.lock().subscribers.values().map(|m| m.queue.clone()).collect();
        queues.iter().for_each(|q| q.close());
        if let Carrier::Own(conn) = &self.carrier {
            conn.close().await;
        }
    }

    /// Hands a message to every subscriber of `key` (its channel or pattern).
    fn deliver(&self, kind: Kind, key: &Bytes, message: Message) {
        let s = self.lock();
        let Some(subs) = s.channels[kind.index()].get(key) else { return };
        let mut message = Some(message);
        for (i, (id, _)) in subs.iter().enumerate() {
            let Some(m) = s.subscribers.get(id) else { continue };
            // The last subscriber takes the message itself; the others a copy (Bytes: cheap).
            let msg = if i + 1 == subs.len() { message.take() } else { message.clone() };
            if let Some(msg) = msg {
                m.queue.push(Event::Message(msg));
            }
        }
    }
}

impl State {
    /// Subscriber `id` lets go of `channels`; returns those nobody holds any more, now being
    /// unsubscribed.
    fn release(&mut self, kind: Kind, id: u64, channels: Vec<Bytes>) -> Vec<Bytes> {
        let mut gone = Vec::new();
        for c in channels {
            let map = &mut self.channels[kind.index()];
            let Some(subs) = map.get_mut(&c) else { continue };
            subs.retain(|(i, _)| *i != id);
            if subs.is_empty() {
                map.remove(&c);
                *self.leaving[kind.index()].entry(c.clone()).or_default() += 1;
                gone.push(c);
            }
        }
        gone
    }

    /// What the server counts after a confirmation of `kind`: channels and patterns
    /// together, shard channels apart.
    fn count(&self, kind: Kind) -> i64 {
        let n = match kind {
            Kind::Shard => self.channels[Kind::Shard.index()].len(),
            _ => self.channels[Kind::Channel.index()].len() + self.channels[Kind::Pattern.index()].len(),
        };
        n as i64
    }
}

/// `UNSUBSCRIBE` (of `kind`) of `channels`.
fn unsubscribe(kind: Kind, channels: &[Bytes]) -> (Encoded, &'static CommandInfo) {
    static INFO: [CommandInfo; 3] = [
        CommandInfo { name: UNSUBSCRIBE[0], flags: Flags::SUBSCRIBES, key_specs: &[], tips: &[] },
        CommandInfo { name: UNSUBSCRIBE[1], flags: Flags::SUBSCRIBES, key_specs: &[], tips: &[] },
        CommandInfo { name: UNSUBSCRIBE[2], flags: Flags::SUBSCRIBES, key_specs: &[], tips: &[] },
    ];
    let info = &INFO[kind.index()];
    (encode(info.name, channels), info)
}

fn encode(name: &str, args: &[Bytes]) -> Encoded {
    let mut buf = format!("*{}\r\n", args.len() + 1).into_bytes();
    bulk(&mut buf, name.as_bytes());
    args.iter().for_each(|a| bulk(&mut buf, a));
    Encoded::concat(buf)
}

/// The bytes of a frame's element `i`.
fn item(items: &[Value], i: usize) -> Option<Bytes> {
    match items.get(i)? {
        Value::Bulk(b) | Value::Simple(b) => Some(b.clone()),
        _ => None,
    }
}

impl PushSink for Hub {
    fn push(&self, frame: Value) {
        let items = match &frame {
            Value::Push(items) | Value::Array(items) => items,
            _ => return crate::connection::unrouted(&frame),
        };
        let name = crate::connection::push_kind(items).map(|k| k.to_ascii_lowercase()).unwrap_or_default();
        let confirms = Kind::of(&name);
        match name.as_slice() {
            b"message" | b"smessage" => {
                let k = if name[0] == b's' { Kind::Shard } else { Kind::Channel };
                if let (Some(channel), Some(payload)) = (item(items, 1), item(items, 2)) {
                    self.deliver(
                        k,
                        &channel,
                        Message { kind: k, channel: channel.clone(), pattern: None, payload },
                    );
                }
            }
            b"pmessage" => {
                if let (Some(pattern), Some(channel), Some(payload)) =
                    (item(items, 1), item(items, 2), item(items, 3))
                {
                    let message =
                        Message { kind: Kind::Pattern, channel, pattern: Some(pattern.clone()), payload };
                    self.deliver(Kind::Pattern, &pattern, message);
                }
            }
            _ if confirms.is_some_and(|(_, subscribes)| subscribes) => {
                let (Some((kind, _)), Some(channel)) = (confirms, item(items, 1)) else { return };
                let mut s = self.lock();
                let State { channels, subscribers, .. } = &mut *s;
                for (id, told) in channels[kind.index()].get_mut(&channel).into_iter().flatten() {
                    if !*told {
                        *told = true;
                        if let Some(m) = subscribers.get(id) {
                            m.queue.push(Event::Subscribed { kind, channel: channel.clone() });
                        }
                    }
                }
            }
            _ if confirms.is_some() => {
                let (Some((kind, _)), Some(channel)) = (confirms, item(items, 1)) else { return };
                let mut s = self.lock();
                let leaving = &mut s.leaving[kind.index()];
                if let Some(n) = leaving.get_mut(&channel) {
                    // The confirmation of our own unsubscription.
                    *n -= 1;
                    if *n == 0 {
                        leaving.remove(&channel);
                    }
                    return;
                }
                // The server ended it by itself: its subscribers are told, and it is gone.
                let Some(subs) = s.channels[kind.index()].remove(&channel) else { return };
                for (id, _) in subs {
                    if let Some(m) = s.subscribers.get(&id) {
                        m.queue.push(Event::Unsubscribed { kind, channel: channel.clone() });
                    }
                }
            }
            _ => crate::connection::unrouted(&frame),
        }
    }

    fn lost(&self, cause: &Error) {
        let mut s = self.lock();
        let State { channels, subscribers, .. } = &mut *s;
        for (id, m) in subscribers.iter_mut() {
            let holds = channels.iter().any(|map| map.values().any(|subs| subs.iter().any(|(i, _)| i == id)));
            if holds {
                m.gapped = true;
                m.queue.push(Event::Gap { cause: cause.duplicate() });
            }
        }
    }

    fn resubscribe(&self) -> Vec<(Encoded, &'static CommandInfo)> {
        let s = self.lock();
        let mut commands = Vec::new();
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            let channels: Vec<Bytes> = s.channels[kind.index()].keys().cloned().collect();
            if !channels.is_empty() {
                let info = &SUBSCRIBE[kind.index()];
                commands.push((encode(info.name, &channels), info));
            }
        }
        commands
    }

    fn resubscribed(&self, outcome: Result<(), Error>) {
        let mut s = self.lock();
        for m in s.subscribers.values_mut().filter(|m| m.gapped) {
            match &outcome {
                Ok(()) => {
                    m.gapped = false;
                    m.queue.push(Event::Resubscribed);
                }
                Err(e) => m.queue.push(Event::ResubscribeFailed { cause: e.duplicate() }),
            }
        }
    }
}
