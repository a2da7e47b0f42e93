//! Lowers a command's arguments into the pieces of its expansion: method parameters and the
//! code that encodes them at once, option fields with their setters and their encoding, and the
//! enums of oneofs.
//!
//! Required arguments are encoded when the method is called (no generic value is kept), in spec
//! order; those that follow optional ones (XADD's ID, ZADD's members) are encoded after a tail
//! mark so that options can be inserted before them. Options are stored typed, so that the last
//! call of a setter wins, and are encoded in spec order when the request is sent.

mod optional;
mod required;
mod values;

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use crate::ctxt::Ctxt;
use crate::names::is_snake_ident;
use crate::spec::{Arg, ArgKind, Command, ReplyExpr};

/// Setter names that would shadow methods of the runtime's request type.
const RESERVED: &[&str] = &["into_future", "with_timeout", "idempotent", "stream", "encode", "new", "map"];

/// Everything the argument list contributes to a command's expansion.
#[derive(Default)]
pub struct Lowered {
    /// Generic parameters of the method (for iterators of tuples).
    pub generics: Vec<TokenStream>,
    /// Method parameters.
    pub params: Vec<TokenStream>,
    /// One Markdown line per parameter.
    pub param_docs: Vec<String>,
    /// Statements encoding required arguments into `c`.
    pub ctor: TokenStream,
    /// Option fields of the request struct.
    pub fields: Vec<Field>,
    /// Statements encoding options from `self` into `c`.
    pub encode: TokenStream,
    /// Setters on the request.
    pub setters: Vec<Setter>,
    /// Enum definitions.
    pub enums: Vec<TokenStream>,
    /// RESP index of the SCAN cursor, when there is one.
    pub cursor_index: Option<usize>,
    /// A `numkeys` argument waits for the repeated argument it counts.
    numkeys_pending: bool,
    /// Rank of the next option, for reply switches (later options win).
    rank: usize,
}

/// An option field.
pub struct Field {
    /// Field name.
    pub name: Ident,
    /// Field type.
    pub ty: TokenStream,
    /// Initial (unset) value.
    pub init: TokenStream,
}

/// A setter on the request.
pub struct Setter {
    /// Method name.
    pub name: String,
    /// Doc lines.
    pub doc: Vec<String>,
    /// Generic parameters.
    pub generics: Vec<TokenStream>,
    /// Parameters.
    pub params: Vec<TokenStream>,
    /// Statements on `c: &mut <Request>`.
    pub body: TokenStream,
    /// The reply it switches to, and its rank (later arguments win).
    pub switch: Option<(ReplyExpr, usize)>,
}

/// A bulk-string literal: `NX` -> `b"$2\r\nNX\r\n"`.
pub fn bulk(token: &str) -> Literal {
    Literal::byte_string(format!("${}\r\n{}\r\n", token.len(), token).as_bytes())
}

fn ident(s: &str) -> Ident {
    format_ident!("{}", s)
}

/// How a leaf kind is passed, stored and encoded.
struct Leaf {
    /// The type a setter stores (and an enum variant holds).
    store: TokenStream,
    /// The parameter type.
    param: TokenStream,
    /// True when the parameter converts with `.into()`.
    into: bool,
    /// The `CmdBuf`/`ArgList` method that encodes it.
    method: &'static str,
    /// True when the method takes the argument's name, for its error messages.
    what: bool,
}

