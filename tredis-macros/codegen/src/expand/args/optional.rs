//! Optional arguments: fields of the request, their setters, and their encoding in spec order.
//!
//! An optional block with optional parts of its own (`BITCOUNT key [start end [BYTE|BIT]]`)
//! becomes one setter for its required part and one per nested option; the nested ones are
//! encoded inside the block, and setting one without the block fails before sending.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::required::tuple_fields;
use super::values::{enum_arms, payload, public_enum};
use super::{
    bulk, encode_leaf, ident, leaf, option_field, setter_doc, token_stmt, what, Field, Lowered, Relations,
    Setter,
};
use crate::ctxt::Ctxt;
use crate::names::camel;
use crate::spec::{Arg, ArgKind, Command, ReplyExpr};

/// Lowers an optional argument; returns its encoding and the expression telling whether it
/// was set.
pub(super) fn lower(cmd: &Command, arg: &Arg, out: &mut Lowered, cx: &Ctxt) -> (TokenStream, TokenStream) {
    lower_in(cmd, arg, None, out, cx)
}

fn push_setter(
    out: &mut Lowered,
    cmd: &Command,
    a: &Arg,
    params: (Vec<TokenStream>, Vec<TokenStream>),
    body: TokenStream,
    switch: Option<(ReplyExpr, usize)>,
    rel: Relations<'_>,
) {
    out.setters.push(Setter {
        name: a.rust.clone(),
        doc: setter_doc(cmd, a, switch.as_ref().map(|s| &s.0), &rel),
        generics: params.0,
        params: params.1,
        body,
        switch,
    });
}

