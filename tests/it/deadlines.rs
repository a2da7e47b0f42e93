//! No caller waits forever, and every failure says what happened to the request: a black-holed
//! link, a stopped server (reliability scenario 31), a half-open link (scenario 32), and the
//! client closing with requests in flight. Each runs on a server of its own, behind the fault
//! proxy where the network misbehaves.
//!
//! The figures (how late past its deadline the slowest call was, how soon the client was back)
//! are printed; the assertions only catch hangs and wrong outcomes.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tredis::prelude::*;
use tredis::{Client, Protocol};

use crate::support::proxy::{Mode, Proxy};
use crate::support::server::OwnServer;
use crate::support::{within, Frozen};

const DEADLINE: Duration = Duration::from_millis(500);

/// Far more than any deadline here: only a hang exceeds it.
const HANG: Duration = Duration::from_secs(20);

fn client_for(url: &str, protocol: Protocol) -> Client {
    Client::builder()
        .url(url)
        .protocol(protocol)
        .command_timeout(DEADLINE)
        .health_check_interval(Some(Duration::from_millis(200)))
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(200))
        .connect_timeout(Duration::from_millis(500))
        .build()
        .unwrap()
}

fn host_port(url: &str) -> String {
    url.trim_start_matches("redis://").trim_end_matches('/').to_string()
}

/// Runs 16 concurrent GETs and returns how far past `DEADLINE` the slowest one ended, after
/// checking that each failed as a timeout (`Timeout` if never written, else
/// `Indeterminate`), or, if the connection was found dead first, as unexecuted or
/// indeterminate.
async fn all_time_out(c: &Client, what: &str) -> Duration {
    let calls = (0..16).map(|i| {
        let c = c.clone();
        tokio::spawn(async move {
            let start = Instant::now();
            let r = c.get(format!("deadline:{i}")).await;
            (r, start.elapsed())
        })
    });
    let mut late = Duration::ZERO;
    for call in calls {
        let (r, took) = tokio::time::timeout(HANG, call).await.expect("no hang").unwrap();
        let e = r.expect_err(what);
        assert!(e.is_unexecuted() || e.kind() == ErrorKind::Indeterminate, "{what}: after {took:?}: {e}");
        assert!(!e.is_timeout() || matches!(e.kind(), ErrorKind::Timeout | ErrorKind::Indeterminate), "{e}");
        late = late.max(took.saturating_sub(DEADLINE));
    }
    late
}

/// How long until a GET succeeds again.
async fn back_after(c: &Client) -> Duration {
    let start = Instant::now();
    assert!(within(HANG, || async { c.ping().await.is_ok() }).await, "the client never came back");
    start.elapsed()
}

#[tokio::test]
async fn a_black_hole_ends_every_call_by_its_deadline() {
    let server = OwnServer::start(&[]);
    let proxy = Proxy::start(&host_port(&server.url())).await;
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let c = client_for(&proxy.url(), protocol);
        c.ready().await.unwrap();
        proxy.set(Mode::BlackHole);
        let late = all_time_out(&c, "black hole").await;
        // New connections are swallowed too: the client keeps trying meanwhile.
        tokio::time::sleep(Duration::from_millis(300)).await;
        proxy.set(Mode::Pass);
        let back = back_after(&c).await;
        eprintln!("black hole ({protocol:?}): slowest call {late:?} past its deadline; back {back:?} after the link");
        c.close().await;
    }
}

