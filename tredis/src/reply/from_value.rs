//! [`FromValue`]: the public reply-conversion trait, for replies the spec does not type (raw
//! commands) and for the caller's own types.
//!
//! [`As<T>`] adapts any `FromValue` type to the decoder interface the requests use, so that a
//! raw command or a generated one can be read as `T`.
//!
//! The std impls live in the child modules: `text` (strings, bytes, `bool`, `()`), `numbers`,
//! `seq` (`Option`, `Vec`, sets, arrays, tuples) and `map`.

mod map;
mod numbers;
mod seq;
#[cfg(test)]
mod tests;
mod text;

use std::fmt;
use std::marker::PhantomData;

use super::{Decode, DecodeError};
use crate::resp::Value;

#[cfg(feature = "serde")]
pub(crate) use map::{pairs, Pairs};
#[cfg(feature = "serde")]
pub(crate) use seq::{elements, Elements};

/// Converts a reply [`Value`] into a Rust value.
///
/// Implementations accept the RESP2 and the RESP3 form of their shape (a map arrives as a
/// flat array under RESP2; a number may arrive as its decimal text). A failure says what was
/// expected and what arrived; it reaches the caller as an
/// [`ErrorKind::Protocol`](crate::ErrorKind::Protocol) error naming the command.
///
/// # Provided impls
///
/// Unlike the decoders of generated commands, which are strict, these read a value from each
/// form either protocol gives it, so that one type works under both:
///
/// - `String`, `Bytes`, `Vec<u8>`: a bulk string, status or verbatim string, or the decimal
///   text of a number (integer, double, big number; a RESP3 boolean as `1`/`0`).
/// - Integers (`i8` to `i128`, `u8` to `u128`, `isize`, `usize`): an integer, its decimal
///   text, a big number, or a double without fraction. Out of range is an error, never a
///   truncation.
/// - `f32`, `f64`: a double, an integer, or decimal text, `inf`, `-inf` and `nan` included.
/// - `bool`: `0`/`1` as an integer or text, a RESP3 boolean, and the texts `true`/`false`
///   and `yes`/`no` (CONFIG GET writes those), in any case.
/// - `()`: any reply but an error, which is read and dropped.
/// - `Option<T>`: nil as `None`.
/// - `Vec<T>`, `VecDeque<T>`, `HashSet<T>`, `BTreeSet<T>`, `[T; N]`, tuples of up to 12: an
///   array or RESP3 set (a tuple or `[T; N]` of exactly its length). A RESP3 map reads as the
///   flat `key, value, ...` array RESP2 sends for it, except that `Vec<(K, V)>` reads pairs
///   from either form.
/// - `HashMap<K, V>`, `BTreeMap<K, V>`: a RESP3 map, a RESP2 flat array of even length, or an
///   array of two-element arrays.
///
/// A failure inside a container names where it happened: `element 3: expected an integer,
/// got bulk string "abc"`.
///
/// # Examples
///
/// Your own conversion, built on the provided ones:
///
/// ```
/// use tredis::reply::DecodeError;
/// use tredis::{FromValue, Value};
///
/// struct Celsius(f64);
///
/// impl FromValue for Celsius {
///     fn from_value(v: Value) -> Result<Self, DecodeError> {
///         f64::from_value(v).map(Celsius).map_err(|e| e.context("temperature"))
///     }
/// }
///
/// let t = Celsius::from_value(Value::Bulk("21.5".into())).unwrap();
/// assert_eq!(t.0, 21.5);
/// ```
pub trait FromValue: Sized {
    /// Converts `v`, or says which shape was expected.
    fn from_value(v: Value) -> Result<Self, DecodeError>;

    /// Reads a `Vec<Self>`. Overridden where the element type changes how the whole reply
    /// is read: `u8` reads a bulk string as bytes, pairs read a RESP2 flat array two by two.
    #[doc(hidden)]
    fn vec_from_value(v: Value) -> Result<Vec<Self>, DecodeError> {
        seq::collect_vec(v)
    }
}

impl FromValue for Value {
    #[inline]
    fn from_value(v: Value) -> Result<Self, DecodeError> {
        Ok(v)
    }
}

/// The decoder that reads a reply as `T`.
pub struct As<T>(PhantomData<fn() -> T>);

impl<T: FromValue> Decode for As<T> {
    type Output = T;
    #[inline]
    fn decode(v: Value) -> Result<T, DecodeError> {
        T::from_value(v)
    }
}

/// "expected `expected`, got `got`", showing the start of a string and the value of a number,
/// so that a failure can be found in the data.
pub(crate) fn unexpected(expected: &str, got: &Value) -> DecodeError {
    DecodeError::new(format!("expected {expected}, got {}", Shown(got)))
}

/// A value as an error message shows it: its kind, and the start of its text or its number.
pub(crate) struct Shown<'a>(pub(crate) &'a Value);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        match v {
            Value::Error(e) | Value::BulkError(e) => {
                write!(f, "error reply `{}`", String::from_utf8_lossy(e))
            }
            Value::Simple(b) | Value::Bulk(b) | Value::BigNumber(b) | Value::Verbatim { text: b, .. } => {
                write!(f, "{} {}", v.kind_name(), Excerpt(b))
            }
            Value::Int(i) => write!(f, "integer {i}"),
            Value::Double(d) => write!(f, "double {d:?}"),
            Value::Bool(b) => write!(f, "boolean {b}"),
            Value::Array(items) | Value::Set(items) | Value::Push(items) => {
                write!(f, "{} of {} element(s)", v.kind_name(), items.len())
            }
            Value::Map(pairs) => write!(f, "map of {} pair(s)", pairs.len()),
            Value::Null => f.write_str("nil"),
        }
    }
}

/// The first bytes of a string, quoted and escaped.
pub(crate) struct Excerpt<'a>(pub(crate) &'a [u8]);

impl fmt::Display for Excerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 40;
        let b = self.0;
        let text = String::from_utf8_lossy(&b[..b.len().min(SHOWN)]);
        let more = if b.len() > SHOWN { "..." } else { "" };
        write!(f, "{text:?}{more}")
    }
}
