//! `Subscriber` in a cluster: channels and patterns on one node, shard channels on their
//! slots' primaries; a node killed with subscriptions on it (reliability scenario 12) and a
//! shard channel's slot migrated (scenario 13). Under RESP2 and RESP3.

use std::time::{Duration, Instant};

use tredis::prelude::*;
use tredis::pubsub::Kind;
use tredis::{Client, Event, Protocol};

use crate::cluster_faults::resharding::move_slot;
use crate::subscriber::{message, next};
use crate::support::b;
use crate::support::own_cluster::{one_at_a_time, small_cluster, Member};

fn cluster_client(seeds: Vec<String>, protocol: Protocol) -> Client {
    Client::builder()
        .hosts(seeds)
        .cluster(true)
        .protocol(protocol)
        .command_timeout(Duration::from_secs(10))
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(200))
        .build()
        .unwrap()
}

/// A shard channel in `range`'s slots, named after `name`.
fn channel_in(range: std::ops::RangeInclusive<u16>, name: &str) -> String {
    (0..).map(|i| format!("{name}:{i}")).find(|k| range.contains(&tredis::key_slot(k))).unwrap()
}

#[tokio::test]
async fn every_kind_of_subscription_in_a_cluster() {
    let _g = crate::support::shared().await;
    for protocol in crate::support::PROTOCOLS {
        let c = cluster_client(crate::support::cluster_urls(), protocol);
        c.ready().await.unwrap();
        let mut sub = c.subscriber();
        let p = format!("cl:{protocol:?}");
        sub.subscribe([format!("{p}:news")]).await.unwrap();
        sub.psubscribe([format!("{p}:pat:*")]).await.unwrap();
        // Shard channels of three slots, on three nodes: one SSUBSCRIBE per slot.
        let shards = [channel_in(0..=5000, &p), channel_in(6000..=10000, &p), channel_in(11000..=16383, &p)];
        sub.ssubscribe(&shards).await.unwrap();
        // PUBLISH reaches every node, whichever the client sends it to.
        c.publish(format!("{p}:news"), "n").await.unwrap();
        assert_eq!(message(&mut sub).await.payload, b("n"));
        c.publish(format!("{p}:pat:x"), "pat").await.unwrap();
        let m = message(&mut sub).await;
        assert_eq!((m.kind, m.payload), (Kind::Pattern, b("pat")));
        for s in &shards {
            assert_eq!(c.spublish(s, "s").await.unwrap(), 1, "{s} has its subscriber on its node");
            let m = message(&mut sub).await;
            assert_eq!((m.kind, m.channel), (Kind::Shard, b(s)));
        }
        sub.sunsubscribe().await.unwrap();
        for s in &shards {
            assert_eq!(c.spublish(s, "none").await.unwrap(), 0);
        }
        drop(sub);
        c.close().await;
    }
}

/// Waits for a message with `payload` on `channel` (a shard channel when `sharded`),
/// publishing it again and again (a subscription being moved may miss some), and returns
/// how long it took. Notes in `resubscribed` whether the stream said the subscriptions are
/// back.
async fn heard(
    sub: &mut Subscriber,
    c: &Client,
    (channel, sharded): (&str, bool),
    payload: &str,
    resubscribed: &mut bool,
) -> Duration {
    let start = Instant::now();
    loop {
        assert!(start.elapsed() < Duration::from_secs(30), "never heard {payload}");
        // Refused while the cluster fails over: published again next round.
        let _ = if sharded { c.spublish(channel, payload).await } else { c.publish(channel, payload).await };
        while let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(100), sub.next()).await {
            match e {
                Event::Message(m) if m.payload == payload.as_bytes() => return start.elapsed(),
                Event::Resubscribed => *resubscribed = true,
                Event::ResubscribeFailed { cause } => panic!("{cause}"),
                _ => {}
            }
        }
    }
}

