//! Metrics (feature `metrics`): what a `Metrics` sees of commands, a refused command, a
//! timeout, a pipeline, a transaction, a lost connection and a cluster redirection, under
//! RESP2 and RESP3; and the gauges of `Client::stats`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tredis::metrics::{ConnectionEvent, Metrics, Redirection, Request};
use tredis::prelude::*;
use tredis::{Client, Protocol};

use crate::spans::{move_slot, owner_and_other};
use crate::support::server::OwnServer;
use crate::support::{self, Keys};

/// Keeps what it is told, as text.
#[derive(Default)]
struct Record(Mutex<Vec<String>>);

impl Metrics for Record {
    fn request(&self, r: &Request<'_>) {
        assert!(r.duration > Duration::ZERO, "{r:?}");
        let outcome = match r.error {
            None => "ok".to_string(),
            Some(e) if e.is_timeout() => format!("timeout ({:?})", e.kind()),
            Some(e) => e.code().map_or_else(|| format!("{:?}", e.kind()), str::to_string),
        };
        self.0.lock().unwrap().push(format!("{} {} {outcome}", r.operation, r.commands));
    }

    fn connection(&self, e: &ConnectionEvent<'_>) {
        let line = match e {
            ConnectionEvent::Connected { reconnect, .. } => format!("connected reconnect={reconnect}"),
            ConnectionEvent::Lost { .. } => "lost".to_string(),
            _ => "other".to_string(),
        };
        self.0.lock().unwrap().push(line);
    }

    fn redirection(&self, r: &Redirection<'_>) {
        self.0.lock().unwrap().push(format!("{} {}", r.kind, r.slot));
    }
}

impl Record {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    /// Waits (up to a deadline that only catches a hang) until `line` was recorded.
    async fn wait_for(&self, line: &str) {
        let give_up = tokio::time::Instant::now() + Duration::from_secs(30);
        while !self.0.lock().unwrap().iter().any(|l| l == line) {
            assert!(tokio::time::Instant::now() < give_up, "no {line:?} in {:?}", self.0.lock().unwrap());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn client(url: &str, protocol: Protocol, record: &Arc<Record>) -> Client {
    let c = Client::builder()
        .url(url)
        .protocol(protocol)
        .metrics(record.clone())
        .command_timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    c.ready().await.unwrap();
    c
}

#[tokio::test]
async fn requests_report_their_command_duration_and_outcome() {
    for protocol in support::PROTOCOLS {
        let keys = Keys::new("metrics", protocol);
        let record = Arc::new(Record::default());
        let c = client(&keys.url(), protocol, &record).await;
        assert_eq!(record.take(), ["connected reconnect=false"], "{protocol:?}");
        let (k, list) = (keys.key("k"), keys.key("list"));

        c.set(&k, "v").await.unwrap();
        c.get(&k).await.unwrap();
        c.rpush(&list, ["x"]).await.unwrap();
        c.get(&list).await.unwrap_err();
        c.blpop(keys.key("empty"), Duration::from_secs(5))
            .with_timeout(Duration::from_millis(200))
            .await
            .unwrap_err();
        let p = c.pipeline();
        let (a, b) = p.execute((p.get(&k), p.get(&list))).await;
        a.unwrap();
        b.unwrap_err();
        let tx = c.multi();
        tx.exec((tx.incr(keys.key("n")), tx.incr(keys.key("n")))).await.unwrap();

        let (connected, seen): (Vec<String>, Vec<String>) =
            record.take().into_iter().partition(|l| l.starts_with("connected"));
        // BLPOP took a dedicated connection of its own.
        assert_eq!(connected, ["connected reconnect=false"], "{protocol:?}");
        assert_eq!(
            seen,
            [
                "SET 1 ok",
                "GET 1 ok",
                "RPUSH 1 ok",
                "GET 1 WRONGTYPE",
                // Written, and no reply by its deadline: it may have popped.
                "BLPOP 1 timeout (Indeterminate)",
                // A command of a pipeline the server refuses fails alone.
                "PIPELINE 2 ok",
                "MULTI 2 ok",
            ],
            "{protocol:?}"
        );
        keys.clean(&c).await;
    }
}

#[tokio::test]
async fn a_lost_connection_and_its_reconnect_are_reported() {
    for protocol in support::PROTOCOLS {
        let record = Arc::new(Record::default());
        let c = client(&support::url(), protocol, &record).await;
        let id = c.client_id().await.unwrap();
        record.take();
        let killer = support::client(Protocol::Resp3).await;
        assert_eq!(killer.client_kill().id(id).await.unwrap(), 1);
        record.wait_for("connected reconnect=true").await;
        let seen = record.take();
        assert_eq!(seen[..], ["lost", "connected reconnect=true"], "{protocol:?}");
    }
}

#[tokio::test]
async fn stats_count_connections_and_requests() {
    // A server of its own: the test pauses it.
    let server = OwnServer::start(&[]);
    let record = Arc::new(Record::default());
    let c = client(&server.url(), Protocol::Resp3, &record).await;
    let idle = c.stats();
    assert_eq!(
        (idle.connections, idle.queued, idle.in_flight, idle.dedicated_in_use),
        (1, 0, 0, 0),
        "{idle:?}"
    );

    // A BLPOP that blocks holds a dedicated connection until it is answered; then the
    // connection is idle, kept for the next one.
    let blocked = tokio::spawn({
        let c = c.clone();
        async move { c.blpop("list", Duration::from_secs(30)).await }
    });
    let s = wait_for_stats(&c, |s| s.dedicated_in_use == 1).await;
    assert_eq!(s.connections, 1, "{s:?}");
    c.rpush("list", ["x"]).await.unwrap();
    assert!(blocked.await.unwrap().unwrap().is_some());
    let s = wait_for_stats(&c, |s| s.dedicated_in_use == 0).await;
    assert_eq!(s.connections, 2, "the dedicated connection is idle: {s:?}");

    // Writes sent to a server that pauses writes are written and wait for their replies.
    let pauser = support::client_for(&server.url(), Protocol::Resp3).await;
    pauser.client_pause(Duration::from_secs(60)).write().await.unwrap();
    let gets: Vec<_> = (0..10)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.incr("n").await })
        })
        .collect();
    let s = wait_for_stats(&c, |s| s.in_flight == 10).await;
    assert_eq!(s.queued, 0, "{s:?}");
    pauser.client_unpause().await.unwrap();
    for get in gets {
        get.await.unwrap().unwrap();
    }
    wait_for_stats(&c, |s| s.in_flight == 0).await;
}

