//! Applies an overlay entry to one command of the merged records: its fields, its forms and
//! its argument patches, each checked against the arguments the servers have, into the
//! command's `commands.json` object.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::json::base_command;
use super::record::{RecArg, RecCommand};
use crate::names::snake;

/// Resolves one method of a supported command: base overlay fields, then the form's.
pub fn resolve_form(cmd: &RecCommand, ov: &Value, form: &Value) -> Result<Value, String> {
    const COMMAND_KEYS: &[&str] =
        &["rust", "type", "reply", "args", "forms", "doc", "flags", "on", "append_args"];
    const FORM_KEYS: &[&str] = &["rust", "type", "reply", "args", "doc"];
    check_keys(ov, COMMAND_KEYS, "command")?;
    if !form.is_null() {
        check_keys(form, FORM_KEYS, "form")?;
    }
    let pick = |key: &str| form.get(key).or_else(|| ov.get(key)).cloned();
    let mut m = base_command(cmd, "supported", None);
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
    let mut server_args = cmd.args.clone();
    // Arguments the server's docs leave out (COMMAND GETKEYS in Redis 7.0), in the server's format.
    if let Some(extra) = ov.get("append_args") {
        server_args.extend(RecArg::parse_list(extra));
    }
    let mut omitted = Map::new();
    let args = resolve_args(&server_args, &[String::new()], &patches, &mut used, &mut omitted)?;
    let unused: Vec<&String> = patches.keys().filter(|k| !used.contains(*k)).collect();
    if !unused.is_empty() {
        return Err(format!("args selectors match no argument: {unused:?}"));
    }
    m.insert("args".into(), Value::Array(args));
    if !omitted.is_empty() {
        // What the server takes and this method deliberately does not, by token (or name).
        m.insert("omitted".into(), Value::Object(omitted));
    }
    Ok(Value::Object(m))
}

/// Fails on a field outside `allowed`, so that a typo in an overlay is never silently ignored.
pub fn check_keys(v: &Value, allowed: &[&str], what: &str) -> Result<(), String> {
    for k in v.as_object().ok_or_else(|| format!("{what} entry must be an object"))?.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(format!("unknown {what} field \"{k}\" (allowed: {allowed:?})"));
        }
    }
    Ok(())
}

const PATCH_KEYS: &[&str] = &[
    "rust", "kind", "reply", "type", "pick", "flatten", "omit", "required", "fixed", "min", "doc", "block",
    "clears", "literal",
];

/// Resolves arguments with the overlay patches, recursively. A selector is a dotted path whose
/// parts are argument names or tokens (`expiration.EX`, `filter.new-format.TYPE`), so
/// `prefixes` holds every spelling of the parent's path.
fn resolve_args(
    args: &[RecArg],
    prefixes: &[String],
    patches: &BTreeMap<String, Value>,
    used: &mut BTreeSet<String>,
    omitted: &mut Map<String, Value>,
) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for (index, arg) in args.iter().enumerate() {
        let name = arg.name.as_str();
        let token = arg.token.as_deref().filter(|t| !t.is_empty());
        let prefix = prefixes[0].as_str();
        // `name#2` is the second argument of that name at this level.
        let occurrence = args[..=index].iter().filter(|a| a.name == arg.name).count();
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
        let same_name = args.iter().filter(|a| a.name == arg.name).count();
        let by_plain_name = matches.first().is_some_and(|m| m.rsplit('.').next() == Some(name));
        if same_name > 1 && patch.is_some() && by_plain_name {
            return Err(format!(
                "selector {} is ambiguous: {same_name} arguments share the name; select by token or as `name#N`",
                selectors[0]
            ));
        }
        let children = if arg.args.is_empty() {
            Vec::new()
        } else {
            let mut child = Vec::new();
            for p in prefixes {
                child.push(format!("{p}{name}."));
                if let Some(t) = token {
                    child.push(format!("{p}{t}."));
                }
            }
            resolve_args(&arg.args, &child, patches, used, omitted)?
        };
        let mut r = arg_fields(arg);
        if !children.is_empty() {
            r.insert("args".into(), Value::Array(children));
        }
        let Some(p) = patch else {
            out.push(Value::Object(r));
            continue;
        };
        if p.get("literal").and_then(Value::as_bool) == Some(true) {
            literal_variants(&mut r, &format!("{prefix}{name}"))?;
        }
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
        if let Some(reason) = p.get("omit") {
            if r.contains_key("opt") || !prefix.is_empty() {
                omitted.insert(token.unwrap_or(name).to_string(), reason.clone());
                continue;
            }
            return Err(format!("{prefix}{name}: only optional arguments or variants can be omitted"));
        }
        if let Some(sel) = p.get("pick").and_then(Value::as_str) {
            for kid in arg.args.iter().filter(|k| k.name != sel && k.token.as_deref() != Some(sel)) {
                if let Some(t) = kid.token.as_deref().filter(|t| !t.is_empty()) {
                    omitted.insert(t.to_string(), json!(format!("sent as a value of `{sel}`")));
                }
            }
            out.extend(pick_variant(r, p, sel, &format!("{prefix}{name}"))?);
            continue;
        }
        if p.get("flatten").and_then(Value::as_bool) == Some(true) {
            out.extend(flatten(&r));
            continue;
        }
        out.push(Value::Object(r));
    }
    Ok(out)
}

