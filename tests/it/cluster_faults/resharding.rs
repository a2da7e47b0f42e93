//! Slots moving between nodes, and nodes joining and leaving, while the client works.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tredis::prelude::*;
use tredis::ErrorKind;

use crate::support::own_cluster::{one_at_a_time, small_cluster, Member};
use crate::support::wait_until;

use super::{acked, check_counts, connected, slots_calls, writers, Tally};

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

/// Moves `slot`, with its keys, from one primary to another, and tells both.
pub(crate) async fn move_slot(slot: u16, from: &Member, to: &Member) {
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
