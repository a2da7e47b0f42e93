//! [`Store`]: the cached replies, grouped by Redis key, in shards with a lock each, under a
//! byte budget (CLOCK eviction) and each entry's time to live. A read in flight holds a
//! pending mark in its entry's place; an invalidation removes marks and replies alike, and a
//! reply is stored only where its mark still is (the race argument is in `cache/mod.rs`).
//! In a cluster, the keys are also indexed by slot, to drop those of a slot that moved.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;

use super::flight::Flight;
use super::hash::Seeded;
use super::slots::SlotIndex;
use crate::deadline::Millis;
use crate::resp::Value;

/// Shards: enough that 256 tasks on a few threads seldom meet on one lock.
const SHARDS: usize = 32;

/// What an entry costs beyond its bytes: the slot, the map's share, the value's nodes.
const OVERHEAD: usize = 64;

/// The replies of the commands read on one Redis key: invalidated together.
struct Bucket {
    slots: Vec<Slot>,
    /// Tells this bucket's place in the CLOCK ring from a stale one (the key was dropped and
    /// cached again since).
    gen: u64,
}

struct Slot {
    /// The whole encoded command: name and every argument.
    cmd: Box<[u8]>,
    /// The connection whose tracking keeps it: its loss (or a flush on it) drops the slot.
    conn: u64,
    state: State,
}

enum State {
    /// A read is in flight; its reply is stored only if this mark is still here.
    Pending(Arc<Flight>),
    Ready {
        value: Value,
        /// Coarse milliseconds (see [`crate::deadline`]) after which it is not served.
        expires: Millis,
        size: usize,
        /// Served since the CLOCK hand last passed: spared once.
        used: bool,
    },
}

struct Shard {
    keys: HashMap<Bytes, Bucket, Seeded>,
    /// The CLOCK: keys in the order the hand visits them, with the generation they had.
    ring: VecDeque<(Bytes, u64)>,
    gen: u64,
    bytes: usize,
    entries: usize,
    hits: u64,
    misses: u64,
    /// In a cluster: the keys by slot.
    index: Option<SlotIndex>,
}

/// What a lookup found.
pub(crate) enum Lookup<'a> {
    /// A cached reply.
    Hit(Value),
    /// Another caller's read of the same entry is in flight: wait for its reply.
    Wait(Arc<Flight>),
    /// Nothing: the caller sends the read, under the pending mark this lookup placed.
    Miss(Ticket<'a>),
}

/// The right to fill one entry, if no invalidation removed its mark meanwhile. Dropped,
/// however the read ends (a reply, a failure, a future dropped before it was ever polled),
/// it removes its mark unless a reply was stored in its place, and answers the flight's
/// waiters with [`answer`](Ticket::answer) or, without one, `None` (look again): a mark
/// left behind would make every later read of its entry wait on a flight that never ends.
pub(crate) struct Ticket<'a> {
    store: &'a Store,
    key: Bytes,
    flight: Arc<Flight>,
    answer: Option<Value>,
}

impl Ticket<'_> {
    /// What the flight's waiters get when the ticket is dropped.
    pub(crate) fn answer(&mut self, reply: Value) {
        self.answer = Some(reply);
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        // A no-op when `fill` already replaced (or an invalidation removed) the mark.
        self.store.cancel(self);
        self.flight.finish(self.answer.take());
    }
}

/// Totals over every shard.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Totals {
    pub hits: u64,
    pub misses: u64,
    pub entries: usize,
    pub bytes: usize,
}

pub(crate) struct Store {
    shards: Box<[Mutex<Shard>]>,
    hasher: Seeded,
    /// Each shard's share of the byte budget.
    budget: usize,
    next_id: AtomicU64,
}

impl Store {
    /// A store of at most `max_bytes` of entries; `by_slot` (in a cluster) indexes its keys
    /// by slot for [`drop_slots`](Store::drop_slots).
    pub(crate) fn new(max_bytes: usize, by_slot: bool) -> Store {
        let hasher = Seeded::new();
        let shard = || {
            Mutex::new(Shard {
                keys: HashMap::with_hasher(hasher.clone()),
                ring: VecDeque::new(),
                gen: 0,
                bytes: 0,
                entries: 0,
                hits: 0,
                misses: 0,
                index: by_slot.then(SlotIndex::default),
            })
        };
        Store {
            shards: (0..SHARDS).map(|_| shard()).collect(),
            hasher,
            budget: max_bytes / SHARDS,
            next_id: AtomicU64::new(1),
        }
    }

