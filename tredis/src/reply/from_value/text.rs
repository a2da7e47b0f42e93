//! Strings, bytes, `bool` and `()`: what a reply's text means, in either protocol.

use bytes::Bytes;

use super::{unexpected, FromValue};
use crate::reply::{Decode, DecodeError, Str};
use crate::resp::Value;

/// The text of a value as RESP2 would send it: a string's bytes (no copy), or the decimal
/// form of a number or RESP3 boolean; any other value is handed back.
pub(crate) fn into_text(v: Value) -> Result<Bytes, Value> {
    match v {
        Value::Bulk(b) | Value::Simple(b) | Value::BigNumber(b) | Value::Verbatim { text: b, .. } => Ok(b),
        Value::Int(i) => Ok(Bytes::copy_from_slice(itoa::Buffer::new().format(i).as_bytes())),
        Value::Double(d) => Ok(Bytes::from(double_text(d))),
        Value::Bool(b) => Ok(Bytes::from_static(if b { b"1" } else { b"0" })),
        other => Err(other),
    }
}

/// A double as the server writes it in RESP2: `inf`, `-inf`, `nan`, or the shortest decimal
/// that reads back the same (`1`, `0.1`, `1e300`).
fn double_text(d: f64) -> String {
    if d.is_nan() {
        return "nan".into();
    }
    // Debug, unlike Display, switches to an exponent for extremes; it also writes `1.0`.
    let mut text = format!("{d:?}");
    if text.ends_with(".0") {
        text.truncate(text.len() - 2);
    }
    text
}

impl FromValue for Bytes {
    fn from_value(v: Value) -> Result<Self, DecodeError> {
        into_text(v).map_err(|other| unexpected("a string", &other))
    }
}

impl FromValue for String {
    fn from_value(v: Value) -> Result<Self, DecodeError> {
        match v {
            // The generated decoder already checks UTF-8; reuse it for strings proper.
            Value::Bulk(_) | Value::Simple(_) | Value::Verbatim { .. } => Str::decode(v),
            other => {
                let text = into_text(other).map_err(|other| unexpected("a string", &other))?;
                String::from_utf8(text.to_vec())
                    .map_err(|_| DecodeError::new("expected UTF-8 text, got invalid UTF-8"))
            }
        }
    }
}

impl FromValue for bool {
    fn from_value(v: Value) -> Result<Self, DecodeError> {
        let text = match &v {
            Value::Int(0) | Value::Bool(false) => return Ok(false),
            Value::Int(1) | Value::Bool(true) => return Ok(true),
            Value::Bulk(b) | Value::Simple(b) | Value::Verbatim { text: b, .. } => &b[..],
            _ => b"",
        };
        let is = |word: &[u8]| text.eq_ignore_ascii_case(word);
        if is(b"1") || is(b"true") || is(b"yes") {
            Ok(true)
        } else if is(b"0") || is(b"false") || is(b"no") {
            Ok(false)
        } else {
            Err(unexpected("a boolean (0 or 1, true or false, yes or no)", &v))
        }
    }
}

/// Any reply but an error, dropped: for a caller who only wants to know that it succeeded.
impl FromValue for () {
    fn from_value(v: Value) -> Result<Self, DecodeError> {
        match v {
            Value::Error(_) | Value::BulkError(_) => Err(unexpected("any reply", &v)),
            _ => Ok(()),
        }
    }
}
