//! The client-side cache: `.cached()` reads, kept correct by the server's invalidations, under
//! races, connection losses and a byte budget. RESP3 here; `cache_resp2.rs` runs the bodies
//! marked below under RESP2, where invalidations come on a companion connection.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tredis::prelude::*;
use tredis::{CacheConfig, CacheStats, Client, Protocol};

use crate::support::server::OwnServer;
use crate::support::{self, Keys, Server};

/// Catches hangs only.
pub(crate) const PATIENCE: Duration = Duration::from_secs(20);

pub(crate) async fn cached_client(url: &str, protocol: Protocol, cache: CacheConfig) -> Client {
    let client = Client::builder()
        .url(url)
        .protocol(protocol)
        .command_timeout(Duration::from_secs(20))
        .cache(cache)
        .build()
        .expect("client config");
    client.ready().await.expect("the test server accepts connections");
    client
}

pub(crate) fn stats(c: &Client) -> CacheStats {
    c.cache_stats().expect("the client has a cache")
}

/// Kills every normal connection of `admin`'s server but its own; how many.
pub(crate) async fn kill_the_others(admin: &Client) -> u64 {
    let kill = admin.raw("CLIENT").arg("KILL").arg("TYPE").arg("normal").arg("SKIPME").arg("yes");
    kill.reply().await.unwrap()
}

