//! Failovers, crashes, resharding and nodes coming and going, under load, each on a cluster
//! of the test's own (three shards of a primary and a replica), so that the shared test
//! cluster keeps its shape: every acknowledged write is applied exactly once, and callers go
//! on after each change (reliability scenarios 1-6, 8-11 and 15).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tredis::prelude::*;
use tredis::reply::Role;
use tredis::{Client, ErrorKind};

use crate::support::own_cluster::{one_at_a_time, small_cluster, Member};
use crate::support::{wait_until, within};

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

#[tokio::test]
async fn manual_failovers_under_load_lose_nothing() {
    let _one = one_at_a_time().await;
    let members = small_cluster().await;
    let c = connected(&[&members[0]], |b| b).await;
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let tasks = writers(&c, &stop, &tally);
    // Three coordinated failovers, one per shard (a primary will not vote twice for replicas
    // of the same shard within twice the node timeout).
    for (replica, old) in [(3, 0), (4, 1), (5, 2)] {
        let before = acked(&tally);
        wait_until("writes flow", || async { acked(&tally) > before + 500 }).await;
        // A manual failover the server could not finish within its own 5 s (a starved
        // machine) is simply abandoned by the server: ask again.
        let mut promoted = false;
        for _ in 0..4 {
            members[replica].admin.cluster_failover().await.unwrap();
            if within(Duration::from_secs(8), || async { is_primary(&members[replica]).await }).await {
                promoted = true;
                break;
            }
        }
        assert!(promoted, "member {replica} was never promoted");
        wait_until("the old primary follows it", || async { !is_primary(&members[old]).await }).await;
        let switched = acked(&tally);
        wait_until("writes go on after the failover", || async { acked(&tally) > switched + 500 }).await;
    }
    // Then a takeover (scenario 2): the old primary of the first shard takes its slots back
    // without asking anyone, so the writes its successor acknowledged but had not yet passed
    // on may be lost by the servers; none may be applied twice.
    members[0].admin.cluster_failover().takeover().await.unwrap();
    let started = Instant::now();
    wait_until("the takeover completes", || async { is_primary(&members[0]).await }).await;
    let shard0 = |k: &String| tredis::key_slot(k) <= 5460;
    let shard0_acked = |t: &Mutex<Tally>| {
        t.lock().unwrap().acked.iter().filter(|(k, _)| shard0(k)).map(|(_, n)| n).sum::<i64>()
    };
    let before = shard0_acked(&tally);
    wait_until("writes to the shard go on after the takeover", || async {
        shard0_acked(&tally) > before + 100
    })
    .await;
    let converged = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let tally = std::mem::take(&mut *tally.lock().unwrap());
    eprintln!(
        "3 failovers and a takeover: {} INCRs acknowledged, {} indeterminate, slowest {:?}; writes to the shard taken over resumed {converged:?} after TAKEOVER",
        tally.acked.values().sum::<i64>(),
        tally.indeterminate.values().sum::<i64>(),
        tally.slowest
    );
    assert!(tally.slowest < Duration::from_secs(5), "a writer waited {:?}", tally.slowest);
    assert!(converged < Duration::from_secs(2), "writes resumed {converged:?} after TAKEOVER");
    // The shard taken over: never more than acknowledged (or unknown); the others: exact.
    let (exact, loose): (HashMap<_, _>, HashMap<_, _>) =
        tally.acked.iter().map(|(k, n)| (k.clone(), *n)).partition(|(k, _)| !shard0(k));
    for (key, n) in &loose {
        let stored: i64 =
            c.get(key).await.unwrap().map_or(0, |v| std::str::from_utf8(&v).unwrap().parse().unwrap());
        let maybe = tally.indeterminate.get(key).copied().unwrap_or(0);
        assert!(stored <= n + maybe, "{key}: {n} acknowledged, {maybe} indeterminate, {stored} stored");
    }
    check_counts(&c, Tally { acked: exact, ..tally }).await;
}

