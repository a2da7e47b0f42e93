//! Maps: `HashMap` and `BTreeMap` from a RESP3 map or the flat array RESP2 sends for one.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{BuildHasher, Hash};

use super::{unexpected, Excerpt, FromValue};
use crate::reply::DecodeError;
use crate::resp::Value;

/// The key-value pairs of a map reply, in the server's order.
pub(crate) enum Pairs {
    /// A RESP3 map.
    Map(std::vec::IntoIter<(Value, Value)>),
    /// A RESP2 flat array `key, value, ...` of even length.
    Flat(std::vec::IntoIter<Value>),
    /// An array of two-element arrays (RESP3 WITHSCORES and the like).
    Nested(std::vec::IntoIter<Value>),
}

impl Iterator for Pairs {
    type Item = (Value, Value);

    #[inline]
    fn next(&mut self) -> Option<(Value, Value)> {
        match self {
            Pairs::Map(pairs) => pairs.next(),
            Pairs::Flat(items) => Some((items.next()?, items.next()?)),
            // `pairs` checked that every item is an array of two.
            Pairs::Nested(items) => match items.next()? {
                Value::Array(pair) => {
                    let mut pair = pair.into_iter();
                    Some((pair.next().unwrap_or_default(), pair.next().unwrap_or_default()))
                }
                _ => None,
            },
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match self {
            Pairs::Map(pairs) => pairs.len(),
            Pairs::Flat(items) => items.len() / 2,
            Pairs::Nested(items) => items.len(),
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for Pairs {}

/// The pairs of a RESP3 map, a RESP2 flat array, or an array of two-element arrays.
pub(crate) fn pairs(v: Value) -> Result<Pairs, DecodeError> {
    let is_pair = |v: &Value| matches!(v, Value::Array(p) if p.len() == 2);
    match v {
        Value::Map(pairs) => Ok(Pairs::Map(pairs.into_iter())),
        Value::Array(items) if !items.is_empty() && items.iter().all(is_pair) => {
            Ok(Pairs::Nested(items.into_iter()))
        }
        Value::Array(items) if items.len() % 2 == 0 => Ok(Pairs::Flat(items.into_iter())),
        other => Err(unexpected("a map (or an array of keys and values)", &other)),
    }
}

/// Pair `i`, converted; a failure names the key (by its text when it has one).
pub(crate) fn pair<K: FromValue, V: FromValue>(i: usize, k: Value, v: Value) -> Result<(K, V), DecodeError> {
    // The value first, while the key is still there to name it.
    let value = V::from_value(v).map_err(|e| e.context(ValueOf(i, &k)))?;
    let key = K::from_value(k).map_err(|e| e.context(format_args!("key {i}")))?;
    Ok((key, value))
}

/// Where a value is in its map: `value of "name"`, or `value 3` for a key without text.
struct ValueOf<'a>(usize, &'a Value);

impl fmt::Display for ValueOf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Value::Bulk(b) | Value::Simple(b) | Value::Verbatim { text: b, .. } => {
                write!(f, "value of {}", Excerpt(b))
            }
            Value::Int(i) => write!(f, "value of {i}"),
            _ => write!(f, "value {}", self.0),
        }
    }
}

impl<K, V, S> FromValue for HashMap<K, V, S>
where
    K: FromValue + Eq + Hash,
    V: FromValue,
    S: BuildHasher + Default,
{
    fn from_value(v: Value) -> Result<Self, DecodeError> {
        let items = pairs(v)?;
        let mut out = HashMap::with_capacity_and_hasher(items.len(), S::default());
        for (i, (k, v)) in items.enumerate() {
            let (k, v) = pair(i, k, v)?;
            out.insert(k, v);
        }
        Ok(out)
    }
}

impl<K: FromValue + Ord, V: FromValue> FromValue for BTreeMap<K, V> {
    fn from_value(v: Value) -> Result<Self, DecodeError> {
        let mut out = BTreeMap::new();
        for (i, (k, v)) in pairs(v)?.enumerate() {
            let (k, v) = pair(i, k, v)?;
            out.insert(k, v);
        }
        Ok(out)
    }
}
