//! [`SlotIndex`]: a shard's keys by cluster slot, so that dropping the entries of a slot that
//! moved to another node visits the keys of that slot, not every key of the shard.

use std::collections::HashMap;

use bytes::Bytes;

/// Per slot, the keys that got a bucket in it, with the bucket's generation. Like the CLOCK
/// ring, it is not told when a bucket goes (that would cost every invalidation a search):
/// a place whose key has no bucket of that generation any more is stale, skipped when the
/// slot is dropped, and swept out once the stale places outnumber the live ones.
#[derive(Default)]
pub(super) struct SlotIndex {
    by_slot: HashMap<u16, Vec<(Bytes, u64)>>,
    /// Places held, stale ones included.
    len: usize,
}

impl SlotIndex {
    /// Records that `key` got a bucket of generation `gen`.
    pub(super) fn add(&mut self, key: Bytes, gen: u64) {
        let slot = crate::cluster::slot(&key);
        self.by_slot.entry(slot).or_default().push((key, gen));
        self.len += 1;
    }

    /// Takes the places of `slot`: the keys that may have buckets in it.
    pub(super) fn take(&mut self, slot: u16) -> Vec<(Bytes, u64)> {
        let places = self.by_slot.remove(&slot).unwrap_or_default();
        self.len -= places.len();
        places
    }

    /// Sweeps the stale places out once they outnumber the `live` buckets; `is_live` says
    /// whether a key still has a bucket of that generation.
    pub(super) fn compact(&mut self, live: usize, is_live: impl Fn(&Bytes, u64) -> bool) {
        if self.len <= 2 * live + 64 {
            return;
        }
        let mut len = 0;
        self.by_slot.retain(|_, places| {
            places.retain(|(k, gen)| is_live(k, *gen));
            len += places.len();
            !places.is_empty()
        });
        self.len = len;
    }

    /// Places held, stale ones included.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.len
    }
}
