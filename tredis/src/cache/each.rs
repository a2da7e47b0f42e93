//! Cached reads of several keys (MGET): each key is read, cached and invalidated on its own,
//! as the same command on that key alone (`MGET k`), and the replies are put back together in
//! the order of the keys. So a hit on some keys sends only the others, a write to one key
//! drops only its entry, and in a cluster each key is read from, and tracked by, the node of
//! its slot. The spec says which commands allow it (the overlay's `cached_per_key`: a reply
//! with one element per key, each the command's reply on that key alone).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::read::{number, CachedFuture, Inner};
use crate::command::{CommandInfo, Encoded};
use crate::reply::As;
use crate::request::{ReplyFuture, ReqOpts};
use crate::resp::Value;
use crate::{Client, Error};

/// The reads of the keys of one command, and the replies come so far.
pub(crate) struct Each<'c> {
    parts: Vec<CachedFuture<'c, As<Value>>>,
    replies: Vec<Option<Value>>,
}

impl<'c, R> CachedFuture<'c, R> {
    /// A read of the keys that follow the name's tokens (`key_at` bytes after the `*<argc>`
    /// line), each started as a cached read of its own; sent whole, the ordinary way, without
    /// a cache.
    pub(super) fn each(
        client: &'c Client,
        info: &'static CommandInfo,
        request: Encoded,
        key_at: usize,
        opts: ReqOpts,
    ) -> Self {
        let parts = match crate::request::Target::router(client).0.cache {
            Some(_) => split(request.as_bytes(), info, key_at),
            None => None,
        };
        let Some(parts) = parts else {
            let sent = ReplyFuture::new(client, Ok(request), info, opts);
            return CachedFuture::new(client, info, Inner::Uncached(Box::pin(sent)));
        };
        let parts: Vec<_> = parts
            .into_iter()
            .map(|(part, key)| CachedFuture::start(client, info, part, Some(key), opts))
            .collect();
        let replies = vec![None; parts.len()];
        CachedFuture::new(client, info, Inner::Each(Box::new(Each { parts, replies })))
    }
}

impl Each<'_> {
    /// The replies in the order of the keys, once every read has one. The first error ends
    /// it: the other reads are dropped with it, as any dropped read is (see `Lead`).
    pub(super) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<Value, Error>> {
        let mut pending = false;
        for (part, reply) in self.parts.iter_mut().zip(&mut self.replies) {
            if reply.is_some() {
                continue;
            }
            match Pin::new(part).poll(cx) {
                // The command on one key answers with one element: that key's.
                Poll::Ready(Ok(Value::Array(mut one) | Value::Set(mut one))) if one.len() == 1 => {
                    *reply = one.pop();
                }
                Poll::Ready(Ok(other)) => {
                    let got = match &other {
                        Value::Array(v) | Value::Set(v) => format!("{} elements", v.len()),
                        v => v.kind_name().to_string(),
                    };
                    let e = Error::protocol(format!("expected one element for one key, got {got}"));
                    return Poll::Ready(Err(e));
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => pending = true,
            }
        }
        if pending {
            return Poll::Pending;
        }
        Poll::Ready(Ok(Value::Array(self.replies.iter_mut().filter_map(Option::take).collect())))
    }
}

/// The command on each of its keys alone: `*<tokens + 1>`, the name's tokens, the key; with
/// where the key is in it. `None` if the keys are not all bulk strings to the end.
fn split(wire: &[u8], info: &CommandInfo, key_at: usize) -> Option<Vec<(Encoded, std::ops::Range<usize>)>> {
    let header = wire.iter().take(16).position(|&b| b == b'\n')? + 1;
    let name = wire.get(header..header + key_at)?;
    let argc = info.name.split(' ').count() + 1;
    let mut at = header + key_at;
    let mut parts = Vec::new();
    while at < wire.len() {
        if wire[at] != b'$' {
            return None;
        }
        let (len, start) = number(wire, at + 1)?;
        let end = start.checked_add(len)?;
        if !wire.get(end..)?.starts_with(b"\r\n") {
            return None;
        }
        let mut part = Vec::with_capacity(name.len() + len + 32);
        part.push(b'*');
        part.extend_from_slice(itoa::Buffer::new().format(argc).as_bytes());
        part.extend_from_slice(b"\r\n");
        part.extend_from_slice(name);
        crate::resp::bulk(&mut part, &wire[start..end]);
        let key = part.len() - 2 - len..part.len() - 2;
        parts.push((Encoded::concat(part), key));
        at = end + 2;
    }
    (!parts.is_empty()).then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::split;
    use crate::command::{BeginSearch, CommandInfo, FindKeys, Flags, KeySpec};

    const MGET: CommandInfo = CommandInfo {
        name: "MGET",
        flags: Flags::READONLY,
        key_specs: &[KeySpec {
            begin: BeginSearch::Index(1),
            find: FindKeys::Range { last: -1, step: 1, limit: 0 },
        }],
        tips: &[],
    };

    #[test]
    fn a_command_on_several_keys_is_split_into_one_per_key() {
        let wire = b"*4\r\n$4\r\nMGET\r\n$1\r\na\r\n$0\r\n\r\n$12\r\nbbbbbbbbbbbb\r\n";
        let parts = split(wire, &MGET, 10).unwrap();
        let got: Vec<_> =
            parts.iter().map(|(p, k)| (p.as_bytes().to_vec(), p.as_bytes()[k.clone()].to_vec())).collect();
        assert_eq!(
            got,
            vec![
                (b"*2\r\n$4\r\nMGET\r\n$1\r\na\r\n".to_vec(), b"a".to_vec()),
                (b"*2\r\n$4\r\nMGET\r\n$0\r\n\r\n".to_vec(), b"".to_vec()),
                (b"*2\r\n$4\r\nMGET\r\n$12\r\nbbbbbbbbbbbb\r\n".to_vec(), b"bbbbbbbbbbbb".to_vec()),
            ]
        );
        // Not bulk strings to the end, or no key at all: not split.
        assert!(split(b"*3\r\n$4\r\nMGET\r\n$1\r\na\r\n:1\r\n", &MGET, 10).is_none());
        assert!(split(b"*2\r\n$4\r\nMGET\r\n$5\r\na\r\n", &MGET, 10).is_none());
        assert!(split(b"*1\r\n$4\r\nMGET\r\n", &MGET, 10).is_none());
    }
}
