//! Serves one established connection: drains callers' requests into as few writes as possible.
//!
//! When woken with replies still outstanding, the writer yields once before draining the queue,
//! so that every task that is ready to submit does so and one write carries them all. That
//! single yield is what turns one syscall per command into one per batch; with nothing
//! outstanding it does not yield, so a lone request is not delayed.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, oneshot};

use super::inflight::{Inflight, Request};
use super::transport::WriteHalf;
use super::Shared;
use crate::Error;

/// Stop adding to a write beyond this many bytes; the rest goes in the next one.
const MAX_BATCH_BYTES: usize = 1 << 20;

/// Why serving a connection stopped.
pub(crate) enum Stopped {
    /// It failed or the client closed, for this reason.
    Lost(Error),
    /// It leads to a replica now; the next connection must find the primary.
    Relocate,
}

/// Serves until the connection fails, the client closes, or a move to the primary is asked
/// for; returns why it stopped. Requests that were never written are left in `carry` for the
/// next connection.
pub(crate) async fn serve(
    mut wr: WriteHalf,
    inflight: Arc<Inflight>,
    mut reader_done: oneshot::Receiver<Error>,
    rx: &mut mpsc::UnboundedReceiver<Request>,
    carry: &mut VecDeque<Request>,
    shared: &Shared,
) -> Stopped {
    let mut wbuf: Vec<u8> = Vec::with_capacity(16 << 10);
    let mut batch: Vec<Request> = Vec::new();
    loop {
        let first = match carry.pop_front() {
            Some(r) => r,
            None => tokio::select! {
                biased;
                e = &mut reader_done => return Stopped::Lost(e.unwrap_or_else(|_| Error::indeterminate("the reader stopped"))),
                _ = shared.closing() => return Stopped::Lost(Error::closed()),
                r = rx.recv() => match r {
                    Some(r) => {
                        shared.dequeued(1);
                        r
                    }
                    None => return Stopped::Lost(Error::closed()),
                },
            },
        };
        if inflight.outstanding() > 0 {
            tokio::task::yield_now().await;
        }
        batch.push(first);
        let mut bytes = batch[0].bytes.as_bytes().len();
        let mut taken = 0;
        while bytes < MAX_BATCH_BYTES {
            let next = match carry.pop_front() {
                Some(r) => r,
                None => match rx.try_recv() {
                    Ok(r) => {
                        taken += 1;
                        r
                    }
                    Err(_) => break,
                },
            };
            bytes += next.bytes.as_bytes().len();
            batch.push(next);
        }
        shared.dequeued(taken);
        // A caller that gave up before its request was written never has it sent.
        batch.retain(|r| !r.reply.is_closed());
        // The flag is set before a READONLY retry is queued, and checked after the batch was
        // taken, so a retry is never written to the server that refused it.
        if shared.relocating.load(Ordering::Acquire) {
            for r in batch.drain(..).rev() {
                carry.push_front(r);
            }
            return Stopped::Relocate;
        }
        for r in &batch {
            wbuf.extend_from_slice(r.bytes.as_bytes());
        }
        if !inflight.push(&mut batch) {
            // The reader already failed: nothing of this batch was written, so it is retried
            // on the next connection, in order.
            for r in batch.drain(..).rev() {
                carry.push_front(r);
            }
            return Stopped::Lost(
                reader_done.await.unwrap_or_else(|_| Error::indeterminate("the reader stopped")),
            );
        }
        if let Err(e) = wr.write_all(&wbuf).await {
            let err = Error::indeterminate(format!("write failed: {e}"));
            inflight.fail_all(&err);
            return Stopped::Lost(err);
        }
        wbuf.clear();
    }
}
