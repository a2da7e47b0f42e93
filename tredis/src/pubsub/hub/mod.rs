//! [`Hub`]: the subscriptions of one client. It keeps the books: which subscriber holds which
//! channel, and on which server the channel is subscribed. So a message goes to each
//! subscriber of its channel, a channel is unsubscribed on the server only when its last
//! subscriber lets go, and every subscription is made again after a reconnect, or moved when
//! its server is gone (see [`place`]).
//!
//! On RESP3 the subscriptions ride the first shared connection of the server's pool, beside
//! ordinary commands; on RESP2, where a subscribed connection takes nothing else, a connection
//! of the hub's own ([`link`]).

mod link;
mod place;
mod push;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};

use bytes::Bytes;

use super::{Event, Kind, Message, Queue};
use crate::cluster::{Args, Cluster};
use crate::command::{CommandInfo, Encoded, SUBSCRIBE, UNSUBSCRIBE};
use crate::config::{Addr, Config};
use crate::connection::{Answer, Pending};
use crate::deadline::Deadline;
use crate::pool::Pool;
use crate::resp::{bulk, Value};
use crate::Error;
use link::Link;

/// Where a hub's subscriptions go.
pub(crate) enum Place {
    /// The primary of a standalone server, hosts list or Sentinel group.
    One(Arc<Pool>),
    /// The nodes of a cluster: channels and patterns on one node (a message published on
    /// any node reaches every node), shard channels on the node of their slot.
    Cluster(Arc<Cluster>),
}

pub(crate) struct Hub {
    place: Place,
    /// How its own connections connect (RESP2).
    cfg: Config,
    /// Messages a subscriber's buffer takes.
    capacity: usize,
    state: Mutex<State>,
    links: Mutex<HashMap<Addr, Arc<Link>>>,
    me: Weak<Hub>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    members: HashMap<u64, Member>,
    /// By kind: each channel's subscribers and server.
    channels: [HashMap<Bytes, Channel>; 3],
    /// By kind: unsubscriptions sent and not yet confirmed, so that their confirmations are
    /// not taken for the server ending a subscription by itself.
    leaving: [HashMap<Bytes, u32>; 3],
    /// Servers whose subscriptions were lost and are not in place again yet.
    down: HashSet<Addr>,
    /// In a cluster: the node of the channel and pattern subscriptions.
    classic: Option<Addr>,
}

struct Channel {
    /// Each subscriber, with whether it was told of the server's confirmation.
    subs: Vec<(u64, bool)>,
    /// The server it is subscribed on.
    at: Addr,
}

struct Member {
    queue: Arc<Queue>,
    /// Told of a gap, not yet of the resubscription.
    gapped: bool,
}