/// Waits until `f` holds, polling; panics with `what` after [`PATIENCE`].
pub(crate) async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !f().await {
        assert!(start.elapsed() < PATIENCE, "{what}: not after {PATIENCE:?}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Another client's SET, DEL, EXPIRE, HSET and RPUSH invalidate what this client cached.
#[tokio::test]
async fn cache_other_clients_writes_invalidate() {
    writes_invalidate(Protocol::Resp3).await;
}

/// The body of `cache_other_clients_writes_invalidate`, under `protocol`.
pub(crate) async fn writes_invalidate(protocol: Protocol) {
    for server in [Server::Redis, Server::Valkey] {
        let _guard = support::shared().await;
        let k = Keys::on(server, "cache_other_clients_writes_invalidate", protocol);
        let other = k.client(Protocol::Resp3).await;
        k.clean(&other).await;
        let c = cached_client(&k.url(), protocol, CacheConfig::new()).await;
        let key = k.key("s");

        other.set(&key, "v1").await.unwrap();
        assert_eq!(c.get(&key).cached().await.unwrap().as_deref(), Some(&b"v1"[..]));
        let before = stats(&c);
        assert_eq!(c.get(&key).cached().await.unwrap().as_deref(), Some(&b"v1"[..]));
        assert_eq!(stats(&c).hits, before.hits + 1, "{server:?}: the second read is a hit");
        assert_eq!(stats(&c).misses, before.misses);

        // SET.
        other.set(&key, "v2").await.unwrap();
        eventually("SET invalidates", || async {
            c.get(&key).cached().await.unwrap().as_deref() == Some(&b"v2"[..])
        })
        .await;
        // DEL; then the nil reply is cached too, and invalidated when the key comes back.
        other.del(&key).await.unwrap();
        eventually("DEL invalidates", || async { c.get(&key).cached().await.unwrap().is_none() }).await;
        let before = stats(&c);
        assert!(c.get(&key).cached().await.unwrap().is_none());
        assert_eq!(stats(&c).hits, before.hits + 1, "{server:?}: nil is cached");
        other.set(&key, "v3").await.unwrap();
        eventually("a new key invalidates its cached nil", || async {
            c.get(&key).cached().await.unwrap().as_deref() == Some(&b"v3"[..])
        })
        .await;
        // EXPIRE: the entry goes at once (the value is the same), and the next one lives no
        // longer than the key.
        let invalidations = stats(&c).invalidations;
        other.pexpire(&key, Duration::from_millis(300)).await.unwrap();
        eventually("EXPIRE invalidates", || async { stats(&c).invalidations > invalidations }).await;
        let misses = stats(&c).misses;
        assert_eq!(c.get(&key).cached().await.unwrap().as_deref(), Some(&b"v3"[..]));
        assert_eq!(stats(&c).misses, misses + 1, "{server:?}: EXPIRE dropped the entry");
        eventually("the entry ends with the key", || async { c.get(&key).cached().await.unwrap().is_none() })
            .await;

        // Other commands, other types: every command's entry on a key goes with it.
        let (h, l) = (k.key("h"), k.key("l"));
        other.hset(&h, [("f", "1")]).await.unwrap();
        other.rpush(&l, ["a"]).await.unwrap();
        let name: Option<String> = c.hget(&h, "f").decode_as().cached().await.unwrap();
        assert_eq!(name.as_deref(), Some("1"));
        assert_eq!(c.hlen(&h).cached().await.unwrap(), 1);
        assert_eq!(c.lrange(&l, 0, -1).cached().await.unwrap().len(), 1);
        other.hset(&h, [("f", "2"), ("g", "3")]).await.unwrap();
        other.rpush(&l, ["b"]).await.unwrap();
        eventually("HSET invalidates HGET and HLEN", || async {
            let f: Option<String> = c.hget(&h, "f").decode_as().cached().await.unwrap();
            f.as_deref() == Some("2") && c.hlen(&h).cached().await.unwrap() == 2
        })
        .await;
        eventually("RPUSH invalidates LRANGE", || async {
            c.lrange(&l, 0, -1).cached().await.unwrap().len() == 2
        })
        .await;
        // A server error is answered, not cached.
        let wrong = c.lrange(&h, 0, -1).cached().await.unwrap_err();
        assert_eq!(wrong.code(), Some("WRONGTYPE"), "{server:?}: {wrong}");
        c.close().await;
    }
}

/// FLUSHDB (an invalidation without keys) drops every entry of the connection.
#[tokio::test]
async fn cache_flushdb_drops_everything() {
    flushdb_drops_everything(Protocol::Resp3).await;
}

/// The body of `cache_flushdb_drops_everything`, under `protocol`.
pub(crate) async fn flushdb_drops_everything(protocol: Protocol) {
    for mut server in [OwnServer::start(&[]), OwnServer::valkey(&[])] {
        let other = support::client_for(&server.url(), Protocol::Resp3).await;
        let c = cached_client(&server.url(), protocol, CacheConfig::new()).await;
        for i in 0..10 {
            other.set(format!("k{i}"), i).await.unwrap();
            assert!(c.get(format!("k{i}")).cached().await.unwrap().is_some());
        }
        assert_eq!(stats(&c).entries, 10);
        other.flushdb().await.unwrap();
        eventually("FLUSHDB empties the cache", || async { stats(&c).entries == 0 }).await;
        for i in 0..10 {
            assert!(c.get(format!("k{i}")).cached().await.unwrap().is_none());
        }
        assert!(stats(&c).resets >= 1);
        c.close().await;
        server.stop();
    }
}

/// A connection killed while entries are cached: they are dropped (writes meanwhile sent
/// invalidations nobody heard), and tracking resumes on the next connection.
#[tokio::test]
async fn cache_connection_killed() {
    for mut server in [OwnServer::start(&[]), OwnServer::valkey(&[])] {
        let other = support::client_for(&server.url(), Protocol::Resp3).await;
        let c = cached_client(&server.url(), Protocol::Resp3, CacheConfig::new()).await;
        other.set("k", "before").await.unwrap();
        assert_eq!(c.get("k").cached().await.unwrap().as_deref(), Some(&b"before"[..]));
        assert_eq!(stats(&c).entries, 1);
        let killed = kill_the_others(&other).await;
        assert!(killed >= 1);
        other.set("k", "during").await.unwrap();
        eventually("the loss drops the entries", || async { stats(&c).entries == 0 }).await;
        assert!(stats(&c).resets >= 1);
        assert_eq!(c.get("k").cached().await.unwrap().as_deref(), Some(&b"during"[..]));
        other.set("k", "after").await.unwrap();
        eventually("the new connection tracks again", || async {
            c.get("k").cached().await.unwrap().as_deref() == Some(&b"after"[..])
        })
        .await;
        c.close().await;
        server.stop();
    }
}

/// A pool of two connections: each tracks the reads sent on it, its invalidations drop them,
/// and its loss drops them and only them.
#[tokio::test]
async fn cache_pool_of_two_connections() {
    let mut server = OwnServer::start(&[]);
    let other = support::client_for(&server.url(), Protocol::Resp3).await;
    let c = Client::builder()
        .url(&server.url())
        .protocol(Protocol::Resp3)
        .pool_size(2)
        .client_name("cache-pool-of-two")
        .command_timeout(PATIENCE)
        .cache(CacheConfig::new())
        .build()
        .unwrap();
    c.ready().await.unwrap();
    let mut n = 0;
    let (keys, ids) = spread(&other, &c, &mut n).await;
    let before = stats(&c);
    assert_eq!(before.entries, keys.len());
    // One connection is killed: what it tracked goes, what the other tracked stays.
    assert_eq!(other.client_kill().id(ids[0]).await.unwrap(), 1);
    eventually("the loss drops that connection's entries", || async { stats(&c).resets > before.resets })
        .await;
    let after = stats(&c);
    assert!(after.entries > 0 && after.entries < before.entries, "{before:?} -> {after:?}");
    // Both connections (one of them made anew) hold entries again; a write to every key is
    // heard by the connection that tracks it.
    let (more, _) = spread(&other, &c, &mut n).await;
    for key in keys.iter().chain(&more) {
        other.set(key, "2").await.unwrap();
    }
    for key in keys.iter().chain(&more) {
        eventually("each connection's invalidations", || async {
            c.get(key).cached().await.unwrap().as_deref() == Some(&b"2"[..])
        })
        .await;
    }
    c.close().await;
    server.stop();
}

/// Each runtime thread keeps to one connection of a pool, picked by the order threads first
/// used one: reads fresh keys (`k<n>`) from new threads until both connections of
/// `cache-pool-of-two` have sent a cached read since they connected (their last command is
/// its EXEC). Returns the keys and the connections' ids.
async fn spread(other: &Client, c: &Client, n: &mut usize) -> (Vec<String>, Vec<u64>) {
    let mut keys = Vec::new();
    loop {
        let list = other.client_list().await.unwrap();
        let mine: Vec<_> = list.iter().filter(|i| i.name() == Some("cache-pool-of-two")).collect();
        if mine.len() == 2 && mine.iter().all(|i| i.get("cmd") == Some("exec")) {
            return (keys, mine.iter().filter_map(|i| i.id()).collect());
        }
        assert!(keys.len() < 64, "64 threads, and a connection never used: {mine:?}");
        *n += 1;
        let key = format!("k{n}");
        other.set(&key, "1").await.unwrap();
        let (c, k) = (c.clone(), key.clone());
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let _ = tx.send(rt.block_on(async { c.get(&k).cached().await }));
        });
        assert_eq!(rx.await.unwrap().unwrap().as_deref(), Some(&b"1"[..]));
        keys.push(key);
    }
}

