//! The cluster group, on cluster-enabled servers of the test's own: one node that takes every
//! slot, a replica of it and a third primary, joined, migrated between and failed over by
//! the commands under test. Each step is checked under RESP2 and RESP3, since the records
//! (SHARDS, LINKS, SLOTS metadata) are maps in one and flat arrays in the other.

use tredis::commands::cluster::ClusterSetslotState;
use tredis::prelude::*;
use tredis::reply::{ClusterNode, Role};
use tredis::{Bytes, Protocol};

use crate::support::wait_until;
use crate::support::{self, assert_server_error, server::OwnServer};

/// A node of the test cluster with a client of each protocol.
struct Node {
    server: OwnServer,
    clients: Vec<Client>,
    id: String,
}

impl Node {
    async fn start() -> Node {
        let server = OwnServer::cluster_node();
        let mut clients = Vec::new();
        for proto in support::PROTOCOLS {
            clients.push(support::client_for(&server.url(), proto).await);
        }
        let id = clients[0].cluster_myid().await.unwrap();
        Node { server, clients, id }
    }

    /// The RESP3 client.
    fn c(&self) -> &Client {
        &self.clients[1]
    }

    async fn me(&self) -> ClusterNode {
        self.c().cluster_nodes().await.unwrap().into_iter().find(ClusterNode::is_myself).expect("myself")
    }
}

