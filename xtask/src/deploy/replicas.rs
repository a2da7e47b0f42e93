//! A primary and one replica of it, in sync: the hosts-list topology of the seed, and the data
//! nodes of the Sentinel deployment.

use std::path::Path;

use super::probe::call;
use super::Deployment;

/// Starts a primary and its replica, and waits until the replica is online.
pub fn start(detached: bool) -> Result<Deployment, String> {
    let mut d = Deployment::new("replicas", detached)?;
    start_pair(&mut d)?;
    Ok(d)
}

/// Adds a primary and its replica to `d`, waits until the replica is online, and returns the
/// primary's port.
pub fn start_pair(d: &mut Deployment) -> Result<u16, String> {
    let primary = d.start("primary", 1, |ports, dir| Ok(data_args(ports[0], dir, None)))?;
    let primary = d.procs[primary].port;
    d.start("replica", 1, |ports, dir| Ok(data_args(ports[0], dir, Some(primary))))?;
    d.wait_for("replica did not sync", |_| {
        let role = call(primary, &["ROLE"])?;
        match role.list().get(2).map_or(0, |r| r.list().len()) {
            1 => Ok(()),
            n => Err(format!("the primary has {n} replicas online")),
        }
    })?;
    Ok(primary)
}

fn data_args(port: u16, dir: &Path, primary: Option<u16>) -> Vec<String> {
    let mut argv = super::server_args(port, dir);
    if let Some(p) = primary {
        argv.extend(["--replicaof".into(), "127.0.0.1".into(), p.to_string()]);
    }
    argv
}
