//! `cargo xtask coverage --url redis://HOST:PORT [--check]`: how a live server and
//! `commands.json` differ, both ways.
//!
//! - What the server has that tredis lacks: commands not supported (nor skipped with a reason),
//!   and tokens (options, subcommand words) of supported commands that no method sends.
//! - What tredis has that the server lacks: supported commands the server does not list (one
//!   removed, or renamed with `rename-command`), and tokens it does not take.
//!
//! A difference the spec already records (a Valkey command on Redis 7.0, an option the overlay
//! leaves out on purpose) is shown as expected. `--check` exits non-zero on any other.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::project_root;

/// Prints the comparison; with `check`, fails when something unexpected differs.
pub fn run(url: &str, check: bool) -> Result<(), String> {
    let report = compare(url)?;
    println!("{}", report.text);
    if check && report.unexpected > 0 {
        return Err(format!("{} unexpected differences between {url} and commands.json", report.unexpected));
    }
    Ok(())
}

/// Fails when the live server and `commands.json` differ in a way the spec does not expect:
/// every command must be supported, skipped with a reason, or counted as not yet, every token
/// of a supported command sent by some method or left out with a reason, and nothing sent
/// that the server does not take.
pub fn check_matches(url: &str) -> Result<(), String> {
    let report = compare(url)?;
    if report.unexpected > 0 {
        return Err(format!(
            "the server at {url} and commands.json differ (run `cargo xtask import` and `cargo xtask gen`, \
             or complete the overlay):\n{}",
            report.text
        ));
    }
    eprintln!("xtask: the server at {url} and commands.json agree");
    Ok(())
}

struct Report {
    text: String,
    unexpected: usize,
}

/// One command as `commands.json` has it, forms merged.
#[derive(Default)]
struct Known {
    status: String,
    /// Server names that have the command.
    servers: BTreeSet<String>,
    /// Tokens any form sends, with the servers that have each (none: as the command).
    tokens: BTreeMap<String, Option<BTreeSet<String>>>,
    /// Tokens left out on purpose.
    omitted: BTreeSet<String>,
    /// Names of arguments taken as a value (BITOP's `operation`, where a newer server lists
    /// the words it may be as tokens).
    values: BTreeSet<String>,
}

