//! Client-side caching: reads answered from the client's own memory, kept correct by the
//! server's invalidation messages (`CLIENT TRACKING`).
//!
//! Opt in twice: per client with [`Builder::cache`](crate::Builder::cache), per call with
//! [`Req::cached`](crate::Req::cached), which answers the same typed reply as the call without
//! it. `.cached()` compiles only for the commands the spec says may be cached
//! ([`Cacheable`]): read-only, not blocking, on exactly one key, without the
//! `nondeterministic_output` tip, and not marked `not_cacheable` in the overlay (TOUCH,
//! MEMORY USAGE, XINFO); or on several keys when the overlay marks it `cached_per_key` (MGET:
//! a reply with one element per key), and then each key is read and cached on its own, as
//! the command on that key alone, so that a hit on some keys sends only the others. The
//! generator derives the list; the runtime holds no names.
//!
//! ```no_run
//! # async fn f() -> Result<(), tredis::Error> {
//! use tredis::prelude::*;
//! use tredis::CacheConfig;
//!
//! let client = tredis::Client::builder()
//!     .url("redis://127.0.0.1:6379")
//!     .cache(CacheConfig::new().max_bytes(64 << 20))
//!     .build()?;
//! let name: Option<String> = client.hget("user:1", "name").decode_as().cached().await?;
//! # Ok(()) }
//! ```
//!
//! # How it stays correct
//!
//! Every shared connection of the client tracks keys with `CLIENT TRACKING ON OPTIN`, so the
//! server tracks only what a cached read asks it to. On RESP3 it does so from its handshake
//! on, and its invalidations are pushes beside its replies; on RESP2, which has no pushes,
//! they go to a companion connection (`REDIRECT`, see "RESP2" below). A cached read that
//! misses is sent as one unit, in one write, on one connection:
//! `CLIENT CACHING YES, MULTI, PTTL key, <the read>, EXEC`. With OPTIN the CACHING flag covers
//! the whole transaction, so the key is tracked from the read on; the PTTL caps the entry's
//! time to live at the key's own (`min(ttl, PTTL)`, as rueidis does).
//!
//! **The race.** The caller fills the cache in its own task, after the connection's reader
//! handed it the reply, and by then an invalidation of the key may have been processed:
//! filling blindly would keep a value the server already said is stale, and with nothing
//! left tracking the key nothing would ever remove it. So before the read is sent, the store
//! places a *pending mark* (numbered) in the entry's place; whoever processes an invalidation
//! of the key removes the marks along with the replies; and the caller stores its reply only
//! if its own mark is still there, under the same shard lock. The invalidation of a write
//! that ran after the read is sent after the read ran, so after the mark was placed: whether
//! it is processed before the reply or after, it removes the mark (no fill) or the filled
//! entry. An invalidation of an *earlier* write that is processed late costs a fill, never
//! correctness. So the order in which a reply and an invalidation are processed does not
//! matter (on RESP3 they come on one connection, in the order the server ran things; on
//! RESP2 on two, in any order). What does matter is that every invalidation of a key a
//! connection tracks is processed while that tracking is in force, and that whenever this
//! may not hold, the connection's entries and marks go (below).
//!
//! **Losing the thread.** A flush (an invalidation with no key list: FLUSHDB, FLUSHALL) drops
//! every entry and mark tracked on that connection, and so does the loss of the connection,
//! before the next one is made: invalidations sent meanwhile are gone. A read whose mark is
//! placed after the drop is sent on the next connection, which tracks it. Entries record which
//! connection tracks them, so the loss of one connection of a pool (or of one cluster
//! node) keeps the others'.
//!
//! **RESP2.** A RESP2 connection has no pushes beside its replies, so each shared connection
//! (T) has a companion (C), made in each of T's sessions once T's handshake is done, to the
//! same server, with T's settings: C asks for its `CLIENT ID` and subscribes to
//! `__redis__:invalidate`, and only then does T send
//! `CLIENT TRACKING ON REDIRECT <C's id> OPTIN`. C's messages are T's invalidations, and the
//! store files them under T. A reply comes on T and the invalidation of a later write on C,
//! in either order: the marks make that safe (above). C's loss is what would break the
//! argument. The server sends nothing when a redirect client goes (`tracking-redir-broken`
//! is a RESP3 push) and drops the invalidations meant for it, while T's tracking goes on, so
//! nothing would drop T's entries when their keys change. So C's loss, or a frame C does not
//! expect, ends T's session as T's own loss does: the reads in flight on T fail as they would
//! then, T's entries and marks go, and the next session makes a new C before T tracks again.
//! T's session ending, for any reason, closes C. C is made within the connect timeout, and
//! an idle C is sent a PING at the health-check interval, so a link that died silently is
//! found as it would be for T. C reaches the address T reached (a client id names a client
//! on one server only). Text on C's channel is some client's PUBLISH: it drops T's entries
//! and nothing else. With a [credentials provider](crate::Builder::credentials_provider)
//! whose credentials expire, C authenticates again when T does; a subscribed RESP2
//! connection takes no AUTH, so C sends `UNSUBSCRIBE`, `AUTH`, `SUBSCRIBE` in one write, and
//! once it is back in the channel T's entries and marks go, since the server drops what it
//! would have sent C meanwhile. The cost that remains is a connection more per shared
//! connection.
//!
//! **Single flight.** The pending mark is also the flight concurrent misses wait on: one
//! request per entry, however many callers. A caller that joins a flight before its key's
//! invalidation is processed gets the flight's reply, as it would a hit; after, it finds no
//! mark and sends a read of its own.
//!
//! **Bounded.** Entries are grouped by Redis key (an invalidation of `k` drops the entries of
//! every command on `k`), in shards with a lock each. Each shard keeps its share of the byte
//! budget (key, command and reply bytes, plus a fixed overhead) by CLOCK eviction: a hit sets
//! a flag, the hand spares a flagged key once. Replies are copied out of the read buffer when
//! stored, so the budget counts what is really held.
//!
//! **What a reader may see.** A value no older than the last write acknowledged before the
//! read began, give or take the invalidation delay: the time from the server executing the
//! write to this client processing its invalidation (a push on RESP3, a message on the
//! companion connection on RESP2).
//!
//! # Topologies
//!
//! Cached reads go to the primary and are tracked there, on one server, a hosts list or
//! Sentinel, even with `read_from_replicas`: one tracking place per key keeps the argument
//! above whole, and a hit never reaches a server anyway. A failover (READONLY, Sentinel's
//! `+switch-master`) remakes the primary's connections, and their loss drops their entries
//! before the new ones are made.
//!
//! **In a cluster** a cached read goes to a shared connection of the primary that the
//! client's slot map names for its key's slot; every shared node connection of a client with
//! a cache tracks (OPTIN), so that node tracks the key, and its invalidations, a flush on it, or the
//! loss of the connection drop what it tracked and nothing else. A cached read refused with
//! MOVED or ASK (or TRYAGAIN, CLUSTERDOWN ...) when queued is stored nowhere and sent the
//! ordinary way, which follows the redirection.
//!
//! **When a slot moves.** The node that tracked a key hears no more of its writes once the
//! slot is another node's: filled from A, slot moved to B, a write on B, and A says nothing.
//! For a key that existed the migration itself is a write A sees: MIGRATE deletes the key on
//! A (an invalidation), and RESTOREs it there if the slot comes back. What A cannot report is
//! a key it did not have (a cached nil, a zero length) created on B. So the client drops
//! every entry and mark of a slot as soon as it learns that the slot has another owner: a
//! MOVED or ASK reply for it, or a new slot map naming another primary for it. Reads in
//! flight meanwhile: the new map is installed before the drop, and a read stores its reply
//! only if the map, looked at once the reply is in, still names the node the read was sent
//! to. A read routed by the old map placed its mark either before the drop, which removes
//! it, or after, and then its fill sees the new map and stores nothing; a read the new map
//! routes is tracked by the new owner. So once the client knows of a move, nothing the old
//! owner tracked in that slot is served again. The store indexes keys by slot (in a cluster
//! only), so a drop visits the keys of the moved slots and not the whole cache.
//!
//! What the client cannot know it cannot act on: a hit asks nothing of the server, so from a
//! move to the client's learning of it (its next request to the old owner for that slot, or
//! the next periodic map refresh, every `cluster_refresh_interval`: 30 s by default) an entry
//! of a key created on the new owner may still be served; so may the entries of a primary cut
//! off by a partition whose connection to the client stays up, until the map changes. The
//! TTL cap bounds both: lower it, or the refresh interval, if slots move under such reads.
//!
//! A read of several keys (MGET) is a read per key, each to the node of its own slot, so it
//! needs no keys in one slot when cached.