#[tokio::test]
async fn cluster_commands() {
    let a = Node::start().await;
    let b = Node::start().await;
    let c = Node::start().await;

    // A fresh node: alone, no slots, state fail.
    assert_eq!(a.id.len(), 40);
    for cl in &a.clients {
        let info = cl.cluster_info().await.unwrap();
        assert!(!info.is_ok());
        assert_eq!((info.slots_assigned, info.slots_ok, info.known_nodes), (0, 0, 1));
        assert!(info.extra.iter().any(|(k, _)| k == "cluster_stats_messages_sent"), "{info:?}");
        assert!(cl.cluster_links().await.unwrap().is_empty());
        #[allow(deprecated)]
        let slots = cl.cluster_slots().await.unwrap();
        assert!(slots.is_empty());
    }
    assert!(!a.c().cluster_help().await.unwrap().is_empty());
    assert_eq!(a.c().cluster_count_failure_reports(&a.id).await.unwrap(), 0);
    // The config epoch may be set on a fresh node only.
    a.c().cluster_set_config_epoch(5).await.unwrap();
    assert_eq!(a.c().cluster_info().await.unwrap().my_epoch, 5);
    assert_server_error(a.c().cluster_set_config_epoch(6).await, "ERR");
    let bumped = a.c().cluster_bumpepoch().await.unwrap();
    assert!(bumped.starts_with("BUMPED") || bumped.starts_with("STILL"), "{bumped}");

    // Slots, one by one and by ranges.
    a.c().cluster_addslots([0u64, 1, 2]).await.unwrap();
    a.c().cluster_addslotsrange([(3, 100), (101, 16383)]).await.unwrap();
    assert_server_error(a.c().cluster_addslots(7u64).await, "ERR");
    assert_eq!(a.me().await.slots, vec![(0, 16383)]);
    a.c().cluster_delslots([0u64, 1]).await.unwrap();
    a.c().cluster_delslotsrange([(16000, 16383)]).await.unwrap();
    assert_eq!(a.me().await.slots, vec![(2, 15999)]);
    a.c().cluster_addslots([0u64, 1]).await.unwrap();
    a.c().cluster_addslotsrange([(16000, 16383)]).await.unwrap();
    assert_eq!(a.me().await.slots, vec![(0, 16383)]);
    wait_until("the one-node cluster is ok", || async { a.c().cluster_info().await.unwrap().is_ok() }).await;
    let info = a.c().cluster_info().await.unwrap();
    assert_eq!((info.slots_assigned, info.slots_ok, info.slots_pfail, info.slots_fail), (16384, 16384, 0, 0));
    assert_eq!((info.size, info.current_epoch), (1, info.my_epoch));
    a.c().cluster_saveconfig().await.unwrap();

    // Key slots: hash tags keep keys together.
    let slot = a.c().cluster_keyslot("foo").await.unwrap();
    assert_eq!(slot, 12182);
    assert_eq!(
        a.c().cluster_keyslot("{user1}.a").await.unwrap(),
        a.c().cluster_keyslot("{user1}.b").await.unwrap()
    );
    for key in ["foo", "{foo}.1", "{foo}.2"] {
        a.c().set(key, "v").await.unwrap();
    }
    assert_eq!(a.c().cluster_countkeysinslot(slot).await.unwrap(), 3);
    let mut keys = a.c().cluster_getkeysinslot(slot, 10).await.unwrap();
    keys.sort();
    assert_eq!(keys, vec![Bytes::from("foo"), Bytes::from("{foo}.1"), Bytes::from("{foo}.2")]);
    assert_eq!(a.c().cluster_getkeysinslot(slot, 1).await.unwrap().len(), 1);

    // The others join: b as a replica of a, c as a primary with no slots.
    for n in [&b, &c] {
        let bus = n.server.cluster_port().expect("a bus port");
        a.c()
            .cluster_meet("127.0.0.1", u64::from(n.server.port()))
            .cluster_bus_port(u64::from(bus))
            .await
            .unwrap();
    }
    wait_until("every node knows every other", || async {
        let mut all = true;
        for n in [&a, &b, &c] {
            all &= n.c().cluster_info().await.unwrap().known_nodes == 3;
        }
        all
    })
    .await;
    b.c().cluster_replicate(&a.id).await.unwrap();
    wait_until("b replicates a", || async {
        matches!(b.c().role().await.unwrap(), Role::Replica { ref state, .. } if state == "connected")
    })
    .await;
    wait_until("a sees its replica", || async { !a.c().cluster_replicas(&a.id).await.unwrap().is_empty() })
        .await;
    wait_until("a lists b beside itself for its slots", || async {
        #[allow(deprecated)]
        let slots = a.c().cluster_slots().await.unwrap();
        slots.first().is_some_and(|r| r.nodes.len() == 2)
    })
    .await;
    for cl in &a.clients {
        let replicas = cl.cluster_replicas(&a.id).await.unwrap();
        assert_eq!(replicas.len(), 1);
        assert_eq!(
            (replicas[0].id.as_str(), replicas[0].master.as_deref()),
            (b.id.as_str(), Some(a.id.as_str()))
        );
        assert!(replicas[0].is_replica());
        #[allow(deprecated)]
        let slaves = cl.cluster_slaves(&a.id).await.unwrap();
        assert_eq!(slaves, replicas);
        assert_server_error(cl.cluster_replicas("0000000000000000000000000000000000000000").await, "ERR");

        let nodes = cl.cluster_nodes().await.unwrap();
        assert_eq!(nodes.len(), 3);
        let me = nodes.iter().find(|n| n.is_myself()).expect("myself");
        assert_eq!((me.id.as_str(), me.ip.as_str(), me.port), (a.id.as_str(), "127.0.0.1", a.server.port()));
        assert_eq!(me.cport, a.server.cluster_port().unwrap());
        assert!(me.is_primary() && me.master.is_none() && me.link_state == "connected");
        let other = nodes.iter().find(|n| n.id == c.id).expect("c");
        assert!(other.is_primary() && other.slots.is_empty());

        #[allow(deprecated)]
        let slots = cl.cluster_slots().await.unwrap();
        assert_eq!(slots.len(), 1);
        assert_eq!((slots[0].start, slots[0].end, slots[0].nodes.len()), (0, 16383, 2));
        assert_eq!((slots[0].nodes[0].id.as_str(), slots[0].nodes[0].port), (a.id.as_str(), a.server.port()));
        assert_eq!(slots[0].nodes[0].endpoint.as_deref(), Some("127.0.0.1"));
        assert_eq!(slots[0].nodes[1].id, b.id);

        let shards = cl.cluster_shards().await.unwrap();
        let mine = shards.iter().find(|s| !s.slots.is_empty()).expect("a's shard");
        assert_eq!(mine.slots, vec![(0, 16383)]);
        let roles: Vec<(&str, &str)> = mine.nodes.iter().map(|n| (n.id.as_str(), n.role.as_str())).collect();
        assert!(roles.contains(&(a.id.as_str(), "master")) && roles.contains(&(b.id.as_str(), "replica")));
        let primary = mine.nodes.iter().find(|n| n.id == a.id).unwrap();
        assert_eq!(
            (primary.port, primary.ip.as_str(), primary.health.as_str()),
            (Some(a.server.port()), "127.0.0.1", "online")
        );
        assert!(mine.extra.is_empty() && primary.extra.is_empty(), "{mine:?}");

        let links = cl.cluster_links().await.unwrap();
        assert!(
            links.iter().any(|l| l.node == b.id && (l.direction == "to" || l.direction == "from")),
            "{links:?}"
        );
        assert!(links.iter().all(|l| l.create_time > 0 && l.extra.is_empty()), "{links:?}");
    }

    // A replica redirects reads until READONLY, on that connection.
    let replica = &b.clients[0];
    wait_until("the replica has the keys", || async {
        replica.readonly().await.unwrap();
        let got = replica.get("foo").await;
        replica.readwrite().await.unwrap();
        matches!(got, Ok(Some(_)))
    })
    .await;
    assert_server_error(replica.get("foo").await, "MOVED");
    replica.readonly().await.unwrap();
    assert_eq!(replica.get("foo").await.unwrap(), Some(Bytes::from("v")));
    replica.readwrite().await.unwrap();
    assert_server_error(replica.get("foo").await, "MOVED");

    // Migrating a slot: a MIGRATING to c, c IMPORTING from a. c answers only after ASKING,
    // which is why ASKING goes in a pipeline right before the command it is for.
    let empty = a.c().cluster_keyslot("empty-slot-key").await.unwrap();
    assert_eq!(a.c().cluster_countkeysinslot(empty).await.unwrap(), 0);
    c.c().cluster_setslot(empty, ClusterSetslotState::Importing(a.id.clone().into())).await.unwrap();
    a.c().cluster_setslot(empty, ClusterSetslotState::Migrating(c.id.clone().into())).await.unwrap();
    assert_eq!(a.me().await.migrating, vec![(empty as u16, c.id.clone())]);
    assert_eq!(c.me().await.importing, vec![(empty as u16, a.id.clone())]);
    for cl in &c.clients {
        assert_server_error(cl.get("empty-slot-key").await, "MOVED");
        cl.asking().await.unwrap();
        let p = cl.pipeline();
        let (asked, got) = p.execute((p.asking(), p.get("empty-slot-key"))).await;
        asked.unwrap();
        assert_eq!(got.unwrap(), None);
    }
    // The slot moves to c, then back; c stays a primary when it gives its last slot away.
    c.c().config_set([("cluster-allow-replica-migration", "no")]).await.unwrap();
    for n in [&c, &a] {
        n.c().cluster_setslot(empty, ClusterSetslotState::Node(c.id.clone().into())).await.unwrap();
    }
    assert_eq!(c.me().await.slots, vec![(empty as u16, empty as u16)]);
    assert!(a.me().await.migrating.is_empty() && c.me().await.importing.is_empty());
    wait_until("b learns the slot moved", || async {
        b.c().cluster_nodes().await.unwrap().iter().any(|n| n.id == c.id && !n.slots.is_empty())
    })
    .await;
    for n in [&a, &c] {
        n.c().cluster_setslot(empty, ClusterSetslotState::Node(a.id.clone().into())).await.unwrap();
    }
    c.c().cluster_setslot(empty, ClusterSetslotState::Stable).await.unwrap();
    assert!(c.me().await.slots.is_empty());

    // A manual failover to the replica, then a takeover back.
    b.c().cluster_failover().await.unwrap();
    wait_until("b is the primary", || async { b.me().await.is_primary() }).await;
    wait_until("a is its replica", || async { a.me().await.is_replica() }).await;
    a.c().cluster_failover().takeover().await.unwrap();
    wait_until("a is the primary again", || async { a.me().await.is_primary() }).await;
    assert_server_error(a.c().cluster_failover().force().await, "ERR");

    // c forgets b, flushes its (empty) slot table, and resets to a fresh identity.
    c.c().cluster_forget(&b.id).await.unwrap();
    assert!(!c.c().cluster_nodes().await.unwrap().iter().any(|n| n.id == b.id));
    assert_server_error(c.c().cluster_forget(&c.id).await, "ERR");
    c.c().cluster_flushslots().await.unwrap();
    c.c().cluster_reset().soft().await.unwrap();
    assert_eq!(c.c().cluster_info().await.unwrap().known_nodes, 1);
    assert_eq!(c.c().cluster_myid().await.unwrap(), c.id);
    c.c().cluster_reset().hard().await.unwrap();
    assert_ne!(c.c().cluster_myid().await.unwrap(), c.id, "a hard reset gives a new ID");
}

/// Cluster commands on a server without cluster support fail with the server's text.
#[tokio::test]
async fn cluster_commands_need_cluster_mode() {
    let _shared = support::shared().await;
    let c = support::client(Protocol::Resp3).await;
    assert_server_error(c.cluster_info().await, "ERR");
    assert_server_error(c.cluster_nodes().await, "ERR");
    assert_server_error(c.readonly().await, "ERR");
}