/// Concurrent misses of one entry send one request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_single_flight() {
    let _guard = support::shared().await;
    let k = Keys::new("cache_single_flight", Protocol::Resp3);
    let other = k.client(Protocol::Resp3).await;
    k.clean(&other).await;
    let key = k.key("hot");
    other.set(&key, "v").await.unwrap();
    let c = cached_client(&k.url(), Protocol::Resp3, CacheConfig::new()).await;
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (c, key) = (c.clone(), key.clone());
            tokio::spawn(async move { c.get(&key).cached().await.unwrap() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().as_deref(), Some(&b"v"[..]));
    }
    let s = stats(&c);
    assert_eq!((s.misses, s.hits), (1, 63), "{s:?}");
    c.close().await;
}

/// The byte budget holds under a key space ten times larger, and the cache keeps serving.
#[tokio::test]
async fn cache_byte_budget() {
    let _guard = support::shared().await;
    let k = Keys::new("cache_byte_budget", Protocol::Resp3);
    let other = k.client(Protocol::Resp3).await;
    k.clean(&other).await;
    let budget = 64 << 10;
    let value = "x".repeat(600);
    // About 700 bytes an entry as the budget counts them: 1,000 keys are ten budgets.
    let keys: Vec<String> = (0..1000).map(|i| k.key(&format!("{i}"))).collect();
    for chunk in keys.chunks(100) {
        other.mset(chunk.iter().map(|k| (k.as_str(), value.as_str())).collect::<Vec<_>>()).await.unwrap();
    }
    let c = cached_client(&k.url(), Protocol::Resp3, CacheConfig::new().max_bytes(budget)).await;
    let hot = k.key("0");
    for round in 0..3 {
        for key in &keys {
            let v = c.get(key).cached().await.unwrap().expect("the value");
            assert_eq!(v.len(), 600);
            let _ = c.get(&hot).cached().await.unwrap();
            let s = stats(&c);
            assert!(s.bytes <= budget, "round {round}: {s:?}");
        }
    }
    let s = stats(&c);
    assert!(s.entries > 10 && s.entries < 1000, "{s:?}");
    let hits_before = s.hits;
    let _ = c.get(&hot).cached().await.unwrap();
    assert_eq!(stats(&c).hits, hits_before + 1, "the hot key stays");
    println!("byte budget {budget}: {s:?}");
    c.close().await;
}

