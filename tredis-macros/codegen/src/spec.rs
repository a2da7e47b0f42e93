//! The model of `commands.json`, parsed from JSON with every error collected in a [`Ctxt`].

pub mod records;
pub mod reply;

use serde_json::Value;

use crate::ctxt::Ctxt;
pub use records::{MapRecord, RecordField};
pub use reply::{Atom, ReplyExpr};

/// Server name (`redis`, `valkey`) to the version that has had a command or argument since.
pub type Servers = std::collections::BTreeMap<String, String>;

/// The whole spec: groups and commands.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The servers the spec was recorded from: name and version, the base (Redis) first.
    pub servers: Vec<(String, String)>,
    /// Command groups, with their coverage counts.
    pub groups: Vec<Group>,
    /// Supported commands (skipped and planned ones are not expanded).
    pub commands: Vec<Command>,
    /// Commands the spec skips, with the reason: raw commands of these names are refused.
    pub skipped: Vec<Skipped>,
    /// Records decoded from map replies, which command replies name with `@`.
    pub records: Vec<MapRecord>,
}

/// A command the spec skips on purpose, and why.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// Server tokens: `SELECT`, `CLIENT REPLY`.
    pub name: String,
    /// Why no method sends it.
    pub reason: String,
}

/// One command group (`string`, `sorted-set`).
#[derive(Debug, Clone)]
pub struct Group {
    /// Server group id; also the cargo feature.
    pub id: String,
    /// Title for docs.
    pub title: String,
}

/// One generated method.
#[derive(Debug, Clone)]
pub struct Command {
    /// JSON path, for errors.
    pub path: String,
    /// Server tokens: `SET`, `CLIENT KILL`.
    pub name: String,
    /// Method name.
    pub rust: String,
    /// Request builder type name.
    pub type_name: String,
    /// Server group id.
    pub group: String,
    /// Server version that introduced it.
    pub since: Option<String>,
    /// Which servers have it, and since which version.
    pub servers: Servers,
    /// Every server the spec was recorded from, with the version recorded.
    pub recorded: Vec<(String, String)>,
    /// One sentence.
    pub summary: String,
    /// Time complexity, as the server states it.
    pub complexity: Option<String>,
    /// `(version, change)` pairs.
    pub history: Vec<(String, String)>,
    /// `(since, replaced by)` when deprecated.
    pub deprecated: Option<(String, Option<String>)>,
    /// Server command flags (`write`, `blocking` ...).
    pub flags: Vec<String>,
    /// Server tips (`request_policy:all_shards` ...).
    pub tips: Vec<String>,
    /// Where the keys are in the argument list.
    pub key_specs: Vec<KeySpec>,
    /// Arguments, resolved by the overlay.
    pub args: Vec<Arg>,
    /// The default reply.
    pub reply: ReplyExpr,
    /// Extra documentation paragraph.
    pub doc: Option<String>,
    /// `transaction` when the method exists only on a transaction's own connection (WATCH).
    pub on: Option<String>,
}

/// One argument (or variant, or block field).
#[derive(Debug, Clone)]
pub struct Arg {
    /// JSON path, for errors.
    pub path: String,
    /// Server name.
    pub name: String,
    /// Rust parameter or setter name.
    pub rust: String,
    /// How the value is typed and encoded.
    pub kind: ArgKind,
    /// Token written before the value.
    pub token: Option<String>,
    /// Optional: becomes a setter.
    pub opt: bool,
    /// An optional token this method always sends (RESTORE's `ABSTTL` in `restore_at`).
    pub fixed: bool,
    /// This duration is how long the command may block its connection (zero: forever).
    pub block: bool,
    /// Options this one unsets when set: `field` or `field.variant` (ZADD NX and GT/LT).
    pub clears: Vec<String>,
    /// Repeats.
    pub multi: bool,
    /// The token is repeated before every item.
    pub multi_token: bool,
    /// Server version that added it.
    pub since: Option<String>,
    /// Which servers have it, when not every server of its command does.
    pub servers: Option<Servers>,
    /// Reply the command gives when this argument is set.
    pub reply: Option<ReplyExpr>,
    /// Rust type for enums of oneofs.
    pub type_name: Option<String>,
    /// Minimum number of items of a multiple argument.
    pub min: Option<u64>,
    /// Variants (oneof) or fields (block).
    pub args: Vec<Arg>,
    /// Extra documentation.
    pub doc: Option<String>,
}

