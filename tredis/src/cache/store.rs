//! [`Store`]: the cached replies, grouped by Redis key, in shards with a lock each, under a
//! byte budget (CLOCK eviction) and each entry's time to live. A read in flight holds a
//! pending mark in its entry's place; an invalidation removes marks and replies alike, and a
//! reply is stored only where its mark still is (the race argument is in `cache/mod.rs`).

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;

use super::flight::Flight;
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

#[derive(Default)]
struct Shard {
    keys: HashMap<Bytes, Bucket>,
    /// The CLOCK: keys in the order the hand visits them, with the generation they had.
    ring: VecDeque<(Bytes, u64)>,
    gen: u64,
    bytes: usize,
    entries: usize,
    hits: u64,
    misses: u64,
}

/// What a lookup found.
pub(crate) enum Lookup {
    /// A cached reply.
    Hit(Value),
    /// Another caller's read of the same entry is in flight: wait for its reply.
    Wait(Arc<Flight>),
    /// Nothing: the caller sends the read, under the pending mark this lookup placed.
    Miss(Ticket),
}

/// The right to fill one entry, if no invalidation removed its mark meanwhile.
pub(crate) struct Ticket {
    key: Bytes,
    flight: Arc<Flight>,
}

impl Ticket {
    /// The flight concurrent misses wait on.
    pub(crate) fn flight(&self) -> &Arc<Flight> {
        &self.flight
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
    hasher: RandomState,
    /// Each shard's share of the byte budget.
    budget: usize,
    next_id: AtomicU64,
}

impl Store {
    /// A store of at most `max_bytes` of entries.
    pub(crate) fn new(max_bytes: usize) -> Store {
        Store {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
            budget: max_bytes / SHARDS,
            next_id: AtomicU64::new(1),
        }
    }

