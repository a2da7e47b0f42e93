//! Reply expressions to runtime decoder types: `keyed<bytes,[@StreamEntry]>?` becomes
//! `Nullable<Keyed<Bulk, Array<StreamEntry>>>`. The combinators live in `tredis::reply`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::spec::{Atom, ReplyExpr};

/// The decoder type of a reply expression.
pub fn decoder(e: &ReplyExpr) -> TokenStream {
    let r = quote!(crate::reply);
    match e {
        ReplyExpr::Atom(a) => {
            let name = match a {
                Atom::Ok => "Ok",
                Atom::Unit => "Unit",
                Atom::Int => "Int",
                Atom::Uint => "UInt",
                Atom::Bool => "Bool",
                Atom::Double => "Double",
                Atom::Bytes => "Bulk",
                Atom::Str => "Str",
                Atom::Any => "Any",
                Atom::Secs => "Secs",
                Atom::Millis => "Millis",
                Atom::TtlS => "TtlSecs",
                Atom::TtlMs => "TtlMillis",
                Atom::ExptimeS => "ExpireTimeSecs",
                Atom::ExptimeMs => "ExpireTimeMillis",
            };
            let id = format_ident!("{}", name);
            quote!(#r::#id)
        }
        ReplyExpr::Nullable(inner) if **inner == ReplyExpr::Atom(Atom::Ok) => quote!(#r::OkOrNil),
        ReplyExpr::Nullable(inner) => {
            let i = decoder(inner);
            quote!(#r::Nullable<#i>)
        }
        ReplyExpr::Array(inner) | ReplyExpr::Set(inner) => {
            let i = decoder(inner);
            quote!(#r::Array<#i>)
        }
        ReplyExpr::Tuple(items) => {
            let items = items.iter().map(decoder);
            quote!((#(#items,)*))
        }
        ReplyExpr::Map(k, v) => {
            let (k, v) = (decoder(k), decoder(v));
            quote!(#r::Map<#k, #v>)
        }
        ReplyExpr::Pairs(k, v) => {
            let (k, v) = (decoder(k), decoder(v));
            quote!(#r::Pairs<#k, #v>)
        }
        ReplyExpr::Keyed(k, v) => {
            let (k, v) = (decoder(k), decoder(v));
            quote!(#r::Keyed<#k, #v>)
        }
        ReplyExpr::Scan(inner) => {
            let page = scan_page(inner);
            quote!(#r::Scan<#page>)
        }
        ReplyExpr::Record(name) => {
            let id = format_ident!("{}", name);
            quote!(#r::#id)
        }
    }
}

/// The decoder of one SCAN page: pairs for HSCAN and ZSCAN, an array otherwise.
pub fn scan_page(item: &ReplyExpr) -> TokenStream {
    match item {
        ReplyExpr::Pairs(..) => decoder(item),
        other => {
            let i = decoder(other);
            quote!(crate::reply::Array<#i>)
        }
    }
}

/// Canonical text of an expression, used to tell reply states apart.
pub fn key(e: &ReplyExpr) -> String {
    decoder(e).to_string()
}