/// Statements unsetting the options an argument excludes (`clears` in the overlay).
fn clears(cmd: &Command, a: &Arg) -> TokenStream {
    let mut out = TokenStream::new();
    for c in &a.clears {
        match c.split_once('.') {
            None => {
                let f = ident(c);
                out.extend(quote!(c.#f = ::core::default::Default::default();));
            }
            Some((field, variant)) => {
                let f = ident(field);
                let ty = format_ident!("{}{}", cmd.type_name, camel(field));
                let v = ident(&camel(variant));
                out.extend(quote! {
                    if ::core::matches!(c.#f, ::core::option::Option::Some(#ty::#v)) {
                        c.#f = ::core::option::Option::None;
                    }
                });
            }
        }
    }
    out
}

fn lower_in(
    cmd: &Command,
    arg: &Arg,
    needs: Option<&str>,
    out: &mut Lowered,
    cx: &Ctxt,
) -> (TokenStream, TokenStream) {
    let field = ident(&arg.rust);
    let rank = out.rank;
    out.rank += 1;
    let switch = arg.reply.clone().map(|r| (r, rank));
    let tok = token_stmt(arg);
    let unset = clears(cmd, arg);
    if arg.multi {
        return repeated(cmd, arg, &field, switch, needs, out, cx);
    }
    match arg.kind {
        ArgKind::Token if arg.fixed => (tok, quote!(true)),
        ArgKind::Token => {
            out.fields.push(Field { name: field.clone(), ty: quote!(bool), init: quote!(false) });
            push_setter(
                out,
                cmd,
                arg,
                (vec![], vec![]),
                quote!(c.#field = true; #unset),
                switch,
                Relations::needing(needs),
            );
            (quote!(if self.#field { #tok }), quote!(self.#field))
        }
        ArgKind::OneOf if arg.token.is_some() || arg.type_name.is_some() => {
            let Some(ty) = public_enum(cmd, arg, out, cx) else { return Default::default() };
            let arms = enum_arms(cmd, arg, &ty, out, cx);
            option_field(out, &field, quote!(#ty));
            let body = quote!(c.#field = ::core::option::Option::Some(value); #unset);
            push_setter(
                out,
                cmd,
                arg,
                (vec![], vec![quote!(value: #ty)]),
                body,
                switch,
                Relations::needing(needs),
            );
            (
                quote!(if let ::core::option::Option::Some(v) = ::core::mem::take(&mut self.#field) { #tok match v { #arms } }),
                quote!(self.#field.is_some()),
            )
        }
        ArgKind::OneOf => variants(cmd, arg, &field, switch, needs, out, cx),
        ArgKind::Block if arg.args.iter().any(|f| f.opt) => block(cmd, arg, &field, switch, needs, out, cx),
        _ => {
            let var = ident(&arg.rust);
            let Some(p) = payload(cmd, arg, &var, out, cx) else { return Default::default() };
            option_field(out, &field, p.ty);
            let store = p.store;
            let body = quote!(c.#field = ::core::option::Option::Some(#store); #unset);
            push_setter(out, cmd, arg, (vec![], p.params), body, switch, Relations::needing(needs));
            let enc = p.encode;
            (
                quote!(if let ::core::option::Option::Some(#var) = ::core::mem::take(&mut self.#field) { #enc }),
                quote!(self.#field.is_some()),
            )
        }
    }
}

/// One setter per variant of an optional oneof; the choice is kept in a private enum.
fn variants(
    cmd: &Command,
    arg: &Arg,
    field: &Ident,
    switch: Option<(ReplyExpr, usize)>,
    needs: Option<&str>,
    out: &mut Lowered,
    cx: &Ctxt,
) -> (TokenStream, TokenStream) {
    let ty = format_ident!("{}{}", cmd.type_name, camel(&arg.rust));
    let tok = token_stmt(arg);
    let unset = clears(cmd, arg);
    let mut defs = Vec::new();
    let mut arms = TokenStream::new();
    let names: Vec<String> = arg.args.iter().map(|v| v.rust.clone()).collect();
    let rivals_of = |v: &Arg| Relations {
        needs,
        rivals: names.iter().filter(|n| **n != v.rust).cloned().collect(),
        clears: arg.clears.clone(),
    };
    for v in &arg.args {
        if !super::check_name(cmd, v, cx) {
            continue;
        }
        let vname = ident(&camel(&v.rust));
        let var = ident(&v.rust);
        let Some(p) = payload(cmd, v, &var, out, cx) else { continue };
        let sw = v.reply.clone().map(|r| (r, switch.as_ref().map_or(0, |s| s.1))).or_else(|| switch.clone());
        let unset_v = clears(cmd, v);
        let (pty, store, enc) = (p.ty, p.store, p.encode);
        if v.kind == ArgKind::Token {
            defs.push(quote!(#vname));
            arms.extend(quote!(#ty::#vname => { #enc }));
            let body = quote!(c.#field = ::core::option::Option::Some(#ty::#vname); #unset #unset_v);
            push_setter(out, cmd, v, (vec![], vec![]), body, sw, rivals_of(v));
        } else {
            defs.push(quote!(#vname(#pty)));
            arms.extend(quote!(#ty::#vname(#var) => { #enc }));
            let body = quote!(c.#field = ::core::option::Option::Some(#ty::#vname(#store)); #unset #unset_v);
            push_setter(out, cmd, v, (vec![], p.params), body, sw, rivals_of(v));
        }
    }
    out.enums.push(quote! {
        #[derive(Debug, Clone)]
        enum #ty { #(#defs,)* }
    });
    option_field(out, field, quote!(#ty));
    (
        quote!(if let ::core::option::Option::Some(v) = ::core::mem::take(&mut self.#field) { #tok match v { #arms } }),
        quote!(self.#field.is_some()),
    )
}

/// An optional block with optional parts: a setter for its required part, the nested options
/// lowered on their own and encoded inside it.
fn block(
    cmd: &Command,
    arg: &Arg,
    field: &Ident,
    switch: Option<(ReplyExpr, usize)>,
    needs: Option<&str>,
    out: &mut Lowered,
    cx: &Ctxt,
) -> (TokenStream, TokenStream) {
    block_in(cmd, arg, field, switch, needs, false, out, cx)
}

/// A required block with optional parts (XTRIM's `trim`): its required part becomes method
/// parameters, stored at once, and the block is encoded with the options, in its place.
pub(super) fn required_block(cmd: &Command, arg: &Arg, out: &mut Lowered, cx: &Ctxt) -> TokenStream {
    let field = ident(&arg.rust);
    let (encode, _) = block_in(cmd, arg, &field, None, None, true, out, cx);
    encode
}

#[allow(clippy::too_many_arguments)]
fn block_in(
    cmd: &Command,
    arg: &Arg,
    field: &Ident,
    switch: Option<(ReplyExpr, usize)>,
    needs: Option<&str>,
    required: bool,
    out: &mut Lowered,
    cx: &Ctxt,
) -> (TokenStream, TokenStream) {
    let tok = token_stmt(arg);
    let unset = clears(cmd, arg);
    let (mut tys, mut params, mut stores, mut vars) = (vec![], vec![], vec![], vec![]);
    let mut required_enc = std::collections::BTreeMap::new();
    for (i, f) in arg.args.iter().enumerate() {
        if f.opt {
            continue;
        }
        let fv = ident(&f.rust);
        let Some(p) = payload(cmd, f, &fv, out, cx) else { return Default::default() };
        tys.push(p.ty);
        params.extend(p.params);
        stores.push(p.store);
        required_enc.insert(i, p.encode);
        vars.push(fv);
    }
    if required {
        out.fields.push(Field {
            name: field.clone(),
            ty: quote!(::core::option::Option<(#(#tys,)*)>),
            init: quote!(::core::option::Option::Some((#(#stores,)*))),
        });
        let names: Vec<&str> = arg.args.iter().filter(|f| !f.opt).map(|f| f.rust.as_str()).collect();
        out.param_docs.push(format!(
            "{}: the required part of `{}`",
            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
            arg.name
        ));
        out.params.extend(params);
    } else {
        option_field(out, field, quote!((#(#tys,)*)));
        let body = quote!(c.#field = ::core::option::Option::Some((#(#stores,)*)); #unset);
        push_setter(out, cmd, arg, (vec![], params), body, switch, Relations::needing(needs));
    }
    let mut inner = TokenStream::new();
    let mut nested_set = Vec::new();
    let mut nested_names = Vec::new();
    for (i, f) in arg.args.iter().enumerate() {
        match required_enc.remove(&i) {
            Some(enc) => inner.extend(enc),
            None => {
                if !super::check_name(cmd, f, cx) {
                    continue;
                }
                let (enc, set) = lower_in(cmd, f, (!required).then_some(arg.rust.as_str()), out, cx);
                inner.extend(enc);
                nested_set.push(set);
                nested_names.push(f.rust.clone());
                nested_names.extend(descendant_options(f));
            }
        }
    }
    let msg = format!(
        "{} need(s) `{}`",
        nested_names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" or "),
        arg.rust
    );
    let orphan = if nested_set.is_empty() {
        TokenStream::new()
    } else {
        quote! {
            else if #(#nested_set)||* {
                c.fail(crate::Error::argument(#msg));
            }
        }
    };
    (
        quote! {
            if let ::core::option::Option::Some((#(#vars,)*)) = ::core::mem::take(&mut self.#field) {
                #tok
                #inner
            } #orphan
        },
        // A grandchild set without its parent must also be caught when this block is unset.
        quote!(self.#field.is_some() #(|| #nested_set)*),
    )
}

/// Names of the options nested (at any depth) in a block's optional parts.
fn descendant_options(arg: &Arg) -> Vec<String> {
    let mut names = Vec::new();
    if arg.kind == ArgKind::Block && !arg.multi {
        for f in arg.args.iter().filter(|f| f.opt) {
            names.push(f.rust.clone());
            names.extend(descendant_options(f));
        }
    }
    names
}

/// A repeated option: values accumulate pre-encoded, in call order.
fn repeated(
    cmd: &Command,
    arg: &Arg,
    field: &Ident,
    switch: Option<(ReplyExpr, usize)>,
    needs: Option<&str>,
    out: &mut Lowered,
    cx: &Ctxt,
) -> (TokenStream, TokenStream) {
    let tok = token_stmt(arg);
    let unset = clears(cmd, arg);
    let per_item = if arg.multi_token { tok.clone() } else { TokenStream::new() };
    let once = if arg.multi_token { TokenStream::new() } else { tok.clone() };
    out.fields.push(Field {
        name: field.clone(),
        ty: quote!(crate::command::ArgList),
        init: quote!(crate::command::ArgList::new()),
    });
    let encode = quote!(if !self.#field.is_empty() { #once c.raw(&self.#field); });
    let is_set = quote!(!self.#field.is_empty());
    match arg.kind {
        ArgKind::Block => {
            let (generics, tys, encs) = tuple_fields(cmd, arg, 0, cx);
            let vars: Vec<Ident> = (0..tys.len()).map(|i| format_ident!("f{}", i)).collect();
            let body = quote! {
                let c = &mut c.#field;
                for (#(#vars,)*) in items {
                    #per_item
                    #(#encs)*
                }
                #unset
            };
            let params = vec![quote!(items: impl ::core::iter::IntoIterator<Item = (#(#tys,)*)>)];
            push_setter(out, cmd, arg, (generics, params), body, switch, Relations::needing(needs));
        }
        ArgKind::OneOf => {
            // Each variant appends, so operations go out in the order of the calls (BITFIELD).
            for v in &arg.args {
                if !super::check_name(cmd, v, cx) {
                    continue;
                }
                let Some((params, enc)) = immediate(cmd, v, out, cx) else { continue };
                let vt = token_stmt(v);
                let body = quote! {
                    {
                        let c = &mut c.#field;
                        #per_item
                        #vt
                        #enc
                    }
                    #unset
                };
                push_setter(out, cmd, v, (vec![], params), body, switch.clone(), Relations::needing(needs));
            }
        }
        k if k.is_bytes() || leaf(k).is_some_and(|l| !l.into) => {
            let bound =
                if k == ArgKind::Key { quote!(crate::args::ToKeys) } else { quote!(crate::args::ToArgs) };
            let prefix = match (&arg.token, arg.multi_token) {
                (Some(t), true) => {
                    let lit = bulk(t);
                    quote!(::core::option::Option::Some(#lit))
                }
                _ => quote!(::core::option::Option::None),
            };
            let body = quote!(c.#field.extend(#prefix, &values); #unset);
            push_setter(
                out,
                cmd,
                arg,
                (vec![], vec![quote!(values: impl #bound)]),
                body,
                switch,
                Relations::needing(needs),
            );
        }
        _ => cx.error(Some(&cmd.name), &arg.path, "only keys, bytes, numbers, blocks and oneofs can repeat"),
    }
    (encode, is_set)
}

/// Parameters of one variant of a repeated oneof, and the code appending it (without its own
/// token) to the list `c`.
fn immediate(
    cmd: &Command,
    v: &Arg,
    out: &mut Lowered,
    cx: &Ctxt,
) -> Option<(Vec<TokenStream>, TokenStream)> {
    let var = ident(&v.rust);
    Some(match v.kind {
        ArgKind::Token => (vec![], TokenStream::new()),
        k if k.is_bytes() => (vec![quote!(#var: impl crate::args::ToArg)], quote!(c.arg(&#var);)),
        ArgKind::OneOf => {
            let ty = public_enum(cmd, v, out, cx)?;
            let arms = enum_arms(cmd, v, &ty, out, cx);
            // The variant's token is written by the caller; the enum's variant tokens here.
            (vec![quote!(value: #ty)], quote!(match value { #arms }))
        }
        ArgKind::Block => {
            let mut params = Vec::new();
            let mut enc = TokenStream::new();
            for f in &v.args {
                if f.opt || f.multi {
                    cx.error(
                        Some(&cmd.name),
                        &f.path,
                        "fields of a repeated variant must be single and required",
                    );
                    return None;
                }
                let fv = ident(&f.rust);
                enc.extend(token_stmt(f));
                match f.kind {
                    ArgKind::Token => {}
                    k if k.is_bytes() => {
                        params.push(quote!(#fv: impl crate::args::ToArg));
                        enc.extend(quote!(c.arg(&#fv);));
                    }
                    k => {
                        let l = leaf(k)?;
                        let param = l.param;
                        params.push(quote!(#fv: #param));
                        let value = if l.into { quote!(#fv.into()) } else { quote!(#fv) };
                        enc.extend(encode_leaf(k, value, &what(f)));
                    }
                }
            }
            (params, enc)
        }
        k => {
            let l = leaf(k)?;
            let param = l.param;
            let value = if l.into { quote!(#var.into()) } else { quote!(#var) };
            (vec![quote!(#var: #param)], encode_leaf(k, value, &what(v)))
        }
    })
}
