//! Nodes that stop answering: the whole cluster at once, a hung primary, the node a SCAN
//! walks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tredis::prelude::*;
use tredis::ErrorKind;

use crate::support::own_cluster::{one_at_a_time, small_cluster};
use crate::support::wait_until;

use super::connected;

/// Every node dies at once and comes back on its port (reliability scenario 10): the client,
/// never rebuilt, finds the cluster again from what it knew, soon after the cluster is ok.
/// Far more than any wait here: only a hang exceeds it.
const HANG: Duration = Duration::from_secs(30);

#[tokio::test]
async fn the_whole_cluster_restarts() {
    let _one = one_at_a_time().await;
    let mut members = small_cluster().await;
    let c = connected(&[&members[0]], |b| {
        b.command_timeout(Duration::from_secs(2))
            .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(500))
    })
    .await;
    let keys: Vec<String> = (0..30).map(|i| format!("restart:{i}")).collect();
    for k in &keys {
        c.incr(k).await.unwrap();
    }
    for m in members.iter_mut() {
        m.server.stop();
    }
    // Requests meanwhile fail (nothing answers), without hanging.
    let started = Instant::now();
    assert!(c.incr(&keys[0]).await.is_err());
    assert!(started.elapsed() < HANG, "waited {:?}", started.elapsed());
    // Back on the same ports, with the cluster's configuration (nodes.conf) but no data.
    for m in members.iter_mut() {
        m.server.restart();
    }
    wait_until("the cluster is ok again", || async {
        let mut ok = true;
        for m in &members {
            ok &= m.admin.cluster_info().await.is_ok_and(|i| i.is_ok());
        }
        ok
    })
    .await;
    let ok_at = Instant::now();
    let mut first = None;
    while first.is_none() {
        let mut all = true;
        for k in &keys {
            all &= c.incr(k).await.is_ok();
        }
        if all {
            first = Some(ok_at.elapsed());
        }
        assert!(ok_at.elapsed() < HANG, "the client never came back");
    }
    let back = first.unwrap();
    // The figure is printed; how soon is the bench's and the note's business, not a bound.
    eprintln!("whole cluster restart: every shard written {back:?} after the cluster was ok again");
}

/// A primary hangs (SIGSTOP) for 3 s: requests to its shard time out, and the other shards do
/// not notice (reliability scenario 5). Each node has connections of its own, so nothing
/// queues behind the hung one.
#[tokio::test]
async fn a_hung_primary_stalls_only_its_shard() {
    let _one = one_at_a_time().await;
    let members = small_cluster().await;
    // Once the others agree the hung primary failed (node timeout 2 s), a cluster that needs
    // every slot covered refuses every query until its replica is promoted: the server's
    // choice, not the client's. Without that, the other shards serve on.
    for m in &members {
        m.admin.config_set([("cluster-require-full-coverage", "no")]).await.unwrap();
    }
    let c = connected(&[&members[1]], |b| b.command_timeout(Duration::from_millis(500))).await;
    let hung_shard = |k: &str| tredis::key_slot(k) <= 5460;
    let stop = Arc::new(AtomicBool::new(false));
    // Writers of the other shards note each latency; one writer of the hung shard notes errors.
    let latencies = Arc::new(Mutex::new(Vec::<(Instant, Duration)>::new()));
    let mut tasks = Vec::new();
    for w in 0..4u64 {
        let (c, stop, latencies) = (c.clone(), stop.clone(), latencies.clone());
        tasks.push(tokio::spawn(async move {
            let keys: Vec<String> =
                (0..).map(|i| format!("hung:{w}:{i}")).filter(|k| !hung_shard(k)).take(50).collect();
            let mut errors = Vec::new();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                if let Err(e) = c.incr(&keys[i % keys.len()]).await {
                    errors.push(e.to_string());
                }
                latencies.lock().unwrap().push((started, started.elapsed()));
                i += 1;
            }
            errors
        }));
    }
    let victim = {
        let (c, stop) = (c.clone(), stop.clone());
        tokio::spawn(async move {
            let key = (0..).map(|i| format!("hung:victim:{i}")).find(|k| hung_shard(k)).unwrap();
            let mut kinds = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                if let Err(e) = c.incr(&key).await {
                    kinds.push(e.kind());
                }
            }
            kinds
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let frozen = crate::support::Frozen::freeze(members[0].server.pid().unwrap());
    let hung_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let resumed_at = Instant::now();
    drop(frozen);
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut errors = Vec::new();
    for t in tasks {
        errors.extend(t.await.unwrap());
    }
    let victim_errors = victim.await.unwrap();
    assert!(errors.is_empty(), "the other shards failed: {:?}", &errors[..errors.len().min(5)]);
    assert!(!victim_errors.is_empty(), "the hung shard never timed out");
    // Its requests time out, or are lost with it (a replica may take over meanwhile), or wait
    // for the promotion; nothing else.
    let expected = [ErrorKind::Timeout, ErrorKind::Indeterminate, ErrorKind::Redis, ErrorKind::Connect];
    assert!(victim_errors.iter().all(|k| expected.contains(k)), "{victim_errors:?}");
    let mut during: Vec<Duration> = latencies
        .lock()
        .unwrap()
        .iter()
        .filter(|(at, _)| *at >= hung_at && *at < resumed_at)
        .map(|(_, d)| *d)
        .collect();
    during.sort();
    // Writes to the other shards went on while the primary hung; none failed (above), so
    // none waited out its 500 ms timeout behind the hung node. The latencies are printed.
    assert!(!during.is_empty(), "no write to the other shards while the primary hung");
    let p99 = during[during.len() * 99 / 100];
    eprintln!(
        "while a primary hung 3 s: {} writes to the other shards, p99 {p99:?}, slowest {:?}",
        during.len(),
        during.last().unwrap()
    );
}

/// The node a cluster-wide SCAN is walking dies: its next page cannot be asked of another
/// node, where the cursor would mean something else, so the stream ends with the error, and
/// no key came out twice before it.
#[tokio::test]
async fn a_cluster_scan_stays_on_its_node() {
    let _one = one_at_a_time().await;
    let mut members = small_cluster().await;
    let c = connected(&[&members[1]], |b| b.connect_timeout(Duration::from_secs(1))).await;
    let keys: Vec<String> = (0..3_000).map(|i| format!("scan-node:{i}")).collect();
    c.mset(keys.iter().map(|k| (k, "v"))).await.unwrap();
    let mut stream = c.scan(0).count(20).stream();
    let mut found = Vec::new();
    // The first primary walked is the one of the first slots.
    while found.len() < 100 {
        let key: bytes::Bytes = stream.next().await.unwrap().unwrap();
        assert!(tredis::key_slot(&key) <= 5460, "not the first shard's key");
        found.push(key);
    }
    members[0].server.stop();
    // Let the client see the connection go, so that the next page meets a node it cannot
    // reach rather than one that dies under it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut error = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(k) => found.push(k),
            Err(e) => error = Some(e),
        }
    }
    let error = error.expect("the stream went on without the node it was walking");
    eprintln!("a cluster SCAN whose node died: {error}");
    // The node's own failure, not a retry sent astray.
    assert_eq!(error.kind(), ErrorKind::Connect, "{error}");
    let n = found.len();
    found.sort();
    found.dedup();
    assert_eq!(found.len(), n, "keys came out twice");
}
