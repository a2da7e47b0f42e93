//! `cargo xtask gen [--check] [--expand]`: merges `spec/server` and `spec/overlay` into
//! `commands.json`, writes `COVERAGE.md` and the macro call site with the spec hash.
//!
//! The server record says which commands exist and what their arguments are; the overlay adds
//! what the server cannot say (Rust names, argument kinds, reply types, status). Every overlay
//! selector must match an argument, so an overlay cannot silently drift from the server.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::ensure::{ensure_file_contents, PREAMBLE};
use crate::project_root;

/// Everything `gen` writes.
pub struct Generated {
    pub commands_json: String,
    pub coverage_md: String,
    pub call_site: String,
}

/// Entry point of `cargo xtask gen`.
pub fn run(args: &[&str]) -> Result<(), String> {
    let check = args.contains(&"--check");
    let expand = args.contains(&"--expand");
    if let Some(bad) = args.iter().find(|a| !matches!(**a, "--check" | "--expand")) {
        return Err(format!("gen: unknown option {bad}"));
    }
    let out = generate()?;
    let root = project_root();
    ensure_file_contents(&root.join("commands.json"), &out.commands_json, check)?;
    ensure_file_contents(&root.join("COVERAGE.md"), &out.coverage_md, check)?;
    ensure_file_contents(&root.join("tredis/src/commands/generated.rs"), &out.call_site, check)?;
    if expand {
        write_expansion(&out.commands_json)?;
    }
    Ok(())
}

/// Builds all generated artefacts from the files under `spec/`.
pub fn generate() -> Result<Generated, String> {
    let root = project_root();
    let (server_file, server) = load_server(&root.join("spec/server"))?;
    let overlays = load_overlays(&root.join("spec/overlay"))?;
    let spec = merge(&server_file, &server, &overlays)?;
    let commands_json = serde_json::to_string_pretty(&spec).map_err(|e| e.to_string())? + "\n";
    let errors = tredis_codegen::check_spec(&commands_json);
    if !errors.is_empty() {
        return Err(format!("commands.json would not expand:\n  {}", errors.join("\n  ")));
    }
    let coverage_md = coverage_table(&spec);
    let call_site = format!(
        "//! {PREAMBLE}\n//!\n//! The single call of the command macro. The hash changes whenever `commands.json`\n\
         //! does, which makes rustc and rust-analyzer expand the surface again.\n\n\
         tredis_macros::commands! {{ spec_hash = \"{}\" }}\n",
        tredis_codegen::spec_hash(&commands_json)
    );
    Ok(Generated { commands_json, coverage_md, call_site })
}

fn write_expansion(spec: &str) -> Result<(), String> {
    let call: proc_macro2::TokenStream = format!("spec_hash = \"{}\"", tredis_codegen::spec_hash(spec))
        .parse()
        .map_err(|e| format!("{e:?}"))?;
    let tokens = tredis_codegen::expand(spec, call);
    let path = project_root().join("target/tredis-expanded.rs");
    std::fs::create_dir_all(path.parent().unwrap()).map_err(|e| e.to_string())?;
    std::fs::write(&path, tokens.to_string()).map_err(|e| e.to_string())?;
    // rustfmt makes the expansion readable; without it the file is still valid Rust.
    let _ = std::process::Command::new("rustfmt").arg("--edition=2021").arg(&path).status();
    eprintln!("xtask: wrote {}", path.display());
    Ok(())
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The newest server record under `spec/server`.
fn load_server(dir: &Path) -> Result<(String, Value), String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort_by_key(|p| version_key(&p.file_stem().unwrap_or_default().to_string_lossy()));
    let path = files.pop().ok_or("spec/server holds no record: run `cargo xtask import`")?;
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    Ok((name, read_json(&path)?))
}