/// The leaf description of a scalar kind (numbers, durations, times, bounds).
fn leaf(kind: ArgKind) -> Option<Leaf> {
    let plain =
        |store: TokenStream, method, what| Leaf { param: store.clone(), store, into: false, method, what };
    let bound = |store: TokenStream, method| Leaf {
        param: quote!(impl ::core::convert::Into<#store>),
        store,
        into: true,
        method,
        what: true,
    };
    Some(match kind {
        ArgKind::Int => plain(quote!(i64), "int", false),
        ArgKind::Uint | ArgKind::Cursor => plain(quote!(u64), "uint", false),
        ArgKind::Double => plain(quote!(f64), "double_arg", true),
        ArgKind::DurationS => plain(quote!(::core::time::Duration), "dur_s", true),
        ArgKind::DurationMs => plain(quote!(::core::time::Duration), "dur_ms", true),
        ArgKind::DurationFs => plain(quote!(::core::time::Duration), "dur_fs", true),
        ArgKind::UnixS => plain(quote!(::std::time::SystemTime), "unix_s", true),
        ArgKind::UnixMs => plain(quote!(::std::time::SystemTime), "unix_ms", true),
        ArgKind::YesNo => plain(quote!(bool), "yesno", false),
        ArgKind::ScoreBound => bound(quote!(crate::args::ScoreBound), "score_bound"),
        ArgKind::LexBound => bound(quote!(crate::args::LexBound), "lex_bound"),
        ArgKind::RangeBound => bound(quote!(crate::args::RangeBound), "range_bound"),
        _ => return None,
    })
}

fn kind_doc(kind: ArgKind) -> &'static str {
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

/// Encodes one leaf value held in `v` (an expression) into `c`.
fn encode_leaf(kind: ArgKind, v: TokenStream, what: &str) -> TokenStream {
    let l = leaf(kind).expect("leaf kind");
    let m = ident(l.method);
    if l.what {
        quote!(c.#m(#v, #what);)
    } else {
        quote!(c.#m(#v);)
    }
}

/// `c.blocks(v)` for the argument that says how long the command blocks.
fn block_stmt(cmd: &Command, arg: &Arg, v: TokenStream, cx: &Ctxt) -> TokenStream {
    if !arg.block {
        return TokenStream::new();
    }
    if !matches!(arg.kind, ArgKind::DurationS | ArgKind::DurationMs | ArgKind::DurationFs) {
        cx.error(Some(&cmd.name), &arg.path, "only a duration can say how long a command blocks");
    }
    quote!(c.blocks(#v);)
}

fn token_stmt(arg: &Arg) -> TokenStream {
    match &arg.token {
        Some(t) => {
            let lit = bulk(t);
            quote!(c.token(#lit);)
        }
        None => TokenStream::new(),
    }
}

/// The ON/OFF tokens of a `bool` argument, from its two variants.
fn bool_tokens(cmd: &Command, arg: &Arg, cx: &Ctxt) -> Option<(Literal, Literal)> {
    let toks: Vec<&str> = arg.args.iter().filter_map(|v| v.token.as_deref()).collect();
    if arg.args.len() != 2 || toks.len() != 2 {
        cx.error(
            Some(&cmd.name),
            &arg.path,
            format!("`{}` of kind bool needs exactly two token variants", arg.name),
        );
        return None;
    }
    Some((bulk(toks[0]), bulk(toks[1])))
}

/// The name an argument uses in error messages: its token, else its name.
fn what(arg: &Arg) -> String {
    arg.token.clone().filter(|t| !t.is_empty()).unwrap_or_else(|| arg.name.clone())
}

/// Checks that an argument's Rust name is usable.
fn check_name(cmd: &Command, arg: &Arg, cx: &Ctxt) -> bool {
    if is_snake_ident(&arg.rust) {
        return true;
    }
    cx.error(
        Some(&cmd.name),
        format!("{}.rust", arg.path),
        format!(
            "`{}` is not a usable Rust name (a keyword or not snake_case): set \"rust\" in the overlay",
            arg.rust
        ),
    );
    false
}

/// Lowers all arguments of `cmd`; shape errors go to `cx`.
pub fn lower(cmd: &Command, ntokens: usize, cx: &Ctxt) -> Lowered {
    let mut out = Lowered::default();
    let mut seen_opt = false;
    let mut tail = false;
    let mut pos = Some(ntokens);
    for arg in &cmd.args {
        let named = arg.kind == ArgKind::Token && !arg.opt;
        if !named && !check_name(cmd, arg, cx) {
            continue;
        }
        if arg.opt {
            if tail {
                cx.error(
                    Some(&cmd.name),
                    &arg.path,
                    "an optional argument after required ones that follow options is not supported",
                );
            }
            seen_opt = true;
            pos = None;
            let (encode, _) = optional::lower(cmd, arg, &mut out, cx);
            out.encode.extend(encode);
        } else if arg.kind == ArgKind::Block && arg.args.iter().any(|f| f.opt) {
            // Encoded with the options, so the arguments after it form the tail.
            if tail {
                cx.error(Some(&cmd.name), &arg.path, "a block with options after the tail is not supported");
            }
            seen_opt = true;
            pos = None;
            let encode = optional::required_block(cmd, arg, &mut out, cx);
            out.encode.extend(encode);
        } else {
            if seen_opt && !tail {
                out.ctor.extend(quote!(c.mark_tail();));
                tail = true;
            }
            required::lower(cmd, arg, &mut pos, &mut out, cx);
        }
    }
    if out.numkeys_pending {
        cx.error(
            Some(&cmd.name),
            &cmd.path,
            "a numkeys argument must be followed by the repeated argument it counts",
        );
    }
    let mut names: Vec<&str> = out.setters.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    for w in names.windows(2) {
        if w[0] == w[1] {
            cx.error(
                Some(&cmd.name),
                &cmd.path,
                format!("two options would both be named `{}`: rename one in the overlay", w[0]),
            );
        }
    }
    for s in &out.setters {
        if RESERVED.contains(&s.name.as_str()) {
            cx.error(
                Some(&cmd.name),
                &cmd.path,
                format!("option name `{}` is reserved by the request type: rename it in the overlay", s.name),
            );
        }
    }
    out
}

/// Doc lines of a setter.
/// How a setter relates to the others, for its doc.
#[derive(Default)]
struct Relations<'a> {
    /// The option it needs (nested options).
    needs: Option<&'a str>,
    /// The other variants of its oneof, which it replaces.
    rivals: Vec<String>,
    /// Options it unsets besides its own `clears` (those of its oneof).
    clears: Vec<String>,
}

impl<'a> Relations<'a> {
    fn needing(needs: Option<&'a str>) -> Self {
        Relations { needs, ..Relations::default() }
    }
}

/// `[`a`](Self::a), [`b`](Self::b) or [`c`](Self::c)`.
fn setter_links(names: &[String], last: &str) -> String {
    let links: Vec<String> = names.iter().map(|n| format!("[`{n}`](Self::{n})")).collect();
    match links.split_last() {
        Some((end, [])) => end.clone(),
        Some((end, rest)) => format!("{} {last} {end}", rest.join(", ")),
        None => String::new(),
    }
}

/// The setters of option field `field`: one per variant for a oneof kept in a private enum
/// (see `optional::variants`), else the field's own.
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

fn setter_doc(cmd: &Command, a: &Arg, switch: Option<&ReplyExpr>, rel: &Relations<'_>) -> Vec<String> {
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
    if let Some(d) = &a.doc {
        lines.push(String::new());
        lines.push(d.clone());
    }
    if a.multi {
        lines.push(String::new());
        lines.push("Takes one value or many; calling it again adds more.".into());
    }
    if !rel.rivals.is_empty() {
        lines.push(String::new());
        lines.push(format!(
            "Replaces {}: they exclude each other, and the last one set is sent.",
            setter_links(&rel.rivals, "or")
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
        lines.push(String::new());
        lines.push(format!(
            "Unsets {}, which the server does not take together with it.",
            setter_links(&unset, "and")
        ));
    }
    if let Some(n) = rel.needs {
        lines.push(String::new());
        lines.push(format!("Only with [`{n}`](Self::{n}); alone, the request fails before sending."));
    }
    if let Some(servers) = &a.servers {
        lines.push(String::new());
        lines.push(format!("Only on {}.", crate::expand::docs::servers(servers, &cmd.recorded)));
    } else if let Some(s) = &a.since {
        lines.push(String::new());
        lines.push(format!("Since Redis {s}."));
    }
    if let Some(r) = switch {
        lines.push(String::new());
        lines.push(format!("The reply becomes `{}`.", r.output()));
    }
    lines.push(String::new());
    lines.push(format!("Option of `{}`.", cmd.name));
    lines
}

/// An option field holding `Option<ty>`, unset at first.
fn option_field(out: &mut Lowered, name: &Ident, ty: TokenStream) {
    out.fields.push(Field {
        name: name.clone(),
        ty: quote!(::core::option::Option<#ty>),
        init: quote!(::core::option::Option::None),
    });
}
