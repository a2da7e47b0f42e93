//! Lowers a command's arguments into the pieces of its expansion: method parameters and the
//! code that encodes them at once, option fields with their setters and their encoding, and the
//! enums of oneofs.
//!
//! Required arguments are encoded when the method is called (no generic value is kept), in spec
//! order; those that follow optional ones (XADD's ID, ZADD's members) are encoded after a tail
//! mark so that options can be inserted before them. Options are stored typed, so that the last
//! call of a setter wins, and are encoded in spec order when the request is sent.
//!
//! The walk is one `Lowering`: the command, the error accumulator, the pieces produced so far
//! and where the walk is. `required`, `optional` and `values` each add its methods.

mod docs;

pub use docs::{option_anchor, option_heading, option_link};
mod optional;
mod required;
mod values;

#[cfg(test)]
mod tests;

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

/// Lowers all arguments of `cmd`, whose name is `ntokens` words; shape errors go to `cx`.
pub fn lower(cmd: &Command, ntokens: usize, cx: &Ctxt) -> Lowered {
    let mut l =
        Lowering { cmd, cx, out: Lowered::default(), pos: Some(ntokens), numkeys_pending: false, rank: 0 };
    l.args();
    l.finish()
}

/// One command's arguments being lowered.
struct Lowering<'a> {
    /// The command.
    cmd: &'a Command,
    /// Where shape errors go.
    cx: &'a Ctxt,
    /// What is produced so far.
    out: Lowered,
    /// RESP index of the next required argument, while it is known (for the SCAN cursor).
    pos: Option<usize>,
    /// A `numkeys` argument waits for the repeated argument it counts.
    numkeys_pending: bool,
    /// Rank of the next option, for reply switches (later options win).
    rank: usize,
}

impl<'a> Lowering<'a> {
    /// Walks the top-level arguments in spec order.
    fn args(&mut self) {
        let cmd = self.cmd;
        let mut seen_opt = false;
        let mut tail = false;
        for arg in &cmd.args {
            let named = arg.kind == ArgKind::Token && !arg.opt;
            if !named && !self.check_name(arg) {
                continue;
            }
            if arg.opt {
                if tail {
                    self.error(
                        &arg.path,
                        "an optional argument after required ones that follow options is not supported",
                    );
                }
                seen_opt = true;
                self.pos = None;
                let (encode, _) = self.option(arg, None);
                self.out.encode.extend(encode);
            } else if arg.kind == ArgKind::Block && arg.args.iter().any(|f| f.opt) {
                // Encoded with the options, so the arguments after it form the tail.
                if tail {
                    self.error(&arg.path, "a block with options after the tail is not supported");
                }
                seen_opt = true;
                self.pos = None;
                let (encode, _) = self.block(arg, None);
                self.out.encode.extend(encode);
            } else {
                if seen_opt && !tail {
                    self.out.ctor.extend(quote!(c.mark_tail();));
                    tail = true;
                }
                self.required(arg);
            }
        }
    }

    /// Checks what only the whole list shows, and hands the pieces over.
    fn finish(self) -> Lowered {
        let cmd = self.cmd;
        if self.numkeys_pending {
            self.error(&cmd.path, "a numkeys argument must be followed by the repeated argument it counts");
        }
        let mut names: Vec<&str> = self.out.setters.iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        for w in names.windows(2) {
            if w[0] == w[1] {
                self.error(
                    &cmd.path,
                    format!("two options would both be named `{}`: rename one in the overlay", w[0]),
                );
            }
        }
        for s in &self.out.setters {
            if RESERVED.contains(&s.name.as_str()) {
                self.error(
                    &cmd.path,
                    format!(
                        "option name `{}` is reserved by the request type: rename it in the overlay",
                        s.name
                    ),
                );
            }
        }
        self.out
    }

    /// Records a shape error of this command at `path`.
    fn error(&self, path: &str, msg: impl Into<String>) {
        self.cx.error(Some(&self.cmd.name), path, msg);
    }

    /// Checks that an argument's Rust name is usable.
    fn check_name(&self, arg: &Arg) -> bool {
        if is_snake_ident(&arg.rust) {
            return true;
        }
        self.error(
            &format!("{}.rust", arg.path),
            format!(
                "`{}` is not a usable Rust name (a keyword or not snake_case): set \"rust\" in the overlay",
                arg.rust
            ),
        );
        false
    }

    /// `c.blocks(v)` for the argument that says how long the command blocks.
    fn block_stmt(&self, arg: &Arg, v: TokenStream) -> TokenStream {
        if !arg.block {
            return TokenStream::new();
        }
        if !matches!(arg.kind, ArgKind::DurationS | ArgKind::DurationMs | ArgKind::DurationFs) {
            self.error(&arg.path, "only a duration can say how long a command blocks");
        }
        quote!(c.blocks(#v);)
    }

    /// The ON/OFF tokens of a `bool` argument, from its two variants.
    fn bool_tokens(&self, arg: &Arg) -> Option<(Literal, Literal)> {
        let toks: Vec<&str> = arg.args.iter().filter_map(|v| v.token.as_deref()).collect();
        if arg.args.len() != 2 || toks.len() != 2 {
            self.error(&arg.path, format!("`{}` of kind bool needs exactly two token variants", arg.name));
            return None;
        }
        Some((bulk(toks[0]), bulk(toks[1])))
    }

    /// An option field holding `Option<ty>`, unset at first.
    fn option_field(&mut self, name: &Ident, ty: TokenStream) {
        self.out.fields.push(Field {
            name: name.clone(),
            ty: quote!(::core::option::Option<#ty>),
            init: quote!(::core::option::Option::None),
        });
    }
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

/// `c.token(..)` for an argument's own token, or nothing.
fn token_stmt(arg: &Arg) -> TokenStream {
    match &arg.token {
        Some(t) => {
            let lit = bulk(t);
            quote!(c.token(#lit);)
        }
        None => TokenStream::new(),
    }
}

/// The name an argument uses in error messages: its token, else its name.
fn what(arg: &Arg) -> String {
    arg.token.clone().filter(|t| !t.is_empty()).unwrap_or_else(|| arg.name.clone())
}

/// `crate::args::ToKey` for a key, `ToArg` for other bytes; `ToKeys`/`ToArgs` when `many`.
fn bytes_bound(kind: ArgKind, many: bool) -> TokenStream {
    match (kind == ArgKind::Key, many) {
        (true, false) => quote!(crate::args::ToKey),
        (false, false) => quote!(crate::args::ToArg),
        (true, true) => quote!(crate::args::ToKeys),
        (false, true) => quote!(crate::args::ToArgs),
    }
}
