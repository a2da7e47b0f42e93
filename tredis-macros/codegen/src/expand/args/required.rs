//! Required arguments: method parameters, encoded when the method is called.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::values::{enum_arms, public_enum};
use super::{block_stmt, bool_tokens, bulk, encode_leaf, ident, kind_doc, leaf, token_stmt, what, Lowered};
use crate::ctxt::Ctxt;
use crate::spec::{Arg, ArgKind, Command};

/// Lowers one required argument; `pos` tracks its RESP index while it is known.
pub(super) fn lower(cmd: &Command, arg: &Arg, pos: &mut Option<usize>, out: &mut Lowered, cx: &Ctxt) {
    let name = ident(&arg.rust);
    let what = what(arg);
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
        repeated(cmd, arg, out, cx);
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
        ArgKind::Bool => {
            let Some((on, off)) = bool_tokens(cmd, arg, cx) else { return };
            out.ctor.extend(token_stmt(arg));
            out.ctor.extend(quote!(c.token(if #name { #on } else { #off });));
            out.params.push(quote!(#name: bool));
            out.param_docs.push(doc(""));
            *pos = None;
        }
        ArgKind::OneOf => {
            let Some(ty) = public_enum(cmd, arg, out, cx) else { return };
            out.ctor.extend(token_stmt(arg));
            let arms = enum_arms(cmd, arg, &ty, out, cx);
            out.ctor.extend(quote!(match #name { #arms }));
            out.params.push(quote!(#name: #ty));
            out.param_docs.push(format!("`{}`: one of [`{}`]", arg.rust, ty));
            *pos = None;
        }
        ArgKind::Block if arg.multi => {
            let (generics, tys, encs) = tuple_fields(cmd, arg, out.generics.len(), cx);
            out.generics.extend(generics);
            let vars: Vec<_> = (0..tys.len()).map(|i| format_ident!("f{}", i)).collect();
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
        ArgKind::Block if !arg.args.is_empty() && arg.args.iter().all(|f| f.multi) => {
            columns(cmd, arg, out, cx);
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
                lower(cmd, f, pos, out, cx);
            }
        }
        ArgKind::Token | ArgKind::Numkeys => {}
        k => {
            let Some(l) = leaf(k) else {
                cx.error(Some(&cmd.name), &arg.path, "unsupported argument shape");
                return;
            };
            if arg.kind != ArgKind::Cursor {
                out.ctor.extend(token_stmt(arg));
                bump(pos, usize::from(arg.token.is_some()));
            }
            let value = if l.into { quote!(#name.into()) } else { quote!(#name) };
            out.ctor.extend(encode_leaf(k, value, &what));
            out.ctor.extend(block_stmt(cmd, arg, quote!(#name), cx));
            let param = l.param;
            out.params.push(quote!(#name: #param));
            out.param_docs.push(doc(""));
            bump(pos, 1);
        }
    }
}

/// A repeated argument: one value or many, possibly counted by a `numkeys` before it.
fn repeated(cmd: &Command, arg: &Arg, out: &mut Lowered, cx: &Ctxt) {
    let name = ident(&arg.rust);
    let what = what(arg);
    let bound =
        if arg.kind == ArgKind::Key { quote!(crate::args::ToKeys) } else { quote!(crate::args::ToArgs) };
    if !(arg.kind.is_bytes() || leaf(arg.kind).is_some_and(|l| !l.into)) {
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
    out.param_docs.push(format!("`{}`: {}, one or more (at least {min})", arg.rust, kind_doc(arg.kind)));
}

/// A block of parallel repeated fields, written column by column (`XREAD STREAMS k1 k2 id1
/// id2`), from an iterator of tuples.
fn columns(cmd: &Command, arg: &Arg, out: &mut Lowered, cx: &Ctxt) {
    let name = ident(&arg.rust);
    let what = what(arg);
    let mut generics = Vec::new();
    let mut tys = Vec::new();
    let mut vars = Vec::new();
    let mut cols = Vec::new();
    for (i, f) in arg.args.iter().enumerate() {
        if !f.kind.is_bytes() {
            cx.error(Some(&cmd.name), &f.path, "columns of a block must be keys or bytes");
            return;
        }
        let g = format_ident!("T{}", out.generics.len() + i);
        let bound =
            if f.kind == ArgKind::Key { quote!(crate::args::ToKey) } else { quote!(crate::args::ToArg) };
        generics.push(quote!(#g: #bound));
        tys.push(quote!(#g));
        vars.push(format_ident!("f{}", i));
        cols.push(format_ident!("col{}", i));
    }
    out.generics.extend(generics);
    let min = arg.min.unwrap_or(1) as u32;
    let first = &cols[0];
    let rest = &cols[1..];
    let rest_vars = &vars[1..];
    let v0 = &vars[0];
    let tok = token_stmt(arg);
    out.ctor.extend(quote! {
        #tok
        {
            let mut n = 0u32;
            #(let mut #rest = crate::command::ArgList::new();)*
            for (#(#vars,)*) in #name {
                c.arg(&#v0);
                #(#rest.arg(&#rest_vars);)*
                n += 1;
            }
            #(c.raw(&#rest);)*
            c.check_min(n, #min, #what);
        }
    });
    let _ = first;
    out.params.push(quote!(#name: impl ::core::iter::IntoIterator<Item = (#(#tys,)*)>));
    let fields: Vec<&str> = arg.args.iter().map(|f| f.rust.as_str()).collect();
    out.param_docs.push(format!(
        "`{}`: items of ({}), at least {min}; sent column by column",
        arg.rust,
        fields.join(", ")
    ));
}

/// For an iterator of tuples: generic parameters, item types and per-item encoding.
pub(super) fn tuple_fields(
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
        } else if let Some(l) = leaf(f.kind) {
            tys.push(l.store);
            let e = encode_leaf(f.kind, quote!(#var), &what(f));
            encs.push(quote!(#tok #e));
        } else {
            cx.error(Some(&cmd.name), &f.path, "fields of a repeated block must be keys, bytes or numbers");
        }
    }
    (generics, tys, encs)
}
