//! What a [`Subscriber`](crate::Subscriber) receives: messages, and the events that say what
//! happened to its subscriptions.

use bytes::Bytes;

use crate::Error;

/// The three kinds of subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A channel (SUBSCRIBE).
    Channel,
    /// A glob-style pattern of channels (PSUBSCRIBE).
    Pattern,
    /// A shard channel (SSUBSCRIBE), served by the node of its slot in a cluster.
    Shard,
}

impl Kind {
    pub(crate) const ALL: [Kind; 3] = [Kind::Channel, Kind::Pattern, Kind::Shard];

    /// The kind of a subscribe-family command (`SUBSCRIBE` ...) or confirmation (`subscribe`
    /// ...), by its name, and whether it subscribes (rather than unsubscribes).
    pub(crate) fn of(name: &[u8]) -> Option<(Kind, bool)> {
        const NAMES: [(&[u8], Kind, bool); 6] = [
            (b"subscribe", Kind::Channel, true),
            (b"psubscribe", Kind::Pattern, true),
            (b"ssubscribe", Kind::Shard, true),
            (b"unsubscribe", Kind::Channel, false),
            (b"punsubscribe", Kind::Pattern, false),
            (b"sunsubscribe", Kind::Shard, false),
        ];
        NAMES.iter().find(|(n, _, _)| n.eq_ignore_ascii_case(name)).map(|&(_, k, s)| (k, s))
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// One message published on a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The kind of subscription that brought it.
    pub kind: Kind,
    /// The channel it was published on.
    pub channel: Bytes,
    /// For a pattern subscription: the pattern that matched the channel.
    pub pattern: Option<Bytes>,
    /// What was published.
    pub payload: Bytes,
}

/// An item of a subscriber's stream.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// A message.
    Message(Message),
    /// The server confirmed a subscription of this subscriber.
    Subscribed {
        /// Its kind.
        kind: Kind,
        /// The channel, pattern or shard channel.
        channel: Bytes,
    },
    /// The connection carrying the subscriptions was lost: messages published from now until
    /// [`Event::Resubscribed`] are missing. The client subscribes again by itself.
    Gap {
        /// Why the connection was lost.
        cause: Error,
    },
    /// Every subscription is in place again after a [`Event::Gap`].
    Resubscribed,
    /// Subscribing again after a [`Event::Gap`] failed (a permission taken away, say); the
    /// client tries again with the next connection.
    ResubscribeFailed {
        /// The server's refusal, or why no answer came.
        cause: Error,
    },
    /// The subscriber fell behind: its buffer
    /// ([`subscriber_buffer`](crate::Builder::subscriber_buffer)) was full, and this many
    /// messages were dropped here, in its place in the stream.
    Lagged(u64),
    /// The server ended a subscription by itself (a shard channel whose slot moved away).
    Unsubscribed {
        /// Its kind.
        kind: Kind,
        /// The channel, pattern or shard channel.
        channel: Bytes,
    },
}
