//! The name table: every command of the spec by its server name, so that a raw command of a
//! name the spec knows runs with that command's static facts (flags, key specs, tips), and one
//! the spec skips on purpose is refused with the spec's reason.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::spec::Skipped;

/// A supported command that expanded, as the table names it.
pub struct Entry {
    /// Server tokens: `SET`, `CLIENT KILL`.
    pub name: String,
    /// Its group's cargo feature, which gates its entry.
    pub feature: String,
    /// Its group's module.
    pub module: String,
    /// Its request type.
    pub type_name: String,
    /// `transaction` or `subscriber` when it runs on such a target only.
    pub on: Option<String>,
}

/// Why a command that runs on one kind of target only cannot be sent raw, which would put it
/// on a shared connection.
fn refusal(on: &str) -> String {
    match on {
        "transaction" => "it acts on a transaction's own connection: use `Client::watch` and the \
                          `Transaction` methods"
            .into(),
        _ => "it changes what its connection receives: use a `Subscriber` (`Client::subscriber`)".into(),
    }
}

/// `static BY_NAME`, sorted by name for a binary search. A supported command's entry exists
/// only when its group is built; a refused one's always.
pub fn by_name(entries: &[Entry], skipped: &[Skipped]) -> TokenStream {
    let mut rows: Vec<(String, TokenStream)> = Vec::new();
    for e in entries {
        let name = &e.name;
        let row = match &e.on {
            Some(on) => {
                let reason = refusal(on);
                quote!((#name, crate::command::Known::Refused(#reason)),)
            }
            None => {
                let (feature, module, ty) =
                    (&e.feature, format_ident!("{}", e.module), format_ident!("{}", e.type_name));
                quote! {
                    #[cfg(feature = #feature)]
                    (#name, crate::command::Known::Spec(<#module::#ty as crate::command::Command>::INFO)),
                }
            }
        };
        rows.push((e.name.clone(), row));
    }
    for s in skipped {
        let (name, reason) = (&s.name, &s.reason);
        rows.push((s.name.clone(), quote!((#name, crate::command::Known::Refused(#reason)),)));
    }
    // Stable: of the methods that send one command (XADD, XADD with an ID), the first in the
    // spec stands for it; they share its facts.
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows.dedup_by(|a, b| a.0 == b.0);
    let rows = rows.into_iter().map(|(_, r)| r);
    quote! {
        /// Every command of the spec by server name, sorted: the facts of each supported one
        /// whose group is built, and why each refused one cannot be sent raw.
        pub(crate) static BY_NAME: &[(&str, crate::command::Known)] = &[#(#rows)*];
    }
}
