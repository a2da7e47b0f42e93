//! Decoder tests: every RESP type, every split point of partial input, limits, and property
//! tests of random values cut at random points (seeded, so a failure names its seed).

use bytes::{Bytes, BytesMut};

use super::{Decoder, Limits, Value};
use crate::ErrorKind;
use crate::Protocol;

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// Decodes all values of `input`, fed in pieces of at most `chunk` bytes.
fn decode_chunked(input: &[u8], chunk: usize, limits: Limits) -> Result<Vec<Value>, crate::Error> {
    let mut d = Decoder::new(limits);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for piece in input.chunks(chunk.max(1)) {
        buf.extend_from_slice(piece);
        while let Some(v) = d.decode(&mut buf)? {
            out.push(v);
        }
    }
    assert!(buf.is_empty(), "undecoded bytes left: {buf:?}");
    Ok(out)
}

fn decode_all(input: &[u8]) -> Vec<Value> {
    decode_chunked(input, input.len(), Limits::default()).unwrap()
}

fn one(input: &str) -> Value {
    let mut v = decode_all(input.as_bytes());
    assert_eq!(v.len(), 1);
    v.remove(0)
}

#[test]
fn every_resp3_type() {
    assert_eq!(one("+OK\r\n"), Value::Simple(b("OK")));
    assert_eq!(one("-ERR bad\r\n"), Value::Error(b("ERR bad")));
    assert_eq!(one(":-42\r\n"), Value::Int(-42));
    assert_eq!(one("$3\r\nfoo\r\n"), Value::Bulk(b("foo")));
    assert_eq!(one("$0\r\n\r\n"), Value::Bulk(Bytes::new()));
    assert_eq!(one("$-1\r\n"), Value::Null);
    assert_eq!(one("*-1\r\n"), Value::Null);
    assert_eq!(one("_\r\n"), Value::Null);
    assert_eq!(one("#t\r\n"), Value::Bool(true));
    assert_eq!(one("#f\r\n"), Value::Bool(false));
    assert_eq!(one(",1.5\r\n"), Value::Double(1.5));
    assert_eq!(one(",-inf\r\n"), Value::Double(f64::NEG_INFINITY));
    assert_eq!(one(",1e10\r\n"), Value::Double(1e10));
    assert_eq!(
        one("(3492890328409238509324850943850943825024385\r\n"),
        Value::BigNumber(b("3492890328409238509324850943850943825024385"))
    );
    assert_eq!(one("!8\r\nSYNTAX x\r\n"), Value::BulkError(b("SYNTAX x")));
    assert_eq!(one("=8\r\ntxt:some\r\n"), Value::Verbatim { format: *b"txt", text: b("some") });
    assert_eq!(one("*2\r\n:1\r\n$1\r\na\r\n"), Value::Array(vec![Value::Int(1), Value::Bulk(b("a"))]));
    assert_eq!(one("*0\r\n"), Value::Array(vec![]));
    assert_eq!(one("~1\r\n+x\r\n"), Value::Set(vec![Value::Simple(b("x"))]));
    assert_eq!(one(">2\r\n+a\r\n:1\r\n"), Value::Push(vec![Value::Simple(b("a")), Value::Int(1)]));
    assert_eq!(one("%1\r\n+k\r\n:1\r\n"), Value::Map(vec![(Value::Simple(b("k")), Value::Int(1))]));
    assert_eq!(one("%0\r\n"), Value::Map(vec![]));
    // An attribute annotates the next value and is dropped.
    assert_eq!(one("|1\r\n+ttl\r\n:3\r\n:7\r\n"), Value::Int(7));
    assert_eq!(one("*1\r\n|1\r\n+a\r\n+b\r\n:7\r\n"), Value::Array(vec![Value::Int(7)]));
    assert_eq!(one(":9223372036854775807\r\n"), Value::Int(i64::MAX));
    assert_eq!(one(":-9223372036854775808\r\n"), Value::Int(i64::MIN));
}

#[test]
fn payload_is_a_view_of_the_read_buffer() {
    let mut buf = BytesMut::from(&b"$5\r\nhello\r\n"[..]);
    let ptr = buf.as_ptr();
    let v = Decoder::new(Limits::default()).decode(&mut buf).unwrap().unwrap();
    let Value::Bulk(data) = v else { panic!("not bulk") };
    assert_eq!(data.as_ptr(), ptr.wrapping_add(4), "the payload was copied");
}

const SAMPLE: &str = "+OK\r\n-ERR x\r\n:12\r\n$5\r\nhello\r\n$-1\r\n*3\r\n:1\r\n*2\r\n$1\r\na\r\n_\r\n%1\r\n+k\r\n,2.5\r\n\
                      ~2\r\n#t\r\n#f\r\n>2\r\n+message\r\n$2\r\nhi\r\n=8\r\ntxt:some\r\n!3\r\nbad\r\n(12\r\n|1\r\n+a\r\n+b\r\n:5\r\n";

