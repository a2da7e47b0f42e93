//! The reader task of a connection: decodes replies and hands each to the oldest waiter.
//!
//! Push frames (RESP3 `>`: pub/sub messages, tracking invalidations) never answer a request;
//! they go to the connection's push sink, or to a log line (see [`push`]). A reply with no waiter means the stream is out of step,
//! so the connection is closed rather than risk handing a reply to the wrong caller, and the
//! replies of that read are not trusted either.
//!
//! Whatever ends the connection (EOF, a read error, bytes that are not RESP, a reply nobody
//! asked for), the requests written on it and unanswered fail as
//! [`ErrorKind::Indeterminate`](crate::ErrorKind::Indeterminate), with the cause as source:
//! they reached the server, or may have.

use std::sync::Arc;

use bytes::BytesMut;
use tokio::io::AsyncReadExt;
use tokio::sync::oneshot;

use super::inflight::{Inflight, Ready};
use super::transport::ReadHalf;
use super::{push, Shared};
use crate::log;
use crate::resp::{Decoder, Limits, Value};
use crate::Error;

/// Read buffer growth step.
const READ_CHUNK: usize = 64 << 10;

/// Reads until the connection fails; then fails every waiter and reports why on `done`.
pub(crate) async fn run(
    mut rd: ReadHalf,
    mut buf: BytesMut,
    inflight: Arc<Inflight>,
    limits: Limits,
    shared: Arc<Shared>,
    done: oneshot::Sender<Error>,
) {
    let mut dec = Decoder::new(limits);
    let mut values: Vec<Value> = Vec::new();
    let mut ready = Vec::new();
    let mut pushes = Vec::new();
    let err = loop {
        let broken = loop {
            match dec.decode(&mut buf) {
                Ok(Some(v)) => values.push(v),
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        // The replies before a bad frame are whole and in order: they are answered first.
        if !values.is_empty() {
            if !inflight.complete(&mut values, &mut ready, &mut pushes, shared.subscriber) {
                let cause = Error::protocol("the server sent a reply that no request was waiting for");
                let err = Error::unanswered(
                    "the connection fell out of step: the server sent a reply nobody asked for",
                    cause,
                );
                // Which reply was the extra one is unknown: none of this read is trusted.
                ready.drain(..).for_each(|r| r.fail(&err));
                break err;
            }
            // A caller who gave up (timeout, dropped future) is simply skipped.
            ready.drain(..).for_each(Ready::send);
            pushes.drain(..).for_each(|p| push::route(&shared, p));
        }
        if let Some(e) = broken {
            break Error::unanswered(format!("the reply could not be read: {e}"), e);
        }
        if buf.capacity() - buf.len() < READ_CHUNK / 8 {
            buf.reserve(READ_CHUNK);
        }
        match rd.read_buf(&mut buf).await {
            Ok(0) if buf.is_empty() && dec.is_idle() => {
                break Error::indeterminate("the server closed the connection")
            }
            // Part of a reply arrived: the stream is broken, not merely cut between replies.
            Ok(0) => {
                let cause = Error::protocol("the server closed the connection in the middle of a reply");
                break Error::unanswered("the server closed the connection in the middle of a reply", cause);
            }
            Ok(_) => {}
            Err(e) => break Error::indeterminate(format!("read failed: {e}")),
        }
    };
    log::debug!("connection reader stopped: {}", err);
    inflight.fail_all(&err);
    let _ = done.send(err);
}
