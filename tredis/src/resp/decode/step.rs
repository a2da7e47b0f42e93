//! One value from its type byte: scalars are finished at once, aggregates are opened.

use bytes::BytesMut;

use super::level::{initial_capacity, Level, Seq};
use super::scalar::{bad_line, find_line, parse_double, parse_int};
use super::{err, Decoder, Step, Value};
use crate::Error;

impl Decoder {
    pub(super) fn step(&mut self, buf: &mut BytesMut) -> Result<Step, Error> {
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
