//! The text after a type byte: where its line ends, integers, doubles, and the error that
//! quotes a bad one.

use super::err;
use crate::Error;

/// Length of the line after the type byte, up to CRLF; `None` when the CRLF has not arrived.
pub(super) fn find_line(buf: &[u8], max: usize) -> Result<Option<usize>, Error> {
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

pub(super) fn bad_line(what: &str, line: &[u8]) -> Error {
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
