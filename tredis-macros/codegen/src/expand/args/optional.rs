//! Optional arguments: fields of the request, their setters, and their encoding in spec order.
//!
//! An optional block with optional parts of its own (`BITCOUNT key [start end [BYTE|BIT]]`)
//! becomes one setter for its required part and one per nested option; the nested ones are
//! encoded inside the block, and setting one without the block fails before sending.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::docs::{setter_doc, Relations};
use super::{bulk, bytes_bound, encode_leaf, ident, leaf, token_stmt, what, Field, Lowering, Setter};
use crate::names::camel;
use crate::spec::{Arg, ArgKind};

/// A setter's signature and body, before its docs.
#[derive(Default)]
struct Sig {
    /// Generic parameters.
    generics: Vec<TokenStream>,
    /// Parameters.
    params: Vec<TokenStream>,
    /// Statements on `c: &mut <Request>`.
    body: TokenStream,
}

impl Sig {
    /// A setter without generic parameters.
    fn new(params: Vec<TokenStream>, body: TokenStream) -> Sig {
        Sig { generics: Vec::new(), params, body }
    }
}

/// The encoding of an option (statements on `self` and `c`) and the expression telling whether
/// it was set.
type Encoded = (TokenStream, TokenStream);

impl Lowering<'_> {
    /// Lowers an optional argument, nested in the option `needs` if any.
    pub(super) fn option<'r>(&mut self, arg: &'r Arg, needs: Option<&'r str>) -> Encoded {
        let field = ident(&arg.rust);
        let rank = self.rank;
        self.rank += 1;
        let rel = Relations::new(arg.reply.clone().map(|r| (r, rank)), needs);
        let tok = token_stmt(arg);
        let unset = self.clears(arg);
        if arg.multi {
            return self.repeated(arg, rel);
        }
        match arg.kind {
            ArgKind::Token if arg.fixed => (tok, quote!(true)),
            ArgKind::Token => {
                self.out.fields.push(Field { name: field.clone(), ty: quote!(bool), init: quote!(false) });
                self.push_setter(arg, Sig::new(vec![], quote!(c.#field = true; #unset)), rel);
                (quote!(if self.#field { #tok }), quote!(self.#field))
            }
            ArgKind::OneOf if arg.token.is_some() || arg.type_name.is_some() => {
                let Some(ty) = self.public_enum(arg) else { return Default::default() };
                let arms = self.enum_arms(arg, &ty);
                self.option_field(&field, quote!(#ty));
                let body = quote!(c.#field = ::core::option::Option::Some(value); #unset);
                self.push_setter(arg, Sig::new(vec![quote!(value: #ty)], body), rel);
                (
                    quote!(if let ::core::option::Option::Some(v) = ::core::mem::take(&mut self.#field) { #tok match v { #arms } }),
                    quote!(self.#field.is_some()),
                )
            }
            ArgKind::OneOf => self.variants(arg, rel),
            ArgKind::Block if arg.args.iter().any(|f| f.opt) => self.block(arg, Some(rel)),
            _ => {
                let Some(p) = self.payload(arg, &field) else { return Default::default() };
                self.option_field(&field, p.ty);
                let store = p.store;
                let body = quote!(c.#field = ::core::option::Option::Some(#store); #unset);
                self.push_setter(arg, Sig::new(p.params, body), rel);
                let enc = p.encode;
                (
                    quote!(if let ::core::option::Option::Some(#field) = ::core::mem::take(&mut self.#field) { #enc }),
                    quote!(self.#field.is_some()),
                )
            }
        }
    }

    fn push_setter(&mut self, a: &Arg, sig: Sig, rel: Relations<'_>) {
        self.out.setters.push(Setter {
            name: a.rust.clone(),
            doc: setter_doc(self.cmd, a, &rel),
            generics: sig.generics,
            params: sig.params,
            body: sig.body,
            switch: rel.switch,
        });
    }

    /// Statements unsetting the options an argument excludes (`clears` in the overlay).
    fn clears(&self, a: &Arg) -> TokenStream {
        let mut out = TokenStream::new();
        for c in &a.clears {
            match c.split_once('.') {
                None => {
                    let f = ident(c);
                    out.extend(quote!(c.#f = ::core::default::Default::default();));
                }
                Some((field, variant)) => {
                    let f = ident(field);
                    let ty = format_ident!("{}{}", self.cmd.type_name, camel(field));
                    let v = ident(&camel(variant));
                    out.extend(quote! {
                        if ::core::matches!(c.#f, ::core::option::Option::Some(#ty::#v)) {
                            c.#f = ::core::option::Option::None;
                        }
                    });
                }
            }
        }
        out
    }

    /// One setter per variant of an optional oneof; the choice is kept in a private enum.
    fn variants(&mut self, arg: &Arg, rel: Relations<'_>) -> Encoded {
        let field = ident(&arg.rust);
        let ty = format_ident!("{}{}", self.cmd.type_name, camel(&arg.rust));
        let tok = token_stmt(arg);
        let unset = self.clears(arg);
        let mut defs = Vec::new();
        let mut arms = TokenStream::new();
        let names: Vec<String> = arg.args.iter().map(|v| v.rust.clone()).collect();
        let rank = rel.switch.as_ref().map_or(0, |s| s.1);
        for v in &arg.args {
            if !self.check_name(v) {
                continue;
            }
            let vname = ident(&camel(&v.rust));
            let var = ident(&v.rust);
            let Some(p) = self.payload(v, &var) else { continue };
            let v_rel = Relations {
                // A variant's own reply takes the rank of its oneof.
                switch: v.reply.clone().map(|r| (r, rank)).or_else(|| rel.switch.clone()),
                needs: rel.needs,
                rivals: names.iter().filter(|n| **n != v.rust).cloned().collect(),
                clears: arg.clears.clone(),
            };
            let unset_v = self.clears(v);
            let (pty, store, enc) = (p.ty, p.store, p.encode);
            if v.kind == ArgKind::Token {
                defs.push(quote!(#vname));
                arms.extend(quote!(#ty::#vname => { #enc }));
                let body = quote!(c.#field = ::core::option::Option::Some(#ty::#vname); #unset #unset_v);
                self.push_setter(v, Sig::new(vec![], body), v_rel);
            } else {
                defs.push(quote!(#vname(#pty)));
                arms.extend(quote!(#ty::#vname(#var) => { #enc }));
                let body =
                    quote!(c.#field = ::core::option::Option::Some(#ty::#vname(#store)); #unset #unset_v);
                self.push_setter(v, Sig::new(p.params, body), v_rel);
            }
        }
        self.out.enums.push(quote! {
            #[derive(Debug, Clone)]
            enum #ty { #(#defs,)* }
        });
        self.option_field(&field, quote!(#ty));
        (
            quote!(if let ::core::option::Option::Some(v) = ::core::mem::take(&mut self.#field) { #tok match v { #arms } }),
            quote!(self.#field.is_some()),
        )
    }

    /// A block with optional parts. Optional (`rel` is `Some`): a setter for its required part,
    /// the nested options lowered on their own and encoded inside it. Required (XTRIM's
    /// `trim`): its required part becomes method parameters, stored at once, and the block is
    /// encoded with the options, in its place.
    pub(super) fn block(&mut self, arg: &Arg, rel: Option<Relations<'_>>) -> Encoded {
        let field = ident(&arg.rust);
        let tok = token_stmt(arg);
        let unset = self.clears(arg);
        let (mut tys, mut params, mut stores, mut vars) = (vec![], vec![], vec![], vec![]);
        let mut required_enc = std::collections::BTreeMap::new();
        for (i, f) in arg.args.iter().enumerate() {
            if f.opt {
                continue;
            }
            let fv = ident(&f.rust);
            let Some(p) = self.payload(f, &fv) else { return Default::default() };
            tys.push(p.ty);
            params.extend(p.params);
            stores.push(p.store);
            required_enc.insert(i, p.encode);
            vars.push(fv);
        }
        let required = rel.is_none();
        match rel {
            None => {
                self.out.fields.push(Field {
                    name: field.clone(),
                    ty: quote!(::core::option::Option<(#(#tys,)*)>),
                    init: quote!(::core::option::Option::Some((#(#stores,)*))),
                });
                let names: Vec<String> =
                    arg.args.iter().filter(|f| !f.opt).map(|f| format!("`{}`", f.rust)).collect();
                self.out.param_docs.push(format!(
                    "{}: the required part of `{}`",
                    names.join(", "),
                    arg.name
                ));
                self.out.params.extend(params);
            }
            Some(rel) => {
                self.option_field(&field, quote!((#(#tys,)*)));
                let body = quote!(c.#field = ::core::option::Option::Some((#(#stores,)*)); #unset);
                self.push_setter(arg, Sig::new(params, body), rel);
            }
        }
        let mut inner = TokenStream::new();
        let mut nested_set = Vec::new();
        let mut nested_names = Vec::new();
        for (i, f) in arg.args.iter().enumerate() {
            match required_enc.remove(&i) {
                Some(enc) => inner.extend(enc),
                None => {
                    if !self.check_name(f) {
                        continue;
                    }
                    let (enc, set) = self.option(f, (!required).then_some(arg.rust.as_str()));
                    inner.extend(enc);
                    nested_set.push(set);
                    nested_names.push(f.rust.clone());
                    nested_names.extend(descendant_options(f));
                }
            }
        }
        let msg = format!(
            "{} need(s) `{}`",
            nested_names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" or "),
            arg.rust
        );
        let orphan = if nested_set.is_empty() {
            TokenStream::new()
        } else {
            quote! {
                else if #(#nested_set)||* {
                    c.fail(crate::Error::argument(#msg));
                }
            }
        };
        (
            quote! {
                if let ::core::option::Option::Some((#(#vars,)*)) = ::core::mem::take(&mut self.#field) {
                    #tok
                    #inner
                } #orphan
            },
            // A grandchild set without its parent must also be caught when this block is unset.
            quote!(self.#field.is_some() #(|| #nested_set)*),
        )
    }

    /// A repeated option: values accumulate pre-encoded, in call order.
    fn repeated(&mut self, arg: &Arg, rel: Relations<'_>) -> Encoded {
        let field = ident(&arg.rust);
        let tok = token_stmt(arg);
        let unset = self.clears(arg);
        let per_item = if arg.multi_token { tok.clone() } else { TokenStream::new() };
        let once = if arg.multi_token { TokenStream::new() } else { tok.clone() };
        self.out.fields.push(Field {
            name: field.clone(),
            ty: quote!(crate::command::ArgList),
            init: quote!(crate::command::ArgList::new()),
        });
        let encode = quote!(if !self.#field.is_empty() { #once c.raw(&self.#field); });
        let is_set = quote!(!self.#field.is_empty());
        match arg.kind {
            ArgKind::Block => {
                let (generics, tys, encs) = self.tuple_fields(arg, 0);
                let vars: Vec<Ident> = (0..tys.len()).map(|i| format_ident!("f{}", i)).collect();
                let body = quote! {
                    let c = &mut c.#field;
                    for (#(#vars,)*) in items {
                        #per_item
                        #(#encs)*
                    }
                    #unset
                };
                let params = vec![quote!(items: impl ::core::iter::IntoIterator<Item = (#(#tys,)*)>)];
                self.push_setter(arg, Sig { generics, params, body }, rel);
            }
            ArgKind::OneOf => {
                // Each variant appends, so operations go out in the order of the calls (BITFIELD).
                for v in &arg.args {
                    if !self.check_name(v) {
                        continue;
                    }
                    let Some((params, enc)) = self.immediate(v) else { continue };
                    let vt = token_stmt(v);
                    let body = quote! {
                        {
                            let c = &mut c.#field;
                            #per_item
                            #vt
                            #enc
                        }
                        #unset
                    };
                    self.push_setter(
                        v,
                        Sig::new(params, body),
                        Relations::new(rel.switch.clone(), rel.needs),
                    );
                }
            }
            k if k.is_bytes() || leaf(k).is_some_and(|l| !l.into) => {
                let bound = bytes_bound(k, true);
                let prefix = match (&arg.token, arg.multi_token) {
                    (Some(t), true) => {
                        let lit = bulk(t);
                        quote!(::core::option::Option::Some(#lit))
                    }
                    _ => quote!(::core::option::Option::None),
                };
                let body = quote!(c.#field.extend(#prefix, &values); #unset);
                self.push_setter(arg, Sig::new(vec![quote!(values: impl #bound)], body), rel);
            }
            _ => self.error(&arg.path, "only keys, bytes, numbers, blocks and oneofs can repeat"),
        }
        (encode, is_set)
    }

    /// Parameters of one variant of a repeated oneof, and the code appending it (without its
    /// own token) to the list `c`.
    fn immediate(&mut self, v: &Arg) -> Option<(Vec<TokenStream>, TokenStream)> {
        let var = ident(&v.rust);
        Some(match v.kind {
            ArgKind::Token => (vec![], TokenStream::new()),
            k if k.is_bytes() => (vec![quote!(#var: impl crate::args::ToArg)], quote!(c.arg(&#var);)),
            ArgKind::OneOf => {
                let ty = self.public_enum(v)?;
                let arms = self.enum_arms(v, &ty);
                // The variant's token is written by the caller; the enum's variant tokens here.
                (vec![quote!(value: #ty)], quote!(match value { #arms }))
            }
            ArgKind::Block => {
                let mut params = Vec::new();
                let mut enc = TokenStream::new();
                for f in &v.args {
                    if f.opt || f.multi {
                        self.error(&f.path, "fields of a repeated variant must be single and required");
                        return None;
                    }
                    let fv = ident(&f.rust);
                    enc.extend(token_stmt(f));
                    match f.kind {
                        ArgKind::Token => {}
                        k if k.is_bytes() => {
                            params.push(quote!(#fv: impl crate::args::ToArg));
                            enc.extend(quote!(c.arg(&#fv);));
                        }
                        k => {
                            let l = leaf(k)?;
                            let param = l.param;
                            params.push(quote!(#fv: #param));
                            let value = if l.into { quote!(#fv.into()) } else { quote!(#fv) };
                            enc.extend(encode_leaf(k, value, &what(f)));
                        }
                    }
                }
                (params, enc)
            }
            k => {
                let l = leaf(k)?;
                let param = l.param;
                let value = if l.into { quote!(#var.into()) } else { quote!(#var) };
                (vec![quote!(#var: #param)], encode_leaf(k, value, &what(v)))
            }
        })
    }
}

/// Names of the options nested (at any depth) in a block's optional parts.
fn descendant_options(arg: &Arg) -> Vec<String> {
    let mut names = Vec::new();
    if arg.kind == ArgKind::Block && !arg.multi {
        for f in arg.args.iter().filter(|f| f.opt) {
            names.push(f.rust.clone());
            names.extend(descendant_options(f));
        }
    }
    names
}
