//! The client-side cache under RESP2: each shared connection (T) has its invalidations sent to
//! a companion connection (C, `CLIENT TRACKING ... REDIRECT`). Writes invalidate as under
//! RESP3 (the same bodies as `cache.rs` and `cache_cluster.rs`); losing C, or C reading what
//! it must not, ends T's session and drops its entries; losing T closes C; and both come back
//! with tracking re-armed.

use std::time::{Duration, Instant};

use tredis::prelude::*;
use tredis::{CacheConfig, Client, ErrorKind, Protocol};

use crate::cache::{eventually, stats, PATIENCE};
use crate::support::server::OwnServer;
use crate::support::{self, blocked_id};

/// Another client's SET, DEL, EXPIRE, HSET and RPUSH invalidate what this client cached.
#[tokio::test]
async fn cache_resp2_other_clients_writes_invalidate() {
    crate::cache::writes_invalidate(Protocol::Resp2).await;
}

/// FLUSHDB (a null instead of a key list) drops every entry of the connection.
#[tokio::test]
async fn cache_resp2_flushdb_drops_everything() {
    crate::cache::flushdb_drops_everything(Protocol::Resp2).await;
}

/// Every primary's invalidations reach the client, each node's connection with a companion
/// of its own.
#[tokio::test]
async fn cache_resp2_cluster_writes_invalidate() {
    crate::cache_cluster::writes_invalidate_on_every_node(Protocol::Resp2).await;
}

/// Writers and readers racing, the invalidations on another connection than the replies:
/// no reader goes back to an older version, and every key converges once writes stop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_resp2_race_stress() {
    crate::cache::race_stress(Protocol::Resp2).await;
}

/// A RESP2 client with a cache whose connections are named `name`.
async fn named_cached_client(url: &str, name: &str) -> Client {
    let c = Client::builder()
        .url(url)
        .protocol(Protocol::Resp2)
        .client_name(name)
        .command_timeout(PATIENCE)
        .cache(CacheConfig::new())
        .build()
        .expect("client config");
    c.ready().await.expect("the test server accepts connections");
    c
}