/// A oneof whose variants are words without a token (COMMANDLOG's `slow`, `large-request`,
/// `large-reply`) made a oneof of tokens spelled as those words, so that it becomes an enum.
fn literal_variants(r: &mut Map<String, Value>, at: &str) -> Result<(), String> {
    if r.get("kind") != Some(&json!("oneof")) {
        return Err(format!("{at}: only a oneof can be `literal`"));
    }
    for kid in r.get_mut("args").and_then(Value::as_array_mut).into_iter().flatten() {
        let word = kid["name"].as_str().unwrap_or_default().to_string();
        if kid.get("token").is_some() || kid.get("args").is_some() {
            return Err(format!("{at}: variant {word} is not a plain word"));
        }
        kid["kind"] = json!("token");
        kid["token"] = json!(word);
        kid["rust"] = json!(snake(&word));
    }
    Ok(())
}

/// The fields an argument carries in `commands.json` before any patch.
fn arg_fields(arg: &RecArg) -> Map<String, Value> {
    let mut r = Map::new();
    r.insert("name".into(), json!(arg.name));
    r.insert("kind".into(), json!(default_kind(arg)));
    if let Some(t) = &arg.token {
        r.insert("token".into(), json!(t));
    }
    if arg.optional {
        r.insert("opt".into(), json!(true));
    }
    if arg.multiple {
        r.insert("multi".into(), json!(true));
    }
    if arg.multiple_token {
        r.insert("multi_token".into(), json!(true));
    }
    if let Some(s) = &arg.since {
        r.insert("since".into(), json!(s));
    }
    if let Some(s) = &arg.deprecated_since {
        r.insert("deprecated_since".into(), json!(s));
    }
    if let Some(i) = arg.key_spec_index {
        r.insert("key_spec_index".into(), json!(i));
    }
    if let Some(servers) = &arg.servers {
        r.insert("servers".into(), json!(servers));
    }
    let rust = match arg.token.as_deref().map(snake).filter(|t| !t.is_empty()) {
        Some(t) => t,
        None => snake(&arg.name),
    };
    r.insert("rust".into(), json!(rust));
    r
}

/// A oneof in a form reduced to one variant (`pick`): the variant in the oneof's place, or its
/// fields (`flatten`).
fn pick_variant(r: Map<String, Value>, p: &Value, sel: &str, at: &str) -> Result<Vec<Value>, String> {
    let kids = r.get("args").and_then(Value::as_array).cloned().unwrap_or_default();
    let chosen = kids
        .into_iter()
        .find(|k| k["name"] == sel || k["token"] == sel)
        .ok_or_else(|| format!("{at}: pick {sel} matches no variant"))?;
    let mut chosen = chosen.as_object().cloned().unwrap_or_default();
    if r.contains_key("opt") {
        chosen.insert("opt".into(), json!(true));
    } else {
        chosen.remove("opt");
    }
    if let (Some(s), false) = (r.get("servers"), chosen.contains_key("servers")) {
        chosen.insert("servers".into(), s.clone());
    }
    if p.get("flatten").and_then(Value::as_bool) == Some(true) {
        return Ok(flatten(&chosen));
    }
    Ok(vec![Value::Object(chosen)])
}

/// The children of a block in its place: the first inherits its token, all its optionality
/// (CLIENT LIST `ID id...` becomes one optional repeated argument).
fn flatten(r: &Map<String, Value>) -> Vec<Value> {
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
        // What only some servers have stays marked on what takes its place.
        if let (Some(s), None) = (r.get("servers"), kid.get("servers")) {
            kid["servers"] = s.clone();
        }
    }
    kids
}

/// The argument kind implied by the server's type; the overlay refines it.
fn default_kind(arg: &RecArg) -> &'static str {
    match arg.typ.as_str() {
        "key" => "key",
        "string" => "bytes",
        "pattern" => "pattern",
        "integer" => "int",
        "double" => "double",
        "unix-time" => {
            let token = arg.token.as_deref().unwrap_or_default();
            if arg.name.contains("milli") || token.starts_with('P') {
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
