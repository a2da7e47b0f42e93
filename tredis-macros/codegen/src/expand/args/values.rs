//! Values held by requests: the public enums of oneofs (variants may carry data, as
//! GEOSEARCH's `BYBOX width height unit`), and the payloads options store.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::docs::kind_doc;
use super::{bytes_bound, encode_leaf, ident, leaf, token_stmt, what, Lowering};
use crate::names::{camel, is_type_ident};
use crate::spec::{Arg, ArgKind};

/// A value an option stores: its field type, how setter parameters become it, how it encodes.
pub(super) struct Payload {
    /// The type stored in the request.
    pub ty: TokenStream,
    /// The setter's parameters.
    pub params: Vec<TokenStream>,
    /// The expression turning the parameters into the stored value.
    pub store: TokenStream,
    /// Statements encoding the stored value, bound to the payload's variable.
    pub encode: TokenStream,
}

impl Lowering<'_> {
    /// Defines the public enum of a oneof and returns its type; `None` after an error.
    pub(super) fn public_enum(&mut self, arg: &Arg) -> Option<Ident> {
        let ty = arg.type_name.clone().unwrap_or_else(|| self.cmd.type_name.clone() + &camel(&arg.rust));
        if !is_type_ident(&ty) {
            self.error(&format!("{}.type", arg.path), format!("`{ty}` is not a type name"));
            return None;
        }
        let ty = ident(&ty);
        let mut variants = Vec::new();
        // Enums of tokens and numbers are `Copy`; those holding bytes are not.
        let copy = !has_bytes(arg);
        for v in &arg.args {
            let vname = ident(&camel(&v.rust));
            let doc = match (&v.token, v.kind) {
                (Some(t), ArgKind::Token) => format!(" `{t}`."),
                (Some(t), k) => format!(" `{t}` with {}.", kind_doc(k)),
                (None, k) => format!(" {}.", kind_doc(k)),
            };
            if v.multi {
                self.error(&v.path, "a repeated variant cannot be part of a public enum");
                return None;
            }
            match v.kind {
                ArgKind::Token => variants.push(quote!(#[doc = #doc] #vname)),
                ArgKind::Block => {
                    let mut fields = Vec::new();
                    for f in &v.args {
                        if f.kind == ArgKind::Token && !f.opt {
                            continue;
                        }
                        let fname = ident(&f.rust);
                        let fty = self.field_type(f)?;
                        let fdoc = format!(" {}.", kind_doc(f.kind));
                        fields.push(quote!(#[doc = #fdoc] #fname: #fty));
                    }
                    variants.push(quote!(#[doc = #doc] #vname { #(#fields,)* }));
                }
                _ => {
                    let fty = self.field_type(v)?;
                    variants.push(quote!(#[doc = #doc] #vname(#fty)));
                }
            }
        }
        let tokens: Vec<String> =
            arg.args.iter().map(|v| format!("`{}`", v.token.as_deref().unwrap_or(&v.name))).collect();
        let doc = format!(" One of {}.", tokens.join(", "));
        // Two commands may share one enum (CLIENT KILL and CLIENT LIST `TYPE`): the group
        // defines each distinct definition once.
        let derives =
            if copy { quote!(Debug, Clone, Copy, PartialEq) } else { quote!(Debug, Clone, PartialEq) };
        self.out.enums.push(quote! {
            #[doc = #doc]
            #[derive(#derives)]
            pub enum #ty { #(#variants,)* }
        });
        Some(ty)
    }

    /// The type of a value inside a public enum: owned, so that users can build it.
    fn field_type(&mut self, f: &Arg) -> Option<TokenStream> {
        let ty = match f.kind {
            k if k.is_bytes() => quote!(crate::Bytes),
            ArgKind::OneOf => {
                let inner = self.public_enum(f)?;
                quote!(#inner)
            }
            ArgKind::Token => quote!(bool),
            k => match leaf(k) {
                Some(l) => l.store,
                None => {
                    self.error(&f.path, "this kind cannot be part of a public enum");
                    return None;
                }
            },
        };
        Some(if f.opt && f.kind != ArgKind::Token { quote!(::core::option::Option<#ty>) } else { ty })
    }

    /// Encodes a field `v` of a public enum's variant (with its token).
    fn encode_owned(&mut self, f: &Arg, v: TokenStream) -> TokenStream {
        let tok = token_stmt(f);
        if f.kind == ArgKind::Token {
            return quote!(if #v { #tok });
        }
        if f.opt {
            let value = self.rebind(f, quote!(x));
            quote!(if let ::core::option::Option::Some(x) = #v { #tok #value })
        } else {
            let value = self.rebind(f, v);
            quote!(#tok #value)
        }
    }

    /// The encoding of an owned value of `f` (without its token), bound to `v`.
    fn rebind(&mut self, f: &Arg, v: TokenStream) -> TokenStream {
        match f.kind {
            k if k.is_bytes() => quote!(c.arg(&#v);),
            ArgKind::OneOf => {
                let Some(ty) = self.public_enum(f) else { return TokenStream::new() };
                let arms = self.enum_arms(f, &ty);
                quote!(match #v { #arms })
            }
            k => encode_leaf(k, v, &what(f)),
        }
    }

    /// Match arms encoding a value of the public enum `ty` of `arg`.
    pub(super) fn enum_arms(&mut self, arg: &Arg, ty: &Ident) -> TokenStream {
        let mut arms = TokenStream::new();
        for v in &arg.args {
            let vname = ident(&camel(&v.rust));
            let tok = token_stmt(v);
            match v.kind {
                ArgKind::Token => arms.extend(quote!(#ty::#vname => { #tok })),
                ArgKind::Block => {
                    let mut names = Vec::new();
                    let mut encs = TokenStream::new();
                    for f in &v.args {
                        if f.kind == ArgKind::Token && !f.opt {
                            encs.extend(token_stmt(f));
                            continue;
                        }
                        let fname = ident(&f.rust);
                        encs.extend(self.encode_owned(f, quote!(#fname)));
                        names.push(fname);
                    }
                    arms.extend(quote!(#ty::#vname { #(#names,)* } => { #tok #encs }));
                }
                _ => {
                    let enc = self.rebind(v, quote!(v));
                    arms.extend(quote!(#ty::#vname(v) => { #tok #enc }));
                }
            }
        }
        arms
    }

    /// Payload of a single, non-repeated value named `var`. The option's own token is written
    /// by the encoding.
    pub(super) fn payload(&mut self, a: &Arg, var: &Ident) -> Option<Payload> {
        let tok = token_stmt(a);
        if a.multi {
            self.error(&a.path, "a repeated value cannot be nested here");
            return None;
        }
        Some(match a.kind {
            ArgKind::Token => Payload { ty: quote!(()), params: vec![], store: quote!(()), encode: tok },
            k if k.is_bytes() => {
                let bound = bytes_bound(k, false);
                Payload {
                    ty: quote!(crate::command::ArgList),
                    params: vec![quote!(#var: impl #bound)],
                    store: quote!(crate::command::ArgList::one(&#var)),
                    encode: quote!(#tok c.raw(&#var);),
                }
            }
            ArgKind::Bool => {
                let (on, off) = self.bool_tokens(a)?;
                Payload {
                    ty: quote!(bool),
                    params: vec![quote!(#var: bool)],
                    store: quote!(#var),
                    encode: quote!(#tok c.token(if #var { #on } else { #off });),
                }
            }
            ArgKind::OneOf => {
                let ty = self.public_enum(a)?;
                let arms = self.enum_arms(a, &ty);
                Payload {
                    ty: quote!(#ty),
                    params: vec![quote!(#var: #ty)],
                    store: quote!(#var),
                    encode: quote!(#tok match #var { #arms }),
                }
            }
            ArgKind::Block => self.block_payload(a, var, tok)?,
            k => {
                let Some(l) = leaf(k) else {
                    self.error(&a.path, "unsupported argument shape");
                    return None;
                };
                let e = encode_leaf(k, quote!(#var), &what(a));
                let b = self.block_stmt(a, quote!(#var));
                let param = l.param;
                Payload {
                    ty: l.store,
                    params: vec![quote!(#var: #param)],
                    store: if l.into { quote!(#var.into()) } else { quote!(#var) },
                    encode: quote!(#tok #e #b),
                }
            }
        })
    }

    /// Payload of a block of required fields: a tuple of theirs, encoded after the token `tok`.
    fn block_payload(&mut self, a: &Arg, var: &Ident, tok: TokenStream) -> Option<Payload> {
        let (mut tys, mut params, mut stores, mut encs, mut vars) = (vec![], vec![], vec![], vec![], vec![]);
        for f in &a.args {
            if f.opt {
                self.error(&f.path, "an optional field is not supported in this block");
                return None;
            }
            let fv = ident(&f.rust);
            let p = self.payload(f, &fv)?;
            tys.push(p.ty);
            params.extend(p.params);
            stores.push(p.store);
            encs.push(p.encode);
            vars.push(fv);
        }
        Some(Payload {
            ty: quote!((#(#tys,)*)),
            params,
            store: quote!((#(#stores,)*)),
            encode: quote!({ let (#(#vars,)*) = #var; #tok #(#encs)* }),
        })
    }
}

/// True when a value of `arg` holds bytes somewhere, so its enum cannot be `Copy`.
fn has_bytes(arg: &Arg) -> bool {
    arg.kind.is_bytes()
        || matches!(arg.kind, ArgKind::LexBound | ArgKind::RangeBound)
        || arg.args.iter().any(has_bytes)
}
