//! Replies into your `Deserialize` types, and your `Serialize` types into field and value
//! arguments (feature `serde`).
//!
//! # Reading replies
//!
//! [`Req::deserialize`] reads a command's reply as any `T: DeserializeOwned`:
//!
//! ```no_run
//! # async fn f(client: tredis::Client) -> Result<(), tredis::Error> {
//! use serde::Deserialize;
//! use tredis::prelude::*;
//!
//! #[derive(Deserialize)]
//! struct User {
//!     name: String,
//!     age: u32,
//!     admin: bool,
//!     email: Option<String>,
//! }
//!
//! let user: User = client.hgetall("user:1").deserialize().await?;
//! # Ok(()) }
//! ```
//!
//! A struct reads from a map reply: a RESP3 map or the flat `field, value, ...` array RESP2
//! sends (HGETALL, CONFIG GET, XINFO ...). Numbers and booleans read from RESP3 numbers and
//! booleans as well as from the text RESP2 (and every hash field) holds, with the rules of
//! [`FromValue`]: `"42"` is an integer, `"1.5"`, `"inf"` floats, `1`/`0`, `true`/`false`,
//! `yes`/`no` booleans. `Option` fields may be absent or nil; sequences read from arrays and
//! sets; an enum reads from its variant's name (`"active"`), or from a map of one entry for a
//! variant with data. A reply the type cannot read fails as
//! [`ErrorKind::Protocol`](crate::ErrorKind::Protocol) naming the command and the place:
//! ``protocol error in the reply to HGETALL: field `age`: expected an integer, got bulk
//! string "old"``, or ``missing field `name` ``.
//!
//! Where a [`FromValue`] type is needed instead (nested in a `Vec`, or for a raw command),
//! [`Serde<T>`] wraps one; [`from_value`] converts a [`Value`] you already have.
//!
//! Serde reads `#[serde(flatten)]` fields and untagged enums through its own buffer, which
//! sees the RESP2 text of a number as a string: there, numbers only read from RESP3 replies.
//!
//! # Writing fields
//!
//! [`to_fields`] turns a struct (or a map) into field and value arguments, which HSET, XADD
//! and every other command taking field and value pairs accept:
//!
//! ```no_run
//! # async fn f(client: tredis::Client) -> Result<(), tredis::Error> {
//! use serde::Serialize;
//! use tredis::prelude::*;
//!
//! #[derive(Serialize)]
//! struct Reading {
//!     sensor: &'static str,
//!     celsius: f64,
//!     calibrated: bool,
//!     note: Option<String>,
//! }
//!
//! let r = Reading { sensor: "s1", celsius: 21.5, calibrated: true, note: None };
//! let fields = tredis::serde::to_fields(&r)?;
//! client.hset("sensor:s1", &fields).await?;
//! client.xadd("readings", fields).await?;
//! # Ok(()) }
//! ```
//!
//! Strings and bytes are sent as they are, numbers in decimal, booleans as `1` and `0` (which
//! read back as booleans, and work with HINCRBY), unit enum variants as their name; `None`
//! fields are left out. A nested struct, map or sequence has no single-argument form and is
//! an [`ErrorKind::Argument`](crate::ErrorKind::Argument) error naming the field; so is a NaN.
//! The conversion is done once, before the command is built, so that such an error is
//! returned at once and nothing is sent; the [`Fields`] can be sent any number of times.

mod de;
mod fields;
mod ser;
#[cfg(test)]
mod tests;

use std::marker::PhantomData;

use ::serde::de::DeserializeOwned;

pub use fields::{FieldArg, Fields, IntoIter, Iter};
pub use ser::to_fields;

use crate::command::{Command, WithReply};
use crate::reply::{Decode, DecodeError, FromValue};
use crate::resp::Value;
use crate::Req;

/// Converts a reply value into any `T: DeserializeOwned`, with the rules in the
/// [module docs](self).
///
/// # Errors
///
/// A value `T` cannot read; the message names the field or element where it happened.
pub fn from_value<T: DeserializeOwned>(v: Value) -> Result<T, DecodeError> {
    T::deserialize(de::ValueDe(v))
}

/// A `Deserialize` type as a [`FromValue`] type: for a `Deserialize` struct where a
/// `FromValue` one is asked for (`Vec<Serde<User>>`, a raw command).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Serde<T>(pub T);

impl<T: DeserializeOwned> FromValue for Serde<T> {
    fn from_value(v: Value) -> Result<Self, DecodeError> {
        from_value(v).map(Serde)
    }
}

/// The decoder of [`Req::deserialize`]: reads a reply as `T`.
pub struct Deserialized<T>(PhantomData<fn() -> T>);

impl<T: DeserializeOwned> Decode for Deserialized<T> {
    type Output = T;
    fn decode(v: Value) -> Result<T, DecodeError> {
        from_value(v)
    }
}

impl<'c, E: ?Sized, C: Command> Req<'c, E, C> {
    /// Reads the reply as `T`, any `Deserialize` type, instead of the command's own type: a
    /// map reply (HGETALL, CONFIG GET, XINFO ...) as your struct. See the
    /// [module docs](crate::serde) for what reads as what.
    ///
    /// Chain it after the command's options, which are setters of the request before it.
    ///
    /// # Errors
    ///
    /// A reply `T` cannot read is an [`ErrorKind::Protocol`](crate::ErrorKind::Protocol)
    /// error naming the command and the field (a missing one, or text that is not a number).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn f(client: tredis::Client) -> Result<(), tredis::Error> {
    /// use serde::Deserialize;
    /// use tredis::prelude::*;
    ///
    /// #[derive(Deserialize)]
    /// struct Limits {
    ///     maxmemory: u64,
    ///     #[serde(rename = "maxmemory-policy")]
    ///     policy: String,
    /// }
    ///
    /// let limits: Limits = client.config_get(["maxmemory", "maxmemory-policy"]).deserialize().await?;
    /// # Ok(()) }
    /// ```
    pub fn deserialize<T: DeserializeOwned>(self) -> Req<'c, E, WithReply<C, Deserialized<T>>> {
        self.map(WithReply::new)
    }
}
