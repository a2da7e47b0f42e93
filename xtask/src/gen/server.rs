//! The server record's commands, and the fields each carries in `commands.json` whatever its
//! status.

use serde_json::{json, Map, Value};

/// One server command: its docs and info, flattened (`OBJECT FREQ`).
pub(super) struct ServerCommand<'a> {
    pub(super) name: String,
    pub(super) docs: &'a Value,
    pub(super) info: &'a Value,
}

pub(super) fn server_commands(server: &Value) -> Result<Vec<ServerCommand<'_>>, String> {
    let docs = server["docs"].as_object().ok_or("server record has no docs")?;
    let info = server["info"].as_object().ok_or("server record has no info")?;
    let mut out = Vec::new();
    let lookup = |key: &str| info.get(key).ok_or_else(|| format!("COMMAND INFO lacks {key}"));
    for (key, doc) in docs {
        match doc["subcommands"].as_object() {
            Some(subs) if !subs.is_empty() => {
                for (sub, sdoc) in subs {
                    out.push(ServerCommand {
                        name: sub.replace('|', " ").to_uppercase(),
                        docs: sdoc,
                        info: lookup(sub)?,
                    });
                }
            }
            _ => out.push(ServerCommand { name: key.to_uppercase(), docs: doc, info: lookup(key)? }),
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The fields every command carries, whatever its status.
pub(super) fn base_command(
    cmd: &ServerCommand<'_>,
    group: &str,
    status: &str,
    reason: Option<&str>,
) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(cmd.name));
    m.insert("group".into(), json!(group));
    m.insert("status".into(), json!(status));
    if let Some(r) = reason {
        m.insert("reason".into(), json!(r));
    }
    for key in ["summary", "since", "complexity"] {
        if let Some(v) = cmd.docs.get(key) {
            m.insert(key.into(), v.clone());
        }
    }
    if let Some(h) = cmd.docs.get("history") {
        m.insert("history".into(), h.clone());
    }
    if let Some(since) = cmd.docs.get("deprecated_since") {
        m.insert(
            "deprecated".into(),
            json!({ "since": since, "use": cmd.docs.get("replaced_by").cloned().unwrap_or(Value::Null) }),
        );
    }
    m.insert("arity".into(), cmd.info["arity"].clone());
    m.insert("flags".into(), cmd.info["flags"].clone());
    if cmd.info["tips"].as_array().is_some_and(|t| !t.is_empty()) {
        m.insert("tips".into(), cmd.info["tips"].clone());
    }
    if cmd.info["key_specs"].as_array().is_some_and(|t| !t.is_empty()) {
        m.insert("key_specs".into(), cmd.info["key_specs"].clone());
    }
    Value::Object(m)
}
