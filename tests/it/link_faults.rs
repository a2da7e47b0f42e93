//! The fault proxy in front of the topologies whose servers announce their own addresses: a
//! Sentinel-managed primary (the Sentinel monitors, and so names, the proxy's address) and
//! cluster nodes (each announces its proxy's port). A black hole and a half-open link
//! (reliability scenarios 31 and 32, on the network side) end every call to the faulted
//! server by its deadline, leave the other servers' calls alone, and the client is back soon
//! after the link is.
//!
//! The figures (how late past its deadline the slowest call was, how soon the client was back)
//! are printed; the assertions only catch hangs and wrong outcomes.

use std::time::{Duration, Instant};

use tredis::prelude::*;
use tredis::{Builder, Client, Protocol};

use crate::support::own_cluster::{one_at_a_time, proxied_cluster};
use crate::support::proxy::{Mode, Proxy};
use crate::support::server::OwnServer;
use crate::support::within;

const DEADLINE: Duration = Duration::from_millis(500);

/// Far more than any deadline here: only a hang exceeds it.
const HANG: Duration = Duration::from_secs(20);

/// How long a link stays broken after the calls made through it ended.
const BROKEN: Duration = Duration::from_millis(1_500);

/// The faults a link can have that the server cannot see.
const FAULTS: [(Mode, &str); 2] = [(Mode::BlackHole, "black hole"), (Mode::Silent, "half-open link")];

fn tuned(b: Builder, protocol: Protocol) -> Client {
    b.protocol(protocol)
        .command_timeout(DEADLINE)
        .health_check_interval(Some(Duration::from_millis(200)))
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(200))
        .connect_timeout(Duration::from_millis(500))
        .build()
        .unwrap()
}

/// GETs `keys` at once; each must fail as unexecuted or indeterminate. Returns how far past
/// `DEADLINE` the slowest ended.
async fn calls_end_by_their_deadline(c: &Client, keys: &[String], what: &str) -> Duration {
    let calls: Vec<_> = keys
        .iter()
        .map(|k| {
            let (c, k) = (c.clone(), k.clone());
            tokio::spawn(async move {
                let start = Instant::now();
                (c.get(&k).await, start.elapsed())
            })
        })
        .collect();
    let mut late = Duration::ZERO;
    for call in calls {
        let (r, took) = tokio::time::timeout(HANG, call).await.expect("no hang").unwrap();
        let e = r.expect_err(what);
        assert!(e.is_unexecuted() || e.kind() == ErrorKind::Indeterminate, "{what}: after {took:?}: {e}");
        late = late.max(took.saturating_sub(DEADLINE));
    }
    late
}

/// How long until a GET of `key` succeeds again.
async fn back_after(c: &Client, key: &str) -> Duration {
    let start = Instant::now();
    assert!(within(HANG, || async { c.get(key).await.is_ok() }).await, "the client never came back");
    start.elapsed()
}

#[tokio::test]
async fn a_sentinel_primary_behind_a_broken_link() {
    let primary = OwnServer::start(&[]);
    let proxy = Proxy::start(&format!("127.0.0.1:{}", primary.port())).await;
    // The Sentinel watches the primary through the proxy too; it must not fail it over
    // (there is no replica anyway) while the link is broken.
    let sentinel = OwnServer::sentinel(&format!(
        "sentinel monitor proxied 127.0.0.1 {} 1\nsentinel down-after-milliseconds proxied 60000\n",
        proxy.addr().port()
    ));
    let keys: Vec<String> = (0..16).map(|i| format!("link:sentinel:{i}")).collect();
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let c = tuned(Client::builder().hosts([sentinel.url()]).sentinel("proxied"), protocol);
        c.ready().await.unwrap();
        assert_eq!(c.info().await.unwrap().get("tcp_port"), Some(primary.port().to_string().as_str()));
        let before = proxy.accepted();
        assert!(before > 0, "the client reaches the primary through the proxy");
        for (mode, what) in FAULTS {
            proxy.set(mode);
            let late = calls_end_by_their_deadline(&c, &keys, what).await;
            // Long enough for the health check to give the connection up (a link back sooner
            // is only a delay: TCP delivers what it held), and for reconnect attempts to meet
            // the broken link too.
            tokio::time::sleep(BROKEN).await;
            proxy.set(Mode::Pass);
            let back = back_after(&c, &keys[0]).await;
            eprintln!(
                "Sentinel primary, {what} ({protocol:?}): slowest call {late:?} past its deadline; back {back:?} after the link"
            );
        }
        assert!(proxy.accepted() > before, "the broken connection was replaced");
        c.close().await;
    }
}

#[tokio::test]
async fn a_cluster_node_behind_a_broken_link() {
    let _one = one_at_a_time().await;
    let (_members, proxies) = proxied_cluster().await;
    let on_faulted = |k: &String| tredis::key_slot(k) <= 5460;
    let faulted: Vec<String> =
        (0..).map(|i| format!("link:cluster:{i}")).filter(on_faulted).take(16).collect();
    let others: Vec<String> =
        (0..).map(|i| format!("link:cluster:{i}")).filter(|k| !on_faulted(k)).take(16).collect();
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let c = tuned(Client::builder().hosts([proxies[1].url()]).cluster(true), protocol);
        c.ready().await.unwrap();
        for k in faulted.iter().chain(&others) {
            c.set(k, "v").await.unwrap();
        }
        let before = proxies[0].accepted();
        assert!(before > 0, "the client reaches the node through its proxy");
        for (mode, what) in FAULTS {
            proxies[0].set(mode);
            let calls = {
                let (c, faulted) = (c.clone(), faulted.clone());
                tokio::spawn(async move { calls_end_by_their_deadline(&c, &faulted, what).await })
            };
            // Meanwhile the other shards answer: nothing queues behind the broken link.
            for k in &others {
                assert!(c.get(k).await.unwrap().is_some(), "{what}: a read of another shard");
            }
            let late = tokio::time::timeout(HANG, calls).await.expect("no hang").unwrap();
            tokio::time::sleep(BROKEN).await;
            proxies[0].set(Mode::Pass);
            let back = back_after(&c, &faulted[0]).await;
            eprintln!(
                "cluster node, {what} ({protocol:?}): slowest call {late:?} past its deadline; back {back:?} after the link"
            );
        }
        assert!(proxies[0].accepted() > before, "the broken connection was replaced");
        c.close().await;
    }
}