/// The ids of the tracking connection named `name` and of its companion, once they are all
/// the connections of that name: T, whose `redir` names C, and C, subscribed. So a companion
/// of an earlier session is closed by then.
async fn pair(admin: &Client, name: &str) -> (u64, u64) {
    let start = Instant::now();
    loop {
        let list = admin.client_list().await.unwrap();
        let mine: Vec<_> = list.iter().filter(|i| i.name() == Some(name)).collect();
        let redir = |i: &&tredis::reply::ClientInfo| i.get("redir").and_then(|r| r.parse::<u64>().ok());
        let subscribed = |i: &&tredis::reply::ClientInfo| i.get("flags").is_some_and(|f| f.contains('P'));
        if let [a, b] = &mine[..] {
            for (t, c) in [(a, b), (b, a)] {
                if redir(t).is_some_and(|r| r > 0 && Some(r) == c.id()) && subscribed(c) {
                    return (t.id().unwrap(), c.id().unwrap());
                }
            }
        }
        assert!(start.elapsed() < PATIENCE, "no tracking connection and companion named {name}: {mine:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// After a session ended: a new T and a new C (`pair` waits until the old C is gone too);
/// `k`, which holds `during`, is cached anew (a hit shows it is kept), and then only an
/// invalidation heard by the new C can change it.
async fn tracks_again(c: &Client, other: &Client, name: &str, (t, companion): (u64, u64)) {
    let (t2, companion2) = pair(other, name).await;
    assert!(t2 != t && companion2 != companion, "a new session: {t} {companion} -> {t2} {companion2}");
    eventually("cached from the new session", || async {
        let hits = stats(c).hits;
        c.get("k").cached().await.unwrap().as_deref() == Some(&b"during"[..]) && stats(c).hits > hits
    })
    .await;
    other.set("k", "after").await.unwrap();
    eventually("the new companion hears the write", || async {
        c.get("k").cached().await.unwrap().as_deref() == Some(&b"after"[..])
    })
    .await;
}

/// C killed: the write T has in flight fails as on a lost connection (it may have run), T's
/// entries go, and the new session (a new T and a new C) tracks again: a write by another
/// client still invalidates.
#[tokio::test]
async fn cache_resp2_companion_killed() {
    for mut server in [OwnServer::start(&[]), OwnServer::valkey(&[])] {
        let name = "cache-resp2-companion";
        let other = support::client_for(&server.url(), Protocol::Resp3).await;
        let c = named_cached_client(&server.url(), name).await;
        other.set("k", "before").await.unwrap();
        assert_eq!(c.get("k").cached().await.unwrap().as_deref(), Some(&b"before"[..]));
        assert_eq!(stats(&c).entries, 1);
        let (t, companion) = pair(&other, name).await;
        // A write held on T by the pause is in flight when C goes.
        other.client_pause(PATIENCE).write().await.unwrap();
        let held = tokio::spawn({
            let c = c.clone();
            async move { c.set("held", "1").await }
        });
        assert_eq!(blocked_id(&other, name).await, t);
        let before = stats(&c);
        assert_eq!(other.client_kill().id(companion).await.unwrap(), 1);
        let e = held.await.unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Indeterminate, "{e}");
        other.client_unpause().await.unwrap();
        eventually("C's loss drops T's entries", || async { stats(&c).resets > before.resets }).await;
        assert_eq!(stats(&c).entries, 0);
        other.set("k", "during").await.unwrap();
        tracks_again(&c, &other, name, (t, companion)).await;
        c.close().await;
        server.stop();
    }
}

/// T killed: its entries go, its companion is closed, and the next T tracks with a new one.
#[tokio::test]
async fn cache_resp2_tracking_connection_killed() {
    for mut server in [OwnServer::start(&[]), OwnServer::valkey(&[])] {
        let name = "cache-resp2-tracking";
        let other = support::client_for(&server.url(), Protocol::Resp3).await;
        let c = named_cached_client(&server.url(), name).await;
        other.set("k", "before").await.unwrap();
        assert_eq!(c.get("k").cached().await.unwrap().as_deref(), Some(&b"before"[..]));
        let (t, companion) = pair(&other, name).await;
        let before = stats(&c);
        assert_eq!(other.client_kill().id(t).await.unwrap(), 1);
        other.set("k", "during").await.unwrap();
        eventually("T's loss drops its entries", || async { stats(&c).resets > before.resets }).await;
        assert_eq!(stats(&c).entries, 0);
        tracks_again(&c, &other, name, (t, companion)).await;
        c.close().await;
        server.stop();
    }
}

/// Text on the channel (anyone may PUBLISH there; the server's messages are key lists or a
/// null) drops T's entries, as what it means is unknown, but keeps the session: the same two
/// connections, and the next write still invalidates.
#[tokio::test]
async fn cache_resp2_foreign_publish_drops_entries() {
    for mut server in [OwnServer::start(&[]), OwnServer::valkey(&[])] {
        let name = "cache-resp2-foreign";
        let other = support::client_for(&server.url(), Protocol::Resp3).await;
        let c = named_cached_client(&server.url(), name).await;
        other.set("k", "before").await.unwrap();
        assert_eq!(c.get("k").cached().await.unwrap().as_deref(), Some(&b"before"[..]));
        let sessions = pair(&other, name).await;
        let before = stats(&c);
        assert_eq!(other.publish("__redis__:invalidate", "not a key list").await.unwrap(), 1);
        eventually("the entries are dropped", || async { stats(&c).resets > before.resets }).await;
        assert_eq!(stats(&c).entries, 0);
        assert_eq!(pair(&other, name).await, sessions, "the session goes on");
        assert_eq!(c.get("k").cached().await.unwrap().as_deref(), Some(&b"before"[..]));
        other.set("k", "after").await.unwrap();
        eventually("the companion still hears writes", || async {
            c.get("k").cached().await.unwrap().as_deref() == Some(&b"after"[..])
        })
        .await;
        c.close().await;
        server.stop();
    }
}

/// An idle companion is sent PINGs (after a second of silence: the floor under the 50 ms
/// asked for here) and its answers keep the session: once C has sent one, and for three
/// silences in all (an unanswered PING would have ended it after two), the same two
/// connections, the entry still served from memory. No wall-clock bound: a slower machine
/// only waits longer for the PING.
#[tokio::test]
async fn cache_resp2_idle_companion_answers_pings() {
    let _guard = support::shared().await;
    let name = "cache-resp2-idle";
    let k = support::Keys::new("cache_resp2_idle_companion_answers_pings", Protocol::Resp2);
    let other = k.client(Protocol::Resp3).await;
    let c = Client::builder()
        .url(&k.url())
        .protocol(Protocol::Resp2)
        .client_name(name)
        .health_check_interval(Some(Duration::from_millis(50)))
        .command_timeout(PATIENCE)
        .cache(CacheConfig::new())
        .build()
        .unwrap();
    c.ready().await.unwrap();
    let key = k.key("k");
    other.set(&key, "v").await.unwrap();
    assert_eq!(c.get(&key).cached().await.unwrap().as_deref(), Some(&b"v"[..]));
    let before = pair(&other, name).await;
    eventually("C sends a PING when idle", || async {
        let list = other.client_list().await.unwrap();
        list.iter().any(|i| i.id() == Some(before.1) && i.get("cmd") == Some("ping"))
    })
    .await;
    // Long enough for an unanswered PING to end the session, never a bound on anything.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(pair(&other, name).await, before);
    let hits = stats(&c).hits;
    assert_eq!(c.get(&key).cached().await.unwrap().as_deref(), Some(&b"v"[..]));
    assert_eq!(stats(&c).hits, hits + 1, "{:?}", stats(&c));
    assert_eq!(stats(&c).resets, 0);
    c.close().await;
}

/// With credentials that expire, C authenticates again as T does (it cannot while
/// subscribed, so it leaves the channel for a moment, and T's entries go): deleting the old
/// user, which closes the connections still authenticated as it, closes neither, and C still
/// hears writes.
#[tokio::test]
async fn cache_resp2_companion_authenticates_again() {
    use std::sync::{Arc, Mutex};
    for mut server in [OwnServer::start(&[]), OwnServer::valkey(&[])] {
        let name = "cache-resp2-renewal";
        let admin = support::client_for(&server.url(), Protocol::Resp3).await;
        let user = |i: usize| format!("renewed{i}");
        let rules = ["reset", "on", ">pw", "~*", "&*", "+@all"];
        admin.acl_setuser(user(0)).rules(rules).await.unwrap();
        let current = Arc::new(Mutex::new(user(0)));
        let c = {
            let current = current.clone();
            Client::builder()
                .url(&server.url())
                .protocol(Protocol::Resp2)
                .client_name(name)
                .command_timeout(PATIENCE)
                .cache(CacheConfig::new())
                .credentials_provider(move || {
                    let user = current.lock().unwrap().clone();
                    async move { Ok(tredis::Credentials::user(user, "pw").valid_for(Duration::from_millis(300))) }
                })
                .build()
                .unwrap()
        };
        c.ready().await.unwrap();
        admin.set("k", "v0").await.unwrap();
        assert_eq!(c.get("k").cached().await.unwrap().as_deref(), Some(&b"v0"[..]));
        let both = pair(&admin, name).await;
        for i in 1..=2 {
            admin.acl_setuser(user(i)).rules(rules).await.unwrap();
            *current.lock().unwrap() = user(i);
            eventually("T and C authenticate as the new user", || async {
                let list = admin.client_list().await.unwrap();
                let as_new =
                    |id: u64| list.iter().any(|e| e.id() == Some(id) && e.get("user") == Some(&user(i)[..]));
                as_new(both.0) && as_new(both.1)
            })
            .await;
            assert_eq!(admin.acl_deluser([user(i - 1)]).await.unwrap(), 1);
        }
        assert_eq!(pair(&admin, name).await, both, "neither connection was closed");
        admin.set("k", "v1").await.unwrap();
        eventually("C still hears writes", || async {
            c.get("k").cached().await.unwrap().as_deref() == Some(&b"v1"[..])
        })
        .await;
        c.close().await;
        server.stop();
    }
}
