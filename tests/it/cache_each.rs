//! Cached reads of several keys (MGET): each key is read, cached and invalidated on its own,
//! under RESP3 and RESP2, on one server and across the slots of a cluster.

use bytes::Bytes;
use tredis::prelude::*;
use tredis::{CacheConfig, Client, Protocol};

use crate::cache::{cached_client, eventually, stats, PATIENCE};
use crate::support::{self, Keys, Server};

fn some(s: &str) -> Option<Bytes> {
    Some(Bytes::copy_from_slice(s.as_bytes()))
}

/// A cached MGET misses on the keys it does not hold and only on those, hits on the rest,
/// answers in the order of the keys (an absent key's nil included, a key asked twice twice),
/// and another client's write to one key drops that key alone.
#[tokio::test]
async fn cache_mget_key_by_key() {
    for protocol in [Protocol::Resp3, Protocol::Resp2] {
        for server in [Server::Redis, Server::Valkey] {
            let _guard = support::shared().await;
            let k = Keys::on(server, "cache_mget_key_by_key", protocol);
            let other = k.client(Protocol::Resp3).await;
            k.clean(&other).await;
            let c = cached_client(&k.url(), protocol, CacheConfig::new()).await;
            let (a, b, absent) = (k.key("a"), k.key("b"), k.key("absent"));
            other.set(&a, "a1").await.unwrap();
            other.set(&b, "b1").await.unwrap();
            let what = format!("{server:?} {protocol:?}");

            let s0 = stats(&c);
            let got = c.mget([&a, &b, &absent]).cached().await.unwrap();
            assert_eq!(got, vec![some("a1"), some("b1"), None], "{what}");
            assert_eq!(stats(&c).misses - s0.misses, 3, "{what}: one read per key");
            let s1 = stats(&c);
            let got = c.mget([&absent, &b, &a, &b]).cached().await.unwrap();
            assert_eq!(got, vec![None, some("b1"), some("a1"), some("b1")], "{what}");
            assert_eq!((stats(&c).hits - s1.hits, stats(&c).misses - s1.misses), (4, 0), "{what}");

            // A write to one key drops it alone: the next read misses on it only.
            other.set(&b, "b2").await.unwrap();
            eventually("SET invalidates its key", || async {
                c.mget([&a, &b]).cached().await.unwrap() == vec![some("a1"), some("b2")]
            })
            .await;
            let s2 = stats(&c);
            assert_eq!(c.mget([&a, &b]).cached().await.unwrap(), vec![some("a1"), some("b2")], "{what}");
            assert_eq!((stats(&c).hits - s2.hits, stats(&c).misses - s2.misses), (2, 0), "{what}");
            // A key cached as absent, then created.
            other.set(&absent, "new").await.unwrap();
            eventually("a cached nil is invalidated", || async {
                c.mget([&absent]).cached().await.unwrap() == vec![some("new")]
            })
            .await;
            // The reply decodes as the uncached call's would.
            let typed: Vec<Option<String>> = c.mget([&a, &absent]).decode_as().cached().await.unwrap();
            assert_eq!(typed, vec![Some("a1".to_string()), Some("new".to_string())], "{what}");
            k.clean(&other).await;
        }
    }
}

