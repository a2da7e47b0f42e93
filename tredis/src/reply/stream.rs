//! Stream records: IDs, entries, pending entries. XINFO replies with maps, whose records are
//! generated (see `record`) and hold these.

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;

use super::{Array, Bulk, Decode, DecodeError, Nullable, Pairs, Str, UInt};
use crate::args::{ArgWriter, ToArg, Written};
use crate::resp::Value;

/// A stream entry ID: milliseconds and a sequence number (`1700000000000-0`).
///
/// Pass it wherever an ID is taken (it is an argument); special IDs (`*`, `$`, `>`, `-`, `+`)
/// are passed as strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    /// Unix time in milliseconds.
    pub ms: u64,
    /// Sequence number within the millisecond.
    pub seq: u64,
}

impl StreamId {
    /// The ID `ms-seq`.
    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

impl FromStr for StreamId {
    type Err = DecodeError;
    fn from_str(s: &str) -> Result<StreamId, DecodeError> {
        let bad = || DecodeError::new(format!("`{s}` is not a stream ID"));
        let (ms, seq) = s.split_once('-').unwrap_or((s, "0"));
        Ok(StreamId { ms: ms.parse().map_err(|_| bad())?, seq: seq.parse().map_err(|_| bad())? })
    }
}

impl ToArg for StreamId {
    fn write_arg(&self, out: ArgWriter<'_>) -> Written {
        let mut tmp = [0u8; 48];
        let mut cursor = std::io::Cursor::new(&mut tmp[..]);
        let _ = std::io::Write::write_fmt(&mut cursor, format_args!("{}-{}", self.ms, self.seq));
        let n = cursor.position() as usize;
        out.bytes(&tmp[..n])
    }
}

impl Decode for StreamId {
    type Output = StreamId;
    fn decode(v: Value) -> Result<StreamId, DecodeError> {
        Str::decode(v)?.parse()
    }
}

/// One stream entry: its ID and its field/value pairs (`None` for an entry deleted since it
/// was delivered, as XREADGROUP and XCLAIM may report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEntry {
    /// The entry's ID.
    pub id: StreamId,
    /// Its fields and values, in order.
    pub fields: Option<Vec<(Bytes, Bytes)>>,
}

impl Decode for StreamEntry {
    type Output = StreamEntry;
    fn decode(v: Value) -> Result<StreamEntry, DecodeError> {
        let (id, fields) = <(StreamId, Nullable<Pairs<Bulk, Bulk>>)>::decode(v)?;
        Ok(StreamEntry { id, fields })
    }
}

/// The summary form of XPENDING.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PendingSummary {
    /// How many entries are pending.
    pub count: u64,
    /// The smallest and the greatest pending ID, when any is pending.
    pub range: Option<(StreamId, StreamId)>,
    /// Pending entries per consumer.
    pub consumers: Vec<(Bytes, u64)>,
}

impl Decode for PendingSummary {
    type Output = PendingSummary;
    fn decode(v: Value) -> Result<PendingSummary, DecodeError> {
        let (count, min, max, consumers) =
            <(UInt, Nullable<StreamId>, Nullable<StreamId>, Nullable<Array<(Bulk, Str)>>)>::decode(v)?;
        let consumers = consumers
            .unwrap_or_default()
            .into_iter()
            .map(|(name, n)| {
                n.parse().map(|n| (name, n)).map_err(|_| DecodeError::new("a pending count is not a number"))
            })
            .collect::<Result<_, _>>()?;
        Ok(PendingSummary { count, range: min.zip(max), consumers })
    }
}

/// One entry of the extended form of XPENDING.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEntry {
    /// The entry's ID.
    pub id: StreamId,
    /// The consumer it was delivered to.
    pub consumer: Bytes,
    /// Milliseconds since it was last delivered.
    pub idle_ms: u64,
    /// How many times it was delivered.
    pub deliveries: u64,
}

impl Decode for PendingEntry {
    type Output = PendingEntry;
    fn decode(v: Value) -> Result<PendingEntry, DecodeError> {
        let (id, consumer, idle_ms, deliveries) = <(StreamId, Bulk, UInt, UInt)>::decode(v)?;
        Ok(PendingEntry { id, consumer, idle_ms, deliveries })
    }
}

/// XAUTOCLAIM: where to continue, the claimed entries, and the IDs of entries that no
/// longer exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoClaim<T> {
    /// The cursor for the next call; `0-0` when the scan is complete.
    pub next: StreamId,
    /// The claimed entries (or their IDs, with JUSTID).
    pub claimed: Vec<T>,
    /// Pending IDs whose entries were deleted (since Redis 7.0).
    pub deleted: Vec<StreamId>,
}

/// Decodes XAUTOCLAIM with full entries.
#[derive(Debug)]
pub struct AutoClaimEntries;

/// Decodes XAUTOCLAIM with JUSTID.
#[derive(Debug)]
pub struct AutoClaimIds;

fn auto_claim<T: Decode>(v: Value) -> Result<AutoClaim<T::Output>, DecodeError> {
    match v {
        Value::Array(items) if items.len() == 2 || items.len() == 3 => {
            let mut it = items.into_iter();
            let next = StreamId::decode(it.next().expect("length checked"))?;
            let claimed = Array::<T>::decode(it.next().expect("length checked"))?;
            let deleted = it.next().map(Array::<StreamId>::decode).transpose()?.unwrap_or_default();
            Ok(AutoClaim { next, claimed, deleted })
        }
        other => Err(DecodeError::mismatch("an XAUTOCLAIM reply", &other)),
    }
}

impl Decode for AutoClaimEntries {
    type Output = AutoClaim<StreamEntry>;
    fn decode(v: Value) -> Result<Self::Output, DecodeError> {
        auto_claim::<StreamEntry>(v)
    }
}

impl Decode for AutoClaimIds {
    type Output = AutoClaim<StreamId>;
    fn decode(v: Value) -> Result<Self::Output, DecodeError> {
        auto_claim::<StreamId>(v)
    }
}

/// A pending entry of a group in XINFO STREAM FULL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupPending {
    /// The entry's ID.
    pub id: StreamId,
    /// The consumer it was delivered to.
    pub consumer: Bytes,
    /// Unix time in milliseconds of its last delivery.
    pub delivered_at_ms: u64,
    /// How many times it was delivered.
    pub deliveries: u64,
}

impl Decode for GroupPending {
    type Output = GroupPending;
    fn decode(v: Value) -> Result<GroupPending, DecodeError> {
        let (id, consumer, delivered_at_ms, deliveries) = <(StreamId, Bulk, UInt, UInt)>::decode(v)?;
        Ok(GroupPending { id, consumer, delivered_at_ms, deliveries })
    }
}

/// A pending entry of a consumer in XINFO STREAM FULL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsumerPending {
    /// The entry's ID.
    pub id: StreamId,
    /// Unix time in milliseconds of its last delivery.
    pub delivered_at_ms: u64,
    /// How many times it was delivered.
    pub deliveries: u64,
}

impl Decode for ConsumerPending {
    type Output = ConsumerPending;
    fn decode(v: Value) -> Result<ConsumerPending, DecodeError> {
        let (id, delivered_at_ms, deliveries) = <(StreamId, UInt, UInt)>::decode(v)?;
        Ok(ConsumerPending { id, delivered_at_ms, deliveries })
    }
}
