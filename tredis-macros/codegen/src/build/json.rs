//! The `commands.json` objects: a command's fields whatever its status, and the whole file.

use serde_json::{json, Map, Value};

use super::record::{RecCommand, Record};

/// The fields every command carries, whatever its status.
pub fn base_command(cmd: &RecCommand, status: &str, reason: Option<&str>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), json!(cmd.name));
    m.insert("group".into(), json!(cmd.group));
    m.insert("status".into(), json!(status));
    if let Some(r) = reason {
        m.insert("reason".into(), json!(r));
    }
    if let Some(s) = &cmd.summary {
        m.insert("summary".into(), json!(s));
    }
    if let Some(s) = &cmd.since {
        m.insert("since".into(), json!(s));
    }
    m.insert("servers".into(), json!(cmd.servers));
    if let Some(c) = &cmd.complexity {
        m.insert("complexity".into(), json!(c));
    }
    if !cmd.history.is_empty() {
        m.insert("history".into(), json!(cmd.history));
    }
    if let Some(since) = &cmd.deprecated_since {
        m.insert("deprecated".into(), json!({ "since": since, "use": cmd.replaced_by }));
    }
    m.insert("arity".into(), json!(cmd.arity));
    m.insert("flags".into(), json!(cmd.flags));
    if !cmd.tips.is_empty() {
        m.insert("tips".into(), json!(cmd.tips));
    }
    if !cmd.key_specs.is_empty() {
        m.insert("key_specs".into(), Value::Array(cmd.key_specs.clone()));
    }
    m
}

/// One group's counts: supported, skipped, all.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    /// Commands with at least one method.
    pub supported: usize,
    /// Commands skipped with a reason.
    pub skipped: usize,
    /// Every command of the group, on any server.
    pub total: usize,
}

/// The whole file; `map_records` are the records read from map replies.
pub fn root(
    records: &[Record],
    groups: &[(String, String, Counts)],
    commands: Vec<Value>,
    map_records: Vec<Value>,
) -> Value {
    let servers: Vec<Value> = records
        .iter()
        .map(|r| json!({ "name": r.server, "version": r.version, "record": format!("spec/server/{}", r.file) }))
        .collect();
    let groups: Vec<Value> = groups
        .iter()
        .map(|(id, title, c)| {
            json!({ "id": id, "title": title, "supported": c.supported, "skipped": c.skipped, "total": c.total })
        })
        .collect();
    json!({ "schema": 2, "servers": servers, "groups": groups, "commands": commands, "records": map_records })
}
