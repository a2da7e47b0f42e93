//! [`Encoded`]: a finished request, the bytes that go to the socket. Its buffer goes back to the
//! thread's spare buffers when it is dropped (`spare`).

use super::Blocking;
use crate::resp::bulk;

/// A finished request: the bytes of one RESP array, ready for the socket.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub(super) buf: Vec<u8>,
    pub(super) start: usize,
    pub(super) blocking: Blocking,
}

impl Encoded {
    /// Several requests back to back, to be sent as one unit.
    pub(crate) fn concat(buf: Vec<u8>) -> Encoded {
        Encoded { buf, start: 0, blocking: Blocking::No }
    }

    /// Whether the request blocks its connection.
    #[inline]
    pub fn blocking(&self) -> Blocking {
        self.blocking
    }

    /// The wire bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// How many arguments follow the command's name (a one-word name: SUBSCRIBE ...).
    pub(crate) fn args(&self) -> usize {
        let b = self.as_bytes();
        let end = b.iter().position(|&c| c == b'\r').unwrap_or(0);
        let n: usize = std::str::from_utf8(b.get(1..end).unwrap_or_default())
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        n.saturating_sub(1)
    }

    /// The same request with argument `index` (0 is the command name) replaced, for the next
    /// page of a SCAN.
    pub(crate) fn with_arg(&self, index: usize, value: &[u8]) -> Encoded {
        let wire = self.as_bytes();
        let mut pos = wire.iter().position(|&b| b == b'\n').map_or(wire.len(), |i| i + 1);
        for _ in 0..index {
            pos = skip_bulk(wire, pos);
        }
        let end = skip_bulk(wire, pos);
        let mut buf = Vec::with_capacity(wire.len() + value.len());
        buf.extend_from_slice(&wire[..pos]);
        bulk(&mut buf, value);
        buf.extend_from_slice(&wire[end..]);
        Encoded { buf, start: 0, blocking: self.blocking }
    }
}

/// The position after the bulk string that starts at `pos` of a request we encoded ourselves.
fn skip_bulk(wire: &[u8], pos: usize) -> usize {
    let nl = wire[pos..].iter().position(|&b| b == b'\n').map_or(wire.len(), |i| pos + i);
    let len: usize =
        std::str::from_utf8(&wire[pos + 1..nl - 1]).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    (nl + 1 + len + 2).min(wire.len())
}

#[cfg(test)]
mod tests {
    use crate::command::CmdBuf;

    #[test]
    fn replaces_one_argument() {
        let mut c = CmdBuf::new(b"$4\r\nSCAN\r\n", 1);
        c.uint(0);
        c.token(b"$5\r\nCOUNT\r\n");
        c.uint(10);
        let e = c.finish().unwrap().with_arg(1, b"1234");
        assert_eq!(e.as_bytes(), b"*4\r\n$4\r\nSCAN\r\n$4\r\n1234\r\n$5\r\nCOUNT\r\n$2\r\n10\r\n");
    }
}
