//! Cached reads of several keys (MGET): each key is read, cached and invalidated on its own,
//! as the same command on that key alone (`MGET k`), and the replies are put back together in
//! the order of the keys. So a hit on some keys sends only the others, a write to one key
//! drops only its entry, and in a cluster each key is read from, and tracked by, the node of
//! its slot. The spec says which commands allow it (the overlay's `cached_per_key`: a reply
//! with one element per key, each the command's reply on that key alone).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use super::read::{after_header, bulk_at, CachedFuture, Inner};
use crate::command::{CommandInfo, Encoded};
use crate::reply::As;
use crate::request::{ReplyFuture, ReqOpts};
use crate::resp::Value;
use crate::{Client, Error};

/// The reads of the keys of one command, and the replies come so far.
pub(crate) struct Each<'c> {
    parts: Vec<CachedFuture<'c, As<Value>>>,
    replies: Vec<Option<Value>>,
    /// Reads without their reply yet.
    left: usize,
    /// Each waiting read's own waker, so that a wake polls that read and no other: polling
    /// every read on every wake would cost the square of the keys.
    wakers: Vec<Option<Waker>>,
    woken: Arc<Woken>,
    polled: bool,
}

/// The reads woken since the last poll, and the task to wake for them.
#[derive(Default)]
struct Woken {
    ready: Mutex<Vec<usize>>,
    task: Mutex<Option<Waker>>,
}

/// The waker of read `index`.
struct PartWaker {
    index: usize,
    woken: Arc<Woken>,
}

impl Wake for PartWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.ready.lock().unwrap_or_else(|e| e.into_inner()).push(self.index);
        if let Some(task) = self.woken.task.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            task.wake_by_ref();
        }
    }
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
        let n = parts.len();
        let each = Each {
            parts,
            replies: vec![None; n],
            left: n,
            wakers: vec![None; n],
            woken: Arc::default(),
            polled: false,
        };
        CachedFuture::new(client, info, Inner::Each(Box::new(each)))
    }
}

impl Each<'_> {
    /// The replies in the order of the keys, once every read has one. The first error ends
    /// it: the other reads are dropped with it, as any dropped read is (their tickets remove
    /// their marks).
    pub(super) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<Value, Error>> {
        {
            let mut task = self.woken.task.lock().unwrap_or_else(|e| e.into_inner());
            if !task.as_ref().is_some_and(|t| t.will_wake(cx.waker())) {
                *task = Some(cx.waker().clone());
            }
        }
        // Every read the first time (most are hits, answered at once), then the woken ones.
        let due = if std::mem::replace(&mut self.polled, true) {
            std::mem::take(&mut *self.woken.ready.lock().unwrap_or_else(|e| e.into_inner()))
        } else {
            (0..self.parts.len()).collect()
        };
        for i in due {
            if self.replies[i].is_some() {
                continue;
            }
            let woken = &self.woken;
            let waker = self.wakers[i]
                .get_or_insert_with(|| Waker::from(Arc::new(PartWaker { index: i, woken: woken.clone() })));
            match Pin::new(&mut self.parts[i]).poll(&mut Context::from_waker(waker)) {
                // The command on one key answers with one element: that key's.
                Poll::Ready(Ok(Value::Array(mut one) | Value::Set(mut one))) if one.len() == 1 => {
                    self.replies[i] = one.pop();
                    self.wakers[i] = None;
                    self.left -= 1;
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
                Poll::Pending => {}
            }
        }
        if self.left > 0 {
            return Poll::Pending;
        }
        Poll::Ready(Ok(Value::Array(self.replies.iter_mut().filter_map(Option::take).collect())))
    }
}

/// The command on each of its keys alone: `*<tokens + 1>`, the name's tokens, the key; with
/// where the key is in it. `None` if the keys are not all bulk strings to the end.
fn split(wire: &[u8], info: &CommandInfo, key_at: usize) -> Option<Vec<(Encoded, std::ops::Range<usize>)>> {
    let header = after_header(wire)?;
    let name = wire.get(header..header + key_at)?;
    let argc = info.name.split(' ').count() + 1;
    let mut at = header + key_at;
    let mut parts = Vec::new();
    while at < wire.len() {
        let (key, next) = bulk_at(wire, at)?;
        let mut part = Vec::with_capacity(name.len() + key.len() + 32);
        part.push(b'*');
        part.extend_from_slice(itoa::Buffer::new().format(argc).as_bytes());
        part.extend_from_slice(b"\r\n");
        part.extend_from_slice(name);
        crate::resp::bulk(&mut part, &wire[key.clone()]);
        let at_key = part.len() - 2 - key.len()..part.len() - 2;
        parts.push((Encoded::concat(part), at_key));
        at = next;
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
