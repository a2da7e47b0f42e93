//! The one retry policy, for single requests, SCAN pages and the parts of pipelines and
//! split commands alike: whether a failed request is sent again, when, and what its failure
//! says when it is not. [`Delivery`] is the one loop that applies it.
//!
//! A request is sent again when that cannot make it run twice: it provably did not run (never
//! written, or refused with MOVED, ASK, TRYAGAIN, LOADING, CLUSTERDOWN, MASTERDOWN, READONLY),
//! or it was written and got no reply but running it twice is harmless (marked idempotent, or
//! read-only per the spec). Never past its deadline, and at most [`MAX_ATTEMPTS`] times.

mod delivery;

use std::time::Duration;

use tokio::time::Instant;

use crate::command::CommandInfo;
use crate::deadline::Deadline;
use crate::resp::Value;
use crate::{Error, ErrorKind};

pub(crate) use delivery::Delivery;
pub use delivery::{Rerouted, Resend};

/// Attempts of one request, the first included.
const MAX_ATTEMPTS: u32 = 10;

/// Whether a written request that got no reply may be sent again: only when running it twice
/// is harmless, because the caller marked it `.idempotent()` or the spec says it only reads;
/// and never once its deadline passed.
pub(crate) fn may_resend(err: &Error, info: &CommandInfo, idempotent: bool) -> bool {
    err.kind() == ErrorKind::Indeterminate && !err.is_timeout() && (idempotent || info.reads_only())
}

/// Server errors that prove the command did not run and that may pass by themselves.
pub(crate) fn retry_later(code: Option<&str>) -> bool {
    matches!(code, Some("LOADING" | "MASTERDOWN" | "TRYAGAIN" | "CLUSTERDOWN"))
}

/// The attempts of one request so far.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Attempts {
    made: u32,
    /// An attempt was written and not answered: however later ones fail, it may have run.
    maybe_ran: bool,
}

impl Attempts {
    /// The first attempt, under way.
    pub(crate) fn first() -> Attempts {
        Attempts { made: 1, maybe_ran: false }
    }

    /// Whether another attempt may still be made.
    pub(crate) fn left(&self) -> bool {
        self.made < MAX_ATTEMPTS
    }

    /// Counts an attempt sent at once elsewhere (a MOVED or ASK redirection).
    pub(crate) fn redirected(&mut self) {
        self.made += 1;
    }

    /// When to send the request again after it failed with `err`, or `None` to give up.
    /// `later`: the executor asked for it once its map is fresh; `moved`: the client moved
    /// to a new primary (READONLY). The time never passes the deadline.
    pub(crate) fn next(
        &mut self,
        err: &Error,
        info: &CommandInfo,
        idempotent: bool,
        later: bool,
        moved: bool,
        deadline: Option<Deadline>,
    ) -> Option<Instant> {
        let again = moved || later || retry_later(err.code()) || may_resend(err, info, idempotent);
        if !again || !self.left() {
            return None;
        }
        self.made += 1;
        let lost = err.kind() == ErrorKind::Indeterminate;
        self.maybe_ran |= lost;
        let wait =
            if moved || lost { Duration::ZERO } else { Duration::from_millis(25u64 << self.made.min(6)) };
        let at = Instant::now() + wait;
        Some(deadline.map_or(at, |d| at.min(d.instant())))
    }

    /// How a request ends that is not sent again: with the server's refusal `reply` when no
    /// attempt may have run, else with `err` (see [`fail`](Attempts::fail)).
    pub(crate) fn end(
        &self,
        err: Error,
        reply: Option<Value>,
        command: &'static str,
    ) -> Result<Value, Error> {
        match reply {
            Some(v) if !self.maybe_ran => Ok(v),
            _ => Err(self.fail(err.with_command(command))),
        }
    }

    /// The error the request ends with: when an earlier attempt was written and not answered,
    /// the request may have run, whatever the last attempt says.
    pub(crate) fn fail(&self, err: Error) -> Error {
        if !self.maybe_ran || err.kind() == ErrorKind::Indeterminate {
            return err;
        }
        let command = err.command();
        let detail = format!("an earlier attempt was sent and not answered, and the last one failed: {err}");
        let e = Error::unanswered(detail, err);
        match command {
            Some(c) => e.with_command(c),
            None => e,
        }
    }

    /// The error of a request whose deadline passed while it waited, in hand, to be sent
    /// again: this attempt never ran, earlier ones may have.
    pub(crate) fn expired(&self, deadline: Deadline, command: &'static str) -> Error {
        self.fail(Error::timeout(deadline.timeout()).with_command(command))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Flags;

    static GET: CommandInfo = CommandInfo { name: "GET", flags: Flags::READONLY, key_specs: &[], tips: &[] };
    static INCR: CommandInfo = CommandInfo { name: "INCR", flags: Flags::WRITE, key_specs: &[], tips: &[] };

    #[tokio::test]
    async fn only_what_cannot_run_twice_is_sent_again() {
        let lost = Error::indeterminate("connection lost");
        let late = Error::overdue(Duration::from_secs(1));
        let loading = Error::server(b"LOADING Redis is loading the dataset in memory");
        let wrongtype = Error::server(b"WRONGTYPE Operation against a key holding the wrong kind of value");
        let next = |err: &Error, info: &CommandInfo, idempotent: bool| {
            Attempts::first().next(err, info, idempotent, false, false, None).is_some()
        };
        assert!(next(&lost, &GET, false), "a read lost in flight is read again");
        assert!(!next(&lost, &INCR, false), "a write lost in flight is not sent again");
        assert!(next(&lost, &INCR, true), "unless marked idempotent");
        assert!(!next(&late, &GET, true), "never past the deadline");
        assert!(next(&loading, &INCR, false), "LOADING proves it did not run");
        assert!(!next(&wrongtype, &GET, false), "an answer is an answer");
        let mut a = Attempts::first();
        let mut n = 1;
        while a.next(&loading, &INCR, false, false, false, None).is_some() {
            n += 1;
        }
        assert_eq!(n, MAX_ATTEMPTS, "attempts are bounded");
    }

    #[tokio::test]
    async fn a_request_that_may_have_run_never_ends_as_unexecuted() {
        let mut a = Attempts::first();
        assert!(a.next(&Error::indeterminate("lost"), &GET, false, false, false, None).is_some());
        let e = a.fail(Error::connect("refused").with_command("GET"));
        assert_eq!(e.kind(), ErrorKind::Indeterminate, "{e}");
        assert_eq!(e.command(), Some("GET"));
        let d = Deadline::within(Some(Duration::from_millis(5))).unwrap();
        assert_eq!(a.expired(d, "GET").kind(), ErrorKind::Indeterminate);
        assert_eq!(Attempts::first().expired(d, "GET").kind(), ErrorKind::Timeout);
    }
}
