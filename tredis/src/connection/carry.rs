//! The requests a connection holds while no socket is up: failed together when an attempt
//! fails, answered one by one when their deadlines pass.

use std::collections::VecDeque;

use tokio::sync::mpsc;

use super::inflight::Request;
use super::{writer, Shared};
use crate::Error;

/// Fails every request that is waiting for a connection.
pub(super) fn fail_queued(
    rx: &mut mpsc::UnboundedReceiver<Request>,
    carry: &mut VecDeque<Request>,
    shared: &Shared,
    err: &Error,
) {
    while let Ok(r) = rx.try_recv() {
        carry.push_back(r);
    }
    shared.dequeued(carry.len());
    for r in carry.drain(..) {
        r.reply.fail(err.duplicate().with_command(r.info.name), r.bytes);
    }
}

/// While no connection is up: answers the waiting requests whose deadline passed (they were
/// never written) and lets go of those whose caller gave up.
pub(super) fn expire_queued(
    rx: &mut mpsc::UnboundedReceiver<Request>,
    carry: &mut VecDeque<Request>,
    shared: &Shared,
) {
    while let Ok(r) = rx.try_recv() {
        carry.push_back(r);
    }
    // Ticks publish the coarse time that new deadlines count from, connected or not.
    let (before, mut now) = (carry.len(), Some(crate::deadline::now()));
    carry.retain_mut(|r| writer::sendable(r, &mut now));
    shared.dequeued(before - carry.len());
}
