//! The client-side cache in a cluster: each node tracks the keys read from it, a node's
//! flush or lost connection drops only what it tracked, and a slot that moves takes its
//! entries with it. RESP3 here; `cache_resp2.rs` runs the first body under RESP2.

use std::time::Duration;

use tredis::prelude::*;
use tredis::{CacheConfig, Client, Protocol};

use crate::cache::{eventually, kill_the_others, stats, PATIENCE};
use crate::spans::{move_slot, owner_and_other};
use crate::support::own_cluster::{self, Member};
use crate::support::{self, Keys};

fn builder(urls: &[String]) -> tredis::Builder {
    Client::builder()
        .hosts(urls)
        .cluster(true)
        .protocol(Protocol::Resp3)
        .command_timeout(PATIENCE)
        .cache(CacheConfig::new())
}

async fn ready(b: tredis::Builder) -> Client {
    let c = b.build().expect("client config");
    c.ready().await.expect("the cluster is up");
    c
}

/// Keys `<prefix>{<n>}` whose slots lie in each of `ranges` (one key per range).
fn key_per_range(prefix: &str, ranges: &[(u16, u16)]) -> Vec<String> {
    ranges
        .iter()
        .map(|&(a, b)| {
            (0..)
                .map(|n| format!("{prefix}{{{n}}}"))
                .find(|k| (a..=b).contains(&tredis::key_slot(k)))
                .expect("a key in every range")
        })
        .collect()
}

/// The slot ranges of each primary of the cluster a client of one node sees.
async fn primaries_ranges(node: &Client) -> Vec<(u16, u16)> {
    let nodes = node.cluster_nodes().await.unwrap();
    nodes.iter().filter(|n| n.is_primary()).filter_map(|n| n.slots.first().copied()).collect()
}

/// Another client's SET, DEL and EXPIRE invalidate what this client cached, on every primary
/// (keys in slots of each); with `read_from_replicas` too, as cached reads go to primaries.
#[tokio::test]
async fn cache_cluster_writes_invalidate_on_every_node() {
    writes_invalidate_on_every_node(Protocol::Resp3).await;
}

/// The body of `cache_cluster_writes_invalidate_on_every_node`, under `protocol`.
pub(crate) async fn writes_invalidate_on_every_node(protocol: Protocol) {
    let _guard = support::shared().await;
    let urls = support::cluster_urls();
    let k = Keys::new("cache_cluster_writes_invalidate_on_every_node", protocol);
    let admin = support::client_for(&urls[0], Protocol::Resp3).await;
    let ranges = primaries_ranges(&admin).await;
    assert!(ranges.len() >= 3, "{ranges:?}");
    let keys = key_per_range(&k.key("s"), &ranges);
    let other = ready(Client::builder().hosts(&urls).cluster(true).protocol(Protocol::Resp3)).await;
    for replicas in [false, true] {
        let c = ready(builder(&urls[..1]).protocol(protocol).read_from_replicas(replicas)).await;
        for key in &keys {
            other.set(key, "v1").await.unwrap();
            assert_eq!(c.get(key).cached().await.unwrap().as_deref(), Some(&b"v1"[..]));
            let before = stats(&c);
            assert_eq!(c.get(key).cached().await.unwrap().as_deref(), Some(&b"v1"[..]));
            assert_eq!(stats(&c).hits, before.hits + 1, "{key}: the second read is a hit");
        }
        for key in &keys {
            other.set(key, "v2").await.unwrap();
        }
        for key in &keys {
            eventually("SET invalidates", || async {
                c.get(key).cached().await.unwrap().as_deref() == Some(&b"v2"[..])
            })
            .await;
        }
        for key in &keys {
            other.del(key).await.unwrap();
        }
        for key in &keys {
            eventually("DEL invalidates", || async { c.get(key).cached().await.unwrap().is_none() }).await;
            other.set(key, "v3").await.unwrap();
            eventually("a new key invalidates its cached nil", || async {
                c.get(key).cached().await.unwrap().as_deref() == Some(&b"v3"[..])
            })
            .await;
            let invalidations = stats(&c).invalidations;
            other.pexpire(key, Duration::from_secs(60)).await.unwrap();
            eventually("EXPIRE invalidates", || async { stats(&c).invalidations > invalidations }).await;
        }
        assert_eq!(stats(&c).moved, 0, "no slot moved");
        c.close().await;
        other.del(keys.clone()).await.ok();
    }
}

