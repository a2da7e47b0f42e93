//! Aggregates under construction: what an array, set, push, map or attribute has received so
//! far, and how much room its items get.

use super::Value;

#[derive(Debug, Clone, Copy)]
pub(super) enum Seq {
    Array,
    Set,
    Push,
}

/// An aggregate under construction.
#[derive(Debug)]
pub(super) enum Level {
    /// An array, set or push of `want` values.
    Seq { kind: Seq, want: usize, items: Vec<Value> },
    /// A map of `want` pairs; `key` waits for its value.
    Map { want: usize, pairs: Vec<(Value, Value)>, key: Option<Value> },
    /// An attribute: its values are counted and dropped (it annotates the next value).
    Attribute { left: usize },
}

impl Level {
    /// Values still to come.
    pub(super) fn left(&self) -> usize {
        match self {
            Level::Seq { want, items, .. } => want - items.len(),
            Level::Map { want, pairs, key } => 2 * (want - pairs.len()) - usize::from(key.is_some()),
            Level::Attribute { left } => *left,
        }
    }

    /// Adds the next value; `buffered` bytes wait to be parsed.
    pub(super) fn push(&mut self, v: Value, buffered: usize) {
        match self {
            Level::Seq { want, items, .. } => {
                if items.len() == items.capacity() {
                    grow(items, *want, buffered / 3, 1);
                }
                items.push(v);
            }
            Level::Map { want, pairs, key } => match key.take() {
                None => *key = Some(v),
                Some(k) => {
                    if pairs.len() == pairs.capacity() {
                        grow(pairs, *want, buffered / 6, 1);
                    }
                    pairs.push((k, v));
                }
            },
            Level::Attribute { left } => *left -= 1,
        }
    }

    /// The complete aggregate; `None` for attributes.
    pub(super) fn finish(self) -> Option<Value> {
        match self {
            Level::Seq { kind: Seq::Array, items, .. } => Some(Value::Array(items)),
            Level::Seq { kind: Seq::Set, items, .. } => Some(Value::Set(items)),
            Level::Seq { kind: Seq::Push, items, .. } => Some(Value::Push(items)),
            Level::Map { pairs, .. } => Some(Value::Map(pairs)),
            Level::Attribute { .. } => None,
        }
    }
}

/// Capacity for the items of an aggregate: what it announced, but never more than the bytes
/// already received could hold (`fit` items), so a forged count does not allocate memory the
/// data never fills.
pub(super) fn initial_capacity(want: usize, fit: usize) -> usize {
    want.min(fit + 16)
}

/// Room for at least `need` more items: double, or what the bytes received could hold (`fit`),
/// but never past `want`, so the final capacity is exact and has no slack.
#[cold]
pub(super) fn grow<T>(items: &mut Vec<T>, want: usize, fit: usize, need: usize) {
    let len = items.len();
    items.reserve_exact((want - len).min(len.max(fit + 16)).max(need));
}
