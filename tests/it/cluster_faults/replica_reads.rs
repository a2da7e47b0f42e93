//! Reads from replicas while replicas die and join.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tredis::prelude::*;
use tredis::reply::Role;

use crate::support::own_cluster::{one_at_a_time, small_cluster, Member};
use crate::support::{wait_until, within};

use super::connected;

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
