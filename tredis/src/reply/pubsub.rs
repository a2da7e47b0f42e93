//! [`Subscribed`]: the server's confirmation of a subscribe-family command.

use super::{Decode, DecodeError};
use crate::resp::Value;

/// What the subscribe-family commands (SUBSCRIBE, UNSUBSCRIBE ...) answer once the server has
/// confirmed every channel they name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Subscribed {
    /// How many channels and patterns (for the sharded commands: shard channels) the client's
    /// subscription connection holds afterwards. Every subscriber of one client shares that
    /// connection, so this counts theirs too.
    pub count: u64,
}

impl Decode for Subscribed {
    type Output = Subscribed;

    fn decode(v: Value) -> Result<Subscribed, DecodeError> {
        // `[kind, channel, count]`: a RESP3 push, or an array on a RESP2 subscriber connection.
        let items = match v {
            Value::Push(items) | Value::Array(items) if items.len() == 3 => items,
            other => return Err(DecodeError::mismatch("a subscription confirmation", &other)),
        };
        match &items[2] {
            Value::Int(n) if *n >= 0 => Ok(Subscribed { count: *n as u64 }),
            other => Err(DecodeError::mismatch("a subscription count", other)),
        }
    }
}