#[test]
fn every_split_point_gives_the_same_values() {
    let whole = decode_all(SAMPLE.as_bytes());
    assert_eq!(whole.len(), 12);
    for chunk in 1..SAMPLE.len() {
        assert_eq!(
            decode_chunked(SAMPLE.as_bytes(), chunk, Limits::default()).unwrap(),
            whole,
            "chunk {chunk}"
        );
    }
    for cut in 1..SAMPLE.len() {
        let mut d = Decoder::new(Limits::default());
        let mut buf = BytesMut::from(&SAMPLE.as_bytes()[..cut]);
        let mut got = Vec::new();
        while let Some(v) = d.decode(&mut buf).unwrap() {
            got.push(v);
        }
        buf.extend_from_slice(&SAMPLE.as_bytes()[cut..]);
        while let Some(v) = d.decode(&mut buf).unwrap() {
            got.push(v);
        }
        assert_eq!(got, whole, "cut at {cut}");
    }
}

fn protocol_error(input: &[u8], limits: Limits) -> String {
    let e = decode_chunked(input, input.len(), limits).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    e.to_string()
}

#[test]
fn malformed_input_is_a_protocol_error() {
    let l = Limits::default();
    assert!(protocol_error(b"?what\r\n", l).contains("invalid type byte"));
    assert!(protocol_error(b"$-5\r\n", l).contains("negative"));
    assert!(protocol_error(b"*-2\r\n", l).contains("negative"));
    assert!(protocol_error(b"$abc\r\n", l).contains("invalid length"));
    assert!(protocol_error(b":99999999999999999999\r\n", l).contains("invalid integer"));
    assert!(protocol_error(b"$3\r\nfooXX", l).contains("CRLF"));
    assert!(protocol_error(b"+OK\n", l).contains("carriage return"));
    assert!(protocol_error(b"#x\r\n", l).contains("invalid boolean"));
    assert!(protocol_error(b"_x\r\n", l).contains("invalid null"));
    assert!(protocol_error(b"=2\r\nab\r\n", l).contains("format"));
    assert!(protocol_error(b"$?\r\n", l).contains("streamed"));
    assert!(protocol_error(b",abc\r\n", l).contains("invalid double"));
    assert!(protocol_error(b"(12a\r\n", l).contains("big number"));
}

#[test]
fn limits_bound_memory_and_depth() {
    let l = Limits::default();
    assert!(protocol_error(b"$2147483647\r\n", l).contains("above the limit"));
    let small = Limits::default().max_bulk_len(10).max_elements(5).max_line_len(8).max_depth(4);
    assert!(protocol_error(b"$11\r\n", small).contains("above the limit"));
    assert!(protocol_error(b"*6\r\n", small).contains("above the limit"));
    assert!(protocol_error(b"*2\r\n*2\r\n:1\r\n:2\r\n*1\r\n:3\r\n", small).contains("more than 5 values"));
    assert!(protocol_error(b"+123456789\r\n", small).contains("longer than"));
    assert!(protocol_error(b"+1234567890123", small).contains("longer than"));
    let deep = "*1\r\n".repeat(10_000) + ":1\r\n";
    assert!(protocol_error(deep.as_bytes(), l).contains("deeper than 128"));
    // A forged huge aggregate within the memory budget allocates only for what arrives.
    let mut d = Decoder::new(l);
    let mut buf = BytesMut::from(&b"*10000000\r\n:1\r\n"[..]);
    assert_eq!(d.decode(&mut buf).unwrap(), None);
    assert!(d.partial_capacity() <= 1024);
}

/// What the budget charges for one element slot of an aggregate.
const SLOT: usize = std::mem::size_of::<Value>();

/// The error of decoding `input` fed whole, with nothing decoded before it.
fn refused_at_once(input: &[u8], limits: Limits) -> String {
    let mut d = Decoder::new(limits);
    let mut buf = BytesMut::from(input);
    let e = d.decode(&mut buf).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert_eq!(d.partial_capacity(), 0, "slots were reserved for a refused aggregate");
    e.to_string()
}

#[test]
fn an_aggregate_beyond_the_budget_is_refused_at_its_header() {
    // 2^26 - 1 elements pass `max_elements` but need 2.5 GiB of slots: the 12 header bytes
    // alone are refused, before a slot is reserved.
    let msg = refused_at_once(b"*67108863\r\n", Limits::default());
    assert!(msg.contains("Limits::max_reply_bytes"), "{msg}");
    assert!(msg.contains("Builder::limits"), "{msg}");
    // A map's pairs take two slots each.
    let budget = Limits::default().max_reply_bytes(5 + 2 * 10 * SLOT - 1);
    assert!(refused_at_once(b"%10\r\n", budget).contains("max_reply_bytes"));
    assert_eq!(decode_chunked(b"%0\r\n", 1, budget).unwrap(), vec![Value::Map(vec![])]);
}

