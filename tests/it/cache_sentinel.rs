//! The client-side cache through Sentinel: a failover replaces the primary's connection,
//! whose loss drops what it tracked, and the new primary's connection tracks anew; under
//! RESP3, and under RESP2, where the connection that receives the invalidations moves too.

use std::time::{Duration, Instant};

use tredis::prelude::*;
use tredis::{CacheConfig, Client, Protocol};

use crate::sentinel::{ask_for_failover, primary_port, replica_is_fit};
use crate::support::{self, wait_until};

/// Catches hangs only.
const PATIENCE: Duration = Duration::from_secs(30);

/// Fails the deployment over twice per protocol (so that it ends as it began); after each
/// failover, a write on the new primary is what the next cached read sees, and invalidates
/// it again.
#[tokio::test]
async fn cache_sentinel_failover() {
    let _state = support::sentinel_exclusive().await;
    for protocol in [Protocol::Resp3, Protocol::Resp2] {
        failovers(protocol).await;
    }
}

async fn failovers(protocol: Protocol) {
    let c = Client::builder()
        .hosts(support::sentinel_urls())
        .sentinel(support::sentinel_name())
        .protocol(protocol)
        .command_timeout(Duration::from_secs(5))
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(200))
        .cache(CacheConfig::new())
        .build()
        .unwrap();
    c.ready().await.unwrap();
    let key = "cache-sentinel:k";
    c.set(key, "0").await.unwrap();
    for round in 1..=2 {
        assert!(c.get(key).cached().await.unwrap().is_some());
        let stats = c.cache_stats().unwrap();
        assert_eq!(stats.entries, 1, "{protocol:?} round {round}: {stats:?}");
        let before = primary_port();
        wait_until("the Sentinel deems the replica fit", || async { replica_is_fit() }).await;
        let out = ask_for_failover().await;
        assert_eq!(out, "OK", "{protocol:?} round {round}");
        wait_until("the Sentinels name a new primary", || async { primary_port() != before }).await;
        // Written on the new primary by a client of its own, which the old one never sees
        // (a demoted primary replicates it, but its tracking of this client is gone).
        let writer =
            support::client_for(&format!("redis://127.0.0.1:{}", primary_port()), Protocol::Resp3).await;
        let value = format!("after failover {round}");
        wait_until("the new primary takes writes", || async { writer.set(key, &value).await.is_ok() }).await;
        let start = Instant::now();
        while c.get(key).cached().await.ok().flatten().as_deref() != Some(value.as_bytes()) {
            assert!(
                start.elapsed() < PATIENCE,
                "{protocol:?} round {round}: the cached read never saw the new primary's write"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            c.cache_stats().unwrap().resets >= round,
            "{protocol:?} round {round}: the old connection's entries went"
        );
        // The new primary's connection tracks: its invalidation ends the entry.
        let again = format!("again {round}");
        writer.set(key, &again).await.unwrap();
        let start = Instant::now();
        while c.get(key).cached().await.ok().flatten().as_deref() != Some(again.as_bytes()) {
            assert!(
                start.elapsed() < PATIENCE,
                "{protocol:?} round {round}: no invalidation from the new primary"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    c.close().await;
}
