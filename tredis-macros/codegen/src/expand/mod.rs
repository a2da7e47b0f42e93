//! Walks the groups of the spec and assembles the surface: one module per group, gated by the
//! group's cargo feature, holding its request types and a trait with one method per command;
//! then the table of every command by name, for raw commands. The records read from map
//! replies expand at a call site of their own, in the runtime's `reply` module.

pub mod args;
pub mod docs;
pub mod example;
pub mod fallback;
pub mod records;
pub mod reply;
pub mod request;
pub mod switches;
pub mod table;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::ctxt::Ctxt;
use crate::names::group_trait;
use crate::spec::Spec;

/// Expands every supported command (records have a call site of their own, see
/// [`crate::expand_records`]); errors go to `cx`, broken ones are left out.
pub fn spec(spec: &Spec, cx: &Ctxt) -> TokenStream {
    let mut out = TokenStream::new();
    let mut table = Vec::new();
    for group in &spec.groups {
        let commands: Vec<_> = spec.commands.iter().filter(|c| c.group == group.id).collect();
        if commands.is_empty() {
            continue;
        }
        let mut items = TokenStream::new();
        let mut methods = TokenStream::new();
        let mut tx_methods = TokenStream::new();
        let mut sub_methods = TokenStream::new();
        let mut enums: Vec<(String, String)> = Vec::new();
        for cmd in commands {
            if let Some(e) = request::expand(cmd, cx) {
                table.push(table::Entry {
                    name: cmd.name.clone(),
                    feature: group.id.clone(),
                    module: group.id.replace('-', "_"),
                    type_name: cmd.type_name.clone(),
                    on: cmd.on.clone(),
                });
                items.extend(e.items);
                match cmd.on.as_deref() {
                    Some("transaction") => tx_methods.extend(e.method),
                    Some("subscriber") => sub_methods.extend(e.method),
                    _ => methods.extend(e.method),
                }
                for def in e.enums {
                    let text = def.to_string();
                    let name = enum_name(&def);
                    match enums.iter().find(|(n, _)| *n == name) {
                        Some((_, t)) if *t == text => {}
                        // Two oneofs of a group share a type name but not their variants: one
                        // needs its own `type`, or an `omit` of the variant only it has.
                        Some(_) => cx.error(
                            Some(&cmd.name),
                            format!("{}.args", cmd.path),
                            format!("enum `{name}` is also defined, with other variants, by another command of the group"),
                        ),
                        None => {
                            enums.push((name, text));
                            items.extend(def);
                        }
                    }
                }
            }
        }
        let feature = &group.id;
        let module = format_ident!("{}", group.id.replace('-', "_"));
        let mut traits = TokenStream::new();
        let mut names = Vec::new();
        for (methods, suffix, bound, target) in [
            (
                methods,
                "Commands",
                quote!(crate::request::Target),
                "every command target (the client, pipelines, transactions)",
            ),
            (
                tx_methods,
                "TxCommands",
                quote!(crate::TxTarget),
                "transactions only: these commands act on the transaction's own connection",
            ),
            (
                sub_methods,
                "SubCommands",
                quote!(crate::SubTarget),
                "subscribers only: these commands change what a subscriber receives",
            ),
        ] {
            if methods.is_empty() {
                continue;
            }
            let tr = format_ident!("{}", group_trait(&group.id).replace("Commands", suffix));
            let trait_doc = docs::attrs(&[
                format!("Commands of the {} group, generated from `commands.json`.", group.title),
                String::new(),
                format!("Implemented by {target}; bring it into scope with `use tredis::prelude::*;`."),
                String::new(),
                format!("Enabled by the `{feature}` cargo feature (on by default)."),
            ]);
            traits.extend(quote! {
                #trait_doc
                pub trait #tr: #bound {
                    #methods
                }

                impl<T: #bound + ?::core::marker::Sized> #tr for T {}
            });
            names.push(tr);
        }
        let mod_doc = format!(
            " Request types of the {} group, and the enums some of their arguments take.",
            group.title
        );
        out.extend(quote! {
            #[cfg(feature = #feature)]
            #[doc = #mod_doc]
            pub mod #module {
                #items
                #traits
            }
            #[cfg(feature = #feature)]
            pub use self::#module::{#(#names),*};
        });
    }
    out.extend(table::by_name(&table, &spec.skipped));
    out
}

/// The name of the enum an enum definition (with its impls) defines.
fn enum_name(def: &TokenStream) -> String {
    let mut tokens = def.clone().into_iter();
    while let Some(t) = tokens.next() {
        if matches!(&t, proc_macro2::TokenTree::Ident(i) if i == "enum") {
            return tokens.next().map(|n| n.to_string()).unwrap_or_default();
        }
    }
    String::new()
}