#[test]
fn nested_aggregates_add_up_against_the_budget() {
    // Charged: every byte received, plus a slot per announced element.
    let head = b"*2\r\n*3\r\n:1\r\n:2\r\n:3\r\n";
    let spent = head.len() + 2 * SLOT + 3 * SLOT;
    let tail = b"*2\r\n:4\r\n:5\r\n";
    let whole = [&head[..], &tail[..]].concat();
    let needed = whole.len() + (2 + 3 + 2) * SLOT;
    // The second inner aggregate would fit alone, but not on top of the first two: it is
    // refused at its header, with its elements not even received.
    let limit = spent + 4 + 2 * SLOT - 1;
    assert!(tail.len() + 2 * SLOT < limit && spent < limit);
    let mut d = Decoder::new(Limits::default().max_reply_bytes(limit));
    let mut buf = BytesMut::from(&whole[..head.len() + 4]);
    assert!(d.decode(&mut buf).unwrap_err().to_string().contains("max_reply_bytes"));
    let exact = Limits::default().max_reply_bytes(needed);
    let inner = |a: &[i64]| Value::Array(a.iter().map(|&i| Value::Int(i)).collect());
    assert_eq!(
        decode_chunked(&whole, whole.len(), exact).unwrap(),
        vec![Value::Array(vec![inner(&[1, 2, 3]), inner(&[4, 5])])]
    );
}

#[test]
fn a_bulk_beyond_the_budget_is_refused_at_its_header() {
    let budget = Limits::default().max_reply_bytes(100);
    // Its 1000 bytes never arrive: the header alone is refused, before room is reserved.
    let mut d = Decoder::new(budget);
    let mut buf = BytesMut::from(&b"$1000\r\n"[..]);
    let capacity = buf.capacity();
    assert!(d.decode(&mut buf).unwrap_err().to_string().contains("max_reply_bytes"));
    assert_eq!(buf.capacity(), capacity, "room was reserved for a refused bulk");
    // Inside an aggregate, the slots count too: 4 + 40 + (5 + 50 + 2) > 100.
    assert!(protocol_error(b"*1\r\n$50\r\n", budget).contains("max_reply_bytes"));
    assert!(protocol_error(b"=104\r\ntxt:", budget).contains("max_reply_bytes"));
}

#[test]
fn a_reply_exactly_at_the_budget_passes() {
    let wire = b"*3\r\n$3\r\nfoo\r\n+bar\r\n%1\r\n$1\r\nk\r\n:1\r\n";
    let cost = wire.len() + (3 + 2) * SLOT;
    let expect = vec![Value::Array(vec![
        Value::Bulk(b("foo")),
        Value::Simple(b("bar")),
        Value::Map(vec![(Value::Bulk(b("k")), Value::Int(1))]),
    ])];
    // Resuming after every cut charges each byte once.
    for chunk in 1..=wire.len() {
        let exact = Limits::default().max_reply_bytes(cost);
        assert_eq!(decode_chunked(wire, chunk, exact).unwrap(), expect, "chunk {chunk}");
        let short = Limits::default().max_reply_bytes(cost - 1);
        let e = decode_chunked(wire, chunk, short).unwrap_err();
        assert!(e.to_string().contains("max_reply_bytes"), "chunk {chunk}: {e}");
    }
    // A lone bulk: its bytes on the wire, nothing more.
    let big = format!("${}\r\n{}\r\n", 1000, "x".repeat(1000));
    let exact = Limits::default().max_reply_bytes(big.len());
    assert_eq!(decode_chunked(big.as_bytes(), 7, exact).unwrap().len(), 1);
}

#[test]
fn the_budget_resets_between_replies() {
    let reply = b"*4\r\n$2\r\nab\r\n$2\r\ncd\r\n:1\r\n+ok\r\n";
    let cost = reply.len() + 4 * SLOT;
    let budget = Limits::default().max_reply_bytes(cost + cost / 2);
    let mut d = Decoder::new(budget);
    let mut buf = BytesMut::from(&reply.repeat(3)[..]);
    for _ in 0..3 {
        assert!(d.decode(&mut buf).unwrap().is_some());
        assert!(d.is_idle());
    }
    assert!(buf.is_empty());
    // A partial reply is not idle, though its bytes were taken from the buffer.
    let mut buf = BytesMut::from(&reply[..14]);
    assert_eq!(d.decode(&mut buf).unwrap(), None);
    assert!(!d.is_idle());
}

