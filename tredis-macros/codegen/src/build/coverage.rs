//! `COVERAGE.md`: the coverage table by group and by command, with a column per server.

use serde_json::Value;

use super::servers::display_name;

/// The Markdown table for the `commands.json` value `spec`.
pub fn table(spec: &Value, preamble: &str) -> String {
    let servers: Vec<(String, String)> = spec["servers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (s["name"].as_str().unwrap_or("?").to_string(), s["version"].as_str().unwrap_or("?").to_string())
        })
        .collect();
    let heads: Vec<String> = servers.iter().map(|(n, v)| format!("{} {v}", display_name(n))).collect();
    let records: Vec<String> = spec["servers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| format!("`{}`", s["record"].as_str().unwrap_or("?")))
        .collect();
    let mut s = format!(
        "<!-- {preamble} -->\n# Command coverage\n\n\
         Every command that {} report ({}, recorded by `cargo xtask import`), by group, as in the\n\
         seed's \"Supported Commands\" table. *Supported* commands are typed methods generated from\n\
         `commands.json`; *skipped* ones cannot be a method on a shared, multiplexed client, for the\n\
         reason given; *not yet* ones have no overlay entry so far. A server's column says since\n\
         which of its versions it has the command (— where it has none). `cargo xtask coverage --url\n\
         redis://HOST:PORT` compares another server with this list.\n\n",
        heads.join(" and "),
        records.join(", ")
    );
    s += &format!(
        "| Group | Count | Supported | Skipped | Not yet |{}\n|---|---|---|---|---|{}\n",
        heads.iter().map(|h| format!(" {h} |")).collect::<String>(),
        "---|".repeat(heads.len())
    );
    let groups = spec["groups"].as_array().cloned().unwrap_or_default();
    let commands = spec["commands"].as_array().cloned().unwrap_or_default();
    // Forms of one command are one command here.
    let mut distinct: Vec<&Value> = Vec::new();
    for c in &commands {
        if distinct.last().map_or(true, |l| l["name"] != c["name"]) {
            distinct.push(c);
        }
    }
    let on = |c: &Value, server: &str| c["servers"].get(server).is_some();
    let (mut sup, mut skip, mut tot) = (0, 0, 0);
    let mut per_server = vec![0; servers.len()];
    for g in &groups {
        let n = |k: &str| g[k].as_u64().unwrap_or(0);
        let (a, b, t) = (n("supported"), n("skipped"), n("total"));
        sup += a;
        skip += b;
        tot += t;
        let mut cols = String::new();
        for (i, (server, _)) in servers.iter().enumerate() {
            let have = distinct.iter().filter(|c| c["group"] == g["id"] && on(c, server)).count();
            per_server[i] += have;
            cols += &format!(" {have} |");
        }
        s += &format!(
            "| {} | {} of {t} | {a} | {b} | {} |{cols}\n",
            g["title"].as_str().unwrap_or("?"),
            a + b,
            t - a - b
        );
    }
    let cols: String = per_server.iter().map(|n| format!(" **{n}** |")).collect();
    s +=
        &format!("| **All** | **{} of {tot}** | {sup} | {skip} | {} |{cols}\n", sup + skip, tot - sup - skip);
    for g in &groups {
        let id = g["id"].as_str().unwrap_or("?");
        s += &format!(
            "\n## {}\n\n| Command | Method | Status |{}\n|---|---|---|{}\n",
            g["title"].as_str().unwrap_or(id),
            heads.iter().map(|h| format!(" {h} |")).collect::<String>(),
            "---|".repeat(heads.len())
        );
        let mut last = String::new();
        for c in commands.iter().filter(|c| c["group"] == id) {
            let name = c["name"].as_str().unwrap_or("?");
            let mut status = match c["status"].as_str().unwrap_or("?") {
                "supported" => "supported".to_string(),
                "skipped" => format!("skipped: {}", c["reason"].as_str().unwrap_or("")),
                _ => "not yet".to_string(),
            };
            let partial = partial_options(&c["args"]);
            if !partial.is_empty() {
                status += &format!("; {}", partial.join(", "));
            }
            let method = c["rust"].as_str().map(|r| format!("`{r}`")).unwrap_or_else(|| "—".into());
            let cols: String = servers
                .iter()
                .map(|(server, _)| match c["servers"].get(server).and_then(Value::as_str) {
                    Some(v) if !v.is_empty() => format!(" {v} |"),
                    Some(_) => " yes |".to_string(),
                    None => " — |".to_string(),
                })
                .collect();
            if name == last {
                // Another method (form) of the same command.
                s += &format!("| | {method} | {status} |{cols}\n");
            } else {
                s += &format!("| `{name}` | {method} | {status} |{cols}\n");
            }
            last = name.to_string();
        }
    }
    s
}

/// The options only some servers have: "`ifeq` on Valkey 8.1.0+".
fn partial_options(args: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for a in args.as_array().into_iter().flatten() {
        if let Some(servers) = a["servers"].as_object() {
            let on: Vec<String> = servers
                .iter()
                .map(|(n, v)| match v.as_str().unwrap_or_default() {
                    "" => display_name(n),
                    v => format!("{} {v}+", display_name(n)),
                })
                .collect();
            out.push(format!("`{}` on {}", a["rust"].as_str().unwrap_or("?"), on.join(", ")));
        } else {
            out.extend(partial_options(&a["args"]));
        }
    }
    out
}
