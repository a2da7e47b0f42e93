//! Values held by requests: the public enums of oneofs (variants may carry data, as
//! GEOSEARCH's `BYBOX width height unit`), and the payloads options store.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::{bool_tokens, encode_leaf, ident, kind_doc, leaf, token_stmt, what, Lowered};
use crate::ctxt::Ctxt;
use crate::names::{camel, is_type_ident};
use crate::spec::{Arg, ArgKind, Command};

/// Defines the public enum of a oneof and returns its type; `None` after an error.
pub(super) fn public_enum(cmd: &Command, arg: &Arg, out: &mut Lowered, cx: &Ctxt) -> Option<Ident> {
    let ty = arg.type_name.clone().unwrap_or_else(|| cmd.type_name.clone() + &camel(&arg.rust));
    if !is_type_ident(&ty) {
        cx.error(Some(&cmd.name), format!("{}.type", arg.path), format!("`{ty}` is not a type name"));
        return None;
    }
    let ty = ident(&ty);
    let mut variants = Vec::new();
    // Enums of tokens and numbers are `Copy`; those holding bytes are not.
    let copy = !has_bytes(arg);
    for v in &arg.args {
        let vname = ident(&camel(&v.rust));
        let doc = match (&v.token, v.kind) {
            (Some(t), ArgKind::Token) => format!(" `{t}`."),
            (Some(t), k) => format!(" `{t}` with {}.", kind_doc(k)),
            (None, k) => format!(" {}.", kind_doc(k)),
        };
        if v.multi {
            cx.error(Some(&cmd.name), &v.path, "a repeated variant cannot be part of a public enum");
            return None;
        }
        match v.kind {
            ArgKind::Token => variants.push(quote!(#[doc = #doc] #vname)),
            ArgKind::Block => {
                let mut fields = Vec::new();
                for f in &v.args {
                    if f.kind == ArgKind::Token && !f.opt {
                        continue;
                    }
                    let fname = ident(&f.rust);
                    let fty = field_type(cmd, f, out, cx)?;
                    let fdoc = format!(" {}.", kind_doc(f.kind));
                    fields.push(quote!(#[doc = #fdoc] #fname: #fty));
                }
                variants.push(quote!(#[doc = #doc] #vname { #(#fields,)* }));
            }
            _ => {
                let fty = field_type(cmd, v, out, cx)?;
                variants.push(quote!(#[doc = #doc] #vname(#fty)));
            }
        }
    }
    let tokens: Vec<String> =
        arg.args.iter().map(|v| format!("`{}`", v.token.as_deref().unwrap_or(&v.name))).collect();
    let doc = format!(" One of {}.", tokens.join(", "));
    // Two commands may share one enum (CLIENT KILL and CLIENT LIST `TYPE`): the group
    // defines each distinct definition once.
    let derives = if copy { quote!(Debug, Clone, Copy, PartialEq) } else { quote!(Debug, Clone, PartialEq) };
    out.enums.push(quote! {
        #[doc = #doc]
        #[derive(#derives)]
        pub enum #ty { #(#variants,)* }
    });
    Some(ty)
}

fn has_bytes(arg: &Arg) -> bool {
    arg.kind.is_bytes()
        || matches!(arg.kind, ArgKind::LexBound | ArgKind::RangeBound)
        || arg.args.iter().any(has_bytes)
}

/// The type of a value inside a public enum: owned, so that users can build it.
fn field_type(cmd: &Command, f: &Arg, out: &mut Lowered, cx: &Ctxt) -> Option<TokenStream> {
    let ty = match f.kind {
        k if k.is_bytes() => quote!(crate::Bytes),
        ArgKind::OneOf => {
            let inner = public_enum(cmd, f, out, cx)?;
            quote!(#inner)
        }
        ArgKind::Token => quote!(bool),
        k => match leaf(k) {
            Some(l) => l.store,
            None => {
                cx.error(Some(&cmd.name), &f.path, "this kind cannot be part of a public enum");
                return None;
            }
        },
    };
    Some(if f.opt && f.kind != ArgKind::Token { quote!(::core::option::Option<#ty>) } else { ty })
}

/// Encodes a field `v` of a public enum's variant (with its token).
fn encode_owned(cmd: &Command, f: &Arg, v: TokenStream, out: &mut Lowered, cx: &Ctxt) -> TokenStream {
    let tok = token_stmt(f);
    if f.kind == ArgKind::Token {
        return quote!(if #v { #tok });
    }
    if f.opt {
        let value = rebind(f, quote!(x), cmd, out, cx);
        quote!(if let ::core::option::Option::Some(x) = #v { #tok #value })
    } else {
        let value = rebind(f, v, cmd, out, cx);
        quote!(#tok #value)
    }
}

/// The encoding of an optional field's inner value, bound to `v`.
fn rebind(f: &Arg, v: TokenStream, cmd: &Command, out: &mut Lowered, cx: &Ctxt) -> TokenStream {
    match f.kind {
        k if k.is_bytes() => quote!(c.arg(&#v);),
        ArgKind::OneOf => {
            let Some(ty) = public_enum(cmd, f, out, cx) else { return TokenStream::new() };
            let arms = enum_arms(cmd, f, &ty, out, cx);
            quote!(match #v { #arms })
        }
        k => encode_leaf(k, v, &what(f)),
    }
}

/// Match arms encoding a value of the public enum `ty` of `arg`.
pub(super) fn enum_arms(cmd: &Command, arg: &Arg, ty: &Ident, out: &mut Lowered, cx: &Ctxt) -> TokenStream {
    let mut arms = TokenStream::new();
    for v in &arg.args {
        let vname = ident(&camel(&v.rust));
        let tok = token_stmt(v);
        match v.kind {
            ArgKind::Token => arms.extend(quote!(#ty::#vname => { #tok })),
            ArgKind::Block => {
                let mut names = Vec::new();
                let mut encs = TokenStream::new();
                for f in &v.args {
                    if f.kind == ArgKind::Token && !f.opt {
                        encs.extend(token_stmt(f));
                        continue;
                    }
                    let fname = ident(&f.rust);
                    encs.extend(encode_owned(cmd, f, quote!(#fname), out, cx));
                    names.push(fname);
                }
                arms.extend(quote!(#ty::#vname { #(#names,)* } => { #tok #encs }));
            }
            _ => {
                let enc = rebind(v, quote!(v), cmd, out, cx);
                arms.extend(quote!(#ty::#vname(v) => { #tok #enc }));
            }
        }
    }
    arms
}

/// A value an option stores: its field type, how setter parameters become it, how it encodes.
pub(super) struct Payload {
    pub ty: TokenStream,
    pub params: Vec<TokenStream>,
    pub store: TokenStream,
    pub encode: TokenStream,
}

/// Payload of a single, non-repeated value named `var`. The option's own token is written by
/// the encoding.
pub(super) fn payload(cmd: &Command, a: &Arg, var: &Ident, out: &mut Lowered, cx: &Ctxt) -> Option<Payload> {
    let tok = token_stmt(a);
    if a.multi {
        cx.error(Some(&cmd.name), &a.path, "a repeated value cannot be nested here");
        return None;
    }
    Some(match a.kind {
        ArgKind::Token => Payload { ty: quote!(()), params: vec![], store: quote!(()), encode: tok },
        k if k.is_bytes() => {
            let bound =
                if k == ArgKind::Key { quote!(crate::args::ToKey) } else { quote!(crate::args::ToArg) };
            Payload {
                ty: quote!(crate::command::ArgList),
                params: vec![quote!(#var: impl #bound)],
                store: quote!(crate::command::ArgList::one(&#var)),
                encode: quote!(#tok c.raw(&#var);),
            }
        }
        ArgKind::Bool => {
            let (on, off) = bool_tokens(cmd, a, cx)?;
            Payload {
                ty: quote!(bool),
                params: vec![quote!(#var: bool)],
                store: quote!(#var),
                encode: quote!(#tok c.token(if #var { #on } else { #off });),
            }
        }
        ArgKind::OneOf => {
            let ty = public_enum(cmd, a, out, cx)?;
            let arms = enum_arms(cmd, a, &ty, out, cx);
            Payload {
                ty: quote!(#ty),
                params: vec![quote!(#var: #ty)],
                store: quote!(#var),
                encode: quote!(#tok match #var { #arms }),
            }
        }
        ArgKind::Block => {
            let (mut tys, mut params, mut stores, mut encs, mut vars) =
                (vec![], vec![], vec![], vec![], vec![]);
            for f in &a.args {
                if f.opt {
                    cx.error(Some(&cmd.name), &f.path, "an optional field is not supported in this block");
                    return None;
                }
                let fv = ident(&f.rust);
                let p = payload(cmd, f, &fv, out, cx)?;
                tys.push(p.ty);
                params.extend(p.params);
                stores.push(p.store);
                encs.push(p.encode);
                vars.push(fv);
            }
            Payload {
                ty: quote!((#(#tys,)*)),
                params,
                store: quote!((#(#stores,)*)),
                encode: quote!({ let (#(#vars,)*) = #var; #tok #(#encs)* }),
            }
        }
        k => {
            let Some(l) = leaf(k) else {
                cx.error(Some(&cmd.name), &a.path, "unsupported argument shape");
                return None;
            };
            let e = encode_leaf(k, quote!(#var), &what(a));
            let b = super::block_stmt(cmd, a, quote!(#var), cx);
            let param = l.param;
            Payload {
                ty: l.store,
                params: vec![quote!(#var: #param)],
                store: if l.into { quote!(#var.into()) } else { quote!(#var) },
                encode: quote!(#tok #e #b),
            }
        }
    })
}
