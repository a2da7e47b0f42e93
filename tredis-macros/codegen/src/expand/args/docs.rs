//! Doc text of parameters and setters: what a kind takes, and how a setter relates to the
//! others (the reply it switches to, the option it needs, those it replaces or unsets).

use crate::spec::{Arg, ArgKind, Command, ReplyExpr};

/// What a value of `kind` is, for parameter and setter docs.
pub(super) fn kind_doc(kind: ArgKind) -> &'static str {
    match kind {
        ArgKind::Key => "a key",
        ArgKind::Bytes => "bytes",
        ArgKind::Pattern => "a glob-style pattern",
        ArgKind::Int => "an integer",
        ArgKind::Uint => "a non-negative integer",
        ArgKind::Double => "a float (not NaN)",
        ArgKind::DurationS => "a duration, sent as whole seconds",
        ArgKind::DurationMs => "a duration, sent as milliseconds",
        ArgKind::DurationFs => "a duration, sent as seconds with up to millisecond precision",
        ArgKind::UnixS => "a point in time, sent as Unix seconds",
        ArgKind::UnixMs => "a point in time, sent as Unix milliseconds",
        ArgKind::Token => "a flag",
        ArgKind::OneOf => "one of several choices",
        ArgKind::Block => "a group of values",
        ArgKind::Bool => "on or off",
        ArgKind::YesNo => "yes or no",
        ArgKind::Cursor => "a cursor; 0 starts an iteration",
        ArgKind::Numkeys => "counted by the client",
        ArgKind::ScoreBound => "a score bound: a float (inclusive), `ScoreBound::excl`, or an infinity",
        ArgKind::LexBound => "a lexical bound: `LexBound::incl`, `LexBound::excl`, `LexBound::MIN` or `MAX`",
        ArgKind::RangeBound => "an index, a `ScoreBound` (with `by_score`) or a `LexBound` (with `by_lex`)",
    }
}

/// How a setter relates to the rest of the request: its reply and its doc.
#[derive(Default, Clone)]
pub(super) struct Relations<'a> {
    /// The reply it switches to, and its rank (later arguments win).
    pub switch: Option<(ReplyExpr, usize)>,
    /// The option it needs (nested options).
    pub needs: Option<&'a str>,
    /// The other variants of its oneof, which it replaces.
    pub rivals: Vec<String>,
    /// Options it unsets besides its own `clears` (those of its oneof).
    pub clears: Vec<String>,
}

impl<'a> Relations<'a> {
    /// Only a reply switch and the option needed.
    pub fn new(switch: Option<(ReplyExpr, usize)>, needs: Option<&'a str>) -> Self {
        Relations { switch, needs, ..Relations::default() }
    }
}

/// A link to option `name` of `cmd`: its section in the docs of the command's request type.
/// Every command's options have a page of their own there; the setters all live on `Req`,
/// where options of the same name (SET's `nx`, EXPIRE's `nx`) would share one anchor.
pub fn option_link(cmd: &Command, name: &str) -> String {
    // The full path: a request type may share its name with a prelude item (COPY's `Copy`).
    let module = cmd.group.replace('-', "_");
    format!("[`{name}`](crate::commands::{module}::{}#{})", cmd.type_name, option_anchor(name))
}

/// The anchor rustdoc gives the heading [`option_heading`] of `name`.
pub fn option_anchor(name: &str) -> String {
    format!("option-{name}")
}

/// The heading of option `name` in its request type's docs.
pub fn option_heading(name: &str) -> String {
    format!("### Option `{name}`")
}

/// `[`a`](..), [`b`](..) or [`c`](..)`, each to its section.
fn setter_links(cmd: &Command, names: &[String], last: &str) -> String {
    let links: Vec<String> = names.iter().map(|n| option_link(cmd, n)).collect();
    match links.split_last() {
        Some((end, [])) => end.clone(),
        Some((end, rest)) => format!("{} {last} {end}", rest.join(", ")),
        None => String::new(),
    }
}

/// The setters of option field `field`: one per variant for a oneof kept in a private enum
/// (see `Lowering::variants`), else the field's own.
fn setters_of(args: &[Arg], field: &str) -> Vec<String> {
    for a in args {
        if a.rust == field {
            let per_variant =
                a.kind == ArgKind::OneOf && a.token.is_none() && a.type_name.is_none() && !a.multi;
            return if per_variant {
                a.args.iter().map(|v| v.rust.clone()).collect()
            } else {
                vec![a.rust.clone()]
            };
        }
        let nested = setters_of(&a.args, field);
        if !nested.is_empty() {
            return nested;
        }
    }
    Vec::new()
}

/// Doc lines of the setter of `a`, an option of `cmd`.
pub(super) fn setter_doc(cmd: &Command, a: &Arg, rel: &Relations<'_>) -> Vec<String> {
    let mut lines = Vec::new();
    let mut first = match &a.token {
        Some(t) if !t.is_empty() => format!("Sends `{t}`"),
        _ => format!("Sets `{}`", a.name),
    };
    if !matches!(a.kind, ArgKind::Token | ArgKind::OneOf | ArgKind::Block) {
        first += &format!(" with {}", kind_doc(a.kind));
    }
    first.push('.');
    lines.push(first);
    let mut para = |line: String| {
        lines.push(String::new());
        lines.push(line);
    };
    if let Some(d) = &a.doc {
        para(d.clone());
    }
    if a.multi {
        para("Takes one value or many; calling it again adds more.".into());
    }
    if !rel.rivals.is_empty() {
        para(format!(
            "Replaces {}: they exclude each other, and the last one set is sent.",
            setter_links(cmd, &rel.rivals, "or")
        ));
    }
    // A `clears` entry names an option field (`comparison`) or one variant of it (`condition.nx`).
    let unset: Vec<String> = a
        .clears
        .iter()
        .chain(&rel.clears)
        .flat_map(|c| match c.split_once('.') {
            Some((_, variant)) => vec![variant.to_lowercase()],
            None => setters_of(&cmd.args, c),
        })
        .collect();
    if !unset.is_empty() {
        para(format!(
            "Unsets {}, which the server does not take together with it.",
            setter_links(cmd, &unset, "and")
        ));
    }
    if let Some(n) = rel.needs {
        para(format!("Only with {}; alone, the request fails before sending.", option_link(cmd, n)));
    }
    if let Some(servers) = &a.servers {
        para(format!("Only on {}.", crate::expand::docs::servers(servers, &cmd.recorded)));
    } else if let Some(s) = &a.since {
        para(format!("Since Redis {s}."));
    }
    if let Some((r, _)) = &rel.switch {
        para(format!("The reply becomes `{}`.", r.output()));
    }
    para(format!("Option of `{}`.", cmd.name));
    lines
}
