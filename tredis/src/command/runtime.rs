//! Commands the runtime sends of its own accord (transactions, redirections, the offset
//! probe), encoded once here so that every module sends the same bytes.

/// What precedes a [`Flags::SYNCS_OFFSET`](super::Flags::SYNCS_OFFSET) command: a PUBLISH to a channel of tredis's own. The
/// server's per-connection offset (`woff`) rises only with a command that propagates (Redis 7.2
/// and Valkey; up to 7.0 any command raised it), and PUBLISH propagates without touching a key.
pub const OFFSET_PROBE: &[u8] = b"*3\r\n$7\r\nPUBLISH\r\n$15\r\n__tredis__:wait\r\n$0\r\n\r\n";

/// Starts a transaction; a batch that starts with it is one.
pub(crate) const MULTI: &[u8] = b"*1\r\n$5\r\nMULTI\r\n";

/// Ends a transaction.
pub(crate) const EXEC: &[u8] = b"*1\r\n$4\r\nEXEC\r\n";

/// Lets the next command run on a cluster node that is importing its slot.
pub(crate) const ASKING: &[u8] = b"*1\r\n$6\r\nASKING\r\n";
