//! [`CommandInfo`]: the static facts about a command, from the server's COMMAND INFO.

use super::{Flags, KeySpec};

/// Static facts about a command.
#[derive(Debug)]
pub struct CommandInfo {
    /// Server tokens: `SET`, `CLIENT KILL`.
    pub name: &'static str,
    /// Server command flags.
    pub flags: Flags,
    /// Where its keys are.
    pub key_specs: &'static [KeySpec],
    /// Server tips (`request_policy:all_shards` ...).
    pub tips: &'static [&'static str],
}

impl CommandInfo {
    /// Whether the command only reads, so that a replica may serve it.
    #[inline]
    pub(crate) fn reads_only(&self) -> bool {
        self.flags.contains(Flags::READONLY) && !self.flags.contains(Flags::WRITE)
    }
}
