//! Where the keys of a raw command are, for a command the spec does not know and whose caller
//! marked no key: asked of the cluster with COMMAND INFO once per name, and kept for the life
//! of the client. The first request of a name asks; the others of that name wait for its
//! answer. The key specs the server gives (Redis 7), or else its first/last/step, route every
//! later request as a generated command's key specs do.
//!
//! When the question fails (no node answers in time), nothing is kept and the request goes to
//! any primary, from where a MOVED reply sends it on: learning only saves that extra trip.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::Cluster;
use crate::command::{interned, BeginSearch, CmdBuf, CommandInfo, FindKeys, Flags, KeySpec};
use crate::deadline::Deadline;
use crate::log;
use crate::reply::{record, Decode, DecodeError, Int, Str};
use crate::resp::Value;
use crate::Error;

static COMMAND_INFO: CommandInfo =
    CommandInfo { name: "COMMAND INFO", flags: Flags::NONE, key_specs: &[], tips: &[] };

/// The facts learned per command name, or the question under way.
#[derive(Default)]
pub(crate) struct Learned(Mutex<HashMap<&'static str, Arc<OnceCell<&'static CommandInfo>>>>);

impl Cluster {
    /// The facts of raw command `name` (from [`interned::name`]), when already learned.
    pub(crate) fn learned(&self, name: &'static str) -> Option<&'static CommandInfo> {
        let map = self.learned.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(name).and_then(|cell| cell.get().copied())
    }

    /// The facts of raw command `name`: learned before, or asked now within `deadline`.
    pub(crate) async fn learn(&self, name: &'static str, deadline: Option<Deadline>) -> &'static CommandInfo {
        let cell = self.learned.0.lock().unwrap_or_else(|e| e.into_inner()).entry(name).or_default().clone();
        match cell.get_or_try_init(|| self.ask(name, deadline)).await {
            Ok(info) => info,
            Err(e) => {
                log::debug!("COMMAND INFO {} failed, so it goes to any node: {}", name, e);
                interned::info(name, &[])
            }
        }
    }

    async fn ask(
        &self,
        name: &'static str,
        deadline: Option<Deadline>,
    ) -> Result<&'static CommandInfo, Error> {
        let node = self.topology().any_primary(self.spread.fetch_add(1, Ordering::Relaxed)).clone();
        let mut c = CmdBuf::new(b"$7\r\nCOMMAND\r\n$4\r\nINFO\r\n", 2);
        // A subcommand is asked for as `container|sub`.
        c.arg(name.to_ascii_lowercase().replace(' ', "|").as_str());
        let answer = node.submit(c.finish()?, &COMMAND_INFO, deadline).await;
        let v = answer.result?;
        if let Some(e) = v.as_error() {
            return Err(Error::server(e).with_command(COMMAND_INFO.name));
        }
        let specs =
            key_specs(v).map_err(|e| Error::protocol(e.to_string()).with_command(COMMAND_INFO.name))?;
        Ok(interned::info(name, &specs))
    }
}

/// The key specs in a COMMAND INFO reply for one name: none for a command the server does not
/// know (it will say so itself).
fn key_specs(v: Value) -> Result<Vec<KeySpec>, DecodeError> {
    let entry = match v {
        Value::Array(mut items) if items.len() == 1 => items.pop().expect("length checked"),
        other => return Err(DecodeError::mismatch("an array of one COMMAND INFO entry", &other)),
    };
    let fields = match entry {
        Value::Null => return Ok(Vec::new()),
        Value::Array(fields) if fields.len() >= 6 => fields,
        other => return Err(DecodeError::mismatch("a COMMAND INFO entry", &other)),
    };
    let int = |i: usize| Int::decode(fields[i].clone());
    let (first, last, step) = (int(3)?, int(4)?, int(5)?);
    if let Some(Value::Array(specs)) = fields.get(8).filter(|s| matches!(s, Value::Array(a) if !a.is_empty()))
    {
        return specs.iter().cloned().map(key_spec).collect();
    }
    // Before Redis 7: the first key, the last (negative: from the end) and the step.
    if first <= 0 {
        return Ok(Vec::new());
    }
    let last = if last < 0 { last } else { last - first };
    let find = FindKeys::Range { last: last as i32, step: step.max(1) as u32, limit: 0 };
    Ok(vec![KeySpec { begin: BeginSearch::Index(first as u32), find }])
}

/// One key spec: a map (RESP3) or flat array (RESP2) of `begin_search` and `find_keys`.
fn key_spec(v: Value) -> Result<KeySpec, DecodeError> {
    let mut spec = KeySpec { begin: BeginSearch::Unknown, find: FindKeys::Unknown };
    for (name, v) in record::fields(v, "a key spec")? {
        match name.as_str() {
            "begin_search" => spec.begin = begin_search(v)?,
            "find_keys" => spec.find = find_keys(v)?,
            _ => {}
        }
    }
    Ok(spec)
}

/// The `type` of a search step and the fields of its `spec`.
fn typed(v: Value, what: &'static str) -> Result<(String, Vec<(String, Value)>), DecodeError> {
    let (mut kind, mut spec) = (String::new(), Vec::new());
    for (name, v) in record::fields(v, what)? {
        match name.as_str() {
            "type" => kind = Str::decode(v)?,
            "spec" => spec = record::fields(v, what)?,
            _ => {}
        }
    }
    Ok((kind, spec))
}

/// Field `name` of `spec`, an integer.
fn int(spec: &[(String, Value)], name: &str) -> Result<i64, DecodeError> {
    let v = spec.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default();
    Int::decode(v).map_err(|e| DecodeError::new(format!("key spec field `{name}`: {e}")))
}

fn begin_search(v: Value) -> Result<BeginSearch, DecodeError> {
    let (kind, spec) = typed(v, "a key spec's begin_search")?;
    Ok(match kind.as_str() {
        "index" => BeginSearch::Index(int(&spec, "index")? as u32),
        "keyword" => {
            let word = spec.iter().find(|(n, _)| n == "keyword").map(|(_, v)| v.clone()).unwrap_or_default();
            BeginSearch::Keyword(interned::name(&Str::decode(word)?), int(&spec, "startfrom")? as i32)
        }
        _ => BeginSearch::Unknown,
    })
}

fn find_keys(v: Value) -> Result<FindKeys, DecodeError> {
    let (kind, spec) = typed(v, "a key spec's find_keys")?;
    Ok(match kind.as_str() {
        "range" => FindKeys::Range {
            last: int(&spec, "lastkey")? as i32,
            step: int(&spec, "keystep")? as u32,
            limit: int(&spec, "limit")? as u32,
        },
        "keynum" => FindKeys::Keynum {
            index: int(&spec, "keynumidx")? as u32,
            first: int(&spec, "firstkey")? as u32,
            step: int(&spec, "keystep")? as u32,
        },
        _ => FindKeys::Unknown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn s(text: &str) -> Value {
        Value::Bulk(Bytes::copy_from_slice(text.as_bytes()))
    }

    fn map(pairs: Vec<(&str, Value)>, resp3: bool) -> Value {
        if resp3 {
            Value::Map(pairs.into_iter().map(|(k, v)| (s(k), v)).collect())
        } else {
            Value::Array(pairs.into_iter().flat_map(|(k, v)| [s(k), v]).collect())
        }
    }

    fn entry(first: i64, last: i64, step: i64, specs: Vec<Value>) -> Value {
        let fields = vec![
            s("x"),
            Value::Int(-2),
            Value::Array(vec![]),
            Value::Int(first),
            Value::Int(last),
            Value::Int(step),
            Value::Array(vec![]),
            Value::Array(vec![]),
            Value::Array(specs),
            Value::Array(vec![]),
        ];
        Value::Array(vec![Value::Array(fields)])
    }

    #[test]
    fn key_specs_of_either_protocol() {
        for resp3 in [false, true] {
            let begin = map(
                vec![
                    ("type", s("keyword")),
                    ("spec", map(vec![("keyword", s("STREAMS")), ("startfrom", Value::Int(1))], resp3)),
                ],
                resp3,
            );
            let find = map(
                vec![
                    ("type", s("range")),
                    (
                        "spec",
                        map(
                            vec![
                                ("lastkey", Value::Int(-1)),
                                ("keystep", Value::Int(1)),
                                ("limit", Value::Int(2)),
                            ],
                            resp3,
                        ),
                    ),
                ],
                resp3,
            );
            let spec = map(
                vec![("flags", Value::Array(vec![])), ("begin_search", begin), ("find_keys", find)],
                resp3,
            );
            let specs = key_specs(entry(0, 0, 0, vec![spec])).unwrap();
            assert_eq!(
                specs,
                vec![KeySpec {
                    begin: BeginSearch::Keyword("STREAMS", 1),
                    find: FindKeys::Range { last: -1, step: 1, limit: 2 }
                }]
            );
        }
    }

    #[test]
    fn first_last_step_before_key_specs_and_unknown_commands() {
        let specs = key_specs(entry(1, -2, 2, vec![])).unwrap();
        assert_eq!(
            specs,
            vec![KeySpec {
                begin: BeginSearch::Index(1),
                find: FindKeys::Range { last: -2, step: 2, limit: 0 }
            }]
        );
        let specs = key_specs(entry(2, 3, 1, vec![])).unwrap();
        assert_eq!(specs[0].find, FindKeys::Range { last: 1, step: 1, limit: 0 });
        assert!(key_specs(entry(0, 0, 0, vec![])).unwrap().is_empty());
        assert!(key_specs(Value::Array(vec![Value::Null])).unwrap().is_empty());
    }
}
