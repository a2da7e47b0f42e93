//! Fuzz-style tests of what a hostile server can send: a realistic reply for every decoder,
//! mutated thousands of times, must decode or fail with a `DecodeError`, never panic; random
//! and mutated bytes must make the RESP decoder return values, `None` or an error, never panic
//! or spin. Seeded and deterministic (`TREDIS_FUZZ_SEED` picks other seeds): a failure names
//! the decoder, the seed and the input.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::*;
use crate::resp::{Decoder, Limits, Value};
use crate::Protocol;

/// Mutated replies per decoder.
const ROUNDS: u64 = 1_500;
/// Inputs fed to the RESP decoder.
const BYTE_ROUNDS: u64 = 100_000;

/// Numbers and near-numbers that break careless parsing.
#[rustfmt::skip]
const NUMBERS: &[&str] = &[
    "18446744073709551615", "18446744073709551616", "9223372036854775807", "-9223372036854775808",
    "99999999999999999999999", "-1", "-2", "0", "65535", "65536", "16383", "16384", "4294967296",
    "1e400", "nan", "-inf", "", " ", "x", "1-", "-", "0-18446744073709551615", "1.5",
];
/// Separators of the text replies (INFO, CLUSTER NODES, CLIENT LIST) and of RESP.
#[rustfmt::skip]
const TOKENS: &[&str] = &[
    ":", "@", ",", "=", " ", "\n", "\r\n", "#", "-", "->-", "-<-", "[", "]", "[1->-", "\u{0}", "é", "\r",
];
/// RESP lines and fragments for the byte fuzzer.
#[rustfmt::skip]
const WIRE: &[&str] = &[
    "*3\r\n", "*0\r\n", "*-1\r\n", "*-2\r\n", "$5\r\n", "$0\r\n", "$-1\r\n", "$2147483648\r\n", "%1\r\n",
    "%2\r\n", "~1\r\n", ">2\r\n", "|1\r\n", "|0\r\n", "=3\r\ntxt\r\n", "=8\r\ntxt:abcd\r\n", "!3\r\nERR\r\n",
    ":9223372036854775808\r\n", ":-9223372036854775808\r\n", ":\r\n", ",nan\r\n", ",1e400\r\n", ",x\r\n",
    "#t\r\n", "#x\r\n", "_\r\n", "_x\r\n", "(123\r\n", "(\r\n", "$?\r\n", "*?\r\n", "+OK\r\n", "-ERR x\r\n",
    "\r\n", "\n", "\r", "$99999999999\r\n", "$4\r\nab\r\n\r\n", "*9999999999999999999999\r\n",
];

/// xorshift64*: deterministic, so a seed reproduces its failure.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

fn s(t: &str) -> Value {
    Value::Bulk(Bytes::copy_from_slice(t.as_bytes()))
}

/// Pairs of a flat list, as a map.
fn map_of(items: Vec<Value>) -> Value {
    let mut it = items.into_iter();
    Value::Map(std::iter::from_fn(|| Some((it.next()?, it.next()?))).collect())
}

/// A reply written compactly: `[..]` array, `{k: v, ..}` map, `"text"` bulk string, `+word`
/// status, `_` nil, `12` integer, `1.5` double; `ENTRY` is a stream entry.
fn v(text: &str) -> Value {
    fn parse(t: &[u8], i: &mut usize) -> Value {
        let start = *i;
        match t[start] {
            open @ (b'[' | b'{') => {
                let mut items = Vec::new();
                *i += 1;
                loop {
                    while matches!(t[*i], b' ' | b',' | b':' | b'\n') {
                        *i += 1;
                    }
                    if matches!(t[*i], b']' | b'}') {
                        *i += 1;
                        break;
                    }
                    items.push(parse(t, i));
                }
                if open == b'[' {
                    Value::Array(items)
                } else {
                    map_of(items)
                }
            }
            b'"' => {
                let len = t[start + 1..].iter().position(|&c| c == b'"').expect("closing quote");
                *i = start + len + 2;
                Value::Bulk(Bytes::copy_from_slice(&t[start + 1..start + 1 + len]))
            }
            _ => {
                while *i < t.len() && !matches!(t[*i], b' ' | b',' | b':' | b']' | b'}') {
                    *i += 1;
                }
                let word = std::str::from_utf8(&t[start..*i]).expect("UTF-8");
                match word {
                    "_" => Value::Null,
                    w if w.starts_with('+') => Value::Simple(Bytes::copy_from_slice(&w.as_bytes()[1..])),
                    w => w.parse().map(Value::Int).unwrap_or_else(|_| Value::Double(w.parse().expect(w))),
                }
            }
        }
    }
    parse(text.replace("ENTRY", ENTRY).as_bytes(), &mut 0)
}