/// A slot moved behind the client's back: once the client learns it (from a MOVED, or from
/// a periodic map refresh), the slot's entries are dropped, and the next cached read gets the
/// current value from the new owner, which then tracks it. The entry is a cached nil: the
/// old owner never had the key, so it has nothing to say when the new one gets it.
#[tokio::test]
async fn cache_cluster_moved_slot_drops_its_entries() {
    let _guard = support::shared().await;
    let urls = support::cluster_urls();
    let key = "{cache-moved}k".to_string();
    let slot = u64::from(tredis::key_slot(&key));
    // One client learns by redirection only, the other by its periodic refresh alone.
    let by_moved = ready(builder(&urls[..1]).cluster_refresh_interval(None)).await;
    let by_refresh =
        ready(builder(&urls[..1]).cluster_refresh_interval(Some(Duration::from_millis(100)))).await;
    for c in [&by_moved, &by_refresh] {
        assert!(c.get(&key).cached().await.unwrap().is_none());
        assert_eq!(stats(c).entries, 1);
    }
    let (src, dst) = owner_and_other(slot).await;
    move_slot(slot, (&src.0, &src.1), (&dst.0, &dst.1)).await;
    // The body runs as a task of its own: whatever it does, the slot is put back after it.
    let body = tokio::spawn({
        let (by_moved, by_refresh, dst, key) =
            (by_moved.clone(), by_refresh.clone(), dst.0.clone(), key.clone());
        async move {
            dst.set(&key, "new").await.unwrap();
            // Another key of the slot, read the ordinary way: a MOVED, and the slot's entries go.
            assert!(by_moved.get("{cache-moved}other").await.unwrap().is_none());
            assert_eq!(stats(&by_moved).moved, 1, "{:?}", stats(&by_moved));
            assert_eq!(stats(&by_moved).entries, 0);
            // The other one is told by its next map, without a request of its own.
            eventually("a refresh drops the slot's entries", || async { stats(&by_refresh).moved == 1 })
                .await;
            assert_eq!(stats(&by_refresh).entries, 0);
            for c in [&by_moved, &by_refresh] {
                eventually("the current value, from the new owner", || async {
                    c.get(&key).cached().await.unwrap().as_deref() == Some(&b"new"[..])
                })
                .await;
                assert!(stats(c).moved >= 1, "{:?}", stats(c));
                // Cached again, now on the new owner, whose invalidations keep it.
                eventually("cached from the new owner", || async {
                    let hits = stats(c).hits;
                    c.get(&key).cached().await.unwrap().as_deref() == Some(&b"new"[..])
                        && stats(c).hits > hits
                })
                .await;
            }
            dst.set(&key, "newer").await.unwrap();
            for c in [&by_moved, &by_refresh] {
                eventually("the new owner invalidates", || async {
                    c.get(&key).cached().await.unwrap().as_deref() == Some(&b"newer"[..])
                })
                .await;
            }
        }
    });
    let outcome = body.await;
    // An empty slot moves back as it came.
    dst.0.del(&key).await.unwrap();
    move_slot(slot, (&dst.0, &dst.1), (&src.0, &src.1)).await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
    by_moved.close().await;
    by_refresh.close().await;
}

