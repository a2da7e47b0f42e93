//! What a generated request is made of: the [`Command`] trait, its static [`CommandInfo`], and
//! the buffers that encode arguments ([`CmdBuf`], [`ArgList`]) into a finished [`Encoded`].
//!
//! Required arguments are encoded when the method is called; options are kept typed in the
//! request and encoded, in spec order, by [`Command::encode`]. A request is encoded exactly
//! once, into the buffer that is then written to the socket.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::args::{ArgSink, ArgWriter, ToArg, ToArgs};
use crate::reply::Decode;
use crate::resp::bulk;
use crate::Error;

/// A request the generator made: how to encode it and how to decode its reply.
pub trait Command {
    /// The reply decoder.
    type Reply: Decode;
    /// Name, flags, key positions and tips, from the server's COMMAND INFO.
    const INFO: &'static CommandInfo;
    /// Encodes the request, or returns the argument error found before sending.
    fn encode(self) -> Result<Encoded, Error>;
}

/// Static facts about a command.
#[derive(Debug)]
pub struct CommandInfo {
    /// Server tokens: `SET`, `CLIENT KILL`.
    pub name: &'static str,
    /// Server command flags.
    pub flags: Flags,
    /// Where its keys are.
    pub key_specs: &'static [KeySpec],
    /// Server tips (`request_policy:all_shards` ...).
    pub tips: &'static [&'static str],
}

impl CommandInfo {
    /// Whether the command only reads, so that a replica may serve it.
    #[inline]
    pub(crate) fn reads_only(&self) -> bool {
        self.flags.contains(Flags::READONLY) && !self.flags.contains(Flags::WRITE)
    }
}

/// Command flags reported by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags(u32);

impl Flags {
    /// No flags.
    pub const NONE: Flags = Flags(0);
    /// May modify data.
    pub const WRITE: Flags = Flags(1);
    /// Only reads data.
    pub const READONLY: Flags = Flags(1 << 1);
    /// May use more memory.
    pub const DENYOOM: Flags = Flags(1 << 2);
    /// Administrative.
    pub const ADMIN: Flags = Flags(1 << 3);
    /// Pub/sub.
    pub const PUBSUB: Flags = Flags(1 << 4);
    /// Not allowed in scripts.
    pub const NOSCRIPT: Flags = Flags(1 << 5);
    /// May block the connection.
    pub const BLOCKING: Flags = Flags(1 << 6);
    /// Allowed while the server loads its data.
    pub const LOADING: Flags = Flags(1 << 7);
    /// Allowed on a stale replica.
    pub const STALE: Flags = Flags(1 << 8);
    /// Constant or log time.
    pub const FAST: Flags = Flags(1 << 9);
    /// Not allowed inside MULTI.
    pub const NO_MULTI: Flags = Flags(1 << 10);
    /// Key positions depend on the arguments.
    pub const MOVABLE_KEYS: Flags = Flags(1 << 11);
    /// Allowed before authentication.
    pub const NO_AUTH: Flags = Flags(1 << 12);
    /// May replicate even when read-only.
    pub const MAY_REPLICATE: Flags = Flags(1 << 13);
    /// Succeeds by closing the connection without a reply (SHUTDOWN).
    pub const CLOSES_CONNECTION: Flags = Flags(1 << 14);
    /// Counts the writes of the connection it arrives on (WAIT, WAITAOF): it is sent on a
    /// connection of its own right after [`OFFSET_PROBE`], a write-free command that brings that
    /// connection's replication offset up to date, so that it counts every write acknowledged
    /// before it, whichever connection carried it.
    pub const SYNCS_OFFSET: Flags = Flags(1 << 15);
    /// Cannot run on a cluster, which has database 0 only (MOVE, SWAPDB): refused before
    /// anything is sent.
    pub const REFUSED_IN_CLUSTER: Flags = Flags(1 << 16);
    /// All or nothing over its keys (MSETNX): never split by slot, whatever the server's tips
    /// say, as the parts could succeed apart.
    pub const NEVER_SPLIT: Flags = Flags(1 << 17);

    /// Flags from their bits.
    pub const fn from_bits(bits: u32) -> Flags {
        Flags(bits)
    }

