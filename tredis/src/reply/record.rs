//! Building blocks of records: the name/value pairs of a RESP3 map (or RESP2 flat array), and
//! `map_record!`, which turns such a reply into a struct with typed fields. Fields the record
//! does not know are kept in `extra`, so a newer server does not break an older client; fields
//! an older server does not send keep their default.

use super::{DecodeError, Str};
use crate::resp::Value;

/// The name/value pairs of a RESP3 map or RESP2 flat array.
pub(crate) fn fields(v: Value, what: &'static str) -> Result<Vec<(String, Value)>, DecodeError> {
    let pairs = match v {
        Value::Map(p) => p,
        Value::Array(items) if items.len() % 2 == 0 => {
            let mut out = Vec::with_capacity(items.len() / 2);
            let mut it = items.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                out.push((k, v));
            }
            out
        }
        other => return Err(DecodeError::mismatch(what, &other)),
    };
    pairs.into_iter().map(|(k, v)| Ok((<Str as super::Decode>::decode(k)?, v))).collect()
}

/// A struct decoded from a map reply: `field: Type => "wire-name" as Decoder,`.
macro_rules! map_record {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty => $wire:literal as $dec:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
            /// Fields this version of tredis does not know, as the server sent them.
            pub extra: Vec<(String, $crate::resp::Value)>,
        }

        impl $crate::reply::Decode for $name {
            type Output = $name;
            fn decode(v: $crate::resp::Value) -> Result<$name, $crate::reply::DecodeError> {
                let mut out = $name::default();
                for (k, v) in $crate::reply::record::fields(v, concat!("a ", stringify!($name), " map"))? {
                    match k.as_str() {
                        $( $wire => {
                            out.$field = <$dec as $crate::reply::Decode>::decode(v).map_err(|e| {
                                $crate::reply::DecodeError::new(format!("{} field `{}`: {e}", stringify!($name), $wire))
                            })?;
                        } )*
                        _ => out.extra.push((k, v)),
                    }
                }
                Ok(out)
            }
        }
    };
}

pub(crate) use map_record;
