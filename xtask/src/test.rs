//! `cargo xtask test`: the whole suite from nothing.
//!
//! Installs redis-server and Valkey when missing, starts fresh servers of each on free
//! loopback ports, runs `cargo fmt --check`, clippy with `-D warnings`, warning-free docs, a
//! build of each command group alone, `gen --check` and every test, checks that each supported
//! command reached a server that has it, and stops only the servers it started. The tests also
//! get a 6-node cluster, a Sentinel deployment, and a primary with its replica.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

use crate::deploy::{self, Deployment};
use crate::servers::{self, RedisServer};

/// Runs the suite; extra arguments after `--` go to `cargo test` as a filter.
pub fn run(args: &[&str]) -> Result<(), String> {
    let filter: Vec<&str> = match args {
        [] => Vec::new(),
        ["--", rest @ ..] => rest.to_vec(),
        other => return Err(format!("test: unexpected arguments {other:?}; pass test filters after `--`")),
    };
    servers::ensure_installed()?;
    let primary = RedisServer::start("test", &[])?;
    // The second server is a MIGRATE target, and runs an LFU policy for OBJECT FREQ.
    let secondary = RedisServer::start("test-2", &["--maxmemory-policy", "allkeys-lfu"])?;
    let auth = RedisServer::start(
        "test-auth",
        &["--requirepass", "secret", "--user", "alice", "on", ">wonderland", "~*", "&*", "+@all"],
    )?;
    let valkey_bin = servers::ensure_valkey()?;
    let valkey = RedisServer::start_bin(&valkey_bin, "test-valkey", &[])?;
    let valkey2 =
        RedisServer::start_bin(&valkey_bin, "test-valkey-2", &["--maxmemory-policy", "allkeys-lfu"])?;
    for (what, s) in [("main", &primary), ("second", &secondary), ("auth", &auth)] {
        eprintln!("xtask: {what} redis-server pid {} at {}", s.pid(), s.url());
    }
    for (what, s) in [("main", &valkey), ("second", &valkey2)] {
        eprintln!("xtask: {what} valkey-server pid {} at {}", s.pid(), s.url());
    }
    cargo("fmt", &["fmt", "--all", "--", "--check"], &[])?;
    cargo("clippy", &["clippy", "--workspace", "--all-targets", "--quiet", "--", "-D", "warnings"], &[])?;
    // The workspace unifies tredis's features (the tests turn on spans and metrics): once more
    // with its defaults alone, so that the twins compiled without those features are linted.
    cargo("clippy", &["clippy", "-p", "tredis", "--lib", "--quiet", "--", "-D", "warnings"], &[])?;
    cargo(
        "docs",
        &["doc", "--no-deps", "--quiet", "-p", "tredis", "--all-features"],
        &[("RUSTDOCFLAGS", "-D warnings".into())],
    )?;
    crate::doc_links::check(&crate::project_root())?;
    each_group_builds_alone()?;
    crate::gen::run(&["--check"])?;
    crate::coverage::check_matches(&primary.url())?;
    crate::coverage::check_matches(&valkey.url())?;
    let (cluster, sentinel, replicas) = start_deployments()?;
    // Servers a test starts for itself leave their command statistics here.
    let stats_dir = std::env::temp_dir().join(format!("tredis-stats-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&stats_dir);
    std::fs::create_dir_all(&stats_dir).map_err(|e| e.to_string())?;
    let mut test_args = vec!["test", "--workspace", "--quiet"];
    if !filter.is_empty() {
        test_args.push("--");
        test_args.extend(filter.iter().copied());
    }
    let tests = cargo(
        "tests",
        &test_args,
        &[
            ("TREDIS_TEST_URL", primary.url()),
            ("TREDIS_TEST_URL_2", secondary.url()),
            ("TREDIS_TEST_AUTH_URL", auth.url()),
            ("TREDIS_TEST_VALKEY_URL", valkey.url()),
            ("TREDIS_TEST_VALKEY_URL_2", valkey2.url()),
            ("TREDIS_TEST_VALKEY_BIN", valkey_bin.display().to_string()),
            ("TREDIS_TEST_STATS_DIR", stats_dir.display().to_string()),
            ("TREDIS_TEST_CLUSTER_URLS", cluster.urls("node").join(",")),
            ("TREDIS_TEST_SENTINEL_URLS", sentinel.urls("sentinel").join(",")),
            ("TREDIS_TEST_SENTINEL_NAME", deploy::sentinel::MASTER.into()),
            (
                "TREDIS_TEST_REPLICAS_URLS",
                [replicas.urls("primary"), replicas.urls("replica")].concat().join(","),
            ),
            (
                "TREDIS_TEST_SENTINEL_DATA_URLS",
                [sentinel.urls("primary"), sentinel.urls("replica")].concat().join(","),
            ),
        ],
    );
    let checked = match tests {
        Ok(()) if filter.is_empty() => {
            every_command_ran(&[&primary, &secondary, &auth, &valkey, &valkey2], &stats_dir)
        }
        other => other,
    };
    // Removed whatever the outcome, so failed runs leave nothing in /tmp.
    let _ = std::fs::remove_dir_all(&stats_dir);
    checked?;
    eprintln!("xtask: all checks passed");
    Ok(())
}

/// Starts the deployments side by side: they mostly wait on timers
/// (gossip, hello messages), so together they take as long as the slower one. They start
/// after the build steps, so that no compilation slows them down.
fn start_deployments() -> Result<(Deployment, Deployment, Deployment), String> {
    let timed = |what: &str, start: fn(bool) -> Result<Deployment, String>| {
        let at = std::time::Instant::now();
        let d = start(false)?;
        let pids: Vec<String> = d.procs.iter().map(|p| p.pid.to_string()).collect();
        eprintln!("xtask: {what} ready in {:.1} s (pids {})", at.elapsed().as_secs_f64(), pids.join(" "));
        Ok::<_, String>(d)
    };
    let (cluster, sentinel, replicas) = std::thread::scope(|s| {
        let cluster = s.spawn(|| timed("cluster of 6 nodes", deploy::cluster::start));
        let sentinel = s.spawn(|| timed("primary, replica and 3 sentinels", deploy::sentinel::start));
        let replicas = s.spawn(|| timed("primary and replica", deploy::replicas::start));
        (cluster.join(), sentinel.join(), replicas.join())
    });
    let panicked = |_| "a deployment thread panicked".to_string();
    Ok((cluster.map_err(panicked)??, sentinel.map_err(panicked)??, replicas.map_err(panicked)??))
}

/// Every group is a cargo feature: the crate must build with none of them and with each one
/// alone, so that a user who picks a few is never the first to find a missing `cfg`.
fn each_group_builds_alone() -> Result<(), String> {
    let text =
        std::fs::read_to_string(crate::project_root().join("commands.json")).map_err(|e| e.to_string())?;
    let spec: Value = serde_json::from_str(&text).map_err(|e| format!("commands.json: {e}"))?;
    let groups: Vec<&str> = spec["groups"]
        .as_array()
        .ok_or("commands.json has no groups")?
        .iter()
        .filter(|g| g["supported"].as_u64().unwrap_or(0) > 0)
        .filter_map(|g| g["id"].as_str())
        .collect();
    // `cargo rustc` denies warnings in tredis alone: RUSTFLAGS would rebuild every dependency.
    let check = ["rustc", "--quiet", "-p", "tredis", "--lib", "--profile", "check", "--no-default-features"];
    cargo("no groups", &[&check[..], &["--", "-D", "warnings"]].concat(), &[])?;
    for group in groups {
        let what = format!("the `{group}` group alone");
        cargo(&what, &[&check[..], &["--features", group, "--", "-D", "warnings"]].concat(), &[])?;
    }
    Ok(())
}

fn cargo(what: &str, args: &[&str], env: &[(&str, String)]) -> Result<(), String> {
    eprintln!("xtask: cargo {}", args.join(" "));
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .current_dir(crate::project_root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("{what} failed"));
    }
    Ok(())
}

/// Fails when a supported command never reached a test server that has it: a test that only
/// compiles a call proves nothing, so the servers' own command statistics are the witness. A
/// command both servers have may have run on either; one only Valkey has must have run on Valkey.
fn every_command_ran(servers: &[&RedisServer], stats_dir: &std::path::Path) -> Result<(), String> {
    let mut reports = Vec::new();
    for s in servers {
        let info = servers::cli(&s.url(), &["INFO", "server"])?;
        reports.push(info + &servers::cli(&s.url(), &["INFO", "commandstats"])?);
    }
    for entry in std::fs::read_dir(stats_dir).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        reports.push(std::fs::read_to_string(path).unwrap_or_default());
    }
    // Server name ("redis", "valkey") to the commands that reached one of its kind.
    let mut ran: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for stats in reports {
        let kind = if stats.lines().any(|l| l.trim() == "server_name:valkey") { "valkey" } else { "redis" };
        let seen = ran.entry(kind.to_string()).or_default();
        for line in stats.lines() {
            if let Some(rest) = line.strip_prefix("cmdstat_") {
                if let Some((name, _)) = rest.split_once(':') {
                    seen.insert(name.replace('|', " ").to_uppercase());
                }
            }
        }
    }
    let spec: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::project_root().join("commands.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let mut missing = BTreeSet::new();
    for c in spec["commands"].as_array().into_iter().flatten().filter(|c| c["status"] == "supported") {
        let name = c["name"].as_str().unwrap_or_default();
        let on = c["servers"].as_object().map(|m| m.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
        if !on.iter().any(|server| ran.get(server).is_some_and(|seen| seen.contains(name))) {
            missing.insert(format!("{name} (on {})", on.join(" or ")));
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "these supported commands never reached a test server that has them; add a test for each: {}",
            missing.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    eprintln!("xtask: every supported command ran against a real server that has it");
    Ok(())
}
