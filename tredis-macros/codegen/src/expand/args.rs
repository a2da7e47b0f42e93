//! Lowers a command's arguments into the pieces of its expansion: method parameters and the
//! code that encodes them at once, option fields with their setters and their encoding, and the
//! enums of oneofs.
//!
//! Required arguments are encoded when the method is called (no generic value is kept), in spec
//! order; those that follow optional ones (XADD's ID, ZADD's members) are encoded after a tail
//! mark so that options can be inserted before them. Options are stored typed, so that the last
//! call of a setter wins, and are encoded in spec order when the request is sent.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use crate::ctxt::Ctxt;
use crate::names::{camel, is_snake_ident, is_type_ident};
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

/// Storage type, parameter type and encoder method of a scalar kind.
fn scalar(kind: ArgKind) -> Option<(TokenStream, &'static str)> {
    Some(match kind {
        ArgKind::Int => (quote!(i64), "int"),
        ArgKind::Uint | ArgKind::Cursor => (quote!(u64), "uint"),
        ArgKind::Double => (quote!(f64), "double"),
        ArgKind::DurationS => (quote!(::core::time::Duration), "dur_s"),
        ArgKind::DurationMs => (quote!(::core::time::Duration), "dur_ms"),
        ArgKind::DurationFs => (quote!(::core::time::Duration), "dur_fs"),
        ArgKind::UnixS => (quote!(::std::time::SystemTime), "unix_s"),
        ArgKind::UnixMs => (quote!(::std::time::SystemTime), "unix_ms"),
        ArgKind::YesNo => (quote!(bool), "yesno"),
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
        ArgKind::Double => "a float",
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
    }
}

/// Encodes one scalar held in `v` (an expression).
fn encode_scalar(kind: ArgKind, v: TokenStream, what: &str) -> TokenStream {
    let (_, method) = scalar(kind).expect("scalar kind");
    let m = ident(method);
    match kind {
        ArgKind::DurationS | ArgKind::DurationMs | ArgKind::DurationFs | ArgKind::UnixS | ArgKind::UnixMs => {
            quote!(c.#m(#v, #what);)
        }
        _ => quote!(c.#m(#v);),
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

/// Lowers all arguments of `cmd`; shape errors go to `cx`.
pub fn lower(cmd: &Command, ntokens: usize, cx: &Ctxt) -> Lowered {
    let mut out = Lowered::default();
    let mut seen_opt = false;
    let mut tail = false;
    let mut pos = Some(ntokens);
    let mut rank = 0usize;
    for arg in &cmd.args {
        if !is_snake_ident(&arg.rust) {
            cx.error(
                Some(&cmd.name),
                format!("{}.rust", arg.path),
                format!(
                "`{}` is not a usable Rust name (a keyword or not snake_case): set \"rust\" in the overlay",
                arg.rust
            ),
            );
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
            optional(cmd, arg, rank, &mut out, cx);
            rank += 1;
        } else {
            if seen_opt && !tail {
                out.ctor.extend(quote!(c.mark_tail();));
                tail = true;
            }
            required(cmd, arg, &mut pos, &mut out, cx);
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

fn required(cmd: &Command, arg: &Arg, pos: &mut Option<usize>, out: &mut Lowered, cx: &Ctxt) {
    let name = ident(&arg.rust);
    let what = arg.token.clone().unwrap_or_else(|| arg.name.clone());
    let bump = |pos: &mut Option<usize>, n: usize| *pos = pos.map(|p| p + n);
    let doc = |extra: &str| format!("`{}`: {}{}", arg.rust, kind_doc(arg.kind), extra);
    match arg.kind {
        ArgKind::Token => {
            out.ctor.extend(token_stmt(arg));
            bump(pos, 1);
            return;
        }
        ArgKind::Numkeys => {
            out.numkeys_pending = true;
            *pos = None;
            return;
        }
        ArgKind::Cursor => {
            out.ctor.extend(token_stmt(arg));
            if arg.token.is_some() {
                bump(pos, 1);
            }
            out.cursor_index = *pos;
            if pos.is_none() {
                cx.error(Some(&cmd.name), &arg.path, "the cursor must follow only single required arguments");
            }
        }
        _ => {}
    }
    if arg.multi && arg.kind != ArgKind::Block {
        let bound =
            if arg.kind == ArgKind::Key { quote!(crate::args::ToKeys) } else { quote!(crate::args::ToArgs) };
        if !(arg.kind.is_bytes() || arg.kind.is_scalar()) {
            cx.error(Some(&cmd.name), &arg.path, "only keys, bytes and numbers can repeat");
            return;
        }
        let min = arg.min.unwrap_or(1) as u32;
        if std::mem::take(&mut out.numkeys_pending) {
            // The count goes first, so the items are encoded aside, then appended.
            out.ctor.extend(token_stmt(arg));
            out.ctor.extend(quote! {
                {
                    let mut items = crate::command::ArgList::new();
                    items.extend(::core::option::Option::None, &#name);
                    c.uint(u64::from(items.count()));
                    c.raw(&items);
                    c.check_min(items.count(), #min, #what);
                }
            });
        } else if arg.multi_token {
            let lit = bulk(arg.token.as_deref().unwrap_or_default());
            out.ctor.extend(quote!(c.args_with(#lit, &#name, #min, #what);));
        } else {
            out.ctor.extend(token_stmt(arg));
            out.ctor.extend(quote!(c.args(&#name, #min, #what);));
        }
        out.params.push(quote!(#name: impl #bound));
        out.param_docs.push(doc(&format!(", one or more (at least {min})")));
        *pos = None;
        return;
    }
    match arg.kind {
        ArgKind::Key | ArgKind::Bytes | ArgKind::Pattern => {
            let bound = if arg.kind == ArgKind::Key {
                quote!(crate::args::ToKey)
            } else {
                quote!(crate::args::ToArg)
            };
            out.ctor.extend(token_stmt(arg));
            out.ctor.extend(quote!(c.arg(&#name);));
            out.params.push(quote!(#name: impl #bound));
            out.param_docs.push(doc(""));
            bump(pos, 1 + usize::from(arg.token.is_some()));
        }
        ArgKind::Int
        | ArgKind::Uint
        | ArgKind::Double
        | ArgKind::DurationS
        | ArgKind::DurationMs
        | ArgKind::DurationFs
        | ArgKind::UnixS
        | ArgKind::UnixMs
        | ArgKind::YesNo
        | ArgKind::Cursor => {
            let (ty, _) = scalar(arg.kind).expect("scalar");
            if arg.kind != ArgKind::Cursor {
                out.ctor.extend(token_stmt(arg));
                bump(pos, usize::from(arg.token.is_some()));
            }
            out.ctor.extend(encode_scalar(arg.kind, quote!(#name), &what));
            out.ctor.extend(block_stmt(cmd, arg, quote!(#name), cx));
            out.params.push(quote!(#name: #ty));
            out.param_docs.push(doc(""));
            bump(pos, 1);
        }
        ArgKind::Bool => {
            let Some((on, off)) = bool_tokens(cmd, arg, cx) else {
                return;
            };
            out.ctor.extend(token_stmt(arg));
            out.ctor.extend(quote!(c.token(if #name { #on } else { #off });));
            out.params.push(quote!(#name: bool));
            out.param_docs.push(doc(""));
            *pos = None;
        }
        ArgKind::OneOf => {
            let Some(ty) = public_enum(cmd, arg, out, cx) else {
                return;
            };
            out.ctor.extend(token_stmt(arg));
            let arms = enum_arms(cmd, arg, &ty, cx);
            out.ctor.extend(quote!(match #name { #arms }));
            out.params.push(quote!(#name: #ty));
            out.param_docs.push(format!("`{}`: one of [`{}`]", arg.rust, ty));
            *pos = None;
        }
        ArgKind::Block if arg.multi => {
            let (generics, tys, encs) = tuple_fields(cmd, arg, out.generics.len(), cx);
            out.generics.extend(generics);
            let vars: Vec<Ident> = (0..tys.len()).map(|i| format_ident!("f{}", i)).collect();
            let min = arg.min.unwrap_or(1) as u32;
            let tok = token_stmt(arg);
            let per_item = if arg.multi_token { tok.clone() } else { TokenStream::new() };
            let once = if arg.multi_token { TokenStream::new() } else { tok };
            out.ctor.extend(quote! {
                #once
                let mut n = 0u32;
                for (#(#vars,)*) in #name {
                    #per_item
                    #(#encs)*
                    n += 1;
                }
                c.check_min(n, #min, #what);
            });
            out.params.push(quote!(#name: impl ::core::iter::IntoIterator<Item = (#(#tys,)*)>));
            let fields: Vec<&str> = arg.args.iter().map(|f| f.rust.as_str()).collect();
            out.param_docs.push(format!("`{}`: items of ({}), at least {min}", arg.rust, fields.join(", ")));
            *pos = None;
        }
        ArgKind::Block => {
            out.ctor.extend(token_stmt(arg));
            bump(pos, usize::from(arg.token.is_some()));
            for f in &arg.args {
                if f.opt {
                    cx.error(
                        Some(&cmd.name),
                        &f.path,
                        "optional fields inside a required block are not supported",
                    );
                    continue;
                }
                required(cmd, f, pos, out, cx);
            }
        }
        ArgKind::Token | ArgKind::Numkeys => {}
    }
}

/// For an iterator of tuples: generic parameters, item types and per-item encoding.
fn tuple_fields(
    cmd: &Command,
    arg: &Arg,
    first: usize,
    cx: &Ctxt,
) -> (Vec<TokenStream>, Vec<TokenStream>, Vec<TokenStream>) {
    let (mut generics, mut tys, mut encs) = (Vec::new(), Vec::new(), Vec::new());
    for (i, f) in arg.args.iter().enumerate() {
        let var = format_ident!("f{}", i);
        if f.opt || f.multi {
            cx.error(Some(&cmd.name), &f.path, "fields of a repeated block must be single and required");
            continue;
        }
        let tok = token_stmt(f);
        if f.kind.is_bytes() {
            let g = format_ident!("T{}", first + i);
            let bound =
                if f.kind == ArgKind::Key { quote!(crate::args::ToKey) } else { quote!(crate::args::ToArg) };
            generics.push(quote!(#g: #bound));
            tys.push(quote!(#g));
            encs.push(quote!(#tok c.arg(&#var);));
        } else if let Some((ty, _)) = scalar(f.kind) {
            tys.push(ty);
            let e = encode_scalar(f.kind, quote!(#var), &f.name);
            encs.push(quote!(#tok #e));
        } else {
            cx.error(Some(&cmd.name), &f.path, "fields of a repeated block must be keys, bytes or numbers");
        }
    }
    (generics, tys, encs)
}

/// Defines the public enum of a oneof whose variants are tokens or scalars; returns its type.
fn public_enum(cmd: &Command, arg: &Arg, out: &mut Lowered, cx: &Ctxt) -> Option<Ident> {
    let ty = arg.type_name.clone().unwrap_or_else(|| cmd.type_name.clone() + &camel(&arg.rust));
    if !is_type_ident(&ty) {
        cx.error(Some(&cmd.name), format!("{}.type", arg.path), format!("`{ty}` is not a type name"));
        return None;
    }
    let ty = ident(&ty);
    let mut variants = Vec::new();
    for v in &arg.args {
        let vname = ident(&camel(&v.rust));
        let doc = match (&v.token, v.kind) {
            (Some(t), ArgKind::Token) => format!(" `{t}`."),
            (Some(t), k) => format!(" `{t}` with {}.", kind_doc(k)),
            (None, k) => format!(" {}.", kind_doc(k)),
        };
        match v.kind {
            ArgKind::Token => variants.push(quote!(#[doc = #doc] #vname)),
            k if scalar(k).is_some() && !v.multi => {
                let (t, _) = scalar(k).expect("scalar");
                variants.push(quote!(#[doc = #doc] #vname(#t)));
            }
            _ => {
                cx.error(Some(&cmd.name), &v.path, "variants of this oneof must be tokens or numbers: the generator cannot give it a public enum");
                return None;
            }
        }
    }
    let tokens: Vec<String> =
        arg.args.iter().map(|v| format!("`{}`", v.token.as_deref().unwrap_or(&v.name))).collect();
    let doc = format!(" One of {}.", tokens.join(", "));
    let def = quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub enum #ty { #(#variants,)* }
    };
    // Two commands may share one enum (CLIENT KILL and CLIENT LIST `TYPE`): the group
    // defines each distinct definition once.
    out.enums.push(def);
    Some(ty)
}

/// Match arms encoding a public enum value.
fn enum_arms(cmd: &Command, arg: &Arg, ty: &Ident, cx: &Ctxt) -> TokenStream {
    let mut arms = TokenStream::new();
    for v in &arg.args {
        let vname = ident(&camel(&v.rust));
        let tok = token_stmt(v);
        if v.kind == ArgKind::Token {
            arms.extend(quote!(#ty::#vname => { #tok }));
        } else if scalar(v.kind).is_some() {
            let e = encode_scalar(v.kind, quote!(v), &v.name);
            arms.extend(quote!(#ty::#vname(v) => { #tok #e }));
        } else {
            cx.error(Some(&cmd.name), &v.path, "unsupported variant kind");
        }
    }
    arms
}

/// A value an option stores: its field type, how a setter parameter becomes it, how it encodes.
struct Payload {
    ty: TokenStream,
    param: Option<TokenStream>,
    store: TokenStream,
    encode: TokenStream,
}

/// Payload of a single, non-repeated value named `var`.
fn payload(cmd: &Command, a: &Arg, var: &Ident, cx: &Ctxt) -> Option<Payload> {
    let tok = token_stmt(a);
    let what = a.token.clone().unwrap_or_else(|| a.name.clone());
    if a.multi {
        cx.error(Some(&cmd.name), &a.path, "a repeated value cannot be nested here");
        return None;
    }
    Some(match a.kind {
        ArgKind::Token => Payload { ty: quote!(()), param: None, store: quote!(()), encode: tok },
        k if k.is_bytes() => {
            let bound =
                if k == ArgKind::Key { quote!(crate::args::ToKey) } else { quote!(crate::args::ToArg) };
            Payload {
                ty: quote!(crate::command::ArgList),
                param: Some(quote!(#var: impl #bound)),
                store: quote!(crate::command::ArgList::one(&#var)),
                encode: quote!(#tok c.raw(&#var);),
            }
        }
        k if scalar(k).is_some() => {
            let (ty, _) = scalar(k).expect("scalar");
            let e = encode_scalar(k, quote!(#var), &what);
            let b = block_stmt(cmd, a, quote!(#var), cx);
            Payload {
                ty: ty.clone(),
                param: Some(quote!(#var: #ty)),
                store: quote!(#var),
                encode: quote!(#tok #e #b),
            }
        }
        ArgKind::Bool => {
            let (on, off) = bool_tokens(cmd, a, cx)?;
            Payload {
                ty: quote!(bool),
                param: Some(quote!(#var: bool)),
                store: quote!(#var),
                encode: quote!(#tok c.token(if #var { #on } else { #off });),
            }
        }
        ArgKind::Block => {
            let mut tys = Vec::new();
            let mut params = Vec::new();
            let mut stores = Vec::new();
            let mut encs = Vec::new();
            let mut vars = Vec::new();
            for f in &a.args {
                if f.opt {
                    cx.error(
                        Some(&cmd.name),
                        &f.path,
                        "optional fields inside an option block are not supported yet",
                    );
                    return None;
                }
                let fv = ident(&f.rust);
                let p = payload(cmd, f, &fv, cx)?;
                tys.push(p.ty);
                params.extend(p.param);
                stores.push(p.store);
                encs.push(p.encode);
                vars.push(fv);
            }
            let inner = quote!((#(#vars,)*));
            Payload {
                ty: quote!((#(#tys,)*)),
                param: Some(quote!(#(#params),*)),
                store: quote!((#(#stores,)*)),
                encode: quote!({ let #inner = #var; #tok #(#encs)* }),
            }
        }
        _ => {
            cx.error(Some(&cmd.name), &a.path, "unsupported argument shape");
            return None;
        }
    })
}

fn setter_doc(cmd: &Command, a: &Arg, switch: Option<&ReplyExpr>) -> Vec<String> {
    let mut lines = Vec::new();
    let mut first = match &a.token {
        Some(t) if !t.is_empty() => format!("Sends `{t}`"),
        _ => format!("Sets `{}`", a.name),
    };
    if a.kind != ArgKind::Token && a.kind != ArgKind::OneOf {
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
    if let Some(s) = &a.since {
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

fn optional(cmd: &Command, arg: &Arg, rank: usize, out: &mut Lowered, cx: &Ctxt) {
    let field = ident(&arg.rust);
    let switch = arg.reply.clone().map(|r| (r, rank));
    let tok = token_stmt(arg);
    let push_setter = |out: &mut Lowered,
                       name: &str,
                       a: &Arg,
                       generics: Vec<TokenStream>,
                       params: Vec<TokenStream>,
                       body: TokenStream,
                       sw: Option<(ReplyExpr, usize)>| {
        out.setters.push(Setter {
            name: name.to_string(),
            doc: setter_doc(cmd, a, sw.as_ref().map(|s| &s.0)),
            generics,
            params,
            body,
            switch: sw,
        });
    };
    // Repeated values accumulate pre-encoded; the token goes once, or before each item.
    if arg.multi {
        if arg.kind == ArgKind::Block {
            let (generics, tys, encs) = tuple_fields(cmd, arg, 0, cx);
            let vars: Vec<Ident> = (0..tys.len()).map(|i| format_ident!("f{}", i)).collect();
            let per_item = if arg.multi_token { tok.clone() } else { TokenStream::new() };
            let once = if arg.multi_token { TokenStream::new() } else { tok.clone() };
            out.fields.push(Field {
                name: field.clone(),
                ty: quote!(crate::command::ArgList),
                init: quote!(crate::command::ArgList::new()),
            });
            push_setter(
                out,
                &arg.rust,
                arg,
                generics,
                vec![quote!(items: impl ::core::iter::IntoIterator<Item = (#(#tys,)*)>)],
                quote! {
                    let c = &mut c.#field;
                    for (#(#vars,)*) in items {
                        #per_item
                        #(#encs)*
                    }
                },
                switch,
            );
            out.encode.extend(quote!(if !self.#field.is_empty() { #once c.raw(&self.#field); }));
            return;
        }
        if !(arg.kind.is_bytes() || arg.kind.is_scalar()) {
            cx.error(Some(&cmd.name), &arg.path, "only keys, bytes, numbers and blocks can repeat");
            return;
        }
        let bound =
            if arg.kind == ArgKind::Key { quote!(crate::args::ToKeys) } else { quote!(crate::args::ToArgs) };
        let prefix = match (&arg.token, arg.multi_token) {
            (Some(t), true) => {
                let lit = bulk(t);
                quote!(::core::option::Option::Some(#lit))
            }
            _ => quote!(::core::option::Option::None),
        };
        let once = if arg.multi_token { TokenStream::new() } else { tok };
        out.fields.push(Field {
            name: field.clone(),
            ty: quote!(crate::command::ArgList),
            init: quote!(crate::command::ArgList::new()),
        });
        push_setter(
            out,
            &arg.rust,
            arg,
            vec![],
            vec![quote!(values: impl #bound)],
            quote!(c.#field.extend(#prefix, &values);),
            switch,
        );
        out.encode.extend(quote!(if !self.#field.is_empty() { #once c.raw(&self.#field); }));
        return;
    }
    match arg.kind {
        ArgKind::Token if arg.fixed => out.encode.extend(tok),
        ArgKind::Token => {
            out.fields.push(Field { name: field.clone(), ty: quote!(bool), init: quote!(false) });
            push_setter(out, &arg.rust, arg, vec![], vec![], quote!(c.#field = true;), switch);
            out.encode.extend(quote!(if self.#field { #tok }));
        }
        ArgKind::OneOf if arg.token.is_some() || arg.type_name.is_some() => {
            let Some(ty) = public_enum(cmd, arg, out, cx) else {
                return;
            };
            let arms = enum_arms(cmd, arg, &ty, cx);
            option_field(out, &field, quote!(#ty));
            push_setter(
                out,
                &arg.rust,
                arg,
                vec![],
                vec![quote!(value: #ty)],
                quote!(c.#field = ::core::option::Option::Some(value);),
                switch,
            );
            out.encode.extend(
                quote!(if let ::core::option::Option::Some(v) = self.#field { #tok match v { #arms } }),
            );
        }
        ArgKind::OneOf => {
            // One setter per variant; the choice is kept in a private enum.
            let ty = format_ident!("{}{}", cmd.type_name, camel(&arg.rust));
            let mut variants = Vec::new();
            let mut arms = TokenStream::new();
            for v in &arg.args {
                if !is_snake_ident(&v.rust) {
                    cx.error(
                        Some(&cmd.name),
                        format!("{}.rust", v.path),
                        format!("`{}` is not a usable Rust name: set \"rust\" in the overlay", v.rust),
                    );
                    continue;
                }
                let vname = ident(&camel(&v.rust));
                let var = ident(&v.rust);
                let Some(p) = payload(cmd, v, &var, cx) else {
                    continue;
                };
                let sw = v.reply.clone().map(|r| (r, rank)).or_else(|| switch.clone());
                let (pty, store, enc) = (p.ty, p.store, p.encode);
                if v.kind == ArgKind::Token {
                    variants.push(quote!(#vname));
                    arms.extend(quote!(#ty::#vname => { #enc }));
                    push_setter(
                        out,
                        &v.rust,
                        v,
                        vec![],
                        vec![],
                        quote!(c.#field = ::core::option::Option::Some(#ty::#vname);),
                        sw,
                    );
                } else {
                    variants.push(quote!(#vname(#pty)));
                    arms.extend(quote!(#ty::#vname(#var) => { #enc }));
                    push_setter(
                        out,
                        &v.rust,
                        v,
                        vec![],
                        p.param.into_iter().collect(),
                        quote!(c.#field = ::core::option::Option::Some(#ty::#vname(#store));),
                        sw,
                    );
                }
            }
            out.enums.push(quote! {
                #[derive(Debug, Clone)]
                enum #ty { #(#variants,)* }
            });
            option_field(out, &field, quote!(#ty));
            out.encode.extend(quote!(if let ::core::option::Option::Some(v) = ::core::mem::take(&mut self.#field) { #tok match v { #arms } }));
        }
        _ => {
            let var = ident(&arg.rust);
            // The option's own token is written by the payload encoding.
            let Some(p) = payload(cmd, arg, &var, cx) else {
                return;
            };
            let (pty, store, enc) = (p.ty, p.store, p.encode);
            option_field(out, &field, pty);
            push_setter(
                out,
                &arg.rust,
                arg,
                vec![],
                p.param.into_iter().collect(),
                quote!(c.#field = ::core::option::Option::Some(#store);),
                switch,
            );
            out.encode.extend(quote!(if let ::core::option::Option::Some(#var) = ::core::mem::take(&mut self.#field) { #enc }));
        }
    }
}
