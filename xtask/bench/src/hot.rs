//! w8: 256 tasks reading 1,000 hot keys, uniformly at random: tredis with its client-side
//! cache (`tredis-cache`) beside tredis, redis-rs and fred sending every GET.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use crate::{cpu_seconds, Bench, Handle, Measure, ALLOCS};

/// The hot keys: few enough that every one is read a thousand times in a run.
const HOT_KEYS: usize = 1_000;
const TASKS: usize = 256;
/// Reads per task: 512,000 in all, each key read about 500 times. On a busy two-core machine
/// that is one to two seconds for tredis without the cache and three to five for the peers,
/// so that three runs of the four clients add well under a minute to `cargo xtask bench`.
const PER_TASK: usize = 2_000;

fn hot_key(i: usize) -> String {
    format!("bench:hot:{i}")
}

/// A reader of w8: a cached read goes through `.cached()`, the others are the plain GET of
/// the other workloads.
enum Reader {
    Cached(tredis::Client),
    Plain(Handle),
}

impl Reader {
    async fn get(&mut self, k: &str) -> usize {
        use tredis::prelude::*;
        match self {
            Reader::Cached(c) => c.get(k).cached().await.unwrap().map_or(0, |v| v.len()),
            Reader::Plain(h) => h.get(k).await,
        }
    }
}

/// A per-task xorshift64* generator: a handful of instructions per key, so that the choice
/// of key costs nothing beside a cached read, and no dependency.
struct Rng(u64);

impl Rng {
    /// A generator for task `t`, seeded by splitmix64 so that tasks draw different keys.
    fn new(t: u64) -> Rng {
        let mut z = t.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    /// Uniform in `0..n`, by the multiply-shift of the high 32 bits (no division).
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32;
        ((x * n as u64) >> 32) as usize
    }
}

/// w8 for `client`: `tredis-cache`, `tredis`, `redis-rs` or `fred`.
///
/// The cache is empty when the clock starts: the first read of each key misses, so the
/// figure includes filling it, and the hit ratio says how much of the run it was.
pub(crate) async fn hot(client: &str, url: &str) -> Measure {
    use tredis::prelude::*;
    let setup = crate::tredis_builder(url).build().unwrap();
    setup.ready().await.unwrap();
    let value = vec![b'v'; 64];
    let p = setup.pipeline();
    for r in p.execute((0..HOT_KEYS).map(|i| p.set(hot_key(i), &value)).collect::<Vec<_>>()).await {
        r.unwrap();
    }
    let (bench, cache) = if client == "tredis-cache" {
        // 64 MiB, the default: far more than 1,000 keys need, so nothing is evicted.
        let c = crate::tredis_builder(url).cache(tredis::CacheConfig::new()).build().unwrap();
        c.ready().await.unwrap();
        (None, Some(c))
    } else {
        (Some(Bench::connect(client, url, 1).await), None)
    };
    let reader = || match (&bench, &cache) {
        (Some(b), _) => Reader::Plain(b.handle()),
        (None, Some(c)) => Reader::Cached(c.clone()),
        (None, None) => unreachable!("one of the two is made above"),
    };
    // Warm the connection with plain GETs (outside the key space: the cache stays empty).
    let mut h = Reader::Plain(match &bench {
        Some(b) => b.handle(),
        None => Handle::Tredis(cache.clone().unwrap()),
    });
    for i in 0..2000 {
        h.get(&crate::key(i)).await;
    }
    let keys: Arc<Vec<String>> = Arc::new((0..HOT_KEYS).map(hot_key).collect());
    let tasks: Vec<(Reader, Vec<u64>)> =
        (0..TASKS).map(|_| (reader(), Vec::with_capacity(PER_TASK))).collect();
    let mut lat = Vec::with_capacity(TASKS * PER_TASK);
    let stats0 = cache.as_ref().and_then(|c| c.cache_stats()).unwrap_or_default();
    let (cpu0, allocs0, start) = (cpu_seconds(), ALLOCS.load(Ordering::Relaxed), Instant::now());
    let mut handles = Vec::with_capacity(TASKS);
    for (t, (mut r, mut lat)) in tasks.into_iter().enumerate() {
        let keys = keys.clone();
        handles.push(tokio::spawn(async move {
            let mut rng = Rng::new(t as u64);
            let mut bytes = 0;
            for _ in 0..PER_TASK {
                let k = &keys[rng.below(HOT_KEYS)];
                let s = Instant::now();
                bytes += r.get(k).await;
                lat.push(s.elapsed().as_nanos() as u64);
            }
            (lat, bytes)
        }));
    }
    let mut bytes = 0;
    for hd in handles {
        let (l, b) = hd.await.unwrap();
        lat.extend(l);
        bytes += b;
    }
    let elapsed = start.elapsed();
    let cpu = cpu_seconds() - cpu0;
    let allocs = ALLOCS.load(Ordering::Relaxed) - allocs0;
    // Every read found its 64 bytes: a cache that answered nothing would be fast too.
    assert_eq!(bytes, TASKS * PER_TASK * 64, "a read of a hot key came back short");
    let hit_ratio = cache.as_ref().and_then(|c| c.cache_stats()).map(|s| {
        let (hits, misses) = (s.hits - stats0.hits, s.misses - stats0.misses);
        hits as f64 / (hits + misses).max(1) as f64
    });
    lat.sort_unstable();
    Measure { ops: TASKS * PER_TASK, elapsed, cpu, allocs, latencies_ns: lat, hit_ratio }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn rng_is_uniform_enough() {
        let mut counts = [0u32; 10];
        let mut r = Rng::new(7);
        for _ in 0..100_000 {
            counts[r.below(10)] += 1;
        }
        assert!(counts.iter().all(|&c| (9_000..11_000).contains(&c)), "{counts:?}");
    }
}
