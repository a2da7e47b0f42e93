//! [`Flight`]: one read sent for a cache miss, which every concurrent miss of the same entry
//! waits on instead of sending its own.

use std::sync::OnceLock;

use tokio::sync::Notify;

use crate::resp::Value;

/// The read in flight for one cache entry: its id (the pending mark's) and, once it is
/// answered, its reply.
#[derive(Debug)]
pub(crate) struct Flight {
    pub(super) id: u64,
    /// `Some`: the reply, for every waiter. `None`: the read failed or was given up; waiters
    /// look the entry up again (and one of them sends the read).
    done: OnceLock<Option<Value>>,
    notify: Notify,
}

impl Flight {
    pub(super) fn new(id: u64) -> Flight {
        Flight { id, done: OnceLock::new(), notify: Notify::new() }
    }

    /// Answers every waiter; the first call wins.
    pub(super) fn finish(&self, reply: Option<Value>) {
        let _ = self.done.set(reply);
        self.notify.notify_waiters();
    }

    /// Whether the leader answered (or gave up).
    #[cfg(test)]
    pub(super) fn is_finished(&self) -> bool {
        self.done.get().is_some()
    }

    /// Waits for the leader's reply: `None` when it failed (the caller looks up again).
    pub(super) async fn wait(&self) -> Option<Value> {
        loop {
            let notified = self.notify.notified();
            if let Some(done) = self.done.get() {
                return done.clone();
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn waiters_get_the_leaders_reply() {
        let f = Arc::new(Flight::new(1));
        let w = tokio::spawn({
            let f = f.clone();
            async move { f.wait().await }
        });
        tokio::task::yield_now().await;
        f.finish(Some(Value::Int(7)));
        f.finish(None);
        assert_eq!(w.await.unwrap(), Some(Value::Int(7)));
        assert_eq!(f.wait().await, Some(Value::Int(7)), "after the fact too");
    }
}
