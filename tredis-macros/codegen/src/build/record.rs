//! A server's record (`spec/server/<server>-<version>.json`: its `COMMAND DOCS` and
//! `COMMAND INFO`, as `cargo xtask import` wrote them) read into types.
//!
//! Fields a newer server adds are ignored, and fields it drops are optional, so a record of
//! another server or a later version reads without a change here.

use std::collections::BTreeMap;

use serde_json::Value;

/// Server name (`redis`, `valkey`) to the version that has had a command or argument since.
pub type Servers = BTreeMap<String, String>;

/// One server's commands.
#[derive(Debug, Clone)]
pub struct Record {
    /// `redis` or `valkey`, as the server names itself.
    pub server: String,
    /// The server's own version (Valkey's, not the Redis version it reports for compatibility).
    pub version: String,
    /// The record's file name under `spec/server`.
    pub file: String,
    /// Every command, subcommands flattened (`OBJECT FREQ`), sorted by name.
    pub commands: Vec<RecCommand>,
}

/// One command of a record; after the merge, of every record that has it.
#[derive(Debug, Clone)]
pub struct RecCommand {
    /// Server tokens in upper case: `SET`, `CLIENT KILL`.
    pub name: String,
    /// Server group id.
    pub group: String,
    /// One sentence.
    pub summary: Option<String>,
    /// Version that introduced it, on the base server.
    pub since: Option<String>,
    /// Time complexity.
    pub complexity: Option<String>,
    /// `(version, change)`; entries of other servers name the server in the version.
    pub history: Vec<(String, String)>,
    /// Version that deprecated it.
    pub deprecated_since: Option<String>,
    /// What replaces it.
    pub replaced_by: Option<String>,
    /// COMMAND INFO arity.
    pub arity: i64,
    /// COMMAND INFO flags.
    pub flags: Vec<String>,
    /// COMMAND INFO tips.
    pub tips: Vec<String>,
    /// COMMAND INFO key specs, as the server wrote them.
    pub key_specs: Vec<Value>,
    /// COMMAND DOCS arguments.
    pub args: Vec<RecArg>,
    /// Which servers have it, and since which version.
    pub servers: Servers,
}

/// One argument of a record.
#[derive(Debug, Clone, PartialEq)]
pub struct RecArg {
    /// Server name of the argument.
    pub name: String,
    /// Server type: `key`, `string`, `oneof`, `block`, `pure-token` ...
    pub typ: String,
    /// Token sent before it; may be empty, and is sent all the same.
    pub token: Option<String>,
    /// May be left out.
    pub optional: bool,
    /// Repeats.
    pub multiple: bool,
    /// The token repeats with every item.
    pub multiple_token: bool,
    /// Version that added it.
    pub since: Option<String>,
    /// Version that deprecated it.
    pub deprecated_since: Option<String>,
    /// Which key spec describes it.
    pub key_spec_index: Option<i64>,
    /// Variants (oneof) or fields (block).
    pub args: Vec<RecArg>,
    /// Which servers have it, when not every server of its command does.
    pub servers: Option<Servers>,
}

impl Record {
    /// Reads the record `file` holding `text`.
    pub fn parse(file: &str, text: &str) -> Result<Record, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("{file}: {e}"))?;
        let server = v["server"].as_str().unwrap_or("redis").to_string();
        let version = v["version"].as_str().ok_or_else(|| format!("{file}: no \"version\""))?.to_string();
        let docs = v["docs"].as_object().ok_or_else(|| format!("{file}: no \"docs\""))?;
        let info = v["info"].as_object().ok_or_else(|| format!("{file}: no \"info\""))?;
        let lookup = |key: &str| info.get(key).ok_or_else(|| format!("{file}: COMMAND INFO lacks {key}"));
        let mut commands = Vec::new();
        for (key, doc) in docs {
            match doc["subcommands"].as_object() {
                Some(subs) if !subs.is_empty() => {
                    for (sub, sdoc) in subs {
                        let name = sub.replace('|', " ").to_uppercase();
                        commands.push(RecCommand::parse(name, sdoc, lookup(sub)?, &server));
                    }
                }
                _ => commands.push(RecCommand::parse(key.to_uppercase(), doc, lookup(key)?, &server)),
            }
        }
        commands.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Record { server, version, file: file.to_string(), commands })
    }
}

fn string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(string).collect()).unwrap_or_default()
}

impl RecCommand {
    fn parse(name: String, docs: &Value, info: &Value, server: &str) -> RecCommand {
        let since = string(&docs["since"]);
        let history = docs["history"]
            .as_array()
            .map(|h| h.iter().filter_map(|p| Some((string(&p[0])?, string(&p[1])?))).collect())
            .unwrap_or_default();
        let servers = [(server.to_string(), since.clone().unwrap_or_default())].into_iter().collect();
        RecCommand {
            group: string(&docs["group"]).unwrap_or_else(|| "unknown".into()),
            summary: string(&docs["summary"]),
            complexity: string(&docs["complexity"]),
            history,
            deprecated_since: string(&docs["deprecated_since"]),
            replaced_by: string(&docs["replaced_by"]),
            arity: info["arity"].as_i64().unwrap_or(0),
            flags: strings(&info["flags"]),
            tips: strings(&info["tips"]),
            key_specs: info["key_specs"].as_array().cloned().unwrap_or_default(),
            args: RecArg::parse_list(&docs["arguments"]),
            since,
            servers,
            name,
        }
    }
}

impl RecArg {
    /// Reads a list of arguments in COMMAND DOCS form (the overlay's `append_args` uses it too).
    pub fn parse_list(v: &Value) -> Vec<RecArg> {
        v.as_array().map(|a| a.iter().map(RecArg::parse).collect()).unwrap_or_default()
    }

    fn parse(a: &Value) -> RecArg {
        let flags = strings(&a["flags"]);
        let has = |f: &str| flags.iter().any(|x| x == f);
        RecArg {
            name: string(&a["name"]).unwrap_or_default(),
            typ: string(&a["type"]).unwrap_or_default(),
            // An empty token is sent as an empty argument (MIGRATE's key in the KEYS form).
            token: string(&a["token"]),
            optional: has("optional"),
            multiple: has("multiple"),
            multiple_token: has("multiple_token"),
            since: string(&a["since"]),
            deprecated_since: string(&a["deprecated_since"]),
            key_spec_index: a["key_spec_index"].as_i64(),
            args: RecArg::parse_list(&a["arguments"]),
            servers: None,
        }
    }
}
