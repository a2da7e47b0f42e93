//! The example in every method's docs: the call with a value for each parameter, and the first
//! option that takes none. `cargo xtask gen` writes the same examples into the test suite
//! (`tests/it/examples.rs`), where they are compiled together: as doctests each would be a
//! crate of its own, so the docs show them to readers only (`cfg_attr(not(doctest))`).
//!
//! Values come from the parameters' types, names from the spec: a key parameter named
//! `destination` gets `"destination"`, a repeated one `["key1", "key2"]`, an enum its first
//! variant.

use proc_macro2::TokenStream;

use super::args::Lowered;
use crate::names::camel;
use crate::spec::{Arg, ArgKind, Command};

/// The example's lines, as a reader sees them (the function around them is hidden); or which
/// parameter type has no example value.
pub fn lines(cmd: &Command, low: &Lowered) -> Result<Vec<String>, String> {
    let mut out = vec!["use tredis::prelude::*;".to_string(), String::new()];
    let receiver = match cmd.on.as_deref() {
        Some("transaction") => {
            out.push("let tx = client.multi();".into());
            "tx"
        }
        Some("subscriber") => {
            out.push("let sub = client.subscriber();".into());
            "sub"
        }
        _ => "client",
    };
    let generics: Vec<(String, String)> = low.generics.iter().filter_map(|g| split(&squash(g))).collect();
    let args =
        low.params.iter().map(|p| param_sample(cmd, &squash(p), &generics)).collect::<Result<Vec<_>, _>>()?;
    let option = low
        .setters
        .iter()
        .find(|s| s.params.is_empty() && s.generics.is_empty())
        .map(|s| format!(".{}()", s.name))
        .unwrap_or_default();
    out.push(format!("let reply = {receiver}.{}({}){option}.await?;", cmd.rust, args.join(", ")));
    Ok(out)
}

/// The example as a hidden-wrapper doc test block.
pub fn doc_block(lines: &[String]) -> Vec<String> {
    let mut out = vec![
        "# Example".to_string(),
        String::new(),
        "```no_run".to_string(),
        "# async fn example(client: tredis::Client) -> Result<(), tredis::Error> {".to_string(),
    ];
    out.extend(lines.iter().cloned());
    out.extend(["# Ok(())".to_string(), "# }".to_string(), "```".to_string()]);
    out
}

/// Tokens as text without spaces: `name:impl crate::args::ToKey`.
fn squash(t: &TokenStream) -> String {
    t.to_string().chars().filter(|c| !c.is_whitespace()).collect()
}

/// `name:type` split in two.
fn split(s: &str) -> Option<(String, String)> {
    let (name, ty) = s.split_once(':')?;
    Some((name.to_string(), ty.to_string()))
}

fn param_sample(cmd: &Command, param: &str, generics: &[(String, String)]) -> Result<String, String> {
    let (name, ty) = split(param).ok_or_else(|| format!("parameter `{param}` has no name"))?;
    sample(cmd, &name, &ty, generics)
}

