//! Deployments that outlive xtask: `cargo xtask cluster up` leaves its processes running and
//! writes their pids, ports, directories and arguments to `target/deploy/<name>.json`; `down`
//! and `restart` find them there. Pids are recycled, so a process is signalled only while
//! /proc still shows the redis-server that was started.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{cluster, replicas, sentinel, Deployment, Proc};

/// Where `up` leaves the state of deployment `name`.
pub(super) fn state_path(name: &str) -> PathBuf {
    crate::project_root().join("target/deploy").join(format!("{name}.json"))
}

impl Deployment {
    /// What the state file holds: every process, and the URLs grouped by role.
    fn state(&self) -> Value {
        let procs: Vec<Value> = self
            .procs
            .iter()
            .map(|p| {
                json!({"role": p.role, "pid": p.pid, "port": p.port, "bus_port": p.bus_port,
                       "url": p.url(), "dir": p.dir, "args": p.args})
            })
            .collect();
        let mut roles: Vec<&str> = self.procs.iter().map(|p| p.role.as_str()).collect();
        roles.dedup();
        let urls: serde_json::Map<String, Value> =
            roles.into_iter().map(|r| (r.to_string(), json!(self.urls(r)))).collect();
        json!({"name": self.name, "root": self.root, "urls": urls, "procs": procs,
               "stop": format!("cargo xtask {} down", self.name)})
    }

    // Written after every start, so that `down` also cleans up after an `up` that was
    // interrupted before it finished.
    pub(super) fn save_if_detached(&self) -> Result<(), String> {
        if !self.detached {
            return Ok(());
        }
        let path = state_path(&self.name);
        std::fs::create_dir_all(path.parent().expect("a parent")).map_err(|e| e.to_string())?;
        let text = serde_json::to_string_pretty(&self.state()).map_err(|e| e.to_string())?;
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// The deployment an earlier `up` left running, known by its state file.
    fn load(name: &str) -> Result<Option<Deployment>, String> {
        let path = state_path(name);
        let Ok(text) = std::fs::read_to_string(&path) else { return Ok(None) };
        let bad = || format!("{} is not a deployment state file; remove it", path.display());
        let v: Value = serde_json::from_str(&text).map_err(|_| bad())?;
        let procs = v["procs"].as_array().ok_or_else(bad)?;
        let procs = procs
            .iter()
            .map(|p| {
                Some(Proc {
                    role: p["role"].as_str()?.into(),
                    port: p["port"].as_u64()? as u16,
                    bus_port: p["bus_port"].as_u64().map(|b| b as u16),
                    pid: p["pid"].as_u64()? as u32,
                    dir: p["dir"].as_str()?.into(),
                    args: p["args"]
                        .as_array()?
                        .iter()
                        .map(|a| a.as_str().map(String::from))
                        .collect::<Option<_>>()?,
                    child: None,
                })
            })
            .collect::<Option<Vec<Proc>>>()
            .ok_or_else(bad)?;
        let root = v["root"].as_str().ok_or_else(bad)?.into();
        Ok(Some(Deployment { name: name.into(), root, procs, detached: true, keep: true }))
    }
}

/// True while `pid` runs. A zombie counts as gone: it waits only for the reaper that adopted it.
fn alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    let state = stat.rsplit(')').next().unwrap_or_default().trim_start();
    !state.starts_with('Z') && !state.starts_with('X')
}

/// True when `pid` is still the redis-server started on `port`: pids are recycled, and one
/// that now belongs to another program must never be killed. A running redis-server retitles
/// itself `redis-server 127.0.0.1:<port>`; until then its cmdline is the argv it was given.
fn is_ours(pid: u32, port: u16, args: &[String]) -> bool {
    let Ok(raw) = std::fs::read(format!("/proc/{pid}/cmdline")) else { return false };
    let text = String::from_utf8_lossy(&raw);
    let words: Vec<&str> = text.split(['\0', ' ']).filter(|w| !w.is_empty()).collect();
    let Some((program, rest)) = words.split_first() else { return false };
    let given: Vec<&str> = args.iter().map(String::as_str).filter(|a| !a.is_empty()).collect();
    program.ends_with("redis-server")
        && (rest.contains(&format!("127.0.0.1:{port}").as_str()) || rest == given)
}

/// Stops a process of an earlier xtask run: SIGTERM, then SIGKILL if it lingers.
pub(super) fn kill(pid: u32, port: u16, args: &[String]) {
    if !alive(pid) {
        return;
    }
    if !is_ours(pid, port, args) {
        eprintln!("xtask: pid {pid} is no longer the redis-server on port {port}; left alone");
        return;
    }
    for signal in ["-TERM", "-KILL"] {
        let _ = Command::new("kill").args([signal, &pid.to_string()]).status();
        let start = Instant::now();
        while alive(pid) && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
        if !alive(pid) {
            return;
        }
    }
    eprintln!("xtask: pid {pid} (port {port}) survived SIGKILL");
}

/// `cargo xtask <cluster|sentinel|replicas> <up|down|restart PORT>`.
pub fn run(kind: &str, args: &[&str]) -> Result<(), String> {
    match args {
        ["up"] => up(kind),
        ["down"] => down(kind),
        ["restart", port] => restart(kind, port),
        _ => Err(format!("usage: cargo xtask {kind} <up | down | restart PORT>")),
    }
}

fn up(kind: &str) -> Result<(), String> {
    if let Some(mut old) = Deployment::load(kind)? {
        if old.procs.iter().any(|p| alive(p.pid) && is_ours(p.pid, p.port, &p.args)) {
            return Err(format!("a {kind} deployment is already up; stop it with `cargo xtask {kind} down`"));
        }
        // Its processes are gone (a reboot); only its directories are left to remove.
        old.stop_all();
    }
    crate::servers::ensure_installed()?;
    let start = Instant::now();
    let mut d = match kind {
        "cluster" => cluster::start(true)?,
        "replicas" => replicas::start(true)?,
        _ => sentinel::start(true)?,
    };
    d.save_if_detached()?;
    d.keep = true;
    println!(
        "{kind} ready in {:.1} s; state in {}",
        start.elapsed().as_secs_f64(),
        state_path(kind).display()
    );
    for p in &d.procs {
        let bus = p.bus_port.map(|b| format!(" bus {b}")).unwrap_or_default();
        println!("  {:<8} {}  pid {}{bus}", p.role, p.url(), p.pid);
    }
    println!("stop with: cargo xtask {kind} down");
    Ok(())
}

fn down(kind: &str) -> Result<(), String> {
    let Some(mut d) = Deployment::load(kind)? else {
        return Err(format!("no {kind} deployment is up ({} is missing)", state_path(kind).display()));
    };
    d.stop_all();
    std::fs::remove_file(state_path(kind)).map_err(|e| e.to_string())?;
    println!(
        "{kind} stopped: pids {}",
        d.procs.iter().map(|p| p.pid.to_string()).collect::<Vec<_>>().join(" ")
    );
    Ok(())
}

fn restart(kind: &str, port: &str) -> Result<(), String> {
    let mut d = Deployment::load(kind)?.ok_or_else(|| format!("no {kind} deployment is up"))?;
    let i = d
        .procs
        .iter()
        .position(|p| p.port.to_string() == port)
        .ok_or_else(|| format!("no process of the {kind} deployment listens on port {port}"))?;
    d.restart(i)?;
    println!("{} on port {port} restarted: pid {}", d.procs[i].role, d.procs[i].pid);
    Ok(())
}
