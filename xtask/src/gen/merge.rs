//! Merges the server record with the overlays into the `commands.json` value, with the
//! per-group counts.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::overlay::resolve_form;
use super::server::{base_command, server_commands};

/// Titles for the coverage table, in the seed's wording.
fn group_title(group: &str) -> String {
    match group {
        "bitmap" => "Bitmaps",
        "cluster" => "Cluster",
        "connection" => "Connection",
        "generic" => "Keys",
        "geo" => "Geo",
        "hash" => "Hashes",
        "hyperloglog" => "HyperLogLog",
        "list" => "Lists",
        "pubsub" => "Pub/Sub",
        "scripting" => "Scripting",
        "sentinel" => "Sentinel",
        "server" => "Server",
        "set" => "Sets",
        "sorted-set" => "Sorted Sets",
        "stream" => "Streams",
        "string" => "Strings",
        "transactions" => "Transactions",
        other => other,
    }
    .to_string()
}

pub(super) fn merge(
    server_file: &str,
    server: &Value,
    overlays: &BTreeMap<String, Value>,
) -> Result<Value, String> {
    let commands = server_commands(server)?;
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut groups: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut seen_overlay: BTreeSet<(String, String)> = BTreeSet::new();

    for cmd in &commands {
        let group = cmd.docs["group"].as_str().unwrap_or("unknown").to_string();
        let entry = groups.entry(group.clone()).or_default();
        entry.2 += 1;
        let ov = overlays.get(&group).and_then(|o| o["commands"].get(&cmd.name));
        let Some(ov) = ov else {
            out.push(base_command(cmd, &group, "planned", None));
            continue;
        };
        seen_overlay.insert((group.clone(), cmd.name.clone()));
        let where_ = format!("overlay {group}: {}", cmd.name);
        if let Some(reason) = ov.get("skip") {
            let reason = reason.as_str().unwrap_or_default();
            if reason.is_empty() {
                errors.push(format!("{where_}: \"skip\" needs a reason"));
            }
            entry.1 += 1;
            out.push(base_command(cmd, &group, "skipped", Some(reason)));
            continue;
        }
        entry.0 += 1;
        let forms: Vec<&Value> = match ov.get("forms").and_then(Value::as_array) {
            Some(forms) => forms.iter().collect(),
            None => vec![&Value::Null],
        };
        for form in forms {
            match resolve_form(cmd, &group, ov, form) {
                Ok(v) => out.push(v),
                Err(e) => errors.push(format!("{where_}: {e}")),
            }
        }
    }
    for (group, ov) in overlays {
        for name in ov["commands"].as_object().into_iter().flat_map(|m| m.keys()) {
            if !seen_overlay.contains(&(group.clone(), name.clone())) {
                errors.push(format!("overlay {group}: {name} is not a {group} command of the server"));
            }
        }
    }
    if !errors.is_empty() {
        return Err(format!("spec/overlay has errors:\n  {}", errors.join("\n  ")));
    }
    let groups: Vec<Value> = groups
        .iter()
        .map(|(id, (supported, skipped, total))| {
            json!({
                "id": id,
                "title": group_title(id),
                "supported": supported,
                "skipped": skipped,
                "total": total,
            })
        })
        .collect();
    Ok(json!({
        "schema": 1,
        "server": {
            "name": server["server"],
            "version": server["version"],
            "record": format!("spec/server/{server_file}"),
        },
        "groups": groups,
        "commands": out,
    }))
}