/// In a cluster a cached MGET reads each key from its own slot's primary, so keys of several
/// slots need no hash tag; each is invalidated by the node that tracks it.
#[tokio::test]
async fn cache_cluster_mget_across_slots() {
    let _guard = support::shared().await;
    let urls = support::cluster_urls();
    let k = Keys::new("cache_cluster_mget_across_slots", Protocol::Resp3);
    // Keys without a hash tag: many slots, so several nodes (none that another test moves).
    let keys: Vec<String> = (0..)
        .map(|i| format!("{}:{i}", k.key("m")))
        .filter(|key| !support::in_a_moving_slot(key))
        .take(12)
        .collect();
    let slots: std::collections::HashSet<u16> = keys.iter().map(tredis::key_slot).collect();
    assert!(slots.len() > 3, "{slots:?}");
    let other = Client::builder().hosts(&urls).cluster(true).build().unwrap();
    other.ready().await.unwrap();
    for protocol in [Protocol::Resp3, Protocol::Resp2] {
        let c = Client::builder()
            .hosts(&urls[..1])
            .cluster(true)
            .protocol(protocol)
            .command_timeout(PATIENCE)
            .cache(CacheConfig::new())
            .build()
            .unwrap();
        c.ready().await.unwrap();
        for (i, key) in keys.iter().enumerate() {
            other.set(key, i.to_string()).await.unwrap();
        }
        let want: Vec<_> = (0..keys.len()).map(|i| some(&i.to_string())).collect();
        assert_eq!(c.mget(&keys).cached().await.unwrap(), want, "{protocol:?}");
        let s = stats(&c);
        assert_eq!(c.mget(&keys).cached().await.unwrap(), want, "{protocol:?}");
        assert_eq!(stats(&c).hits - s.hits, keys.len() as u64, "{protocol:?}: every key a hit");
        for key in &keys {
            other.del(key).await.unwrap();
        }
        eventually("every node invalidates its keys", || async {
            c.mget(&keys).cached().await.unwrap().iter().all(Option::is_none)
        })
        .await;
    }
    for key in &keys {
        other.del(key).await.unwrap();
    }
}

/// A cached read dropped before it was ever polled (a `select!` that took another branch)
/// leaves nothing behind: the next read of the same entries is answered, not left waiting on
/// a read that was never sent. An MGET's misses start together, so dropping it drops several.
#[tokio::test]
async fn cache_reads_dropped_unpolled_leave_nothing_behind() {
    use std::future::IntoFuture;
    let _guard = support::shared().await;
    let k = Keys::new("cache_reads_dropped_unpolled_leave_nothing_behind", Protocol::Resp3);
    let other = k.client(Protocol::Resp3).await;
    k.clean(&other).await;
    let c = cached_client(&k.url(), Protocol::Resp3, CacheConfig::new()).await;
    let (a, b) = (k.key("a"), k.key("b"));
    other.set(&a, "1").await.unwrap();
    other.set(&b, "2").await.unwrap();
    drop(c.get(&a).cached().into_future());
    drop(c.mget([&a, &b]).cached().into_future());
    // Within the client's timeout (PATIENCE): a read left waiting would time out instead.
    assert_eq!(c.get(&a).cached().await.unwrap(), some("1"));
    assert_eq!(c.mget([&a, &b]).cached().await.unwrap(), vec![some("1"), some("2")]);
    assert_eq!(c.get(&b).cached().await.unwrap(), some("2"));
    k.clean(&other).await;
}

/// A cached MGET of many keys: all misses, then all hits (more than a task's cooperative
/// budget of polls in one go), each answered in its place.
#[tokio::test]
async fn cache_mget_many_keys() {
    let _guard = support::shared().await;
    let k = Keys::new("cache_mget_many_keys", Protocol::Resp3);
    let other = k.client(Protocol::Resp3).await;
    k.clean(&other).await;
    let c = cached_client(&k.url(), Protocol::Resp3, CacheConfig::new()).await;
    let keys: Vec<String> = (0..2000).map(|i| k.key(&format!("m{i}"))).collect();
    let p = other.pipeline();
    let sets: Vec<_> = keys
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 7 != 0)
        .map(|(i, key)| p.set(key, i.to_string()))
        .collect();
    for r in p.execute(sets).await {
        r.unwrap();
    }
    let want: Vec<_> = (0..keys.len()).map(|i| (i % 7 != 0).then(|| Bytes::from(i.to_string()))).collect();
    let s0 = stats(&c);
    assert_eq!(c.mget(&keys).cached().await.unwrap(), want);
    assert_eq!(stats(&c).misses - s0.misses, keys.len() as u64);
    let s1 = stats(&c);
    assert_eq!(c.mget(&keys).cached().await.unwrap(), want);
    assert_eq!((stats(&c).hits - s1.hits, stats(&c).misses - s1.misses), (keys.len() as u64, 0));
    k.clean(&other).await;
}