fn version_key(stem: &str) -> Vec<u32> {
    stem.rsplit('-').next().unwrap_or("").split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// Overlay files keyed by the server group they describe.
fn load_overlays(dir: &Path) -> Result<BTreeMap<String, Value>, String> {
    let mut out = BTreeMap::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|x| x == "json") {
            let v = read_json(&path)?;
            let group = v["group"]
                .as_str()
                .ok_or_else(|| format!("{}: missing \"group\"", path.display()))?
                .to_string();
            if out.insert(group.clone(), v).is_some() {
                return Err(format!("two overlay files describe group {group}"));
            }
        }
    }
    Ok(out)
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

/// One server command: its docs and info, flattened (`OBJECT FREQ`).
struct ServerCommand<'a> {
    name: String,
    docs: &'a Value,
    info: &'a Value,
}

fn server_commands(server: &Value) -> Result<Vec<ServerCommand<'_>>, String> {
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

fn merge(server_file: &str, server: &Value, overlays: &BTreeMap<String, Value>) -> Result<Value, String> {
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

/// The fields every command carries, whatever its status.
fn base_command(cmd: &ServerCommand<'_>, group: &str, status: &str, reason: Option<&str>) -> Value {
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

/// Resolves one method of a supported command: base overlay fields, then the form's.
fn resolve_form(cmd: &ServerCommand<'_>, group: &str, ov: &Value, form: &Value) -> Result<Value, String> {
    const COMMAND_KEYS: &[&str] =
        &["rust", "type", "reply", "args", "forms", "doc", "flags", "on", "append_args"];
    const FORM_KEYS: &[&str] = &["rust", "type", "reply", "args", "doc"];
    check_keys(ov, COMMAND_KEYS, "command")?;
    if !form.is_null() {
        check_keys(form, FORM_KEYS, "form")?;
    }
    let pick = |key: &str| form.get(key).or_else(|| ov.get(key)).cloned();
    let mut m = match base_command(cmd, group, "supported", None) {
        Value::Object(m) => m,
        _ => unreachable!("base_command builds an object"),
    };
    let rust = pick("rust").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| snake(&cmd.name));
    m.insert("rust".into(), json!(rust));
    if let Some(t) = pick("type") {
        m.insert("type".into(), t);
    }
    let reply = pick("reply").ok_or("supported commands need a \"reply\"")?;
    m.insert("reply".into(), reply);
    if let Some(doc) = pick("doc") {
        m.insert("doc".into(), doc);
    }
    if let Some(on) = ov.get("on") {
        m.insert("on".into(), on.clone());
    }
    if let Some(extra) = ov.get("flags").and_then(Value::as_array) {
        let mut flags = m["flags"].as_array().cloned().unwrap_or_default();
        flags.extend(extra.iter().cloned());
        m.insert("flags".into(), Value::Array(flags));
    }
    // Form patches override the command's patches for the same selector.
    let mut patches: BTreeMap<String, Value> = BTreeMap::new();
    for source in [ov.get("args"), form.get("args")].into_iter().flatten() {
        let obj = source.as_object().ok_or("\"args\" must be an object")?;
        for (sel, patch) in obj {
            let slot = patches.entry(sel.clone()).or_insert_with(|| json!({}));
            for (k, v) in patch.as_object().ok_or_else(|| format!("args.{sel} must be an object"))? {
                slot[k] = v.clone();
            }
        }
    }
    let mut used = BTreeSet::new();
    let mut server_args = cmd.docs["arguments"].as_array().cloned().unwrap_or_default();
    // Arguments the server's docs leave out (COMMAND GETKEYS in 7.0), in the server's format.
    if let Some(extra) = ov.get("append_args").and_then(Value::as_array) {
        server_args.extend(extra.iter().cloned());
    }
    let args = resolve_args(&server_args, &[String::new()], &patches, &mut used)?;
    let unused: Vec<&String> = patches.keys().filter(|k| !used.contains(*k)).collect();
    if !unused.is_empty() {
        return Err(format!("args selectors match no argument: {unused:?}"));
    }
    m.insert("args".into(), Value::Array(args));
    Ok(Value::Object(m))
}

fn check_keys(v: &Value, allowed: &[&str], what: &str) -> Result<(), String> {
    for k in v.as_object().ok_or_else(|| format!("{what} entry must be an object"))?.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(format!("unknown {what} field \"{k}\" (allowed: {allowed:?})"));
        }
    }
    Ok(())
}

