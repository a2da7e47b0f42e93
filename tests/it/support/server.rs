//! A redis-server (or valkey-server) owned by one test, for faults a shared server must not suffer: restarts,
//! stops, pauses of every client. Started on a free loopback port with a throwaway directory,
//! stopped by its pid.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A redis-server child process.
pub struct OwnServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    extra: Vec<String>,
    /// For a Sentinel: its configuration file, which it rewrites.
    sentinel_conf: Option<PathBuf>,
    /// Listens with TLS only.
    tls: bool,
    /// The server binary: redis-server, or the valkey-server `cargo xtask test` installed.
    bin: PathBuf,
}

impl OwnServer {
    /// Starts a server with `extra` arguments.
    pub fn start(extra: &[&str]) -> OwnServer {
        let mut s = OwnServer::start_unspawned(extra);
        s.spawn_fresh();
        s
    }

    fn start_unspawned(extra: &[&str]) -> OwnServer {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("tredis-test-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        OwnServer {
            child: None,
            port,
            dir,
            extra: extra.iter().map(|s| s.to_string()).collect(),
            sentinel_conf: None,
            tls: false,
            bin: PathBuf::from("redis-server"),
        }
    }

    /// Starts a server that listens with TLS only, configured by `extra` (`--tls-cert-file`
    /// ...).
    pub fn tls(extra: &[&str]) -> OwnServer {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("tredis-test-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let extra = extra.iter().map(|s| s.to_string()).collect();
        let mut s = OwnServer {
            child: None,
            port,
            dir,
            extra,
            sentinel_conf: None,
            tls: true,
            bin: PathBuf::from("redis-server"),
        };
        s.spawn_fresh();
        s
    }

    /// A Sentinel listening with TLS only; `conf` holds its TLS settings too.
    pub fn sentinel_tls(conf: &str) -> OwnServer {
        let mut s = OwnServer::sentinel_unstarted(conf);
        s.tls = true;
        s.spawn_fresh();
        s
    }

    fn sentinel_unstarted(conf: &str) -> OwnServer {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("tredis-test-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sentinel.conf");
        std::fs::write(&path, conf).unwrap();
        OwnServer {
            child: None,
            port,
            dir,
            extra: Vec::new(),
            sentinel_conf: Some(path),
            tls: false,
            bin: PathBuf::from("redis-server"),
        }
    }

    /// Starts a Sentinel with `conf` (`sentinel monitor ...` lines and the like).
    pub fn sentinel(conf: &str) -> OwnServer {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("tredis-test-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sentinel.conf");
        std::fs::write(&path, conf).unwrap();
        let mut s = OwnServer {
            child: None,
            port,
            dir,
            extra: Vec::new(),
            sentinel_conf: Some(path),
            tls: false,
            bin: PathBuf::from("redis-server"),
        };
        s.spawn_fresh();
        s
    }

    /// Starts a valkey-server with `extra` arguments.
    pub fn valkey(extra: &[&str]) -> OwnServer {
        let mut s = OwnServer::start_unspawned(extra);
        s.bin = PathBuf::from(super::env("TREDIS_TEST_VALKEY_BIN"));
        s.spawn_fresh();
        s
    }

    /// A Valkey cluster node (node timeout 2 s), as [`cluster_node`](Self::cluster_node) says
    /// otherwise.
    pub fn valkey_cluster_node() -> OwnServer {
        let args = cluster_args(2000);
        OwnServer::valkey(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// Starts a cluster-enabled server that owns no slots and knows no other node, with its
    /// bus on a free port of its own (the default, port + 10000, may not exist).
    pub fn cluster_node() -> OwnServer {
        OwnServer::cluster_node_with_timeout(5000)
    }

    /// A cluster node that declares a silent peer failed after `node_timeout_ms`.
    pub fn cluster_node_with_timeout(node_timeout_ms: u32) -> OwnServer {
        let args = cluster_args(node_timeout_ms);
        OwnServer::start(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// A cluster node as [`cluster_node`](Self::cluster_node) makes, with `extra` arguments
    /// (`--rename-command ...`).
    pub fn cluster_node_with(extra: &[&str]) -> OwnServer {
        let mut args = cluster_args(5000);
        args.extend(extra.iter().map(|s| s.to_string()));
        OwnServer::start(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// A TLS-only cluster node (bus over TLS too), as [`cluster_node_with_timeout`]
    /// (Self::cluster_node_with_timeout) says otherwise.
    pub fn cluster_node_tls(node_timeout_ms: u32, tls: &[String]) -> OwnServer {
        let mut args = cluster_args(node_timeout_ms);
        args.extend(["--tls-cluster".to_string(), "yes".to_string()]);
        args.extend(tls.iter().cloned());
        OwnServer::tls(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// The process ID, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster bus port given to [`cluster_node`](Self::cluster_node).
    pub fn cluster_port(&self) -> Option<u16> {
        let i = self.extra.iter().position(|a| a == "--cluster-port")?;
        self.extra.get(i + 1)?.parse().ok()
    }

    fn spawn(&mut self) {
        let mut cmd = Command::new(&self.bin);
        if let Some(conf) = &self.sentinel_conf {
            // The file comes first, then the mode.
            cmd.arg(conf).arg("--sentinel");
        }
        let port = self.port.to_string();
        let listen: &[&str] =
            if self.tls { &["--port", "0", "--tls-port", &port] } else { &["--port", &port] };
        let child = cmd
            .args(listen)
            .args(["--bind", "127.0.0.1", "--daemonize", "no", "--save", ""])
            .args(["--appendonly", "no", "--enable-debug-command", "local"])
            .arg("--dir")
            .arg(&self.dir)
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (cargo xtask test installs it)");
        self.child = Some(child);
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(start.elapsed() < Duration::from_secs(10), "redis-server did not start");
            assert!(!self.exited(), "redis-server exited at once (port {} taken?)", self.port);
            std::thread::sleep(Duration::from_millis(10));
        }
        // What answered may be another test's server on a port taken meanwhile; ours then
        // fails to bind and exits at once.
        std::thread::sleep(Duration::from_millis(20));
        assert!(!self.exited(), "redis-server exited at once (port {} taken?)", self.port);
    }

    /// Starts the server on the ports it was given, or, when one was taken meanwhile (a free
    /// port is only free when asked), on new ones: a few times.
    fn spawn_fresh(&mut self) {
        for _ in 0..5 {
            let taken = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.spawn())).is_err();
            if !taken {
                return;
            }
            self.stop();
            self.port = free_port();
            if let Some(i) = self.extra.iter().position(|a| a == "--cluster-port") {
                self.extra[i + 1] = free_port().to_string();
            }
        }
        self.spawn();
    }

    /// Whether the process ended.
    fn exited(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(Some(_))))
    }

    /// `redis://127.0.0.1:<port>` (`rediss://` for a TLS server).
    pub fn url(&self) -> String {
        format!("{}://127.0.0.1:{}", if self.tls { "rediss" } else { "redis" }, self.port)
    }

    /// Kills the server (only this pid) and waits for it to exit. Its command statistics are
    /// kept first, for the check that every supported command reached a server.
    pub fn stop(&mut self) {
        // A Sentinel runs no data commands.
        if self.child.is_some() && self.sentinel_conf.is_none() {
            self.keep_stats();
        }
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Saves the command statistics now, for a test about to stop the server another way
    /// (SHUTDOWN), after which `stop` finds nothing to ask.
    pub fn keep_stats(&self) {
        let Some(dir) = std::env::var_os("TREDIS_TEST_STATS_DIR") else { return };
        // INFO server says which server it was (`server_name:valkey`).
        let Ok(out) = Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "INFO", "server"])
            .output()
            .and_then(|server| {
                let stats = Command::new("redis-cli")
                    .args(["-p", &self.port.to_string(), "INFO", "commandstats"])
                    .output()?;
                Ok([server.stdout, stats.stdout].concat())
            })
        else {
            return;
        };
        let name = format!(
            "own-{}-{}.txt",
            self.port,
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
        );
        let _ = std::fs::write(PathBuf::from(dir).join(name), out);
    }

    /// Kills the server and starts it again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The arguments of a cluster node: its bus on a free port of its own (the default, port +
/// 10000, may not exist), replication that starts at once.
fn cluster_args(node_timeout_ms: u32) -> Vec<String> {
    let bus = free_port().to_string();
    [
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        "nodes.conf",
        "--cluster-node-timeout",
        &node_timeout_ms.to_string(),
        "--cluster-port",
        &bus,
        "--repl-diskless-sync-delay",
        "0",
        "--repl-ping-replica-period",
        "1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// A loopback port free at the time of asking.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
