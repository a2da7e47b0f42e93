//! Records read from a map reply: one struct per entry of `records` in `commands.json`, with a
//! `Decode` impl that reads each field by its wire name and keeps unknown fields in `extra`.
//!
//! A newer server's new fields do not break an older client, and the fields an older server
//! does not send keep their default. The structs land in `crate::reply::generated::records`,
//! a private module; `crate::reply` re-exports them beside the hand-written records.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{docs, reply};
use crate::ctxt::Ctxt;
use crate::names::{is_snake_ident, is_type_ident};
use crate::spec::MapRecord;

/// The module of every valid record; nothing when there are none.
pub fn expand(records: &[MapRecord], cx: &Ctxt) -> TokenStream {
    let mut names = BTreeSet::new();
    let mut items = TokenStream::new();
    for r in records {
        if !names.insert(r.name.as_str()) {
            cx.error(None, format!("{}.name", r.path), format!("record `{}` is defined twice", r.name));
            continue;
        }
        if check(r, cx) {
            items.extend(record(r));
        }
    }
    if items.is_empty() {
        return items;
    }
    quote! {
        /// Records read from map replies, generated from the `records` of `commands.json`;
        /// `crate::reply` re-exports them.
        pub(crate) mod records {
            #items
        }
    }
}

/// Reports what would not compile or not be documented; true when `r` can expand.
fn check(r: &MapRecord, cx: &Ctxt) -> bool {
    let before = cx.error_count();
    let err = |path: String, msg: String| cx.error(None, path, msg);
    if !is_type_ident(&r.name) {
        err(format!("{}.name", r.path), format!("`{}` is not a type name", r.name));
    }
    if r.doc.trim().is_empty() {
        err(format!("{}.doc", r.path), format!("record `{}` needs a doc", r.name));
    }
    let (mut rust, mut wire) = (BTreeSet::from(["extra"]), BTreeSet::new());
    for f in &r.fields {
        if !is_snake_ident(&f.rust) {
            err(format!("{}.rust", f.path), format!("`{}` is not a usable field name", f.rust));
        } else if !rust.insert(f.rust.as_str()) {
            err(
                format!("{}.rust", f.path),
                format!("field `{}` is taken (`extra` holds unknown fields)", f.rust),
            );
        }
        if f.wire.is_empty() || !wire.insert(f.wire.as_str()) {
            err(format!("{}.name", f.path), format!("wire name `{}` is empty or repeated", f.wire));
        }
        if f.doc.trim().is_empty() {
            err(format!("{}.doc", f.path), format!("field `{}` needs a doc", f.rust));
        }
    }
    cx.error_count() == before
}

/// The struct and its `Decode` impl.
fn record(r: &MapRecord) -> TokenStream {
    let name = format_ident!("{}", r.name);
    let doc = docs::attrs(std::slice::from_ref(&r.doc));
    let what = format!("a {} map", r.name);
    let mut fields = TokenStream::new();
    let mut arms = TokenStream::new();
    for f in &r.fields {
        let field = format_ident!("{}", f.rust);
        let fdoc = docs::attrs(std::slice::from_ref(&f.doc));
        let ty = reply::output_type(&f.reply);
        fields.extend(quote!(#fdoc pub #field: #ty,));
        let wire = &f.wire;
        let dec = reply::decoder(&f.reply);
        let context = format!("{} field `{}`", r.name, f.wire);
        arms.extend(quote!(#wire => out.#field = crate::reply::record::field::<#dec>(v, #context)?,));
    }
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct #name {
            #fields
            /// Fields this version of tredis does not know, as the server sent them.
            pub extra: ::std::vec::Vec<(::std::string::String, crate::resp::Value)>,
        }

        impl crate::reply::Decode for #name {
            type Output = #name;
            fn decode(v: crate::resp::Value) -> ::core::result::Result<#name, crate::reply::DecodeError> {
                let mut out = <#name as ::core::default::Default>::default();
                for (k, v) in crate::reply::record::fields(v, #what)? {
                    match k.as_str() {
                        #arms
                        _ => out.extra.push((k, v)),
                    }
                }
                ::core::result::Result::Ok(out)
            }
        }
    }
}