const PATCH_KEYS: &[&str] = &[
    "rust", "kind", "reply", "type", "pick", "flatten", "omit", "required", "fixed", "min", "doc", "block",
    "clears",
];

/// Resolves server arguments with the overlay patches, recursively. A selector is a dotted path
/// whose parts are argument names or tokens (`expiration.EX`, `filter.new-format.TYPE`), so
/// `prefixes` holds every spelling of the parent's path.
fn resolve_args(
    args: &[Value],
    prefixes: &[String],
    patches: &BTreeMap<String, Value>,
    used: &mut BTreeSet<String>,
) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for arg in args {
        let name = arg["name"].as_str().unwrap_or_default();
        let token = arg["token"].as_str().filter(|t| !t.is_empty());
        let prefix = prefixes[0].as_str();
        // `name#2` is the second argument of that name at this level.
        let occurrence = args[..=args.iter().position(|a| std::ptr::eq(a, arg)).unwrap_or(0)]
            .iter()
            .filter(|a| a["name"] == arg["name"])
            .count();
        let mut selectors = Vec::new();
        for p in prefixes {
            selectors.push(format!("{p}{name}"));
            selectors.push(format!("{p}{name}#{occurrence}"));
        }
        if let Some(t) = token {
            for p in prefixes {
                selectors.push(format!("{p}{t}"));
            }
        }
        let matches: Vec<&String> = selectors.iter().filter(|s| patches.contains_key(*s)).collect();
        if matches.len() > 1 {
            return Err(format!("both {matches:?} select the same argument"));
        }
        let patch = matches.first().map(|s| {
            used.insert((*s).clone());
            &patches[*s]
        });
        if let Some(p) = patch {
            check_keys(p, PATCH_KEYS, "argument patch")?;
        }
        // Repeated names (SORT has two `pattern`s) must be told apart by token.
        let same_name = args.iter().filter(|a| a["name"] == arg["name"]).count();
        let by_plain_name = matches.first().is_some_and(|m| m.rsplit('.').next() == Some(name));
        if same_name > 1 && patch.is_some() && by_plain_name {
            return Err(format!(
                "selector {} is ambiguous: {same_name} arguments share the name; select by token or as `name#N`",
                selectors[0]
            ));
        }
        let children = match arg["arguments"].as_array() {
            Some(kids) => {
                let mut child = Vec::new();
                for p in prefixes {
                    child.push(format!("{p}{name}."));
                    if let Some(t) = token {
                        child.push(format!("{p}{t}."));
                    }
                }
                resolve_args(kids, &child, patches, used)?
            }
            None => Vec::new(),
        };
        let flags: Vec<&str> =
            arg["flags"].as_array().map(|f| f.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        let mut r = Map::new();
        r.insert("name".into(), json!(name));
        let kind = default_kind(arg);
        r.insert("kind".into(), json!(kind));
        if let Some(t) = arg["token"].as_str() {
            r.insert("token".into(), json!(t));
        }
        if flags.contains(&"optional") {
            r.insert("opt".into(), json!(true));
        }
        if flags.contains(&"multiple") {
            r.insert("multi".into(), json!(true));
        }
        if flags.contains(&"multiple_token") {
            r.insert("multi_token".into(), json!(true));
        }
        for key in ["since", "deprecated_since", "key_spec_index"] {
            if let Some(v) = arg.get(key) {
                r.insert(key.into(), v.clone());
            }
        }
        if !children.is_empty() {
            r.insert("args".into(), Value::Array(children));
        }
        let rust = match token.map(snake).filter(|t| !t.is_empty()) {
            Some(t) => t,
            None => snake(name),
        };
        r.insert("rust".into(), json!(rust));

        let Some(p) = patch else {
            out.push(Value::Object(r));
            continue;
        };
        for key in ["rust", "kind", "reply", "type", "min", "doc", "block", "clears"] {
            if let Some(v) = p.get(key) {
                r.insert(key.into(), v.clone());
            }
        }
        if p.get("required").and_then(Value::as_bool) == Some(true) {
            r.remove("opt");
        }
        if p.get("fixed").and_then(Value::as_bool) == Some(true) {
            // Sent every time, in its place among the options.
            r.insert("fixed".into(), json!(true));
        }
        if p.get("omit").is_some() {
            if r.contains_key("opt") || !prefix.is_empty() {
                continue;
            }
            return Err(format!("{prefix}{name}: only optional arguments or variants can be omitted"));
        }
        if let Some(sel) = p.get("pick").and_then(Value::as_str) {
            let kids = r.get("args").and_then(Value::as_array).cloned().unwrap_or_default();
            let chosen = kids
                .into_iter()
                .find(|k| k["name"] == sel || k["token"] == sel)
                .ok_or_else(|| format!("{prefix}{name}: pick {sel} matches no variant"))?;
            let mut chosen = chosen.as_object().cloned().unwrap_or_default();
            if r.contains_key("opt") {
                chosen.insert("opt".into(), json!(true));
            } else {
                chosen.remove("opt");
            }
            if p.get("flatten").and_then(Value::as_bool) == Some(true) {
                let inner = chosen.get("args").and_then(Value::as_array).cloned().unwrap_or_default();
                out.extend(inner);
            } else {
                out.push(Value::Object(chosen));
            }
            continue;
        }
        if p.get("flatten").and_then(Value::as_bool) == Some(true) {
            // The children take the block's place: the first inherits its token, all its
            // optionality (CLIENT LIST `ID id...` becomes one optional repeated argument).
            let mut kids = r.get("args").and_then(Value::as_array).cloned().unwrap_or_default();
            let n_kids = kids.len();
            for (i, kid) in kids.iter_mut().enumerate() {
                if i == 0 && kid.get("token").is_none() {
                    if let Some(t) = r.get("token") {
                        kid["token"] = t.clone();
                    }
                }
                if r.contains_key("opt") {
                    kid["opt"] = json!(true);
                }
                // A repeated block of one field is that field repeated (CONFIG GET).
                if r.contains_key("multi") && n_kids == 1 {
                    kid["multi"] = json!(true);
                }
            }
            out.extend(kids);
            continue;
        }
        out.push(Value::Object(r));
    }
    Ok(out)
}

