//! One command's request type: the struct holding its encoded arguments and options, its
//! `Command` impl (encoding, reply decoder, static info), setters and reply switches.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::args::{self, Lowered};
use super::{docs, example, reply, switches};
use crate::ctxt::Ctxt;
use crate::spec::{BeginSearch, Command, FindKeys, KeySpec, ReplyExpr};

/// The expansion of one command: its items, and its method for the group trait.
pub struct Expanded {
    /// Struct, impls, enums, traits.
    pub items: TokenStream,
    /// The constructor method of the group trait.
    pub method: TokenStream,
    /// Enum definitions; the group dedupes them, since commands may share one.
    pub enums: Vec<TokenStream>,
}

/// Expands `cmd`, or returns `None` after recording why it cannot be.
pub fn expand(cmd: &Command, cx: &Ctxt) -> Option<Expanded> {
    let before = cx.error_count();
    let tokens: Vec<&str> = cmd.name.split(' ').collect();
    let low = args::lower(cmd, tokens.len(), cx);
    let sw = match switches::build(&cmd.type_name, &cmd.reply, &low.setters) {
        Ok(s) => s,
        Err(e) => {
            cx.error(Some(&cmd.name), &cmd.path, e);
            return None;
        }
    };
    if !crate::names::is_snake_ident(&cmd.rust) {
        cx.error(
            Some(&cmd.name),
            format!("{}.rust", cmd.path),
            format!("`{}` is not a usable method name", cmd.rust),
        );
    }
    if !crate::names::is_type_ident(&cmd.type_name) {
        cx.error(
            Some(&cmd.name),
            format!("{}.type", cmd.path),
            format!("`{}` is not a type name", cmd.type_name),
        );
    }
    if let (ReplyExpr::Scan(_), None) = (&cmd.reply, low.cursor_index) {
        cx.error(Some(&cmd.name), &cmd.path, "a scan<T> reply needs an argument of kind cursor");
    }
    if cx.error_count() != before {
        return None;
    }
    let example = match example::lines(cmd, &low) {
        Ok(lines) => lines,
        Err(e) => {
            cx.error(Some(&cmd.name), &cmd.path, format!("the docs example: {e}"));
            return None;
        }
    };
    let ty = format_ident!("{}", cmd.type_name);
    let default = reply::decoder(&cmd.reply);
    let Lowered { generics, params, param_docs, ctor, fields, encode, setters, enums, cursor_index, .. } =
        low;
    let name_lit = Literal::byte_string(
        tokens.iter().map(|t| format!("${}\r\n{}\r\n", t.len(), t)).collect::<String>().as_bytes(),
    );
    let ntok = tokens.len() as u32;
    let fnames: Vec<_> = fields.iter().map(|f| f.name.clone()).collect();
    let ftys: Vec<_> = fields.iter().map(|f| f.ty.clone()).collect();
    let finits: Vec<_> = fields.iter().map(|f| f.init.clone()).collect();
    let info = info(cmd);
    let mut struct_lines = vec![
        format!(
            "Request of `{}`, made by [`{}`](crate::commands::{}::{}).",
            cmd.name,
            cmd.rust,
            match cmd.on.as_deref() {
                Some("transaction") =>
                    crate::names::group_trait(&cmd.group).replace("Commands", "TxCommands"),
                Some("subscriber") =>
                    crate::names::group_trait(&cmd.group).replace("Commands", "SubCommands"),
                _ => crate::names::group_trait(&cmd.group),
            },
            cmd.rust
        ),
        String::new(),
        "Chain its options, then `.await` it; `R` is the reply decoder, which options may change.".into(),
    ];
    // Each option's section: the target of every link to it (the setters themselves all live
    // on `Req`, where options of one name share an anchor).
    if !setters.is_empty() {
        struct_lines.extend([String::new(), "# Options".into()]);
    }
    for s in &setters {
        struct_lines.extend([String::new(), args::option_heading(&s.name), String::new()]);
        let call =
            if s.params.is_empty() { format!("`.{}()`", s.name) } else { format!("`.{}(..)`", s.name) };
        struct_lines.push(format!("Set with {call} on the request."));
        struct_lines.push(String::new());
        struct_lines.extend(s.doc.iter().cloned());
    }
    let struct_doc = docs::attrs(&struct_lines);
    let retype = if sw.setter_trait.is_empty() {
        TokenStream::new()
    } else {
        quote! {
            impl<R> #ty<R> {
                fn retype<R2>(self) -> #ty<R2> {
                    #ty { cmd: self.cmd, #(#fnames: self.#fnames,)* _reply: ::core::marker::PhantomData }
                }
            }
        }
    };
    let encode_mut = if fields.is_empty() { quote!() } else { quote!(mut) };
    let mut setter_fns = TokenStream::new();
    let mut setter_docs = Vec::new();
    for (i, s) in setters.iter().enumerate() {
        let name = format_ident!("{}", s.name);
        let doc = docs::attrs(&s.doc);
        let (generics, params, body) = (&s.generics, &s.params, &s.body);
        setter_docs.push(format!(
            "{}{}",
            args::option_link(cmd, &s.name),
            match &s.switch {
                Some((r, _)) => format!(" (reply becomes `{}`)", r.output()),
                None => String::new(),
            }
        ));
        match sw.setter_trait.get(&i) {
            Some(tr) => setter_fns.extend(quote! {
                #doc
                pub fn #name<#(#generics),*>(self, #(#params),*) -> crate::request::Req<'c, E, #ty<<R as #tr>::Out>>
                where
                    R: #tr,
                {
                    let mut this = self;
                    {
                        let c = &mut this.cmd;
                        #body
                    }
                    this.map(|c| c.retype())
                }
            }),
            None => setter_fns.extend(quote! {
                #doc
                pub fn #name<#(#generics),*>(mut self, #(#params),*) -> Self {
                    {
                        let c = &mut self.cmd;
                        #body
                    }
                    self
                }
            }),
        }
    }
    // A `stream` for each page type the command can reply with (HSCAN's pairs, and its fields
    // alone after `novalues`).
    let mut scan = TokenStream::new();
    let mut scan_items: Vec<String> = Vec::new();
    for expr in std::iter::once(&cmd.reply).chain(switch_replies(&cmd.args)) {
        let (ReplyExpr::Scan(item), Some(index)) = (expr, cursor_index) else { continue };
        let item = reply::scan_page(item);
        if scan_items.contains(&item.to_string()) {
            continue;
        }
        scan_items.push(item.to_string());
        let doc = format!(
            " Iterates the whole `{}`, sending the command again with each returned cursor.",
            cmd.name
        );
        scan.extend(quote! {
            impl<'c, E: crate::request::Executor + ?::core::marker::Sized> crate::request::Req<'c, E, #ty<crate::reply::Scan<#item>>> {
                #[doc = #doc]
                ///
                /// Items come one at a time; duplicates are possible, as with any SCAN.
                pub fn stream(self) -> crate::scan::ScanStream<'c, E, #item> {
                    let info = <#ty<crate::reply::Scan<#item>> as crate::command::Command>::INFO;
                    crate::scan::ScanStream::new(self.exec, crate::command::Command::encode(self.cmd), #index, info)
                }
            }
        });
    }
    let setters_impl = if setter_fns.is_empty() {
        TokenStream::new()
    } else {
        quote! {
            impl<'c, E: ?::core::marker::Sized, R> crate::request::Req<'c, E, #ty<R>> {
                #setter_fns
            }
        }
    };
    let switch_items = sw.items;
    let cacheable = if let Some(keys) = cacheable(cmd) {
        // The key is the first argument after the name (`cacheable`), whose encoded
        // tokens are `name_lit`: a cached read finds its key there without parsing.
        let key_at = tokens.iter().map(|t| format!("${}\r\n{}\r\n", t.len(), t).len()).sum::<usize>();
        let each = keys == Keys::Each;
        quote! {
            impl<R: crate::reply::Decode> crate::cache::Sealed for #ty<R> {}
            impl<R: crate::reply::Decode> crate::cache::Cacheable for #ty<R> {
                const KEY_AT: usize = #key_at;
                const EACH_KEY: bool = #each;
            }
        }
    } else {
        TokenStream::new()
    };
    // The caller wraps all items of a group in one `#[cfg(feature)]` module.
    let items = quote! {
        #struct_doc
        pub struct #ty<R = #default> {
            cmd: crate::command::CmdBuf,
            #(#fnames: #ftys,)*
            _reply: ::core::marker::PhantomData<fn() -> R>,
        }
        #retype
        impl<R: crate::reply::Decode> crate::command::Command for #ty<R> {
            type Reply = R;
            const INFO: &'static crate::command::CommandInfo = &#info;
            fn encode(#encode_mut self) -> ::core::result::Result<crate::command::Encoded, crate::Error> {
                let mut c = self.cmd;
                c.begin_options();
                #encode
                c.finish()
            }
        }
        #cacheable
        #switch_items
        #setters_impl
        #scan
    };
    let method_doc = docs::method(cmd, &param_docs, &setter_docs, &example);
    let deprecated = match &cmd.deprecated {
        Some((since, used)) => {
            let note = match used {
                Some(u) => format!("use {u}"),
                None => "deprecated by the server".into(),
            };
            quote!(#[deprecated(since = #since, note = #note)])
        }
        None => TokenStream::new(),
    };
    let m = format_ident!("{}", cmd.rust);
    let method = quote! {
        #method_doc
        #deprecated
        #[inline]
        fn #m<#(#generics),*>(&self, #(#params),*) -> crate::request::Req<'_, Self, #ty> {
            let mut c = crate::command::CmdBuf::new(#name_lit, #ntok);
            #ctor
            crate::request::Req::new(self, #ty { cmd: c, #(#fnames: #finits,)* _reply: ::core::marker::PhantomData })
        }
    };
    Some(Expanded { items, method, enums })
}

/// Which keys a cached read has (see [`cacheable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keys {
    /// One, right after the name's tokens.
    One,
    /// Every argument after the name's tokens, each read and cached on its own.
    Each,
}

