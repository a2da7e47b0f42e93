//! `cargo xtask import`: records COMMAND DOCS and COMMAND INFO of the installed redis-server.
//!
//! The record, `spec/server/redis-<version>.json`, is the authority for which commands exist,
//! their arguments, groups, versions, flags, key positions and routing tips.

use serde_json::{json, Map, Value};

use crate::servers::{self, RedisServer};

/// Starts each server, reads its command metadata and writes its record.
pub fn run() -> Result<(), String> {
    servers::ensure_installed()?;
    for server in [RedisServer::start("import", &[])?, servers::start_valkey("import-valkey", &[])?] {
        let record = read_record(&server.url())?;
        let name = record["server"].as_str().unwrap_or("unknown");
        let version = record["version"].as_str().unwrap_or("unknown");
        let path = crate::project_root().join(format!("spec/server/{name}-{version}.json"));
        let text = serde_json::to_string_pretty(&record).map_err(|e| e.to_string())? + "\n";
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("xtask: wrote {}", path.display());
    }
    Ok(())
}

/// COMMAND DOCS and COMMAND INFO of the server at `url`, keyed by lower-case name (`object|freq`).
pub fn read_record(url: &str) -> Result<Value, String> {
    let (server, version) = server_version(url)?;
    let docs: Value = parse(&servers::cli(url, &["--json", "COMMAND", "DOCS"])?)?;
    let info: Value = parse(&servers::cli(url, &["--json", "COMMAND", "INFO"])?)?;
    let mut infos = Map::new();
    for entry in info.as_array().ok_or("COMMAND INFO is not an array")? {
        add_info(entry, &mut infos)?;
    }
    Ok(json!({
        "server": server,
        "version": version,
        "docs": docs,
        "info": Value::Object(infos),
    }))
}

/// The server's name and version: Valkey reports `server_name:valkey` and its own
/// `valkey_version` beside the `redis_version` it is compatible with.
fn server_version(url: &str) -> Result<(String, String), String> {
    let info = servers::cli(url, &["INFO", "server"])?;
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|l| l.strip_prefix(':')))
            .map(|v| v.trim().to_string())
    };
    match field("server_name").as_deref() {
        Some("valkey") => {
            Ok(("valkey".into(), field("valkey_version").ok_or("INFO server has no valkey_version")?))
        }
        _ => Ok(("redis".into(), field("redis_version").ok_or("INFO server has no redis_version")?)),
    }
}

fn parse(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("redis-cli printed invalid JSON: {e}"))
}

/// Flattens one COMMAND INFO entry (and its subcommands) into named objects.
fn add_info(entry: &Value, out: &mut Map<String, Value>) -> Result<(), String> {
    let a = entry.as_array().ok_or("COMMAND INFO entry is not an array")?;
    if a.len() < 10 {
        return Err(format!("COMMAND INFO entry has {} fields, expected 10", a.len()));
    }
    let name = a[0].as_str().ok_or("COMMAND INFO name is not a string")?;
    out.insert(
        name.to_string(),
        json!({
            "arity": a[1],
            "flags": a[2],
            "first_key": a[3],
            "last_key": a[4],
            "step": a[5],
            "acl_categories": a[6],
            "tips": a[7],
            "key_specs": a[8],
        }),
    );
    if let Some(subs) = a[9].as_array() {
        for sub in subs {
            add_info(sub, out)?;
        }
    }
    Ok(())
}
