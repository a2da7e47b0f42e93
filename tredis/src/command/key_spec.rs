//! [`KeySpec`]: where the keys of a command are among its arguments.

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
