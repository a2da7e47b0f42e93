//! The client with Sentinel, against the deployment `cargo xtask test` starts (a primary, a
//! replica, 3 Sentinels): it finds the primary through the Sentinels, and follows a failover
//! (reliability scenario 17). The failover test fails the deployment back afterwards.

use std::collections::HashMap;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tredis::prelude::*;
use tredis::reply::Role;
use tredis::{Client, ErrorKind, Protocol};

use crate::support;

fn sentinel_client(protocol: Protocol) -> Client {
    Client::builder()
        .hosts(support::sentinel_urls())
        .sentinel(support::sentinel_name())
        .protocol(protocol)
        .command_timeout(Duration::from_secs(5))
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(200))
        .build()
        .unwrap()
}

/// What a Sentinel says through redis-cli (Sentinel's own commands are not in our surface).
fn sentinel_cli(args: &[&str]) -> String {
    let (_, port) = support::host_port(&support::sentinel_urls()[0]);
    let out = Command::new("redis-cli").arg("-p").arg(port.to_string()).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The port of the primary, as the Sentinels know it.
fn primary_port() -> u16 {
    let out = sentinel_cli(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", &support::sentinel_name()]);
    out.lines().nth(1).and_then(|p| p.trim().parse().ok()).unwrap_or_else(|| panic!("no primary: {out}"))
}

async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn connects_to_the_primary_the_sentinels_name() {
    let _state = support::sentinel_shared().await;
    for proto in support::PROTOCOLS {
        let c = sentinel_client(proto);
        c.ready().await.unwrap();
        c.set("sentinel:k", "v").await.unwrap();
        match c.role().await.unwrap() {
            Role::Master { .. } => {}
            other => panic!("not the primary: {other:?}"),
        }
        assert_eq!(c.info().await.unwrap().get("tcp_port"), Some(primary_port().to_string().as_str()));
    }
    // A Sentinel that does not answer is passed over.
    let mut hosts = vec!["redis://127.0.0.1:1".to_string()];
    hosts.extend(support::sentinel_urls());
    let c = Client::builder().hosts(hosts).sentinel(support::sentinel_name()).build().unwrap();
    assert_eq!(c.get("sentinel:k").await.unwrap().as_deref(), Some(&b"v"[..]));
    // A name no Sentinel knows fails to connect, and says so.
    let c = Client::builder().hosts(support::sentinel_urls()).sentinel("nosuchmaster").build().unwrap();
    let err = c.ready().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert!(err.to_string().contains("nosuchmaster"), "{err}");
}

#[tokio::test]
async fn follows_a_sentinel_failover() {
    let _state = support::sentinel_exclusive().await;
    let c = sentinel_client(Protocol::Resp3);
    c.ready().await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(HashMap::<String, (i64, i64)>::new()));
    let mut tasks = Vec::new();
    for w in 0..4u64 {
        let (c, stop, acked) = (c.clone(), stop.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = w;
            let mut errors = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let key = format!("sentinel:counter:{}", i % 100);
                i += 4;
                let r = c.incr(&key).await;
                let mut a = acked.lock().unwrap();
                let entry = a.entry(key).or_default();
                match r {
                    Ok(_) => entry.0 += 1,
                    Err(e) if e.kind() == ErrorKind::Indeterminate => entry.1 += 1,
                    Err(e) => errors.push(e.to_string()),
                }
            }
            errors
        }));
    }
    let total =
        |acked: &Mutex<HashMap<String, (i64, i64)>>| acked.lock().unwrap().values().map(|v| v.0).sum::<i64>();
    for round in 0..2 {
        let before = primary_port();
        let flowing = total(&acked);
        wait_until("writes flow", || async { total(&acked) > flowing + 200 }).await;
        let out = sentinel_cli(&["SENTINEL", "FAILOVER", &support::sentinel_name()]);
        assert_eq!(out, "OK", "round {round}");
        let started = Instant::now();
        wait_until("the Sentinels name a new primary", || async { primary_port() != before }).await;
        let switched = started.elapsed();
        let after = primary_port().to_string();
        // Writes land on the new primary soon after the switch.
        wait_until("the client writes to the new primary", || async {
            c.set("sentinel:probe", "x").await.is_ok()
                && c.info().await.is_ok_and(|i| i.get("tcp_port") == Some(after.as_str()))
        })
        .await;
        eprintln!(
            "Sentinel failover {round}: switched after {switched:?}, client on the new primary after {:?}",
            started.elapsed()
        );
        assert!(started.elapsed() < switched + Duration::from_secs(2), "the client lagged the switch");
        // Before failing back, the old primary must serve as a replica again.
        wait_until("the new primary has its replica", || async {
            matches!(c.role().await, Ok(Role::Master { ref replicas, .. }) if !replicas.is_empty())
        })
        .await;
        let flowing = total(&acked);
        wait_until("writes go on", || async { total(&acked) > flowing + 200 }).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut errors = Vec::new();
    for t in tasks {
        errors.extend(t.await.unwrap());
    }
    assert!(errors.is_empty(), "errors reached the writers: {:?}", &errors[..errors.len().min(5)]);
    // Nothing is applied twice. (An unforced Sentinel failover does not pause writes, so the
    // old primary may acknowledge a write it then loses to the new one: the server's loss.)
    let counts = std::mem::take(&mut *acked.lock().unwrap());
    for (key, (ok, maybe)) in counts {
        let stored: i64 =
            c.get(&key).await.unwrap().map_or(0, |v| std::str::from_utf8(&v).unwrap().parse().unwrap());
        assert!(stored <= ok + maybe, "{key}: {ok} acknowledged, {maybe} indeterminate, {stored} stored");
    }
}
