//! The facts of raw commands whose name the spec does not know: on one server they need none
//! (nothing is routed by key); in a cluster, the keys the caller marked route the request, and
//! without marks the cluster is asked once per name where the keys are.

use super::{Router, Topology};
use crate::cluster::{cross_slot, MarkedKeys};
use crate::command::{interned, CommandInfo};
use crate::deadline::Deadline;
use crate::Error;

/// The facts a raw command runs with.
pub(crate) enum Facts {
    /// Known now.
    Ready(&'static CommandInfo),
    /// To be asked of the cluster before the request is sent (see [`Router::learn`]).
    Learn(&'static str),
}

impl Router {
    /// The facts of raw command `name` (from [`interned::name`]) with the keys `keys`
    /// marked; in a cluster, an error when those keys hash to different slots, which a raw
    /// command, never split, cannot serve.
    pub(crate) fn raw_facts(&self, name: &'static str, keys: &MarkedKeys) -> Result<Facts, Error> {
        let Topology::Cluster(c, _) = &self.topology else {
            return Ok(Facts::Ready(interned::info(name, &[])));
        };
        match keys.first() {
            Some(_) if keys.cross() => Err(cross_slot().with_command(name)),
            // Every marked key shares the first one's slot: the first routes the request.
            Some(first) => Ok(Facts::Ready(interned::info(name, &[interned::key_at(first)]))),
            None => Ok(c.learned(name).map_or(Facts::Learn(name), Facts::Ready)),
        }
    }

    /// The facts of raw command `name` as the cluster tells them, asked within `deadline`
    /// unless learned before.
    pub(crate) async fn learn(&self, name: &'static str, deadline: Option<Deadline>) -> &'static CommandInfo {
        match &self.topology {
            Topology::Cluster(c, _) => c.learn(name, deadline).await,
            Topology::Standalone(_) => interned::info(name, &[]),
        }
    }
}
