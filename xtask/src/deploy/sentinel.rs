//! A primary, its replica, and 3 Sentinels watching them as `mymaster` with a quorum of 2
//! (the recipe of research/reliability.md §2.2).

use std::path::Path;

use super::probe::call;
use super::Deployment;

/// The name the Sentinels know the primary by.
pub const MASTER: &str = "mymaster";

/// Starts the data nodes, waits for the replica to sync, then starts the Sentinels and waits
/// until each knows the two others and the replica.
pub fn start(detached: bool) -> Result<Deployment, String> {
    let mut d = Deployment::new("sentinel", detached)?;
    // A Sentinel learns of replicas from the primary's INFO, which it asks for at once and
    // then only every 10 s: the replica must be online before the Sentinels start.
    let primary = super::replicas::start_pair(&mut d)?;
    for _ in 0..3 {
        d.start("sentinel", 1, |ports, dir| {
            let conf = dir.join("sentinel.conf");
            std::fs::write(&conf, sentinel_conf(ports[0], dir, primary))
                .map_err(|e| format!("cannot write {}: {e}", conf.display()))?;
            Ok(vec![conf.display().to_string(), "--sentinel".into()])
        })?;
    }
    // Sentinels find each other through hello messages on the primary, every 2 s.
    d.wait_for("did not converge", |d| {
        d.procs.iter().filter(|p| p.role == "sentinel").try_for_each(|s| {
            let peers = call(s.port, &["SENTINEL", "SENTINELS", MASTER])?.list().len();
            let replicas = call(s.port, &["SENTINEL", "REPLICAS", MASTER])?.list().len();
            match (peers, replicas) {
                (2, 1) => Ok(()),
                _ => {
                    Err(format!("sentinel {} knows {peers} of 2 sentinels, {replicas} of 1 replica", s.port))
                }
            }
        })
    })?;
    Ok(d)
}

// Each Sentinel has a file of its own: it rewrites it with its ID and what it learns, so a
// restarted Sentinel is the same one. Running it as `redis-server <conf> --sentinel` needs no
// redis-sentinel package.
fn sentinel_conf(port: u16, dir: &Path, primary: u16) -> String {
    format!(
        "port {port}\nbind 127.0.0.1\ndir \"{dir}\"\nlogfile \"{log}\"\n\
         sentinel monitor {MASTER} 127.0.0.1 {primary} 2\n\
         sentinel down-after-milliseconds {MASTER} 1000\n\
         sentinel failover-timeout {MASTER} 5000\n\
         sentinel parallel-syncs {MASTER} 1\n",
        dir = dir.display(),
        log = dir.join("log").display(),
    )
}
