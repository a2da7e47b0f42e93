//! The client runs each request as it is awaited, through its [`Router`](crate::route::Router).

use std::time::Duration;

use super::Client;
use crate::command::{Blocking, CommandInfo, Encoded};
use crate::connection::Pending;
use crate::deadline::Deadline;
use crate::request::{Executor, RouterRef, ScanNodes, Sealed, Target};
use crate::retry::{Rerouted, Resend};
use crate::Error;

impl Sealed for Client {}
impl Target for Client {
    fn router(&self) -> RouterRef<'_> {
        RouterRef(&self.router)
    }
}

impl Executor for Client {
    #[inline]
    fn deadline(&self, blocking: Blocking, timeout: Option<Duration>) -> Option<Deadline> {
        self.router.deadline(blocking, timeout)
    }

    fn span_settings(&self) -> &crate::spans::Settings {
        &self.router.spans
    }

    fn meters(&self) -> &crate::meter::Meters {
        &self.router.cfg.metrics
    }

    fn scan_nodes(&self) -> Option<ScanNodes> {
        self.router.scan_pools().map(ScanNodes)
    }
}

impl Resend for Client {
    #[inline]
    fn send(&self, request: Encoded, info: &'static CommandInfo, deadline: Option<Deadline>) -> Pending {
        self.router.send(request, info, deadline)
    }

    fn reroute(
        &self,
        err: &Error,
        request: Encoded,
        info: &'static CommandInfo,
        deadline: Option<Deadline>,
    ) -> Rerouted {
        self.router.reroute(err, request, info, deadline)
    }

    fn timed_out(&self) {
        self.router.timed_out()
    }

    fn relocate(&self) -> bool {
        self.router.relocate()
    }
}
