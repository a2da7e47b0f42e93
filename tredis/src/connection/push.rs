//! Frames that are not the reply of the oldest request: pub/sub messages, subscription
//! confirmations, tracking invalidations. Every one goes somewhere on purpose: to the
//! connection's [`PushSink`] (the client's subscriptions, invalidations), or, when nothing
//! listens on this connection, to a log line. Never to a request's reply.
//!
//! On RESP3 these frames are pushes (`>`). On RESP2 only a subscriber connection has them,
//! as arrays whose first element names the kind; there, nothing else is sent that could be
//! mistaken for one (a subscribed RESP2 connection takes pub/sub commands and PING only).
//! RESP2 invalidations come on a connection of their own (see [`redirect`](super::redirect)).

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::oneshot;

use super::inflight::{Answer, ReplyTo, Request};
use super::Shared;
use crate::command::{CommandInfo, Encoded};
use crate::log;
use crate::resp::Value;
use crate::Error;

/// What listens to a connection's pushes, and keeps its subscriptions across reconnects.
pub(crate) trait PushSink: Send + Sync {
    /// A push frame: a message, an invalidation, a confirmation (a copy, when it answers a
    /// request), or a subscription the server ended by itself.
    fn push(&self, frame: Value);

    /// The connection was lost with subscriptions on it: until they are made again, messages
    /// published meanwhile are lost.
    fn lost(&self, cause: &Error);

    /// The commands that make every subscription again on a new connection, sent before any
    /// other request.
    fn resubscribe(&self) -> Vec<(Encoded, &'static CommandInfo)>;

    /// The outcome of those commands.
    fn resubscribed(&self, outcome: Result<(), Error>);
}

/// What keeps a client-side cache in step with the server: the invalidations of the
/// connections that track keys (`CLIENT TRACKING`), and their losses. `conn` is
/// [`Connection::id`](super::Connection::id). Called by the connection's reader and task, in
/// the order the server sent things, so it must not block.
pub(crate) trait Invalidations: Send + Sync {
    /// An `invalidate` push: these keys changed, or (`None`) every key tracked on `conn` may
    /// have (FLUSHDB, FLUSHALL, a full tracking table on the server).
    fn invalidate(&self, conn: u64, keys: Option<Vec<bytes::Bytes>>);

    /// `conn` was lost: what the server would have said about its keys meanwhile is unknown.
    fn lost(&self, conn: u64);

