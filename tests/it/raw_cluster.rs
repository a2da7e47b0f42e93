//! Raw commands in a cluster. A name the spec knows routes, splits and refuses as the generated
//! method does (on the shared test cluster). A name it does not know (commands renamed on a
//! cluster of the test's own, as a module's would be unknown) is routed by the keys the caller
//! marks, or by key positions asked of the cluster once per name; keys in several slots are
//! refused before sending.

use std::time::Duration;

use tokio::task::JoinSet;
use tredis::prelude::*;
use tredis::{Client, Protocol, Queue, Value};

use crate::support::{self, b, own_cluster, server::OwnServer, wait_until};

async fn cluster_client(seed: &str, protocol: Protocol) -> Client {
    let c = Client::builder()
        .hosts([seed])
        .cluster(true)
        .protocol(protocol)
        .command_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    c.ready().await.unwrap();
    c
}

#[tokio::test]
async fn raw_commands_of_spec_names_route_as_the_generated_ones() {
    for protocol in support::PROTOCOLS {
        let c = cluster_client(&support::cluster_urls()[0], protocol).await;
        let keys: Vec<String> = (0..100).map(|i| format!("raw:{protocol:?}:{i}")).collect();
        for k in &keys {
            assert_eq!(c.raw("SET").key(k).arg(k).await.unwrap(), Value::Simple(b("OK")));
        }
        // The spec's key specs route a name it knows, keys marked or not.
        for k in &keys {
            assert_eq!(c.raw("get").arg(k).await.unwrap(), Value::Bulk(b(k)));
        }
        let p = c.pipeline();
        let mut q = Queue::new();
        let lens: Vec<_> = keys.iter().map(|k| q.push(p.raw("STRLEN").arg(k))).collect();
        let mut answers = p.execute(q).await;
        for (k, len) in keys.iter().zip(lens) {
            assert_eq!(answers.take(len).unwrap(), Value::Int(k.len() as i64));
        }
        // MGET is split by slot and merged, as the generated method is.
        let got = c.raw("MGET").args(&keys[..10]).await.unwrap();
        assert_eq!(got, Value::Array(keys[..10].iter().map(|k| Value::Bulk(b(k))).collect()));
        // RENAME never splits: keys in two slots are refused before sending.
        let e = c.raw("RENAME").arg("raw-cross-a").arg("raw-cross-b").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidClusterCommand, "{e}");
        // A transaction in one slot.
        let tag = format!("{{raw-tx-{protocol:?}}}");
        let (x, y) = (format!("{tag}x"), format!("{tag}y"));
        let tx = c.multi();
        let mut q = Queue::new();
        let a = q.push(tx.raw("INCR").key(&x));
        let bb = q.push(tx.raw("INCRBY").key(&y).arg(5));
        let mut answers = tx.exec(q).await.unwrap().expect("no WATCH");
        assert_eq!((answers.take(a).unwrap(), answers.take(bb).unwrap()), (Value::Int(1), Value::Int(5)));
        c.del([&x, &y]).await.unwrap();
        for k in &keys {
            c.del(k).await.unwrap();
        }
    }
}

/// Commands renamed on every node: to the spec, their new names are unknown.
const RENAMED: [&str; 9] = [
    "--rename-command",
    "INCRBY",
    "RAWINCRBY",
    "--rename-command",
    "MSET",
    "RAWMSET",
    "--rename-command",
    "STRLEN",
    "RAWSTRLEN",
];

/// Three primaries with a third of the slots each, and a plain client of each.
async fn renamed_cluster() -> Vec<(OwnServer, Client)> {
    let mut nodes = Vec::new();
    for _ in 0..3 {
        let server = OwnServer::cluster_node_with(&RENAMED);
        let admin = support::client_for(&server.url(), Protocol::Resp3).await;
        nodes.push((server, admin));
    }
    for (i, range) in [(0, 5460), (5461, 10922), (10923, 16383)].into_iter().enumerate() {
        nodes[i].1.cluster_addslotsrange([range]).await.unwrap();
    }
    for (server, _) in &nodes[1..] {
        let bus = u64::from(server.cluster_port().unwrap());
        nodes[0].1.cluster_meet("127.0.0.1", u64::from(server.port())).cluster_bus_port(bus).await.unwrap();
    }
    wait_until("the three nodes form one cluster that is ok", || async {
        let mut ok = true;
        for (_, admin) in &nodes {
            let info = admin.cluster_info().await.unwrap();
            ok &= info.is_ok() && info.known_nodes == 3;
            #[allow(deprecated)] // CLUSTER SLOTS is what the client reads.
            let ranges = admin.cluster_slots().await.unwrap().len();
            ok &= ranges == 3;
        }
        ok
    })
    .await;
    nodes
}

