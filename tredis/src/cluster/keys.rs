//! The keys of an encoded request, found with the command's key specs from COMMAND INFO, and
//! the slot they hash to. Nothing is allocated: the request is walked in place.

use super::slots::slot;
use crate::command::{BeginSearch, CommandInfo, FindKeys};

/// The arguments of a request we encoded ourselves (`*N` then `$len` bulk strings).
#[derive(Clone, Copy)]
pub(crate) struct Args<'a> {
    wire: &'a [u8],
    /// Offset of the first bulk string.
    start: usize,
    /// Arguments, the command name included.
    pub argc: usize,
}

impl<'a> Args<'a> {
    /// The arguments of one request.
    pub(crate) fn of(wire: &'a [u8]) -> Option<Args<'a>> {
        let nl = wire.iter().position(|&b| b == b'\n')?;
        let argc = parse_len(wire.get(1..nl.checked_sub(1)?)?)?;
        Some(Args { wire, start: nl + 1, argc })
    }

    /// Every argument in order, from the command name on.
    pub(crate) fn iter(self) -> impl Iterator<Item = &'a [u8]> {
        let mut pos = self.start;
        let wire = self.wire;
        (0..self.argc).map_while(move |_| {
            let nl = pos + wire.get(pos..)?.iter().position(|&b| b == b'\n')?;
            let len = parse_len(wire.get(pos + 1..nl.checked_sub(1)?)?)?;
            let arg = wire.get(nl + 1..nl + 1 + len)?;
            pos = nl + 1 + len + 2;
            Some(arg)
        })
    }

    /// The length in bytes of the whole request, to find the next one of a batch.
    pub(crate) fn byte_len(self) -> usize {
        let last = self.iter().last().map_or(self.start, |a| {
            // Every argument is a slice of `wire`: its end is where its `\r\n` starts.
            a.as_ptr() as usize - self.wire.as_ptr() as usize + a.len() + 2
        });
        last.min(self.wire.len())
    }

    /// Argument `i` (0 is the command name).
    pub(crate) fn get(self, i: usize) -> Option<&'a [u8]> {
        self.iter().nth(i)
    }
}