/// A value of type `ty` for the parameter (or tuple item) `name`.
fn sample(cmd: &Command, name: &str, ty: &str, generics: &[(String, String)]) -> Result<String, String> {
    let singular = name.strip_suffix('s').filter(|s| !s.is_empty()).unwrap_or(name);
    if let Some((_, bound)) = generics.iter().find(|(g, _)| g == ty) {
        return sample(cmd, name, &format!("impl{bound}"), generics);
    }
    Ok(match ty {
        "implcrate::args::ToKey" | "implcrate::args::ToArg" => format!("{name:?}"),
        "implcrate::args::ToKeys" | "implcrate::args::ToArgs" => {
            format!("[\"{singular}1\", \"{singular}2\"]")
        }
        "i64" | "u64" => "1".into(),
        "f64" => "1.5".into(),
        "bool" => "true".into(),
        "::core::time::Duration" => "std::time::Duration::from_secs(1)".into(),
        "::std::time::SystemTime" => "std::time::SystemTime::now()".into(),
        "impl::core::convert::Into<crate::args::ScoreBound>" => "1.0".into(),
        "impl::core::convert::Into<crate::args::LexBound>" => "tredis::args::LexBound::incl(\"a\")".into(),
        "impl::core::convert::Into<crate::args::RangeBound>" => "0".into(),
        t if t.starts_with("impl::core::iter::IntoIterator<Item=(") => {
            let inner = t.trim_start_matches("impl::core::iter::IntoIterator<Item=(").trim_end_matches(",)>");
            let names =
                find(&cmd.args, name).map(|a| a.args.iter().map(|f| f.rust.clone()).collect::<Vec<_>>());
            let names = names.unwrap_or_default();
            let items = inner
                .split(',')
                .enumerate()
                .map(|(i, t)| {
                    let field = names.get(i).cloned().unwrap_or_else(|| format!("item{i}"));
                    sample(cmd, &field, t, generics)
                })
                .collect::<Result<Vec<_>, _>>()?;
            format!("[({})]", items.join(", "))
        }
        t => match find(&cmd.args, name).filter(|a| a.kind == ArgKind::OneOf) {
            Some(arg) => variant(cmd, arg, t)?,
            None => return Err(format!("no example value for a parameter of type `{t}`")),
        },
    })
}

/// The argument of Rust name `name`, at any depth.
fn find<'a>(args: &'a [Arg], name: &str) -> Option<&'a Arg> {
    args.iter().find_map(|a| if a.rust == name { Some(a) } else { find(&a.args, name) })
}

/// The first variant of the enum `ty` of the oneof `arg`, with values for its data.
fn variant(cmd: &Command, arg: &Arg, ty: &str) -> Result<String, String> {
    let module = cmd.group.replace('-', "_");
    let v = arg.args.first().ok_or_else(|| format!("the enum `{ty}` has no variant"))?;
    let path = format!("tredis::commands::{module}::{ty}::{}", camel(&v.rust));
    Ok(match v.kind {
        ArgKind::Token => path,
        ArgKind::Block => {
            let fields = v
                .args
                .iter()
                .filter(|f| f.kind != ArgKind::Token || f.opt)
                .map(|f| Ok(format!("{}: {}", f.rust, owned(cmd, f)?)))
                .collect::<Result<Vec<_>, String>>()?;
            format!("{path} {{ {} }}", fields.join(", "))
        }
        _ => format!("{path}({})", owned(cmd, v)?),
    })
}

/// A value of the owned type an enum variant holds for `f`.
fn owned(cmd: &Command, f: &Arg) -> Result<String, String> {
    if f.kind == ArgKind::Token {
        return Ok("false".into());
    }
    if f.opt {
        return Ok("None".into());
    }
    Ok(match f.kind {
        k if k.is_bytes() => format!("{:?}.into()", f.rust),
        ArgKind::OneOf => {
            let ty = f.type_name.clone().unwrap_or_else(|| cmd.type_name.clone() + &camel(&f.rust));
            variant(cmd, f, &ty)?
        }
        ArgKind::Int | ArgKind::Uint | ArgKind::Cursor => "1".into(),
        ArgKind::Double => "1.5".into(),
        ArgKind::DurationS | ArgKind::DurationMs | ArgKind::DurationFs => {
            "std::time::Duration::from_secs(1)".into()
        }
        ArgKind::UnixS | ArgKind::UnixMs => "std::time::SystemTime::now()".into(),
        ArgKind::Bool | ArgKind::YesNo => "true".into(),
        ArgKind::ScoreBound => "tredis::args::ScoreBound::from(1.0)".into(),
        ArgKind::LexBound => "tredis::args::LexBound::incl(\"a\")".into(),
        ArgKind::RangeBound => "tredis::args::RangeBound::from(0)".into(),
        k => return Err(format!("no example value for `{}` of kind {k:?}", f.rust)),
    })
}
