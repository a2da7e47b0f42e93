//! A cluster of 6 nodes, 3 primaries with a replica each, made by `redis-cli --cluster create`
//! (the recipe of research/reliability.md §2.1).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

use super::probe::{call, Reply};
use super::{Deployment, Proc};

/// Starts the nodes, joins them, and waits until every node sees the whole cluster.
pub fn start(detached: bool) -> Result<Deployment, String> {
    let mut d = Deployment::new("cluster", detached)?;
    for _ in 0..6 {
        d.start("node", 2, |ports, dir| Ok(node_args(ports[0], ports[1], dir)))?;
    }
    let addrs: Vec<String> = d.procs.iter().map(|p| format!("127.0.0.1:{}", p.port)).collect();
    let out = Command::new("redis-cli")
        .args(["--cluster", "create"])
        .args(&addrs)
        .args(["--cluster-replicas", "1", "--cluster-yes"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run redis-cli: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "redis-cli --cluster create failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    d.wait_for("did not converge", |d| d.procs.iter().try_for_each(converged))?;
    Ok(d)
}

// The bus port is given explicitly: the default, port + 10000, may be taken or out of range.
fn node_args(port: u16, bus: u16, dir: &Path) -> Vec<String> {
    let mut argv = super::server_args(port, dir);
    argv.extend(["--cluster-port".into(), bus.to_string()]);
    let cluster = "--cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000";
    argv.extend(cluster.split(' ').map(String::from));
    argv
}

/// Ready when the node's own view is `cluster_state:ok` and lists all 6 nodes in CLUSTER SLOTS:
/// clients discover the topology from any one node, so each must already know it all.
fn converged(p: &Proc) -> Result<(), String> {
    let info = call(p.port, &["CLUSTER", "INFO"])?;
    if !info.text().contains("cluster_state:ok") {
        return Err(format!("node {} is not in cluster_state:ok", p.port));
    }
    let slots = call(p.port, &["CLUSTER", "SLOTS"])?;
    // Each range is [start, end, primary, replicas...], each node [ip, port, id, ...].
    let listed: BTreeSet<&str> = slots
        .list()
        .iter()
        .flat_map(|range| range.list().iter().skip(2))
        .map(|node| node.list().get(1).map_or("", Reply::text))
        .collect();
    if listed.len() != 6 {
        return Err(format!("node {} lists {} of 6 nodes in CLUSTER SLOTS", p.port, listed.len()));
    }
    Ok(())
}
