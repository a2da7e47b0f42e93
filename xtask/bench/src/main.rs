//! One benchmark run: `tredis-bench <client> <workload> <url>` prints one JSON line.
//!
//! Clients: `tredis`, `redis-rs` (1.8, multiplexed connection), `fred` (10.1). Workloads, on
//! keys `key:%012d` over 10,000 keys with 64-byte values, on a current-thread runtime (one
//! tokio worker):
//! - w1: sequential GETs, one at a time: latency;
//! - w2: 256 tasks on one multiplexed connection, half SET, half GET;
//! - w3: the same over a pool of 4 connections;
//! - w4: pipelines of 1,000 SETs;
//! - w5: LRANGE of a 100,000-element list;
//! - w6: 256 tasks on a 3-primary cluster, half SET, half GET over every slot (the `url`
//!   argument is then the nodes' URLs, comma-separated; redis-rs's and fred's cluster clients).
//! - w2t: w2 over TLS (`url` is `rediss://`; the CA is in `BENCH_TLS_CA`).
//! - w7: pub/sub: a publisher on a bare socket pipelines 1,000,000 PUBLISHes of 64 bytes, and
//!   the client under test, subscribed, receives them: messages per second, CPU per million.
//!   Each client's buffer is made large enough to hold the burst, so that none is dropped.
//! - w8: 256 tasks reading 1,000 hot keys chosen at random (`hot.rs`); client `tredis-cache`
//!   is tredis with its client-side cache and `.cached()`, the others send every GET. Its
//!   JSON line adds `hit_ratio` (the cached run only: hits / (hits + misses) over the run).
//!
//! Every allocation of the process is counted by the global allocator, so allocations per
//! command compare like with like.
//!
//! Built with `--features spans`, tredis makes its spans, and a subscriber that wants them
//! all and keeps none is installed (`discard.rs`): compare with a build without the feature.
//! Built with `--features metrics`, tredis's clients report to a `Metrics` that counts
//! requests and their time in atomics (`count.rs`), as an exporter would.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fred::prelude::{ClientLike, KeysInterface, ListInterface};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        System.alloc_zeroed(l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        System.realloc(p, l, n)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const KEYS: usize = 10_000;
const LIST_LEN: usize = 100_000;
const LIST_KEY: &str = "bench:list";

fn key(i: usize) -> String {
    format!("key:{:012}", i % KEYS)
}

/// CPU seconds (user + system) of this process.
fn cpu_seconds() -> f64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// The client under test.
#[derive(Clone)]
enum Bench {
    Tredis(tredis::Client),
    RedisRs(Arc<Vec<redis::aio::MultiplexedConnection>>, Arc<AtomicUsize>),
    RedisRsCluster(redis::cluster_async::ClusterConnection),
    Fred(fred::clients::Pool),
}

impl Bench {
    async fn connect(client: &str, url: &str, pool: usize) -> Bench {
        if url.contains(',') {
            return Bench::connect_cluster(client, url).await;
        }
        match client {
            "tredis" => {
                let c = tredis_builder(url).pool_size(pool).build().unwrap();
                c.ready().await.unwrap();
                Bench::Tredis(c)
            }
            "redis-rs" => {
                let c = match tls_ca() {
                    Some(ca) if url.starts_with("rediss://") => redis::Client::build_with_tls(
                        url,
                        redis::TlsCertificates {
                            client_tls: None,
                            root_cert: Some(std::fs::read(ca).unwrap()),
                        },
                    )
                    .unwrap(),
                    _ => redis::Client::open(url).unwrap(),
                };
                let mut conns = Vec::new();
                for _ in 0..pool {
                    conns.push(c.get_multiplexed_async_connection().await.unwrap());
                }
                Bench::RedisRs(Arc::new(conns), Arc::new(AtomicUsize::new(0)))
            }
            "fred" => {
                let cfg = fred::types::config::Config::from_url(url).unwrap();
                let p = fred::types::Builder::from_config(cfg).build_pool(pool).unwrap();
                p.init().await.unwrap();
                Bench::Fred(p)
            }
            other => panic!("unknown client {other}"),
        }
    }

