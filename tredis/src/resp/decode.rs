//! The incremental RESP2/RESP3 decoder.
//!
//! Scalars are split off the read buffer as soon as they are complete (`split_to().freeze()`,
//! a reference count, not a copy). Aggregates under construction live on an explicit stack, so
//! nesting costs no recursion and a partial reply resumes where it stopped instead of being
//! parsed again from its first byte.

use bytes::{Bytes, BytesMut};

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
    stack: Vec<Level>,
    /// Bytes at the front of the buffer already parsed into the levels on the stack.
    pos: usize,
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

/// A byte range of the reply being parsed.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
}

/// A value whose payloads are still ranges of the read buffer.
#[derive(Debug)]
enum Raw {
    Simple(Span),
    Error(Span),
    Int(i64),
    Bulk(Span),
    Null,
    Bool(bool),
    Double(f64),
    BigNumber(Span),
    BulkError(Span),
    Verbatim([u8; 3], Span),
    Aggregate(Agg, Vec<Raw>),
}

#[derive(Debug)]
struct Level {
    agg: Agg,
    want: usize,
    items: Vec<Raw>,
}

enum Step {
    Incomplete,
    Value(Raw),
    Open(Level),
}

fn err(msg: impl Into<String>) -> Error {
    Error::protocol(msg)
}

/// Capacity to reserve for an aggregate: what it claims, but never more than what the bytes
/// already received could hold, so a forged length cannot allocate memory the data never
/// fills (every element takes at least 3 bytes).
fn initial_capacity(n: usize, buffered: usize) -> usize {
    n.min(buffered / 3 + 16)
}

impl Decoder {
    /// A decoder with the given limits.
    pub fn new(limits: Limits) -> Decoder {
        Decoder { stack: Vec::new(), pos: 0, limits, elements: 0 }
    }

    /// Capacity reserved for the innermost partial aggregate (tests of the allocation bound).
    #[cfg(test)]
    pub(super) fn partial_capacity(&self) -> usize {
        self.stack.last().map_or(0, |l| l.items.capacity())
    }

    /// True when no value is partly decoded.
    pub fn is_idle(&self) -> bool {
        self.stack.is_empty() && self.pos == 0
    }

