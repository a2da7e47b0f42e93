//! [`Queue`]: one subscriber's buffer. The connection's reader fills it and never waits: when
//! it is full, messages are counted and dropped, and an [`Event::Lagged`] takes their place,
//! so a slow consumer never stalls the replies of other callers on a shared connection.
//! Events about the subscriptions themselves (gaps, confirmations) are rare and never
//! dropped.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use super::Event;

pub(crate) struct Queue {
    inner: Mutex<Inner>,
    capacity: usize,
}

#[derive(Default)]
struct Inner {
    events: VecDeque<Event>,
    /// Messages dropped since the last event queued.
    dropped: u64,
    waker: Option<Waker>,
    closed: bool,
}

impl Queue {
    /// A queue that takes messages while it holds fewer than `capacity` events.
    pub(crate) fn new(capacity: usize) -> Queue {
        Queue { inner: Mutex::default(), capacity: capacity.max(1) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues an event; a message only when there is room.
    pub(crate) fn push(&self, event: Event) {
        let mut q = self.lock();
        if q.closed {
            return;
        }
        if matches!(event, Event::Message(_)) && q.events.len() >= self.capacity {
            q.dropped += 1;
            return;
        }
        if q.dropped > 0 {
            let n = std::mem::take(&mut q.dropped);
            q.events.push_back(Event::Lagged(n));
        }
        q.events.push_back(event);
        if let Some(w) = q.waker.take() {
            w.wake();
        }
    }

    /// The next event; `None` once closed and drained.
    pub(crate) fn poll_pop(&self, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let mut q = self.lock();
        if let Some(e) = q.events.pop_front() {
            return Poll::Ready(Some(e));
        }
        if q.dropped > 0 {
            return Poll::Ready(Some(Event::Lagged(std::mem::take(&mut q.dropped))));
        }
        if q.closed {
            return Poll::Ready(None);
        }
        if !q.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            q.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Ends the stream once what it holds is read (the client was closed).
    pub(crate) fn close(&self) {
        let mut q = self.lock();
        q.closed = true;
        if let Some(w) = q.waker.take() {
            w.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pubsub::{Kind, Message};
    use bytes::Bytes;
    use std::future::poll_fn;

    fn message(n: u8) -> Event {
        Event::Message(Message {
            kind: Kind::Channel,
            channel: Bytes::new(),
            pattern: None,
            payload: Bytes::from(vec![n]),
        })
    }

    #[tokio::test]
    async fn a_full_buffer_drops_messages_and_says_where() {
        let q = Queue::new(2);
        for n in 0..5 {
            q.push(message(n));
        }
        q.push(Event::Resubscribed);
        // Still full (events count too): dropped.
        q.push(message(9));
        let mut seen = Vec::new();
        q.close();
        while let Some(e) = poll_fn(|cx| q.poll_pop(cx)).await {
            seen.push(match e {
                Event::Message(m) => format!("m{}", m.payload[0]),
                Event::Lagged(n) => format!("lagged {n}"),
                Event::Resubscribed => "resubscribed".into(),
                other => format!("{other:?}"),
            });
        }
        assert_eq!(seen, ["m0", "m1", "lagged 3", "resubscribed", "lagged 1"]);
    }
}
