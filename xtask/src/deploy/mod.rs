//! Multi-process deployments (a primary and its replica, a cluster, Sentinel) for the
//! topology tests and for manual use.
//!
//! A [`Deployment`] owns redis-server processes, each with its own directory under one root.
//! Inside `cargo xtask test` they are plain children that die with the deployment. With
//! `cargo xtask cluster up` they are detached instead, and a state file under `target/deploy/`
//! names their pids, so that `down` later stops exactly those processes and nothing else.

pub mod cluster;
mod detached;
mod probe;
pub mod replicas;
pub mod sentinel;

pub use detached::run;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One redis-server process of a deployment, with the argv that restarts it as the same node.
pub struct Proc {
    /// What it is in the deployment: `node`, `primary`, `replica` or `sentinel`.
    pub role: String,
    /// The client port.
    pub port: u16,
    /// The cluster bus port, for cluster nodes.
    pub bus_port: Option<u16>,
    /// The process id.
    pub pid: u32,
    /// Its own directory (data, logs, nodes.conf or sentinel.conf).
    pub dir: PathBuf,
    args: Vec<String>,
    // None when the process was started by an earlier xtask run and is known by pid only.
    child: Option<Child>,
}

impl Proc {
    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("log")).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    }

    fn stop(&mut self) {
        match self.child.take() {
            Some(mut child) => {
                let _ = child.kill();
                let _ = child.wait();
            }
            None => detached::kill(self.pid, self.port, &self.args),
        }
    }
}

/// Processes started together; dropping the value stops them, unless they were detached.
pub struct Deployment {
    name: String,
    root: PathBuf,
    /// The processes, in start order.
    pub procs: Vec<Proc>,
    // Detached processes get a process group of their own, so that the end of xtask, or a
    // Ctrl-C sent to its group, does not reach them.
    detached: bool,
    // Set once `up` succeeded: from then on only `down` stops the processes.
    keep: bool,
}

impl Deployment {
    fn new(name: &str, detached: bool) -> Result<Deployment, String> {
        let root = std::env::temp_dir().join(format!("tredis-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).map_err(|e| format!("cannot create {}: {e}", root.display()))?;
        Ok(Deployment { name: name.into(), root, procs: Vec::new(), detached, keep: false })
    }

    /// URLs of the processes with `role`.
    pub fn urls(&self, role: &str) -> Vec<String> {
        self.procs.iter().filter(|p| p.role == role).map(Proc::url).collect()
    }

    /// Starts a process on `ports` fresh ports; `argv` builds its arguments from the ports and
    /// its directory. Binding port 0 and releasing it leaves a race with other processes, so a
    /// process that exits at once is tried again on new ports, up to 5 times.
    fn start(
        &mut self,
        role: &str,
        ports: usize,
        argv: impl Fn(&[u16], &Path) -> Result<Vec<String>, String>,
    ) -> Result<usize, String> {
        let mut last = String::new();
        for _ in 0..5 {
            let ports = free_ports(ports)?;
            let dir = self.root.join(format!("{role}-{}", ports[0]));
            std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            let args = argv(&ports, &dir)?;
            let mut proc = Proc {
                role: role.into(),
                port: ports[0],
                bus_port: ports.get(1).copied(),
                pid: 0,
                dir,
                args,
                child: None,
            };
            match self.spawn(&mut proc) {
                Ok(()) => {
                    self.procs.push(proc);
                    self.save_if_detached()?;
                    return Ok(self.procs.len() - 1);
                }
                Err(e) => {
                    last = format!("{e}; log:\n{}", proc.log());
                    proc.stop();
                    let _ = std::fs::remove_dir_all(&proc.dir);
                }
            }
        }
        Err(format!("{} {role} did not start: {last}", self.name))
    }

    fn spawn(&self, proc: &mut Proc) -> Result<(), String> {
        let mut cmd = Command::new("redis-server");
        cmd.args(&proc.args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        if self.detached {
            cmd.process_group(0);
        }
        let mut child = cmd.spawn().map_err(|e| format!("cannot run redis-server: {e}"))?;
        proc.pid = child.id();
        let start = Instant::now();
        let ready = loop {
            if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                break Err(format!("redis-server on port {} exited with {status}", proc.port));
            }
            if crate::servers::ping(proc.port) {
                break Ok(());
            }
            if start.elapsed() > Duration::from_secs(10) {
                break Err(format!("redis-server on port {} did not answer PING", proc.port));
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        proc.child = Some(child);
        ready
    }

    /// Stops process `i` and starts it again with the same arguments, port and directory
    /// (a cluster node finds its identity in nodes.conf, a sentinel in sentinel.conf).
    pub fn restart(&mut self, i: usize) -> Result<(), String> {
        let mut proc = self.procs.remove(i);
        proc.stop();
        let spawned = self.spawn(&mut proc);
        let log = proc.log();
        self.procs.insert(i, proc);
        self.save_if_detached()?;
        spawned.map_err(|e| format!("{e}; log:\n{log}"))
    }

    /// Waits until `check` passes; it returns why not yet, which a timeout reports, along
    /// with the end of every log.
    fn wait_for(&self, what: &str, mut check: impl FnMut(&Self) -> Result<(), String>) -> Result<(), String> {
        let start = Instant::now();
        loop {
            let why = match check(self) {
                Ok(()) => return Ok(()),
                Err(why) => why,
            };
            if start.elapsed() > Duration::from_secs(30) {
                let logs: Vec<String> =
                    self.procs.iter().map(|p| format!("--- {} {}:\n{}", p.role, p.port, p.log())).collect();
                return Err(format!("{} {what} in 30 s: {why}\n{}", self.name, logs.join("\n")));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop_all(&mut self) {
        for p in &mut self.procs {
            p.stop();
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        self.stop_all();
        if self.detached {
            let _ = std::fs::remove_file(detached::state_path(&self.name));
        }
    }
}

/// The arguments every data node shares. A replica appears in CLUSTER SLOTS, and counts as
/// online, only once its offset moves: it syncs without the diskless delay and pings every
/// second, which takes a fresh cluster from about 11 s to about 4 s to be ready.
fn server_args(port: u16, dir: &Path) -> Vec<String> {
    const FIXED: &str = "--bind 127.0.0.1 --repl-diskless-sync-delay 0 --repl-ping-replica-period 1 \
        --appendonly no --enable-debug-command local --daemonize no";
    let mut argv: Vec<String> =
        ["--port", &port.to_string()].into_iter().chain(FIXED.split_whitespace()).map(String::from).collect();
    // An empty argument: `--save ''` turns snapshots off.
    argv.extend(["--save".into(), String::new()]);
    argv.extend(["--dir".into(), dir.display().to_string()]);
    argv.extend(["--logfile".into(), dir.join("log").display().to_string()]);
    argv
}

/// `count` distinct loopback ports, free a moment ago. All are held until the last is found,
/// so the kernel cannot hand out the same one twice.
fn free_ports(count: usize) -> Result<Vec<u16>, String> {
    let held: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot bind a port: {e}")))
        .collect::<Result<_, _>>()?;
    held.iter().map(|l| l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())).collect()
}