    /// Decodes the next complete value from `buf`, consuming its bytes. `Ok(None)` means more
    /// input is needed; an error means the stream is corrupt and the connection must close.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Value>, Error> {
        'outer: loop {
            let mut value = match self.step(buf)? {
                Step::Incomplete => return Ok(None),
                Step::Value(v) => v,
                Step::Open(level) if level.want == 0 => match finish(level) {
                    Some(v) => v,
                    None => continue,
                },
                Step::Open(level) => {
                    if self.stack.len() >= self.limits.max_depth {
                        return Err(err(format!(
                            "reply nested deeper than {} levels",
                            self.limits.max_depth
                        )));
                    }
                    self.stack.push(level);
                    match self.complete_top(buf)? {
                        Some(v) => v,
                        None => continue,
                    }
                }
            };
            loop {
                let Some(top) = self.stack.last_mut() else {
                    // One split and one freeze per reply; payloads become views of it.
                    let frame = buf.split_to(self.pos).freeze();
                    self.pos = 0;
                    self.elements = 0;
                    return Ok(Some(materialize(value, &frame)));
                };
                top.items.push(value);
                match self.complete_top(buf)? {
                    Some(v) => value = v,
                    // Incomplete, or an attribute (dropped: it annotates the next value).
                    None => continue 'outer,
                }
            }
        }
    }

    /// Takes what it can of the top aggregate in the fast path; once complete, pops it and
    /// returns it (`None` while incomplete, and for attributes).
    fn complete_top(&mut self, buf: &[u8]) -> Result<Option<Raw>, Error> {
        self.bulk_run(buf)?;
        let top = self.stack.last().expect("non-empty stack");
        if top.items.len() < top.want {
            return Ok(None);
        }
        let level = self.stack.pop().expect("non-empty stack");
        Ok(finish(level))
    }

    /// The common case of big replies (LRANGE, MGET, SMEMBERS): a run of complete bulk
    /// strings inside the current aggregate, parsed in one tight loop.
    fn bulk_run(&mut self, buf: &[u8]) -> Result<(), Error> {
        let Some(top) = self.stack.last_mut() else { return Ok(()) };
        let mut pos = self.pos;
        let before = top.items.len();
        while top.items.len() < top.want {
            if buf.get(pos) != Some(&b'$') {
                break;
            }
            // A length of at most 10 digits, then CRLF. Counted in u64: 10 digits overflow a
            // 32-bit usize.
            let mut i = pos + 1;
            let mut n: u64 = 0;
            while i < buf.len() && buf[i].is_ascii_digit() && i - pos <= 10 {
                n = n * 10 + u64::from(buf[i] - b'0');
                i += 1;
            }
            if i == pos + 1
                || i + 1 >= buf.len()
                || buf[i] != b'\r'
                || buf[i + 1] != b'\n'
                || n > self.limits.max_bulk_len as u64
            {
                // Incomplete, negative, or unusual: the general path decides.
                break;
            }
            // Fits: it is at most `max_bulk_len`.
            let n = n as usize;
            let start = i + 2;
            let end = start + n;
            if end + 2 > buf.len() {
                break;
            }
            if &buf[end..end + 2] != b"\r\n" {
                return Err(err("bulk string not terminated by CRLF"));
            }
            top.items.push(Raw::Bulk(Span { start, end }));
            pos = end + 2;
        }
        let added = top.items.len() - before;
        self.pos = pos;
        self.count(added)
    }

    fn count(&mut self, n: usize) -> Result<(), Error> {
        self.elements = self.elements.saturating_add(n);
        if self.elements > self.limits.max_elements {
            return Err(err(format!("reply has more than {} values", self.limits.max_elements)));
        }
        Ok(())
    }

    fn step(&mut self, buf: &mut BytesMut) -> Result<Step, Error> {
        let at = self.pos;
        let Some(&tag) = buf.get(at) else {
            return Ok(Step::Incomplete);
        };
        let Some(len) = find_line(&buf[at..], self.limits.max_line_len)? else {
            return Ok(Step::Incomplete);
        };
        let line = Span { start: at + 1, end: at + 1 + len };
        let next = at + 1 + len + 2;
        let text = &buf[line.start..line.end];
        let v = match tag {
            b'+' => Raw::Simple(line),
            b'-' => Raw::Error(line),
            b':' => Raw::Int(parse_int(text).ok_or_else(|| bad_line("integer", text))?),
            b'_' if len == 0 => Raw::Null,
            b'#' if len == 1 && (text[0] == b't' || text[0] == b'f') => Raw::Bool(text[0] == b't'),
            b'_' => return Err(bad_line("null", text)),
            b'#' => return Err(bad_line("boolean", text)),
            b',' => Raw::Double(parse_double(text).ok_or_else(|| bad_line("double", text))?),
            b'(' => {
                let body = text.strip_prefix(b"-").unwrap_or(text);
                if body.is_empty() || !body.iter().all(u8::is_ascii_digit) {
                    return Err(bad_line("big number", text));
                }
                Raw::BigNumber(line)
            }
            b'$' | b'!' | b'=' => return self.blob(buf, tag, line, next),
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let n = parse_int(text).ok_or_else(|| bad_line("length", text))?;
                self.count(1)?;
                self.pos = next;
                if n == -1 && (tag == b'*' || tag == b'~') {
                    return Ok(Step::Value(Raw::Null));
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
                let capacity = initial_capacity(want, buf.len() - next);
                return Ok(Step::Open(Level { agg, want, items: Vec::with_capacity(capacity) }));
            }
            other => {
                return Err(err(format!("invalid type byte 0x{other:02x} ({:?})", other as char)));
            }
        };
        self.count(1)?;
        self.pos = next;
        Ok(Step::Value(v))
    }

    /// `$`, `!` and `=`: a length line, then that many bytes and CRLF.
    fn blob(&mut self, buf: &mut BytesMut, tag: u8, line: Span, next: usize) -> Result<Step, Error> {
        let text = &buf[line.start..line.end];
        let n = parse_int(text).ok_or_else(|| bad_line("length", text))?;
        if n == -1 && tag == b'$' {
            self.count(1)?;
            self.pos = next;
            return Ok(Step::Value(Raw::Null));
        }
        if n < 0 || n as u64 > self.limits.max_bulk_len as u64 {
            return Err(err(format!(
                "bulk length {n} is negative or above the limit of {} bytes",
                self.limits.max_bulk_len
            )));
        }
        let n = n as usize;
        let end = next + n;
        if buf.len() < end + 2 {
            // Room for the rest, in steps, so a forged length does not allocate at once.
            buf.reserve((end + 2 - buf.len()).min(16 << 20));
            return Ok(Step::Incomplete);
        }
        if &buf[end..end + 2] != b"\r\n" {
            return Err(err("bulk string not terminated by CRLF"));
        }
        self.count(1)?;
        self.pos = end + 2;
        let data = Span { start: next, end };
        Ok(Step::Value(match tag {
            b'$' => Raw::Bulk(data),
            b'!' => Raw::BulkError(data),
            _ => {
                if n < 4 || buf[next + 3] != b':' {
                    return Err(err("verbatim string without a format prefix"));
                }
                Raw::Verbatim([buf[next], buf[next + 1], buf[next + 2]], Span { start: next + 4, end })
            }
        }))
    }
}

