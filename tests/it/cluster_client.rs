//! The client in cluster mode, against the 6-node cluster `cargo xtask test` starts: routing by
//! slot, hash tags, refusals before sending, MOVED and ASK during a slot migration, batches.

use std::collections::HashMap;
use std::time::Duration;

use tredis::prelude::*;
use tredis::reply::ClusterNode;
use tredis::{Bytes, Client, ErrorKind, Protocol};

use crate::support;

/// The nodes of the test cluster.
fn nodes() -> Vec<String> {
    std::env::var("TREDIS_TEST_CLUSTER_URLS")
        .expect(
            "TREDIS_TEST_CLUSTER_URLS names the test cluster's nodes; run the suite with `cargo xtask test`",
        )
        .split(',')
        .map(str::to_string)
        .collect()
}

async fn cluster_client(protocol: Protocol) -> Client {
    let c = Client::builder()
        .hosts(&nodes()[..1])
        .cluster(true)
        .protocol(protocol)
        .command_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    c.ready().await.unwrap();
    c
}

/// Plain clients of the primaries, with the slot ranges each serves.
async fn primaries() -> Vec<(Client, ClusterNode)> {
    let mut out = Vec::new();
    for url in nodes() {
        let c = support::client_for(&url, Protocol::Resp3).await;
        let me = c.cluster_nodes().await.unwrap().into_iter().find(ClusterNode::is_myself).unwrap();
        if me.is_primary() {
            out.push((c, me));
        }
    }
    out
}

#[tokio::test]
async fn routes_by_slot_as_the_server_computes_it() {
    let c = cluster_client(Protocol::Resp3).await;
    // Our slot function agrees with CLUSTER KEYSLOT on 10,000 keys, none in a slot another
    // test moves meanwhile.
    let keys: Vec<String> =
        (0..).map(|i| format!("route:{i}")).filter(|k| !support::in_a_moving_slot(k)).take(10_000).collect();
    let p = c.pipeline();
    let slots = p.execute(keys.iter().map(|k| p.cluster_keyslot(k)).collect::<Vec<_>>()).await;
    for (k, s) in keys.iter().zip(slots) {
        assert_eq!(u64::from(tredis::key_slot(k)), s.unwrap(), "{k}");
    }
    // Every key lands on the primary that serves its slot.
    for chunk in keys.chunks(1000) {
        for k in chunk {
            c.set(k, k).await.unwrap();
        }
    }
    let mut found = 0;
    for (node, me) in primaries().await {
        for k in &keys {
            let slot = tredis::key_slot(k);
            if me.slots.iter().any(|&(a, b)| a <= slot && slot <= b) {
                assert_eq!(node.get(k).await.unwrap().as_deref(), Some(k.as_bytes()), "{k} on {}", me.port);
                found += 1;
            }
        }
    }
    assert_eq!(found, keys.len());
    for k in &keys {
        assert_eq!(c.get(k).await.unwrap().as_deref(), Some(k.as_bytes()));
    }
    for k in &keys {
        c.del(k).await.unwrap();
    }
}

#[tokio::test]
async fn hash_tags_and_refusals() {
    for proto in support::PROTOCOLS {
        let c = cluster_client(proto).await;
        let tag = format!("{{tags-{proto:?}}}");
        let (a, b) = (format!("{tag}a"), format!("{tag}b"));
        c.mset([(&a, "1"), (&b, "2")]).await.unwrap();
        assert_eq!(c.mget([&a, &b]).await.unwrap(), vec![Some(Bytes::from("1")), Some(Bytes::from("2"))]);
        assert_eq!(c.del([&a, &b]).await.unwrap(), 2);
        // Keys of different slots, without a rule to split them: refused before sending.
        let err = c.rename("cross-a", "cross-b").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidClusterCommand, "{err}");
        assert!(err.to_string().contains("RENAME"), "{err}");
        let err = c.swapdb(0, 1).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidClusterCommand, "{err}");
        let err = c.move_key("k", 1).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidClusterCommand, "{err}");
        // Commands without keys go to some primary.
        c.ping().await.unwrap();
        assert!(c.cluster_info().await.unwrap().is_ok());
    }
}

