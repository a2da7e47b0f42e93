//! [`Link`]: the connection a hub's subscriptions ride to one server, and the push sink that
//! reports what arrives on it to the hub, saying which server it came from.

use std::sync::{Arc, Weak};

use super::Hub;
use crate::command::{CommandInfo, Encoded};
use crate::config::{Addr, Config, Protocol, Wanted};
use crate::connection::{Connection, PushSink};
use crate::log;
use crate::pool::Pool;
use crate::resp::Value;
use crate::Error;

/// The connection of a hub to one server.
pub(super) struct Link {
    carrier: Carrier,
}

enum Carrier {
    /// The first shared connection of the server's pool (RESP3).
    Shared(Arc<Pool>),
    /// A subscriber connection of its own (RESP2).
    Own(Connection),
}

impl Link {
    /// A link to the server of `pool`: its first shared connection with RESP3, else a
    /// subscriber connection made with `cfg`.
    pub(super) fn new(hub: Weak<Hub>, addr: Addr, pool: Arc<Pool>, cfg: &Config) -> Link {
        let carrier = match cfg.protocol {
            Protocol::Resp3 => Carrier::Shared(pool),
            Protocol::Resp2 => Carrier::Own(Connection::spawn_subscriber(Arc::new(cfg.clone()))),
        };
        let link = Link { carrier };
        // A pool's connection keeps its first sink: one of this hub for this address does
        // the same as a new one would.
        if !link.conn().set_sink(Arc::new(Sink { hub, addr })) {
            log::debug!("a connection already reports its pushes to a hub");
        }
        link
    }

    /// How a subscriber connection to the single node `addr` of a cluster connects.
    pub(super) fn node_config(addr: Addr, template: &Config) -> Config {
        Config {
            hosts: vec![addr],
            role: Wanted::Any,
            sentinel: None,
            auto_connect: true,
            ..template.clone()
        }
    }

    pub(super) fn conn(&self) -> &Connection {
        match &self.carrier {
            Carrier::Shared(pool) => pool.first(),
            Carrier::Own(conn) => conn,
        }
    }

    /// Moves a connection of its own to the current primary (RESP2; on RESP3 the pool moves).
    pub(super) fn relocate(&self) {
        if let Carrier::Own(conn) = &self.carrier {
            conn.relocate();
        }
    }

    /// Closes a connection of its own.
    pub(super) async fn close(&self) {
        if let Carrier::Own(conn) = &self.carrier {
            conn.close().await;
        }
    }
}

/// Reports a link's pushes to its hub, with the server they came from.
struct Sink {
    hub: Weak<Hub>,
    addr: Addr,
}

impl PushSink for Sink {
    fn push(&self, frame: Value) {
        match self.hub.upgrade() {
            Some(hub) => hub.on_push(&self.addr, frame),
            None => crate::connection::unrouted(&frame),
        }
    }

    fn lost(&self, cause: &Error) {
        if let Some(hub) = self.hub.upgrade() {
            hub.on_lost(&self.addr, cause);
        }
    }

    fn resubscribe(&self) -> Vec<(Encoded, &'static CommandInfo)> {
        self.hub.upgrade().map_or_else(Vec::new, |hub| hub.commands_at(&self.addr))
    }

    fn resubscribed(&self, outcome: Result<(), Error>) {
        if let Some(hub) = self.hub.upgrade() {
            hub.on_resubscribed(&self.addr, outcome);
        }
    }
}