/// A complete aggregate; `None` for attributes.
fn finish(level: Level) -> Option<Raw> {
    match level.agg {
        Agg::Attribute => None,
        agg => Some(Raw::Aggregate(agg, level.items)),
    }
}

/// Turns ranges into views of the frozen reply.
fn materialize(raw: Raw, frame: &Bytes) -> Value {
    let view = |s: Span| frame.slice(s.start..s.end);
    match raw {
        Raw::Simple(s) => Value::Simple(view(s)),
        Raw::Error(s) => Value::Error(view(s)),
        Raw::Int(i) => Value::Int(i),
        Raw::Bulk(s) => Value::Bulk(view(s)),
        Raw::Null => Value::Null,
        Raw::Bool(b) => Value::Bool(b),
        Raw::Double(d) => Value::Double(d),
        Raw::BigNumber(s) => Value::BigNumber(view(s)),
        Raw::BulkError(s) => Value::BulkError(view(s)),
        Raw::Verbatim(format, s) => Value::Verbatim { format, text: view(s) },
        Raw::Aggregate(agg, items) => {
            let mut it = items.into_iter().map(|r| materialize(r, frame));
            match agg {
                Agg::Array => Value::Array(it.collect()),
                Agg::Set => Value::Set(it.collect()),
                Agg::Push => Value::Push(it.collect()),
                _ => {
                    let mut pairs = Vec::with_capacity(it.len() / 2);
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        pairs.push((k, v));
                    }
                    Value::Map(pairs)
                }
            }
        }
    }
}

/// Length of the line after the type byte, up to CRLF; `None` when the CRLF has not arrived.
fn find_line(buf: &[u8], max: usize) -> Result<Option<usize>, Error> {
    // Saturating: a configured `max_line_len` of `usize::MAX` means no limit, not an overflow.
    let window = &buf[1..buf.len().min(max.saturating_add(3))];
    match window.iter().position(|&b| b == b'\n') {
        Some(0) => Err(err("line feed without carriage return")),
        Some(i) if window[i - 1] == b'\r' => Ok(Some(i - 1)),
        Some(_) => Err(err("line feed without carriage return")),
        None if buf.len() > max.saturating_add(2) => Err(err(format!("line longer than {max} bytes"))),
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