#[tokio::test]
async fn a_crashed_primary_is_replaced_by_its_replica() {
    let _one = one_at_a_time().await;
    let mut members = small_cluster().await;
    let c = connected(&[&members[1], &members[0]], |b| b).await;
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let mut tasks = writers(&c, &stop, &tally);
    tasks.push(pipeline_writer(&c, &stop, &tally));
    let before = acked(&tally);
    wait_until("writes flow", || async { acked(&tally) > before + 500 }).await;
    // The primary of the first shard dies without a word; its replica takes over once the
    // others agree it failed (node timeout 2 s).
    members[0].server.stop();
    let crashed = Instant::now();
    wait_until("the replica is promoted", || async { is_primary(&members[3]).await }).await;
    let promoted = crashed.elapsed();
    // A write to the failed shard succeeds soon after the promotion.
    let probe = (0..).map(|i| format!("probe:{i}")).find(|k| tredis::key_slot(k) <= 5460).unwrap();
    while c.incr(&probe).with_timeout(Duration::from_secs(1)).await.is_err() {
        assert!(crashed.elapsed() < promoted + Duration::from_secs(10), "no write reached the new primary");
    }
    let resumed = crashed.elapsed();
    let after = acked(&tally);
    wait_until("writes go on after the promotion", || async { acked(&tally) > after + 500 }).await;
    // The crashed primary comes back and rejoins as a replica of its successor (scenario 4):
    // the client never writes to it, and no error reaches the writers meanwhile.
    let restarted = Instant::now();
    members[0].server.restart();
    wait_until("the old primary rejoins as a replica", || async {
        matches!(members[0].admin.role().await, Ok(Role::Replica { ref state, .. }) if state == "connected")
    })
    .await;
    let rejoined = acked(&tally);
    wait_until("writes go on after the rejoin", || async { acked(&tally) > rejoined + 500 }).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    // Requests started during the crash may fail after this point; only later ones count.
    let rejoin_errors: Vec<String> = tally
        .lock()
        .unwrap()
        .other
        .iter()
        .filter(|(at, _)| *at >= restarted)
        .map(|(_, e)| e.clone())
        .collect();
    assert!(
        rejoin_errors.is_empty(),
        "errors after the rejoin: {:?}",
        &rejoin_errors[..rejoin_errors.len().min(5)]
    );
    assert_eq!(
        crate::support::command_stat(&members[0].admin, "incr", "rejected_calls").await,
        0,
        "an INCR was sent to the old primary"
    );
    let tally = std::mem::take(&mut *tally.lock().unwrap());
    eprintln!("primary crash: promoted after {promoted:?}, writes resumed after {resumed:?}");
    // Writes to the dead primary's slots may fail while it is down (the cluster says
    // CLUSTERDOWN, or nothing answers); they never succeed twice or vanish once acknowledged.
    let failed = tally.other.len();
    let only_expected = tally
        .other
        .iter()
        .all(|(_, e)| e.contains("CLUSTERDOWN") || e.contains("connect") || e.contains("no reply"));
    assert!(only_expected, "{:?}", &tally.other[..failed.min(5)]);
    assert!(
        resumed < promoted + Duration::from_secs(2),
        "resumed {resumed:?} after a promotion at {promoted:?}"
    );
    let kept = Tally { other: Vec::new(), ..tally };
    // Writes the dead primary acknowledged but had not yet replicated are lost by the server
    // itself (asynchronous replication), so only keys of the other shards are checked exactly.
    let other_shard: Tally = Tally {
        acked: kept.acked.into_iter().filter(|(k, _)| tredis::key_slot(k) > 5460).collect(),
        indeterminate: kept.indeterminate,
        other: Vec::new(),
        slowest: kept.slowest,
    };
    check_counts(&c, other_shard).await;
}