/// The sum of a figure of `command`'s statistics over the nodes.
async fn stat(nodes: &[(OwnServer, Client)], command: &str, figure: &str) -> u64 {
    let mut sum = 0;
    for (_, admin) in nodes {
        sum += support::command_stat(admin, command, figure).await;
    }
    sum
}

#[tokio::test]
async fn raw_commands_unknown_to_the_spec_route_by_marked_or_learned_keys() {
    let _alone = own_cluster::one_at_a_time().await;
    let nodes = renamed_cluster().await;
    for protocol in support::PROTOCOLS {
        let c = cluster_client(&nodes[0].0.url(), protocol).await;
        let asked = stat(&nodes, "command|info", "calls").await;
        let keys: Vec<String> = (0..60).map(|i| format!("{protocol:?}:{i}")).collect();

        // Marked keys route each request to its slot's node: nothing asked, nothing redirected.
        for k in &keys {
            assert_eq!(c.raw("RAWINCRBY").key(format!("m:{k}")).arg(2).await.unwrap(), Value::Int(2));
        }
        assert_eq!(stat(&nodes, "command|info", "calls").await, asked, "{protocol:?}");
        assert_eq!(stat(&nodes, "incrby", "rejected_calls").await, 0, "{protocol:?}: no MOVED");

        // Marked keys in two slots: refused before sending.
        let sets = stat(&nodes, "mset", "calls").await;
        let e = c.raw("RAWMSET").key("cross-a").arg(1).key("cross-b").arg(2).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidClusterCommand, "{e}");
        assert!(e.is_unexecuted());
        assert_eq!(e.command(), Some("RAWMSET"));
        assert_eq!(stat(&nodes, "mset", "calls").await, sets, "nothing was sent");

        // Unmarked: the first requests of a name, all at once, ask the cluster once, and the
        // answer routes them and every later one.
        let mut first = JoinSet::new();
        for k in keys.clone() {
            let c = c.clone();
            first.spawn(async move { c.raw("RAWINCRBY").arg(format!("u:{k}")).arg(1).await });
        }
        while let Some(r) = first.join_next().await {
            assert_eq!(r.unwrap().unwrap(), Value::Int(1));
        }
        for k in &keys {
            assert_eq!(c.raw("RAWINCRBY").arg(format!("u:{k}")).arg(1).await.unwrap(), Value::Int(2));
        }
        assert_eq!(stat(&nodes, "command|info", "calls").await, asked + 1, "{protocol:?}: asked once");
        assert_eq!(stat(&nodes, "incrby", "rejected_calls").await, 0, "{protocol:?}: no MOVED");

        // Learned key positions find keys in two slots too; a hash tag keeps them in one.
        let e = c.raw("RAWMSET").args(["cross-a", "1", "cross-b", "2"]).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidClusterCommand, "{e}");
        let ok = c.raw("RAWMSET").args(["{t}a", "1", "{t}b", "2"]).await.unwrap();
        assert_eq!(ok, Value::Simple(b("OK")));
        assert_eq!(stat(&nodes, "command|info", "calls").await, asked + 2, "{protocol:?}: once per name");

        // In a pipeline, a new name is learned before the batch is routed.
        let p = c.pipeline();
        let mut q = Queue::new();
        let lens: Vec<_> = keys.iter().map(|k| q.push(p.raw("RAWSTRLEN").arg(format!("u:{k}")))).collect();
        let mut answers = p.execute(q).await;
        for len in lens {
            assert_eq!(answers.take(len).unwrap(), Value::Int(1));
        }
        assert_eq!(stat(&nodes, "strlen", "rejected_calls").await, 0, "{protocol:?}: no MOVED");
        assert_eq!(stat(&nodes, "command|info", "calls").await, asked + 3, "{protocol:?}");

        // A name no node knows: asked once, then the server says so itself.
        for _ in 0..2 {
            let e = c.raw("NO.SUCH.COMMAND").arg("k").await.unwrap_err();
            assert!(e.server_message().unwrap().contains("unknown command"), "{e}");
        }
        assert_eq!(stat(&nodes, "command|info", "calls").await, asked + 4, "{protocol:?}");

        let gone: Vec<String> = keys.iter().flat_map(|k| [format!("m:{k}"), format!("u:{k}")]).collect();
        for k in gone.iter().chain([&"{t}a".to_string(), &"{t}b".to_string()]) {
            c.del(k).await.unwrap();
        }
    }
}
