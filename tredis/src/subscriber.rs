//! [`Subscriber`]: channels, patterns and shard channels listened to, and the stream of what
//! arrives on them.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::command::{Blocking, CommandInfo, Encoded};
use crate::connection::Pending;
use crate::deadline::Deadline;
use crate::pubsub::{Event, Hub, Queue};
use crate::request::{Executor, Sealed};
use crate::retry::Resend;
use crate::route::Router;

/// Subscriptions and the stream of their messages, made by
/// [`Client::subscriber`](crate::Client::subscriber).
///
/// Subscribe with the generated methods (`subscribe`, `psubscribe`, `ssubscribe` and their
/// `unsubscribe` forms), then read [`Event`]s with [`next`](Subscriber::next) or as a
/// `futures::Stream`:
///
/// ```no_run
/// use tredis::prelude::*;
/// use tredis::Event;
///
/// # async fn demo(client: tredis::Client) -> Result<(), tredis::Error> {
/// let mut sub = client.subscriber();
/// sub.subscribe(["news", "alerts"]).await?;
/// sub.psubscribe(["__keyspace@0__:user:*"]).await?;
/// while let Some(event) = sub.next().await {
///     match event {
///         Event::Message(m) => println!("{:?}: {:?}", m.channel, m.payload),
///         Event::Gap { cause } => eprintln!("messages may be missing: {cause}"),
///         _ => {}
///     }
/// }
/// # Ok(())
/// # }
/// ```
///
/// - **Never lost silently.** After a reconnect (a restart, a failover) the client subscribes
///   again by itself; the stream carries [`Event::Gap`] first, then [`Event::Resubscribed`].
/// - **A slow reader stalls nobody.** Each subscriber has a buffer
///   ([`subscriber_buffer`](crate::Builder::subscriber_buffer)); when it is full, messages are
///   dropped and [`Event::Lagged`] says how many, where.
/// - **One connection.** With RESP3 the subscriptions ride the client's first connection,
///   beside ordinary commands; with RESP2 they have a connection of their own, as a subscribed
///   RESP2 connection takes nothing else. Every subscriber of a client shares it; a channel two
///   subscribers hold is subscribed once, and each gets every message.
/// - **In a cluster**, channels and patterns are subscribed on one node (a message published
///   on any node reaches them all) and move to another primary when it is gone; shard
///   channels are subscribed on the primary of their slot, follow it when it moves, and move
///   to the new primary after a failover.
/// - Dropping a subscriber unsubscribes the channels no other subscriber holds.
pub struct Subscriber {
    router: Arc<Router>,
    hub: Arc<Hub>,
    id: u64,
    queue: Arc<Queue>,
}

impl Subscriber {
    pub(crate) fn new(router: Arc<Router>, hub: Arc<Hub>) -> Subscriber {
        let (id, queue) = hub.join();
        Subscriber { router, hub, id, queue }
    }

    /// The next event; `None` once the client is closed.
    pub async fn next(&mut self) -> Option<Event> {
        std::future::poll_fn(|cx| self.queue.poll_pop(cx)).await
    }
}

impl futures_core::Stream for Subscriber {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.queue.poll_pop(cx)
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.hub.leave(self.id);
    }
}

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber").field("id", &self.id).finish()
    }
}

/// Commands that change what a subscriber receives (SUBSCRIBE and the like).
pub trait SubTarget: Executor {}

impl Sealed for Subscriber {}
impl SubTarget for Subscriber {}

impl Executor for Subscriber {
    fn deadline(&self, blocking: Blocking, timeout: Option<Duration>) -> Option<Deadline> {
        self.router.deadline(blocking, timeout)
    }

    fn span_settings(&self) -> &crate::spans::Settings {
        &self.router.spans
    }

    fn meters(&self) -> &crate::meter::Meters {
        &self.router.cfg.metrics
    }
}

// A subscription command is never sent again: the hub's books and the server's must agree,
// and a lost one is made again with the next connection anyway.
impl Resend for Subscriber {
    fn send(&self, request: Encoded, info: &'static CommandInfo, deadline: Option<Deadline>) -> Pending {
        self.hub.send(self.id, request, info, deadline)
    }

    fn timed_out(&self) {
        self.router.timed_out()
    }
}
