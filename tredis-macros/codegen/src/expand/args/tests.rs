//! Unit tests of the argument lowering: small commands built by hand, lowered, and the pieces
//! (parameters, constructor statements, fields, setters, docs, enums, errors) compared with
//! what they must be.

use proc_macro2::TokenStream;
use quote::quote;

use super::{lower, Lowered, Setter};
use crate::ctxt::Ctxt;
use crate::spec::{reply, Arg, ArgKind, Command, ReplyExpr, Servers};

/// A command of the `string` group recorded from Redis 7.0.15 and Valkey 8.1.8, replying `ok`.
fn command(name: &str, args: Vec<Arg>) -> Command {
    let rust = name.to_lowercase().replace(' ', "_");
    Command {
        path: "commands[0]".into(),
        name: name.into(),
        type_name: crate::names::camel(&rust),
        rust,
        group: "string".into(),
        since: Some("1.0.0".into()),
        servers: Servers::new(),
        recorded: vec![("redis".into(), "7.0.15".into()), ("valkey".into(), "8.1.8".into())],
        summary: "A command.".into(),
        complexity: None,
        history: Vec::new(),
        deprecated: None,
        flags: Vec::new(),
        tips: Vec::new(),
        key_specs: Vec::new(),
        args,
        reply: reply::parse("ok").unwrap(),
        doc: None,
        on: None,
    }
}

/// A required argument named `name` (its Rust name the same, in snake case).
fn arg(name: &str, kind: ArgKind) -> Arg {
    Arg {
        path: format!("args.{name}"),
        name: name.into(),
        rust: name.to_lowercase().replace('-', "_"),
        kind,
        token: None,
        opt: false,
        fixed: false,
        block: false,
        clears: Vec::new(),
        multi: false,
        multi_token: false,
        since: None,
        servers: None,
        reply: None,
        type_name: None,
        min: None,
        args: Vec::new(),
        doc: None,
    }
}

/// A bare token, named as it is spelled.
fn token(t: &str) -> Arg {
    arg(t, ArgKind::Token).token(t)
}

/// A oneof or block holding `args`.
fn group(name: &str, kind: ArgKind, args: Vec<Arg>) -> Arg {
    Arg { args, ..arg(name, kind) }
}

/// Changes to an argument, chained.
trait Patch: Sized {
    fn token(self, t: &str) -> Self;
    fn opt(self) -> Self;
    fn multi(self) -> Self;
    fn reply(self, r: &str) -> Self;
    fn clears(self, c: &[&str]) -> Self;
}

impl Patch for Arg {
    fn token(self, t: &str) -> Arg {
        Arg { token: Some(t.into()), ..self }
    }
    fn opt(self) -> Arg {
        Arg { opt: true, ..self }
    }
    fn multi(self) -> Arg {
        Arg { multi: true, ..self }
    }
    fn reply(self, r: &str) -> Arg {
        Arg { reply: Some(reply::parse(r).unwrap()), ..self }
    }
    fn clears(self, c: &[&str]) -> Arg {
        Arg { clears: c.iter().map(|s| s.to_string()).collect(), ..self }
    }
}

/// Lowers `cmd`, whose name is one word unless it has a space; returns the errors too.
fn lowered(cmd: &Command) -> (Lowered, Vec<String>) {
    let cx = Ctxt::new();
    let low = lower(cmd, cmd.name.split(' ').count(), &cx);
    (low, cx.finish().iter().map(ToString::to_string).collect())
}

/// Lowers a command that must lower cleanly.
fn clean(cmd: &Command) -> Lowered {
    let (low, errors) = lowered(cmd);
    assert_eq!(errors, Vec::<String>::new());
    low
}

fn text(ts: &[TokenStream]) -> Vec<String> {
    ts.iter().map(ToString::to_string).collect()
}

fn setter<'a>(low: &'a Lowered, name: &str) -> &'a Setter {
    low.setters.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no setter `{name}`"))
}

/// The doc of a setter without its blank lines.
fn doc(s: &Setter) -> Vec<&str> {
    s.doc.iter().map(String::as_str).filter(|l| !l.is_empty()).collect()
}

#[test]
fn required_key_and_optional_token() {
    let low = clean(&command(
        "SET",
        vec![arg("key", ArgKind::Key), arg("value", ArgKind::Bytes), token("NX").opt()],
    ));
    assert_eq!(
        text(&low.params),
        text(&[quote!(key: impl crate::args::ToKey), quote!(value: impl crate::args::ToArg)])
    );
    assert_eq!(low.param_docs, ["`key`: a key", "`value`: bytes"]);
    assert_eq!(low.ctor.to_string(), quote!(c.arg(&key); c.arg(&value);).to_string());
    assert_eq!(low.fields.len(), 1);
    assert_eq!((low.fields[0].name.to_string(), low.fields[0].ty.to_string()), ("nx".into(), "bool".into()));
    assert_eq!(low.fields[0].init.to_string(), "false");
    let nx = setter(&low, "nx");
    assert_eq!(nx.body.to_string(), quote!(c.nx = true;).to_string());
    assert!(nx.params.is_empty() && nx.switch.is_none());
    assert_eq!(doc(nx), ["Sends `NX`.", "Option of `SET`."]);
    assert_eq!(
        low.encode.to_string(),
        quote!(if self.nx {
            c.token(b"$2\r\nNX\r\n");
        })
        .to_string()
    );
    // The key is the second word of the request: the cursor index is not asked for here.
    assert_eq!(low.cursor_index, None);
}