    /// The bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// True when every flag of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

/// What precedes a [`Flags::SYNCS_OFFSET`] command: a PUBLISH to a channel of tredis's own. The
/// server's per-connection offset (`woff`) rises only with a command that propagates (Redis 7.2
/// and Valkey; up to 7.0 any command raised it), and PUBLISH propagates without touching a key.
pub const OFFSET_PROBE: &[u8] = b"*3\r\n$7\r\nPUBLISH\r\n$15\r\n__tredis__:wait\r\n$0\r\n\r\n";

/// A key spec from COMMAND INFO: where the key search begins and how keys are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// Where to begin.
    pub begin: BeginSearch,
    /// How to find the keys from there.
    pub find: FindKeys,
}

/// Where a key search begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeginSearch {
    /// At this argument index (1 is the first argument after the command name).
    Index(u32),
    /// After this keyword, searched from this index (negative: from the end).
    Keyword(&'static str, i32),
    /// Only the server knows.
    Unknown,
}

/// How keys are found once the search began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindKeys {
    /// A range: the last key relative to the start (negative: from the end), a step, and a
    /// limit that divides the rest (`XREAD STREAMS` has limit 2).
    Range {
        /// Index of the last key.
        last: i32,
        /// Distance between keys.
        step: u32,
        /// Divisor of the remaining arguments, when `last` is -1.
        limit: u32,
    },
    /// The key count is an argument.
    Keynum {
        /// Index of the count.
        index: u32,
        /// Index of the first key.
        first: u32,
        /// Distance between keys.
        step: u32,
    },
    /// Only the server knows.
    Unknown,
}

/// Whether a command blocks the connection it runs on, and for how long at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Blocking {
    /// It answers at once.
    #[default]
    No,
    /// It may block for up to this long (BLPOP 2, WAIT 1 500 ...).
    For(Duration),
    /// It may block until something happens (a timeout of 0).
    Forever,
}

impl Blocking {
    /// The blocking of a timeout argument, where zero means forever.
    pub fn from_timeout(d: Duration) -> Blocking {
        if d.is_zero() {
            Blocking::Forever
        } else {
            Blocking::For(d)
        }
    }
}

/// A finished request: the bytes of one RESP array, ready for the socket.
#[derive(Debug, Clone)]
pub struct Encoded {
    buf: Vec<u8>,
    start: usize,
    blocking: Blocking,
}

/// Requests up to this size give their buffer back for the next request of the thread.
const SPARE_MAX_BYTES: usize = 4096;
/// Bytes of spare buffers kept per thread: enough for a pipeline of a few thousand commands.
const SPARE_MAX_TOTAL: usize = 512 << 10;

/// Buffers of finished requests, and their total capacity.
struct Spare {
    buffers: Vec<Vec<u8>>,
    bytes: usize,
}

std::thread_local! {
    /// Buffers of finished requests, reused by the next ones: once warm, encoding a command
    /// allocates nothing.
    static SPARE: std::cell::RefCell<Spare> = const { std::cell::RefCell::new(Spare { buffers: Vec::new(), bytes: 0 }) };
}

/// An empty buffer of at least `capacity` bytes, recycled when possible.
#[inline]
fn take_buffer(capacity: usize) -> Vec<u8> {
    let spare = SPARE
        .try_with(|s| {
            let mut s = s.borrow_mut();
            let b = s.buffers.pop()?;
            s.bytes -= b.capacity();
            Some(b)
        })
        .ok()
        .flatten();
    match spare {
        Some(mut b) => {
            b.reserve(capacity);
            b
        }
        None => Vec::with_capacity(capacity),
    }
}

