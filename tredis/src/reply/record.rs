//! The building block of records read from a map reply: its name/value pairs, from a RESP3 map
//! or a RESP2 flat array.
//!
//! The records themselves (`StreamInfo`, `AclUser` ...) are spec data: the `records` of
//! `commands.json`, from `spec/overlay/records.json`. The generator turns each into a struct
//! whose `Decode` impl reads the pairs by wire name, keeps the fields it does not know in
//! `extra` (a newer server does not break an older client) and leaves those an older server
//! does not send at their default. They land in `crate::reply::generated::records`; this module's
//! parent re-exports them.

use super::{Decode, DecodeError, Str};
use crate::resp::Value;

/// The name/value pairs of a RESP3 map or RESP2 flat array.
pub(crate) fn fields(v: Value, what: &'static str) -> Result<Vec<(String, Value)>, DecodeError> {
    let pairs = match v {
        Value::Map(p) => p,
        Value::Array(items) if items.len() % 2 == 0 => {
            let mut out = Vec::with_capacity(items.len() / 2);
            let mut it = items.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                out.push((k, v));
            }
            out
        }
        other => return Err(DecodeError::mismatch(what, &other)),
    };
    pairs.into_iter().map(|(k, v)| Ok((Str::decode(k)?, v))).collect()
}

/// Decodes the value of one field with `D`; an error names the field (`what`).
pub(crate) fn field<D: Decode>(v: Value, what: &'static str) -> Result<D::Output, DecodeError> {
    D::decode(v).map_err(|e| DecodeError::new(format!("{what}: {e}")))
}