    fn shard(&self, key: &[u8]) -> MutexGuard<'_, Shard> {
        let i = self.hasher.hash_one(key) as usize % SHARDS;
        self.shards[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The reply of `cmd` (whose key is `key`) if it is held and fresh: the fast path of a
    /// hit, which needs neither the connection nor a mark. Anything else is for
    /// [`lookup`](Store::lookup).
    #[inline]
    pub(crate) fn hit(&self, key: &[u8], cmd: &[u8], now: Millis) -> Option<Value> {
        let mut guard = self.shard(key);
        let shard = &mut *guard;
        let slot = shard.keys.get_mut(key)?.slots.iter_mut().find(|s| &*s.cmd == cmd)?;
        match &mut slot.state {
            State::Ready { value, expires, used, .. } if *expires > now => {
                *used = true;
                let value = value.clone();
                shard.hits += 1;
                Some(value)
            }
            _ => None,
        }
    }

    /// The reply of `cmd` (whose key is `key`), the flight to wait on, or a miss: then a
    /// pending mark is placed, tracked on `conn`, before the caller sends the read.
    pub(crate) fn lookup(&self, key: &[u8], cmd: &[u8], conn: u64, now: Millis) -> Lookup<'_> {
        let mut guard = self.shard(key);
        let shard = &mut *guard;
        if let Some(bucket) = shard.keys.get_mut(key) {
            if let Some(i) = bucket.slots.iter().position(|s| &*s.cmd == cmd) {
                match &mut bucket.slots[i].state {
                    State::Ready { value, expires, used, .. } if *expires > now => {
                        *used = true;
                        let value = value.clone();
                        shard.hits += 1;
                        return Lookup::Hit(value);
                    }
                    State::Pending(flight) => {
                        shard.hits += 1;
                        return Lookup::Wait(flight.clone());
                    }
                    State::Ready { size, .. } => {
                        // Expired: the slot is made a pending mark below.
                        shard.bytes -= *size;
                        shard.entries -= 1;
                        bucket.slots.swap_remove(i);
                    }
                }
            }
        }
        shard.misses += 1;
        let flight = Arc::new(Flight::new(self.next_id.fetch_add(1, Ordering::Relaxed)));
        let slot = Slot { cmd: cmd.into(), conn, state: State::Pending(flight.clone()) };
        let known = shard.keys.get_key_value(key).map(|(k, _)| k.clone());
        let key = match known {
            Some(k) => {
                if let Some(bucket) = shard.keys.get_mut(&k) {
                    bucket.slots.push(slot);
                }
                k
            }
            None => {
                let key = Bytes::copy_from_slice(key);
                shard.gen += 1;
                let gen = shard.gen;
                shard.ring.push_back((key.clone(), gen));
                if let Some(index) = &mut shard.index {
                    index.add(key.clone(), gen);
                }
                shard.keys.insert(key.clone(), Bucket { slots: vec![slot], gen });
                key
            }
        };
        Lookup::Miss(Ticket { store: self, key, flight, answer: None })
    }

    /// Stores the reply of a ticket's read for `ttl_ms`, if its pending mark is still there:
    /// no invalidation of its key, and no loss of its connection, came since the read was
    /// sent. Returns whether it was stored. Either way the mark is gone.
    pub(crate) fn fill(&self, ticket: &Ticket, value: Value, ttl_ms: u64, now: Millis) -> bool {
        let mut guard = self.shard(&ticket.key);
        let shard = &mut *guard;
        let Some(bucket) = shard.keys.get_mut(&ticket.key) else { return false };
        let id = ticket.flight.id;
        let Some(i) = bucket.slots.iter().position(|s| matches!(&s.state, State::Pending(f) if f.id == id))
        else {
            return false;
        };
        let size = ticket.key.len() + bucket.slots[i].cmd.len() + value_size(&value) + OVERHEAD;
        if ttl_ms == 0 || size > self.budget {
            remove_slot(shard, &ticket.key, i);
            return false;
        }
        // Owned bytes: a view of the read buffer would keep all of it alive.
        let value = owned(&value);
        bucket.slots[i].state =
            State::Ready { value, expires: now.saturating_add(ttl_ms), size, used: false };
        shard.bytes += size;
        shard.entries += 1;
        evict(shard, self.budget);
        true
    }

