//! [`Known`]: what the spec says about a command name, for raw commands (the generated name
//! table holds one per command of the spec).

use super::CommandInfo;

/// What the spec says about a command name.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum Known {
    /// A supported command: its static facts.
    Spec(&'static CommandInfo),
    /// A command that must not be sent on a shared connection, and why.
    Refused(&'static str),
}