#[tokio::test]
async fn batches_in_one_slot() {
    let c = cluster_client(Protocol::Resp3).await;
    let (a, b) = ("{batch}a", "{batch}b");
    c.del([a, b]).await.unwrap();
    let p = c.pipeline();
    let (x, y) = p.execute((p.incr(a), p.incr(b))).await;
    assert_eq!((x.unwrap(), y.unwrap()), (1, 1));
    let tx = c.multi();
    let out = tx.exec((tx.incr(a), tx.incr(b))).await.unwrap().unwrap();
    assert_eq!((out.0.unwrap(), out.1.unwrap()), (2, 2));
    let tx = c.multi();
    let err = tx.exec((tx.incr("cross-1"), tx.incr("cross-2"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidClusterCommand, "{err}");
    // WATCH runs on the node of its keys.
    let tx = c.watch(a).await.unwrap();
    let n: i64 = tx.get(a).await.unwrap().map_or(0, |v| std::str::from_utf8(&v).unwrap().parse().unwrap());
    let out = tx.exec((tx.set(a, n + 10),)).await.unwrap();
    assert!(out.is_some());
    assert_eq!(c.get(a).await.unwrap().as_deref(), Some(&b"12"[..]));
    c.del([a, b]).await.unwrap();
}

/// A slot moves from one primary to another while the client knows the old map: the client
/// follows ASK during the migration and MOVED after it, and every value is read back.
#[tokio::test]
async fn follows_ask_and_moved_during_a_migration() {
    let c = cluster_client(Protocol::Resp3).await;
    let tag = "{migrating}";
    let slot = tredis::key_slot(tag);
    let keys: Vec<String> = (0..20).map(|i| format!("{tag}{i}")).collect();
    let (tx_a, tx_b) = (format!("{tag}tx-a"), format!("{tag}tx-b"));
    c.del([format!("{tag}counter"), tx_a.clone(), tx_b.clone()]).await.unwrap();
    for k in &keys {
        c.set(k, k).await.unwrap();
    }
    c.mset([(&tx_a, "0"), (&tx_b, "0")]).await.unwrap();
    let both_incremented = |out: Option<(Result<i64, tredis::Error>, Result<i64, tredis::Error>)>| {
        let (a, b) = out.expect("nothing watched");
        (a.unwrap(), b.unwrap())
    };
    let prims = primaries().await;
    let serves = |me: &ClusterNode| me.slots.iter().any(|&(a, b)| a <= slot && slot <= b);
    let (src, src_me) = prims.iter().find(|(_, me)| serves(me)).unwrap();
    let (dst, dst_me) = prims.iter().find(|(_, me)| !serves(me)).unwrap();
    let slot64 = u64::from(slot);
    use tredis::commands::cluster::ClusterSetslotState;
    dst.cluster_setslot(slot64, ClusterSetslotState::Importing(src_me.id.clone().into())).await.unwrap();
    src.cluster_setslot(slot64, ClusterSetslotState::Migrating(dst_me.id.clone().into())).await.unwrap();
    // Half the keys move: reads of those get ASK, the rest are answered by the source.
    let mut first_half = keys[..10].to_vec();
    first_half.extend([tx_a.clone(), tx_b.clone()]);
    src.migrate_keys("127.0.0.1", u64::from(dst_me.port), 0, Duration::from_secs(5), &first_half)
        .await
        .unwrap();
    // A transaction whose keys all moved already is sent again whole, after ASKING.
    let tx = c.multi();
    assert_eq!(both_incremented(tx.exec((tx.incr(&tx_a), tx.incr(&tx_b))).await.unwrap()), (1, 1));
    for k in &keys {
        assert_eq!(c.get(k).await.unwrap().as_deref(), Some(k.as_bytes()), "{k} during the migration");
    }
    // Keys of one slot split between the two nodes (reliability scenario 7): a command on
    // several of them gets TRYAGAIN, retried a bounded number of times, then the error.
    let started = std::time::Instant::now();
    let err = c.mget([&keys[0], &keys[15]]).await.unwrap_err();
    assert_eq!(err.code(), Some("TRYAGAIN"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(15), "TRYAGAIN retried for {:?}", started.elapsed());
    // A transaction over both halves is refused whole, never applied in part (scenario 14).
    let tx = c.multi();
    let err = tx.exec((tx.append(&keys[0], "!"), tx.append(&keys[15], "!"))).await.unwrap_err();
    eprintln!("a transaction across a migrating slot: {err}");
    for k in [&keys[0], &keys[15]] {
        assert_eq!(c.get(k).await.unwrap().as_deref(), Some(k.as_bytes()), "{k} changed");
    }
    // The rest, and any key another test put in the slot.
    migrate_slot_keys(src, dst_me.port, slot64).await;
    for n in [dst, src] {
        n.cluster_setslot(slot64, ClusterSetslotState::Node(dst_me.id.clone().into())).await.unwrap();
    }
    // The client still maps the slot to the source: a transaction gets MOVED for each
    // command, so EXECABORT, and is sent again whole to the new owner.
    let tx = c.multi();
    assert_eq!(both_incremented(tx.exec((tx.incr(&tx_a), tx.incr(&tx_b))).await.unwrap()), (2, 2));
    // Then single commands: MOVED, and a refreshed map.
    for k in &keys {
        assert_eq!(c.get(k).await.unwrap().as_deref(), Some(k.as_bytes()), "{k} after the migration");
        c.incr(format!("{tag}counter")).await.unwrap();
    }
    // Put the slot back for the other tests.
    dst.cluster_setslot(slot64, ClusterSetslotState::Migrating(src_me.id.clone().into())).await.unwrap();
    src.cluster_setslot(slot64, ClusterSetslotState::Importing(dst_me.id.clone().into())).await.unwrap();
    let mut all = keys.clone();
    all.extend([format!("{tag}counter"), tx_a, tx_b]);
    migrate_slot_keys(dst, src_me.port, slot64).await;
    for n in [src, dst] {
        n.cluster_setslot(slot64, ClusterSetslotState::Node(src_me.id.clone().into())).await.unwrap();
    }
    assert_eq!(c.get(format!("{tag}counter")).await.unwrap().as_deref(), Some(&b"20"[..]));
    assert_eq!(c.del(&all).await.unwrap(), all.len() as u64);
}

/// Moves every key of `slot` from `from` to the node at `port`.
async fn migrate_slot_keys(from: &Client, port: u16, slot: u64) {
    loop {
        let keys = from.cluster_getkeysinslot(slot, 100).await.unwrap();
        if keys.is_empty() {
            return;
        }
        from.migrate_keys("127.0.0.1", u64::from(port), 0, Duration::from_secs(5), &keys).await.unwrap();
    }
}

/// Commands that run on several nodes: split by slot (MGET, MSET, DEL ...) or sent to every
/// primary or node (KEYS, DBSIZE, SCRIPT LOAD ...), with the replies merged.
#[tokio::test]
async fn multi_key_commands_split_and_fan_out() {
    for proto in support::PROTOCOLS {
        let c = cluster_client(proto).await;
        let prefix = format!("fan-{proto:?}:");
        let keys: Vec<String> = (0..100).map(|i| format!("{prefix}{i}")).collect();
        c.del(&keys).await.unwrap();
        // Keys in many slots, in one call; values come back in the caller's order.
        c.mset(keys.iter().map(|k| (k, k))).await.unwrap();
        let mut asked: Vec<&str> = keys.iter().rev().map(String::as_str).collect();
        asked.insert(3, "fan-missing");
        let values = c.mget(&asked).await.unwrap();
        assert_eq!(values.len(), asked.len());
        for (k, v) in asked.iter().zip(&values) {
            let expected = (*k != "fan-missing").then(|| Bytes::from(k.to_string()));
            assert_eq!(v, &expected, "{k}");
        }
        assert_eq!(c.exists([&keys[0], &keys[1], &keys[1], &keys[50]]).await.unwrap(), 4);
        assert_eq!(c.touch(&keys[..10]).await.unwrap(), 10);
        let mut found = c.keys(format!("{prefix}*")).await.unwrap();
        found.sort();
        let mut expected: Vec<Bytes> = keys.iter().map(|k| Bytes::from(k.clone())).collect();
        expected.sort();
        assert_eq!(found, expected);
        assert!(c.dbsize().await.unwrap() >= 100);
        assert!(c.randomkey().await.unwrap().is_some());
        assert_eq!(c.unlink(&keys[..50]).await.unwrap(), 50);
        assert_eq!(c.del(&keys).await.unwrap(), 50);
        // MSETNX sets all or none: split, it could not, so it is refused.
        let err = c.msetnx([(&keys[0], "x"), (&keys[1], "y")]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidClusterCommand, "{err}");
        // A script loaded everywhere runs on any slot's node.
        let sha = c.script_load("return redis.call('incr', KEYS[1])").await.unwrap();
        assert_eq!(c.script_exists([&sha]).await.unwrap(), vec![true]);
        for k in &keys[..5] {
            assert_eq!(c.evalsha(&sha, [k], ()).await.unwrap(), tredis::Value::Int(1));
        }
        c.del(&keys[..5]).await.unwrap();
        // One node answers what cannot be merged.
        assert!(c.info().await.unwrap().get("redis_version").is_some());
        let err = c.scan(0).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidClusterCommand, "{err}");
    }
}

/// A pipeline in a cluster: each command goes to its own node, results in order, and a
/// command that cannot run fails alone.
#[tokio::test]
async fn pipelines_route_each_command() {
    for proto in support::PROTOCOLS {
        let c = cluster_client(proto).await;
        let keys: Vec<String> = (0..200).map(|i| format!("pipe-{proto:?}:{i}")).collect();
        let p = c.pipeline();
        let sets = p.execute(keys.iter().map(|k| p.set(k, k)).collect::<Vec<_>>()).await;
        assert!(sets.into_iter().all(|r| r.is_ok()));
        let gets = p.execute(keys.iter().map(|k| p.get(k)).collect::<Vec<_>>()).await;
        for (k, v) in keys.iter().zip(gets) {
            assert_eq!(v.unwrap().as_deref(), Some(k.as_bytes()));
        }
        let (n, cross, deleted, size) = p
            .execute((p.incr(&keys[0]).idempotent(), p.rename(&keys[1], &keys[2]), p.del(&keys), p.dbsize()))
            .await;
        assert_eq!(n.unwrap_err().code(), Some("ERR"), "not an integer");
        assert_eq!(cross.unwrap_err().kind(), ErrorKind::InvalidClusterCommand);
        assert_eq!(deleted.unwrap(), 200);
        size.unwrap();
    }
}

/// SCAN as a stream walks every primary; keyed scans (HSCAN ...) follow their key.
#[tokio::test]
async fn scan_streams_cover_the_whole_cluster() {
    let c = cluster_client(Protocol::Resp3).await;
    let keys: Vec<String> = (0..300).map(|i| format!("scan-all:{i}")).collect();
    c.mset(keys.iter().map(|k| (k, "v"))).await.unwrap();
    let mut found: Vec<Bytes> =
        c.scan(0).matching("scan-all:*").count(50).stream().collect_all().await.unwrap();
    found.sort();
    found.dedup();
    let mut expected: Vec<Bytes> = keys.iter().map(|k| Bytes::from(k.clone())).collect();
    expected.sort();
    assert_eq!(found, expected);
    c.hset("scan-all:hash", (0..100).map(|i| (format!("f{i}"), "v"))).await.unwrap();
    let fields = c.hscan("scan-all:hash", 0).stream().collect_all().await.unwrap();
    assert_eq!(fields.len(), 100);
    c.del(&keys).await.unwrap();
    c.del("scan-all:hash").await.unwrap();
}

/// GETs served by each node so far, by port.
async fn gets_served() -> HashMap<u16, u64> {
    let mut out = HashMap::new();
    for url in nodes() {
        let c = support::client_for(&url, Protocol::Resp3).await;
        out.insert(support::host_port(&url).1, support::command_stat(&c, "get", "calls").await);
    }
    out
}

/// With a read preference, reads go to replicas and writes to primaries.
#[tokio::test]
async fn reads_from_replicas_when_asked() {
    let c = Client::builder()
        .hosts(&nodes()[..1])
        .cluster(true)
        .read_from_replicas(true)
        .command_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    c.ready().await.unwrap();
    let keys: Vec<String> = (0..100).map(|i| format!("replica-read:{i}")).collect();
    for k in &keys {
        c.set(k, k).await.unwrap();
    }
    let replicas: Vec<u16> = {
        let mut ports = Vec::new();
        for url in nodes() {
            let plain = support::client_for(&url, Protocol::Resp3).await;
            if matches!(plain.role().await.unwrap(), tredis::reply::Role::Replica { .. }) {
                ports.push(support::host_port(&url).1);
            }
        }
        ports
    };
    assert!(!replicas.is_empty());
    let before = gets_served().await;
    for k in &keys {
        // A replica may lag: wait for each write to arrive.
        let start = std::time::Instant::now();
        while c.get(k).await.unwrap().as_deref() != Some(k.as_bytes()) {
            assert!(start.elapsed() < Duration::from_secs(30), "{k} never reached a replica");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let after = gets_served().await;
    let by_replicas: u64 = replicas.iter().map(|p| after[p] - before.get(p).copied().unwrap_or(0)).sum();
    assert!(by_replicas >= keys.len() as u64, "replicas served {by_replicas} GETs");
    assert_eq!(c.del(&keys).await.unwrap(), keys.len() as u64);
}