/// Waits (up to a deadline that only catches a hang) for stats that `ok`.
async fn wait_for_stats(c: &Client, ok: impl Fn(&tredis::Stats) -> bool) -> tredis::Stats {
    let give_up = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let s = c.stats();
        if ok(&s) {
            return s;
        }
        assert!(tokio::time::Instant::now() < give_up, "stats stay {s:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A MOVED is reported with its slot, beside the request that followed it.
#[tokio::test]
async fn a_cluster_redirection_is_reported() {
    let _guard = support::shared().await;
    for protocol in support::PROTOCOLS {
        let record = Arc::new(Record::default());
        let c = Client::builder()
            .hosts(&support::cluster_urls()[..1])
            .cluster(true)
            .protocol(protocol)
            .cluster_refresh_interval(None)
            .metrics(record.clone())
            .command_timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        c.ready().await.unwrap();
        let key = "{metrics-moved}k";
        let slot = tredis::key_slot(key);
        let (src, dst) = owner_and_other(u64::from(slot)).await;
        move_slot(u64::from(slot), (&src.0, &src.1), (&dst.0, &dst.1)).await;
        record.take();
        let got = c.get(key).await;
        move_slot(u64::from(slot), (&dst.0, &dst.1), (&src.0, &src.1)).await;
        assert_eq!(got.unwrap(), None);
        let seen: Vec<String> = record.take().into_iter().filter(|l| !l.starts_with("connected")).collect();
        assert_eq!(seen, [format!("MOVED {slot}"), "GET 1 ok".to_string()], "{protocol:?}");
    }
}

/// A cached read is a request of the database when it misses; a hit is counted by the
/// cache's stats alone.
#[tokio::test]
async fn a_cached_read_reports_its_miss_only() {
    let keys = Keys::new("metrics-cache", Protocol::Resp3);
    let record = Arc::new(Record::default());
    let c = Client::builder()
        .url(&keys.url())
        .metrics(record.clone())
        .cache(tredis::CacheConfig::new())
        .command_timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    c.ready().await.unwrap();
    let k = keys.key("k");
    c.set(&k, "v").await.unwrap();
    record.take();
    assert_eq!(c.get(&k).cached().await.unwrap().as_deref(), Some(&b"v"[..]));
    assert_eq!(c.get(&k).cached().await.unwrap().as_deref(), Some(&b"v"[..]));
    assert_eq!(record.take(), ["GET 1 ok"]);
    let stats = c.cache_stats().expect("a cache");
    assert_eq!((stats.hits, stats.misses), (1, 1), "{stats:?}");
    keys.clean(&c).await;
}