/// The argument kind implied by the server's type; the overlay refines it.
fn default_kind(arg: &Value) -> &'static str {
    match arg["type"].as_str().unwrap_or_default() {
        "key" => "key",
        "string" => "bytes",
        "pattern" => "pattern",
        "integer" => "int",
        "double" => "double",
        "unix-time" => {
            let name = arg["name"].as_str().unwrap_or_default();
            let token = arg["token"].as_str().unwrap_or_default();
            if name.contains("milli") || token.starts_with('P') {
                "unix_ms"
            } else {
                "unix_s"
            }
        }
        "pure-token" => "token",
        "oneof" => "oneof",
        "block" => "block",
        _ => "unknown",
    }
}

/// `CLIENT NO-EVICT` -> `client_no_evict`; `ip:port` -> `ip_port`.
pub fn snake(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

fn coverage_table(spec: &Value) -> String {
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

#[cfg(test)]
mod tests {
    /// Fails when a generated file is stale, naming the command that fixes it.
    #[test]
    fn generated_files_are_fresh() {
        let out = super::generate().unwrap();
        let root = crate::project_root();
        for (path, text) in [
            ("commands.json", &out.commands_json),
            ("COVERAGE.md", &out.coverage_md),
            ("tredis/src/commands/generated.rs", &out.call_site),
        ] {
            crate::ensure::ensure_file_contents(&root.join(path), text, true).unwrap();
        }
    }

    #[test]
    fn snake_names() {
        assert_eq!(super::snake("CLIENT NO-EVICT"), "client_no_evict");
        assert_eq!(super::snake("ip:port"), "ip_port");
        assert_eq!(super::snake("yes/no"), "yes_no");
        assert_eq!(super::snake("SORT_RO"), "sort_ro");
    }
}
