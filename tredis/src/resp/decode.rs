//! The incremental RESP2/RESP3 decoder.
//!
//! Payloads are split off the read buffer as soon as they are complete (`split_to().freeze()`,
//! a reference count, not a copy; a run of bulk strings, as much of it as has arrived, takes
//! one split) and every value
//! becomes its final [`Value`] at once, so a reply is never held in two forms. Aggregates under
//! construction live on an explicit stack, so nesting costs no recursion and a partial reply
//! resumes where it stopped instead of being parsed again from its first byte. Memory is
//! charged to the reply when a header announces it, before any is reserved, and element
//! vectors grow with the data received, up to exactly the announced count.

use bytes::{Buf, Bytes, BytesMut};

use super::{Limits, Value};
use crate::Error;

/// Reads values from a byte buffer that fills up over time.
#[derive(Debug)]
pub struct Decoder {
    stack: Vec<Level>,
    /// Bytes at the front of the buffer already parsed (headers, numbers): they leave it with
    /// the next payload split off, or when the reply completes.
    pos: usize,
    limits: Limits,
    /// Values of the reply in progress, against `max_elements`.
    elements: usize,
    /// Bytes charged to the reply in progress, against `max_reply_bytes`.
    charged: usize,
    /// Where the payloads of a run of bulk strings are, kept to be reused.
    spans: Vec<(usize, usize)>,
}

#[derive(Debug, Clone, Copy)]
enum Seq {
    Array,
    Set,
    Push,
}

/// An aggregate under construction.
#[derive(Debug)]
enum Level {
    /// An array, set or push of `want` values.
    Seq { kind: Seq, want: usize, items: Vec<Value> },
    /// A map of `want` pairs; `key` waits for its value.
    Map { want: usize, pairs: Vec<(Value, Value)>, key: Option<Value> },
    /// An attribute: its values are counted and dropped (it annotates the next value).
    Attribute { left: usize },
}

impl Level {
    /// Values still to come.
    fn left(&self) -> usize {
        match self {
            Level::Seq { want, items, .. } => want - items.len(),
            Level::Map { want, pairs, key } => 2 * (want - pairs.len()) - usize::from(key.is_some()),
            Level::Attribute { left } => *left,
        }
    }

    /// Adds the next value; `buffered` bytes wait to be parsed.
    fn push(&mut self, v: Value, buffered: usize) {
        match self {
            Level::Seq { want, items, .. } => {
                if items.len() == items.capacity() {
                    grow(items, *want, buffered / 3, 1);
                }
                items.push(v);
            }
            Level::Map { want, pairs, key } => match key.take() {
                None => *key = Some(v),
                Some(k) => {
                    if pairs.len() == pairs.capacity() {
                        grow(pairs, *want, buffered / 6, 1);
                    }
                    pairs.push((k, v));
                }
            },
            Level::Attribute { left } => *left -= 1,
        }
    }

    /// The complete aggregate; `None` for attributes.
    fn finish(self) -> Option<Value> {
        match self {
            Level::Seq { kind: Seq::Array, items, .. } => Some(Value::Array(items)),
            Level::Seq { kind: Seq::Set, items, .. } => Some(Value::Set(items)),
            Level::Seq { kind: Seq::Push, items, .. } => Some(Value::Push(items)),
            Level::Map { pairs, .. } => Some(Value::Map(pairs)),
            Level::Attribute { .. } => None,
        }
    }
}

/// Capacity for the items of an aggregate: what it announced, but never more than the bytes
/// already received could hold (`fit` items), so a forged count does not allocate memory the
/// data never fills.
fn initial_capacity(want: usize, fit: usize) -> usize {
    want.min(fit + 16)
}

/// Room for at least `need` more items: double, or what the bytes received could hold (`fit`),
/// but never past `want`, so the final capacity is exact and has no slack.
#[cold]
fn grow<T>(items: &mut Vec<T>, want: usize, fit: usize, need: usize) {
    let len = items.len();
    items.reserve_exact((want - len).min(len.max(fit + 16)).max(need));
}

enum Step {
    Incomplete,
    Value(Value),
    Open(Level),
}

/// What taking the top aggregate's bulk strings led to.
enum Progress {
    /// The aggregate is complete: here it is.
    Value(Value),
    /// An attribute is complete, and dropped.
    Dropped,
    /// Its next bulk string has not fully arrived.
    Wait,
    /// Its next value is for the general path.
    Step,
}

