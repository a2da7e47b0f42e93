//! `#[doc]` text of generated items: summary, complexity, since, history and the redis.io link.

use proc_macro2::TokenStream;
use quote::quote;

use crate::names::doc_url;
use crate::spec::{Command, Servers};

/// Doc attributes of a command's method.
pub fn method(cmd: &Command, params: &[String], setters: &[String], example: &[String]) -> TokenStream {
    let mut lines = vec![sentence(&cmd.summary), String::new()];
    if let Some(doc) = &cmd.doc {
        lines.push(doc.clone());
        lines.push(String::new());
    }
    lines.push(format!("Sends `{}`. Replies with `{}`.", cmd.name, cmd.reply.output()));
    lines.push(String::new());
    if let Some(c) = &cmd.complexity {
        lines.push(format!("- **Complexity:** {c}"));
    }
    lines.push(format!("- **Servers:** {}", servers(&cmd.servers, &cmd.recorded)));
    if let Some((since, used)) = &cmd.deprecated {
        let instead = used.as_deref().map(|u| format!(" Use {u} instead.")).unwrap_or_default();
        lines.push(format!("- **Deprecated** since Redis {since}.{instead}"));
    }
    lines.push(format!("- **Reference:** <{}>", doc_url(&cmd.name, cmd.servers.contains_key("redis"))));
    if !params.is_empty() {
        lines.push(String::new());
        lines.push("# Arguments".into());
        lines.push(String::new());
        lines.extend(params.iter().map(|p| format!("- {p}")));
    }
    if !setters.is_empty() {
        lines.push(String::new());
        lines.push("# Options".into());
        lines.push(String::new());
        lines.push("Chain these on the returned request before awaiting it:".into());
        lines.push(String::new());
        lines.extend(setters.iter().map(|s| format!("- {s}")));
    }
    if !cmd.history.is_empty() {
        lines.push(String::new());
        lines.push("# History".into());
        lines.push(String::new());
        lines.extend(cmd.history.iter().map(|(v, t)| format!("- {v}: {t}")));
    }
    let mut block = vec![String::new()];
    block.extend(super::example::doc_block(example));
    let block = block.iter().map(|l| format!(" {l}"));
    // Shown to readers; compiled in the tests (`tests/it/examples.rs`), not as doctests.
    let doc = attrs(&lines);
    quote!(#doc #(#[cfg_attr(not(doctest), doc = #block)])*)
}

/// Which servers have a command or an argument, and which of those recorded do not:
/// `Redis 1.0.0+, Valkey 1.0.0+`, or `Valkey 8.1.0+; not in Redis 7.0.15`.
pub fn servers(have: &Servers, recorded: &[(String, String)]) -> String {
    let name = |s: &str| crate::build::servers::display_name(s);
    let on: Vec<String> =
        have.iter().map(|(s, v)| if v.is_empty() { name(s) } else { format!("{} {v}+", name(s)) }).collect();
    let not: Vec<String> = recorded
        .iter()
        .filter(|(s, _)| !have.contains_key(s))
        .map(|(s, v)| format!("{} {v}", name(s)))
        .collect();
    if not.is_empty() {
        on.join(", ")
    } else {
        format!("{}; not in {}", on.join(", "), not.join(" or "))
    }
}

/// Doc attributes from lines of Markdown.
pub fn attrs(lines: &[String]) -> TokenStream {
    let lines = lines.iter().map(|l| format!(" {l}"));
    quote!(#(#[doc = #lines])*)
}

/// Capitalised, with a full stop.
pub fn sentence(s: &str) -> String {
    let mut out = s.trim().to_string();
    if let Some(first) = out.get(..1) {
        out = first.to_uppercase() + &out[1..];
    }
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}
