//! Container decoders: nullable, arrays, maps, pairs, keyed lists and SCAN pages.

use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;

use super::{Decode, DecodeError};
use crate::resp::Value;

/// Nil as `None`, anything else decoded by `T`.
#[derive(Debug)]
pub struct Nullable<T>(PhantomData<T>);

impl<T: Decode> Decode for Nullable<T> {
    type Output = Option<T::Output>;
    #[inline]
    fn decode(v: Value) -> Result<Self::Output, DecodeError> {
        match v {
            Value::Null => Ok(None),
            other => T::decode(other).map(Some),
        }
    }
}

/// An array (or RESP3 set) of `T`.
#[derive(Debug)]
pub struct Array<T>(PhantomData<T>);

impl<T: Decode> Decode for Array<T> {
    type Output = Vec<T::Output>;
    fn decode(v: Value) -> Result<Self::Output, DecodeError> {
        match v {
            Value::Array(items) | Value::Set(items) => items.into_iter().map(T::decode).collect(),
            other => Err(DecodeError::mismatch("an array", &other)),
        }
    }
}

/// Decoded key-value pairs.
type PairsOf<K, V> = Vec<(<K as Decode>::Output, <V as Decode>::Output)>;

/// Pairs from a RESP3 map, a RESP3 array of pairs, or a RESP2 flat array.
fn pairs<K: Decode, V: Decode>(v: Value) -> Result<PairsOf<K, V>, DecodeError> {
    match v {
        Value::Map(pairs) => pairs.into_iter().map(|(k, v)| Ok((K::decode(k)?, V::decode(v)?))).collect(),
        Value::Array(items)
            if items.iter().all(|i| matches!(i, Value::Array(p) if p.len() == 2)) && !items.is_empty() =>
        {
            items
                .into_iter()
                .map(|pair| match pair {
                    Value::Array(p) => {
                        let mut it = p.into_iter();
                        let (k, v) = (it.next().expect("pair"), it.next().expect("pair"));
                        Ok((K::decode(k)?, V::decode(v)?))
                    }
                    other => Err(DecodeError::mismatch("a pair", &other)),
                })
                .collect()
        }
        Value::Array(items) if items.len() % 2 == 0 => {
            let mut out = Vec::with_capacity(items.len() / 2);
            let mut it = items.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                out.push((K::decode(k)?, V::decode(v)?));
            }
            Ok(out)
        }
        other => Err(DecodeError::mismatch("a map or an array of pairs", &other)),
    }
}

/// A RESP3 map or RESP2 flat array, into a `HashMap`.
#[derive(Debug)]
pub struct Map<K, V>(PhantomData<(K, V)>);

impl<K: Decode, V: Decode> Decode for Map<K, V>
where
    K::Output: Eq + Hash,
{
    type Output = HashMap<K::Output, V::Output>;
    fn decode(v: Value) -> Result<Self::Output, DecodeError> {
        pairs::<K, V>(v).map(|p| p.into_iter().collect())
    }
}

/// A RESP3 array of pairs or RESP2 flat array (WITHSCORES), in order.
#[derive(Debug)]
pub struct Pairs<K, V>(PhantomData<(K, V)>);

impl<K: Decode, V: Decode> Decode for Pairs<K, V> {
    type Output = Vec<(K::Output, V::Output)>;
    fn decode(v: Value) -> Result<Self::Output, DecodeError> {
        pairs::<K, V>(v)
    }
}

/// A RESP3 map or RESP2 array of `[key, value]` (XREAD), in order.
#[derive(Debug)]
pub struct Keyed<K, V>(PhantomData<(K, V)>);

impl<K: Decode, V: Decode> Decode for Keyed<K, V> {
    type Output = Vec<(K::Output, V::Output)>;
    fn decode(v: Value) -> Result<Self::Output, DecodeError> {
        pairs::<K, V>(v)
    }
}

/// A SCAN page: the next cursor and the items, decoded by `P` (an array, or pairs for
/// HSCAN and ZSCAN).
#[derive(Debug)]
pub struct Scan<P>(PhantomData<P>);

impl<P: Decode> Decode for Scan<P> {
    type Output = (u64, P::Output);
    fn decode(v: Value) -> Result<Self::Output, DecodeError> {
        match v {
            Value::Array(items) if items.len() == 2 => {
                let mut it = items.into_iter();
                let cursor = match it.next().expect("length checked") {
                    Value::Bulk(b) => std::str::from_utf8(&b).ok().and_then(|s| s.parse().ok()),
                    _ => None,
                }
                .ok_or_else(|| DecodeError::new("expected a cursor"))?;
                Ok((cursor, P::decode(it.next().expect("length checked"))?))
            }
            other => Err(DecodeError::mismatch("a cursor and a page of items", &other)),
        }
    }
}
