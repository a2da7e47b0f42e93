//! [`Blocking`]: whether a command holds its connection, and for how long.

use std::time::Duration;

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
