//! Serde's access to the insides of a reply: the elements of a sequence, the pairs of a map
//! or struct, the variant of an enum. Each failure inside is prefixed with where it happened.

use std::fmt;

use ::serde::de::{self, DeserializeSeed, Deserializer as _, Visitor};

use super::ValueDe;
use crate::reply::from_value::{unexpected, Elements, Excerpt, Pairs};
use crate::reply::DecodeError;
use crate::resp::Value;
use crate::Bytes;

/// Visits the elements of a sequence; elements the visitor left unread are an error.
pub(super) fn visit_seq<'de, V: Visitor<'de>>(items: Elements, visitor: V) -> Result<V::Value, DecodeError> {
    let total = items.len();
    let mut seq = Seq { items, index: 0 };
    let out = visitor.visit_seq(&mut seq)?;
    match seq.items.len() {
        0 => Ok(out),
        _ => Err(de::Error::invalid_length(total, &"fewer elements")),
    }
}

struct Seq {
    items: Elements,
    index: usize,
}

impl<'de> de::SeqAccess<'de> for Seq {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        let Some(item) = self.items.next() else { return Ok(None) };
        let i = self.index;
        self.index += 1;
        seed.deserialize(ValueDe(item)).map(Some).map_err(|e| e.context(format_args!("element {i}")))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// What the keys of a map reply are to the type reading it, for error messages.
#[derive(Clone, Copy)]
pub(super) enum Keys {
    /// A struct's fields: ``field `age` ``.
    Fields,
    /// A map's keys: `value of "age"`.
    Map,
}

/// Visits the pairs of a map reply.
pub(super) fn visit_map<'de, V: Visitor<'de>>(
    pairs: Pairs,
    keys: Keys,
    visitor: V,
) -> Result<V::Value, DecodeError> {
    visitor.visit_map(Map { pairs, keys, index: 0, value: None, key_text: None })
}

struct Map {
    pairs: Pairs,
    keys: Keys,
    index: usize,
    /// The value of the key just read, and that key's text (a view, not a copy) to name it.
    value: Option<Value>,
    key_text: Option<Bytes>,
}

impl<'de> de::MapAccess<'de> for Map {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DecodeError> {
        let Some((k, v)) = self.pairs.next() else { return Ok(None) };
        self.index += 1;
        self.value = Some(v);
        self.key_text = match &k {
            Value::Bulk(b) | Value::Simple(b) | Value::Verbatim { text: b, .. } => Some(b.clone()),
            _ => None,
        };
        let i = self.index - 1;
        seed.deserialize(ValueDe(k)).map(Some).map_err(|e| e.context(format_args!("key {i}")))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, DecodeError> {
        let v = self.value.take().ok_or_else(|| DecodeError::new("a map value was read before its key"))?;
        let at = Where { keys: self.keys, text: self.key_text.as_deref(), index: self.index - 1 };
        seed.deserialize(ValueDe(v)).map_err(|e| e.context(at))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.pairs.len())
    }
}

/// Where a value is: ``field `age` ``, `value of "age"`, or `value 3`.
struct Where<'a> {
    keys: Keys,
    text: Option<&'a [u8]>,
    index: usize,
}

impl fmt::Display for Where<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.keys, self.text) {
            (Keys::Fields, Some(name)) => write!(f, "field `{}`", String::from_utf8_lossy(name)),
            (Keys::Map, Some(key)) => write!(f, "value of {}", Excerpt(key)),
            (_, None) => write!(f, "value {}", self.index),
        }
    }
}

/// Visits an enum: a variant's name (`"active"`), or a map of one entry, variant to data
/// (a RESP3 map, or the array of two RESP2 sends for it).
pub(super) fn visit_enum<'de, V: Visitor<'de>>(v: Value, visitor: V) -> Result<V::Value, DecodeError> {
    match v {
        Value::Bulk(_) | Value::Simple(_) | Value::Verbatim { .. } => {
            visitor.visit_enum(Variant { name: v, data: None })
        }
        Value::Map(pairs) if pairs.len() == 1 => {
            let (name, data) = pairs.into_iter().next().expect("length checked");
            visitor.visit_enum(Variant { name, data: Some(data) })
        }
        Value::Array(items) if items.len() == 2 => {
            let mut items = items.into_iter();
            let name = items.next().expect("length checked");
            visitor.visit_enum(Variant { name, data: items.next() })
        }
        other => Err(unexpected("an enum variant (its name, or a map of one entry)", &other)),
    }
}

struct Variant {
    name: Value,
    data: Option<Value>,
}

impl<'de> de::EnumAccess<'de> for Variant {
    type Error = DecodeError;
    type Variant = Data;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Data), DecodeError> {
        let name = seed.deserialize(ValueDe(self.name))?;
        Ok((name, Data(self.data)))
    }
}

/// The data of a variant; `None` when only its name came.
struct Data(Option<Value>);

impl Data {
    fn take(self) -> Result<Value, DecodeError> {
        self.0.ok_or_else(|| DecodeError::new("expected a variant with data, got only its name"))
    }
}

impl<'de> de::VariantAccess<'de> for Data {
    type Error = DecodeError;

    fn unit_variant(self) -> Result<(), DecodeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DecodeError> {
        seed.deserialize(ValueDe(self.take()?))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, DecodeError> {
        ValueDe(self.take()?).deserialize_tuple(len, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        ValueDe(self.take()?).deserialize_struct("", fields, visitor)
    }
}
