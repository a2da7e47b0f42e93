//! The incremental RESP2/RESP3 decoder.
//!
//! Scalars are split off the read buffer as soon as they are complete (`split_to().freeze()`,
//! a reference count, not a copy). Aggregates under construction live on an explicit stack, so
//! nesting costs no recursion and a partial reply resumes where it stopped instead of being
//! parsed again from its first byte.

use bytes::{Buf, BytesMut};

use super::Value;
use crate::Error;

/// Bounds on what a server may send in one reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of aggregates (arrays in arrays ...).
    pub max_depth: usize,
    /// Longest bulk string, in bytes (the server's own default `proto-max-bulk-len` is 512 MiB).
    pub max_bulk_len: usize,
    /// Most values (scalars and aggregates) in one reply.
    pub max_elements: usize,
    /// Longest status, error or number line, in bytes.
    pub max_line_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_depth: 128, max_bulk_len: 512 << 20, max_elements: 1 << 26, max_line_len: 64 << 10 }
    }
}

/// Reads values from a byte buffer that fills up over time.
#[derive(Debug)]
pub struct Decoder {
    pub(super) stack: Vec<Level>,
    limits: Limits,
    elements: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Agg {
    Array,
    Set,
    Push,
    Map,
    Attribute,
}

#[derive(Debug)]
pub(super) struct Level {
    agg: Agg,
    want: usize,
    pub(super) items: Vec<Value>,
}

enum Step {
    Incomplete,
    Value(Value),
    Open(Level),
}

fn err(msg: impl Into<String>) -> Error {
    Error::protocol(msg)
}

/// Capacity to reserve for an aggregate: what it claims, but never more than a small amount
/// up front, so a forged length cannot allocate memory the data never fills.
fn initial_capacity(n: usize) -> usize {
    n.min(1024)
}

impl Decoder {
    /// A decoder with the given limits.
    pub fn new(limits: Limits) -> Decoder {
        Decoder { stack: Vec::new(), limits, elements: 0 }
    }

    /// True when no value is partly decoded.
    pub fn is_idle(&self) -> bool {
        self.stack.is_empty()
    }

    /// Decodes the next complete value from `buf`, consuming its bytes. `Ok(None)` means more
    /// input is needed; an error means the stream is corrupt and the connection must close.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Value>, Error> {
        'outer: loop {
            let mut value = match self.step(buf)? {
                Step::Incomplete => return Ok(None),
                Step::Value(v) => v,
                Step::Open(level) if level.want > 0 => {
                    if self.stack.len() >= self.limits.max_depth {
                        return Err(err(format!(
                            "reply nested deeper than {} levels",
                            self.limits.max_depth
                        )));
                    }
                    self.stack.push(level);
                    continue;
                }
                Step::Open(level) => match finish(level) {
                    Some(v) => v,
                    None => continue,
                },
            };
            loop {
                let Some(top) = self.stack.last_mut() else {
                    self.elements = 0;
                    return Ok(Some(value));
                };
                top.items.push(value);
                if top.items.len() < top.want {
                    continue 'outer;
                }
                let level = self.stack.pop().expect("non-empty stack");
                match finish(level) {
                    Some(v) => value = v,
                    // An attribute annotates the value that follows; it is dropped.
                    None => continue 'outer,
                }
            }
        }
    }

    fn count(&mut self, n: usize) -> Result<(), Error> {
        self.elements = self.elements.saturating_add(n);
        if self.elements > self.limits.max_elements {
            return Err(err(format!("reply has more than {} values", self.limits.max_elements)));
        }
        Ok(())
    }

    fn step(&mut self, buf: &mut BytesMut) -> Result<Step, Error> {
        let Some(&tag) = buf.first() else {
            return Ok(Step::Incomplete);
        };
        let Some(len) = find_line(buf, self.limits.max_line_len)? else {
            return Ok(Step::Incomplete);
        };
        let header = 1 + len + 2;
        self.count(1)?;
        let v = match tag {
            b'+' | b'-' => {
                buf.advance(1);
                let s = buf.split_to(len).freeze();
                buf.advance(2);
                return Ok(Step::Value(if tag == b'+' { Value::Simple(s) } else { Value::Error(s) }));
            }
            b':' => {
                Value::Int(parse_int(&buf[1..1 + len]).ok_or_else(|| bad_line("integer", &buf[1..1 + len]))?)
            }
            b'_' if len == 0 => Value::Null,
            b'#' if len == 1 && (buf[1] == b't' || buf[1] == b'f') => Value::Bool(buf[1] == b't'),
            b'_' => return Err(bad_line("null", &buf[1..1 + len])),
            b'#' => return Err(bad_line("boolean", &buf[1..1 + len])),
            b',' => Value::Double(
                parse_double(&buf[1..1 + len]).ok_or_else(|| bad_line("double", &buf[1..1 + len]))?,
            ),
            b'(' => {
                let digits = &buf[1..1 + len];
                let body = digits.strip_prefix(b"-").unwrap_or(digits);
                if body.is_empty() || !body.iter().all(u8::is_ascii_digit) {
                    return Err(bad_line("big number", digits));
                }
                buf.advance(1);
                let n = buf.split_to(len).freeze();
                buf.advance(2);
                return Ok(Step::Value(Value::BigNumber(n)));
            }
            b'$' | b'!' | b'=' => return self.blob(buf, tag, len, header),
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let n = parse_int(&buf[1..1 + len]).ok_or_else(|| bad_line("length", &buf[1..1 + len]))?;
                buf.advance(header);
                if n == -1 && (tag == b'*' || tag == b'~') {
                    return Ok(Step::Value(Value::Null));
                }
                if n < 0 || n as u64 > self.limits.max_elements as u64 {
                    return Err(err(format!("aggregate length {n} is negative or above the limit")));
                }
                let n = n as usize;
                let (agg, want) = match tag {
                    b'*' => (Agg::Array, n),
                    b'~' => (Agg::Set, n),
                    b'>' => (Agg::Push, n),
                    b'%' => (Agg::Map, n * 2),
                    _ => (Agg::Attribute, n * 2),
                };
                return Ok(Step::Open(Level {
                    agg,
                    want,
                    items: Vec::with_capacity(initial_capacity(want)),
                }));
            }
            other => {
                return Err(err(format!("invalid type byte 0x{other:02x} ({:?})", other as char)));
            }
        };
        buf.advance(header);
        Ok(Step::Value(v))
    }

    /// `$`, `!` and `=`: a length line, then that many bytes and CRLF.
    fn blob(&mut self, buf: &mut BytesMut, tag: u8, len: usize, header: usize) -> Result<Step, Error> {
        let n = parse_int(&buf[1..1 + len]).ok_or_else(|| bad_line("length", &buf[1..1 + len]))?;
        if n == -1 && tag == b'$' {
            buf.advance(header);
            return Ok(Step::Value(Value::Null));
        }
        if n < 0 || n as u64 > self.limits.max_bulk_len as u64 {
            return Err(err(format!(
                "bulk length {n} is negative or above the limit of {} bytes",
                self.limits.max_bulk_len
            )));
        }
        let n = n as usize;
        let total = header + n + 2;
        if buf.len() < total {
            // Room for the rest, in steps, so a forged length does not allocate at once.
            buf.reserve((total - buf.len()).min(16 << 20));
            // Not counted until complete: the step runs again.
            self.elements -= 1;
            return Ok(Step::Incomplete);
        }
        buf.advance(header);
        let data = buf.split_to(n).freeze();
        if &buf[..2] != b"\r\n" {
            return Err(err("bulk string not terminated by CRLF"));
        }
        buf.advance(2);
        Ok(Step::Value(match tag {
            b'$' => Value::Bulk(data),
            b'!' => Value::BulkError(data),
            _ => {
                if data.len() < 4 || data[3] != b':' {
                    return Err(err("verbatim string without a format prefix"));
                }
                Value::Verbatim { format: [data[0], data[1], data[2]], text: data.slice(4..) }
            }
        }))
    }
}