/// xorshift64*: a tiny deterministic generator for property tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn bytes(&mut self) -> Bytes {
        let len = self.below(40) as usize;
        Bytes::from((0..len).map(|_| self.next() as u8).collect::<Vec<u8>>())
    }

    fn line(&mut self) -> Bytes {
        let len = self.below(20) as usize;
        Bytes::from((0..len).map(|_| b'a' + self.below(26) as u8).collect::<Vec<u8>>())
    }

    fn value(&mut self, depth: u32) -> Value {
        let max = if depth >= 4 { 9 } else { 14 };
        match self.below(max) {
            0 => Value::Simple(self.line()),
            1 => Value::Error(self.line()),
            2 => Value::Int(self.next() as i64),
            3 | 4 => Value::Bulk(self.bytes()),
            5 => Value::Null,
            6 => Value::Bool(self.below(2) == 1),
            7 => Value::Double((self.next() as i64 as f64) / 1024.0),
            8 => Value::Verbatim { format: *b"txt", text: self.bytes() },
            9 => Value::Array((0..self.below(5)).map(|_| self.value(depth + 1)).collect()),
            10 => Value::Set((0..self.below(5)).map(|_| self.value(depth + 1)).collect()),
            11 => Value::Push((0..self.below(4)).map(|_| self.value(depth + 1)).collect()),
            12 => Value::Map(
                (0..self.below(4)).map(|_| (self.value(depth + 1), self.value(depth + 1))).collect(),
            ),
            _ => Value::BulkError(self.line()),
        }
    }
}

/// What a value becomes when the server sends it in RESP2.
fn as_resp2(v: &Value) -> Value {
    match v {
        Value::Bool(b) => Value::Int(i64::from(*b)),
        Value::Double(d) => Value::Bulk(Bytes::from(format!("{d:?}"))),
        Value::Verbatim { text, .. } => Value::Bulk(text.clone()),
        Value::BulkError(e) => Value::Error(e.clone()),
        Value::BigNumber(n) => Value::Bulk(n.clone()),
        Value::Array(items) | Value::Set(items) | Value::Push(items) => {
            Value::Array(items.iter().map(as_resp2).collect())
        }
        Value::Map(pairs) => {
            Value::Array(pairs.iter().flat_map(|(k, v)| [as_resp2(k), as_resp2(v)]).collect())
        }
        other => other.clone(),
    }
}

#[test]
fn random_values_survive_random_cuts() {
    for seed in 1..=300u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let values: Vec<Value> = (0..1 + rng.below(6)).map(|_| rng.value(0)).collect();
        for (proto, expect) in
            [(Protocol::Resp3, values.clone()), (Protocol::Resp2, values.iter().map(as_resp2).collect())]
        {
            let mut wire = Vec::new();
            for v in &values {
                v.write_resp(proto, &mut wire);
            }
            // Cut at random points, resuming after each cut.
            let mut d = Decoder::new(Limits::default());
            let mut buf = BytesMut::new();
            let mut got = Vec::new();
            let mut pos = 0;
            while pos < wire.len() {
                let step = 1 + rng.below(wire.len() as u64 - pos as u64) as usize;
                buf.extend_from_slice(&wire[pos..pos + step]);
                pos += step;
                while let Some(v) = d
                    .decode(&mut buf)
                    .unwrap_or_else(|e| panic!("seed {seed}: {e}; wire {:?}", String::from_utf8_lossy(&wire)))
                {
                    got.push(v);
                }
            }
            assert_eq!(got, expect, "seed {seed}, {proto:?}");
            assert!(buf.is_empty(), "seed {seed}");
        }
    }
}

#[test]
fn eof_mid_frame_leaves_an_incomplete_state() {
    let frame = b"*2\r\n$5\r\nhello\r\n:1\r\n";
    for cut in 0..frame.len() {
        let mut d = Decoder::new(Limits::default());
        let mut buf = BytesMut::from(&frame[..cut]);
        assert_eq!(d.decode(&mut buf).unwrap(), None, "cut {cut}");
    }
}

#[test]
fn limits_of_usize_max_mean_no_limit_not_an_overflow() {
    let max = usize::MAX;
    let unbounded = Limits {
        max_depth: max,
        max_bulk_len: max,
        max_elements: max,
        max_line_len: max,
        max_reply_bytes: max,
    };
    let values =
        decode_chunked(b"+OK\r\n*1\r\n$3\r\nabc\r\n%1\r\n+a\r\n:1\r\n$-1\r\n", 3, unbounded).unwrap();
    assert_eq!(values.len(), 4);
    let mut buf = BytesMut::from(&b"+still waiting for CRLF"[..]);
    assert_eq!(Decoder::new(unbounded).decode(&mut buf).unwrap(), None);
}