fn parse_len(digits: &[u8]) -> Option<usize> {
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Keys at `first`, `first + step` ... up to `last` (argument indexes, inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Progression {
    first: usize,
    last: usize,
    step: usize,
}

impl Progression {
    fn contains(self, i: usize) -> bool {
        i >= self.first && i <= self.last && (i - self.first) % self.step == 0
    }
}

/// Where the keys of one key spec are in `args`; `None` when only the server knows.
fn progression(spec: &crate::command::KeySpec, args: Args<'_>) -> Option<Option<Progression>> {
    let argc = args.argc;
    let begin = match spec.begin {
        BeginSearch::Index(i) => i as usize,
        BeginSearch::Keyword(word, from) => {
            let from =
                if from >= 0 { from as usize } else { argc.checked_sub(from.unsigned_abs() as usize)? };
            let found = if spec_from_end(spec) {
                args.iter()
                    .enumerate()
                    .take(from + 1)
                    .skip(1)
                    .filter(|(_, a)| a.eq_ignore_ascii_case(word.as_bytes()))
                    .last()
            } else {
                args.iter().enumerate().skip(from).find(|(_, a)| a.eq_ignore_ascii_case(word.as_bytes()))
            };
            match found {
                Some((i, _)) => i + 1,
                // No keyword, no keys (XREAD without STREAMS is refused by the server anyway).
                None => return Some(None),
            }
        }
        BeginSearch::Unknown => return None,
    };
    if begin >= argc {
        return Some(None);
    }
    let p = match spec.find {
        FindKeys::Range { last, step, limit } => {
            let last = if last >= 0 {
                begin + last as usize
            } else if limit > 1 {
                // `XREAD ... STREAMS k1 k2 id1 id2`: the keys are the first 1/limit of the rest.
                begin + (argc - begin) / limit as usize - 1
            } else {
                argc.checked_sub(last.unsigned_abs() as usize)?
            };
            Progression { first: begin, last: last.min(argc - 1), step: step.max(1) as usize }
        }
        FindKeys::Keynum { index, first, step } => {
            let n = args.get(begin + index as usize).and_then(parse_len)?;
            if n == 0 {
                return Some(None);
            }
            let first = begin + first as usize;
            let step = step.max(1) as usize;
            Progression { first, last: (first + (n - 1) * step).min(argc - 1), step }
        }
        FindKeys::Unknown => return None,
    };
    Some((p.first <= p.last).then_some(p))
}

/// A keyword search with a negative start scans backwards from the end (`SORT ... STORE`).
fn spec_from_end(spec: &crate::command::KeySpec) -> bool {
    matches!(spec.begin, BeginSearch::Keyword(_, from) if from < 0)
}

/// Where a request goes in a cluster, as far as its keys tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeySlot {
    /// It has no keys: any node will do.
    None,
    /// Every key hashes to this slot.
    One(u16),
    /// Keys hash to different slots.
    Cross,
    /// Its keys cannot be found from its key specs.
    Unknown,
}

/// The slot of a request's keys.
pub(crate) fn key_slot(info: &CommandInfo, args: Args<'_>) -> KeySlot {
    let mut found = KeySlot::None;
    let merge = |found: KeySlot, key: &[u8]| {
        let s = slot(key);
        match found {
            KeySlot::None => KeySlot::One(s),
            KeySlot::One(t) if t == s => KeySlot::One(s),
            _ => KeySlot::Cross,
        }
    };
    // The common case, one key at a fixed place (GET, SET, HGET ...), without a second walk.
    if let [spec] = info.key_specs {
        if let (BeginSearch::Index(i), FindKeys::Range { last: 0, .. }) = (spec.begin, spec.find) {
            return match args.get(i as usize) {
                Some(key) => KeySlot::One(slot(key)),
                None => KeySlot::None,
            };
        }
    }
    for spec in info.key_specs {
        let Some(p) = progression(spec, args) else { return KeySlot::Unknown };
        let Some(p) = p else { continue };
        for (i, arg) in args.iter().enumerate().skip(p.first).take(p.last + 1 - p.first) {
            if p.contains(i) {
                found = merge(found, arg);
            }
        }
        if found == KeySlot::Cross {
            break;
        }
    }
    found
}

/// The keys a raw command marks as keys: where the first one is, and the slot they hash to.
/// A raw command is never split, so its first key alone routes it once every key is known to
/// share that key's slot.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MarkedKeys {
    /// Argument index of the first key (0 is the command name; 0 here: no key).
    first: u32,
    slot: KeySlot,
}

impl Default for MarkedKeys {
    fn default() -> MarkedKeys {
        MarkedKeys { first: 0, slot: KeySlot::None }
    }
}

impl MarkedKeys {
    /// Marks `key`, argument `index` of the request.
    pub(crate) fn add(&mut self, index: u32, key: &[u8]) {
        let s = slot(key);
        if self.first == 0 {
            self.first = index;
        }
        self.slot = match self.slot {
            KeySlot::None => KeySlot::One(s),
            KeySlot::One(t) if t == s => KeySlot::One(s),
            _ => KeySlot::Cross,
        };
    }

    /// The argument index of the first key, when one was marked.
    pub(crate) fn first(&self) -> Option<u32> {
        (self.first != 0).then_some(self.first)
    }

    /// Whether the keys hash to different slots.
    pub(crate) fn cross(&self) -> bool {
        self.slot == KeySlot::Cross
    }
}

