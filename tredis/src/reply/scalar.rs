//! Scalar decoders: status, integers, booleans, doubles, bytes, text, durations, TTLs.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use super::{Decode, DecodeError, ExpireTime, Ttl};
use crate::resp::Value;

macro_rules! decoder {
    ($(#[$doc:meta])* $name:ident -> $out:ty, |$v:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl Decode for $name {
            type Output = $out;
            #[inline]
            fn decode($v: Value) -> Result<$out, DecodeError> {
                $body
            }
        }
    };
}

decoder!(
    /// `+OK`, as `()`.
    Ok -> (), |v| match v {
        Value::Simple(s) if s == "OK" => Result::Ok(()),
        other => Err(DecodeError::mismatch("+OK", &other)),
    }
);

decoder!(
    /// `+OK` as `true`, nil as `false` (SET NX).
    OkOrNil -> bool, |v| match v {
        Value::Simple(s) if s == "OK" => Result::Ok(true),
        Value::Null => Result::Ok(false),
        other => Err(DecodeError::mismatch("+OK or nil", &other)),
    }
);

decoder!(
    /// Any status line, as `()` (PING's PONG).
    Unit -> (), |v| match v {
        Value::Simple(_) => Result::Ok(()),
        other => Err(DecodeError::mismatch("a status", &other)),
    }
);

decoder!(
    /// An integer.
    Int -> i64, |v| match v {
        Value::Int(i) => Result::Ok(i),
        other => Err(DecodeError::mismatch("an integer", &other)),
    }
);

decoder!(
    /// A non-negative integer.
    UInt -> u64, |v| match v {
        Value::Int(i) if i >= 0 => Result::Ok(i as u64),
        other => Err(DecodeError::mismatch("a non-negative integer", &other)),
    }
);

decoder!(
    /// A port or a slot: a non-negative integer that fits in `u16`.
    U16 -> u16, |v| {
        let n = UInt::decode(v)?;
        u16::try_from(n).map_err(|_| DecodeError::new(format!("{n} is out of range for a port or a slot")))
    }
);

decoder!(
    /// 0 or 1, or a RESP3 boolean.
    Bool -> bool, |v| match v {
        Value::Int(0) | Value::Bool(false) => Result::Ok(false),
        Value::Int(1) | Value::Bool(true) => Result::Ok(true),
        other => Err(DecodeError::mismatch("0 or 1", &other)),
    }
);

decoder!(
    /// A RESP3 double, or the bulk string RESP2 sends for one.
    Double -> f64, |v| match v {
        Value::Double(d) => Result::Ok(d),
        Value::Bulk(ref b) | Value::Simple(ref b) => crate::resp::parse_double_text(b)
            .ok_or_else(|| DecodeError::mismatch("a double", &v)),
        other => Err(DecodeError::mismatch("a double", &other)),
    }
);

decoder!(
    /// Binary-safe bytes: a bulk string (or a status or verbatim text).
    Bulk -> Bytes, |v| match v {
        Value::Bulk(b) | Value::Simple(b) => Result::Ok(b),
        Value::Verbatim { text, .. } => Result::Ok(text),
        other => Err(DecodeError::mismatch("a bulk string", &other)),
    }
);

decoder!(
    /// UTF-8 text from a bulk, status or verbatim string.
    Str -> String, |v| match v {
        Value::Bulk(b) | Value::Simple(b) | Value::Verbatim { text: b, .. } => {
            String::from_utf8(b.to_vec()).map_err(|_| DecodeError::new("expected UTF-8 text, got invalid UTF-8"))
        }
        other => Err(DecodeError::mismatch("text", &other)),
    }
);

decoder!(
    /// Any value, undecoded.
    Any -> Value, |v| Result::Ok(v)
);

decoder!(
    /// A whole number of seconds.
    Secs -> Duration, |v| UInt::decode(v).map(Duration::from_secs)
);

decoder!(
    /// A whole number of milliseconds.
    Millis -> Duration, |v| UInt::decode(v).map(Duration::from_millis)
);

fn ttl(v: Value, unit: fn(u64) -> Duration) -> Result<Ttl, DecodeError> {
    match v {
        Value::Int(-2) => Result::Ok(Ttl::Missing),
        Value::Int(-1) => Result::Ok(Ttl::Persistent),
        Value::Int(n) if n >= 0 => Result::Ok(Ttl::Expires(unit(n as u64))),
        other => Err(DecodeError::mismatch("a TTL (-2, -1 or a positive integer)", &other)),
    }
}

/// The time `since` after the Unix epoch; an error, not a panic, when a hostile or broken
/// server sends one that [`SystemTime`] cannot hold. `what` names the field for the message.
pub(crate) fn unix_time(since: Duration, what: &str) -> Result<SystemTime, DecodeError> {
    UNIX_EPOCH.checked_add(since).ok_or_else(|| {
        DecodeError::new(format!(
            "{what}: {} s after the Unix epoch is out of range for a time",
            since.as_secs()
        ))
    })
}

fn expire_time(v: Value, unit: fn(u64) -> Duration) -> Result<ExpireTime, DecodeError> {
    match v {
        Value::Int(-2) => Result::Ok(ExpireTime::Missing),
        Value::Int(-1) => Result::Ok(ExpireTime::Persistent),
        Value::Int(n) if n >= 0 => unix_time(unit(n as u64), "expiry time").map(ExpireTime::At),
        other => Err(DecodeError::mismatch("an expiry time (-2, -1 or a Unix time)", &other)),
    }
}

decoder!(
    /// TTL in seconds (TTL).
    TtlSecs -> Ttl, |v| ttl(v, Duration::from_secs)
);

decoder!(
    /// TTL in milliseconds (PTTL).
    TtlMillis -> Ttl, |v| ttl(v, Duration::from_millis)
);

decoder!(
    /// Expiry as Unix seconds (EXPIRETIME).
    ExpireTimeSecs -> ExpireTime, |v| expire_time(v, Duration::from_secs)
);

decoder!(
    /// Expiry as Unix milliseconds (PEXPIRETIME).
    ExpireTimeMillis -> ExpireTime, |v| expire_time(v, Duration::from_millis)
);