    /// A client of the cluster whose nodes are the comma-separated `urls`.
    async fn connect_cluster(client: &str, urls: &str) -> Bench {
        let seeds: Vec<&str> = urls.split(',').collect();
        match client {
            "tredis" => {
                let c = tredis::Client::builder().hosts(&seeds).cluster(true).build().unwrap();
                c.ready().await.unwrap();
                Bench::Tredis(c)
            }
            "redis-rs" => {
                let c = redis::cluster::ClusterClient::new(seeds).unwrap();
                Bench::RedisRsCluster(c.get_async_connection().await.unwrap())
            }
            "fred" => {
                let first = seeds[0].trim_start_matches("redis://");
                let others: Vec<String> =
                    seeds[1..].iter().map(|s| format!("node={}", s.trim_start_matches("redis://"))).collect();
                let url = format!("redis-cluster://{first}?{}", others.join("&"));
                let cfg = fred::types::config::Config::from_url(&url).unwrap();
                let p = fred::types::Builder::from_config(cfg).build_pool(1).unwrap();
                p.init().await.unwrap();
                Bench::Fred(p)
            }
            other => panic!("unknown client {other}"),
        }
    }

    /// A handle for one task: redis-rs needs its connection by `&mut`.
    fn handle(&self) -> Handle {
        match self {
            Bench::Tredis(c) => Handle::Tredis(c.clone()),
            Bench::RedisRs(conns, next) => {
                Handle::RedisRs(conns[next.fetch_add(1, Ordering::Relaxed) % conns.len()].clone())
            }
            Bench::RedisRsCluster(c) => Handle::RedisRsCluster(c.clone()),
            Bench::Fred(p) => Handle::Fred(p.clone()),
        }
    }
}

enum Handle {
    Tredis(tredis::Client),
    RedisRs(redis::aio::MultiplexedConnection),
    RedisRsCluster(redis::cluster_async::ClusterConnection),
    Fred(fred::clients::Pool),
}

impl Handle {
    async fn get(&mut self, k: &str) -> usize {
        use tredis::prelude::*;
        match self {
            Handle::Tredis(c) => c.get(k).await.unwrap().map_or(0, |v| v.len()),
            Handle::RedisRs(c) => {
                let v: Option<Vec<u8>> = redis::AsyncCommands::get(c, k).await.unwrap();
                v.map_or(0, |v| v.len())
            }
            Handle::RedisRsCluster(c) => {
                let v: Option<Vec<u8>> = redis::AsyncCommands::get(c, k).await.unwrap();
                v.map_or(0, |v| v.len())
            }
            Handle::Fred(c) => {
                let v: Option<fred::bytes::Bytes> = c.get(k).await.unwrap();
                v.map_or(0, |v| v.len())
            }
        }
    }

    async fn set(&mut self, k: &str, v: &fred::bytes::Bytes) {
        use tredis::prelude::*;
        match self {
            Handle::Tredis(c) => c.set(k, v).await.unwrap(),
            Handle::RedisRs(c) => redis::AsyncCommands::set::<_, _, ()>(c, k, v.as_ref()).await.unwrap(),
            Handle::RedisRsCluster(c) => {
                redis::AsyncCommands::set::<_, _, ()>(c, k, v.as_ref()).await.unwrap()
            }
            Handle::Fred(c) => c.set::<(), _, _>(k, v.clone(), None, None, false).await.unwrap(),
        }
    }

    async fn pipeline_sets(&mut self, keys: &[String], v: &fred::bytes::Bytes) {
        match self {
            Handle::Tredis(c) => {
                use tredis::prelude::*;
                let p = c.pipeline();
                for r in p.execute(keys.iter().map(|k| p.set(k, v)).collect::<Vec<_>>()).await {
                    r.unwrap();
                }
            }
            Handle::RedisRs(c) => {
                let mut p = redis::pipe();
                for k in keys {
                    p.set(k, v.as_ref()).ignore();
                }
                p.query_async::<()>(c).await.unwrap();
            }
            Handle::RedisRsCluster(_) => unreachable!("w4 runs on one server"),
            Handle::Fred(c) => {
                let p = c.next().pipeline();
                for k in keys {
                    let _: () = p.set(k.as_str(), v.clone(), None, None, false).await.unwrap();
                }
                let _: Vec<fred::types::Value> = p.all().await.unwrap();
            }
        }
    }

    async fn lrange(&mut self) -> usize {
        match self {
            Handle::Tredis(c) => {
                use tredis::prelude::*;
                c.lrange(LIST_KEY, 0, -1).await.unwrap().len()
            }
            Handle::RedisRs(c) => {
                let v: Vec<Vec<u8>> = redis::AsyncCommands::lrange(c, LIST_KEY, 0, -1).await.unwrap();
                v.len()
            }
            Handle::RedisRsCluster(_) => unreachable!("w5 runs on one server"),
            Handle::Fred(c) => {
                let v: Vec<fred::bytes::Bytes> = c.lrange(LIST_KEY, 0, -1).await.unwrap();
                v.len()
            }
        }
    }
}

