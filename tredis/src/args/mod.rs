//! How Rust values become command arguments: [`ToArg`] for one argument, [`ToArgs`] for one
//! or many, and the key-only variants [`ToKey`] and [`ToKeys`].
//!
//! Every argument is written straight into the request's buffer as one RESP bulk string; no
//! argument is first collected into a `Vec` of its own.

mod bounds;

pub use bounds::{LexBound, RangeBound, ScoreBound};

use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet, VecDeque};
use std::rc::Rc;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::resp::bulk;

/// Writes exactly one argument; handed to [`ToArg::write_arg`].
pub struct ArgWriter<'a> {
    buf: &'a mut Vec<u8>,
    nan: Option<&'a mut bool>,
}

/// Proof that an [`ArgWriter`] wrote its one argument.
pub struct Written(());

impl<'a> ArgWriter<'a> {
    pub(crate) fn new(buf: &'a mut Vec<u8>) -> Self {
        ArgWriter { buf, nan: None }
    }

    /// A writer that records a NaN float in `nan` (the server rejects NaN everywhere).
    pub(crate) fn checked(buf: &'a mut Vec<u8>, nan: &'a mut bool) -> Self {
        ArgWriter { buf, nan: Some(nan) }
    }

    /// Writes binary-safe bytes.
    #[inline]
    pub fn bytes(self, data: &[u8]) -> Written {
        bulk(self.buf, data);
        Written(())
    }

    /// Writes a signed integer in decimal.
    #[inline]
    pub fn int(self, v: i64) -> Written {
        self.bytes(itoa::Buffer::new().format(v).as_bytes())
    }

    /// Writes an unsigned integer in decimal.
    #[inline]
    pub fn uint(self, v: u64) -> Written {
        self.bytes(itoa::Buffer::new().format(v).as_bytes())
    }

    /// Writes a float the way the server parses it: shortest round-trip decimal, `+inf`/`-inf`.
    pub fn double(self, v: f64) -> Written {
        if v.is_nan() {
            if let Some(flag) = self.nan {
                *flag = true;
            }
            return Written(());
        }
        if v.is_infinite() {
            return self.bytes(if v > 0.0 { b"+inf" } else { b"-inf" });
        }
        let mut tmp = [0u8; 32];
        let mut cursor = std::io::Cursor::new(&mut tmp[..]);
        // The Debug form is the shortest that round-trips and uses an exponent for extremes.
        let _ = std::io::Write::write_fmt(&mut cursor, format_args!("{v:?}"));
        let n = cursor.position() as usize;
        self.bytes(&tmp[..n])
    }
}

/// A value that is one command argument.
///
/// Implemented for strings, bytes and numbers. Implement it for your own types by writing them
/// through the [`ArgWriter`]:
///
/// ```
/// use tredis::args::{ArgWriter, ToArg, Written};
///
/// struct UserId(u32);
///
/// impl ToArg for UserId {
///     fn write_arg(&self, out: ArgWriter<'_>) -> Written {
///         out.uint(u64::from(self.0))
///     }
/// }
/// ```
pub trait ToArg {
    /// Writes the value as one argument.
    fn write_arg(&self, out: ArgWriter<'_>) -> Written;
}

/// A value that names a key. Numbers are arguments but not keys.
pub trait ToKey: ToArg {}

impl<T: ToArg + ?Sized> ToArg for &T {
    #[inline]
    fn write_arg(&self, out: ArgWriter<'_>) -> Written {
        (**self).write_arg(out)
    }
}

impl<T: ToKey + ?Sized> ToKey for &T {}

macro_rules! bytes_like {
    ($($t:ty => |$s:ident| $e:expr;)*) => {$(
        impl ToArg for $t {
            #[inline]
            fn write_arg(&self, out: ArgWriter<'_>) -> Written {
                let $s = self;
                out.bytes($e)
            }
        }
        impl ToKey for $t {}
        impl ToArgs for $t {
            #[inline]
            fn write_args(&self, out: &mut ArgSink<'_>) {
                out.push(self);
            }
        }
        impl ToKeys for $t {}
    )*};
}

bytes_like! {
    str => |s| s.as_bytes();
    String => |s| s.as_bytes();
    [u8] => |s| s;
    Vec<u8> => |s| s;
    Bytes => |s| s;
    BytesMut => |s| s;
    Box<str> => |s| s.as_bytes();
    Box<[u8]> => |s| s;
    Arc<str> => |s| s.as_bytes();
    Rc<str> => |s| s.as_bytes();
    Cow<'_, str> => |s| s.as_bytes();
    Cow<'_, [u8]> => |s| s;
}

impl<const N: usize> ToArg for [u8; N] {
    fn write_arg(&self, out: ArgWriter<'_>) -> Written {
        out.bytes(self)
    }
}

impl<const N: usize> ToKey for [u8; N] {}

macro_rules! numbers {
    ($method:ident: $($t:ty),*) => {$(
        impl ToArg for $t {
            #[inline]
            fn write_arg(&self, out: ArgWriter<'_>) -> Written {
                out.$method((*self).into())
            }
        }
        impl ToArgs for $t {
            #[inline]
            fn write_args(&self, out: &mut ArgSink<'_>) {
                out.push(self);
            }
        }
    )*};
}

numbers!(int: i8, i16, i32, i64);
numbers!(uint: u16, u32, u64);
numbers!(double: f32, f64);

impl ToArg for isize {
    fn write_arg(&self, out: ArgWriter<'_>) -> Written {
        out.int(*self as i64)
    }
}

impl ToArg for usize {
    fn write_arg(&self, out: ArgWriter<'_>) -> Written {
        out.uint(*self as u64)
    }
}

/// Collects the arguments of one repeated parameter.
pub struct ArgSink<'a> {
    buf: &'a mut Vec<u8>,
    prefix: Option<&'static [u8]>,
    count: u32,
    nan: bool,
}

