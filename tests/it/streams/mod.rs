//! The stream group, every command, under RESP2 and RESP3.

mod claiming;
mod entries;
mod groups;
mod info;
mod read;

use tredis::prelude::*;
use tredis::reply::{StreamEntry, StreamId};

use crate::support::b;

fn id(ms: u64, seq: u64) -> StreamId {
    StreamId::new(ms, seq)
}

fn entry(ms: u64, seq: u64, fields: &[(&str, &str)]) -> StreamEntry {
    StreamEntry { id: id(ms, seq), fields: Some(fields.iter().map(|(f, v)| (b(f), b(v))).collect()) }
}

fn ids(entries: &[StreamEntry]) -> Vec<StreamId> {
    entries.iter().map(|e| e.id).collect()
}

/// Adds `n = i` at `i-0` for each `i` of `range`.
async fn fill(c: &Client, key: &str, range: std::ops::RangeInclusive<u64>) -> Result<(), tredis::Error> {
    for i in range {
        assert_eq!(c.xadd_with_id(key, id(i, 0), [("n", i)]).await?, Some(id(i, 0)));
    }
    Ok(())
}
