//! `encoding_methods!`: the argument encoders that [`CmdBuf`](super::CmdBuf) and
//! [`ArgList`](super::ArgList) share, written once. The macro names what it uses unqualified
//! (`ArgWriter`, `Error`, `Duration` ...), so each module that invokes it imports them.

/// Encoding methods shared by [`CmdBuf`](super::CmdBuf) and [`ArgList`](super::ArgList).
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

pub(super) use encoding_methods;
