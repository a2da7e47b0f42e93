//! On spec errors: one `compile_error!` per broken command, while the valid ones still expand,
//! so users are not buried in secondary "no method named `set`" errors.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ctxt::SpecError;

/// One `compile_error!` per error.
pub fn errors(errors: &[SpecError]) -> TokenStream {
    let msgs = errors.iter().map(|e| format!("commands.json: {e}"));
    quote!(#(::core::compile_error!(#msgs);)*)
}