/// Bulk strings noted before they are split off the buffer even though the run goes on: it
/// bounds the notes (16 bytes each) to 1 MiB.
const PENDING: usize = 1 << 16;

fn err(msg: impl Into<String>) -> Error {
    Error::protocol(msg)
}

impl Decoder {
    /// A decoder with the given limits.
    pub fn new(limits: Limits) -> Decoder {
        Decoder { stack: Vec::new(), pos: 0, limits, elements: 0, charged: 0, spans: Vec::new() }
    }

    /// Capacity reserved for the innermost partial aggregate (tests of the allocation bound).
    #[cfg(test)]
    pub(super) fn partial_capacity(&self) -> usize {
        match self.stack.last() {
            Some(Level::Seq { items, .. }) => items.capacity(),
            Some(Level::Map { pairs, .. }) => pairs.capacity(),
            _ => 0,
        }
    }

    /// True when no value is partly decoded.
    pub fn is_idle(&self) -> bool {
        // Every byte parsed is charged, and the charge is cleared when a reply completes.
        self.stack.is_empty() && self.charged == 0
    }

    /// Decodes the next complete value from `buf`, consuming its bytes. `Ok(None)` means more
    /// input is needed; an error means the stream is corrupt and the connection must close.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Value>, Error> {
        // A run of bulk strings the last call left waiting for bytes goes on first.
        let mut resumed = None;
        if !self.stack.is_empty() {
            match self.complete_top(buf)? {
                Progress::Value(v) => resumed = Some(v),
                Progress::Wait => return Ok(None),
                Progress::Dropped | Progress::Step => {}
            }
        }
        'outer: loop {
            let mut value = match resumed.take() {
                Some(v) => v,
                None => match self.step(buf)? {
                    Step::Incomplete => return Ok(None),
                    Step::Value(v) => v,
                    Step::Open(level) if level.left() == 0 => match level.finish() {
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
                            Progress::Value(v) => v,
                            Progress::Wait => return Ok(None),
                            Progress::Dropped | Progress::Step => continue,
                        }
                    }
                },
            };
            loop {
                let Some(top) = self.stack.last_mut() else {
                    if self.pos > 0 {
                        buf.advance(self.pos);
                        self.pos = 0;
                    }
                    self.elements = 0;
                    self.charged = 0;
                    return Ok(Some(value));
                };
                top.push(value, buf.len() - self.pos);
                match self.complete_top(buf)? {
                    Progress::Value(v) => value = v,
                    Progress::Wait => return Ok(None),
                    // The general path, or an attribute done (dropped: it annotates the next
                    // value).
                    Progress::Dropped | Progress::Step => continue 'outer,
                }
            }
        }
    }

    /// Takes what it can of the top aggregate in the fast path; once complete, pops it.
    fn complete_top(&mut self, buf: &mut BytesMut) -> Result<Progress, Error> {
        let waits = self.bulk_run(buf)?;
        let top = self.stack.last().expect("non-empty stack");
        if top.left() > 0 {
            return Ok(if waits { Progress::Wait } else { Progress::Step });
        }
        Ok(match self.stack.pop().expect("non-empty stack").finish() {
            Some(v) => Progress::Value(v),
            None => Progress::Dropped,
        })
    }

    /// The common case of big replies (LRANGE, MGET, HGETALL): a run of complete bulk strings
    /// inside the current aggregate, parsed in a tight loop. Their places are noted, and they
    /// are split off the buffer together, as views, once the aggregate is complete, the run
    /// ends, or [`PENDING`] are noted: so a reply that arrives over many reads is split a few
    /// times, not once per read, and the read buffer stays whole and growable meanwhile.
    /// Returns true when the run waits for more bytes (its next bulk string is incomplete).
    fn bulk_run(&mut self, buf: &mut BytesMut) -> Result<bool, Error> {
        let Some(top) = self.stack.last() else { return Ok(false) };
        let mut left = top.left() - self.spans.len();
        loop {
            let (waits, noted) = self.note_bulks(buf, left.min(PENDING - self.spans.len()))?;
            left -= noted;
            if waits {
                return Ok(true);
            }
            self.flush(buf);
            if left == 0 || noted == 0 || buf.get(self.pos) != Some(&b'$') {
                return Ok(false);
            }
        }
    }

    /// Notes up to `most` complete bulk strings from `pos` on; returns whether the next one
    /// waits for more bytes, and how many were noted.
    fn note_bulks(&mut self, buf: &BytesMut, most: usize) -> Result<(bool, usize), Error> {
        let mut pos = self.pos;
        let mut waits = false;
        let mut noted = 0;
        while noted < most {
            if buf.get(pos) != Some(&b'$') {
                waits = pos >= buf.len();
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
            if i + 1 >= buf.len() && (i == buf.len() || buf[i] == b'\r') && i - pos <= 10 {
                // The header itself has not fully arrived.
                waits = true;
                break;
            }
            if i == pos + 1
                || i + 1 >= buf.len()
                || buf[i] != b'\r'
                || buf[i + 1] != b'\n'
                || n > self.limits.max_bulk_len as u64
            {
                // Negative, or unusual: the general path decides.
                break;
            }
            // Fits: it is at most `max_bulk_len`.
            let n = n as usize;
            let start = i + 2;
            let end = start + n;
            if end + 2 > buf.len() {
                // Checked at the header, before the read buffer grows for it.
                let noted_bytes = pos - self.pos;
                if self.charged.saturating_add(noted_bytes).saturating_add(end + 2 - pos)
                    > self.limits.max_reply_bytes
                {
                    return Err(self.over_budget());
                }
                waits = true;
                break;
            }
            if &buf[end..end + 2] != b"\r\n" {
                return Err(err("bulk string not terminated by CRLF"));
            }
            self.spans.push((start, end));
            noted += 1;
            pos = end + 2;
        }
        self.count(noted)?;
        self.charge(pos - self.pos)?;
        self.pos = pos;
        Ok((waits, noted))
    }

    /// Splits the noted run of bulk strings off the buffer, once, and adds them to the top
    /// aggregate as views.
    fn flush(&mut self, buf: &mut BytesMut) {
        if self.spans.is_empty() {
            return;
        }
        let frame = buf.split_to(self.pos).freeze();
        self.pos = 0;
        let top = self.stack.last_mut().expect("a run belongs to an aggregate");
        let bulks = self.spans.drain(..).map(|(start, end)| Value::Bulk(frame.slice(start..end)));
        match top {
            Level::Seq { want, items, .. } => {
                let k = bulks.len();
                if items.capacity() - items.len() < k {
                    grow(items, *want, buf.len() / 3, k);
                }
                items.extend(bulks);
            }
            _ => bulks.for_each(|v| top.push(v, buf.len())),
        }
    }

    /// The payload at `start..end` of `buf`, followed by CRLF, as a view of the buffer. The
    /// buffer loses it, its CRLF and everything parsed before it.
    fn take(&mut self, buf: &mut BytesMut, start: usize, end: usize) -> Bytes {
        if start == end {
            // An empty view would keep the read buffer alive.
            self.pos = end + 2;
            return Bytes::new();
        }
        let mut frame = buf.split_to(end + 2);
        frame.advance(start);
        frame.truncate(end - start);
        self.pos = 0;
        frame.freeze()
    }

    fn count(&mut self, n: usize) -> Result<(), Error> {
        self.elements = self.elements.saturating_add(n);
        if self.elements > self.limits.max_elements {
            return Err(err(format!("reply has more than {} values", self.limits.max_elements)));
        }
        Ok(())
    }

    /// Charges `bytes` to the reply's memory budget.
    fn charge(&mut self, bytes: usize) -> Result<(), Error> {
        self.charged = self.charged.saturating_add(bytes);
        if self.charged > self.limits.max_reply_bytes {
            return Err(self.over_budget());
        }
        Ok(())
    }

    #[cold]
    fn over_budget(&self) -> Error {
        err(format!(
            "reply needs more than {} bytes of memory (Limits::max_reply_bytes); for a trusted \
             server, raise it with Builder::limits(Limits::default().max_reply_bytes(..))",
            self.limits.max_reply_bytes
        ))
    }

    fn step(&mut self, buf: &mut BytesMut) -> Result<Step, Error> {
        // Bulk strings noted before this value come before it.
        if !self.spans.is_empty() {
            self.flush(buf);
        }
        let at = self.pos;
        let Some(&tag) = buf.get(at) else {
            return Ok(Step::Incomplete);
        };
        let Some(len) = find_line(&buf[at..], self.limits.max_line_len)? else {
            return Ok(Step::Incomplete);
        };
        let (start, end) = (at + 1, at + 1 + len);
        let next = end + 2;
        let text = &buf[start..end];
        let v = match tag {
            b'+' | b'-' | b'(' => {
                if tag == b'(' {
                    let body = text.strip_prefix(b"-").unwrap_or(text);
                    if body.is_empty() || !body.iter().all(u8::is_ascii_digit) {
                        return Err(bad_line("big number", text));
                    }
                }
                self.count(1)?;
                self.charge(next - at)?;
                let line = self.take(buf, start, end);
                return Ok(Step::Value(match tag {
                    b'+' => Value::Simple(line),
                    b'-' => Value::Error(line),
                    _ => Value::BigNumber(line),
                }));
            }
            b':' => Value::Int(parse_int(text).ok_or_else(|| bad_line("integer", text))?),
            b'_' if len == 0 => Value::Null,
            b'#' if len == 1 && (text[0] == b't' || text[0] == b'f') => Value::Bool(text[0] == b't'),
            b'_' => return Err(bad_line("null", text)),
            b'#' => return Err(bad_line("boolean", text)),
            b',' => Value::Double(parse_double(text).ok_or_else(|| bad_line("double", text))?),
            b'$' | b'!' | b'=' => return self.blob(buf, tag, at, len),
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let n = parse_int(text).ok_or_else(|| bad_line("length", text))?;
                self.count(1)?;
                if n == -1 && (tag == b'*' || tag == b'~') {
                    self.charge(next - at)?;
                    self.pos = next;
                    return Ok(Step::Value(Value::Null));
                }
                if n < 0 || n as u64 > self.limits.max_elements as u64 {
                    return Err(err(format!("aggregate length {n} is negative or above the limit")));
                }
                let n = n as usize;
                let values = if tag == b'%' || tag == b'|' { n.saturating_mul(2) } else { n };
                // Charged now, before any slot is reserved.
                self.charge((next - at).saturating_add(values.saturating_mul(size_of::<Value>())))?;
                self.pos = next;
                let buffered = buf.len() - next;
                let seq = |kind| Level::Seq {
                    kind,
                    want: n,
                    items: Vec::with_capacity(initial_capacity(n, buffered / 3)),
                };
                return Ok(Step::Open(match tag {
                    b'*' => seq(Seq::Array),
                    b'~' => seq(Seq::Set),
                    b'>' => seq(Seq::Push),
                    b'%' => Level::Map {
                        want: n,
                        pairs: Vec::with_capacity(initial_capacity(n, buffered / 6)),
                        key: None,
                    },
                    _ => Level::Attribute { left: values },
                }));
            }
            other => {
                return Err(err(format!("invalid type byte 0x{other:02x} ({:?})", other as char)));
            }
        };
        self.count(1)?;
        self.charge(next - at)?;
        self.pos = next;
        Ok(Step::Value(v))
    }

    /// `$`, `!` and `=`: a length line, then that many bytes and CRLF.
    fn blob(&mut self, buf: &mut BytesMut, tag: u8, at: usize, len: usize) -> Result<Step, Error> {
        let next = at + 1 + len + 2;
        let text = &buf[at + 1..at + 1 + len];
        let n = parse_int(text).ok_or_else(|| bad_line("length", text))?;
        if n == -1 && tag == b'$' {
            self.count(1)?;
            self.charge(next - at)?;
            self.pos = next;
            return Ok(Step::Value(Value::Null));
        }
        if n < 0 || n as u64 > self.limits.max_bulk_len as u64 {
            return Err(err(format!(
                "bulk length {n} is negative or above the limit of {} bytes",
                self.limits.max_bulk_len
            )));
        }
        let n = n as usize;
        let end = next + n;
        // Checked at the header, before any room is reserved for it; charged once complete.
        if self.charged.saturating_add(end + 2 - at) > self.limits.max_reply_bytes {
            return Err(self.over_budget());
        }
        if buf.len() < end + 2 {
            // Room for the rest, in steps, so a forged length does not allocate at once.
            buf.reserve((end + 2 - buf.len()).min(16 << 20));
            return Ok(Step::Incomplete);
        }
        if &buf[end..end + 2] != b"\r\n" {
            return Err(err("bulk string not terminated by CRLF"));
        }
        self.count(1)?;
        self.charged += end + 2 - at;
        Ok(Step::Value(match tag {
            b'$' => Value::Bulk(self.take(buf, next, end)),
            b'!' => Value::BulkError(self.take(buf, next, end)),
            _ => {
                if n < 4 || buf[next + 3] != b':' {
                    return Err(err("verbatim string without a format prefix"));
                }
                let format = [buf[next], buf[next + 1], buf[next + 2]];
                Value::Verbatim { format, text: self.take(buf, next + 4, end) }
            }
        }))
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
