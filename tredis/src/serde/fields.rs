//! [`Fields`]: a struct or map serialized into field and value arguments, and [`FieldArg`],
//! one of them. The text of every field lives in one buffer; numbers are kept as numbers and
//! written by [`ArgWriter`] like any other numeric argument.

use bytes::Bytes;

use crate::args::{ArgSink, ArgWriter, ToArg, ToArgs, Written};

/// One argument of [`Fields`], before it is written.
#[derive(Debug, Clone, Copy)]
pub(super) enum Slot {
    /// A struct field's name or a unit variant's, as the type spells it.
    Name(&'static str),
    /// `start..end` of the text buffer.
    Text(usize, usize),
    Int(i64),
    UInt(u64),
    /// Never NaN: the serializer refuses it.
    Double(f64),
}

/// Field and value arguments, made from a struct or map by [`to_fields`](super::to_fields).
///
/// Pass it (or a reference to it, to send it again) where a command takes field and value
/// pairs (HSET, XADD), or where it takes any number of arguments, as the flat list `field,
/// value, field, value ...`.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    text: Bytes,
    pairs: Vec<(Slot, Slot)>,
}

impl Fields {
    /// How many field and value pairs there are.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there is none (a struct whose fields were all `None`).
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The pairs, in the struct's field order (a map's iteration order).
    pub fn iter(&self) -> Iter<'_> {
        Iter { text: &self.text, pairs: self.pairs.iter() }
    }
}

/// Where [`to_fields`](super::to_fields) collects the pairs.
#[derive(Default)]
pub(super) struct Builder {
    text: Vec<u8>,
    pairs: Vec<(Slot, Slot)>,
}

impl Builder {
    /// Stores `b` in the text buffer.
    pub(super) fn text(&mut self, b: &[u8]) -> Slot {
        let start = self.text.len();
        self.text.extend_from_slice(b);
        Slot::Text(start, self.text.len())
    }

    /// Room for `n` more pairs.
    pub(super) fn reserve(&mut self, n: usize) {
        self.pairs.reserve(n);
    }

    pub(super) fn push(&mut self, field: Slot, value: Slot) {
        self.pairs.push((field, value));
    }

    /// The text of `slot`, to name a field in an error.
    pub(super) fn shown(&self, slot: Slot) -> String {
        match slot {
            Slot::Name(n) => n.to_string(),
            Slot::Text(s, e) => String::from_utf8_lossy(&self.text[s..e]).into_owned(),
            Slot::Int(i) => i.to_string(),
            Slot::UInt(u) => u.to_string(),
            Slot::Double(d) => format!("{d:?}"),
        }
    }

    pub(super) fn finish(self) -> Fields {
        Fields { text: Bytes::from(self.text), pairs: self.pairs }
    }
}

/// One field name or value of [`Fields`]; an argument like any other.
#[derive(Debug, Clone)]
pub struct FieldArg(Repr);

#[derive(Debug, Clone)]
enum Repr {
    Name(&'static str),
    Bytes(Bytes),
    Int(i64),
    UInt(u64),
    Double(f64),
}

impl FieldArg {
    fn new(text: &Bytes, slot: Slot) -> FieldArg {
        FieldArg(match slot {
            Slot::Name(n) => Repr::Name(n),
            // A view of the shared buffer, not a copy.
            Slot::Text(s, e) => Repr::Bytes(text.slice(s..e)),
            Slot::Int(i) => Repr::Int(i),
            Slot::UInt(u) => Repr::UInt(u),
            Slot::Double(d) => Repr::Double(d),
        })
    }
}

impl ToArg for FieldArg {
    fn write_arg(&self, out: ArgWriter<'_>) -> Written {
        match &self.0 {
            Repr::Name(n) => out.bytes(n.as_bytes()),
            Repr::Bytes(b) => out.bytes(b),
            Repr::Int(i) => out.int(*i),
            Repr::UInt(u) => out.uint(*u),
            Repr::Double(d) => out.double(*d),
        }
    }
}

/// The flat list `field, value, field, value ...`.
impl ToArgs for Fields {
    fn write_args(&self, out: &mut ArgSink<'_>) {
        for (field, value) in self {
            out.push(&field);
            out.push(&value);
        }
    }
}

/// The pairs of borrowed [`Fields`].
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    text: &'a Bytes,
    pairs: std::slice::Iter<'a, (Slot, Slot)>,
}

impl Iterator for Iter<'_> {
    type Item = (FieldArg, FieldArg);

    fn next(&mut self) -> Option<Self::Item> {
        let &(f, v) = self.pairs.next()?;
        Some((FieldArg::new(self.text, f), FieldArg::new(self.text, v)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.pairs.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// The pairs of owned [`Fields`].
#[derive(Debug)]
pub struct IntoIter {
    text: Bytes,
    pairs: std::vec::IntoIter<(Slot, Slot)>,
}

impl Iterator for IntoIter {
    type Item = (FieldArg, FieldArg);

    fn next(&mut self) -> Option<Self::Item> {
        let (f, v) = self.pairs.next()?;
        Some((FieldArg::new(&self.text, f), FieldArg::new(&self.text, v)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.pairs.size_hint()
    }
}

impl ExactSizeIterator for IntoIter {}

impl<'a> IntoIterator for &'a Fields {
    type Item = (FieldArg, FieldArg);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl IntoIterator for Fields {
    type Item = (FieldArg, FieldArg);
    type IntoIter = IntoIter;

    fn into_iter(self) -> IntoIter {
        IntoIter { text: self.text, pairs: self.pairs.into_iter() }
    }
}
