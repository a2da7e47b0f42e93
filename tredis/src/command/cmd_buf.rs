//! [`CmdBuf`]: the buffer a request is encoded into, and finished from.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::args::{ArgSink, ArgWriter, ToArg, ToArgs};
use crate::Error;

use super::encoding_methods::encoding_methods;
use super::spare::take_buffer;
use super::{ArgList, Blocking, Encoded};

/// Room kept at the front of a request for its `*<argc>\r\n` header, written last.
const HEADER_ROOM: usize = 16;

/// The buffer a request is encoded into.
#[derive(Debug)]
pub struct CmdBuf {
    buf: Vec<u8>,
    argc: u32,
    tail: usize,
    tail_bytes: Vec<u8>,
    err: Option<Error>,
    blocking: Blocking,
}

impl CmdBuf {
    /// Starts a request with its pre-encoded name tokens (`$3\r\nSET\r\n`).
    #[inline]
    pub fn new(name: &'static [u8], tokens: u32) -> CmdBuf {
        let mut buf = take_buffer(HEADER_ROOM + name.len() + 96);
        // A slice of known size: stores, not a call to memset.
        buf.extend_from_slice(&[0; HEADER_ROOM]);
        buf.extend_from_slice(name);
        CmdBuf { buf, argc: tokens, tail: 0, tail_bytes: Vec::new(), err: None, blocking: Blocking::No }
    }

    encoding_methods!();

    /// Appends one or many arguments; fewer than `min` items is an argument error.
    pub fn args<A: ToArgs + ?Sized>(&mut self, a: &A, min: u32, what: &'static str) {
        let mut sink = ArgSink::new(&mut self.buf, None);
        a.write_args(&mut sink);
        self.argc += sink.count();
        let (items, nan) = (sink.items(), sink.saw_nan());
        self.check_min(items, min, what);
        if nan {
            self.fail(Error::argument(format!("{what} holds a NaN, which the server rejects")));
        }
    }

    /// Like [`CmdBuf::args`], with `token` before every item (`GET p1 GET p2`).
    pub fn args_with<A: ToArgs + ?Sized>(
        &mut self,
        token: &'static [u8],
        a: &A,
        min: u32,
        what: &'static str,
    ) {
        let mut sink = ArgSink::new(&mut self.buf, Some(token));
        a.write_args(&mut sink);
        self.argc += sink.count();
        let (items, nan) = (sink.items(), sink.saw_nan());
        self.check_min(items, min, what);
        if nan {
            self.fail(Error::argument(format!("{what} holds a NaN, which the server rejects")));
        }
    }

    /// Fails the request when a repeated argument got fewer than `min` items.
    pub fn check_min(&mut self, items: u32, min: u32, what: &'static str) {
        if items < min {
            self.fail(Error::argument(format!("{what} needs at least {min} value(s), got {items}")));
        }
    }

    /// Marks the request as blocking its connection for up to `timeout` (zero: forever), so
    /// that it runs on a connection of its own.
    pub fn blocks(&mut self, timeout: Duration) {
        self.blocking = Blocking::from_timeout(timeout);
    }

    /// How many arguments were written, the name's tokens included: the index of the next.
    pub(crate) fn argc(&self) -> u32 {
        self.argc
    }

    /// Where the next argument will be written, for [`CmdBuf::written_since`].
    pub(crate) fn position(&self) -> usize {
        self.buf.len()
    }

    /// The arguments written since `position`, as bulk strings.
    pub(crate) fn written_since(&self, position: usize) -> &[u8] {
        &self.buf[position..]
    }

    /// Marks where required arguments that follow the options begin (XADD's ID, ZADD's
    /// members), so that options are inserted before them.
    pub fn mark_tail(&mut self) {
        self.tail = self.buf.len();
    }

    /// Called before options are appended.
    #[inline]
    pub fn begin_options(&mut self) {
        if self.tail != 0 {
            self.tail_bytes = self.buf.split_off(self.tail);
        }
    }

    /// Finishes the request: re-attaches the tail and writes the header in front.
    #[inline]
    pub fn finish(mut self) -> Result<Encoded, Error> {
        if let Some(e) = self.err.take() {
            return Err(e);
        }
        if !self.tail_bytes.is_empty() {
            self.buf.extend_from_slice(&self.tail_bytes);
        }
        let start = if self.argc < 10 {
            // Most commands: a header of fixed size, stored without formatting.
            let start = HEADER_ROOM - 4;
            self.buf[start..HEADER_ROOM].copy_from_slice(&[b'*', b'0' + self.argc as u8, b'\r', b'\n']);
            start
        } else {
            let mut n = itoa::Buffer::new();
            let digits = n.format(self.argc).as_bytes();
            let start = HEADER_ROOM - digits.len() - 3;
            self.buf[start] = b'*';
            self.buf[start + 1..start + 1 + digits.len()].copy_from_slice(digits);
            self.buf[HEADER_ROOM - 2..HEADER_ROOM].copy_from_slice(b"\r\n");
            start
        };
        Ok(Encoded { buf: std::mem::take(&mut self.buf), start, blocking: self.blocking })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(c: CmdBuf) -> String {
        String::from_utf8(c.finish().unwrap().as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn encodes_header_arguments_and_tail() {
        let mut c = CmdBuf::new(b"$3\r\nSET\r\n", 1);
        c.arg("k");
        c.arg(&42i64);
        assert_eq!(wire(c), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n42\r\n");

        let mut c = CmdBuf::new(b"$4\r\nZADD\r\n", 1);
        c.arg("z");
        c.mark_tail();
        c.double(1.5);
        c.arg("m");
        c.begin_options();
        c.token(b"$2\r\nNX\r\n");
        assert_eq!(wire(c), "*5\r\n$4\r\nZADD\r\n$1\r\nz\r\n$2\r\nNX\r\n$3\r\n1.5\r\n$1\r\nm\r\n");
    }

    #[test]
    fn argument_errors_are_kept_until_finish() {
        let mut c = CmdBuf::new(b"$3\r\nDEL\r\n", 1);
        c.args(&Vec::<String>::new(), 1, "keys");
        let e = c.finish().unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Argument);
        assert!(e.to_string().contains("keys needs at least 1"));

        let mut c = CmdBuf::new(b"$3\r\nSET\r\n", 1);
        c.dur_s(Duration::from_millis(1500), "EX");
        assert!(c.finish().unwrap_err().to_string().contains("whole seconds"));
    }

    #[test]
    fn floats_and_collections() {
        let mut c = CmdBuf::new(b"$1\r\nX\r\n", 1);
        c.double(f64::INFINITY);
        c.double(0.1);
        c.double(1e300);
        c.dur_fs(Duration::from_millis(2500), "timeout");
        c.dur_fs(Duration::from_secs(3), "timeout");
        c.args(&["a", "b"], 1, "k");
        c.args_with(b"$3\r\nGET\r\n", &vec!["p"], 0, "get");
        assert_eq!(
            wire(c),
            "*10\r\n$1\r\nX\r\n$4\r\n+inf\r\n$3\r\n0.1\r\n$5\r\n1e300\r\n$3\r\n2.5\r\n$1\r\n3\r\n$1\r\na\r\n$1\r\nb\r\n$3\r\nGET\r\n$1\r\np\r\n"
        );
    }
}
