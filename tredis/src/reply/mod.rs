//! Reply decoders: types that turn a [`Value`] into what a command's method returns.
//!
//! The generator names a decoder for every command from its reply expression in
//! `commands.json` (`[bytes?]` is `Array<Nullable<Bulk>>`). Each decoder accepts the RESP2 and
//! the RESP3 form of its shape, so the same method works under either protocol; apart from that
//! it is strict: an integer is not silently read from a string.

mod cluster;
mod collections;
pub(crate) mod from_value;
mod generated;
mod geo;
mod pubsub;
pub(crate) mod record;
mod records;
mod scalar;
mod server;
mod stream;

use std::borrow::Cow;

pub use cluster::{ClusterInfo, ClusterNode, ClusterNodes, ClusterSlotNode, ClusterSlotRange};
pub use collections::{Array, Keyed, Map, Nullable, Pairs, Scan};
pub use from_value::{As, FromValue};
pub use geo::GeoHit;
pub use pubsub::Subscribed;
pub use records::{
    ClientInfo, ClientList, ExpireTime, KeyType, LcsMatch, LcsMatches, MigrateOutcome, TrackingInfo, Ttl,
};
pub use scalar::{
    Any, Bool, Bulk, Double, ExpireTimeMillis, ExpireTimeSecs, Int, Millis, Ok, OkOrNil, Secs, Str,
    TtlMillis, TtlSecs, UInt, Unit, U16,
};
pub use server::{
    CommandEntry, CommandLogEntry, Info, KeyFlags, LatencyEvent, LatencySample, Role, ServerTime,
    SlowlogEntry, UnixSecs,
};
pub use stream::{
    AutoClaim, AutoClaimEntries, AutoClaimIds, ConsumerPending, GroupPending, PendingEntry, PendingSummary,
    StreamEntry, StreamId,
};

/// Records read from map replies: generated from `spec/overlay/records.json` (see `record`).
pub use generated::records::{
    AclLogEntry, AclUser, ClusterLink, ClusterShard, ClusterShardNode, CommandDoc, FunctionInfo,
    FunctionLibrary, FunctionStats, MemoryStats, ModuleInfo, StreamConsumerFull, StreamConsumerInfo,
    StreamGroupFull, StreamGroupInfo, StreamInfo, StreamInfoFull,
};

use crate::resp::Value;

/// Decodes a reply value into a Rust value.
pub trait Decode {
    /// What the caller receives.
    type Output;
    /// Decodes `v`, or says which shape was expected.
    fn decode(v: Value) -> Result<Self::Output, DecodeError>;
}

/// A reply that does not have the shape its command's type promises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(Cow<'static, str>);

impl DecodeError {
    /// `expected` is what the decoder wanted; `got` is what arrived.
    pub fn mismatch(expected: &'static str, got: &Value) -> DecodeError {
        let shown = match got {
            Value::Error(e) | Value::BulkError(e) => {
                format!("error reply `{}`", String::from_utf8_lossy(e))
            }
            other => other.kind_name().to_string(),
        };
        DecodeError(Cow::Owned(format!("expected {expected}, got {shown}")))
    }

    /// A decode error with its own message.
    pub fn new(msg: impl Into<Cow<'static, str>>) -> DecodeError {
        DecodeError(msg.into())
    }

    /// The same error, prefixed with where in the reply it happened (`element 3`, ``field
    /// `age` ``), so that a failure deep inside a nested reply names its path.
    pub fn context(self, at: impl std::fmt::Display) -> DecodeError {
        DecodeError(Cow::Owned(format!("{at}: {}", self.0)))
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

macro_rules! tuples {
    ($(($($t:ident $v:ident),+) = $n:expr;)*) => {$(
        impl<$($t: Decode),+> Decode for ($($t,)+) {
            type Output = ($($t::Output,)+);
            fn decode(v: Value) -> Result<Self::Output, DecodeError> {
                match v {
                    Value::Array(items) if items.len() == $n => {
                        let mut it = items.into_iter();
                        $(let $v = $t::decode(it.next().expect("length checked"))?;)+
                        ::core::result::Result::Ok(($($v,)+))
                    }
                    other => Err(DecodeError::mismatch(concat!("an array of ", stringify!($n)), &other)),
                }
            }
        }
    )*};
}

tuples! {
    (A a, B b) = 2;
    (A a, B b, C c) = 3;
    (A a, B b, C c, D d) = 4;
}

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;
