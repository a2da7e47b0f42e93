//! Parses, checks and expands `commands.json` into tredis's typed command surface.
//!
//! This is a plain library so that the proc-macro (`tredis-macros`), `cargo xtask` and ordinary
//! unit tests share it: a spec mistake fails `cargo test` with a readable message before it can
//! become a `compile_error!`. Semver-exempt: an implementation detail of tredis.

pub mod build;
pub mod check;
pub mod ctxt;
pub mod expand;
pub mod names;
pub mod spec;

use proc_macro2::TokenStream;
use quote::quote;

use ctxt::{Ctxt, SpecError};

/// Expands the surface from the text of `commands.json`. `call` is the macro input,
/// `spec_hash = "..."`, which must match [`spec_hash`] of the text. Never panics: every
/// problem becomes a `compile_error!` and the valid commands still expand.
pub fn expand(spec_text: &str, call: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    if let Err(e) = check_call(spec_text, call) {
        cx.error(None, "commands! call", e);
    }
    let tokens = match spec::parse(spec_text, &cx) {
        Some(s) => {
            check::spec(&s, &cx);
            expand::spec(&s, &cx)
        }
        None => TokenStream::new(),
    };
    let errors = cx.finish();
    let errs = expand::fallback::errors(&errors);
    quote!(#errs #tokens)
}

/// Expands the records of `commands.json` (the structs read from map replies), for the call
/// site in the runtime's `reply` module, so that the runtime never imports from the generated
/// commands. `call` is as for [`expand`].
pub fn expand_records(spec_text: &str, call: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    if let Err(e) = check_call(spec_text, call) {
        cx.error(None, "records! call", e);
    }
    let tokens = match spec::parse(spec_text, &cx) {
        Some(s) => expand::records::expand(&s.records, &cx),
        None => TokenStream::new(),
    };
    let errors = cx.finish();
    let errs = expand::fallback::errors(&errors);
    quote!(#errs #tokens)
}

/// Every problem of the spec, as readable lines; empty when it expands cleanly.
pub fn check_spec(spec_text: &str) -> Vec<String> {
    errors(spec_text).iter().map(ToString::to_string).collect()
}

/// Every problem of the spec.
pub fn errors(spec_text: &str) -> Vec<SpecError> {
    let cx = Ctxt::new();
    if let Some(s) = spec::parse(spec_text, &cx) {
        check::spec(&s, &cx);
        let _ = expand::spec(&s, &cx);
        let _ = expand::records::expand(&s.records, &cx);
    }
    cx.finish()
}

/// Every method's docs example as one Rust source of async functions, for the test suite to
/// compile (`tests/it/examples.rs`, written by `cargo xtask gen`). Rustdoc shows the same text
/// but does not compile it: each doctest would be a crate of its own.
pub fn examples(spec_text: &str) -> Result<String, String> {
    let cx = Ctxt::new();
    let mut out = String::new();
    if let Some(s) = spec::parse(spec_text, &cx) {
        for cmd in &s.commands {
            let tokens = cmd.name.split(' ').count();
            let low = expand::args::lower(cmd, tokens, &cx);
            match expand::example::lines(cmd, &low) {
                Ok(lines) => {
                    out += &format!("\n/// `{}`: the example of `{}`.\n", cmd.name, cmd.rust);
                    out += &format!(
                        "async fn {}(client: tredis::Client) -> Result<(), tredis::Error> {{\n",
                        cmd.rust
                    );
                    for l in lines {
                        out += &if l.is_empty() { "\n".to_string() } else { format!("    {l}\n") };
                    }
                    out += "    Ok(())\n}\n";
                }
                Err(e) => cx.error(Some(&cmd.name), &cmd.path, e),
            }
        }
    }
    let errors = cx.finish();
    if !errors.is_empty() {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        return Err(lines.join("\n"));
    }
    Ok(out)
}

/// FNV-1a of the spec text, as 16 hex digits; `xtask gen` writes it into the macro call.
pub fn spec_hash(spec_text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in spec_text.replace("\r\n", "\n").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn check_call(spec_text: &str, call: TokenStream) -> Result<(), String> {
    use syn::parse::{ParseStream, Parser};
    let parse = |input: ParseStream<'_>| {
        let name: syn::Ident = input.parse()?;
        input.parse::<syn::Token![=]>()?;
        let value: syn::LitStr = input.parse()?;
        Ok((name, value))
    };
    let (name, value) = parse.parse2(call).map_err(|e| format!("expected `spec_hash = \"...\"`: {e}"))?;
    if name != "spec_hash" {
        return Err("expected `spec_hash = \"...\"`".into());
    }
    if value.value() != spec_hash(spec_text) {
        return Err("commands.json changed since the call site was generated: run `cargo xtask gen`".into());
    }
    Ok(())
}
