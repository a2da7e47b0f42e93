//! WAIT counts the caller's earlier writes, whichever connection carried them, without
//! stalling other callers: with the replica stopped it times out with 0, and once the replica
//! runs again it answers 1; alone, in a pipeline, and in a cluster.

use std::time::{Duration, Instant};

use tredis::prelude::*;
use tredis::Client;

use crate::support::own_cluster::{one_at_a_time, small_cluster, small_valkey_cluster, Member};
use crate::support::server::OwnServer;
use crate::support::{wait_until, Frozen, PROTOCOLS};

const SHORT: Duration = Duration::from_millis(500);
const LONG: Duration = Duration::from_secs(5);

/// A primary and its replica, once the replica has every write so far.
async fn primary_and_replica() -> (OwnServer, OwnServer) {
    let primary = OwnServer::start(&[]);
    let port = primary.port().to_string();
    let replica = OwnServer::start(&["--replicaof", "127.0.0.1", &port]);
    let c = Client::connect(&primary.url()).await.unwrap();
    wait_until("the replica is in sync", || async {
        c.set("wait:sync", "x").await.is_ok()
            && c.wait(1, Duration::from_millis(100)).await.is_ok_and(|n| n == 1)
    })
    .await;
    (primary, replica)
}

/// WAIT while the replica is stopped: 0, once the timeout has passed.
async fn counts_none(n: Result<u64, tredis::Error>, started: Instant, what: &str) {
    assert_eq!(n.unwrap(), 0, "{what}: the stopped replica cannot have the write");
    assert!(started.elapsed() >= SHORT - Duration::from_millis(50), "{what}: WAIT waited its timeout");
}

#[tokio::test]
async fn wait_counts_the_writes_made_before_it() {
    let (primary, replica) = primary_and_replica().await;
    for protocol in PROTOCOLS {
        let c = Client::builder().url(&primary.url()).protocol(protocol).build().unwrap();
        c.ready().await.unwrap();
        let other = Client::connect(&primary.url()).await.unwrap();
        // A connection WAIT used before, whose offset the replica has acknowledged, is reused
        // below: the writes made since must count all the same.
        assert_eq!(c.wait(1, LONG).await.unwrap(), 1);
        let frozen = Frozen::freeze(replica.pid().unwrap());
        c.set("wait:k", "1").await.unwrap();
        let started = Instant::now();
        // Others are not stalled meanwhile, on the same client: a PING sent while WAIT waits
        // is answered before WAIT is.
        let waited = std::sync::atomic::AtomicBool::new(false);
        let (n, ping_first) = tokio::join!(
            async {
                let n = c.wait(1, SHORT).await;
                waited.store(true, std::sync::atomic::Ordering::SeqCst);
                n
            },
            async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                c.ping().await.unwrap();
                !waited.load(std::sync::atomic::Ordering::SeqCst)
            }
        );
        counts_none(n, started, "alone").await;
        assert!(ping_first, "{protocol:?}: a PING beside the WAIT waited for it");
        // A write made by another client counts too: the offset is the server's.
        other.set("wait:other", "1").await.unwrap();
        let started = Instant::now();
        counts_none(c.wait(1, SHORT).await, started, "another client's write").await;
        let p = c.pipeline();
        let started = Instant::now();
        let (set, n) = p.execute((p.set("wait:k", "2"), p.wait(1, SHORT))).await;
        set.unwrap();
        counts_none(n, started, "pipeline").await;
        drop(frozen);
        c.set("wait:k", "3").await.unwrap();
        assert_eq!(c.wait(1, LONG).await.unwrap(), 1, "{protocol:?}: the replica runs again");
        let (set, n) = p.execute((p.set("wait:k", "4"), p.wait(1, LONG))).await;
        set.unwrap();
        assert_eq!(n.unwrap(), 1, "{protocol:?}: pipeline, the replica runs again");
    }
}

#[tokio::test]
async fn wait_fails_rather_than_count_nothing_when_the_probe_is_refused() {
    // A user who may not publish on tredis's channel: the probe is refused, and WAIT says so.
    let server = OwnServer::start(&["--user", "narrow", "on", ">pw", "~*", "+@all", "resetchannels"]);
    let url = server.url().replacen("redis://", "redis://narrow:pw@", 1);
    let c = Client::connect(&url).await.unwrap();
    c.set("wait:narrow", "1").await.unwrap();
    let e = c.wait(0, Duration::from_millis(100)).await.unwrap_err();
    assert_eq!(e.code(), Some("NOPERM"), "{e}");
}

#[tokio::test]
async fn wait_in_a_cluster_counts_the_shards_writes() {
    let _one = one_at_a_time().await;
    wait_in(small_cluster().await).await;
}

/// On Valkey (and Redis 7.2+), PUBLISH goes over the cluster bus, not the replication stream:
/// the probe must be a write in the node's own slots.
#[tokio::test]
async fn wait_in_a_valkey_cluster_counts_the_shards_writes() {
    let _one = one_at_a_time().await;
    wait_in(small_valkey_cluster().await).await;
}

async fn wait_in(members: Vec<Member>) {
    let seeds: Vec<String> = members.iter().map(|m| m.server.url()).collect();
    let c = Client::builder().hosts(&seeds).cluster(true).build().unwrap();
    c.ready().await.unwrap();
    c.set("wait:cluster", "1").await.unwrap();
    assert_eq!(c.wait(1, LONG).await.unwrap(), 1, "every shard's replica is in sync");
    // Stop the replica of the shard the key is written to.
    let slot = c.cluster_keyslot("wait:cluster").await.unwrap();
    let shard = [(0, 5460), (5461, 10922), (10923, 16383)]
        .iter()
        .position(|&(a, b)| (a..=b).contains(&slot))
        .unwrap();
    let frozen = Frozen::freeze(members[shard + 3].server.pid().unwrap());
    c.set("wait:cluster", "2").await.unwrap();
    let started = Instant::now();
    counts_none(c.wait(1, SHORT).await, started, "cluster").await;
    drop(frozen);
    c.set("wait:cluster", "3").await.unwrap();
    assert_eq!(c.wait(1, LONG).await.unwrap(), 1, "the replica runs again");
}