mod each;
mod flight;
mod hash;
mod read;
mod slots;
mod store;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;

use crate::command::Command;
use crate::connection::Invalidations;
pub use read::{Cached, CachedFuture};
use store::Store;

/// The settings of a client-side cache (see [`Builder::cache`](crate::Builder::cache)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    max_bytes: usize,
    ttl: Duration,
}

impl Default for CacheConfig {
    /// 64 MiB, entries kept at most a minute.
    fn default() -> Self {
        CacheConfig { max_bytes: 64 << 20, ttl: Duration::from_secs(60) }
    }
}

impl CacheConfig {
    /// The default settings: 64 MiB, entries kept at most a minute.
    pub fn new() -> CacheConfig {
        CacheConfig::default()
    }

    /// The most bytes the entries may hold (keys, commands, replies, and a small overhead
    /// each); the least recently served go first.
    pub fn max_bytes(mut self, n: usize) -> CacheConfig {
        self.max_bytes = n;
        self
    }

    /// The longest an entry is served: a cap, lowered to the key's own time to live.
    /// Invalidations keep entries correct; this bounds what a missed one could cost.
    pub fn ttl(mut self, ttl: Duration) -> CacheConfig {
        self.ttl = ttl;
        self
    }

    /// The byte budget.
    pub fn get_max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// The time-to-live cap.
    pub fn get_ttl(&self) -> Duration {
        self.ttl
    }
}