/// The argument indexes of a request's keys, in order, for splitting it by slot; `None` when
/// the key specs cannot tell.
#[cfg(test)]
pub(crate) fn key_indexes(info: &CommandInfo, args: Args<'_>) -> Option<Vec<usize>> {
    let mut out = Vec::new();
    for spec in info.key_specs {
        if let Some(p) = progression(spec, args)? {
            out.extend((p.first..=p.last).step_by(p.step));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{Flags, KeySpec};

    fn wire(args: &[&str]) -> Vec<u8> {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        out
    }

    fn info(key_specs: &'static [KeySpec]) -> CommandInfo {
        CommandInfo { name: "X", flags: Flags::NONE, key_specs, tips: &[] }
    }

    const ONE: &[KeySpec] =
        &[KeySpec { begin: BeginSearch::Index(1), find: FindKeys::Range { last: 0, step: 1, limit: 0 } }];
    const ALL: &[KeySpec] =
        &[KeySpec { begin: BeginSearch::Index(1), find: FindKeys::Range { last: -1, step: 1, limit: 0 } }];
    const PAIRS: &[KeySpec] =
        &[KeySpec { begin: BeginSearch::Index(1), find: FindKeys::Range { last: -1, step: 2, limit: 0 } }];
    const NUMKEYS: &[KeySpec] =
        &[KeySpec { begin: BeginSearch::Index(2), find: FindKeys::Keynum { index: 0, first: 1, step: 1 } }];
    const STREAMS: &[KeySpec] = &[KeySpec {
        begin: BeginSearch::Keyword("STREAMS", 1),
        find: FindKeys::Range { last: -1, step: 1, limit: 2 },
    }];

    #[test]
    fn args_walk() {
        let w = wire(&["SET", "k", "", "EX"]);
        let a = Args::of(&w).unwrap();
        assert_eq!(a.argc, 4);
        assert_eq!(a.iter().collect::<Vec<_>>(), vec![&b"SET"[..], b"k", b"", b"EX"]);
        assert_eq!(a.get(3), Some(&b"EX"[..]));
        assert_eq!(a.get(4), None);
        assert_eq!(a.byte_len(), w.len());
        let mut two = w.clone();
        two.extend_from_slice(&wire(&["GET", "x"]));
        assert_eq!(Args::of(&two).unwrap().byte_len(), w.len());
    }

    #[test]
    fn slots_of_requests() {
        let of = |specs, args: &[&str]| key_slot(&info(specs), Args::of(&wire(args)).unwrap());
        assert_eq!(of(ONE, &["GET", "foo"]), KeySlot::One(12182));
        assert_eq!(of(ALL, &["DEL", "{a}1", "{a}2"]), KeySlot::One(slot(b"a")));
        assert_eq!(of(ALL, &["DEL", "foo", "bar"]), KeySlot::Cross);
        assert_eq!(of(PAIRS, &["MSET", "{t}a", "x", "{t}b", "y"]), KeySlot::One(slot(b"t")));
        // Values are not keys.
        assert_eq!(of(PAIRS, &["MSET", "foo", "bar"]), KeySlot::One(12182));
        assert_eq!(of(NUMKEYS, &["EVAL", "s", "2", "{x}1", "{x}2", "argfoo"]), KeySlot::One(slot(b"x")));
        assert_eq!(of(NUMKEYS, &["EVAL", "s", "0", "arg"]), KeySlot::None);
        assert_eq!(
            of(STREAMS, &["XREAD", "COUNT", "2", "STREAMS", "{s}a", "{s}b", "0", "0"]),
            KeySlot::One(slot(b"s"))
        );
        assert_eq!(of(STREAMS, &["XREAD", "STREAMS", "foo", "bar", "0", "0"]), KeySlot::Cross);
        assert_eq!(of(&[], &["PING"]), KeySlot::None);
        let unknown: &[KeySpec] = &[KeySpec { begin: BeginSearch::Unknown, find: FindKeys::Unknown }];
        assert_eq!(of(unknown, &["X", "k"]), KeySlot::Unknown);
    }

    #[test]
    fn marked_keys() {
        let mut m = MarkedKeys::default();
        assert_eq!(m.first(), None);
        m.add(2, b"{u}a");
        m.add(4, b"{u}b");
        assert_eq!((m.first(), m.cross()), (Some(2), false));
        m.add(5, b"other");
        assert!(m.cross());
    }

    #[test]
    fn indexes_for_splitting() {
        let idx = |specs, args: &[&str]| key_indexes(&info(specs), Args::of(&wire(args)).unwrap());
        assert_eq!(idx(PAIRS, &["MSET", "a", "1", "b", "2"]), Some(vec![1, 3]));
        assert_eq!(idx(ALL, &["MGET", "a", "b", "c"]), Some(vec![1, 2, 3]));
        assert_eq!(idx(STREAMS, &["XREAD", "STREAMS", "a", "b", "0", "0"]), Some(vec![2, 3]));
    }
}