    fn shard(&self, key: &[u8]) -> MutexGuard<'_, Shard> {
        let i = self.hasher.hash_one(key) as usize % SHARDS;
        self.shards[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The reply of `cmd` (whose key is `key`), the flight to wait on, or a miss: then a
    /// pending mark is placed, tracked on `conn`, before the caller sends the read.
    pub(crate) fn lookup(&self, key: &[u8], cmd: &[u8], conn: u64, now: Millis) -> Lookup {
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
                shard.keys.insert(key.clone(), Bucket { slots: vec![slot], gen });
                key
            }
        };
        Lookup::Miss(Ticket { key, flight })
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
    pub(crate) fn cancel(&self, ticket: &Ticket) {
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

/// Drops the ring's stale places (keys invalidated since) once they outnumber the live ones,
/// so that churn does not grow it.
fn compact(shard: &mut Shard) {
    if shard.ring.len() > 2 * shard.keys.len() + 64 {
        let keys = &shard.keys;
        shard.ring.retain(|(k, gen)| keys.get(k).is_some_and(|b| b.gen == *gen));
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
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    fn miss(store: &Store, key: &str, cmd: &str, conn: u64) -> Ticket {
        match store.lookup(key.as_bytes(), cmd.as_bytes(), conn, 1) {
            Lookup::Miss(t) => t,
            _ => panic!("expected a miss for {cmd}"),
        }
    }

    fn hit(store: &Store, key: &str, cmd: &str, now: Millis) -> Option<Value> {
        match store.lookup(key.as_bytes(), cmd.as_bytes(), 1, now) {
            Lookup::Hit(v) => Some(v),
            Lookup::Wait(_) => panic!("a flight is pending for {cmd}"),
            Lookup::Miss(t) => {
                store.cancel(&t);
                None
            }
        }
    }

    #[test]
    fn a_fill_lands_only_while_its_mark_is_there() {
        let store = Store::new(1 << 20);
        let t = miss(&store, "k", "GET k", 1);
        assert!(matches!(store.lookup(b"k", b"GET k", 1, 1), Lookup::Wait(_)), "single flight");
        // The reader processed an invalidation of `k` after the read was sent: the reply may
        // predate the write, so it must not be stored.
        store.invalidate(b"k");
        assert!(!store.fill(&t, bulk("old"), 1000, 1));
        assert_eq!(hit(&store, "k", "GET k", 2), None);

        let t = miss(&store, "k", "GET k", 1);
        assert!(store.fill(&t, bulk("new"), 1000, 1));
        assert_eq!(hit(&store, "k", "GET k", 2), Some(bulk("new")));
        // Invalidation after the fill drops the reply, and every other command's on `k`.
        let t2 = miss(&store, "k", "STRLEN k", 1);
        assert!(store.fill(&t2, Value::Int(3), 1000, 1));
        store.invalidate(b"k");
        assert_eq!(hit(&store, "k", "GET k", 2), None);
        assert_eq!(hit(&store, "k", "STRLEN k", 2), None);
        assert_eq!(store.totals().entries, 0);
        assert_eq!(store.totals().bytes, 0);
    }

    #[test]
    fn a_lost_connection_drops_its_entries_and_marks_only() {
        let store = Store::new(1 << 20);
        let a = miss(&store, "a", "GET a", 1);
        assert!(store.fill(&a, bulk("1"), 1000, 1));
        let b = miss(&store, "b", "GET b", 2);
        assert!(store.fill(&b, bulk("2"), 1000, 1));
        let pending = miss(&store, "c", "GET c", 1);
        store.drop_conn(1);
        assert!(!store.fill(&pending, bulk("3"), 1000, 1), "sent before the loss");
        assert_eq!(hit(&store, "a", "GET a", 2), None);
        assert_eq!(hit(&store, "b", "GET b", 2), Some(bulk("2")));
        assert_eq!(store.totals().entries, 1);
    }

    #[test]
    fn entries_expire() {
        let store = Store::new(1 << 20);
        let t = miss(&store, "k", "GET k", 1);
        assert!(store.fill(&t, Value::Null, 100, 1000), "nil replies are cached too");
        assert_eq!(hit(&store, "k", "GET k", 1099), Some(Value::Null));
        assert_eq!(hit(&store, "k", "GET k", 1100), None);
        assert_eq!(store.totals().bytes, 0);
        let t = miss(&store, "k", "GET k", 1);
        assert!(!store.fill(&t, Value::Null, 0, 1000), "a key about to expire is not cached");
    }

    #[test]
    fn the_budget_holds_and_used_keys_are_spared() {
        let budget = SHARDS * 2048;
        let store = Store::new(budget);
        let value = bulk(&"x".repeat(100));
        for i in 0..5000 {
            let (key, cmd) = (format!("k{i}"), format!("GET k{i}"));
            let t = miss(&store, &key, &cmd, 1);
            store.fill(&t, value.clone(), 60_000, 1);
            // One hot key, served between every fill.
            if i > 0 {
                let _ = hit(&store, "k0", "GET k0", 2).map(|_| ());
            }
            assert!(store.totals().bytes <= budget);
        }
        let totals = store.totals();
        assert!(totals.entries > 0 && totals.entries < 5000, "{totals:?}");
        assert_eq!(hit(&store, "k0", "GET k0", 2), Some(value), "the hot key survives");
        for shard in store.shards.iter() {
            let s = shard.lock().unwrap();
            assert!(s.ring.len() <= 2 * s.keys.len() + 64 + 1);
        }
    }

    #[test]
    fn cancel_lets_the_next_miss_send() {
        let store = Store::new(1 << 20);
        let t = miss(&store, "k", "GET k", 1);
        store.cancel(&t);
        let t2 = miss(&store, "k", "GET k", 1);
        assert!(store.fill(&t2, bulk("v"), 1000, 1));
        assert!(!store.fill(&t, bulk("w"), 1000, 1), "a cancelled ticket fills nothing");
        assert_eq!(hit(&store, "k", "GET k", 2), Some(bulk("v")));
    }
}
