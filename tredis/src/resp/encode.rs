//! RESP encoding: bulk strings for commands, and whole values for tests and fake servers.

use super::Value;

/// Appends `$<len>\r\n<data>\r\n`.
#[inline]
pub(crate) fn bulk(out: &mut Vec<u8>, data: &[u8]) {
    let len = data.len();
    // Most arguments are shorter than 100 bytes: a header of fixed size is a few stores,
    // where formatting the length and copying a slice of unknown size are calls.
    if len < 10 {
        out.reserve(len + 6);
        out.extend_from_slice(&[b'$', b'0' + len as u8, b'\r', b'\n']);
    } else if len < 100 {
        out.reserve(len + 7);
        out.extend_from_slice(&[b'$', b'0' + (len / 10) as u8, b'0' + (len % 10) as u8, b'\r', b'\n']);
    } else {
        let mut n = itoa::Buffer::new();
        let digits = n.format(len).as_bytes();
        out.reserve(digits.len() + len + 5);
        out.push(b'$');
        out.extend_from_slice(digits);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

use super::Protocol;

fn line(out: &mut Vec<u8>, tag: u8, body: &[u8]) {
    out.push(tag);
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n");
}

fn len_line(out: &mut Vec<u8>, tag: u8, n: usize) {
    line(out, tag, itoa::Buffer::new().format(n).as_bytes());
}

impl Value {
    /// Appends the value as a server would send it in `protocol`: in RESP2, maps become flat
    /// arrays, doubles bulk strings and booleans integers. For fake servers and tests.
    pub fn write_resp(&self, protocol: Protocol, out: &mut Vec<u8>) {
        encode_value(self, protocol == Protocol::Resp3, out);
    }
}

fn encode_value(v: &Value, three: bool, out: &mut Vec<u8>) {
    match v {
        Value::Simple(s) => line(out, b'+', s),
        Value::Error(s) => line(out, b'-', s),
        Value::Int(i) => line(out, b':', itoa::Buffer::new().format(*i).as_bytes()),
        Value::Bulk(b) => bulk(out, b),
        Value::Null if three => out.extend_from_slice(b"_\r\n"),
        Value::Null => out.extend_from_slice(b"$-1\r\n"),
        Value::Bool(b) if three => line(out, b'#', if *b { b"t" } else { b"f" }),
        Value::Bool(b) => line(out, b':', if *b { b"1" } else { b"0" }),
        Value::Double(d) => {
            let text = if d.is_infinite() {
                if *d > 0.0 {
                    "inf".to_string()
                } else {
                    "-inf".to_string()
                }
            } else if d.is_nan() {
                "nan".to_string()
            } else {
                format!("{d:?}")
            };
            if three {
                line(out, b',', text.as_bytes());
            } else {
                bulk(out, text.as_bytes());
            }
        }
        Value::BigNumber(n) if three => line(out, b'(', n),
        Value::BigNumber(n) => bulk(out, n),
        Value::BulkError(e) if three => {
            len_line(out, b'!', e.len());
            out.extend_from_slice(e);
            out.extend_from_slice(b"\r\n");
        }
        Value::BulkError(e) => line(out, b'-', e),
        Value::Verbatim { format, text } if three => {
            len_line(out, b'=', text.len() + 4);
            out.extend_from_slice(format);
            out.push(b':');
            out.extend_from_slice(text);
            out.extend_from_slice(b"\r\n");
        }
        Value::Verbatim { text, .. } => bulk(out, text),
        Value::Array(items) => {
            len_line(out, b'*', items.len());
            items.iter().for_each(|i| encode_value(i, three, out));
        }
        Value::Set(items) | Value::Push(items) => {
            let tag = match (v, three) {
                (Value::Set(_), true) => b'~',
                (Value::Push(_), true) => b'>',
                _ => b'*',
            };
            len_line(out, tag, items.len());
            items.iter().for_each(|i| encode_value(i, three, out));
        }
        Value::Map(pairs) => {
            if three {
                len_line(out, b'%', pairs.len());
            } else {
                len_line(out, b'*', pairs.len() * 2);
            }
            for (k, v) in pairs {
                encode_value(k, three, out);
                encode_value(v, three, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_bulk_string_has_its_length_in_decimal() {
        for len in [0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 65_536] {
            let data = vec![b'x'; len];
            let mut out = b"*".to_vec();
            super::bulk(&mut out, &data);
            let want = [format!("*${len}\r\n").into_bytes(), data, b"\r\n".to_vec()].concat();
            assert_eq!(out, want, "{len}");
        }
    }
}
