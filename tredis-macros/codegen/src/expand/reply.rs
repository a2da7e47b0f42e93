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
                Atom::U16 => "U16",
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

/// The Rust type a decoder of `e` gives, spelled out for struct fields (`Option<Bytes>` as
/// `::core::option::Option<crate::Bytes>`), so that docs show the type rather than a
/// projection through `Decode`.
pub fn output_type(e: &ReplyExpr) -> TokenStream {
    let r = quote!(crate::reply);
    let vec = |inner: TokenStream| quote!(::std::vec::Vec<#inner>);
    match e {
        ReplyExpr::Atom(a) => match a {
            Atom::Ok | Atom::Unit => quote!(()),
            Atom::Int => quote!(i64),
            Atom::Uint => quote!(u64),
            Atom::U16 => quote!(u16),
            Atom::Bool => quote!(bool),
            Atom::Double => quote!(f64),
            Atom::Bytes => quote!(crate::Bytes),
            Atom::Str => quote!(::std::string::String),
            Atom::Any => quote!(crate::resp::Value),
            Atom::Secs | Atom::Millis => quote!(::core::time::Duration),
            Atom::TtlS | Atom::TtlMs => quote!(#r::Ttl),
            Atom::ExptimeS | Atom::ExptimeMs => quote!(#r::ExpireTime),
        },
        ReplyExpr::Nullable(inner) if **inner == ReplyExpr::Atom(Atom::Ok) => quote!(bool),
        ReplyExpr::Nullable(inner) => {
            let i = output_type(inner);
            quote!(::core::option::Option<#i>)
        }
        ReplyExpr::Array(inner) | ReplyExpr::Set(inner) => vec(output_type(inner)),
        ReplyExpr::Tuple(items) => {
            let items = items.iter().map(output_type);
            quote!((#(#items),*))
        }
        ReplyExpr::Map(k, v) => {
            let (k, v) = (output_type(k), output_type(v));
            quote!(::std::collections::HashMap<#k, #v>)
        }
        ReplyExpr::Pairs(k, v) | ReplyExpr::Keyed(k, v) => {
            let (k, v) = (output_type(k), output_type(v));
            vec(quote!((#k, #v)))
        }
        ReplyExpr::Scan(inner) => {
            let page = match &**inner {
                ReplyExpr::Pairs(..) => output_type(inner),
                other => vec(output_type(other)),
            };
            quote!((u64, #page))
        }
        ReplyExpr::Record(name) if e.output() == *name => {
            let id = format_ident!("{}", name);
            quote!(#r::#id)
        }
        // A decoder whose output is not a type of its own name (`UnixSecs`).
        ReplyExpr::Record(_) => {
            let d = decoder(e);
            quote!(<#d as #r::Decode>::Output)
        }
    }
}
