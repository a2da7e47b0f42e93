//! Commands the runtime sends of its own accord (transactions, redirections, the offset
//! probe, subscriptions), encoded or described once here so that every module sends the same.

use super::{CommandInfo, Flags};

/// What precedes a [`Flags::SYNCS_OFFSET`](super::Flags::SYNCS_OFFSET) command: a PUBLISH to a channel of tredis's own. The
/// server's per-connection offset (`woff`) rises only with a command that propagates (Redis 7.2
/// and Valkey; up to 7.0 any command raised it), and PUBLISH propagates without touching a key,
/// except in a cluster on Redis 7.2+ and Valkey, where it travels over the cluster bus: a
/// cluster node gets a probe of a key in its own slots instead.
pub const OFFSET_PROBE: &[u8] = b"*3\r\n$7\r\nPUBLISH\r\n$15\r\n__tredis__:wait\r\n$0\r\n\r\n";

/// The offset probe of a cluster node: a transaction that sets and deletes the key
/// `__tredis__:wait{tag}`, whose slot the node serves. It propagates on every version, and no
/// other client ever sees the key. Four replies: `+OK`, two `+QUEUED`, and EXEC's.
pub(crate) fn key_probe(tag: &str) -> Vec<u8> {
    let key = format!("__tredis__:wait{{{tag}}}");
    let bulk = |out: &mut Vec<u8>, s: &[u8]| crate::resp::bulk(out, s);
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(MULTI);
    out.extend_from_slice(b"*3\r\n");
    bulk(&mut out, b"SET");
    bulk(&mut out, key.as_bytes());
    bulk(&mut out, b"");
    out.extend_from_slice(b"*2\r\n");
    bulk(&mut out, b"DEL");
    bulk(&mut out, key.as_bytes());
    out.extend_from_slice(EXEC);
    out
}

/// How many replies [`key_probe`] gets.
pub(crate) const KEY_PROBE_REPLIES: usize = 4;

/// Starts a transaction; a batch that starts with it is one.
pub(crate) const MULTI: &[u8] = b"*1\r\n$5\r\nMULTI\r\n";

/// Ends a transaction.
pub(crate) const EXEC: &[u8] = b"*1\r\n$4\r\nEXEC\r\n";

/// Lets the next command run on a cluster node that is importing its slot.
pub(crate) const ASKING: &[u8] = b"*1\r\n$6\r\nASKING\r\n";

/// The subscribe commands the runtime sends itself (resubscriptions, moves, the Sentinel
/// watcher), by kind: channel, pattern, shard channel.
pub(crate) static SUBSCRIBE: [CommandInfo; 3] = [
    CommandInfo { name: "SUBSCRIBE", flags: Flags::SUBSCRIBES, key_specs: &[], tips: &[] },
    CommandInfo { name: "PSUBSCRIBE", flags: Flags::SUBSCRIBES, key_specs: &[], tips: &[] },
    CommandInfo { name: "SSUBSCRIBE", flags: Flags::SUBSCRIBES, key_specs: &[], tips: &[] },
];

/// The unsubscribe commands the runtime sends itself (a departed subscriber's), by kind.
pub(crate) static UNSUBSCRIBE: [CommandInfo; 3] = [
    CommandInfo { name: "UNSUBSCRIBE", flags: Flags::SUBSCRIBES, key_specs: &[], tips: &[] },
    CommandInfo { name: "PUNSUBSCRIBE", flags: Flags::SUBSCRIBES, key_specs: &[], tips: &[] },
    CommandInfo { name: "SUNSUBSCRIBE", flags: Flags::SUBSCRIBES, key_specs: &[], tips: &[] },
];