#[tokio::test]
async fn subscriptions_leave_a_killed_node() {
    // Scenario 12: the node holding the subscriptions is killed (kill -9); its replica takes
    // over its slots.
    let _one = one_at_a_time().await;
    let mut members = small_cluster().await;
    let seeds: Vec<String> = members[1..3].iter().map(|m| m.server.url()).collect();
    let (resp2, resp3) =
        (cluster_client(seeds.clone(), Protocol::Resp2), cluster_client(seeds, Protocol::Resp3));
    // A shard channel of the first primary's slots: it moves only once the replica is
    // promoted. Channels go to the primary of slot 0's shard, the same node.
    let shard = channel_in(0..=5460, "killed");
    let mut subs = Vec::new();
    for c in [&resp2, &resp3] {
        c.ready().await.unwrap();
        let sub = c.subscriber();
        sub.subscribe(["killed:news"]).await.unwrap();
        sub.ssubscribe([&shard]).await.unwrap();
        subs.push(sub);
    }
    assert_eq!(members[0].admin.pubsub_numsub().channels(["killed:news"]).await.unwrap()[0].1, 2);
    members[0].server.stop();
    let killed = Instant::now();
    for (sub, name) in subs.iter_mut().zip(["RESP2", "RESP3"]) {
        loop {
            match next(sub).await {
                Event::Gap { .. } => break,
                Event::Subscribed { .. } => {}
                other => panic!("{name}: expected a gap first, got {other:?}"),
            }
        }
        let mut resubscribed = false;
        let news = heard(sub, &resp3, ("killed:news", false), "news", &mut resubscribed).await;
        let sharded = heard(sub, &resp3, (&shard, true), "shard", &mut resubscribed).await;
        while let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(200), sub.next()).await {
            resubscribed |= matches!(e, Event::Resubscribed);
        }
        assert!(resubscribed, "{name}: the stream says the subscriptions are back");
        eprintln!(
            "{name}: a channel heard again {news:?}, a shard channel {sharded:?} after; {:?} since the kill",
            killed.elapsed()
        );
    }
    // The replica promoted holds the shard channel now.
    let promoted = &members[3];
    crate::support::wait_until("the promoted replica has both shard subscribers", || async {
        promoted.admin.pubsub_shardnumsub().channels([&shard]).await.unwrap()[0].1 == 2
    })
    .await;
}

#[tokio::test]
async fn a_shard_channel_follows_its_slot() {
    // Scenario 13: the slot of a shard channel moves to another node; the server ends the
    // subscription (sunsubscribe), and the client makes it again on the new owner.
    let _one = one_at_a_time().await;
    let members = small_cluster().await;
    let seeds: Vec<String> = vec![members[1].server.url()];
    for (protocol, from, to) in [(Protocol::Resp2, 0, 1), (Protocol::Resp3, 1, 2)] {
        let c = cluster_client(seeds.clone(), protocol);
        c.ready().await.unwrap();
        let range = [0..=5460, 5461..=10922, 10923..=16383][from].clone();
        let shard = channel_in(range, &format!("follow:{protocol:?}"));
        let mut sub = c.subscriber();
        sub.ssubscribe([&shard]).await.unwrap();
        let (a, b_): (&Member, &Member) = (&members[from], &members[to]);
        move_slot(tredis::key_slot(&shard), a, b_).await;
        let moved = Instant::now();
        let mut unsubscribed_by_server = false;
        loop {
            match next(&mut sub).await {
                Event::Gap { .. } => unsubscribed_by_server = true,
                Event::Resubscribed => break,
                Event::Subscribed { .. } => {}
                other => panic!("{other:?}"),
            }
        }
        assert!(unsubscribed_by_server, "the stream says the slot moved");
        let n = b_.admin.spublish(&shard, "on the new owner").await.unwrap();
        assert_eq!(n, 1, "{protocol:?}: the subscription is on the new owner");
        assert_eq!(message(&mut sub).await.payload, b("on the new owner"));
        eprintln!("slot moved ({protocol:?}): resubscribed on the new owner {:?} after", moved.elapsed());
        drop(sub);
        c.close().await;
    }
}