    /// The cluster learned that these slots have another owner (a MOVED or ASK reply, a new
    /// slot map): the node that tracked their keys no longer hears of every write to them.
    /// Called by the cluster, not by a connection.
    fn slots_moved(&self, slots: &[u16]);
}

/// Hands a push to whatever listens: an invalidation to the cache when the connection tracks
/// keys for one, anything else to the push sink.
pub(super) fn route(shared: &Shared, frame: Value) {
    if let (Some(cache), Value::Push(items)) = (&shared.tracking, &frame) {
        if kind(items).is_some_and(|k| k.eq_ignore_ascii_case(b"invalidate")) {
            return cache.invalidate(shared.id, invalidated_keys(items.get(1)));
        }
    }
    match shared.sink.get() {
        Some(sink) => sink.push(frame),
        None => unrouted(&frame),
    }
}

/// The keys an invalidation names; `None` (a flush) when it names none: a null, or nothing.
pub(super) fn invalidated_keys(keys: Option<&Value>) -> Option<Vec<bytes::Bytes>> {
    match keys {
        Some(Value::Array(keys) | Value::Set(keys) | Value::Push(keys)) => Some(
            keys.iter()
                .filter_map(|k| match k {
                    Value::Bulk(b) | Value::Simple(b) => Some(b.clone()),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    }
}

/// What a frame is to the connection that read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Frame {
    /// The reply of the oldest request.
    Reply,
    /// A subscribe-family confirmation (`subscribe`, `sunsubscribe` ...): it answers a
    /// request of that kind when one waits, else the server sent it by itself.
    Confirm,
    /// Anything else that is not a reply.
    Push,
}

/// The kinds of pub/sub frames, as their first element names them.
const CONFIRMS: [&[u8]; 6] =
    [b"subscribe", b"psubscribe", b"ssubscribe", b"unsubscribe", b"punsubscribe", b"sunsubscribe"];
const MESSAGES: [&[u8]; 3] = [b"message", b"pmessage", b"smessage"];

/// Classifies a frame; `subscriber`: the connection is a RESP2 subscriber connection.
#[inline]
pub(crate) fn classify(v: &Value, subscriber: bool) -> Frame {
    let items = match v {
        Value::Push(items) => items,
        Value::Array(items) if subscriber => items,
        _ => return Frame::Reply,
    };
    match kind(items) {
        Some(k) if CONFIRMS.iter().any(|c| c.eq_ignore_ascii_case(k)) => Frame::Confirm,
        // A subscribed RESP2 connection answers PING with `["pong", ""]`: a reply.
        Some(k) if !subscriber || MESSAGES.iter().any(|m| m.eq_ignore_ascii_case(k)) => Frame::Push,
        _ if matches!(v, Value::Push(_)) => Frame::Push,
        _ => Frame::Reply,
    }
}

/// The kind a pub/sub frame names first.
pub(crate) fn kind(items: &[Value]) -> Option<&[u8]> {
    match items.first()? {
        Value::Bulk(b) | Value::Simple(b) => Some(b),
        _ => None,
    }
}

/// A push on a connection nothing listens to: said in the log, so that none vanishes
/// unseen (a tracking invalidation without a cache, a module's push).
pub(crate) fn unrouted(frame: &Value) {
    let kind = match frame {
        Value::Push(items) | Value::Array(items) => kind(items),
        _ => None,
    };
    let kind = kind.map(String::from_utf8_lossy).unwrap_or_default();
    log::debug!("a push frame ({}) on a connection with nothing listening for it", kind);
}

/// Puts the commands that make the push sink's subscriptions again before every request
/// waiting to be written, and has their outcome reported to it.
pub(super) fn resubscribe(shared: &Arc<Shared>, carry: &mut VecDeque<Request>) {
    let Some(sink) = shared.sink.get() else { return };
    let commands = sink.resubscribe();
    if commands.is_empty() {
        return;
    }
    let n = commands.len();
    let mut answers = Vec::with_capacity(n);
    for (bytes, info) in commands.into_iter().rev() {
        let (tx, rx) = oneshot::channel();
        carry.push_front(Request { bytes, reply: ReplyTo::One(tx), info, deadline: None });
        shared.queued.fetch_add(1, Ordering::Relaxed);
        answers.push(rx);
    }
    let sink = sink.clone();
    tokio::spawn(async move {
        let mut outcome = Ok(());
        for rx in answers {
            let result = match rx.await {
                Ok(Answer { result: Ok(v), .. }) => match v.as_error() {
                    Some(e) => Err(Error::server(e)),
                    None => Ok(()),
                },
                Ok(Answer { result: Err(e), .. }) => Err(e),
                Err(_) => Err(Error::indeterminate("the connection task stopped")),
            };
            if let Err(e) = result {
                outcome = Err(e);
            }
        }
        match &outcome {
            Ok(()) => log::event!(debug, "resubscribed", commands = n),
            Err(e) => log::event!(warn, "resubscribe failed", cause = e),
        }
        sink.resubscribed(outcome);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn frame(kind: &'static str, push: bool) -> Value {
        let items = vec![Value::Bulk(Bytes::from_static(kind.as_bytes())), Value::Bulk(Bytes::new())];
        if push {
            Value::Push(items)
        } else {
            Value::Array(items)
        }
    }

    #[test]
    fn only_pub_sub_frames_leave_the_reply_stream() {
        assert_eq!(classify(&frame("subscribe", true), false), Frame::Confirm);
        assert_eq!(classify(&frame("message", true), false), Frame::Push);
        assert_eq!(classify(&frame("invalidate", true), false), Frame::Push);
        assert_eq!(classify(&frame("message", false), false), Frame::Reply, "an LRANGE reply");
        assert_eq!(classify(&frame("sunsubscribe", false), true), Frame::Confirm);
        assert_eq!(classify(&frame("pmessage", false), true), Frame::Push);
        assert_eq!(classify(&frame("pong", false), true), Frame::Reply, "PING on a subscriber");
    }
}
