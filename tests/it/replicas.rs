//! A hosts list of a primary and its replica, as the seed promised: the client connects to
//! whichever host is the primary, and when a failover turns it into a replica, a READONLY reply
//! makes the client find the new primary and retry, so writers never see READONLY and no
//! acknowledged write is lost (reliability scenario 16).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tredis::prelude::*;
use tredis::reply::Role;
use tredis::{Client, ErrorKind, Protocol};

use crate::support::wait_until;
use crate::support::{self, server::OwnServer};

/// A primary and a replica of it, in sync.
pub(crate) async fn pair() -> (OwnServer, OwnServer) {
    let primary = OwnServer::start(&[]);
    let port = primary.port().to_string();
    let replica = OwnServer::start(&[
        "--replicaof",
        "127.0.0.1",
        &port,
        "--repl-diskless-sync-delay",
        "0",
        "--repl-ping-replica-period",
        "1",
    ]);
    let admin = support::client_for(&primary.url(), Protocol::Resp3).await;
    wait_until("the replica is online", || async {
        matches!(admin.role().await, Ok(Role::Master { ref replicas, .. }) if replicas.len() == 1)
    })
    .await;
    (primary, replica)
}

fn hosts_client(hosts: &[String], protocol: Protocol) -> Client {
    Client::builder()
        .hosts(hosts)
        .protocol(protocol)
        .command_timeout(Duration::from_secs(10))
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(100))
        .build()
        .unwrap()
}

#[tokio::test]
async fn connects_to_the_primary_whatever_the_order() {
    let (primary, replica) = pair().await;
    for proto in support::PROTOCOLS {
        let c = hosts_client(&[replica.url(), primary.url()], proto);
        c.set("k", "v").await.unwrap();
        assert!(matches!(c.role().await.unwrap(), Role::Master { .. }));
    }
    // Without a primary among the hosts, connecting fails and says why for each.
    let c = Client::builder()
        .hosts([replica.url(), "redis://127.0.0.1:1".to_string()])
        .connect_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let err = c.ready().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert!(err.to_string().contains("not the primary"), "{err}");
    // A single host is taken as it is, replica or not: the user asked for that server.
    let direct = support::client_for(&replica.url(), Protocol::Resp3).await;
    wait_until("the replica has the write", || async { direct.get("k").await.unwrap().is_some() }).await;
    support::assert_server_error(direct.set("k", "w").await, "READONLY");
}

/// What the writers saw, per key.
#[derive(Default)]
struct Tally {
    acked: HashMap<String, i64>,
    indeterminate: HashMap<String, i64>,
    other: Vec<String>,
    /// The longest an INCR took: how long a failover stalls a writer.
    slowest: Duration,
}

#[tokio::test]
async fn failover_moves_writers_to_the_new_primary() {
    let (primary, replica) = pair().await;
    let hosts = [primary.url(), replica.url()];
    let c = hosts_client(&hosts, Protocol::Resp3);
    c.ready().await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (c, stop, tally) = (c.clone(), stop.clone(), tally.clone());
        writers.push(tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let key = format!("counter:{}", (i * 7 + w) % 50);
                i += 1;
                let started = Instant::now();
                let result = c.incr(&key).await;
                let mut t = tally.lock().unwrap();
                t.slowest = t.slowest.max(started.elapsed());
                match result {
                    Ok(_) => *t.acked.entry(key).or_default() += 1,
                    Err(e) if e.kind() == ErrorKind::Indeterminate => {
                        *t.indeterminate.entry(key).or_default() += 1
                    }
                    Err(e) => t.other.push(e.to_string()),
                }
            }
        }));
    }
    let acked = |tally: &Mutex<Tally>| tally.lock().unwrap().acked.values().sum::<i64>();
    // Two coordinated failovers (FAILOVER pauses writes, waits for the replica, swaps roles):
    // to the replica and back. After each, writes must go on, on the new primary.
    for (from, to) in [(&primary, &replica), (&replica, &primary)] {
        let before = acked(&tally);
        wait_until("writes flow", || async { acked(&tally) > before + 200 }).await;
        let admin = support::client_for(&from.url(), Protocol::Resp3).await;
        admin.failover().await.unwrap();
        let new = support::client_for(&to.url(), Protocol::Resp3).await;
        wait_until("the failover completes", || async {
            matches!(new.role().await, Ok(Role::Master { .. }))
        })
        .await;
        let switched = acked(&tally);
        wait_until("writes go on after the failover", || async { acked(&tally) > switched + 200 }).await;
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let t = std::mem::take(&mut *tally.lock().unwrap());
    eprintln!("slowest INCR across two failovers: {:?}", t.slowest);
    assert!(t.slowest < Duration::from_secs(5), "a writer stalled for {:?}", t.slowest);
    assert!(t.other.is_empty(), "errors reached the writers: {:?}", &t.other[..t.other.len().min(5)]);
    // Every acknowledged INCR is there; an indeterminate one may or may not be.
    let check = support::client_for(&primary.url(), Protocol::Resp3).await;
    for (key, n) in &t.acked {
        let value: i64 =
            check.get(key).await.unwrap().map_or(0, |v| std::str::from_utf8(&v).unwrap().parse().unwrap());
        let maybe = t.indeterminate.get(key).copied().unwrap_or(0);
        assert!(
            *n <= value && value <= n + maybe,
            "{key}: {n} acknowledged, {maybe} indeterminate, {value} stored"
        );
    }
}