const ENTRY: &str = r#"["1700000000000-0", ["field", "value", "f2", "v2"]]"#;
const NODES: &str = "07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,host-a,shard-id=ab \
    slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected\n\
    e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 myself,master - 0 0 1 connected \
    0-5460 5462 [5461->-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f] [7-<-aaaa]\n";
const CLIENT: &str = "id=7 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=8 name=me age=1 idle=0 flags=N db=2 \
    sub=0 psub=0 multi=-1 qbuf=26 obl=0 oll=0 omem=0 events=r cmd=client|info user=default resp=3\n";
const INFO: &str = "# Server\r\nredis_version:7.0.15\r\nprocess_id:1\r\n\r\n# Keyspace\r\ndb0:keys=1\r\n";
const CLUSTER_INFO: &str = "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_size:3\r\n\
    cluster_my_epoch:2\r\ncluster_stats_messages_sent:1483\r\n";

/// A decoder's name, a call that tells whether it accepted the value, and a real reply.
type Case = (&'static str, fn(Value) -> bool, Value);

/// `Decoder => reply;`, the reply usually in the notation of [`v`].
macro_rules! cases {
    ($($dec:ty => $sample:expr;)*) => {
        vec![$((
            stringify!($dec),
            (|v: Value| <$dec as Decode>::decode(v).is_ok()) as fn(Value) -> bool,
            $sample,
        ),)*]
    };
}

/// Every record, and the combinators the spec's reply expressions use most.
#[rustfmt::skip]
fn cases() -> Vec<Case> {
    cases! {
        ServerTime => v(r#"["1700000000", "123456"]"#);
        UnixSecs => v("1700000000");
        Info => Value::Verbatim { format: *b"txt", text: INFO.into() };
        Role => v(r#"["master", 3129659, [["127.0.0.1", "9001", "3129242"]]]"#);
        Role => v(r#"["slave", "127.0.0.1", 9000, "connected", 3167038]"#);
        Role => v(r#"["sentinel", ["mymaster"]]"#);
        ClientInfo => s(CLIENT);
        ClientList => s(&CLIENT.repeat(2));
        TrackingInfo => v(r#"{"flags": ["on", "bcast"], "redirect": 0, "prefixes": ["user:"]}"#);
        ClusterNodes => s(NODES);
        Array<ClusterNode> => Value::Array(NODES.lines().map(s).collect());
        ClusterInfo => s(CLUSTER_INFO);
        Array<ClusterSlotRange> => v(r#"[[0, 5460, ["127.0.0.1", 30001, "07c37d", {"hostname": "host-a"}],
            ["127.0.0.1", 30004, "e7d1ee"]]]"#);
        Array<ClusterShard> => v(r#"[{"slots": [0, 5460], "nodes": [{"id": "07c37d", "port": 30001,
            "ip": "127.0.0.1", "endpoint": "127.0.0.1", "hostname": "host-a", "role": "master",
            "replication-offset": 72156, "health": "online"}]}]"#);
        Array<ClusterLink> => v(r#"[{"direction": "to", "node": "07c37d", "create-time": 1639442739375,
            "events": "rw", "send-buffer-allocated": 4512, "send-buffer-used": 0}]"#);
        StreamEntry => v(ENTRY);
        Array<StreamEntry> => v(r#"[ENTRY, ["1-1", _]]"#);
        Nullable<Keyed<Bulk, Array<StreamEntry>>> => v(r#"{"stream": [ENTRY]}"#);
        Nullable<Keyed<Bulk, Array<StreamEntry>>> => v(r#"[["stream", [ENTRY]]]"#);
        PendingSummary => v(r#"[2, "1-0", "2-0", [["alice", "2"]]]"#);
        Array<PendingEntry> => v(r#"[["1-0", "alice", 9104, 1]]"#);
        AutoClaimEntries => v(r#"["0-0", [ENTRY], ["3-0"]]"#);
        AutoClaimIds => v(r#"["0-0", ["1-0"], []]"#);
        StreamInfo => v(r#"{"length": 2, "radix-tree-keys": 1, "radix-tree-nodes": 2,
            "last-generated-id": "1-1", "max-deleted-entry-id": "0-0", "entries-added": 2,
            "recorded-first-entry-id": "1-0", "groups": 1, "first-entry": ENTRY, "last-entry": ENTRY}"#);
        StreamInfoFull => v(r#"{"length": 2, "radix-tree-keys": 1, "radix-tree-nodes": 2,
            "last-generated-id": "1-1", "max-deleted-entry-id": "0-0", "entries-added": 2,
            "recorded-first-entry-id": "1-0", "entries": [ENTRY], "groups": [{"name": "g",
            "last-delivered-id": "1-0", "entries-read": 1, "lag": _, "pel-count": 1,
            "pending": [["1-0", "alice", 1700000000000, 1]], "consumers": [{"name": "alice",
            "seen-time": 1700000000000, "active-time": 1700000000000, "pel-count": 1,
            "pending": [["1-0", 1700000000000, 1]]}]}]}"#);
        Array<StreamGroupInfo> => v(r#"[{"name": "g", "consumers": 1, "pending": 2,
            "last-delivered-id": "1-0", "entries-read": 2, "lag": _}]"#);
        Array<StreamConsumerInfo> => v(r#"[{"name": "alice", "pending": 1, "idle": 9, "inactive": -1}]"#);
        Nullable<StreamId> => v(r#""1-0""#);
        Array<StreamId> => v(r#"["1-0", "2-5"]"#);
        Array<SlowlogEntry> => v(r#"[[14, 1309448221, 15, ["ping"], "127.0.0.1:58217", "worker"]]"#);
        Array<AclLogEntry> => v(r#"[{"count": 1, "reason": "auth", "context": "toplevel", "object": "AUTH",
            "username": "someuser", "age-seconds": 8.038, "client-info": "id=3 addr=127.0.0.1:57275",
            "entry-id": 0}]"#);
        Nullable<AclUser> => v(r#"{"flags": ["on", "allkeys"], "passwords": ["5e88"], "commands": "+@all",
            "keys": "~*", "channels": "&*", "selectors": [{"commands": "-@all +get", "keys": "~key*"}]}"#);
        Keyed<Str, CommandDoc> => v(r#"{"get": {"summary": "Returns the value of a key.", "since": "1.0.0",
            "group": "string", "complexity": "O(1)", "history": [["6.2.0", "Added GET."]],
            "arguments": [{"name": "key", "type": "key"}]}}"#);
        Array<Nullable<CommandEntry>> => v(r#"[["get", 2, [+readonly, +fast], 1, 1, 1,
            [+@read, +@string], [], [{"flags": [+RO]}], []], _]"#);
        MemoryStats => v(r#"{"peak.allocated": 1000, "total.allocated": 900, "startup.allocated": 800,
            "keys.count": 1, "dataset.bytes": 48, "db.0": {"overhead.hashtable.main": 72},
            "dataset.percentage": 42.5}"#);
        Array<ModuleInfo> => v(r#"[{"name": "ReJSON", "ver": 20007, "path": "/x.so", "args": []}]"#);
        Array<LatencySample> => v("[[1405067822, 251]]");
        Array<LatencyEvent> => v(r#"[["command", 1405067976, 251, 1001]]"#);
        Array<KeyFlags> => v(r#"[["key1", [+RW, +access, +delete]]]"#);
        KeyType => v("+zset");
        Subscribed => v(r#"["subscribe", "news", 1]"#);
        MigrateOutcome => v("+NOKEY");
        LcsMatches => v(r#"{"matches": [[[4, 7], [5, 8], 4]], "len": 6}"#);
        Array<FunctionLibrary> => v(r#"[{"library_name": "lib", "engine": "LUA", "functions": [{"name": "f",
            "description": _, "flags": [+no-writes]}], "library_code": "return 1"}]"#);
        FunctionStats => v(r#"{"running_script": _, "engines": {"LUA": {"libraries_count": 1}}}"#);
        Array<GeoHit> => v(r#"[["Palermo", "190.4424", 3479099956230698, ["13.36", "38.11"]], "Catania"]"#);
        Array<Nullable<(Double, Double)>> => v(r#"[["13.361389338970184", "38.1155563954963"], _]"#);
        // Scalars and the combinators of the spec, several to a line.
        Ok => v("+OK"); OkOrNil => v("_"); Unit => v("+PONG"); Int => v("-5"); UInt => v("5"); Bool => v("1");
        Double => v(r#""1.5""#); Str => v(r#""text""#); Any => v("_"); Nullable<Secs> => v("10");
        Millis => v("10"); TtlSecs => v("100"); TtlMillis => v("-1"); ExpireTimeSecs => v("1700000000");
        ExpireTimeMillis => v("1700000000000"); Nullable<Bulk> => v(r#""v""#); Nullable<UInt> => v("3");
        Nullable<Double> => v("2.5"); Array<Bulk> => v(r#"["a", "b"]"#); Array<Nullable<Int>> => v("[1, _]");
        Array<Str> => Value::Set(vec![s("a")]); Array<Nullable<Bulk>> => v(r#"["a", _]"#);
        Array<Bool> => v("[1, 0]"); Pairs<Bulk, Double> => v(r#"[["m", 1.5]]"#);
        Pairs<Bulk, UInt> => v(r#"{"ch": 3}"#); Map<Bulk, Bulk> => v(r#"{"f": "v"}"#);
        Map<Str, Str> => v(r#"{"maxmemory": "0"}"#); Keyed<Str, Any> => v(r#"{"mymaster": {"ip": "::1"}}"#);
        Nullable<(Bulk, Array<Bulk>)> => v(r#"["list", ["a", "b"]]"#);
        Nullable<(Bulk, Bulk)> => v(r#"["k", "v"]"#);
        Nullable<(Bulk, Bulk, Double)> => v(r#"["z", "m", 2.0]"#);
        Nullable<(Bulk, Pairs<Bulk, Double>)> => v(r#"["z", [["m", 1.0]]]"#);
        Scan<Array<Bulk>> => v(r#"["17", ["k1", "k2"]]"#);
        Scan<Pairs<Bulk, Bulk>> => v(r#"["0", ["f", "v"]]"#);
        Scan<Pairs<Bulk, Double>> => v(r#"["0", ["m", "1.5"]]"#);
    }
}

/// Text damaged the way a broken or hostile server might damage it.
fn mutate_text(rng: &mut Rng, text: &[u8]) -> Bytes {
    let mut t = text.to_vec();
    let at = rng.below(t.len() + 1);
    match rng.below(6) {
        0 if at < t.len() => t[at] = rng.next() as u8,
        1 => drop(t.splice(at..at, rng.pick(TOKENS).bytes())),
        2 => t.truncate(at),
        3 => {
            // A run of digits, if any, becomes a hostile number.
            let start = t.iter().skip(at).position(u8::is_ascii_digit).map_or(at, |p| at + p);
            let end = t[start..].iter().position(|b| !b.is_ascii_digit()).map_or(t.len(), |p| start + p);
            drop(t.splice(start..end, rng.pick(NUMBERS).bytes()));
        }
        4 => t = rng.pick(NUMBERS).as_bytes().to_vec(),
        _ => t = (0..rng.below(12)).map(|_| rng.next() as u8).collect(),
    }
    Bytes::from(t)
}

fn random_value(rng: &mut Rng, depth: usize) -> Value {
    let leaf = depth > 2;
    let any = rng.next() as i64;
    match rng.below(if leaf { 8 } else { 11 }) {
        0 => Value::Int(rng.pick(&[0, -1, i64::MAX, i64::MIN, 65536, any])),
        1 => s(rng.pick(NUMBERS)),
        2 => Value::Null,
        3 => Value::Bool(rng.below(2) == 0),
        4 => Value::Double(rng.pick(&[f64::NAN, f64::INFINITY, -1e308, -0.0, 1.5])),
        5 => Value::Error("ERR hostile".into()),
        6 => Value::BigNumber("123456789012345678901234567890".into()),
        7 => Value::Bulk(mutate_text(rng, b"")),
        8 => Value::Map(
            (0..rng.below(3)).map(|_| (random_value(rng, depth + 1), random_value(rng, depth + 1))).collect(),
        ),
        9 => Value::Push((0..rng.below(3)).map(|_| random_value(rng, depth + 1)).collect()),
        _ => Value::Array((0..rng.below(4)).map(|_| random_value(rng, depth + 1)).collect()),
    }
}

/// Changes one node of `v`: usually deep inside, so that fields of records are reached.
fn mutate(rng: &mut Rng, v: &mut Value) {
    let child = match v {
        Value::Array(items) | Value::Set(items) | Value::Push(items) if !items.is_empty() => {
            let i = rng.below(items.len());
            Some(&mut items[i])
        }
        Value::Map(pairs) if !pairs.is_empty() => {
            let i = rng.below(pairs.len());
            Some(if rng.below(4) == 0 { &mut pairs[i].0 } else { &mut pairs[i].1 })
        }
        _ => None,
    };
    if let Some(child) = child.filter(|_| rng.below(4) != 0) {
        return mutate(rng, child);
    }
    *v = match (std::mem::take(v), rng.below(12)) {
        (_, 0) => random_value(rng, 0),
        (old, 1) => Value::Array(vec![old]),
        (Value::Int(i), k) => match k % 3 {
            0 => Value::Int(rng.pick(&[0, -1, -2, i64::MAX, i64::MIN, 65536, 1 << 53, i.wrapping_neg()])),
            1 => s(rng.pick(NUMBERS)),
            _ => Value::Double(i as f64),
        },
        (Value::Bulk(b) | Value::Simple(b) | Value::Verbatim { text: b, .. }, k) => match k % 3 {
            0 => Value::Simple(mutate_text(rng, &b)),
            1 => Value::Int(rng.next() as i64),
            _ => Value::Bulk(mutate_text(rng, &b)),
        },
        (Value::Array(mut items) | Value::Set(mut items) | Value::Push(mut items), k) => {
            let at = rng.below(items.len());
            match k % 7 {
                0 if at < items.len() => drop(items.remove(at)),
                1 if at < items.len() => items.insert(at, items[at].clone()),
                2 => items.insert(at, random_value(rng, 1)),
                3 => items.truncate(at),
                _ => {}
            }
            match k % 7 {
                4 => Value::Set(items),
                5 => map_of(items),
                _ => Value::Array(items),
            }
        }
        (Value::Map(mut pairs), k) => match k % 4 {
            0 => Value::Array(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect()),
            1 if !pairs.is_empty() => {
                let at = rng.below(pairs.len());
                pairs.push(pairs[at].clone());
                Value::Map(pairs)
            }
            2 => Value::Map(Vec::new()),
            _ => Value::Map(pairs.into_iter().rev().collect()),
        },
        _ => random_value(rng, 1),
    };
}

/// The same value as a RESP2 server sends it: written in RESP2 and decoded again.
fn as_resp2(v: &Value) -> Value {
    let mut wire = Vec::new();
    v.write_resp(Protocol::Resp2, &mut wire);
    let mut buf = BytesMut::from(&wire[..]);
    Decoder::new(Limits::default()).decode(&mut buf).ok().flatten().unwrap_or_else(|| v.clone())
}

fn seed_base() -> u64 {
    std::env::var("TREDIS_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[test]
fn decoders_never_panic_on_mutated_replies() {
    let cases = cases();
    for (name, decode, sample) in &cases {
        assert!(decode(sample.clone()), "{name}: the sample reply does not decode: {sample:?}");
        assert!(decode(as_resp2(sample)), "{name}: the RESP2 sample does not decode: {sample:?}");
    }
    let (base, mut failures, mut accepted) = (seed_base(), Vec::<(&str, String)>::new(), 0);
    for round in 0..ROUNDS {
        for (i, (name, decode, sample)) in cases.iter().enumerate() {
            if failures.iter().any(|(f, _)| f == name) {
                continue; // One report per decoder, and one panic message.
            }
            let seed = base.wrapping_add((round << 8) | i as u64);
            let mut rng = Rng::new(seed);
            let mut v = sample.clone();
            for _ in 0..1 + rng.below(4) {
                mutate(&mut rng, &mut v);
            }
            if rng.below(2) == 0 {
                v = as_resp2(&v);
            }
            let input = v.clone();
            match catch_unwind(AssertUnwindSafe(|| decode(v))) {
                Result::Ok(ok) => accepted += usize::from(ok),
                Err(_) => failures.push((name, format!("{name} panicked (seed {seed}) on {input:?}"))),
            }
        }
    }
    let report: Vec<_> = failures.into_iter().map(|(_, f)| f).collect();
    assert!(report.is_empty(), "decoders panicked on server input:\n{}", report.join("\n"));
    // Neither all accepted nor all refused: the mutations reach past the first check.
    let runs = ROUNDS as usize * cases.len();
    assert!(accepted > runs / 10 && accepted < runs * 9 / 10, "{accepted} of {runs} accepted");
}

/// Feeds `input` in random pieces; stops at the first error, as a connection would. Counts
/// the values decoded and the errors.
fn feed(rng: &mut Rng, input: &[u8], limits: Limits, seen: &mut [usize; 2]) {
    let (mut d, mut buf, mut pos) = (Decoder::new(limits), BytesMut::new(), 0);
    while pos < input.len() {
        let step = 1 + rng.below(input.len() - pos);
        buf.extend_from_slice(&input[pos..pos + step]);
        pos += step;
        loop {
            let before = buf.len();
            match d.decode(&mut buf) {
                Result::Ok(Some(_)) => {
                    assert!(buf.len() < before, "a value consumed no input");
                    seen[0] += 1;
                }
                Result::Ok(None) => break,
                Err(_) => return seen[1] += 1,
            }
        }
    }
}

/// A hostile byte stream: a real reply damaged, RESP fragments spliced, or noise.
fn hostile_bytes(rng: &mut Rng, cases: &[Case]) -> Vec<u8> {
    let mut out = Vec::new();
    let proto = if rng.below(2) == 0 { Protocol::Resp2 } else { Protocol::Resp3 };
    match rng.below(4) {
        0 => cases[rng.below(cases.len())].2.write_resp(proto, &mut out),
        1 => random_value(rng, 0).write_resp(proto, &mut out),
        2 => (0..1 + rng.below(8)).for_each(|_| out.extend_from_slice(rng.pick(WIRE).as_bytes())),
        _ => out = (0..rng.below(64)).map(|_| rng.pick(b"*$%~>|=!(_#,+-:?\r\n0123456789x\0\xff")).collect(),
    }
    for _ in 0..rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(4) {
            0 if at < out.len() => out[at] = rng.next() as u8,
            1 => drop(out.splice(at..at, rng.pick(WIRE).bytes())),
            2 => out.truncate(at),
            _ => {
                let piece = out[at..].iter().take(rng.below(16)).copied().collect::<Vec<_>>();
                out.extend_from_slice(&piece);
            }
        }
    }
    out
}

#[test]
fn resp_decoder_never_panics_or_spins_on_hostile_bytes() {
    // The decoder runs on a thread of its own, so a spinning decoder fails the test with the
    // input that made it spin instead of hanging it.
    let current = Arc::new(Mutex::new((0, Vec::new())));
    let (done, finished) = mpsc::channel();
    let input = Arc::clone(&current);
    std::thread::spawn(move || {
        let cases = cases();
        let tight = Limits {
            max_depth: 4,
            max_bulk_len: 16,
            max_elements: 32,
            max_line_len: 8,
            max_reply_bytes: 4096,
        };
        let (base, mut seen) = (seed_base(), [0; 2]);
        for round in 0..BYTE_ROUNDS {
            let seed = base.wrapping_add(round);
            let mut rng = Rng::new(seed);
            let bytes = hostile_bytes(&mut rng, &cases);
            *input.lock().unwrap_or_else(|p| p.into_inner()) = (seed, bytes.clone());
            feed(&mut rng, &bytes, if round % 2 == 0 { Limits::default() } else { tight }, &mut seen);
        }
        let _ = done.send(seen);
    });
    match finished.recv_timeout(Duration::from_secs(120)) {
        // Both values and errors, often: the inputs are neither all garbage nor all valid.
        Result::Ok([values, errors]) => {
            let enough = BYTE_ROUNDS as usize / 5;
            assert!(values > enough && errors > enough, "{values} values, {errors} errors");
        }
        Err(e) => {
            let (seed, input) = current.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let what = if e == mpsc::RecvTimeoutError::Timeout { "spun for 120 s" } else { "panicked" };
            panic!("the RESP decoder {what} (seed {seed}) on b\"{}\"", input.escape_ascii());
        }
    }
}