/// Whether the client-side cache may keep the command's reply, as the spec tells: it only
/// reads and does not block; its one key is right after the name (an invalidation names one
/// key, and the PTTL that caps the entry's life asks about it); no tip says its output varies
/// (SRANDMEMBER, HRANDFIELD, the SCAN family); and the overlay did not rule it out
/// (`not_cacheable`: TOUCH, MEMORY USAGE, XINFO). Or every argument after the name is a key
/// and the overlay says the reply has one element per key, each the command's reply on that
/// key alone (`cached_per_key`: MGET): then each key is cached on its own.
pub(crate) fn cacheable(cmd: &Command) -> Option<Keys> {
    let flag = |f: &str| cmd.flags.iter().any(|x| x == f);
    let after_name = |i: &i64| usize::try_from(*i).is_ok_and(|i| i == cmd.name.split(' ').count());
    let keys = match cmd.key_specs.as_slice() {
        [KeySpec { begin: BeginSearch::Index(i), find: FindKeys::Range(0, _, _), .. }] if after_name(i) => {
            Keys::One
        }
        [KeySpec { begin: BeginSearch::Index(i), find: FindKeys::Range(-1, 1, 0), .. }]
            if after_name(i) && flag("cached_per_key") =>
        {
            Keys::Each
        }
        _ => return None,
    };
    let deterministic = !cmd.tips.iter().any(|t| t == "nondeterministic_output");
    (flag("readonly") && !flag("write") && !flag("blocking") && !flag("not_cacheable") && deterministic)
        .then_some(keys)
}

