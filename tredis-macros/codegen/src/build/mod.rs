//! Builds `commands.json` from the server records and the overlays: the one writer of the
//! format [`crate::spec`] reads, so that one crate owns it. `cargo xtask gen` only reads the
//! files and writes what this returns.
//!
//! Records come from several servers (Redis, Valkey). [`servers::merge`] makes one list of
//! their commands, each command and argument marked with the servers that have it; the
//! overlays (one per group, named by the Redis record's arguments) then say what the servers
//! cannot: Rust names, argument kinds, reply types, and which commands are skipped and why.
//! One more overlay, `records.json`, lists the records read from map replies ([`records`]).

pub mod coverage;
pub mod json;
pub mod overlay;
pub mod record;
pub mod records;
pub mod servers;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use json::{base_command, Counts};
use overlay::resolve_form;
use record::Record;

/// What `cargo xtask gen` writes.
pub struct Built {
    /// The text of `commands.json`.
    pub commands_json: String,
    /// The text of `COVERAGE.md`.
    pub coverage_md: String,
}

/// Builds the spec from `(file name, text)` pairs of server records and of overlays;
/// `preamble` heads the generated Markdown. Every overlay mistake is reported, not the first.
pub fn build(
    records: &[(String, String)],
    overlays: &[(String, String)],
    preamble: &str,
) -> Result<Built, String> {
    let records = choose(records)?;
    let (overlays, map_records) = read_overlays(overlays)?;
    let commands = servers::merge(records.clone());
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for cmd in &commands {
        let group = cmd.group.clone();
        let entry = counts.entry(group.clone()).or_default();
        entry.total += 1;
        let Some(ov) = overlays.get(&group).and_then(|o| o["commands"].get(&cmd.name)) else {
            out.push(Value::Object(base_command(cmd, "planned", None)));
            continue;
        };
        seen.insert((group.clone(), cmd.name.clone()));
        let at = format!("overlay {group}: {}", cmd.name);
        if let Some(reason) = ov.get("skip") {
            let reason = reason.as_str().unwrap_or_default();
            if reason.is_empty() {
                errors.push(format!("{at}: \"skip\" needs a reason"));
            }
            entry.skipped += 1;
            out.push(Value::Object(base_command(cmd, "skipped", Some(reason))));
            continue;
        }
        entry.supported += 1;
        let forms: Vec<&Value> = match ov.get("forms").and_then(Value::as_array) {
            Some(forms) => forms.iter().collect(),
            None => vec![&Value::Null],
        };
        for form in forms {
            match resolve_form(cmd, ov, form) {
                Ok(v) => out.push(v),
                Err(e) => errors.push(format!("{at}: {e}")),
            }
        }
    }
    for (group, ov) in &overlays {
        for name in ov["commands"].as_object().into_iter().flat_map(|m| m.keys()) {
            if !seen.contains(&(group.clone(), name.clone())) {
                errors.push(format!("overlay {group}: {name} is not a {group} command of any server"));
            }
        }
    }
    let map_records = match map_records.as_ref().map(self::records::resolve) {
        Some(Ok(r)) => r,
        Some(Err(e)) => {
            errors.extend(e);
            Vec::new()
        }
        None => Vec::new(),
    };
    if !errors.is_empty() {
        return Err(format!("spec/overlay has errors:\n  {}", errors.join("\n  ")));
    }
    let groups: Vec<(String, String, Counts)> =
        counts.into_iter().map(|(id, c)| (id.clone(), group_title(&id), c)).collect();
    let spec = json::root(&records, &groups, out, map_records);
    let coverage_md = coverage::table(&spec, preamble);
    let commands_json = serde_json::to_string_pretty(&spec).map_err(|e| e.to_string())? + "\n";
    Ok(Built { commands_json, coverage_md })
}

/// The newest record of each server, Redis's first: it is the base whose argument names the
/// overlays use.
fn choose(records: &[(String, String)]) -> Result<Vec<Record>, String> {
    let mut newest: BTreeMap<String, Record> = BTreeMap::new();
    for (file, text) in records {
        let r = Record::parse(file, text)?;
        let newer =
            newest.get(&r.server).map_or(true, |old| version_key(&r.version) > version_key(&old.version));
        if newer {
            newest.insert(r.server.clone(), r);
        }
    }
    let base = newest.remove("redis").ok_or("spec/server holds no redis record: run `cargo xtask import`")?;
    Ok(std::iter::once(base).chain(newest.into_values()).collect())
}

fn version_key(v: &str) -> Vec<u32> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// Overlays keyed by the server group they describe, and the records overlay (the one file
/// with `records` instead of a `group`).
fn read_overlays(files: &[(String, String)]) -> Result<(BTreeMap<String, Value>, Option<Value>), String> {
    let mut out = BTreeMap::new();
    let mut records = None;
    for (file, text) in files {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("{file}: {e}"))?;
        if v.get("records").is_some() {
            if records.replace(v).is_some() {
                return Err(format!("{file}: a second overlay file holds records"));
            }
            continue;
        }
        let group = v["group"].as_str().ok_or_else(|| format!("{file}: missing \"group\""))?.to_string();
        if out.insert(group.clone(), v).is_some() {
            return Err(format!("two overlay files describe group {group}"));
        }
    }
    Ok((out, records))
}

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
