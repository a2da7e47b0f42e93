//! Implementation detail of tredis: expands `commands.json` into the typed command surface.
//!
//! A shim over `tredis-codegen`, which does the parsing, checking and expansion as a plain
//! library. The spec is included with `include_str!`, so cargo rebuilds this crate (and
//! re-expands the surface) whenever `commands.json` changes.

use proc_macro::TokenStream;

const SPEC: &str = include_str!("../../commands.json");

/// Expands every supported command of `commands.json`.
///
/// Called once, in `tredis/src/commands/generated.rs`, as
/// `tredis_macros::commands! { spec_hash = "..." }`; `cargo xtask gen` writes the hash.
#[proc_macro]
pub fn commands(input: TokenStream) -> TokenStream {
    tredis_codegen::expand(SPEC, input.into()).into()
}

/// Expands the records of `commands.json`: the structs read from map replies.
///
/// Called once, in `tredis/src/reply/generated.rs`, as
/// `tredis_macros::records! { spec_hash = "..." }`; `cargo xtask gen` writes the hash.
#[proc_macro]
pub fn records(input: TokenStream) -> TokenStream {
    tredis_codegen::expand_records(SPEC, input.into()).into()
}
