//! Sequences: `Option`, `Vec`, `VecDeque`, sets, arrays and tuples.
//!
//! A RESP3 map reads as the flat `key, value, ...` array RESP2 sends for it, so that a
//! sequence type gives the same result under both protocols.

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::hash::{BuildHasher, Hash};

use super::map::{pair, pairs};
use super::{unexpected, FromValue};
use crate::reply::DecodeError;
use crate::resp::Value;

/// The elements of an array, set or push, or of a map flattened into keys and values.
pub(crate) enum Elements {
    Seq(std::vec::IntoIter<Value>),
    Flat { pairs: std::vec::IntoIter<(Value, Value)>, value: Option<Value> },
}

impl Iterator for Elements {
    type Item = Value;

    #[inline]
    fn next(&mut self) -> Option<Value> {
        match self {
            Elements::Seq(items) => items.next(),
            Elements::Flat { pairs, value } => value.take().or_else(|| {
                let (k, v) = pairs.next()?;
                *value = Some(v);
                Some(k)
            }),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match self {
            Elements::Seq(items) => items.len(),
            Elements::Flat { pairs, value } => pairs.len() * 2 + usize::from(value.is_some()),
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for Elements {}

/// The elements of `v`; anything but an array, set, push or map is `expected`'s mismatch.
pub(crate) fn elements(v: Value, expected: &str) -> Result<Elements, DecodeError> {
    match v {
        Value::Array(items) | Value::Set(items) | Value::Push(items) => Ok(Elements::Seq(items.into_iter())),
        Value::Map(pairs) => Ok(Elements::Flat { pairs: pairs.into_iter(), value: None }),
        other => Err(unexpected(expected, &other)),
    }
}

/// Element `i`, converted; a failure names its index.
#[inline]
pub(crate) fn element<T: FromValue>(i: usize, v: Value) -> Result<T, DecodeError> {
    T::from_value(v).map_err(|e| e.context(format_args!("element {i}")))
}

/// Every element of `v`, converted: the default `Vec` conversion.
pub(crate) fn collect_vec<T: FromValue>(v: Value) -> Result<Vec<T>, DecodeError> {
    let items = elements(v, "an array")?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.enumerate() {
        out.push(element(i, item)?);
    }
    Ok(out)
}

impl<T: FromValue> FromValue for Option<T> {
    #[inline]
    fn from_value(v: Value) -> Result<Self, DecodeError> {
        match v {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    #[inline]
    fn from_value(v: Value) -> Result<Self, DecodeError> {
        T::vec_from_value(v)
    }
}

impl<T: FromValue> FromValue for VecDeque<T> {
    fn from_value(v: Value) -> Result<Self, DecodeError> {
        T::vec_from_value(v).map(VecDeque::from)
    }
}

impl<T: FromValue + Eq + Hash, S: BuildHasher + Default> FromValue for HashSet<T, S> {
    fn from_value(v: Value) -> Result<Self, DecodeError> {
        let items = elements(v, "an array or a set")?;
        let mut out = HashSet::with_capacity_and_hasher(items.len(), S::default());
        for (i, item) in items.enumerate() {
            out.insert(element(i, item)?);
        }
        Ok(out)
    }
}

impl<T: FromValue + Ord> FromValue for BTreeSet<T> {
    fn from_value(v: Value) -> Result<Self, DecodeError> {
        let items = elements(v, "an array or a set")?;
        let mut out = BTreeSet::new();
        for (i, item) in items.enumerate() {
            out.insert(element(i, item)?);
        }
        Ok(out)
    }
}

/// Exactly `N` elements; `[u8; N]` also reads a bulk string of `N` bytes.
impl<T: FromValue, const N: usize> FromValue for [T; N] {
    fn from_value(v: Value) -> Result<Self, DecodeError> {
        let items = T::vec_from_value(v)?;
        let n = items.len();
        <[T; N]>::try_from(items).map_err(|_| DecodeError::new(format!("expected {N} element(s), got {n}")))
    }
}

/// A pair is also what a `Vec` of pairs reads from a map, in either protocol's form.
impl<A: FromValue, B: FromValue> FromValue for (A, B) {
    fn from_value(v: Value) -> Result<Self, DecodeError> {
        let mut items = elements(v, "an array of 2")?;
        if items.len() != 2 {
            return Err(DecodeError::new(format!("expected an array of 2, got {} element(s)", items.len())));
        }
        let a = element(0, items.next().expect("length checked"))?;
        let b = element(1, items.next().expect("length checked"))?;
        Ok((a, b))
    }

    fn vec_from_value(v: Value) -> Result<Vec<Self>, DecodeError> {
        if matches!(v, Value::Set(_) | Value::Push(_)) {
            return collect_vec(v);
        }
        let items = pairs(v)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, (k, v)) in items.enumerate() {
            out.push(pair(i, k, v)?);
        }
        Ok(out)
    }
}

macro_rules! tuples {
    ($($n:literal => ($($t:ident $i:literal),+);)*) => {$(
        impl<$($t: FromValue),+> FromValue for ($($t,)+) {
            fn from_value(v: Value) -> Result<Self, DecodeError> {
                let mut items = elements(v, concat!("an array of ", $n))?;
                if items.len() != $n {
                    return Err(DecodeError::new(format!(
                        concat!("expected an array of ", $n, ", got {} element(s)"),
                        items.len()
                    )));
                }
                Ok(($(element::<$t>($i, items.next().expect("length checked"))?,)+))
            }
        }
    )*};
}

tuples! {
    1 => (A 0);
    3 => (A 0, B 1, C 2);
    4 => (A 0, B 1, C 2, D 3);
    5 => (A 0, B 1, C 2, D 3, E 4);
    6 => (A 0, B 1, C 2, D 3, E 4, F 5);
    7 => (A 0, B 1, C 2, D 3, E 4, F 5, G 6);
    8 => (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
    9 => (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
    10 => (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
    11 => (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
    12 => (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
}
