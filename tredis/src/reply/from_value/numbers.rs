//! Integers and floats, from RESP3 numbers and from the decimal text RESP2 sends for them.

use std::num::{IntErrorKind, ParseIntError};
use std::str::FromStr;

use super::{unexpected, FromValue, Shown};
use crate::reply::DecodeError;
use crate::resp::{parse_double_text, Value};

/// `v` as the integer type `T` (named `name` in errors). Text goes through `T`'s own
/// `FromStr`, so that every width, `u128` included, parses without a detour through `i64`.
fn integer<T>(v: Value, name: &'static str) -> Result<T, DecodeError>
where
    T: TryFrom<i64> + TryFrom<i128> + TryFrom<u128> + FromStr<Err = ParseIntError>,
{
    let out_of_range = |v: &Value| DecodeError::new(format!("{} is out of range for {name}", Shown(v)));
    match &v {
        Value::Int(i) => T::try_from(*i).map_err(|_| out_of_range(&v)),
        Value::Bulk(b) | Value::Simple(b) | Value::BigNumber(b) | Value::Verbatim { text: b, .. } => {
            let text = std::str::from_utf8(b).map_err(|_| unexpected("an integer", &v))?;
            text.parse::<T>().map_err(|e| match e.kind() {
                IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => out_of_range(&v),
                // A negative number read as unsigned is out of range, not "not a number".
                _ if text.parse::<i128>().is_ok() => out_of_range(&v),
                _ => unexpected("an integer", &v),
            })
        }
        // RESP3 sends some counts as doubles that RESP2 sends as integer text.
        Value::Double(d) if d.fract() == 0.0 => {
            const TWO_127: f64 = 170_141_183_460_469_231_731_687_303_715_884_105_728.0;
            let fits = if *d >= 0.0 {
                (*d < 2.0 * TWO_127).then(|| T::try_from(*d as u128).ok()).flatten()
            } else {
                (*d >= -TWO_127).then(|| T::try_from(*d as i128).ok()).flatten()
            };
            fits.ok_or_else(|| out_of_range(&v))
        }
        _ => Err(unexpected("an integer", &v)),
    }
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            #[inline]
            fn from_value(v: Value) -> Result<Self, DecodeError> {
                integer(v, stringify!($t))
            }
        }
    )*};
}

integers!(i8, i16, i32, i64, i128, isize, u16, u32, u64, u128, usize);

/// `u8` is a number, and a `Vec<u8>` is bytes: a bulk string (or the text of a number)
/// reads as its bytes, an array as numbers.
impl FromValue for u8 {
    #[inline]
    fn from_value(v: Value) -> Result<Self, DecodeError> {
        integer(v, "u8")
    }

    fn vec_from_value(v: Value) -> Result<Vec<Self>, DecodeError> {
        match super::text::into_text(v) {
            Ok(bytes) => Ok(bytes.to_vec()),
            Err(other) => super::seq::collect_vec(other),
        }
    }
}

impl FromValue for f64 {
    fn from_value(v: Value) -> Result<Self, DecodeError> {
        match &v {
            Value::Double(d) => Ok(*d),
            Value::Int(i) => Ok(*i as f64),
            Value::Bulk(b) | Value::Simple(b) | Value::BigNumber(b) | Value::Verbatim { text: b, .. } => {
                parse_double_text(b).ok_or_else(|| unexpected("a number", &v))
            }
            _ => Err(unexpected("a number", &v)),
        }
    }
}

impl FromValue for f32 {
    fn from_value(v: Value) -> Result<Self, DecodeError> {
        let d = f64::from_value(v)?;
        let f = d as f32;
        if f.is_infinite() && d.is_finite() {
            return Err(DecodeError::new(format!("{d:?} is out of range for f32")));
        }
        Ok(f)
    }
}