impl Hub {
    /// A hub for the subscriptions of a client configured by `cfg`.
    pub(crate) fn new(place: Place, cfg: &Config) -> Arc<Hub> {
        Arc::new_cyclic(|me| Hub {
            place,
            cfg: cfg.clone(),
            capacity: cfg.subscriber_buffer,
            state: Mutex::default(),
            links: Mutex::default(),
            me: me.clone(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The link to the server at `addr`, made at first use.
    fn link(&self, addr: &Addr) -> Arc<Link> {
        let mut links = self.links.lock().unwrap_or_else(|e| e.into_inner());
        links
            .entry(addr.clone())
            .or_insert_with(|| {
                let (pool, cfg) = match &self.place {
                    Place::One(pool) => (pool.clone(), self.cfg.clone()),
                    Place::Cluster(c) => (c.pool(addr), Link::node_config(addr.clone(), &self.cfg)),
                };
                Arc::new(Link::new(self.me.clone(), addr.clone(), pool, &cfg))
            })
            .clone()
    }

    /// A new subscriber: its id, and the buffer its events arrive in.
    pub(crate) fn join(&self) -> (u64, Arc<Queue>) {
        let queue = Arc::new(Queue::new(self.capacity));
        let mut s = self.lock();
        let id = s.next_id;
        s.next_id += 1;
        s.members.insert(id, Member { queue: queue.clone(), gapped: false });
        (id, queue)
    }

    /// A subscriber goes: the channels nobody else holds are unsubscribed on the server.
    pub(crate) fn leave(&self, id: u64) {
        let mut gone = Vec::new();
        {
            let mut s = self.lock();
            s.members.remove(&id);
            for kind in Kind::ALL {
                let held = s.held(kind, id);
                gone.extend(s.release(kind, id, held).into_iter().map(|(c, at)| (kind, c, at)));
            }
        }
        // Nobody waits for the confirmations: they are matched and dropped.
        for kind in Kind::ALL {
            let of_kind =
                gone.iter().filter(|g| g.0 == kind).map(|(_, c, at)| (c.clone(), at.clone())).collect();
            for (at, channels) in place::groups(kind, of_kind) {
                let info = &UNSUBSCRIBE[kind.index()];
                self.link(&at).conn().submit_detached(encode(info.name, &channels), info);
            }
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
        if subscribes {
            if named.is_empty() {
                return Pending::failed(Error::argument("name at least one channel").with_command(info.name));
            }
            let targets = self.hold(id, kind, named);
            return match &self.place {
                // One server: the request goes as it is.
                Place::One(pool) => self.link(pool.addr()).conn().submit(request, info, deadline),
                Place::Cluster(_) => self.send_groups(info, place::groups(kind, targets), deadline, None),
            };
        }
        let mut s = self.lock();
        let named = if named.is_empty() { s.held(kind, id) } else { named };
        let gone = s.release(kind, id, named);
        // The confirmation by the books: after a lost connection, the unsubscribed channels
        // are not made again, so they are gone all the same.
        let name = Bytes::from(info.name.to_ascii_lowercase());
        let books = Value::Push(vec![Value::Bulk(name), Value::Null, Value::Int(s.count(kind))]);
        drop(s);
        if gone.is_empty() {
            return Pending::ready(books);
        }
        self.send_groups(info, place::groups(kind, gone), deadline, Some(books))
    }

    /// Subscriber `id` holds `channels` of `kind`; returns each with its server.
    fn hold(&self, id: u64, kind: Kind, channels: Vec<Bytes>) -> Vec<(Bytes, Addr)> {
        let mut s = self.lock();
        let mut targets = Vec::with_capacity(channels.len());
        for c in channels {
            let at = match s.channels[kind.index()].get(&c) {
                Some(ch) => ch.at.clone(),
                None => self.target(&mut s, kind, &c),
            };
            let State { channels, members, .. } = &mut *s;
            let ch = channels[kind.index()]
                .entry(c.clone())
                .or_insert_with(|| Channel { subs: Vec::new(), at: at.clone() });
            // Already confirmed for another subscriber: this one is told at once.
            let confirmed = ch.subs.iter().any(|e| e.1);
            if !ch.subs.iter().any(|(i, _)| *i == id) {
                ch.subs.push((id, confirmed));
                if confirmed {
                    if let Some(m) = members.get(&id) {
                        m.queue.push(Event::Subscribed { kind, channel: c.clone() });
                    }
                }
            }
            targets.push((c, at));
        }
        targets
    }

    /// Sends one command per group, each to its server; answers with the last confirmation,
    /// or the first failure. `lenient`: the answer when a connection is lost (see
    /// [`Pending::or_when_lost`]).
    fn send_groups(
        &self,
        info: &'static CommandInfo,
        groups: Vec<(Addr, Vec<Bytes>)>,
        deadline: Option<Deadline>,
        lenient: Option<Value>,
    ) -> Pending {
        let mut parts: Vec<Pending> = groups
            .into_iter()
            .map(|(at, channels)| {
                let p = self.link(&at).conn().submit(encode(info.name, &channels), info, deadline);
                match &lenient {
                    Some(v) => p.or_when_lost(v.clone()),
                    None => p,
                }
            })
            .collect();
        if parts.len() == 1 {
            return parts.pop().expect("one part");
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let mut last = Ok(Value::Null);
            for p in parts {
                let answer = p.await;
                match answer.result {
                    Ok(v) if v.as_error().is_none() => {
                        if last.as_ref().is_ok_and(|l: &Value| l.as_error().is_none()) {
                            last = Ok(v);
                        }
                    }
                    failed => {
                        if last.as_ref().is_ok_and(|l: &Value| l.as_error().is_none()) {
                            last = failed;
                        }
                    }
                }
            }
            let _ = tx.send(Answer { result: last, request: None });
        });
        Pending::waiting(rx)
    }

    /// Moves its own connections to the current primary (RESP2; on RESP3 the pool moves).
    pub(crate) fn relocate(&self) {
        self.links.lock().unwrap_or_else(|e| e.into_inner()).values().for_each(|l| l.relocate());
    }

    /// Ends every subscriber's stream, and closes its own connections.
    pub(crate) async fn close(&self) {
        let queues: Vec<Arc<Queue>> = self.lock().members.values().map(|m| m.queue.clone()).collect();
        queues.iter().for_each(|q| q.close());
        let links: Vec<Arc<Link>> =
            self.links.lock().unwrap_or_else(|e| e.into_inner()).values().cloned().collect();
        for l in links {
            l.close().await;
        }
    }

    /// Hands a message to every subscriber of `key` (its channel or pattern).
    fn deliver(&self, kind: Kind, key: &Bytes, message: Message) {
        let s = self.lock();
        let Some(ch) = s.channels[kind.index()].get(key) else { return };
        let mut message = Some(message);
        for (i, (id, _)) in ch.subs.iter().enumerate() {
            let Some(m) = s.members.get(id) else { continue };
            // The last subscriber takes the message itself; the others a copy (Bytes: cheap).
            let msg = if i + 1 == ch.subs.len() { message.take() } else { message.clone() };
            if let Some(msg) = msg {
                m.queue.push(Event::Message(msg));
            }
        }
    }
}

impl State {
    /// The channels of `kind` subscriber `id` holds.
    fn held(&self, kind: Kind, id: u64) -> Vec<Bytes> {
        self.channels[kind.index()]
            .iter()
            .filter(|(_, c)| c.subs.iter().any(|(i, _)| *i == id))
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Subscriber `id` lets go of `channels`; returns those nobody holds any more, with
    /// their servers, now being unsubscribed.
    fn release(&mut self, kind: Kind, id: u64, channels: Vec<Bytes>) -> Vec<(Bytes, Addr)> {
        let mut gone = Vec::new();
        for c in channels {
            let map = &mut self.channels[kind.index()];
            let Some(ch) = map.get_mut(&c) else { continue };
            ch.subs.retain(|(i, _)| *i != id);
            if ch.subs.is_empty() {
                let ch = map.remove(&c).expect("present");
                *self.leaving[kind.index()].entry(c.clone()).or_default() += 1;
                gone.push((c, ch.at));
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

    /// Tells every subscriber holding a channel that `lost` picks of a gap. Returns whether
    /// any did.
    fn gap(&mut self, lost: impl Fn(&Channel) -> bool, cause: &Error) -> bool {
        let State { channels, members, .. } = self;
        let mut any = false;
        for (id, m) in members.iter_mut() {
            let holds = channels
                .iter()
                .any(|map| map.values().any(|c| lost(c) && c.subs.iter().any(|(i, _)| i == id)));
            if holds {
                any = true;
                if !m.gapped {
                    m.gapped = true;
                    m.queue.push(Event::Gap { cause: cause.duplicate() });
                }
            }
        }
        any
    }

    /// Tells the subscribers of one channel of a gap.
    fn gap_holders(&mut self, kind: Kind, channel: &Bytes, cause: &Error) {
        let State { channels, members, .. } = self;
        for (id, _) in channels[kind.index()].get(channel).map(|c| c.subs.as_slice()).unwrap_or_default() {
            if let Some(m) = members.get_mut(id).filter(|m| !m.gapped) {
                m.gapped = true;
                m.queue.push(Event::Gap { cause: cause.duplicate() });
            }
        }
    }

    /// The subscriptions of `at` are in place again: once none is missing anywhere, the
    /// subscribers told of a gap are told it is over.
    fn back(&mut self, at: &Addr) {
        self.down.remove(at);
        if self.down.is_empty() {
            for m in self.members.values_mut().filter(|m| m.gapped) {
                m.gapped = false;
                m.queue.push(Event::Resubscribed);
            }
        }
    }
}

/// A subscribe-family command `name` of `args`.
fn encode(name: &str, args: &[Bytes]) -> Encoded {
    let mut buf = format!("*{}\r\n", args.len() + 1).into_bytes();
    bulk(&mut buf, name.as_bytes());
    args.iter().for_each(|a| bulk(&mut buf, a));
    Encoded::concat(buf)
}