#[tokio::test]
async fn a_stopped_server_ends_every_call_by_its_deadline() {
    // Scenario 31: the primary is SIGSTOPped for 3 s under INCR load.
    let server = OwnServer::start(&[]);
    let c = client_for(&server.url(), Protocol::Resp3);
    c.ready().await.unwrap();
    let key = "deadline:stopped";
    c.del(key).await.unwrap();
    let (acked, unknown, refused) =
        (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let stop = Arc::new(AtomicBool::new(false));
    let late = Arc::new(std::sync::Mutex::new(Duration::ZERO));
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let (c, acked, unknown, refused, stop, late) =
                (c.clone(), acked.clone(), unknown.clone(), refused.clone(), stop.clone(), late.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let start = Instant::now();
                    let r = c.incr(key).await;
                    let took = start.elapsed();
                    match r {
                        Ok(_) => acked.fetch_add(1, Ordering::Relaxed),
                        Err(e) if e.kind() == ErrorKind::Indeterminate => {
                            unknown.fetch_add(1, Ordering::Relaxed)
                        }
                        Err(e) => {
                            assert!(e.is_unexecuted(), "neither unexecuted nor indeterminate: {e}");
                            refused.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                    let mut l = late.lock().unwrap();
                    *l = (*l).max(took.saturating_sub(DEADLINE));
                    assert!(took < HANG, "an INCR hung for {took:?}");
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let frozen = Frozen::freeze(server.pid().unwrap());
    tokio::time::sleep(Duration::from_secs(3)).await;
    drop(frozen);
    let back = back_after(&c).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        tokio::time::timeout(HANG, w).await.expect("no hang").unwrap();
    }
    let stored: i64 =
        c.get(key).await.unwrap().map_or(0, |v| std::str::from_utf8(&v).unwrap().parse().unwrap());
    let (acked, unknown, refused) =
        (acked.load(Ordering::Relaxed), unknown.load(Ordering::Relaxed), refused.load(Ordering::Relaxed));
    eprintln!(
        "stopped server: {acked} acknowledged, {unknown} indeterminate, {refused} not run, {stored} stored; slowest call {:?} past its deadline; back {back:?} after SIGCONT",
        *late.lock().unwrap()
    );
    assert!(unknown > 0, "the stop left some INCRs without a reply");
    assert!(stored as u64 >= acked, "an acknowledged INCR was lost");
    assert!(stored as u64 <= acked + unknown, "an INCR ran that was reported as not run");
}

#[tokio::test]
async fn a_half_open_link_is_found_and_replaced() {
    // Scenario 32: the link goes silent (no FIN, no RST) while the client is idle.
    let server = OwnServer::start(&[]);
    let proxy = Proxy::start(&host_port(&server.url())).await;
    let c = client_for(&proxy.url(), Protocol::Resp3);
    c.ready().await.unwrap();
    proxy.set(Mode::Silent);
    // The idle health check finds the dead link; a call made meanwhile ends by its deadline.
    let late = all_time_out(&c, "half-open link").await;
    proxy.set(Mode::Pass);
    let back = back_after(&c).await;
    eprintln!("half-open link: slowest call {late:?} past its deadline; back {back:?} after the link");
    assert!(proxy.accepted() >= 2, "the dead connection was replaced");
}

#[tokio::test]
async fn close_answers_written_and_unwritten_requests_apart() {
    let server = OwnServer::start(&[]);
    let proxy = Proxy::start(&host_port(&server.url())).await;
    let c = Client::builder().url(&proxy.url()).command_timeout(None).build().unwrap();
    c.ready().await.unwrap();
    // The server stops reading: the first requests fill the socket buffers (written, as far
    // as the client knows), the later ones cannot be written.
    proxy.set(Mode::Silent);
    let big = vec![b'x'; 1 << 20];
    let sets: Vec<_> = (0..32)
        .map(|i| {
            let (c, big) = (c.clone(), big.clone());
            tokio::spawn(async move { c.set(format!("deadline:big:{i}"), big).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Bounded whatever the socket does: the writer is stuck in a write the server never reads.
    tokio::time::timeout(HANG, c.close()).await.expect("close() returned");
    let (mut written, mut unwritten) = (0, 0);
    for s in sets {
        let e = tokio::time::timeout(HANG, s).await.expect("no hang").unwrap().unwrap_err();
        match e.kind() {
            ErrorKind::Indeterminate => written += 1,
            ErrorKind::Closed => {
                assert!(e.is_unexecuted(), "{e}");
                assert!(e.to_string().contains("was not sent"), "{e}");
                unwritten += 1;
            }
            other => panic!("{other:?}: {e}"),
        }
    }
    eprintln!("close with requests in flight: {written} indeterminate, {unwritten} closed unsent");
    assert!(written > 0 && unwritten > 0, "{written} written, {unwritten} unwritten");
}

/// Clients blocked on the server, from INFO.
async fn blocked_clients(admin: &Client) -> u64 {
    let info = admin.info().sections("clients").await.unwrap();
    info.get("blocked_clients").unwrap().parse().unwrap()
}

#[tokio::test]
async fn blocking_commands_beyond_the_cap_wait_for_a_connection() {
    let server = OwnServer::start(&[]);
    let c = Client::builder().url(&server.url()).max_blocking_connections(2).build().unwrap();
    c.ready().await.unwrap();
    let admin = Client::connect(&server.url()).await.unwrap();
    let pops: Vec<_> = (0..6)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move { c.blpop(format!("cap:{i}"), Duration::from_secs(20)).await })
        })
        .collect();
    crate::support::wait_until("two BLPOPs block", || async { blocked_clients(&admin).await == 2 }).await;
    for i in 0..6 {
        admin.lpush(format!("cap:{i}"), ["v"]).await.unwrap();
        let blocked = blocked_clients(&admin).await;
        assert!(blocked <= 2, "{blocked} connections block on the server, beyond the cap of 2");
    }
    for p in pops {
        let popped = tokio::time::timeout(HANG, p).await.expect("no hang").unwrap().unwrap();
        assert!(popped.is_some(), "every BLPOP got its value");
    }
    // A caller whose deadline passes while every connection is in use: nothing was sent.
    let busy = {
        let c = c.clone();
        tokio::spawn(async move { c.blpop(["cap:a", "cap:b"], Duration::from_secs(20)).await })
    };
    let busy2 = {
        let c = c.clone();
        tokio::spawn(async move { c.blpop("cap:c", Duration::from_secs(20)).await })
    };
    crate::support::wait_until("two BLPOPs block", || async { blocked_clients(&admin).await == 2 }).await;
    let e =
        c.blpop("cap:d", Duration::from_secs(1)).with_timeout(Duration::from_millis(300)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.is_unexecuted(), "{e}");
    admin.lpush("cap:a", ["v"]).await.unwrap();
    admin.lpush("cap:c", ["v"]).await.unwrap();
    assert!(tokio::time::timeout(HANG, busy).await.unwrap().unwrap().unwrap().is_some());
    assert!(tokio::time::timeout(HANG, busy2).await.unwrap().unwrap().unwrap().is_some());
}

#[tokio::test]
async fn a_hosts_list_behind_a_black_hole_recovers() {
    // A primary (behind the proxy) and its replica, as a hosts list: while the primary's link
    // is a black hole, the replica must not be taken for it, and every call ends by its
    // deadline; once the link passes again, the client is back on the primary.
    let primary = OwnServer::start(&[]);
    let port = primary.port().to_string();
    let replica = OwnServer::start(&["--replicaof", "127.0.0.1", &port]);
    let proxy = Proxy::start(&host_port(&primary.url())).await;
    let c = Client::builder()
        .hosts([proxy.url(), replica.url()])
        .command_timeout(DEADLINE)
        .health_check_interval(Some(Duration::from_millis(200)))
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(200))
        .connect_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    c.ready().await.unwrap();
    c.set("deadline:hosts", "1").await.unwrap();
    proxy.set(Mode::BlackHole);
    let late = all_time_out(&c, "hosts list, black hole").await;
    // Whatever was tried meanwhile, no write reached the replica as if it were the primary.
    let e = c.set("deadline:hosts", "2").await.unwrap_err();
    assert!(e.is_unexecuted() || e.kind() == ErrorKind::Indeterminate, "{e}");
    proxy.set(Mode::Pass);
    let back = back_after(&c).await;
    c.set("deadline:hosts", "3").await.unwrap();
    let admin = Client::connect(&primary.url()).await.unwrap();
    assert_eq!(
        admin.get("deadline:hosts").await.unwrap().as_deref(),
        Some(&b"3"[..]),
        "the primary has the write"
    );
    eprintln!("hosts list behind a black hole: slowest call {late:?} past its deadline; back {back:?} after the link");
}