/// Without a cache, `.cached()` simply sends the read, under either protocol.
#[tokio::test]
async fn cache_off_sends_the_read() {
    for protocol in support::PROTOCOLS {
        let plain = support::client(protocol).await;
        assert!(plain.cache_stats().is_none());
        let k = Keys::new("cache_off_sends_the_read", protocol);
        assert!(plain.get(k.key("none")).cached().await.unwrap().is_none());
    }
}

/// The writes of one key: (version, acknowledged at).
type Acks = Mutex<Vec<(u64, Instant)>>;

/// One read: which key, when it began, and the version it saw.
struct Seen {
    key: usize,
    began: Instant,
    version: u64,
}

/// 32 writers and 32 readers on 100 keys for 10 s. Checked without a clock: no reader sees a
/// key go back to an older version, and once writes stop every cached read converges to the
/// server's value (an entry filled past its invalidation would break both). Measured and
/// printed, not asserted (timings flake on a shared machine): how far behind the last write
/// acknowledged before a read began each read was, and the invalidation delay, which a probe
/// times from a write's acknowledgement to the cache's new answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_race_stress() {
    race_stress(Protocol::Resp3).await;
}

/// The body of `cache_race_stress`, under `protocol`.
pub(crate) async fn race_stress(protocol: Protocol) {
    const KEYS: usize = 100;
    const RUN: Duration = Duration::from_secs(10);
    let _guard = support::shared().await;
    let k = Keys::new("cache_race_stress", protocol);
    let writer = k.client(Protocol::Resp3).await;
    k.clean(&writer).await;
    let keys: Arc<Vec<String>> = Arc::new((0..KEYS).map(|i| k.key(&format!("{i}"))).collect());
    // A TTL cap longer than the run: an entry kept past its invalidation shows as seconds.
    let c = cached_client(&k.url(), protocol, CacheConfig::new().ttl(Duration::from_secs(120))).await;
    let start = Instant::now();
    // Per key: (version, acknowledged at) of every write.
    let acks: Arc<Vec<Acks>> = Arc::new((0..KEYS).map(|_| Mutex::default()).collect());
    let mut writers = Vec::new();
    for w in 0..32u64 {
        let (writer, keys, acks) = (writer.clone(), keys.clone(), acks.clone());
        writers.push(tokio::spawn(async move {
            let mut i = w;
            while start.elapsed() < RUN {
                i = i.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let key = (i >> 33) as usize % KEYS;
                let version = writer.incr(&keys[key]).await.unwrap() as u64;
                acks[key].lock().unwrap().push((version, Instant::now()));
            }
        }));
    }
    let mut readers = Vec::new();
    for r in 0..32u64 {
        let (c, keys) = (c.clone(), keys.clone());
        readers.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut i = r + 1000;
            while start.elapsed() < RUN {
                i = i.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let key = (i >> 33) as usize % KEYS;
                let began = Instant::now();
                let v: Option<u64> = c.get(&keys[key]).decode_as().cached().await.unwrap();
                seen.push(Seen { key, began, version: v.unwrap_or(0) });
                // A hit never waits: without this the readers would starve the writers.
                tokio::task::yield_now().await;
            }
            seen
        }));
    }
    // The probe: a key of its own, written by the writer client, read through the cache.
    let probe = {
        let (c, writer, key) = (c.clone(), writer.clone(), k.key("probe"));
        tokio::spawn(async move {
            let mut delays = Vec::new();
            while start.elapsed() < RUN {
                let _ = c.get(&key).cached().await.unwrap();
                let _ = c.get(&key).cached().await.unwrap();
                let version = writer.incr(&key).await.unwrap() as u64;
                let acked = Instant::now();
                loop {
                    let v: Option<u64> = c.get(&key).decode_as().cached().await.unwrap();
                    if v == Some(version) {
                        break;
                    }
                    assert!(acked.elapsed() < PATIENCE, "the probe's write was never seen");
                    tokio::task::yield_now().await;
                }
                delays.push(acked.elapsed());
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            delays
        })
    };
    for w in writers {
        w.await.unwrap();
    }
    let mut per_reader = Vec::new();
    for r in readers {
        per_reader.push(r.await.unwrap());
    }
    // Monotonic reads: versions only grow (INCR), so a reader that read a key at version v
    // and later at less saw an entry the server had invalidated.
    for (r, seen) in per_reader.iter().enumerate() {
        let mut last = vec![0u64; KEYS];
        for s in seen {
            assert!(
                s.version >= last[s.key],
                "reader {r} saw key {} go back from version {} to {}",
                s.key,
                last[s.key],
                s.version
            );
            last[s.key] = s.version;
        }
    }
    let seen: Vec<Seen> = per_reader.into_iter().flatten().collect();
    let mut delays = probe.await.unwrap();

    // Per key, versions ascending, and the earliest acknowledgement of any later version.
    let mut earliest_after: Vec<HashMap<u64, Instant>> = Vec::new();
    let mut versions: Vec<Vec<u64>> = Vec::new();
    for key in 0..KEYS {
        let mut a = acks[key].lock().unwrap().clone();
        a.sort_by_key(|(v, _)| *v);
        let mut min: Option<Instant> = None;
        let mut m = HashMap::new();
        for (v, at) in a.iter().rev() {
            min = Some(min.map_or(*at, |m: Instant| m.min(*at)));
            m.insert(*v, min.unwrap());
        }
        versions.push(a.iter().map(|(v, _)| *v).collect());
        earliest_after.push(m);
    }
    // A read that saw `version` while a later one was acknowledged before it began is stale
    // by the time since that acknowledgement.
    let mut worst = Duration::ZERO;
    let mut stale = 0usize;
    for s in &seen {
        let vs = &versions[s.key];
        let next = vs.partition_point(|v| *v <= s.version);
        let Some(newer) = vs.get(next) else { continue };
        let first_ack = earliest_after[s.key][newer];
        if first_ack < s.began {
            stale += 1;
            worst = worst.max(s.began - first_ack);
        }
    }
    delays.sort();
    let pct = |p: usize| delays.get(delays.len() * p / 100).copied().unwrap_or_default();
    let writes: usize = versions.iter().map(Vec::len).sum();
    println!(
        "cache race ({protocol:?}): {} reads, {writes} writes, {stale} reads behind an acknowledged write, worst by {worst:?}; \
         invalidation delay (write acknowledged -> cache answers anew) p50 {:?} p99 {:?} max {:?} over {} probes; {:?}",
        seen.len(),
        pct(50),
        pct(99),
        delays.last().copied().unwrap_or_default(),
        delays.len(),
        stats(&c),
    );
    assert!(seen.len() > 1000 && writes > 1000, "the run did something");
    // Quiet now: every cached read must converge to the server's value, since an entry filled
    // past its invalidation would be stale for the whole TTL cap.
    for key in keys.iter() {
        let truth: Option<u64> = writer.get(key).decode_as().await.unwrap();
        eventually("converges to the last write", || async {
            let v: Option<u64> = c.get(key).decode_as().cached().await.unwrap();
            v == truth
        })
        .await;
    }
    c.close().await;
}