/// Builds the value of a complete aggregate; `None` for attributes.
fn finish(level: Level) -> Option<Value> {
    Some(match level.agg {
        Agg::Array => Value::Array(level.items),
        Agg::Set => Value::Set(level.items),
        Agg::Push => Value::Push(level.items),
        Agg::Map => {
            let mut pairs = Vec::with_capacity(level.items.len() / 2);
            let mut it = level.items.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                pairs.push((k, v));
            }
            Value::Map(pairs)
        }
        Agg::Attribute => return None,
    })
}

/// Length of the line after the type byte, up to CRLF; `None` when the CRLF has not arrived.
fn find_line(buf: &[u8], max: usize) -> Result<Option<usize>, Error> {
    let window = &buf[1..buf.len().min(max + 3)];
    match window.iter().position(|&b| b == b'\n') {
        Some(0) => Err(err("line feed without carriage return")),
        Some(i) if window[i - 1] == b'\r' => Ok(Some(i - 1)),
        Some(_) => Err(err("line feed without carriage return")),
        None if buf.len() > max + 2 => Err(err(format!("line longer than {max} bytes"))),
        None => Ok(None),
    }
}

fn bad_line(what: &str, line: &[u8]) -> Error {
    let shown: String = String::from_utf8_lossy(&line[..line.len().min(32)]).into_owned();
    if line == b"?" {
        return err("streamed RESP3 values are not supported");
    }
    err(format!("invalid {what} {shown:?}"))
}

/// A decimal i64 with an optional sign; `None` on anything else, overflow included.
pub(crate) fn parse_int(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        // Accumulating negatively reaches i64::MIN without overflow.
        n = n.checked_mul(10)?.checked_sub(i64::from(d - b'0'))?;
    }
    if neg {
        Some(n)
    } else {
        n.checked_neg()
    }
}

/// A double as Redis writes it: decimal, exponent, `inf`, `-inf` or `nan`.
pub(crate) fn parse_double(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    match text {
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" | "-nan" => Some(f64::NAN),
        _ if text.is_empty() || text.bytes().any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') => {
            None
        }
        _ => text.parse().ok(),
    }
}
