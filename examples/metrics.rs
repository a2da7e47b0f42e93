//! Metrics: a `tredis::metrics::Metrics` that keeps counters and a latency histogram per
//! command in atomics, as an exporter (Prometheus, OpenTelemetry, the `metrics` facade)
//! would, and prints them with `Client::stats`. Run with `cargo run -p tredis --features
//! metrics --example metrics`; connects to `REDIS_URL` (default `redis://127.0.0.1:6379`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tredis::metrics::{ConnectionEvent, Metrics, Redirection, Request};
use tredis::prelude::*;

/// Latency buckets, in microseconds, as a histogram exporter would have them.
const BUCKETS_US: [u64; 6] = [100, 250, 1_000, 5_000, 25_000, u64::MAX];

/// Per command: requests, failures, and a count per latency bucket.
type ByCommand = BTreeMap<&'static str, (u64, u64, [u64; 6])>;

#[derive(Default)]
struct Counters {
    by_command: Mutex<ByCommand>,
    connections: AtomicU64,
    reconnects: AtomicU64,
    lost: AtomicU64,
    redirections: AtomicU64,
}

impl Metrics for Counters {
    fn request(&self, r: &Request<'_>) {
        let us = u64::try_from(r.duration.as_micros()).unwrap_or(u64::MAX);
        let bucket = BUCKETS_US.iter().position(|&b| us <= b).unwrap_or(BUCKETS_US.len() - 1);
        let mut by = self.by_command.lock().unwrap();
        let entry = by.entry(r.operation).or_default();
        entry.0 += 1;
        entry.1 += u64::from(r.error.is_some());
        entry.2[bucket] += 1;
    }

    fn connection(&self, event: &ConnectionEvent<'_>) {
        match event {
            ConnectionEvent::Connected { reconnect: false, .. } => {
                self.connections.fetch_add(1, Ordering::Relaxed)
            }
            ConnectionEvent::Connected { reconnect: true, .. } => {
                self.reconnects.fetch_add(1, Ordering::Relaxed)
            }
            ConnectionEvent::Lost { .. } => self.lost.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
    }

    fn redirection(&self, _: &Redirection<'_>) {
        self.redirections.fetch_add(1, Ordering::Relaxed);
    }
}

#[tokio::main]
async fn main() -> Result<(), tredis::Error> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let counters = Arc::new(Counters::default());
    let client = tredis::Client::builder().url(&url).metrics(counters.clone()).build()?;
    client.ready().await?;

    for i in 0..100 {
        client.set("metrics:key", i).await?;
        client.get("metrics:key").await?;
    }
    // A refused command counts as a failure of its command.
    let _ = client.lpush("metrics:key", ["x"]).await;
    let p = client.pipeline();
    let (a, b) = p.execute((p.incr("metrics:visits"), p.get("metrics:key"))).await;
    a?;
    b?;
    client.del(["metrics:key", "metrics:visits"]).await?;

    println!("command      requests  failures  <=100us <=250us <=1ms <=5ms <=25ms slower");
    for (name, (n, failed, buckets)) in counters.by_command.lock().unwrap().iter() {
        let b = buckets.map(|c| c.to_string());
        println!(
            "{name:<12} {n:>8}  {failed:>8}  {:>7} {:>7} {:>5} {:>5} {:>6} {:>6}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        );
    }
    let c = &counters;
    println!(
        "connections made {}, reconnects {}, lost {}, redirections {}",
        c.connections.load(Ordering::Relaxed),
        c.reconnects.load(Ordering::Relaxed),
        c.lost.load(Ordering::Relaxed),
        c.redirections.load(Ordering::Relaxed)
    );
    println!("{:?}", client.stats());
    Ok(())
}
