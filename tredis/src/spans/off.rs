//! The empty twins of the spans, when the `spans` feature is off: no field, no code.

use crate::command::{CommandInfo, Encoded};
use crate::config::{Addr, Config};
use crate::resp::Value;
use crate::Error;

/// What spans need to know of the client: nothing, without the feature.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct Settings;

impl Settings {
    pub(crate) fn new(_: &Config) -> Settings {
        Settings
    }
}

/// Nothing.
pub(crate) struct Op;

/// Which kind of batch.
#[derive(Clone, Copy)]
pub(crate) enum Batch {
    Pipeline,
    Transaction,
}

impl Op {
    #[inline(always)]
    pub(crate) fn none() -> Op {
        Op
    }

    #[inline(always)]
    pub(crate) fn command(_: &'static CommandInfo, _: Statement, _: &Settings, _: Served) -> Op {
        Op
    }

    #[inline(always)]
    pub(crate) fn batch(_: Batch, _: &[u8], _: &[&'static CommandInfo], _: &Settings) -> Op {
        Op
    }

    #[inline(always)]
    pub(crate) fn enter(&self) -> Entered {
        Entered
    }

    #[inline(always)]
    pub(crate) fn around<F>(&self, f: F) -> F {
        f
    }

    #[inline(always)]
    pub(crate) fn retrying(&self, _: &Error) {}

    #[inline(always)]
    pub(crate) fn ended(&self, r: Result<Value, Error>) -> Result<Value, Error> {
        r
    }

    #[inline(always)]
    pub(crate) fn failed(&self, _: &Error) {}
}

/// No statement.
pub(crate) struct Statement;

impl Statement {
    #[inline(always)]
    pub(crate) fn of(_: &Settings, _: &Encoded, _: &'static CommandInfo) -> Statement {
        Statement
    }

    #[inline(always)]
    pub(crate) fn none() -> Statement {
        Statement
    }
}

/// No server.
pub(crate) struct Served;

impl Served {
    #[inline(always)]
    pub(crate) fn none() -> Served {
        Served
    }

    #[inline(always)]
    pub(crate) fn by(_: impl FnOnce() -> Option<&'static Addr>) -> Served {
        Served
    }
}

/// Nothing watched.
pub(crate) struct Watch;

impl Watch {
    #[inline(always)]
    pub(crate) fn start() -> Watch {
        Watch
    }

    #[inline(always)]
    pub(crate) fn served(self) -> Served {
        Served
    }
}

/// Nothing entered.
pub(crate) struct Entered;

/// Nothing to follow.
#[inline(always)]
pub(crate) fn follow<F>(f: F) -> F {
    f
}

/// Nothing to record.
#[inline(always)]
pub(crate) fn serving(_: impl FnOnce() -> Option<&'static Addr>) {}