/// `redis-cli --cluster reshard` moves 1,000 slots while writers SET and INCR: every
/// acknowledged write is there afterwards, no MOVED or ASK reaches a caller, and the storm of
/// redirections costs few refreshes of the slot map (reliability scenarios 6 and 9).
#[tokio::test]
async fn live_resharding_loses_nothing() {
    let _one = one_at_a_time().await;
    let members = small_cluster().await;
    let c = connected(&[&members[0]], |b| b).await;
    let slots_asked_before = slots_calls(&members).await;
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let tasks = writers(&c, &stop, &tally);
    // SETs of keys that are never written again, to find each one afterwards.
    let setter = {
        let (c, stop) = (c.clone(), stop.clone());
        tokio::spawn(async move {
            let mut written = Vec::new();
            let mut errors = Vec::new();
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let key = format!("reshard:set:{i}");
                i += 1;
                match c.set(&key, i.to_string()).await {
                    Ok(()) => written.push((key, i)),
                    Err(e) if e.kind() == ErrorKind::Indeterminate => {}
                    Err(e) => errors.push(e.to_string()),
                }
            }
            (written, errors)
        })
    };
    let before = acked(&tally);
    wait_until("writes flow", || async { acked(&tally) > before + 200 }).await;
    let started = Instant::now();
    let from = members[0].id.clone();
    let to = members[1].id.clone();
    let seed = format!("127.0.0.1:{}", members[0].server.port());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("redis-cli")
            .args(["--cluster", "reshard", &seed, "--cluster-from", &from, "--cluster-to", &to])
            .args(["--cluster-slots", "1000", "--cluster-yes", "--cluster-pipeline", "10"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "reshard failed: {}", String::from_utf8_lossy(&out.stderr));
    let took = started.elapsed();
    let after = acked(&tally);
    wait_until("writes go on after the resharding", || async { acked(&tally) > after + 200 }).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let (written, errors) = setter.await.unwrap();
    assert!(errors.is_empty(), "errors reached the setter: {:?}", &errors[..errors.len().min(5)]);
    for (key, value) in &written {
        assert_eq!(c.get(key).await.unwrap(), Some(value.to_string().into()), "{key}");
    }
    let tally = std::mem::take(&mut *tally.lock().unwrap());
    let refreshes = slots_calls(&members).await - slots_asked_before;
    eprintln!(
        "resharding 1,000 slots took {took:?}: {} SETs and {} INCRs acknowledged, {refreshes} slot map refreshes",
        written.len(),
        tally.acked.values().sum::<i64>()
    );
    // At most one refresh per 200 ms, and a couple more for the writers' first requests.
    let allowed = (took.as_secs_f64() * 5.0).ceil() as u64 + 5;
    assert!(refreshes <= allowed, "{refreshes} refreshes in {took:?}");
    check_counts(&c, tally).await;
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

/// Moves `slot`, with its keys, from one primary to another, and tells both.
async fn move_slot(slot: u16, from: &Member, to: &Member) {
    use tredis::commands::cluster::ClusterSetslotState;
    let slot64 = u64::from(slot);
    to.admin.cluster_setslot(slot64, ClusterSetslotState::Importing(from.id.clone().into())).await.unwrap();
    from.admin.cluster_setslot(slot64, ClusterSetslotState::Migrating(to.id.clone().into())).await.unwrap();
    loop {
        let keys = from.admin.cluster_getkeysinslot(slot64, 100).await.unwrap();
        if keys.is_empty() {
            break;
        }
        let port = u64::from(to.server.port());
        from.admin.migrate_keys("127.0.0.1", port, 0, Duration::from_secs(5), &keys).await.unwrap();
    }
    for m in [to, from] {
        m.admin.cluster_setslot(slot64, ClusterSetslotState::Node(to.id.clone().into())).await.unwrap();
    }
}

/// A key of `slot`'s shard, `name`-prefixed, in a slot of its own choosing.
fn key_in(range: std::ops::RangeInclusive<u16>, name: &str) -> String {
    (0..).map(|i| format!("{name}:{i}")).find(|k| range.contains(&tredis::key_slot(k))).unwrap()
}

/// The cluster grows a node the client has never heard of and a slot moves to it; then the
/// node the client was seeded with leaves and is forgotten (reliability scenarios 8 and 11).
#[tokio::test]
async fn follows_a_new_node_and_outlives_its_seed() {
    let _one = one_at_a_time().await;
    let mut members = small_cluster().await;
    // Seeded with a replica only, which will leave.
    let c = connected(&[&members[4]], |b| b).await;
    let (first, second) = (key_in(0..=5460, "grow"), key_in(5461..=10922, "grow"));
    c.set(&first, "1").await.unwrap();
    c.set(&second, "2").await.unwrap();
    // A seventh node joins and takes the first key's slot.
    let newcomer = Member::start().await;
    members[0].meet(&newcomer).await;
    wait_until("every node knows the newcomer, and it knows the slots", || async {
        let info = newcomer.admin.cluster_info().await.unwrap();
        let mut all = info.known_nodes == 7 && info.is_ok();
        for m in &members {
            all &= m.admin.cluster_info().await.unwrap().known_nodes == 7;
        }
        all
    })
    .await;
    move_slot(tredis::key_slot(&first), &members[0], &newcomer).await;
    members.push(newcomer);
    let asked_before = slots_calls(&members).await;
    // MOVED names a node the client never knew: it connects to it, and refreshes once.
    assert_eq!(c.get(&first).await.unwrap().as_deref(), Some(&b"1"[..]));
    assert_eq!(c.incr(&first).await.unwrap(), 2);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(slots_calls(&members).await - asked_before, 1, "refreshes after one MOVED");
    // The seed leaves and every node forgets it; then the second key's slot moves too. The
    // client refreshes from the nodes it learned of, not its dead seed.
    members[4].server.stop();
    let gone = members[4].id.clone();
    for (i, m) in members.iter().enumerate() {
        if i != 4 {
            m.admin.cluster_forget(&gone).await.unwrap();
        }
    }
    let asked_before = slots_calls(&members).await;
    move_slot(tredis::key_slot(&second), &members[1], &members[6]).await;
    assert_eq!(c.get(&second).await.unwrap().as_deref(), Some(&b"2"[..]));
    assert_eq!(c.incr(&second).await.unwrap(), 3);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(slots_calls(&members).await > asked_before, "the map was not refreshed from a live node");
    // A new client whose seed list still names the departed node finds the cluster through the
    // others.
    let stale = connected(&[&members[4], &members[2]], |b| b).await;
    assert_eq!(stale.get(&second).await.unwrap().as_deref(), Some(&b"3"[..]));
}

/// Reads from replicas while one replica dies: its reads go elsewhere, and no error reaches
/// a reader (reliability scenario 15). A replica added later is found by the periodic
/// refresh of the slot map, as nothing else would make the client look.
#[tokio::test]
async fn reads_from_replicas_outlive_a_replica() {
    let _one = one_at_a_time().await;
    let mut members = small_cluster().await;
    let c = connected(&[&members[0]], |b| {
        b.read_from_replicas(true).cluster_refresh_interval(Some(Duration::from_millis(300)))
    })
    .await;
    let keys: Vec<String> = (0..300).map(|i| format!("replica-read:{i}")).collect();
    c.mset(keys.iter().map(|k| (k, k))).await.unwrap();
    // The replicas have every key before reading starts.
    for m in &members[..3] {
        wait_until("the replica caught up", || async {
            m.admin.wait(1, Duration::from_millis(100)).await.is_ok_and(|n| n == 1)
        })
        .await;
    }
    let served_before = crate::support::command_stat(&members[4].admin, "get", "calls").await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for r in 0..4usize {
        let (c, stop, keys) = (c.clone(), stop.clone(), keys.clone());
        readers.push(tokio::spawn(async move {
            let (mut i, mut reads, mut errors) = (r, 0u64, Vec::new());
            while !stop.load(Ordering::Relaxed) {
                let key = &keys[i % keys.len()];
                i += 4;
                match c.get(key).await {
                    Ok(v) if v.as_deref() == Some(key.as_bytes()) => reads += 1,
                    Ok(v) => errors.push(format!("{key}: read {v:?}")),
                    Err(e) => errors.push(format!("{key}: {e}")),
                }
            }
            (reads, errors)
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        crate::support::command_stat(&members[4].admin, "get", "calls").await > served_before,
        "the replica served no read"
    );
    members[4].server.stop();
    tokio::time::sleep(Duration::from_secs(1)).await;
    // A new replica of that shard: found without any error to prompt a refresh.
    let newcomer = Member::start().await;
    members[1].meet(&newcomer).await;
    let admin = &newcomer.admin;
    wait_until("the newcomer knows the cluster", || async {
        admin.cluster_info().await.unwrap().known_nodes >= 7
    })
    .await;
    admin.cluster_replicate(&members[1].id).await.unwrap();
    wait_until("the new replica is in sync", || async {
        matches!(admin.role().await, Ok(Role::Replica { ref state, .. }) if state == "connected")
    })
    .await;
    let found = within(Duration::from_secs(5), || async {
        crate::support::command_stat(admin, "get", "calls").await > 0
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    let (mut reads, mut errors) = (0, Vec::new());
    for r in readers {
        let (n, e) = r.await.unwrap();
        reads += n;
        errors.extend(e);
    }
    eprintln!("reads from replicas while one died and one came: {reads} reads, {} errors", errors.len());
    assert!(errors.is_empty(), "{:?}", &errors[..errors.len().min(5)]);
    assert!(found, "the new replica served no read");
    assert!(reads > 1_000, "only {reads} reads");
}

/// Every node dies at once and comes back on its port (reliability scenario 10): the client,
/// never rebuilt, finds the cluster again from what it knew, soon after the cluster is ok.
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
    // Requests meanwhile fail (nothing answers), without hanging past the command timeout.
    let started = Instant::now();
    assert!(c.incr(&keys[0]).await.is_err());
    assert!(started.elapsed() < Duration::from_millis(2_500), "waited {:?}", started.elapsed());
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
        assert!(ok_at.elapsed() < Duration::from_secs(10), "the client never came back");
    }
    let back = first.unwrap();
    eprintln!("whole cluster restart: every shard written {back:?} after the cluster was ok again");
    // Backoff at most 500 ms, plus a second.
    assert!(back < Duration::from_millis(1_500), "came back {back:?} after the cluster was ok");
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
    let p99 = during[during.len() * 99 / 100];
    eprintln!(
        "while a primary hung 3 s: {} writes to the other shards, p99 {p99:?}, slowest {:?}",
        during.len(),
        during.last().unwrap()
    );
    assert!(during.len() > 1_000, "only {} writes to the other shards", during.len());
    // Far below the 500 ms timeout: nothing waited on the hung node.
    assert!(p99 < Duration::from_millis(50), "p99 {p99:?}");
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
