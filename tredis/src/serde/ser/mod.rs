//! [`to_fields`]: a struct or map into [`Fields`]. The top level must be a struct or a map;
//! each of its values must be a single argument (`value`).

mod value;

use std::fmt;

use ::serde::ser::{self, Impossible, Serialize};

use self::value::ValueSer;
use super::fields::{Builder, Fields, Slot};
use crate::Error;

/// Serializes a struct or map into field and value arguments for HSET, XADD and the like.
///
/// Strings and bytes are sent as they are, integers and floats in decimal (`+inf`, `-inf`),
/// booleans as `1` and `0`, unit enum variants as their name; `None` and `()` fields are left
/// out. `#[serde(rename)]`, `skip` and `flatten` apply. See the [module docs](crate::serde).
///
/// # Errors
///
/// An [`ErrorKind::Argument`](crate::ErrorKind::Argument) error naming the field when a value
/// has no single-argument form (a nested struct, map or sequence, an enum variant with data)
/// or is NaN, and when `value` is not a struct or a map.
///
/// # Examples
///
/// ```
/// use std::collections::BTreeMap;
///
/// let fields = tredis::serde::to_fields(&BTreeMap::from([("visits", 3), ("level", 7)]))?;
/// assert_eq!(fields.len(), 2);
/// # Ok::<(), tredis::Error>(())
/// ```
pub fn to_fields<T: Serialize + ?Sized>(value: &T) -> Result<Fields, Error> {
    let mut out = Builder::default();
    value.serialize(Top(&mut out)).map_err(|e| Error::argument(e.0))?;
    Ok(out.finish())
}

/// Why a value could not become arguments.
#[derive(Debug)]
pub(super) struct SerError(String);

impl SerError {
    fn context(self, at: impl fmt::Display) -> SerError {
        SerError(format!("{at}: {}", self.0))
    }
}

impl fmt::Display for SerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SerError {}

impl ser::Error for SerError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        SerError(msg.to_string())
    }
}

/// The top level: a struct or a map, whose entries become the pairs.
struct Top<'a>(&'a mut Builder);

fn not_fields<T>(got: &str) -> Result<T, SerError> {
    Err(SerError(format!("only a struct or a map becomes field and value arguments, got {got}")))
}

/// Top-level forms that are not a struct or a map, all refused alike.
macro_rules! refuse {
    ($($method:ident($($arg:ident: $ty:ty),*) -> $ok:ty = $what:literal;)*) => {$(
        fn $method(self, $(_: $ty),*) -> Result<$ok, SerError> {
            not_fields($what)
        }
    )*};
}

impl<'a> ser::Serializer for Top<'a> {
    type Ok = ();
    type Error = SerError;
    type SerializeSeq = Impossible<(), SerError>;
    type SerializeTuple = Impossible<(), SerError>;
    type SerializeTupleStruct = Impossible<(), SerError>;
    type SerializeTupleVariant = Impossible<(), SerError>;
    type SerializeMap = MapFields<'a>;
    type SerializeStruct = StructFields<'a>;
    type SerializeStructVariant = Impossible<(), SerError>;

    refuse! {
        serialize_bool(v: bool) -> () = "a boolean";
        serialize_i8(v: i8) -> () = "a number";
        serialize_i16(v: i16) -> () = "a number";
        serialize_i32(v: i32) -> () = "a number";
        serialize_i64(v: i64) -> () = "a number";
        serialize_u8(v: u8) -> () = "a number";
        serialize_u16(v: u16) -> () = "a number";
        serialize_u32(v: u32) -> () = "a number";
        serialize_u64(v: u64) -> () = "a number";
        serialize_f32(v: f32) -> () = "a number";
        serialize_f64(v: f64) -> () = "a number";
        serialize_char(v: char) -> () = "a character";
        serialize_str(v: &str) -> () = "a string";
        serialize_bytes(v: &[u8]) -> () = "bytes";
        serialize_none() -> () = "None";
        serialize_unit() -> () = "()";
        serialize_unit_struct(n: &'static str) -> () = "a unit struct";
        serialize_unit_variant(n: &'static str, i: u32, v: &'static str) -> () = "an enum";
        serialize_seq(len: Option<usize>) -> Self::SerializeSeq = "a sequence";
        serialize_tuple(len: usize) -> Self::SerializeTuple = "a tuple";
        serialize_tuple_struct(n: &'static str, len: usize) -> Self::SerializeTupleStruct = "a tuple struct";
        serialize_tuple_variant(n: &'static str, i: u32, v: &'static str, len: usize) -> Self::SerializeTupleVariant = "an enum";
        serialize_struct_variant(n: &'static str, i: u32, v: &'static str, len: usize) -> Self::SerializeStructVariant = "an enum";
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), SerError> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), SerError> {
        not_fields("an enum")
    }

    fn serialize_map(self, len: Option<usize>) -> Result<MapFields<'a>, SerError> {
        self.0.reserve(len.unwrap_or(0));
        Ok(MapFields { out: self.0, key: None })
    }

    fn serialize_struct(self, _: &'static str, len: usize) -> Result<StructFields<'a>, SerError> {
        self.0.reserve(len);
        Ok(StructFields(self.0))
    }
}

/// A struct's fields, each one pair.
pub(super) struct StructFields<'a>(&'a mut Builder);

impl ser::SerializeStruct for StructFields<'_> {
    type Ok = ();
    type Error = SerError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        let value =
            value.serialize(ValueSer(self.0)).map_err(|e| e.context(format_args!("field `{key}`")))?;
        if let Some(value) = value {
            self.0.push(Slot::Name(key), value);
        }
        Ok(())
    }

    fn end(self) -> Result<(), SerError> {
        Ok(())
    }
}

/// A map's entries, each one pair.
pub(super) struct MapFields<'a> {
    out: &'a mut Builder,
    key: Option<Slot>,
}

impl ser::SerializeMap for MapFields<'_> {
    type Ok = ();
    type Error = SerError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        let key = key.serialize(ValueSer(self.out)).map_err(|e| e.context("a map key"))?;
        self.key =
            Some(key.ok_or_else(|| SerError("a map key is None or (), which no field can be named".into()))?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let key = self.key.take().ok_or_else(|| SerError("a map value came before its key".into()))?;
        let value = value
            .serialize(ValueSer(self.out))
            .map_err(|e| e.context(format_args!("field {:?}", self.out.shown(key))))?;
        if let Some(value) = value {
            self.out.push(key, value);
        }
        Ok(())
    }

    fn end(self) -> Result<(), SerError> {
        Ok(())
    }
}
