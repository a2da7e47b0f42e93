//! [`ArgList`]: the pre-encoded arguments of one option, kept in a request until it is encoded.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::args::{ArgSink, ArgWriter, ToArg, ToArgs};
use crate::Error;

use super::encoding_methods::encoding_methods;

/// Pre-encoded arguments of one option; empty (and unallocated) until set.
#[derive(Debug, Default)]
pub struct ArgList {
    pub(super) buf: Vec<u8>,
    pub(super) argc: u32,
    pub(super) err: Option<Error>,
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
