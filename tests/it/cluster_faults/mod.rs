//! Failovers, crashes, resharding and nodes coming and going, under load, each on a cluster
//! of the test's own (three shards of a primary and a replica), so that the shared test
//! cluster keeps its shape: every acknowledged write is applied exactly once, and callers go
//! on after each change (reliability scenarios 1-6, 8-11 and 15).

mod failovers;
mod outages;
mod replica_reads;
pub(crate) mod resharding;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tredis::prelude::*;
use tredis::{Client, ErrorKind};

use crate::support::own_cluster::Member;

async fn is_primary(m: &Member) -> bool {
    m.admin.cluster_nodes().await.is_ok_and(|n| n.iter().any(|n| n.is_myself() && n.is_primary()))
}

/// A connected cluster client seeded with `seeds`: a 5 s command timeout, and at most 200 ms
/// between reconnection attempts; `tune` changes what a test needs.
async fn connected(seeds: &[&Member], tune: impl FnOnce(tredis::Builder) -> tredis::Builder) -> Client {
    let builder = Client::builder()
        .hosts(seeds.iter().map(|m| m.server.url()))
        .cluster(true)
        .command_timeout(Duration::from_secs(5))
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(200));
    let c = tune(builder).build().unwrap();
    c.ready().await.unwrap();
    c
}

#[derive(Default)]
struct Tally {
    acked: HashMap<String, i64>,
    indeterminate: HashMap<String, i64>,
    /// Errors, with when their request started.
    other: Vec<(Instant, String)>,
    slowest: Duration,
}

/// Writers INCR 1,000 keys until stopped.
fn writers(
    c: &Client,
    stop: &Arc<AtomicBool>,
    tally: &Arc<Mutex<Tally>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..8u64)
        .map(|w| {
            let (c, stop, tally) = (c.clone(), stop.clone(), tally.clone());
            tokio::spawn(async move {
                let mut i = w;
                while !stop.load(Ordering::Relaxed) {
                    let key = format!("failover:{}", i % 1000);
                    i += 8;
                    let started = Instant::now();
                    let result = c.incr(&key).await;
                    let mut t = tally.lock().unwrap();
                    t.slowest = t.slowest.max(started.elapsed());
                    match result {
                        Ok(_) => *t.acked.entry(key).or_default() += 1,
                        Err(e) if e.kind() == ErrorKind::Indeterminate => {
                            *t.indeterminate.entry(key).or_default() += 1
                        }
                        Err(e) => t.other.push((started, e.to_string())),
                    }
                }
            })
        })
        .collect()
}

/// A writer that INCRs the same keys as [`writers`], 10 to a pipeline.
fn pipeline_writer(
    c: &Client,
    stop: &Arc<AtomicBool>,
    tally: &Arc<Mutex<Tally>>,
) -> tokio::task::JoinHandle<()> {
    let (c, stop, tally) = (c.clone(), stop.clone(), tally.clone());
    tokio::spawn(async move {
        let mut i = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let keys: Vec<String> =
                (0..10).map(|j| format!("failover:{}", (i * 10 + j) * 7 % 1000)).collect();
            i += 1;
            let started = Instant::now();
            let p = c.pipeline();
            let results = p.execute(keys.iter().map(|k| p.incr(k)).collect::<Vec<_>>()).await;
            let mut t = tally.lock().unwrap();
            t.slowest = t.slowest.max(started.elapsed());
            for (key, result) in keys.into_iter().zip(results) {
                match result {
                    Ok(_) => *t.acked.entry(key).or_default() += 1,
                    Err(e) if e.kind() == ErrorKind::Indeterminate => {
                        *t.indeterminate.entry(key).or_default() += 1
                    }
                    Err(e) => t.other.push((started, format!("in a pipeline: {e}"))),
                }
            }
        }
    })
}

fn acked(tally: &Mutex<Tally>) -> i64 {
    tally.lock().unwrap().acked.values().sum()
}

/// Every acknowledged INCR is there exactly once; an indeterminate one may be.
async fn check_counts(c: &Client, tally: Tally) {
    assert!(
        tally.other.is_empty(),
        "errors reached the writers: {:?}",
        &tally.other[..tally.other.len().min(5)]
    );
    let lost_or_doubled: Vec<String> = {
        let mut bad = Vec::new();
        for (key, n) in &tally.acked {
            let stored: i64 =
                c.get(key).await.unwrap().map_or(0, |v| std::str::from_utf8(&v).unwrap().parse().unwrap());
            let maybe = tally.indeterminate.get(key).copied().unwrap_or(0);
            if stored < *n || stored > n + maybe {
                bad.push(format!("{key}: {n} acknowledged, {maybe} indeterminate, {stored} stored"));
            }
        }
        bad
    };
    assert!(lost_or_doubled.is_empty(), "{lost_or_doubled:?}");
}

/// CLUSTER SLOTS calls served by the nodes so far (those still up).
async fn slots_calls(members: &[Member]) -> u64 {
    let mut n = 0;
    for m in members {
        if m.admin.ping().with_timeout(Duration::from_millis(500)).await.is_ok() {
            n += crate::support::command_stat(&m.admin, "cluster|slots", "calls").await;
        }
    }
    n
}
