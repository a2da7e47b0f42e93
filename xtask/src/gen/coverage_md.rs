//! `COVERAGE.md`: the coverage table, by group and by command.

use serde_json::Value;

use crate::ensure::PREAMBLE;

pub(super) fn coverage_table(spec: &Value) -> String {
    let version = spec["server"]["version"].as_str().unwrap_or("?");
    let record = spec["server"]["record"].as_str().unwrap_or("?");
    let mut s = format!(
        "<!-- {PREAMBLE} -->\n# Command coverage\n\n\
         Every command that redis {version} reports (`{record}`, recorded by `cargo xtask import`),\n\
         by group, as in the seed's \"Supported Commands\" table. *Supported* commands are typed\n\
         methods generated from `commands.json`; *skipped* ones cannot be a method on a shared,\n\
         multiplexed client, for the reason given; *not yet* ones have no overlay entry so far.\n\
         `cargo xtask coverage --url redis://HOST:PORT` compares another server with this list.\n\n\
         | Group | Count | Supported | Skipped | Not yet |\n|---|---|---|---|---|\n"
    );
    let groups = spec["groups"].as_array().cloned().unwrap_or_default();
    let (mut sup, mut skip, mut tot) = (0, 0, 0);
    for g in &groups {
        let (a, b, t) = (
            g["supported"].as_u64().unwrap_or(0),
            g["skipped"].as_u64().unwrap_or(0),
            g["total"].as_u64().unwrap_or(0),
        );
        sup += a;
        skip += b;
        tot += t;
        s += &format!(
            "| {} | {} of {t} | {a} | {b} | {} |\n",
            g["title"].as_str().unwrap_or("?"),
            a + b,
            t - a - b
        );
    }
    s += &format!("| **All** | **{} of {tot}** | {sup} | {skip} | {} |\n", sup + skip, tot - sup - skip);
    let commands = spec["commands"].as_array().cloned().unwrap_or_default();
    for g in &groups {
        let id = g["id"].as_str().unwrap_or("?");
        s += &format!(
            "\n## {}\n\n| Command | Method | Status |\n|---|---|---|\n",
            g["title"].as_str().unwrap_or(id)
        );
        let mut last = String::new();
        for c in commands.iter().filter(|c| c["group"] == id) {
            let name = c["name"].as_str().unwrap_or("?");
            let status = match c["status"].as_str().unwrap_or("?") {
                "supported" => "supported".to_string(),
                "skipped" => format!("skipped: {}", c["reason"].as_str().unwrap_or("")),
                _ => "not yet".to_string(),
            };
            let method = c["rust"].as_str().map(|r| format!("`{r}`")).unwrap_or_else(|| "—".into());
            if name == last {
                // Another method (form) of the same command.
                s += &format!("| | {method} | {status} |\n");
            } else {
                s += &format!("| `{name}` | {method} | {status} |\n");
            }
            last = name.to_string();
        }
    }
    s
}
