//! One field's value (or a map key) as one argument: a [`Slot`], or `None` for a value that
//! is left out (`None`, `()`).

use ::serde::ser::{self, Impossible, Serialize};

use super::SerError;
use crate::serde::fields::{Builder, Slot};

/// Serializes one value into the builder's text, or into a number kept as one.
pub(super) struct ValueSer<'a>(pub(super) &'a mut Builder);

type Out = Result<Option<Slot>, SerError>;

fn nested<T>(what: &str) -> Result<T, SerError> {
    Err(SerError(format!(
        "{what} cannot be one argument; flatten it (#[serde(flatten)]) or turn it into a string first"
    )))
}

fn not_nan(v: f64) -> Result<(), SerError> {
    match v.is_nan() {
        true => Err(SerError("NaN, which the server rejects".into())),
        false => Ok(()),
    }
}

impl ser::Serializer for ValueSer<'_> {
    type Ok = Option<Slot>;
    type Error = SerError;
    type SerializeSeq = Impossible<Option<Slot>, SerError>;
    type SerializeTuple = Impossible<Option<Slot>, SerError>;
    type SerializeTupleStruct = Impossible<Option<Slot>, SerError>;
    type SerializeTupleVariant = Impossible<Option<Slot>, SerError>;
    type SerializeMap = Impossible<Option<Slot>, SerError>;
    type SerializeStruct = Impossible<Option<Slot>, SerError>;
    type SerializeStructVariant = Impossible<Option<Slot>, SerError>;

    /// `1` and `0`: what the server itself uses for booleans, and what HINCRBY can count.
    fn serialize_bool(self, v: bool) -> Out {
        Ok(Some(Slot::Int(i64::from(v))))
    }

    fn serialize_i8(self, v: i8) -> Out {
        Ok(Some(Slot::Int(v.into())))
    }

    fn serialize_i16(self, v: i16) -> Out {
        Ok(Some(Slot::Int(v.into())))
    }

    fn serialize_i32(self, v: i32) -> Out {
        Ok(Some(Slot::Int(v.into())))
    }

    fn serialize_i64(self, v: i64) -> Out {
        Ok(Some(Slot::Int(v)))
    }

    fn serialize_i128(self, v: i128) -> Out {
        Ok(Some(self.0.text(itoa::Buffer::new().format(v).as_bytes())))
    }

    fn serialize_u8(self, v: u8) -> Out {
        Ok(Some(Slot::UInt(v.into())))
    }

    fn serialize_u16(self, v: u16) -> Out {
        Ok(Some(Slot::UInt(v.into())))
    }

    fn serialize_u32(self, v: u32) -> Out {
        Ok(Some(Slot::UInt(v.into())))
    }

    fn serialize_u64(self, v: u64) -> Out {
        Ok(Some(Slot::UInt(v)))
    }

    fn serialize_u128(self, v: u128) -> Out {
        Ok(Some(self.0.text(itoa::Buffer::new().format(v).as_bytes())))
    }

    /// Written as the `f32` it is (`0.1`, not the `f64` digits of its widening).
    fn serialize_f32(self, v: f32) -> Out {
        not_nan(v.into())?;
        Ok(Some(match v.is_infinite() {
            true => self.0.text(if v > 0.0 { b"+inf" } else { b"-inf" }),
            false => self.0.text(format!("{v:?}").as_bytes()),
        }))
    }

    fn serialize_f64(self, v: f64) -> Out {
        not_nan(v)?;
        Ok(Some(Slot::Double(v)))
    }

    fn serialize_char(self, v: char) -> Out {
        Ok(Some(self.0.text(v.encode_utf8(&mut [0; 4]).as_bytes())))
    }

    fn serialize_str(self, v: &str) -> Out {
        Ok(Some(self.0.text(v.as_bytes())))
    }

    fn serialize_bytes(self, v: &[u8]) -> Out {
        Ok(Some(self.0.text(v)))
    }

    fn serialize_none(self) -> Out {
        Ok(None)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Out {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Out {
        Ok(None)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Out {
        Ok(None)
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Out {
        Ok(Some(Slot::Name(variant)))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Out {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: &T,
    ) -> Out {
        nested(&format!("the enum variant `{variant}` with data"))
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, SerError> {
        nested("a sequence")
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, SerError> {
        nested("a tuple")
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, SerError> {
        nested(&format!("the tuple struct `{name}`"))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, SerError> {
        nested(&format!("the enum variant `{variant}` with data"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, SerError> {
        nested("a nested map")
    }

    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Self::SerializeStruct, SerError> {
        nested(&format!("the nested struct `{name}`"))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, SerError> {
        nested(&format!("the enum variant `{variant}` with data"))
    }
}