/// The CA of w2t's TLS server (`cargo xtask bench` sets it).
fn tls_ca() -> Option<std::path::PathBuf> {
    std::env::var_os("BENCH_TLS_CA").map(Into::into)
}

/// A tredis builder for `url`, trusting w2t's CA for `rediss://`.
fn tredis_builder(url: &str) -> tredis::Builder {
    let b = tredis::Client::builder().url(url);
    #[cfg(feature = "metrics")]
    let b = b.metrics(std::sync::Arc::new(count::Count::default()));
    match tls_ca() {
        Some(ca) if url.starts_with("rediss://") => b.tls(tredis::Tls::new().ca_file(ca).unwrap()),
        _ => b,
    }
}

/// Keys and the list, written with tredis before the clock starts.
async fn setup(url: &str, list: bool) {
    use tredis::prelude::*;
    let c = if url.contains(',') {
        let seeds: Vec<&str> = url.split(',').collect();
        tredis::Client::builder().hosts(&seeds).cluster(true).build().unwrap()
    } else {
        tredis_builder(url).build().unwrap()
    };
    c.ready().await.unwrap();
    let value = vec![b'v'; 64];
    let p = c.pipeline();
    for chunk in (0..KEYS).collect::<Vec<_>>().chunks(1000) {
        for r in p.execute(chunk.iter().map(|&i| p.set(key(i), &value)).collect::<Vec<_>>()).await {
            r.unwrap();
        }
    }
    if list && c.llen(LIST_KEY).await.unwrap() != LIST_LEN as u64 {
        c.del(LIST_KEY).await.unwrap();
        let items: Vec<String> = (0..LIST_LEN).map(|i| format!("item:{i:08}")).collect();
        for chunk in items.chunks(10_000) {
            c.rpush(LIST_KEY, chunk).await.unwrap();
        }
    }
}

struct Measure {
    ops: usize,
    elapsed: Duration,
    cpu: f64,
    allocs: u64,
    latencies_ns: Vec<u64>,
    /// w8's cached run: the share of reads the cache answered.
    hit_ratio: Option<f64>,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize] as f64
}

/// The floor of w5: LRANGE over a bare socket, bytes read but not parsed.
async fn raw_lrange(url: &str) -> Measure {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    setup(url, true).await;
    let addr = url.trim_start_matches("redis://").trim_end_matches('/');
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.set_nodelay(true).unwrap();
    let cmd = format!("*4\r\n$6\r\nLRANGE\r\n${}\r\n{LIST_KEY}\r\n$1\r\n0\r\n$2\r\n-1\r\n", LIST_KEY.len());
    let last = format!("item:{:08}\r\n", LIST_LEN - 1);
    let mut buf = vec![0u8; 4 << 20];
    let calls = 60;
    let mut lat = Vec::with_capacity(calls);
    let (cpu0, allocs0, start) = (cpu_seconds(), ALLOCS.load(Ordering::Relaxed), Instant::now());
    for _ in 0..calls {
        let t = Instant::now();
        s.write_all(cmd.as_bytes()).await.unwrap();
        let mut n = 0;
        while !buf[..n].ends_with(last.as_bytes()) {
            n += s.read(&mut buf[n..]).await.unwrap();
        }
        lat.push(t.elapsed().as_nanos() as u64);
    }
    lat.sort_unstable();
    Measure {
        ops: calls,
        elapsed: start.elapsed(),
        cpu: cpu_seconds() - cpu0,
        allocs: ALLOCS.load(Ordering::Relaxed) - allocs0,
        latencies_ns: lat,
        hit_ratio: None,
    }
}

