//! `cargo xtask coverage --url redis://HOST:PORT`: what a live server offers that
//! `commands.json` does not support, so a newer server or Valkey shows its gaps at once.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::project_root;

/// Compares the live server's COMMAND DOCS with `commands.json` and prints the differences.
pub fn run(url: &str) -> Result<(), String> {
    let report = compare(url)?;
    println!("{report}");
    Ok(())
}

/// Fails when the live server has a command that `commands.json` does not list at all: every
/// command must be supported, skipped with a reason, or counted as not yet.
pub fn check_listed(url: &str) -> Result<(), String> {
    let report = compare(url)?;
    if report.contains("(absent)") {
        return Err(format!(
            "the test server has commands missing from commands.json \
             (run `cargo xtask import` and `cargo xtask gen`):\n{report}"
        ));
    }
    eprintln!("xtask: every command of the test server is listed in commands.json");
    Ok(())
}

fn compare(url: &str) -> Result<String, String> {
    let live = crate::import::read_record(url)?;
    let spec: Value = serde_json::from_str(
        &std::fs::read_to_string(project_root().join("commands.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let mut status: BTreeMap<String, String> = BTreeMap::new();
    for c in spec["commands"].as_array().into_iter().flatten() {
        let name = c["name"].as_str().unwrap_or_default().to_string();
        let s = c["status"].as_str().unwrap_or_default().to_string();
        status.insert(name, s);
    }
    let version = live["version"].as_str().unwrap_or("?");
    let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut total = 0;
    for (key, doc) in live["docs"].as_object().into_iter().flatten() {
        let mut names = Vec::new();
        match doc["subcommands"].as_object() {
            Some(subs) if !subs.is_empty() => {
                for (sub, sdoc) in subs {
                    names.push((sub.replace('|', " ").to_uppercase(), sdoc["group"].clone()));
                }
            }
            _ => names.push((key.to_uppercase(), doc["group"].clone())),
        }
        for (name, group) in names {
            total += 1;
            let st = status.get(&name).map(String::as_str).unwrap_or("absent");
            if st != "supported" && st != "skipped" {
                let g = group.as_str().unwrap_or("?").to_string();
                missing.entry(g).or_default().push(format!("{name} ({st})"));
            }
        }
    }
    let count: usize = missing.values().map(Vec::len).sum();
    let mut out = format!(
        "{url} runs redis {version}: {total} commands, {} covered, {count} not supported",
        total - count
    );
    for (group, names) in &missing {
        out += &format!("\n  {group}: {}", names.join(", "));
    }
    Ok(out)
}