/// Argument kinds of `commands.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// A key (`impl ToKey`).
    Key,
    /// Binary-safe bytes (`impl ToArg`).
    Bytes,
    /// A glob-style pattern (`impl ToArg`).
    Pattern,
    /// `i64`.
    Int,
    /// `u64`.
    Uint,
    /// `f64`.
    Double,
    /// `Duration`, sent as whole seconds.
    DurationS,
    /// `Duration`, sent as milliseconds.
    DurationMs,
    /// `Duration`, sent as decimal seconds (millisecond precision).
    DurationFs,
    /// `SystemTime`, sent as Unix seconds.
    UnixS,
    /// `SystemTime`, sent as Unix milliseconds.
    UnixMs,
    /// A bare token.
    Token,
    /// One of several variants.
    OneOf,
    /// A group of fields.
    Block,
    /// `bool`, sent as the first (true) or second (false) variant token: ON/OFF.
    Bool,
    /// `bool`, sent as `yes` or `no`.
    YesNo,
    /// A SCAN cursor (`u64`).
    Cursor,
    /// The number of items of the next (repeated) argument, counted by the client.
    Numkeys,
    /// A score bound: inclusive, exclusive or infinite (`ScoreBound`).
    ScoreBound,
    /// A lexical bound: inclusive, exclusive, `-` or `+` (`LexBound`).
    LexBound,
    /// A ZRANGE bound: an index, a score bound or a lexical bound (`RangeBound`).
    RangeBound,
}

impl ArgKind {
    fn parse(s: &str) -> Option<ArgKind> {
        Some(match s {
            "key" => ArgKind::Key,
            "bytes" => ArgKind::Bytes,
            "pattern" => ArgKind::Pattern,
            "int" => ArgKind::Int,
            "uint" => ArgKind::Uint,
            "double" => ArgKind::Double,
            "duration_s" => ArgKind::DurationS,
            "duration_ms" => ArgKind::DurationMs,
            "duration_fs" => ArgKind::DurationFs,
            "unix_s" => ArgKind::UnixS,
            "unix_ms" => ArgKind::UnixMs,
            "token" => ArgKind::Token,
            "oneof" => ArgKind::OneOf,
            "block" => ArgKind::Block,
            "bool" => ArgKind::Bool,
            "yesno" => ArgKind::YesNo,
            "cursor" => ArgKind::Cursor,
            "numkeys" => ArgKind::Numkeys,
            "score_bound" => ArgKind::ScoreBound,
            "lex_bound" => ArgKind::LexBound,
            "range_bound" => ArgKind::RangeBound,
            _ => return None,
        })
    }

    /// True for kinds that hold one scalar value.
    pub fn is_scalar(self) -> bool {
        !matches!(self, ArgKind::Token | ArgKind::OneOf | ArgKind::Block | ArgKind::Numkeys)
    }

    /// True for kinds passed as `impl ToArg`/`impl ToKey`.
    pub fn is_bytes(self) -> bool {
        matches!(self, ArgKind::Key | ArgKind::Bytes | ArgKind::Pattern)
    }
}

/// A key spec of COMMAND INFO: where to start and how to find keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    /// Where the search begins.
    pub begin: BeginSearch,
    /// How keys are found from there.
    pub find: FindKeys,
    /// RO, RW, OW, RM, ACCESS, ...
    pub flags: Vec<String>,
}

/// `begin_search` of a key spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BeginSearch {
    /// At a fixed argument index (1 = first after the command name).
    Index(i64),
    /// After a keyword, searching from `startfrom`.
    Keyword(String, i64),
    /// Only the server knows.
    Unknown,
}

/// `find_keys` of a key spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindKeys {
    /// `lastkey` (relative, negative counts from the end), `step`, `limit`.
    Range(i64, i64, i64),
    /// `keynumidx`, `firstkey`, `step`.
    Keynum(i64, i64, i64),
    /// Only the server knows.
    Unknown,
}