#[test]
fn valued_option_stores_its_payload() {
    let ex = arg("seconds", ArgKind::DurationS).token("EX").opt();
    let low = clean(&command("SET", vec![arg("key", ArgKind::Key), ex]));
    let s = setter(&low, "seconds");
    assert_eq!(text(&s.params), text(&[quote!(seconds: ::core::time::Duration)]));
    assert_eq!(doc(s), ["Sends `EX` with a duration, sent as whole seconds.", "Option of `SET`."]);
    assert_eq!(
        low.fields[0].ty.to_string(),
        quote!(::core::option::Option<::core::time::Duration>).to_string()
    );
    assert_eq!(
        low.encode.to_string(),
        quote!(if let ::core::option::Option::Some(seconds) = ::core::mem::take(&mut self.seconds) {
            c.token(b"$2\r\nEX\r\n");
            c.dur_s(seconds, "EX");
        })
        .to_string()
    );
}

#[test]
fn required_oneof_is_a_public_enum_with_a_data_variant() {
    let by_box =
        group("box", ArgKind::Block, vec![arg("width", ArgKind::Double), arg("height", ArgKind::Double)])
            .token("BYBOX");
    let shape =
        group("shape", ArgKind::OneOf, vec![arg("radius", ArgKind::Double).token("BYRADIUS"), by_box]);
    let low = clean(&command("GEOSEARCH", vec![arg("key", ArgKind::Key), shape]));
    assert_eq!(text(&low.params)[1], quote!(shape: GeosearchShape).to_string());
    assert_eq!(low.param_docs[1], "`shape`: one of [`GeosearchShape`]");
    assert_eq!(
        text(&low.enums),
        text(&[quote! {
            #[doc = " One of `BYRADIUS`, `BYBOX`."]
            #[derive(Debug, Clone, Copy, PartialEq)]
            pub enum GeosearchShape {
                #[doc = " `BYRADIUS` with a float (not NaN)."]
                Radius(f64),
                #[doc = " `BYBOX` with a group of values."]
                Box {
                    #[doc = " a float (not NaN)."]
                    width: f64,
                    #[doc = " a float (not NaN)."]
                    height: f64,
                },
            }
        }])
    );
    assert_eq!(
        low.ctor.to_string(),
        quote! {
            c.arg(&key);
            match shape {
                GeosearchShape::Radius(v) => { c.token(b"$8\r\nBYRADIUS\r\n"); c.double_arg(v, "BYRADIUS"); }
                GeosearchShape::Box { width, height, } => {
                    c.token(b"$5\r\nBYBOX\r\n"); c.double_arg(width, "width"); c.double_arg(height, "height");
                }
            }
        }
        .to_string()
    );
}

#[test]
fn repeated_block_takes_an_iterator_of_tuples() {
    let pair =
        group("data", ArgKind::Block, vec![arg("field", ArgKind::Key), arg("value", ArgKind::Bytes)]).multi();
    let low = clean(&command("MSET", vec![pair]));
    assert_eq!(text(&low.generics), text(&[quote!(T0: crate::args::ToKey), quote!(T1: crate::args::ToArg)]));
    assert_eq!(text(&low.params), text(&[quote!(data: impl ::core::iter::IntoIterator<Item = (T0, T1,)>)]));
    assert_eq!(low.param_docs, ["`data`: items of (field, value), at least 1"]);
    assert_eq!(
        low.ctor.to_string(),
        quote! {
            let mut n = 0u32;
            for (f0, f1,) in data { c.arg(&f0); c.arg(&f1); n += 1; }
            c.check_min(n, 1u32, "data");
        }
        .to_string()
    );
}