impl Drop for Encoded {
    #[inline]
    fn drop(&mut self) {
        let cap = self.buf.capacity();
        if cap > SPARE_MAX_BYTES || cap == 0 {
            return;
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let _ = SPARE.try_with(|s| {
            let mut s = s.borrow_mut();
            if s.bytes + cap <= SPARE_MAX_TOTAL {
                s.bytes += cap;
                s.buffers.push(buf);
            }
        });
    }
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

/// Room kept at the front of a request for its `*<argc>\r\n` header, written last.
const HEADER_ROOM: usize = 16;

/// Encoding methods shared by [`CmdBuf`] and [`ArgList`].
macro_rules! encoding_methods {
    () => {
        /// Appends a pre-encoded token (`$2\r\nNX\r\n`).
        #[inline]
        pub fn token(&mut self, encoded: &'static [u8]) {
            self.buf.extend_from_slice(encoded);
            self.argc += 1;
        }

        /// Appends one argument.
        #[inline]
        pub fn arg<A: ToArg + ?Sized>(&mut self, a: &A) {
            let mut nan = false;
            a.write_arg(ArgWriter::checked(&mut self.buf, &mut nan));
            self.argc += 1;
            if nan {
                self.fail(Error::argument("a float argument is NaN, which the server rejects"));
            }
        }

        /// Appends a float argument; NaN fails the request before sending.
        #[inline]
        pub fn double_arg(&mut self, v: f64, what: &'static str) {
            if v.is_nan() {
                self.fail(Error::argument(format!("{what} is NaN, which the server rejects")));
            }
            self.double(v);
        }

        /// Appends a score bound.
        pub fn score_bound(&mut self, b: crate::args::ScoreBound, what: &'static str) {
            let mut tmp = Vec::with_capacity(32);
            if let Err(e) = b.write(&mut tmp) {
                self.fail(Error::argument(format!("{what}: {e}")));
            }
            ArgWriter::new(&mut self.buf).bytes(&tmp);
            self.argc += 1;
        }

        /// Appends a lexical bound.
        pub fn lex_bound(&mut self, b: crate::args::LexBound, _what: &'static str) {
            let mut tmp = Vec::with_capacity(32);
            b.write(&mut tmp);
            ArgWriter::new(&mut self.buf).bytes(&tmp);
            self.argc += 1;
        }

        /// Appends a ZRANGE bound.
        pub fn range_bound(&mut self, b: crate::args::RangeBound, what: &'static str) {
            match b {
                crate::args::RangeBound::Index(i) => self.int(i),
                crate::args::RangeBound::Score(s) => self.score_bound(s, what),
                crate::args::RangeBound::Lex(l) => self.lex_bound(l, what),
            }
        }

        /// Appends a signed integer.
        #[inline]
        pub fn int(&mut self, v: i64) {
            ArgWriter::new(&mut self.buf).int(v);
            self.argc += 1;
        }

        /// Appends an unsigned integer.
        #[inline]
        pub fn uint(&mut self, v: u64) {
            ArgWriter::new(&mut self.buf).uint(v);
            self.argc += 1;
        }

        /// Appends a float.
        #[inline]
        pub fn double(&mut self, v: f64) {
            ArgWriter::new(&mut self.buf).double(v);
            self.argc += 1;
        }

        /// Appends `yes` or `no`.
        pub fn yesno(&mut self, v: bool) {
            self.token(if v { b"$3\r\nyes\r\n" } else { b"$2\r\nno\r\n" });
        }

        /// Appends a duration as whole seconds; a fraction is an argument error, not a silent
        /// truncation.
        pub fn dur_s(&mut self, d: Duration, what: &'static str) {
            if d.subsec_nanos() != 0 {
                self.fail(Error::argument(format!(
                    "{what} takes whole seconds, got {d:?}; use the millisecond form"
                )));
            }
            self.uint(d.as_secs());
        }

        /// Appends a duration as whole milliseconds.
        pub fn dur_ms(&mut self, d: Duration, what: &'static str) {
            if d.subsec_nanos() % 1_000_000 != 0 {
                self.fail(Error::argument(format!("{what} takes whole milliseconds, got {d:?}")));
            }
            self.uint(d.as_millis().min(u128::from(u64::MAX)) as u64);
        }

        /// Appends a duration as decimal seconds with at most millisecond precision (BLPOP's
        /// timeout).
        pub fn dur_fs(&mut self, d: Duration, what: &'static str) {
            if d.subsec_nanos() % 1_000_000 != 0 {
                self.fail(Error::argument(format!("{what} takes at most millisecond precision, got {d:?}")));
            }
            let ms = d.subsec_millis();
            if ms == 0 {
                self.uint(d.as_secs());
                return;
            }
            let mut tmp = [0u8; 32];
            let secs = itoa::Buffer::new().format(d.as_secs()).len();
            tmp[..secs].copy_from_slice(itoa::Buffer::new().format(d.as_secs()).as_bytes());
            tmp[secs] = b'.';
            let frac = [b'0' + (ms / 100) as u8, b'0' + (ms / 10 % 10) as u8, b'0' + (ms % 10) as u8];
            let keep = 3 - frac.iter().rev().take_while(|&&b| b == b'0').count();
            tmp[secs + 1..secs + 1 + keep].copy_from_slice(&frac[..keep]);
            ArgWriter::new(&mut self.buf).bytes(&tmp[..secs + 1 + keep]);
            self.argc += 1;
        }

        /// Appends a point in time as Unix seconds (the fraction is dropped).
        pub fn unix_s(&mut self, t: SystemTime, what: &'static str) {
            match t.duration_since(UNIX_EPOCH) {
                Ok(d) => self.uint(d.as_secs()),
                Err(_) => {
                    self.fail(Error::argument(format!("{what} is before the Unix epoch")));
                    self.uint(0);
                }
            }
        }

        /// Appends a point in time as Unix milliseconds (the fraction is dropped).
        pub fn unix_ms(&mut self, t: SystemTime, what: &'static str) {
            match t.duration_since(UNIX_EPOCH) {
                Ok(d) => self.uint(d.as_millis().min(u128::from(u64::MAX)) as u64),
                Err(_) => {
                    self.fail(Error::argument(format!("{what} is before the Unix epoch")));
                    self.uint(0);
                }
            }
        }

        /// Appends pre-encoded arguments.
        pub fn raw(&mut self, list: &ArgList) {
            self.buf.extend_from_slice(&list.buf);
            self.argc += list.argc;
            if let Some(e) = &list.err {
                self.fail(e.duplicate());
            }
        }

        /// Records an argument error; the request then fails without being sent.
        pub fn fail(&mut self, e: Error) {
            if self.err.is_none() {
                self.err = Some(e);
            }
        }
    };
}

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
        buf.resize(HEADER_ROOM, 0);
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
        let mut n = itoa::Buffer::new();
        let digits = n.format(self.argc).as_bytes();
        let start = HEADER_ROOM - digits.len() - 3;
        self.buf[start] = b'*';
        self.buf[start + 1..start + 1 + digits.len()].copy_from_slice(digits);
        self.buf[HEADER_ROOM - 2..HEADER_ROOM].copy_from_slice(b"\r\n");
        Ok(Encoded { buf: std::mem::take(&mut self.buf), start, blocking: self.blocking })
    }
}