    /// Removes a ticket's pending mark (its read failed), if it is still there.
    fn cancel(&self, ticket: &Ticket) {
        let mut guard = self.shard(&ticket.key);
        let shard = &mut *guard;
        let id = ticket.flight.id;
        if let Some(bucket) = shard.keys.get(&ticket.key) {
            if let Some(i) =
                bucket.slots.iter().position(|s| matches!(&s.state, State::Pending(f) if f.id == id))
            {
                remove_slot(shard, &ticket.key, i);
            }
        }
    }

    /// Drops everything cached on `key`, and the marks of reads in flight on it.
    pub(crate) fn invalidate(&self, key: &[u8]) {
        let mut guard = self.shard(key);
        let shard = &mut *guard;
        if let Some(bucket) = shard.keys.remove(key) {
            for slot in &bucket.slots {
                if let State::Ready { size, .. } = slot.state {
                    shard.bytes -= size;
                    shard.entries -= 1;
                }
            }
        }
    }

    /// Drops every entry and mark tracked on `conn`: it was lost, or the server said every
    /// key it tracks may have changed.
    /// Returns how many entries and marks went.
    pub(crate) fn drop_conn(&self, conn: u64) -> usize {
        let mut dropped = 0;
        for shard in self.shards.iter() {
            let mut guard = shard.lock().unwrap_or_else(|e| e.into_inner());
            let shard = &mut *guard;
            let (mut bytes, mut entries) = (0, 0);
            shard.keys.retain(|_, bucket| {
                bucket.slots.retain(|s| match s.state {
                    _ if s.conn != conn => true,
                    State::Ready { size, .. } => {
                        bytes += size;
                        entries += 1;
                        false
                    }
                    State::Pending(_) => {
                        dropped += 1;
                        false
                    }
                });
                !bucket.slots.is_empty()
            });
            shard.bytes -= bytes;
            shard.entries -= entries;
            dropped += entries;
            compact(shard);
        }
        dropped
    }

    /// Drops every entry and mark on a key in `slots` (their owner changed, in a cluster).
    /// Each shard visits the keys the index has for those slots: the work is what is
    /// dropped, plus stale places (bounded by compaction), plus one map lookup per slot and
    /// shard. Returns how many entries and marks went.
    pub(crate) fn drop_slots(&self, slots: &[u16]) -> usize {
        let mut dropped = 0;
        for shard in self.shards.iter() {
            let mut guard = shard.lock().unwrap_or_else(|e| e.into_inner());
            let shard = &mut *guard;
            let Some(index) = &mut shard.index else { return 0 };
            for &slot in slots {
                for (key, gen) in index.take(slot) {
                    // A stale place: the key was dropped (and maybe cached again) since.
                    if !shard.keys.get(&key).is_some_and(|b| b.gen == gen) {
                        continue;
                    }
                    let Some(bucket) = shard.keys.remove(&key) else { continue };
                    for s in &bucket.slots {
                        if let State::Ready { size, .. } = s.state {
                            shard.bytes -= size;
                            shard.entries -= 1;
                        }
                    }
                    dropped += bucket.slots.len();
                }
            }
            compact(shard);
        }
        dropped
    }

    /// Hits, misses, entries and bytes, summed over the shards.
    pub(crate) fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for shard in self.shards.iter() {
            let s = shard.lock().unwrap_or_else(|e| e.into_inner());
            t.hits += s.hits;
            t.misses += s.misses;
            t.entries += s.entries;
            t.bytes += s.bytes;
        }
        t
    }
}

