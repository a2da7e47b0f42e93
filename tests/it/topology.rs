//! Smoke tests of the deployments `cargo xtask test` starts for the topology work: a cluster
//! of 6 nodes, and a primary with a replica watched by 3 Sentinels. They check the
//! deployments through a plain client, so that when a cluster or Sentinel test fails, this
//! module says whether the deployment itself was sound.

use std::time::{Duration, Instant};

use tredis::prelude::*;
use tredis::reply::Role;

use crate::support::{self, PROTOCOLS};

#[tokio::test]
async fn every_cluster_node_sees_the_whole_cluster() {
    let urls = support::cluster_urls();
    assert_eq!(urls.len(), 6, "{urls:?}");
    for protocol in PROTOCOLS {
        for url in &urls {
            let c = support::client_for(url, protocol).await;
            // The nodes time each other out after 2 s, so a starved test machine can make one
            // briefly doubt the others; the state must come back on its own.
            let start = Instant::now();
            let info = loop {
                let info = c.cluster_info().await.unwrap();
                if info.is_ok() || start.elapsed() > Duration::from_secs(10) {
                    break info;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            assert!(info.is_ok(), "{url} under {protocol:?}: {info:?}");
            assert_eq!(info.known_nodes, 6, "{url} under {protocol:?}: {info:?}");
        }
        let c = support::client_for(&urls[0], protocol).await;
        let shards = c.cluster_shards().await.unwrap();
        assert_eq!(shards.len(), 3, "{shards:?}");
        assert!(shards.iter().all(|s| s.nodes.len() == 2), "{shards:?}");
        let slots: u32 = shards.iter().flat_map(|s| &s.slots).map(|&(a, b)| u32::from(b - a) + 1).sum();
        assert_eq!(slots, 16384);
    }
}

#[tokio::test]
async fn every_sentinel_answers_and_watches_the_primary() {
    let name = support::sentinel_name();
    let urls = support::sentinel_urls();
    assert_eq!(urls.len(), 3, "{urls:?}");
    for protocol in PROTOCOLS {
        for url in &urls {
            let c = support::client_for(url, protocol).await;
            c.ping().await.unwrap();
            match c.role().await.unwrap() {
                Role::Sentinel { masters } => assert_eq!(masters, vec![name.clone()], "{url}"),
                other => panic!("{url} under {protocol:?} is not a Sentinel: {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn the_sentinel_primary_has_its_replica() {
    let _state = support::sentinel_shared().await;
    let data = support::sentinel_data_urls();
    assert_eq!(data.len(), 2, "{data:?}");
    // Either server may be the primary: the Sentinel tests fail it over and back.
    for protocol in PROTOCOLS {
        let mut primaries = 0;
        for (i, url) in data.iter().enumerate() {
            let c = support::client_for(url, protocol).await;
            if let Role::Master { replicas, .. } = c.role().await.unwrap() {
                let (_, other_port) = support::host_port(&data[1 - i]);
                let ports: Vec<u16> = replicas.iter().map(|r| r.1).collect();
                assert_eq!(ports, vec![other_port], "{url}: {replicas:?}");
                primaries += 1;
            }
        }
        assert_eq!(primaries, 1, "{data:?} under {protocol:?}");
    }
}