/// Pre-encoded arguments of one option; empty (and unallocated) until set.
#[derive(Debug, Default)]
pub struct ArgList {
    buf: Vec<u8>,
    argc: u32,
    err: Option<Error>,
}

impl Clone for ArgList {
    fn clone(&self) -> Self {
        ArgList { buf: self.buf.clone(), argc: self.argc, err: self.err.as_ref().map(Error::duplicate) }
    }
}

impl ArgList {
    /// An empty list.
    pub const fn new() -> ArgList {
        ArgList { buf: Vec::new(), argc: 0, err: None }
    }

    /// A list of one argument.
    pub fn one<A: ToArg + ?Sized>(a: &A) -> ArgList {
        let mut l = ArgList::new();
        l.arg(a);
        l
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.argc == 0
    }

    /// How many arguments were added.
    pub fn count(&self) -> u32 {
        self.argc
    }

    /// Adds one or many arguments, each after `prefix` when given.
    pub fn extend<A: ToArgs + ?Sized>(&mut self, prefix: Option<&'static [u8]>, a: &A) {
        let mut sink = ArgSink::new(&mut self.buf, prefix);
        a.write_args(&mut sink);
        self.argc += sink.count();
        if sink.saw_nan() {
            self.fail(Error::argument("a float argument is NaN, which the server rejects"));
        }
    }

    encoding_methods!();
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
