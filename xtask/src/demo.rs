//! `cargo xtask demo`: runs the example against `REDIS_URL`, starting a throwaway
//! redis-server first when nothing answers there.

use std::process::Command;

use crate::servers::{self, RedisServer};

const DEFAULT_URL: &str = "redis://127.0.0.1:6379";

/// Runs `examples/demo.rs`.
pub fn run() -> Result<(), String> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| DEFAULT_URL.into());
    let mut _server = None;
    let url = if answers(&url) {
        eprintln!("xtask: using the server at {url}");
        url
    } else {
        servers::ensure_installed()?;
        let s = RedisServer::start("demo", &[])?;
        eprintln!("xtask: nothing answers at {url}; started redis-server pid {} at {}", s.pid(), s.url());
        let u = s.url();
        _server = Some(s);
        u
    };
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["run", "--quiet", "-p", "tredis", "--example", "demo"])
        .env("REDIS_URL", &url)
        .current_dir(crate::project_root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("the demo failed".into());
    }
    Ok(())
}

/// True when a server answers PING at the host and port of `url`.
fn answers(url: &str) -> bool {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let rest = rest.rsplit('@').next().unwrap_or(rest);
    let hostport = rest.split('/').next().unwrap_or(rest);
    let (host, port) = hostport.rsplit_once(':').unwrap_or((hostport, "6379"));
    if host != "127.0.0.1" && host != "localhost" {
        // Only loopback servers are probed cheaply; trust anything else the user names.
        return true;
    }
    port.parse().map(servers::ping).unwrap_or(false)
}