/// The static `CommandInfo` of a command.
fn info(cmd: &Command) -> TokenStream {
    let name = &cmd.name;
    let mut flags = Vec::new();
    for f in &cmd.flags {
        let id = match f.as_str() {
            "write" => "WRITE",
            "readonly" => "READONLY",
            "denyoom" => "DENYOOM",
            "admin" => "ADMIN",
            "pubsub" => "PUBSUB",
            "noscript" => "NOSCRIPT",
            "blocking" => "BLOCKING",
            "loading" => "LOADING",
            "stale" => "STALE",
            "fast" => "FAST",
            "no_multi" => "NO_MULTI",
            "movablekeys" => "MOVABLE_KEYS",
            "no_auth" => "NO_AUTH",
            "may_replicate" => "MAY_REPLICATE",
            "closes_connection" => "CLOSES_CONNECTION",
            "syncs_offset" => "SYNCS_OFFSET",
            "refused_in_cluster" => "REFUSED_IN_CLUSTER",
            "never_split" => "NEVER_SPLIT",
            "subscribes" => "SUBSCRIBES",
            _ => continue,
        };
        let id = format_ident!("{}", id);
        flags.push(quote!(crate::command::Flags::#id.bits()));
    }
    let specs = cmd.key_specs.iter().map(|k| {
        let begin = match &k.begin {
            BeginSearch::Index(i) => {
                let i = *i as u32;
                quote!(crate::command::BeginSearch::Index(#i))
            }
            BeginSearch::Keyword(kw, from) => {
                let from = *from as i32;
                quote!(crate::command::BeginSearch::Keyword(#kw, #from))
            }
            BeginSearch::Unknown => quote!(crate::command::BeginSearch::Unknown),
        };
        let find = match &k.find {
            FindKeys::Range(last, step, limit) => {
                let (last, step, limit) = (*last as i32, *step as u32, *limit as u32);
                quote!(crate::command::FindKeys::Range { last: #last, step: #step, limit: #limit })
            }
            FindKeys::Keynum(idx, first, step) => {
                let (idx, first, step) = (*idx as u32, *first as u32, *step as u32);
                quote!(crate::command::FindKeys::Keynum { index: #idx, first: #first, step: #step })
            }
            FindKeys::Unknown => quote!(crate::command::FindKeys::Unknown),
        };
        quote!(crate::command::KeySpec { begin: #begin, find: #find })
    });
    let tips = &cmd.tips;
    quote! {
        crate::command::CommandInfo {
            name: #name,
            flags: crate::command::Flags::from_bits(0 #(| #flags)*),
            key_specs: &[#(#specs),*],
            tips: &[#(#tips),*],
        }
    }
}

/// The replies options switch to, at any depth.
fn switch_replies(args: &[crate::spec::Arg]) -> Vec<&ReplyExpr> {
    args.iter().flat_map(|a| a.reply.iter().chain(switch_replies(&a.args))).collect()
}

#[cfg(test)]
mod tests {
    use super::{cacheable, Keys};

    #[test]
    fn the_cacheable_commands_come_from_the_spec() {
        let cx = crate::ctxt::Ctxt::new();
        let spec =
            crate::spec::parse(include_str!("../../../../commands.json"), &cx).expect("the spec parses");
        assert!(cx.finish().is_empty());
        let keys = |name: &str| cacheable(spec.commands.iter().find(|c| c.name == name).expect(name));
        let cacheable = |name: &str| keys(name) == Some(Keys::One);
        for yes in ["GET", "HGET", "HGETALL", "LRANGE", "SMEMBERS", "ZRANGE", "STRLEN", "TYPE", "PEXPIRETIME"]
        {
            assert!(cacheable(yes), "{yes} is cacheable");
        }
        // Writes, blocking reads, output that varies, several keys, no key, the overlay's
        // exceptions.
        for no in [
            "SET",
            "GETEX",
            "BLPOP",
            "SRANDMEMBER",
            "HRANDFIELD",
            "SSCAN",
            "SINTER",
            "EXISTS",
            "RANDOMKEY",
            "TIME",
            "TOUCH",
            "MEMORY USAGE",
            "XINFO STREAM",
            "EVAL_RO",
        ] {
            assert!(keys(no).is_none(), "{no} is not cacheable");
        }
        // Key by key: the overlay says the reply has one element per key.
        assert_eq!(keys("MGET"), Some(Keys::Each));
    }
}
