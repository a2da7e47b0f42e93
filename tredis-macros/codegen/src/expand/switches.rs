//! Option-dependent replies: the states a request's reply type can be in, and the per-option
//! traits that move between them (`SET` -> `()`, `.nx()` -> `bool`, `.get()` -> `Option<Bytes>`).
//!
//! Each state is a decoder type. An option switches to its reply unless an option declared later
//! in the command already chose the reply (GET wins over NX, as the server does).

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::args::Setter;
use super::reply::{decoder, key};
use crate::spec::ReplyExpr;

/// The switch traits and their impls; sets each switching setter's trait name.
pub struct Switches {
    /// Trait definitions and impls.
    pub items: TokenStream,
    /// For each setter index, the trait it goes through.
    pub setter_trait: BTreeMap<usize, proc_macro2::Ident>,
}

/// Builds the state machine, or says why the switches are ambiguous.
pub fn build(type_name: &str, default: &ReplyExpr, setters: &[Setter]) -> Result<Switches, String> {
    // Distinct switches: (target, rank), in first-seen order.
    let mut switches: Vec<(ReplyExpr, usize)> = Vec::new();
    let mut setter_switch = BTreeMap::new();
    for (i, s) in setters.iter().enumerate() {
        if let Some((target, rank)) = &s.switch {
            let idx = match switches.iter().position(|(t, r)| key(t) == key(target) && r == rank) {
                Some(p) => p,
                None => {
                    switches.push((target.clone(), *rank));
                    switches.len() - 1
                }
            };
            setter_switch.insert(i, idx);
        }
    }
    // Options that give the same reply (GEORADIUS STORE and STOREDIST) are one switch, unless
    // another reply lies between them in precedence.
    let mut merged = switches.clone();
    for (target, rank) in &switches {
        let same: Vec<usize> =
            switches.iter().filter(|(t, _)| key(t) == key(target)).map(|(_, r)| *r).collect();
        let (lo, hi) = (*same.iter().min().unwrap_or(rank), *same.iter().max().unwrap_or(rank));
        let between = switches.iter().any(|(t, r)| key(t) != key(target) && *r > lo && *r < hi);
        if !between {
            for (t, r) in merged.iter_mut() {
                if key(t) == key(target) {
                    *r = lo;
                }
            }
        }
    }
    let mut seen = Vec::new();
    let mut remap = BTreeMap::new();
    for (i, (t, r)) in merged.iter().enumerate() {
        let pos = seen.iter().position(|(st, sr): &(ReplyExpr, usize)| key(st) == key(t) && sr == r);
        let idx = pos.unwrap_or_else(|| {
            seen.push((t.clone(), *r));
            seen.len() - 1
        });
        remap.insert(i, idx);
    }
    let switches = seen;
    let setter_switch: BTreeMap<usize, usize> =
        setter_switch.into_iter().map(|(s, i)| (s, remap[&i])).collect();
    let mut items = TokenStream::new();
    let mut setter_trait = BTreeMap::new();
    if switches.is_empty() {
        return Ok(Switches { items, setter_trait });
    }
    // States reachable from the default reply, with the rank of the option that chose them.
    let mut states: Vec<(ReplyExpr, isize)> = vec![(default.clone(), -1)];
    let mut i = 0;
    while i < states.len() {
        let (_, rank) = states[i].clone();
        for (target, r) in &switches {
            if *r as isize > rank && !states.iter().any(|(s, sr)| key(s) == key(target) && *sr == *r as isize)
            {
                if states.iter().any(|(s, _)| key(s) == key(target)) {
                    return Err(format!(
                        "options give the reply `{}` at two precedence levels; the generated types would be ambiguous",
                        target.output()
                    ));
                }
                states.push((target.clone(), *r as isize));
            }
        }
        i += 1;
    }
    for (idx, (target, r)) in switches.iter().enumerate() {
        let tr = format_ident!("{}Reply{}", type_name, idx);
        let doc = format!(
            " Reply type of `{type_name}` after an option that switches it to `{}`.",
            target.output()
        );
        items.extend(quote! {
            #[doc = #doc]
            #[doc(hidden)]
            pub trait #tr { #[doc(hidden)] type Out; }
        });
        for (state, rank) in &states {
            let from = decoder(state);
            let to = if *r as isize > *rank { decoder(target) } else { from.clone() };
            items.extend(quote!(impl #tr for #from { type Out = #to; }));
        }
        for (s, sw) in &setter_switch {
            if *sw == idx {
                setter_trait.insert(*s, tr.clone());
            }
        }
    }
    Ok(Switches { items, setter_trait })
}