/// Removes slot `i` of `key`'s bucket, and the bucket once empty.
fn remove_slot(shard: &mut Shard, key: &[u8], i: usize) {
    let Some(bucket) = shard.keys.get_mut(key) else { return };
    if let State::Ready { size, .. } = bucket.slots.swap_remove(i).state {
        shard.bytes -= size;
        shard.entries -= 1;
    }
    if bucket.slots.is_empty() {
        shard.keys.remove(key);
    }
}

/// CLOCK: the hand walks the ring; a key served since its last visit is spared once, the
/// others lose their replies, until the shard is within its budget. Cheap on hits: a hit only
/// sets a flag under the shard's lock, which it holds anyway.
fn evict(shard: &mut Shard, budget: usize) {
    // Twice round the ring at most: the first pass may only clear flags.
    let mut steps = 2 * shard.ring.len();
    while shard.bytes > budget && steps > 0 {
        steps -= 1;
        let Some((key, gen)) = shard.ring.pop_front() else { break };
        let Some(bucket) = shard.keys.get_mut(&key).filter(|b| b.gen == gen) else { continue };
        let mut spared = false;
        let (mut bytes, mut entries) = (0, 0);
        bucket.slots.retain_mut(|s| match &mut s.state {
            State::Pending(_) => true,
            State::Ready { used, .. } if *used => {
                *used = false;
                spared = true;
                true
            }
            State::Ready { .. } if spared => true,
            State::Ready { size, .. } => {
                bytes += *size;
                entries += 1;
                false
            }
        });
        shard.bytes -= bytes;
        shard.entries -= entries;
        if bucket.slots.is_empty() {
            shard.keys.remove(&key);
        } else {
            shard.ring.push_back((key, gen));
        }
    }
    compact(shard);
}

/// Drops the stale places of the ring and the slot index (keys invalidated since) once they
/// outnumber the live ones, so that churn does not grow them.
fn compact(shard: &mut Shard) {
    let keys = &shard.keys;
    let is_live = |k: &Bytes, gen: u64| keys.get(k).is_some_and(|b| b.gen == gen);
    if shard.ring.len() > 2 * keys.len() + 64 {
        shard.ring.retain(|(k, gen)| is_live(k, *gen));
    }
    if let Some(index) = &mut shard.index {
        index.compact(keys.len(), is_live);
    }
}

/// The bytes a value holds, roughly: payloads plus a word or two per node.
fn value_size(v: &Value) -> usize {
    16 + match v {
        Value::Simple(b) | Value::Error(b) | Value::Bulk(b) | Value::BigNumber(b) | Value::BulkError(b) => {
            b.len()
        }
        Value::Verbatim { text, .. } => text.len(),
        Value::Array(items) | Value::Set(items) | Value::Push(items) => items.iter().map(value_size).sum(),
        Value::Map(pairs) => pairs.iter().map(|(k, v)| value_size(k) + value_size(v)).sum(),
        Value::Int(_) | Value::Null | Value::Bool(_) | Value::Double(_) => 0,
    }
}

/// A copy of `v` whose payloads own their bytes.
fn owned(v: &Value) -> Value {
    let own = |b: &Bytes| Bytes::copy_from_slice(b);
    match v {
        Value::Simple(b) => Value::Simple(own(b)),
        Value::Error(b) => Value::Error(own(b)),
        Value::Bulk(b) => Value::Bulk(own(b)),
        Value::BigNumber(b) => Value::BigNumber(own(b)),
        Value::BulkError(b) => Value::BulkError(own(b)),
        Value::Verbatim { format, text } => Value::Verbatim { format: *format, text: own(text) },
        Value::Array(items) => Value::Array(items.iter().map(owned).collect()),
        Value::Set(items) => Value::Set(items.iter().map(owned).collect()),
        Value::Push(items) => Value::Push(items.iter().map(owned).collect()),
        Value::Map(pairs) => Value::Map(pairs.iter().map(|(k, v)| (owned(k), owned(v))).collect()),
        Value::Int(_) | Value::Null | Value::Bool(_) | Value::Double(_) => v.clone(),
    }
}

#[cfg(test)]
mod tests;
