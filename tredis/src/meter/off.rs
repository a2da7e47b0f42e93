//! The empty twins, when the `metrics` feature is off: no field, no code.

use crate::config::Addr;
use crate::Error;

/// Nothing installed.
#[derive(Clone, Debug, Default)]
#[doc(hidden)]
pub struct Meters;

impl Meters {
    #[inline(always)]
    pub(crate) fn none() -> Meters {
        Meters
    }

    #[inline(always)]
    pub(crate) fn connected(&self, _: &Addr, _: bool) {}

    #[inline(always)]
    pub(crate) fn lost(&self, _: &Addr, _: &Error) {}

    #[inline(always)]
    pub(crate) fn redirection(&self, _: &'static str, _: &str, _: &Addr) {}
}

/// Nothing measured.
pub(crate) struct Meter;

impl Meter {
    #[inline(always)]
    pub(crate) fn start(_: &Meters) -> Meter {
        Meter
    }

    #[inline(always)]
    pub(crate) fn none() -> Meter {
        Meter
    }

    #[inline(always)]
    pub(crate) fn end(&self, _: &Meters, _: &'static str, _: usize, _: Option<&Error>) {}
}
