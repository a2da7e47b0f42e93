//! Required arguments: method parameters, encoded when the method is called.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::docs::kind_doc;
use super::{bulk, bytes_bound, encode_leaf, ident, leaf, token_stmt, what, Lowering};
use crate::spec::{Arg, ArgKind};

impl Lowering<'_> {
    /// Advances the RESP index of the next argument by `n`, while it is known.
    fn bump(&mut self, n: usize) {
        self.pos = self.pos.map(|p| p + n);
    }

    /// Lowers one required argument into parameters and constructor statements.
    pub(super) fn required(&mut self, arg: &Arg) {
        let name = ident(&arg.rust);
        let what = what(arg);
        let doc = |extra: &str| format!("`{}`: {}{}", arg.rust, kind_doc(arg.kind), extra);
        match arg.kind {
            ArgKind::Token => {
                self.out.ctor.extend(token_stmt(arg));
                self.bump(1);
                return;
            }
            ArgKind::Numkeys => {
                self.numkeys_pending = true;
                self.pos = None;
                return;
            }
            ArgKind::Cursor => {
                self.out.ctor.extend(token_stmt(arg));
                if arg.token.is_some() {
                    self.bump(1);
                }
                self.out.cursor_index = self.pos;
                if self.pos.is_none() {
                    self.error(&arg.path, "the cursor must follow only single required arguments");
                }
            }
            _ => {}
        }
        if arg.multi && arg.kind != ArgKind::Block {
            self.required_repeated(arg);
            self.pos = None;
            return;
        }
        match arg.kind {
            ArgKind::Key | ArgKind::Bytes | ArgKind::Pattern => {
                let bound = bytes_bound(arg.kind, false);
                self.out.ctor.extend(token_stmt(arg));
                self.out.ctor.extend(quote!(c.arg(&#name);));
                self.out.params.push(quote!(#name: impl #bound));
                self.out.param_docs.push(doc(""));
                self.bump(1 + usize::from(arg.token.is_some()));
            }
            ArgKind::Bool => {
                let Some((on, off)) = self.bool_tokens(arg) else { return };
                self.out.ctor.extend(token_stmt(arg));
                self.out.ctor.extend(quote!(c.token(if #name { #on } else { #off });));
                self.out.params.push(quote!(#name: bool));
                self.out.param_docs.push(doc(""));
                self.pos = None;
            }
            ArgKind::OneOf => {
                let Some(ty) = self.public_enum(arg) else { return };
                self.out.ctor.extend(token_stmt(arg));
                let arms = self.enum_arms(arg, &ty);
                self.out.ctor.extend(quote!(match #name { #arms }));
                self.out.params.push(quote!(#name: #ty));
                self.out.param_docs.push(format!("`{}`: one of [`{}`]", arg.rust, ty));
                self.pos = None;
            }
            ArgKind::Block if arg.multi => {
                self.tuples(arg);
                self.pos = None;
            }
            ArgKind::Block if !arg.args.is_empty() && arg.args.iter().all(|f| f.multi) => {
                self.columns(arg);
                self.pos = None;
            }
            ArgKind::Block => {
                self.out.ctor.extend(token_stmt(arg));
                self.bump(usize::from(arg.token.is_some()));
                for f in &arg.args {
                    if f.opt {
                        self.error(&f.path, "optional fields inside a required block are not supported");
                        continue;
                    }
                    self.required(f);
                }
            }
            ArgKind::Token | ArgKind::Numkeys => {}
            k => {
                let Some(l) = leaf(k) else {
                    self.error(&arg.path, "unsupported argument shape");
                    return;
                };
                if arg.kind != ArgKind::Cursor {
                    self.out.ctor.extend(token_stmt(arg));
                    self.bump(usize::from(arg.token.is_some()));
                }
                let value = if l.into { quote!(#name.into()) } else { quote!(#name) };
                self.out.ctor.extend(encode_leaf(k, value, &what));
                let blocks = self.block_stmt(arg, quote!(#name));
                self.out.ctor.extend(blocks);
                let param = l.param;
                self.out.params.push(quote!(#name: #param));
                self.out.param_docs.push(doc(""));
                self.bump(1);
            }
        }
    }

    /// A repeated argument: one value or many, possibly counted by a `numkeys` before it.
    fn required_repeated(&mut self, arg: &Arg) {
        let name = ident(&arg.rust);
        let what = what(arg);
        let bound = bytes_bound(arg.kind, true);
        if !(arg.kind.is_bytes() || leaf(arg.kind).is_some_and(|l| !l.into)) {
            self.error(&arg.path, "only keys, bytes and numbers can repeat");
            return;
        }
        let min = arg.min.unwrap_or(1) as u32;
        let ctor = &mut self.out.ctor;
        if std::mem::take(&mut self.numkeys_pending) {
            // The count goes first, so the items are encoded aside, then appended.
            ctor.extend(token_stmt(arg));
            ctor.extend(quote! {
                {
                    let mut items = crate::command::ArgList::new();
                    items.extend(::core::option::Option::None, &#name);
                    c.uint(u64::from(items.count()));
                    c.raw(&items);
                    c.check_min(items.count(), #min, #what);
                }
            });
        } else if arg.multi_token {
            let lit = bulk(arg.token.as_deref().unwrap_or_default());
            ctor.extend(quote!(c.args_with(#lit, &#name, #min, #what);));
        } else {
            ctor.extend(token_stmt(arg));
            ctor.extend(quote!(c.args(&#name, #min, #what);));
        }
        self.out.params.push(quote!(#name: impl #bound));
        self.out.param_docs.push(format!(
            "`{}`: {}, one or more (at least {min})",
            arg.rust,
            kind_doc(arg.kind)
        ));
    }

    /// A repeated block, from an iterator of tuples, each item written in turn.
    fn tuples(&mut self, arg: &Arg) {
        let name = ident(&arg.rust);
        let what = what(arg);
        let (generics, tys, encs) = self.tuple_fields(arg, self.out.generics.len());
        self.out.generics.extend(generics);
        let vars: Vec<_> = (0..tys.len()).map(|i| format_ident!("f{}", i)).collect();
        let min = arg.min.unwrap_or(1) as u32;
        let tok = token_stmt(arg);
        let per_item = if arg.multi_token { tok.clone() } else { TokenStream::new() };
        let once = if arg.multi_token { TokenStream::new() } else { tok };
        self.out.ctor.extend(quote! {
            #once
            let mut n = 0u32;
            for (#(#vars,)*) in #name {
                #per_item
                #(#encs)*
                n += 1;
            }
            c.check_min(n, #min, #what);
        });
        self.out.params.push(quote!(#name: impl ::core::iter::IntoIterator<Item = (#(#tys,)*)>));
        let fields: Vec<&str> = arg.args.iter().map(|f| f.rust.as_str()).collect();
        self.out.param_docs.push(format!("`{}`: items of ({}), at least {min}", arg.rust, fields.join(", ")));
    }

    /// A block of parallel repeated fields, written column by column (`XREAD STREAMS k1 k2 id1
    /// id2`), from an iterator of tuples.
    fn columns(&mut self, arg: &Arg) {
        let name = ident(&arg.rust);
        let what = what(arg);
        let mut generics = Vec::new();
        let mut tys = Vec::new();
        let mut vars = Vec::new();
        let mut cols = Vec::new();
        for (i, f) in arg.args.iter().enumerate() {
            if !f.kind.is_bytes() {
                self.error(&f.path, "columns of a block must be keys or bytes");
                return;
            }
            let g = format_ident!("T{}", self.out.generics.len() + i);
            let bound = bytes_bound(f.kind, false);
            generics.push(quote!(#g: #bound));
            tys.push(quote!(#g));
            vars.push(format_ident!("f{}", i));
            cols.push(format_ident!("col{}", i));
        }
        self.out.generics.extend(generics);
        let min = arg.min.unwrap_or(1) as u32;
        let rest = &cols[1..];
        let rest_vars = &vars[1..];
        let v0 = &vars[0];
        let tok = token_stmt(arg);
        self.out.ctor.extend(quote! {
            #tok
            {
                let mut n = 0u32;
                #(let mut #rest = crate::command::ArgList::new();)*
                for (#(#vars,)*) in #name {
                    c.arg(&#v0);
                    #(#rest.arg(&#rest_vars);)*
                    n += 1;
                }
                #(c.raw(&#rest);)*
                c.check_min(n, #min, #what);
            }
        });
        self.out.params.push(quote!(#name: impl ::core::iter::IntoIterator<Item = (#(#tys,)*)>));
        let fields: Vec<&str> = arg.args.iter().map(|f| f.rust.as_str()).collect();
        self.out.param_docs.push(format!(
            "`{}`: items of ({}), at least {min}; sent column by column",
            arg.rust,
            fields.join(", ")
        ));
    }

    /// For an iterator of tuples: generic parameters (numbered from `first`), item types and
    /// per-item encoding.
    pub(super) fn tuple_fields(
        &self,
        arg: &Arg,
        first: usize,
    ) -> (Vec<TokenStream>, Vec<TokenStream>, Vec<TokenStream>) {
        let (mut generics, mut tys, mut encs) = (Vec::new(), Vec::new(), Vec::new());
        for (i, f) in arg.args.iter().enumerate() {
            let var = format_ident!("f{}", i);
            if f.opt || f.multi {
                self.error(&f.path, "fields of a repeated block must be single and required");
                continue;
            }
            let tok = token_stmt(f);
            if f.kind.is_bytes() {
                let g = format_ident!("T{}", first + i);
                let bound = bytes_bound(f.kind, false);
                generics.push(quote!(#g: #bound));
                tys.push(quote!(#g));
                encs.push(quote!(#tok c.arg(&#var);));
            } else if let Some(l) = leaf(f.kind) {
                tys.push(l.store);
                let e = encode_leaf(f.kind, quote!(#var), &what(f));
                encs.push(quote!(#tok #e));
            } else {
                self.error(&f.path, "fields of a repeated block must be keys, bytes or numbers");
            }
        }
        (generics, tys, encs)
    }
}
