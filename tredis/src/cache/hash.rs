//! The hash of the store's keys: a folded multiply, seeded once per store from the
//! standard library's random state. SipHash (the standard `HashMap`'s) spent about 200
//! instructions on a short key, twice per cache hit (the shard, then the map): more than the
//! rest of the lookup. The seed keeps the keys' places unpredictable from outside, which is
//! what SipHash's resistance to crafted collisions buys a map of keys other people may name;
//! this hash gives up some of that margin for speed, as foldhash and ahash do.

use std::hash::{BuildHasher, Hasher, RandomState};

/// Multipliers: odd constants with well-spread bits (from the digits of pi).
const K1: u64 = 0x243f_6a88_85a3_08d3;
const K2: u64 = 0x1319_8a2e_0370_7344 | 1;

/// The full 128-bit product of `a` and `b`, its halves folded together: every input bit
/// reaches every output bit in one multiply.
#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    (r as u64) ^ ((r >> 64) as u64)
}

/// Builds [`FoldHasher`]s with this store's seed.
#[derive(Clone)]
pub(crate) struct Seeded(u64);

impl Seeded {
    /// A seed drawn from the standard library's per-process random keys.
    pub(crate) fn new() -> Seeded {
        Seeded(RandomState::new().hash_one(0x7265_6469_735f_6b65u64))
    }
}

impl BuildHasher for Seeded {
    type Hasher = FoldHasher;

    #[inline]
    fn build_hasher(&self) -> FoldHasher {
        FoldHasher(self.0)
    }
}

/// The hasher; see the module docs.
pub(crate) struct FoldHasher(u64);

impl Hasher for FoldHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            h = fold(h ^ u64::from_le_bytes(w.try_into().expect("8 bytes")), K1);
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            h = fold(h ^ u64::from_le_bytes(last), K1);
        }
        // The length: "ab" and "ab\0" differ.
        self.0 = fold(h ^ bytes.len() as u64, K2);
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = fold(self.0 ^ n, K2);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        fold(self.0, K1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_hash_alike_and_near_ones_apart() {
        let s = Seeded::new();
        assert_eq!(s.hash_one(b"user:1".as_slice()), s.hash_one(b"user:1".as_slice()));
        let mut seen = std::collections::HashSet::new();
        for i in 0..10_000u32 {
            assert!(seen.insert(s.hash_one(format!("key:{i}").as_bytes())), "a collision at {i}");
        }
        assert_ne!(s.hash_one(b"ab".as_slice()), s.hash_one(b"ab\0".as_slice()));
        // Shards take the low bits: they must spread too.
        let mut shards = [0usize; 32];
        for i in 0..32_000u32 {
            shards[(s.hash_one(format!("k{i}").as_bytes()) % 32) as usize] += 1;
        }
        assert!(shards.iter().all(|&n| (500..1500).contains(&n)), "{shards:?}");
    }
}
