//! Error accumulator for spec parsing and checking: every problem, with its JSON path.
//!
//! Errors are collected rather than returned one at a time so that a broken spec reports all of
//! its mistakes at once, each naming the command and the field.

use std::cell::RefCell;

/// Collects errors; [`Ctxt::finish`] must be called, or dropping it panics (serde's pattern).
pub struct Ctxt {
    errors: RefCell<Option<Vec<SpecError>>>,
}

/// One problem in the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The command it concerns (`SET`), when it concerns one.
    pub command: Option<String>,
    /// JSON path of the field, e.g. `commands[12].args[2].kind`.
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.command {
            Some(c) => write!(f, "{c}: {}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

impl Ctxt {
    /// An empty accumulator.
    pub fn new() -> Self {
        Ctxt { errors: RefCell::new(Some(Vec::new())) }
    }

    /// Records one error.
    pub fn error(&self, command: Option<&str>, path: impl Into<String>, message: impl Into<String>) {
        self.errors.borrow_mut().as_mut().expect("Ctxt used after finish").push(SpecError {
            command: command.map(str::to_string),
            path: path.into(),
            message: message.into(),
        });
    }

    /// How many errors were recorded so far.
    pub fn error_count(&self) -> usize {
        self.errors.borrow().as_ref().map_or(0, Vec::len)
    }

    /// True when nothing went wrong so far.
    pub fn is_clean(&self) -> bool {
        self.errors.borrow().as_ref().map_or(true, |e| e.is_empty())
    }

    /// The collected errors; consumes the accumulator.
    pub fn finish(self) -> Vec<SpecError> {
        self.errors.borrow_mut().take().unwrap_or_default()
    }
}

impl Default for Ctxt {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if !std::thread::panicking() && self.errors.borrow().is_some() {
            panic!("Ctxt dropped without finish()");
        }
    }
}