#[test]
fn numkeys_counts_the_keys_after_it() {
    let cmd = command(
        "LMPOP",
        vec![arg("numkeys", ArgKind::Numkeys), arg("key", ArgKind::Key).multi(), token("LEFT")],
    );
    let low = clean(&cmd);
    assert_eq!(text(&low.params), text(&[quote!(key: impl crate::args::ToKeys)]));
    assert_eq!(low.param_docs, ["`key`: a key, one or more (at least 1)"]);
    assert_eq!(
        low.ctor.to_string(),
        quote! {
            {
                let mut items = crate::command::ArgList::new();
                items.extend(::core::option::Option::None, &key);
                c.uint(u64::from(items.count()));
                c.raw(&items);
                c.check_min(items.count(), 1u32, "key");
            }
            c.token(b"$4\r\nLEFT\r\n");
        }
        .to_string()
    );

    let (_, errors) = lowered(&command("LMPOP", vec![arg("numkeys", ArgKind::Numkeys)]));
    assert_eq!(
        errors,
        ["LMPOP: commands[0]: a numkeys argument must be followed by the repeated argument it counts"]
    );
}

#[test]
fn clears_and_rivals_are_unset_and_documented() {
    let condition = group("condition", ArgKind::OneOf, vec![token("NX"), token("XX")]).opt();
    let gt = token("GT").opt().clears(&["condition.nx"]);
    let low = clean(&command("ZADD", vec![arg("key", ArgKind::Key), condition, gt]));
    // An optional oneof without a type or token: one setter per variant, a private enum.
    assert_eq!(low.setters.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["nx", "xx", "gt"]);
    assert_eq!(
        text(&low.enums),
        text(&[quote!(
            #[derive(Debug, Clone)]
            enum ZaddCondition {
                Nx,
                Xx,
            }
        )])
    );
    let nx = setter(&low, "nx");
    assert_eq!(
        nx.body.to_string(),
        quote!(c.condition = ::core::option::Option::Some(ZaddCondition::Nx);).to_string()
    );
    assert_eq!(
        doc(nx),
        [
            "Sends `NX`.",
            "Replaces [`xx`](crate::commands::string::Zadd#option-xx): they exclude each other, and the last one set is sent.",
            "Option of `ZADD`."
        ]
    );
    let gt = setter(&low, "gt");
    assert_eq!(
        gt.body.to_string(),
        quote! {
            c.gt = true;
            if ::core::matches!(c.condition, ::core::option::Option::Some(ZaddCondition::Nx)) {
                c.condition = ::core::option::Option::None;
            }
        }
        .to_string()
    );
    assert_eq!(
        doc(gt),
        [
            "Sends `GT`.",
            "Unsets [`nx`](crate::commands::string::Zadd#option-nx), which the server does not take together with it.",
            "Option of `ZADD`."
        ]
    );
    // A whole field named in `clears` is reset, and its setters listed.
    let lt = token("LT").opt().clears(&["condition"]);
    let condition = group("condition", ArgKind::OneOf, vec![token("NX"), token("XX")]).opt();
    let low = clean(&command("ZADD", vec![condition, lt]));
    let lt = setter(&low, "lt");
    assert!(lt
        .body
        .to_string()
        .contains(&quote!(c.condition = ::core::default::Default::default();).to_string()));
    assert!(doc(lt).contains(
        &"Unsets [`nx`](crate::commands::string::Zadd#option-nx) and [`xx`](crate::commands::string::Zadd#option-xx), which the server does not take together with it."
    ));
}

#[test]
fn reply_switches_rank_later_options_higher() {
    let get = token("GET").opt().reply("bytes?");
    let nx = token("NX").opt().reply("ok?");
    let low = clean(&command("SET", vec![arg("key", ArgKind::Key), nx, token("KEEPTTL").opt(), get]));
    let switch = |name| setter(&low, name).switch.clone();
    assert_eq!(switch("nx"), Some((reply::parse("ok?").unwrap(), 0)));
    assert_eq!(switch("keepttl"), None);
    assert_eq!(switch("get"), Some((ReplyExpr::Nullable(Box::new(reply::parse("bytes").unwrap())), 2)));
    assert!(doc(setter(&low, "get")).contains(&"The reply becomes `Option<Bytes>`."));
    assert!(doc(setter(&low, "nx")).contains(&"The reply becomes `bool`."));
}

#[test]
fn fixed_token_is_always_sent() {
    let abs = Arg { fixed: true, ..token("ABSTTL").opt() };
    let low = clean(&command("RESTORE", vec![arg("key", ArgKind::Key), abs]));
    assert!(low.setters.is_empty() && low.fields.is_empty());
    assert_eq!(low.encode.to_string(), quote!(c.token(b"$6\r\nABSTTL\r\n");).to_string());
}

#[test]
fn an_option_of_some_servers_says_so() {
    let servers: Servers = [("valkey".to_string(), "8.1.0".to_string())].into();
    let ifeq = Arg { servers: Some(servers), ..arg("comparison-value", ArgKind::Bytes).token("IFEQ").opt() };
    let since = Arg { since: Some("6.2.0".into()), ..token("GET").opt() };
    let low = clean(&command("SET", vec![arg("key", ArgKind::Key), ifeq, since]));
    assert_eq!(
        doc(setter(&low, "comparison_value")),
        ["Sends `IFEQ` with bytes.", "Only on Valkey 8.1.0+; not in Redis 7.0.15.", "Option of `SET`."]
    );
    assert!(doc(setter(&low, "get")).contains(&"Since Redis 6.2.0."));
}