/// While a slot migrates, a cached read of a key its old owner no longer has is refused with
/// ASK when queued: it is answered through the new owner the ordinary way, stored nowhere,
/// and the slot's entries are dropped (the old owner no longer hears every write to it).
#[tokio::test]
async fn cache_cluster_ask_drops_the_slots_entries() {
    use tredis::commands::cluster::ClusterSetslotState;
    let _guard = support::shared().await;
    let urls = support::cluster_urls();
    let (kept, gone) = ("{cache-ask}kept".to_string(), "{cache-ask}gone".to_string());
    let slot = u64::from(tredis::key_slot(&kept));
    let c = ready(builder(&urls[..1]).cluster_refresh_interval(None)).await;
    let other = ready(Client::builder().hosts(&urls).cluster(true)).await;
    other.set(&kept, "v").await.unwrap();
    assert_eq!(c.get(&kept).cached().await.unwrap().as_deref(), Some(&b"v"[..]));
    assert_eq!(stats(&c).entries, 1);
    let (src, dst) = owner_and_other(slot).await;
    dst.0.cluster_setslot(slot, ClusterSetslotState::Importing(src.1.clone().into())).await.unwrap();
    src.0.cluster_setslot(slot, ClusterSetslotState::Migrating(dst.1.clone().into())).await.unwrap();
    let body = tokio::spawn({
        let (c, gone, kept) = (c.clone(), gone.clone(), kept.clone());
        async move {
            let before = stats(&c);
            assert!(c.get(&gone).cached().await.unwrap().is_none(), "answered by the new owner");
            let after = stats(&c);
            assert!(after.moved > before.moved, "the slot's entries go: {after:?}");
            assert_eq!(after.entries, 0, "{after:?}");
            // The old owner still has the other key, and tracks it again.
            assert_eq!(c.get(&kept).cached().await.unwrap().as_deref(), Some(&b"v"[..]));
        }
    });
    let outcome = body.await;
    // The slot stays where it was: no key moved.
    for n in [&dst.0, &src.0] {
        n.cluster_setslot(slot, ClusterSetslotState::Node(src.1.clone().into())).await.unwrap();
    }
    other.del(&kept).await.unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
    c.close().await;
}

/// On a cluster of its own: a FLUSHALL on one node drops only what that node tracked, and so
/// does the loss of the client's connection to one node. Redis, then Valkey.
#[tokio::test]
async fn cache_cluster_one_nodes_flush_or_loss() {
    let _one = own_cluster::one_at_a_time().await;
    for valkey in [false, true] {
        let members = match valkey {
            false => own_cluster::small_cluster().await,
            true => own_cluster::small_valkey_cluster().await,
        };
        one_nodes_flush_or_loss(&members).await;
    }
}

async fn one_nodes_flush_or_loss(members: &[Member]) {
    let keys = key_per_range("cache-flush", &[(0, 5460), (5461, 10922), (10923, 16383)]);
    let c = ready(builder(&[members[0].server.url()])).await;
    // Key `i` on node `i` gets `value(round, i)`, read through the cache until every entry
    // holds it (an entry of the round before goes with the write's invalidation).
    let value = |round: usize, i: usize| 10 * round + i;
    let cache_all = |round: usize| {
        let (c, keys) = (&c, &keys);
        async move {
            for (i, key) in keys.iter().enumerate() {
                members[i].admin.set(key, value(round, i)).await.unwrap();
            }
            eventually("every key cached", || async {
                for (i, key) in keys.iter().enumerate() {
                    let v: Option<usize> = c.get(key).decode_as().cached().await.unwrap();
                    if v != Some(value(round, i)) {
                        return false;
                    }
                }
                stats(c).entries == keys.len()
            })
            .await;
        }
    };
    // Each key reads as a hit, but the one on node `gone`, which is read anew.
    let check = |round: usize, gone: usize| {
        let (c, keys) = (&c, &keys);
        async move {
            for (i, key) in keys.iter().enumerate() {
                let hits = stats(c).hits;
                let v: Option<usize> = c.get(key).decode_as().cached().await.unwrap();
                if i == gone {
                    assert_eq!(stats(c).hits, hits, "{key}: dropped");
                } else {
                    assert_eq!(v, Some(value(round, i)));
                    assert_eq!(stats(c).hits, hits + 1, "{key}: kept");
                }
            }
        }
    };
    cache_all(0).await;
    members[1].admin.flushall().await.unwrap();
    eventually("the flushed node's entries go", || async { stats(&c).entries == keys.len() - 1 }).await;
    check(0, 1).await;
    assert!(stats(&c).resets >= 1);

    cache_all(1).await;
    let resets = stats(&c).resets;
    let killed = kill_the_others(&members[2].admin).await;
    assert!(killed >= 1);
    eventually("the lost connection's entries go", || async { stats(&c).resets > resets }).await;
    assert_eq!(stats(&c).entries, keys.len() - 1);
    check(1, 2).await;
    // The connection made anew tracks again.
    members[2].admin.set(&keys[2], 7).await.unwrap();
    eventually("tracking resumes on the new connection", || async {
        let v: Option<usize> = c.get(&keys[2]).decode_as().cached().await.unwrap();
        v == Some(7)
    })
    .await;
    c.close().await;
}
