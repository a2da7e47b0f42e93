//! [`FromValue`]: the public reply-conversion trait, for replies the spec does not type (raw
//! commands) and for the caller's own types.
//!
//! [`As<T>`] adapts any `FromValue` type to the decoder interface the requests use, so that a
//! raw command or a generated one can be read as `T`.

use std::marker::PhantomData;

use super::{Decode, DecodeError};
use crate::resp::Value;

/// Converts a reply [`Value`] into a Rust value.
///
/// Implementations accept the RESP2 and the RESP3 form of their shape (a map arrives as a
/// flat array under RESP2; a number may arrive as its decimal text). A failure says what was
/// expected and what arrived; it reaches the caller as an
/// [`ErrorKind::Protocol`](crate::ErrorKind::Protocol) error naming the command.
pub trait FromValue: Sized {
    /// Converts `v`, or says which shape was expected.
    fn from_value(v: Value) -> Result<Self, DecodeError>;
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
