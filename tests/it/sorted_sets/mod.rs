//! The sorted-set group, every command, under RESP2 and RESP3.

mod add;
mod pops;
mod random_and_scan;
mod ranges;
mod set_operations;

use bytes::Bytes;
use tredis::prelude::*;

use crate::support::b;

fn ps(items: &[(&str, f64)]) -> Vec<(Bytes, f64)> {
    items.iter().map(|(m, s)| (b(m), *s)).collect()
}

/// `a`..`e` with scores 1..5.
async fn five(c: &tredis::Client, key: &str) -> Result<(), tredis::Error> {
    let added = c.zadd(key, [(1.0, "a"), (2.0, "b"), (3.0, "c"), (4.0, "d"), (5.0, "e")]).await?;
    assert_eq!(added, 5);
    Ok(())
}

/// `a`..`f`, all with score 0, for lexical ranges.
async fn letters(c: &tredis::Client, key: &str) -> Result<(), tredis::Error> {
    let added = c.zadd(key, ["a", "b", "c", "d", "e", "f"].map(|m| (0.0, m))).await?;
    assert_eq!(added, 6);
    Ok(())
}