impl<'a> ArgSink<'a> {
    pub(crate) fn new(buf: &'a mut Vec<u8>, prefix: Option<&'static [u8]>) -> Self {
        ArgSink { buf, prefix, count: 0, nan: false }
    }

    /// Adds one argument (after the parameter's token, when it repeats per item).
    #[inline]
    pub fn push<A: ToArg + ?Sized>(&mut self, arg: &A) {
        if let Some(p) = self.prefix {
            self.buf.extend_from_slice(p);
            self.count += 1;
        }
        arg.write_arg(ArgWriter::checked(self.buf, &mut self.nan));
        self.count += 1;
    }

    /// True when a float was NaN (and was left out).
    pub(crate) fn saw_nan(&self) -> bool {
        self.nan
    }

    /// How many RESP arguments were written (tokens included).
    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// How many items were pushed.
    pub(crate) fn items(&self) -> u32 {
        if self.prefix.is_some() {
            self.count / 2
        } else {
            self.count
        }
    }
}

/// One argument or many: a string, a number, or a collection of them.
///
/// `client.del("k")` and `client.del(["a", "b"])` both work.
pub trait ToArgs {
    /// Writes every argument into `out`.
    fn write_args(&self, out: &mut ArgSink<'_>);
}

/// One key or many.
pub trait ToKeys: ToArgs {}

impl<T: ToArgs + ?Sized> ToArgs for &T {
    fn write_args(&self, out: &mut ArgSink<'_>) {
        (**self).write_args(out)
    }
}

impl<T: ToKeys + ?Sized> ToKeys for &T {}

macro_rules! collections {
    ($($t:ty),*) => {$(
        impl<T: ToArg> ToArgs for $t {
            fn write_args(&self, out: &mut ArgSink<'_>) {
                for item in self.iter() {
                    out.push(item);
                }
            }
        }
        impl<T: ToKey> ToKeys for $t {}
    )*};
}

collections!([T], Vec<T>, VecDeque<T>, BTreeSet<T>);

impl<T: ToArg, const N: usize> ToArgs for [T; N] {
    fn write_args(&self, out: &mut ArgSink<'_>) {
        for item in self {
            out.push(item);
        }
    }
}

impl<T: ToKey, const N: usize> ToKeys for [T; N] {}

impl<T: ToArg, S> ToArgs for HashSet<T, S> {
    fn write_args(&self, out: &mut ArgSink<'_>) {
        for item in self {
            out.push(item);
        }
    }
}

impl<T: ToKey, S> ToKeys for HashSet<T, S> {}

/// No arguments at all: `client.eval("return 1", (), ())`.
impl ToArgs for () {
    fn write_args(&self, _: &mut ArgSink<'_>) {}
}

impl ToKeys for () {}

/// Any iterator of arguments, for collections without their own impl:
/// `client.del(tredis::args::each(names.iter().filter(|n| n.starts_with("tmp:"))))`.
pub fn each<I>(items: I) -> Each<I> {
    Each(std::cell::Cell::new(Some(items)))
}

/// Arguments from an iterator; made by [`each`]. Its items are consumed on first use.
pub struct Each<I>(std::cell::Cell<Option<I>>);

impl<I> ToArgs for Each<I>
where
    I: IntoIterator,
    I::Item: ToArg,
{
    fn write_args(&self, out: &mut ArgSink<'_>) {
        if let Some(items) = self.0.take() {
            for item in items {
                out.push(&item);
            }
        }
    }
}

impl<I> ToKeys for Each<I>
where
    I: IntoIterator,
    I::Item: ToKey,
{
}