/// What a client-side cache has done so far, and holds now (see [`Client::cache_stats`](crate::Client::cache_stats)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Cached reads answered without a request of their own: from memory, or by the read
    /// another caller had in flight for the same entry.
    pub hits: u64,
    /// Cached reads that sent a request.
    pub misses: u64,
    /// Entries held.
    pub entries: usize,
    /// Bytes held, as the budget counts them.
    pub bytes: usize,
    /// Keys the server said changed (each drops every entry on its key).
    pub invalidations: u64,
    /// Times the entries of a connection were dropped all at once (when it held any): the
    /// connection was lost, or the server flushed.
    pub resets: u64,
    /// Entries (and reads in flight) dropped because their key's slot moved to another
    /// cluster node.
    pub moved: u64,
}

mod sealed {
    pub trait Sealed {}
}

pub(crate) use sealed::Sealed;

/// A command whose reply the client-side cache may keep: read-only, deterministic, on one key
/// (or, for MGET, on each of its keys alone).
/// Implemented by the generated request types the spec allows, and nothing else (sealed);
/// it is what makes [`Req::cached`](crate::Req::cached) compile.
pub trait Cacheable: Command + sealed::Sealed {
    /// Where the key's `$<len>` is in the encoded command, after its `*<argc>` line: the
    /// length of the name's encoded tokens, since the key is the first argument (the
    /// generator implements the trait only then).
    #[doc(hidden)]
    const KEY_AT: usize;

    /// Whether every argument from there on is a key, each read and cached on its own as
    /// the same command on that key alone (MGET; see `cache/each.rs`).
    #[doc(hidden)]
    const EACH_KEY: bool = false;
}

impl<C: Cacheable, D: crate::reply::Decode> Sealed for crate::command::WithReply<C, D> {}
impl<C: Cacheable, D: crate::reply::Decode> Cacheable for crate::command::WithReply<C, D> {
    const KEY_AT: usize = C::KEY_AT;
    const EACH_KEY: bool = C::EACH_KEY;
}

/// A client's cache: the store, and the settings reads fill it with. The connections that
/// track keys for it report to it (as [`Invalidations`]).
pub(crate) struct Cache {
    store: Store,
    ttl_ms: u64,
    invalidations: AtomicU64,
    resets: AtomicU64,
    moved: AtomicU64,
}

impl Cache {
    /// An empty cache; in a `cluster`, its keys are indexed by slot too.
    pub(crate) fn new(cfg: &CacheConfig, cluster: bool) -> Cache {
        Cache {
            store: Store::new(cfg.max_bytes, cluster),
            ttl_ms: crate::deadline::millis(cfg.ttl),
            invalidations: AtomicU64::new(0),
            resets: AtomicU64::new(0),
            moved: AtomicU64::new(0),
        }
    }

    /// What it has done and holds.
    pub(crate) fn stats(&self) -> CacheStats {
        let t = self.store.totals();
        CacheStats {
            hits: t.hits,
            misses: t.misses,
            entries: t.entries,
            bytes: t.bytes,
            invalidations: self.invalidations.load(Ordering::Relaxed),
            resets: self.resets.load(Ordering::Relaxed),
            moved: self.moved.load(Ordering::Relaxed),
        }
    }
}

impl Invalidations for Cache {
    fn invalidate(&self, conn: u64, keys: Option<Vec<Bytes>>) {
        match keys {
            Some(keys) => {
                self.invalidations.fetch_add(keys.len() as u64, Ordering::Relaxed);
                keys.iter().for_each(|k| self.store.invalidate(k));
            }
            None => self.lost(conn),
        }
    }

    fn lost(&self, conn: u64) {
        if self.store.drop_conn(conn) > 0 {
            self.resets.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn slots_moved(&self, slots: &[u16]) {
        let dropped = self.store.drop_slots(slots);
        self.moved.fetch_add(dropped as u64, Ordering::Relaxed);
    }
}
