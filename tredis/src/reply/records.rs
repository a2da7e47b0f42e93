//! Hand-written records named by `@Name` in the spec, and the enums of sentinel replies.

use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::record::fields;
use super::{Array, Bulk, Decode, DecodeError, Str, UInt};
use crate::resp::Value;

/// Remaining time to live of a key (TTL, PTTL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ttl {
    /// The key does not exist (-2).
    Missing,
    /// The key exists and has no expiry (-1).
    Persistent,
    /// The key expires after this long.
    Expires(Duration),
}

/// When a key expires (EXPIRETIME, PEXPIRETIME).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpireTime {
    /// The key does not exist (-2).
    Missing,
    /// The key exists and has no expiry (-1).
    Persistent,
    /// The key expires at this time.
    At(SystemTime),
}

/// The type of the value at a key (TYPE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyType {
    /// No such key (`none`).
    None,
    /// `string`.
    String,
    /// `list`.
    List,
    /// `set`.
    Set,
    /// `zset`.
    ZSet,
    /// `hash`.
    Hash,
    /// `stream`.
    Stream,
    /// A module type, by name.
    Other(String),
}

impl Decode for KeyType {
    type Output = KeyType;
    fn decode(v: Value) -> Result<KeyType, DecodeError> {
        let name = Str::decode(v)?;
        Ok(match name.as_str() {
            "none" => KeyType::None,
            "string" => KeyType::String,
            "list" => KeyType::List,
            "set" => KeyType::Set,
            "zset" => KeyType::ZSet,
            "hash" => KeyType::Hash,
            "stream" => KeyType::Stream,
            _ => KeyType::Other(name),
        })
    }
}

/// What MIGRATE did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrateOutcome {
    /// The keys were moved (`OK`).
    Migrated,
    /// None of the keys existed (`NOKEY`).
    NoKey,
}

impl Decode for MigrateOutcome {
    type Output = MigrateOutcome;
    fn decode(v: Value) -> Result<MigrateOutcome, DecodeError> {
        match v {
            Value::Simple(s) if s == "OK" => Ok(MigrateOutcome::Migrated),
            Value::Simple(s) if s == "NOKEY" => Ok(MigrateOutcome::NoKey),
            other => Err(DecodeError::mismatch("OK or NOKEY", &other)),
        }
    }
}

/// One common substring found by LCS IDX: positions in each key, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LcsMatch {
    /// Start and end in the first key.
    pub first: (u64, u64),
    /// Start and end in the second key.
    pub second: (u64, u64),
    /// Length of the match, with WITHMATCHLEN.
    pub len: Option<u64>,
}

/// The reply of LCS IDX.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LcsMatches {
    /// The matches, from the end of the strings backwards, as the server lists them.
    pub matches: Vec<LcsMatch>,
    /// Length of the longest common subsequence.
    pub len: u64,
}

impl Decode for LcsMatches {
    type Output = LcsMatches;
    fn decode(v: Value) -> Result<LcsMatches, DecodeError> {
        let mut out = LcsMatches { matches: Vec::new(), len: 0 };
        for (name, value) in fields(v, "an LCS IDX map")? {
            match name.as_str() {
                "len" => out.len = UInt::decode(value)?,
                "matches" => {
                    for m in Array::<super::Any>::decode(value)? {
                        out.matches.push(lcs_match(m)?);
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

fn lcs_match(v: Value) -> Result<LcsMatch, DecodeError> {
    let range = |v: Value| <(UInt, UInt)>::decode(v);
    match v {
        Value::Array(items) if items.len() == 2 || items.len() == 3 => {
            let mut it = items.into_iter();
            let first = range(it.next().expect("length checked"))?;
            let second = range(it.next().expect("length checked"))?;
            let len = it.next().map(UInt::decode).transpose()?;
            Ok(LcsMatch { first, second, len })
        }
        other => Err(DecodeError::mismatch("an LCS match", &other)),
    }
}

/// One connection as CLIENT LIST and CLIENT INFO describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// Every `name=value` field, in server order.
    pub fields: Vec<(String, String)>,
}

impl ClientInfo {
    /// Parses one `id=7 addr=127.0.0.1:50000 ...` line.
    pub fn parse(line: &str) -> ClientInfo {
        let fields = line
            .split(' ')
            .filter_map(|f| f.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ClientInfo { fields }
    }

    /// A field by name (`id`, `addr`, `name`, `db`, `cmd`, `user`, `resp` ...).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The connection id.
    pub fn id(&self) -> Option<u64> {
        self.get("id")?.parse().ok()
    }

    /// The client's address, `ip:port`.
    pub fn addr(&self) -> Option<&str> {
        self.get("addr")
    }

    /// The connection name; empty when unnamed.
    pub fn name(&self) -> Option<&str> {
        self.get("name")
    }

    /// The selected database.
    pub fn db(&self) -> Option<i64> {
        self.get("db")?.parse().ok()
    }

    /// The protocol version, 2 or 3.
    pub fn resp(&self) -> Option<u8> {
        self.get("resp")?.parse().ok()
    }

    /// The last command run.
    pub fn cmd(&self) -> Option<&str> {
        self.get("cmd")
    }
}

fn text(v: Value) -> Result<String, DecodeError> {
    Str::decode(v)
}

impl Decode for ClientInfo {
    type Output = ClientInfo;
    fn decode(v: Value) -> Result<ClientInfo, DecodeError> {
        Ok(ClientInfo::parse(text(v)?.trim_end()))
    }
}

/// The connections of CLIENT LIST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientList(pub Vec<ClientInfo>);

impl std::ops::Deref for ClientList {
    type Target = [ClientInfo];
    fn deref(&self) -> &[ClientInfo] {
        &self.0
    }
}

impl IntoIterator for ClientList {
    type Item = ClientInfo;
    type IntoIter = std::vec::IntoIter<ClientInfo>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl Decode for ClientList {
    type Output = ClientList;
    fn decode(v: Value) -> Result<ClientList, DecodeError> {
        Ok(ClientList(text(v)?.lines().filter(|l| !l.is_empty()).map(ClientInfo::parse).collect()))
    }
}

/// Tracking state of the connection (CLIENT TRACKINGINFO).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingInfo {
    /// `off`, `on`, `bcast`, `optin`, `optout`, `caching-yes`, `noloop`, `broken_redirect`.
    pub flags: Vec<String>,
    /// The redirect client id: -1 without tracking, 0 when not redirecting.
    pub redirect: i64,
    /// Broadcast prefixes.
    pub prefixes: Vec<Bytes>,
}

impl Decode for TrackingInfo {
    type Output = TrackingInfo;
    fn decode(v: Value) -> Result<TrackingInfo, DecodeError> {
        let mut out = TrackingInfo { flags: Vec::new(), redirect: -1, prefixes: Vec::new() };
        for (name, value) in fields(v, "a tracking info map")? {
            match name.as_str() {
                "flags" => out.flags = Array::<Str>::decode(value)?,
                "redirect" => out.redirect = super::Int::decode(value)?,
                "prefixes" => out.prefixes = Array::<Bulk>::decode(value)?,
                _ => {}
            }
        }
        Ok(out)
    }
}