fn spec_commands() -> Result<BTreeMap<String, Known>, String> {
    let text = std::fs::read_to_string(project_root().join("commands.json")).map_err(|e| e.to_string())?;
    let spec: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let mut out: BTreeMap<String, Known> = BTreeMap::new();
    for c in spec["commands"].as_array().into_iter().flatten() {
        let k = out.entry(c["name"].as_str().unwrap_or_default().to_string()).or_default();
        k.status = c["status"].as_str().unwrap_or_default().to_string();
        k.servers = c["servers"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
        spec_tokens(&c["args"], None, &mut k.tokens);
        spec_values(&c["args"], &mut k.values);
        k.omitted.extend(c["omitted"].as_object().into_iter().flat_map(|m| m.keys().cloned()));
    }
    Ok(out)
}

fn spec_tokens(
    args: &Value,
    inherited: Option<&BTreeSet<String>>,
    out: &mut BTreeMap<String, Option<BTreeSet<String>>>,
) {
    for a in args.as_array().into_iter().flatten() {
        let own: Option<BTreeSet<String>> = a["servers"].as_object().map(|m| m.keys().cloned().collect());
        let servers = own.as_ref().or(inherited);
        if let Some(t) = a["token"].as_str().filter(|t| !t.is_empty()) {
            out.insert(t.to_uppercase(), servers.cloned());
        }
        spec_tokens(&a["args"], servers, out);
    }
}

fn spec_values(args: &Value, out: &mut BTreeSet<String>) {
    for a in args.as_array().into_iter().flatten() {
        if a["kind"] == "bytes" && a["token"].is_null() {
            out.insert(a["name"].as_str().unwrap_or_default().to_string());
        }
        // `yes` and `no` are the values of a yes/no argument, tokens on newer servers.
        if a["kind"] == "yesno" {
            out.extend(["YES".to_string(), "NO".to_string()]);
        }
        spec_values(&a["args"], out);
    }
}

/// The words a command takes as tokens: the server's tokens, and the words of a oneof of plain
/// words (COMMANDLOG's `slow`); not the words of a oneof the spec takes as a value.
fn live_tokens(args: &Value, values: &BTreeSet<String>, out: &mut BTreeSet<String>) {
    for a in args.as_array().into_iter().flatten() {
        if let Some(t) = a["token"].as_str().filter(|t| !t.is_empty()) {
            out.insert(t.to_uppercase());
        }
        if a["type"] == "oneof" && a["token"].is_null() {
            if values.contains(a["name"].as_str().unwrap_or_default()) {
                continue;
            }
            let words = a["arguments"].as_array().cloned().unwrap_or_default();
            let plain = |w: &Value| w["token"].is_null() && w["arguments"].is_null() && w["type"] == "string";
            if words.len() > 1 && words.iter().all(plain) {
                out.extend(words.iter().map(|w| w["name"].as_str().unwrap_or_default().to_uppercase()));
            }
        }
        live_tokens(&a["arguments"], values, out);
    }
}

fn compare(url: &str) -> Result<Report, String> {
    let live = crate::import::read_record(url)?;
    let kind = live["server"].as_str().unwrap_or("redis").to_string();
    let version = live["version"].as_str().unwrap_or("?").to_string();
    let known = spec_commands()?;
    let mut live_cmds: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    for (key, doc) in live["docs"].as_object().into_iter().flatten() {
        match doc["subcommands"].as_object() {
            Some(subs) if !subs.is_empty() => {
                for (sub, sdoc) in subs {
                    let name = sub.replace('|', " ").to_uppercase();
                    let values = known.get(&name).map(|k| k.values.clone()).unwrap_or_default();
                    let mut tokens = BTreeSet::new();
                    live_tokens(&sdoc["arguments"], &values, &mut tokens);
                    let group = sdoc["group"].as_str().unwrap_or("?").to_string();
                    live_cmds.insert(name, (group, tokens));
                }
            }
            _ => {
                let values = known.get(&key.to_uppercase()).map(|k| k.values.clone()).unwrap_or_default();
                let mut tokens = BTreeSet::new();
                live_tokens(&doc["arguments"], &values, &mut tokens);
                live_cmds
                    .insert(key.to_uppercase(), (doc["group"].as_str().unwrap_or("?").to_string(), tokens));
            }
        }
    }
    let mut unexpected = 0;
    let mut lacks: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut extra: Vec<String> = Vec::new();
    for (name, (group, tokens)) in &live_cmds {
        let Some(k) = known.get(name) else {
            unexpected += 1;
            lacks.entry(group.clone()).or_default().push(format!("{name} (absent from commands.json)"));
            continue;
        };
        match k.status.as_str() {
            "supported" => {
                let missing: Vec<&String> = tokens
                    .iter()
                    .filter(|t| {
                        !k.tokens.contains_key(*t) && !k.omitted.contains(*t) && !k.values.contains(*t)
                    })
                    .collect();
                if !missing.is_empty() {
                    unexpected += 1;
                    let list = missing.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ");
                    lacks.entry(group.clone()).or_default().push(format!("{name} options {list}"));
                }
                for (t, servers) in &k.tokens {
                    if !tokens.contains(t) {
                        let expected = servers.as_ref().is_some_and(|s| !s.contains(&kind));
                        unexpected += usize::from(!expected);
                        let note = if expected { " (expected: not on this server)" } else { "" };
                        extra.push(format!("{name} option {t}{note}"));
                    }
                }
            }
            "skipped" => {}
            _ => {
                unexpected += 1;
                lacks.entry(group.clone()).or_default().push(format!("{name} (not yet)"));
            }
        }
    }
    for (name, k) in &known {
        if k.status == "supported" && !live_cmds.contains_key(name) {
            let expected = !k.servers.contains(&kind);
            unexpected += usize::from(!expected);
            let note = if expected { " (expected: not on this server)" } else { " (removed or renamed?)" };
            extra.push(format!("{name}{note}"));
        }
    }
    let mut text = format!(
        "{url} runs {kind} {version}: {} commands; {unexpected} unexpected differences\n\
         what the server has that tredis lacks:",
        live_cmds.len()
    );
    if lacks.is_empty() {
        text += " nothing";
    }
    for (group, items) in &lacks {
        text += &format!("\n  {group}: {}", items.join("; "));
    }
    text += "\nwhat tredis has that the server lacks:";
    if extra.is_empty() {
        text += " nothing";
    }
    for item in &extra {
        text += &format!("\n  {item}");
    }
    Ok(Report { text, unexpected })
}