async fn run(client: &str, workload: &str, url: &str) -> Measure {
    if workload == "w7" {
        return pubsub::pubsub(client, url).await;
    }
    if workload == "w8" {
        return hot::hot(client, url).await;
    }
    if client == "floor" {
        assert_eq!(workload, "w5", "the floor client only runs w5");
        return raw_lrange(url).await;
    }
    let pool = if workload == "w3" { 4 } else { 1 };
    setup(url, workload == "w5").await;
    let bench = Bench::connect(client, url, pool).await;
    let value = fred::bytes::Bytes::from(vec![b'x'; 64]);
    // Warm up connections and caches.
    let mut h = bench.handle();
    for i in 0..2000 {
        h.get(&key(i)).await;
    }
    // Keys and latency buffers exist before the clock and the allocation count start.
    let keys: Arc<Vec<String>> = Arc::new((0..KEYS).map(key).collect());
    let tasks = 256;
    let per_task = 8_000;
    let mut task_handles: Vec<(Handle, Vec<u64>)> =
        (0..tasks).map(|_| (bench.handle(), Vec::with_capacity(per_task))).collect();
    let mut lat = Vec::with_capacity(per_task * tasks);
    let (cpu0, allocs0, start) = (cpu_seconds(), ALLOCS.load(Ordering::Relaxed), Instant::now());
    let (ops, mut latencies_ns) = match workload {
        "w1" => {
            let n = 20_000;
            for i in 0..n {
                let k = &keys[(i * 7) % KEYS];
                let t = Instant::now();
                h.get(k).await;
                lat.push(t.elapsed().as_nanos() as u64);
            }
            (n, lat)
        }
        "w2" | "w2t" | "w3" | "w6" => {
            let mut handles = Vec::with_capacity(tasks);
            for (t, (mut h, mut lat)) in task_handles.drain(..).enumerate() {
                let value = value.clone();
                let keys = keys.clone();
                handles.push(tokio::spawn(async move {
                    for n in 0..per_task {
                        let k = &keys[(t * 7919 + n * 31) % KEYS];
                        let s = Instant::now();
                        if n % 2 == 0 {
                            h.get(k).await;
                        } else {
                            h.set(k, &value).await;
                        }
                        lat.push(s.elapsed().as_nanos() as u64);
                    }
                    lat
                }));
            }
            for hd in handles {
                lat.extend(hd.await.unwrap());
            }
            (tasks * per_task, lat)
        }
        "w4" => {
            let pipelines = 500;
            let size = 1000;
            for _ in 0..pipelines {
                let s = Instant::now();
                h.pipeline_sets(&keys[..size], &value).await;
                lat.push(s.elapsed().as_nanos() as u64);
            }
            (pipelines * size, lat)
        }
        "w5" => {
            let calls = 60;
            for _ in 0..calls {
                let s = Instant::now();
                assert_eq!(h.lrange().await, LIST_LEN);
                lat.push(s.elapsed().as_nanos() as u64);
            }
            (calls, lat)
        }
        other => panic!("unknown workload {other}"),
    };
    let elapsed = start.elapsed();
    let cpu = cpu_seconds() - cpu0;
    let allocs = ALLOCS.load(Ordering::Relaxed) - allocs0;
    latencies_ns.sort_unstable();
    Measure { ops, elapsed, cpu, allocs, latencies_ns, hit_ratio: None }
}

#[cfg(feature = "metrics")]
mod count;
#[cfg(feature = "spans")]
mod discard;
mod hot;
mod pubsub;

fn main() {
    #[cfg(feature = "spans")]
    discard::install();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [client, workload, url] = &args[..] else {
        eprintln!(
            "usage: tredis-bench <tredis|redis-rs|fred|floor|tredis-cache> <w1..w8|w2t> <redis://host:port>"
        );
        std::process::exit(2);
    };
    // One tokio worker: the multi-thread scheduler with a single worker thread.
    let rt = if std::env::var_os("BENCH_CURRENT_THREAD").is_some() {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap()
    };
    let m = rt.block_on(run(client, workload, url));
    // w5 counts calls, the others commands; CPU is per million commands either way.
    let commands = if workload == "w5" { m.ops * LIST_LEN } else { m.ops };
    println!(
        "{{\"client\":\"{client}\",\"workload\":\"{workload}\",\"ops_per_sec\":{:.1},\"p50_us\":{:.2},\"p99_us\":{:.2},\
         \"cpu_s_per_1m\":{:.4},\"allocs_per_op\":{:.3},\"ops\":{}{}}}",
        m.ops as f64 / m.elapsed.as_secs_f64(),
        percentile(&m.latencies_ns, 0.5) / 1e3,
        percentile(&m.latencies_ns, 0.99) / 1e3,
        m.cpu / (commands as f64 / 1e6),
        m.allocs as f64 / m.ops as f64,
        m.ops,
        m.hit_ratio.map_or(String::new(), |r| format!(",\"hit_ratio\":{r:.5}")),
    );
}
