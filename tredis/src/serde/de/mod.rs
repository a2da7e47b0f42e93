//! The serde `Deserializer` over a reply [`Value`]: scalars through the [`FromValue`] impls
//! (so that serde and `FromValue` read numbers and booleans alike), containers through the
//! access types of `access`.

mod access;

use std::fmt;

use ::serde::de::{self, Visitor};

use self::access::{visit_enum, visit_map, visit_seq, Keys};
use crate::reply::from_value::{elements, pairs, unexpected};
use crate::reply::{DecodeError, FromValue};
use crate::resp::Value;
use crate::Bytes;

/// Serde's view of one reply value.
pub(super) struct ValueDe(pub(super) Value);

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DecodeError::new(msg.to_string())
    }
}

/// Hints that name a scalar type read it with that type's [`FromValue`] impl.
macro_rules! scalars {
    ($($method:ident => $t:ty, $visit:ident;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
            visitor.$visit(<$t as FromValue>::from_value(self.0)?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ValueDe {
    type Error = DecodeError;

    /// Self-describing: the value as sent, its text as a string (bytes when not UTF-8).
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            Value::Simple(b) | Value::Bulk(b) | Value::BigNumber(b) | Value::Verbatim { text: b, .. } => {
                visit_text(&b, visitor)
            }
            Value::Int(i) => visitor.visit_i64(i),
            Value::Double(d) => visitor.visit_f64(d),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Null => visitor.visit_unit(),
            v @ (Value::Array(_) | Value::Set(_) | Value::Push(_)) => ValueDe(v).deserialize_seq(visitor),
            v @ Value::Map(_) => ValueDe(v).deserialize_map(visitor),
            v @ (Value::Error(_) | Value::BulkError(_)) => Err(unexpected("a value", &v)),
        }
    }

    scalars! {
        deserialize_bool => bool, visit_bool;
        deserialize_i8 => i8, visit_i8;
        deserialize_i16 => i16, visit_i16;
        deserialize_i32 => i32, visit_i32;
        deserialize_i64 => i64, visit_i64;
        deserialize_i128 => i128, visit_i128;
        deserialize_u8 => u8, visit_u8;
        deserialize_u16 => u16, visit_u16;
        deserialize_u32 => u32, visit_u32;
        deserialize_u64 => u64, visit_u64;
        deserialize_u128 => u128, visit_u128;
        deserialize_f32 => f32, visit_f32;
        deserialize_f64 => f64, visit_f64;
        deserialize_str => String, visit_string;
        deserialize_string => String, visit_string;
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let text = String::from_value(self.0)?;
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => visitor.visit_char(c),
            _ => Err(DecodeError::new(format!("expected one character, got {text:?}"))),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_bytes(&Bytes::from_value(self.0)?)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            v => visitor.visit_some(ValueDe(v)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        <()>::from_value(self.0)?;
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visit_seq(elements(self.0, "an array")?, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visit_map(pairs(self.0)?, Keys::Map, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visit_map(pairs(self.0)?, Keys::Fields, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visit_enum(self.0, visitor)
    }

    /// Field and variant names: text as a string, an integer as an index.
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            Value::Simple(b) | Value::Bulk(b) | Value::Verbatim { text: b, .. } => visit_text(&b, visitor),
            Value::Int(i) if i >= 0 => visitor.visit_u64(i as u64),
            v => ValueDe(v).deserialize_any(visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }
}

/// Text as a borrowed string, or as bytes when it is not UTF-8.
fn visit_text<'de, V: Visitor<'de>>(b: &[u8], visitor: V) -> Result<V::Value, DecodeError> {
    match std::str::from_utf8(b) {
        Ok(s) => visitor.visit_str(s),
        Err(_) => visitor.visit_bytes(b),
    }
}
