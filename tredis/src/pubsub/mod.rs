//! Pub/sub: the [`Hub`] that keeps a client's subscriptions on their connection, each
//! subscriber's bounded [`Queue`], and the [`Event`]s a [`Subscriber`](crate::Subscriber)
//! receives.

mod event;
mod hub;
mod queue;

pub use event::{Event, Kind, Message};
pub(crate) use hub::Hub;
pub(crate) use queue::Queue;
