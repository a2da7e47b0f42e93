//! Pub/sub: the [`Event`]s a [`Subscriber`](crate::Subscriber) receives, and (inside the
//! crate) the hub that keeps a client's subscriptions on their connection and each
//! subscriber's bounded queue.

mod event;
mod hub;
mod queue;

pub use event::{Event, Kind, Message};
pub(crate) use hub::{Hub, Place};
pub(crate) use queue::Queue;
