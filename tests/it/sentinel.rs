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
use crate::support::wait_until;

/// Long enough for any slow machine; a call that takes longer hangs.
const HANG: Duration = Duration::from_secs(20);

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
pub(crate) fn sentinel_cli(args: &[&str]) -> String {
    let (_, port) = support::host_port(&support::sentinel_urls()[0]);
    let out = Command::new("redis-cli").arg("-p").arg(port.to_string()).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The port of the primary, as the Sentinels know it.
pub(crate) fn primary_port() -> u16 {
    let out = sentinel_cli(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", &support::sentinel_name()]);
    out.lines().nth(1).and_then(|p| p.trim().parse().ok()).unwrap_or_else(|| panic!("no primary: {out}"))
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
    c.del((0..100).map(|i| format!("sentinel:counter:{i}")).collect::<Vec<_>>()).await.unwrap();
    wait_until("the replica has the DEL", || async {
        c.wait(1, Duration::from_millis(200)).await.is_ok_and(|n| n == 1)
    })
    .await;
    // Subscribers follow the primary too: on the client's shared connection (RESP3) and on a
    // connection of their own (RESP2).
    let resp2 = sentinel_client(Protocol::Resp2);
    let mut subs = [c.subscriber(), resp2.subscriber()];
    for sub in &mut subs {
        sub.subscribe(["sentinel:news"]).await.unwrap();
    }
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
        // A Sentinel refuses (NOGOODSLAVE) until it has seen the replica healthy again after
        // the last round, which its INFO polls only show within seconds: ask until it agrees.
        wait_until("the Sentinel deems the replica fit", || async { replica_is_fit() }).await;
        let out = ask_for_failover().await;
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
        // What is published on the new primary reaches both subscribers.
        for sub in &mut subs {
            let payload = format!("round {round}");
            let (mut heard, mut resubscribed) = (false, false);
            let since = Instant::now();
            while !heard {
                assert!(
                    since.elapsed() < Duration::from_secs(20),
                    "a subscriber never heard the new primary"
                );
                let _ = c.publish("sentinel:news", &payload).await;
                while let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(50), sub.next()).await {
                    match e {
                        tredis::Event::Message(m) if m.payload == payload.as_bytes() => heard = true,
                        tredis::Event::Resubscribed => resubscribed = true,
                        tredis::Event::ResubscribeFailed { cause } => panic!("{cause}"),
                        _ => {}
                    }
                }
            }
            eprintln!("Sentinel failover {round}: a subscriber heard the new primary (resubscribed: {resubscribed})");
        }
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

/// Whether the first Sentinel deems the replica fit to promote: not down, linked to its
/// primary.
pub(crate) fn replica_is_fit() -> bool {
    let out = sentinel_cli(&["SENTINEL", "REPLICAS", &support::sentinel_name()]);
    let lines: Vec<&str> = out.lines().collect();
    let field = |name: &str| lines.iter().position(|l| *l == name).and_then(|i| lines.get(i + 1)).copied();
    field("flags") == Some("slave") && field("master-link-status") == Some("ok")
}

/// The port of the replica, as the Sentinels know it.
fn replica_port() -> u16 {
    let out = sentinel_cli(&["SENTINEL", "REPLICAS", &support::sentinel_name()]);
    let lines: Vec<&str> = out.lines().collect();
    let at = lines.iter().position(|l| *l == "port").unwrap_or_else(|| panic!("no replica: {out}"));
    lines[at + 1].trim().parse().unwrap()
}

/// Reads go to the replica the Sentinels name, writes to the primary.
#[tokio::test]
async fn reads_from_the_replica_the_sentinels_name() {
    let _state = support::sentinel_shared().await;
    // After a failover test, the Sentinels take a moment to see the replica healthy again.
    wait_until("the Sentinel deems the replica fit", || async { replica_is_fit() }).await;
    let replica =
        support::client_for(&format!("redis://127.0.0.1:{}", replica_port()), Protocol::Resp3).await;
    let primary =
        support::client_for(&format!("redis://127.0.0.1:{}", primary_port()), Protocol::Resp3).await;
    let c = Client::builder()
        .hosts(support::sentinel_urls())
        .sentinel(support::sentinel_name())
        .read_from_replicas(true)
        .build()
        .unwrap();
    c.ready().await.unwrap();
    let (reads_before, writes_before) = (
        support::command_stat(&replica, "strlen", "calls").await,
        support::command_stat(&primary, "append", "calls").await,
    );
    for _ in 0..20 {
        c.append("sentinel:replica-read", "x").await.unwrap();
        c.strlen("sentinel:replica-read").await.unwrap();
    }
    assert_eq!(
        support::command_stat(&replica, "strlen", "calls").await - reads_before,
        20,
        "reads went elsewhere"
    );
    assert_eq!(
        support::command_stat(&primary, "append", "calls").await - writes_before,
        20,
        "writes went elsewhere"
    );
}

/// With every Sentinel down, connecting fails at once with a clear error, naming each
/// (reliability scenario 19; one Sentinel down is passed over, above).
#[tokio::test]
async fn every_sentinel_down_fails_clearly() {
    let dead: Vec<String> = (0..2)
        .map(|_| {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("redis://{}", l.local_addr().unwrap())
        })
        .collect();
    let c = Client::builder()
        .hosts(&dead)
        .sentinel(support::sentinel_name())
        .connect_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = c.ready().await.unwrap_err();
    // Only catches a hang (a retry loop over the dead Sentinels): the timeout is 1 s.
    assert!(started.elapsed() < HANG, "took {:?}", started.elapsed());
    eprintln!("every Sentinel down: refused after {:?}", started.elapsed());
    assert_eq!(err.kind(), ErrorKind::Connect);
    for d in &dead {
        assert!(err.to_string().contains(d.trim_start_matches("redis://")), "{err}");
    }
}

/// A Sentinel with a stale view names the replica as the primary: the ROLE check turns it
/// down, the next Sentinel is asked, and nothing but the handshake reaches the replica
/// (reliability scenario 20). A real Sentinel cannot be made stale on purpose: a fake one
/// plays it.
#[tokio::test]
async fn a_stale_sentinel_is_passed_over() {
    let _state = support::sentinel_shared().await;
    let stale_port = replica_port();
    let stale = support::fake::Fake::start(move |mut conn, _| async move {
        while let Some(cmd) = conn.command().await {
            let reply = if cmd.len() == 3 && cmd[1].eq_ignore_ascii_case(b"GET-MASTER-ADDR-BY-NAME") {
                let port = stale_port.to_string();
                format!("*2\r\n$9\r\n127.0.0.1\r\n${}\r\n{port}\r\n", port.len())
            } else {
                "-ERR not a sentinel command I play\r\n".to_string()
            };
            conn.send(reply.as_bytes()).await;
        }
    })
    .await;
    let replica = support::client_for(&format!("redis://127.0.0.1:{stale_port}"), Protocol::Resp3).await;
    let roles_before = support::command_stat(&replica, "role", "calls").await;
    // The replica runs the SETs its primary passes on, so a SET sent to it shows as refused.
    let refused_before = crate::support::command_stat(&replica, "set", "rejected_calls").await;
    let mut hosts = vec![stale.url()];
    hosts.extend(support::sentinel_urls());
    let c = Client::builder().hosts(hosts).sentinel(support::sentinel_name()).build().unwrap();
    c.set("sentinel:stale", "v").await.unwrap();
    assert!(matches!(c.role().await.unwrap(), Role::Master { .. }));
    assert!(
        support::command_stat(&replica, "role", "calls").await > roles_before,
        "the named replica was not even tried"
    );
    assert_eq!(
        crate::support::command_stat(&replica, "set", "rejected_calls").await,
        refused_before,
        "a write reached the replica"
    );
}

/// The primary stops answering (SIGSTOP, as a hung host would): the Sentinels promote the
/// replica, and the client writes to it within the failover time plus 2 s. When the old
/// primary wakes up it still believes it is the primary until the Sentinels demote it; no
/// write may be acknowledged by it then, as its writes are about to be thrown away
/// (reliability scenario 18).
///
/// The client listens for `+switch-master` on its first Sentinel, which here is a deaf one:
/// it accepts the subscription and never speaks. So the client must find the new primary
/// itself: its timed-out requests make it ask the Sentinels.
#[tokio::test]
async fn a_stopped_primary_is_replaced() {
    let _state = support::sentinel_exclusive().await;
    let deaf = support::fake::Fake::start(|mut conn, _| async move {
        while let Some(cmd) = conn.command().await {
            if cmd[0].eq_ignore_ascii_case(b"SUBSCRIBE") {
                conn.send(b"*3\r\n$9\r\nsubscribe\r\n$14\r\n+switch-master\r\n:1\r\n").await;
            } else {
                conn.send(b"-ERR this Sentinel only listens\r\n").await;
            }
        }
    })
    .await;
    let mut hosts = vec![deaf.url()];
    hosts.extend(support::sentinel_urls());
    let c = Client::builder()
        .hosts(hosts)
        .sentinel(support::sentinel_name())
        .command_timeout(Duration::from_secs(1))
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(200))
        .build()
        .unwrap();
    c.ready().await.unwrap();
    let keys: Vec<String> =
        ["stalled", "woken"].iter().flat_map(|p| (0..50).map(move |i| format!("sentinel:{p}:{i}"))).collect();
    c.del(&keys).await.unwrap();
    // The replica must have every write so far, this DEL included: a replica still syncing
    // when promoted would bring back an old copy of the keys.
    wait_until("the replica has the DEL", || async {
        c.wait(1, Duration::from_millis(200)).await.is_ok_and(|n| n == 1)
    })
    .await;
    wait_until("the Sentinel deems the replica fit", || async { replica_is_fit() }).await;
    let old_port = primary_port();
    let old = support::client_for(&format!("redis://127.0.0.1:{old_port}"), Protocol::Resp3).await;
    let pid: u32 = old.info().sections("server").await.unwrap().get("process_id").unwrap().parse().unwrap();
    // Writers INCR keys of the phase they started in: "stalled" while the old primary is
    // stopped, "woken" once it runs again.
    let woken = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(HashMap::<String, (i64, i64)>::new()));
    let mut tasks = Vec::new();
    for w in 0..4u64 {
        let (c, woken, stop, tally) = (c.clone(), woken.clone(), stop.clone(), tally.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = w;
            let mut errors = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let phase = if woken.load(Ordering::Acquire) { "woken" } else { "stalled" };
                let key = format!("sentinel:{phase}:{}", i % 50);
                i += 4;
                let started = Instant::now();
                let r = c.incr(&key).await;
                // Only catches a hang: the deadline is 1 s, and the machine may be slow.
                assert!(started.elapsed() < HANG, "an INCR took {:?}", started.elapsed());
                let mut t = tally.lock().unwrap();
                let entry = t.entry(key).or_default();
                match r {
                    Ok(_) => entry.0 += 1,
                    // Stuck on the stopped primary until the timeout: it may or may not run.
                    Err(e) if matches!(e.kind(), ErrorKind::Indeterminate | ErrorKind::Timeout) => {
                        entry.1 += 1
                    }
                    Err(e) => errors.push(e.to_string()),
                }
            }
            errors
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let frozen = support::Frozen::freeze(pid);
    let started = Instant::now();
    wait_until("the Sentinels name a new primary", || async { primary_port() != old_port }).await;
    let switched = started.elapsed();
    let new_port = primary_port().to_string();
    wait_until("the client writes to the new primary", || async {
        c.set("sentinel:probe", "x").await.is_ok()
            && c.info().await.is_ok_and(|i| i.get("tcp_port") == Some(new_port.as_str()))
    })
    .await;
    let resumed = started.elapsed();
    eprintln!("stopped primary: the Sentinels switched after {switched:?}, the client wrote to the new one after {resumed:?}");
    woken.store(true, Ordering::Release);
    drop(frozen);
    // The old primary is demoted by the Sentinels; writes go on meanwhile.
    wait_until("the old primary serves as a replica", || async {
        matches!(old.role().await, Ok(Role::Replica { ref state, .. }) if state == "connected")
    })
    .await;
    // Later tests fail over again: the Sentinels must see the deployment whole first.
    wait_until("the Sentinel deems the replica fit", || async { replica_is_fit() }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut errors = Vec::new();
    for t in tasks {
        errors.extend(t.await.unwrap());
    }
    assert!(errors.is_empty(), "errors reached the writers: {:?}", &errors[..errors.len().min(5)]);
    let counts = std::mem::take(&mut *tally.lock().unwrap());
    let mut woken_acked = 0;
    for (key, (ok, maybe)) in counts {
        let stored: i64 =
            c.get(&key).await.unwrap().map_or(0, |v| std::str::from_utf8(&v).unwrap().parse().unwrap());
        // Nothing is applied twice; and once the old primary woke, every acknowledged write
        // is on the new primary: none was acknowledged by the stale one.
        assert!(stored <= ok + maybe, "{key}: {ok} acknowledged, {maybe} unknown, {stored} stored");
        if key.starts_with("sentinel:woken") {
            assert!(stored >= ok, "{key}: {ok} acknowledged after the old primary woke, {stored} stored");
            woken_acked += ok;
        }
    }
    assert!(woken_acked > 100, "too few writes after the old primary woke: {woken_acked}");
}

/// Sentinels that require a password of their own are reached with `sentinel_auth`; without
/// it, or with a wrong one, connecting fails as an auth error that names the way out.
#[tokio::test]
async fn sentinels_with_a_password() {
    let primary = support::server::OwnServer::start(&[]);
    let sentinel = support::server::OwnServer::sentinel(&format!(
        "sentinel monitor guarded 127.0.0.1 {} 1\nrequirepass sentinel-secret\n",
        primary.port()
    ));
    for proto in support::PROTOCOLS {
        let c = Client::builder()
            .hosts([sentinel.url()])
            .sentinel("guarded")
            .sentinel_auth(None, "sentinel-secret")
            .protocol(proto)
            .build()
            .unwrap();
        c.set("guarded", "v").await.unwrap();
        let port = primary.port().to_string();
        assert_eq!(c.info().await.unwrap().get("tcp_port"), Some(port.as_str()));
    }
    let c = Client::builder().hosts([sentinel.url()]).sentinel("guarded").build().unwrap();
    let err = c.ready().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.to_string().contains("sentinel_auth"), "{err}");
    let c = Client::builder()
        .hosts([sentinel.url()])
        .sentinel("guarded")
        .sentinel_auth(Some("default"), "wrong")
        .build()
        .unwrap();
    let err = c.ready().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.to_string().contains("refused the credentials"), "{err}");
    // Sentinel credentials without Sentinel are a mistake.
    let err = Client::builder().url(&primary.url()).sentinel_auth(None, "x").build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}

/// Asks a Sentinel for a failover until it stops answering NOGOODSLAVE (it sees the replica
/// fit again only within seconds of a previous failover); its last answer.
pub(crate) async fn ask_for_failover() -> String {
    let mut out = String::new();
    for _ in 0..50 {
        out = sentinel_cli(&["SENTINEL", "FAILOVER", &support::sentinel_name()]);
        if out != "NOGOODSLAVE No suitable replica to promote" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    out
}