/// Reads from replicas with a hosts list: reads go to the replica, writes to the primary, and
/// when the replica dies the reads move to the primary without an error reaching a caller
/// (reliability scenario 15).
#[tokio::test]
async fn reads_go_to_the_replica_and_survive_its_death() {
    let (primary, mut replica) = pair().await;
    // A key that only the replica has tells which server answered a read.
    let direct = support::client_for(&replica.url(), Protocol::Resp3).await;
    direct.config_set([("replica-read-only", "no")]).await.unwrap();
    direct.set("only-on-the-replica", "r").await.unwrap();
    for proto in support::PROTOCOLS {
        let c = Client::builder()
            .hosts([primary.url(), replica.url()])
            .protocol(proto)
            .read_from_replicas(true)
            .pool_size(2)
            .command_timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        c.ready().await.unwrap();
        assert_eq!(c.get("only-on-the-replica").await.unwrap().as_deref(), Some(&b"r"[..]));
        // Writes (and what the replica may not serve as a read, such as a transaction) go to
        // the primary.
        c.set("written", "w").await.unwrap();
        let on_primary = support::client_for(&primary.url(), Protocol::Resp3).await;
        assert_eq!(on_primary.get("written").await.unwrap().as_deref(), Some(&b"w"[..]));
        assert_eq!(on_primary.get("only-on-the-replica").await.unwrap(), None);
    }
    let c = Client::builder()
        .hosts([primary.url(), replica.url()])
        .read_from_replicas(true)
        .command_timeout(Duration::from_secs(10))
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(100))
        .build()
        .unwrap();
    c.ready().await.unwrap();
    assert_eq!(c.get("only-on-the-replica").await.unwrap().as_deref(), Some(&b"r"[..]));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let from_primary = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut readers = Vec::new();
    for _ in 0..4 {
        let (c, stop, errors, from_primary) = (c.clone(), stop.clone(), errors.clone(), from_primary.clone());
        readers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match c.get("only-on-the-replica").await {
                    Ok(None) => {
                        from_primary.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(Some(_)) => {}
                    Err(e) => errors.lock().unwrap().push(e.to_string()),
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    replica.stop();
    wait_until("reads are answered by the primary", || async {
        from_primary.load(Ordering::Relaxed) > 1_000
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.await.unwrap();
    }
    let errors = std::mem::take(&mut *errors.lock().unwrap());
    assert!(errors.is_empty(), "{} reads failed: {:?}", errors.len(), &errors[..errors.len().min(5)]);
    // Writes never went anywhere but the primary.
    c.set("after", "a").await.unwrap();
    // Reading from replicas needs them listed.
    let err = Client::builder().url(&primary.url()).read_from_replicas(true).build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}

/// The primary and replica `cargo xtask test` starts: with the hosts in either order, writes
/// reach the primary and, with reads from replicas, reads reach the replica.
#[tokio::test]
async fn on_the_suites_primary_and_replica() {
    let urls = support::replicas_urls();
    assert_eq!(urls.len(), 2, "{urls:?}");
    let primary = support::client_for(&urls[0], Protocol::Resp3).await;
    let replica = support::client_for(&urls[1], Protocol::Resp3).await;
    assert!(
        matches!(primary.role().await.unwrap(), Role::Master { ref replicas, .. } if replicas.len() == 1)
    );
    for proto in support::PROTOCOLS {
        let c = Client::builder()
            .hosts([&urls[1], &urls[0]])
            .protocol(proto)
            .read_from_replicas(true)
            .build()
            .unwrap();
        c.ready().await.unwrap();
        let reads = support::command_stat(&replica, "strlen", "calls").await;
        let writes = support::command_stat(&primary, "append", "calls").await;
        for _ in 0..20 {
            c.append("replicas:deployment", "x").await.unwrap();
            c.strlen("replicas:deployment").await.unwrap();
        }
        assert_eq!(
            support::command_stat(&replica, "strlen", "calls").await - reads,
            20,
            "reads went elsewhere"
        );
        assert_eq!(
            support::command_stat(&primary, "append", "calls").await - writes,
            20,
            "writes went elsewhere"
        );
    }
}