/// Parses `commands.json`; returns `None` only when the text is not JSON at all.
pub fn parse(text: &str, cx: &Ctxt) -> Option<Spec> {
    let root: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            cx.error(None, "commands.json", format!("invalid JSON: {e}"));
            return None;
        }
    };
    if root["schema"] != 2 {
        cx.error(None, "schema", "expected schema 2: run `cargo xtask gen`");
    }
    let servers: Vec<(String, String)> = root["servers"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| Some((string(&s["name"])?, string(&s["version"])?))).collect())
        .unwrap_or_default();
    let groups = root["groups"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|g| Group {
                    id: g["id"].as_str().unwrap_or_default().to_string(),
                    title: g["title"].as_str().unwrap_or_default().to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut commands = Vec::new();
    let mut skipped = Vec::new();
    for (i, c) in root["commands"].as_array().map(Vec::as_slice).unwrap_or(&[]).iter().enumerate() {
        if c["status"] == "supported" {
            if let Some(cmd) = parse_command(&format!("commands[{i}]"), c, &servers, cx) {
                commands.push(cmd);
            }
        } else if c["status"] == "skipped" {
            let name = string(&c["name"]).unwrap_or_default();
            let reason = string(&c["reason"]).unwrap_or_else(|| "the spec skips it".into());
            skipped.push(Skipped { name, reason });
        }
    }
    let records = records::parse(&root["records"], cx);
    Some(Spec { servers, groups, commands, skipped, records })
}

fn string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

fn servers(v: &Value) -> Option<Servers> {
    v.as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn parse_command(path: &str, c: &Value, recorded: &[(String, String)], cx: &Ctxt) -> Option<Command> {
    let name = string(&c["name"]).unwrap_or_default();
    let err = |field: &str, msg: String| cx.error(Some(&name), format!("{path}.{field}"), msg);
    let Some(rust) = string(&c["rust"]) else {
        err("rust", "missing method name".into());
        return None;
    };
    let reply = match c["reply"].as_str().map(reply::parse) {
        Some(Ok(r)) => r,
        Some(Err(e)) => {
            err("reply", e);
            return None;
        }
        None => {
            err("reply", "missing reply expression".into());
            return None;
        }
    };
    let history = c["history"]
        .as_array()
        .map(|h| {
            h.iter().filter_map(|p| Some((p[0].as_str()?.to_string(), p[1].as_str()?.to_string()))).collect()
        })
        .unwrap_or_default();
    let deprecated = c["deprecated"]
        .as_object()
        .map(|d| (d["since"].as_str().unwrap_or_default().to_string(), d.get("use").and_then(string)));
    let key_specs =
        c["key_specs"].as_array().map(|ks| ks.iter().map(parse_key_spec).collect()).unwrap_or_default();
    let type_name = string(&c["type"]).unwrap_or_else(|| crate::names::camel(&rust));
    let args = parse_args(&format!("{path}.args"), &c["args"], &name, cx);
    Some(Command {
        path: path.to_string(),
        name: name.clone(),
        rust,
        type_name,
        group: string(&c["group"]).unwrap_or_default(),
        since: string(&c["since"]),
        servers: servers(&c["servers"]).unwrap_or_default(),
        recorded: recorded.to_vec(),
        summary: string(&c["summary"]).unwrap_or_default(),
        complexity: string(&c["complexity"]),
        history,
        deprecated,
        flags: strings(&c["flags"]),
        tips: strings(&c["tips"]),
        key_specs,
        args,
        reply,
        doc: string(&c["doc"]),
        on: string(&c["on"]),
    })
}

fn parse_key_spec(v: &Value) -> KeySpec {
    let b = &v["begin_search"];
    let begin = match b["type"].as_str() {
        Some("index") => BeginSearch::Index(b["spec"]["index"].as_i64().unwrap_or(0)),
        Some("keyword") => BeginSearch::Keyword(
            b["spec"]["keyword"].as_str().unwrap_or_default().to_string(),
            b["spec"]["startfrom"].as_i64().unwrap_or(0),
        ),
        _ => BeginSearch::Unknown,
    };
    let f = &v["find_keys"];
    let n = |k: &str| f["spec"][k].as_i64().unwrap_or(0);
    let find = match f["type"].as_str() {
        Some("range") => FindKeys::Range(n("lastkey"), n("keystep"), n("limit")),
        Some("keynum") => FindKeys::Keynum(n("keynumidx"), n("firstkey"), n("keystep")),
        _ => FindKeys::Unknown,
    };
    KeySpec { begin, find, flags: strings(&v["flags"]) }
}

fn parse_args(path: &str, v: &Value, cmd: &str, cx: &Ctxt) -> Vec<Arg> {
    let Some(list) = v.as_array() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, a) in list.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let name = string(&a["name"]).unwrap_or_default();
        let kind_str = a["kind"].as_str().unwrap_or_default();
        let Some(kind) = ArgKind::parse(kind_str) else {
            cx.error(
                Some(cmd),
                format!("{p}.kind"),
                format!("argument `{name}` has unknown kind `{kind_str}`"),
            );
            continue;
        };
        let reply = match a["reply"].as_str().map(reply::parse) {
            Some(Ok(r)) => Some(r),
            Some(Err(e)) => {
                cx.error(Some(cmd), format!("{p}.reply"), e);
                None
            }
            None => None,
        };
        out.push(Arg {
            args: parse_args(&format!("{p}.args"), &a["args"], cmd, cx),
            path: p,
            rust: string(&a["rust"]).unwrap_or_default(),
            kind,
            token: string(&a["token"]),
            opt: a["opt"] == true,
            fixed: a["fixed"] == true,
            block: a["block"] == true,
            clears: strings(&a["clears"]),
            multi: a["multi"] == true,
            multi_token: a["multi_token"] == true,
            since: string(&a["since"]),
            servers: servers(&a["servers"]),
            reply,
            type_name: string(&a["type"]),
            min: a["min"].as_u64(),
            doc: string(&a["doc"]),
            name,
        });
    }
    out
}