#[test]
fn required_arguments_after_options_form_the_tail() {
    let low = clean(&command(
        "XADD",
        vec![arg("key", ArgKind::Key), token("NOMKSTREAM").opt(), arg("id", ArgKind::Bytes)],
    ));
    assert_eq!(low.ctor.to_string(), quote!(c.arg(&key); c.mark_tail(); c.arg(&id);).to_string());

    let (_, errors) =
        lowered(&command("XADD", vec![token("A").opt(), arg("id", ArgKind::Bytes), token("B").opt()]));
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("an optional argument after required ones that follow options"), "{errors:?}");
}

#[test]
fn the_cursor_index_counts_the_words_before_it() {
    let low = clean(&command("HSCAN", vec![arg("key", ArgKind::Key), arg("cursor", ArgKind::Cursor)]));
    assert_eq!(low.cursor_index, Some(2));
    let low = clean(&command("SCAN", vec![arg("cursor", ArgKind::Cursor), token("NOVALUES").opt()]));
    assert_eq!(low.cursor_index, Some(1));
    let (_, errors) =
        lowered(&command("SSCAN", vec![arg("key", ArgKind::Key).multi(), arg("cursor", ArgKind::Cursor)]));
    assert!(errors[0].contains("the cursor must follow only single required arguments"), "{errors:?}");
}

#[test]
fn nested_options_need_their_block() {
    let unit = group("unit", ArgKind::OneOf, vec![token("BYTE"), token("BIT")]).opt();
    let range =
        group("range", ArgKind::Block, vec![arg("start", ArgKind::Int), arg("end", ArgKind::Int), unit])
            .opt();
    let low = clean(&command("BITCOUNT", vec![arg("key", ArgKind::Key), range]));
    assert_eq!(low.setters.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["range", "byte", "bit"]);
    assert_eq!(text(&setter(&low, "range").params), text(&[quote!(start: i64), quote!(end: i64)]));
    assert!(doc(setter(&low, "bit"))
        .contains(&"Only with [`range`](crate::commands::string::Bitcount#option-range); alone, the request fails before sending."));
    let encode = low.encode.to_string();
    assert!(
        encode.contains(&quote!(c.fail(crate::Error::argument("`unit` need(s) `range`"));).to_string()),
        "{encode}"
    );
}

#[test]
fn repeated_options_accumulate() {
    let get = arg("pattern", ArgKind::Pattern).token("GET").opt().multi();
    let get = Arg { multi_token: true, ..get };
    let low = clean(&command("SORT", vec![arg("key", ArgKind::Key), get]));
    let s = setter(&low, "pattern");
    assert_eq!(text(&s.params), text(&[quote!(values: impl crate::args::ToArgs)]));
    assert_eq!(
        s.body.to_string(),
        quote!(c.pattern.extend(::core::option::Option::Some(b"$3\r\nGET\r\n"), &values);).to_string()
    );
    assert!(doc(s).contains(&"Takes one value or many; calling it again adds more."));
    assert_eq!(low.fields[0].ty.to_string(), quote!(crate::command::ArgList).to_string());
}

#[test]
fn bad_names_are_reported_with_their_path() {
    let bad = Arg { rust: "type".into(), ..arg("type", ArgKind::Bytes).token("TYPE").opt() };
    let (_, errors) = lowered(&command("SCAN", vec![bad]));
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("SCAN: args.type.rust: `type` is not a usable Rust name"), "{errors:?}");

    let (_, errors) = lowered(&command("SCAN", vec![token("STREAM").opt()]));
    assert!(errors[0].contains("option name `stream` is reserved"), "{errors:?}");

    let twice = Arg { rust: "nx".into(), ..token("NOX").opt() };
    let (_, errors) = lowered(&command("SET", vec![token("NX").opt(), twice]));
    assert!(errors[0].contains("two options would both be named `nx`"), "{errors:?}");
}

#[test]
fn bool_needs_two_tokens() {
    let on_off = group("mode", ArgKind::Bool, vec![token("ON"), token("OFF")]);
    let low = clean(&command("CLIENT NO-EVICT", vec![on_off]));
    assert_eq!(
        low.ctor.to_string(),
        quote!(c.token(if mode { b"$2\r\nON\r\n" } else { b"$3\r\nOFF\r\n" });).to_string()
    );
    let (_, errors) =
        lowered(&command("CLIENT NO-EVICT", vec![group("mode", ArgKind::Bool, vec![token("ON")])]));
    assert!(errors[0].contains("`mode` of kind bool needs exactly two token variants"), "{errors:?}");
}
