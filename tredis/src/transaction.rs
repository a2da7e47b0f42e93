//! [`Transaction`]: MULTI ... EXEC, optionally after WATCH on a connection of its own.

use std::time::Duration;

use crate::batch::{Batch, BatchBuf, BatchTarget, Replies};
use crate::command::{Blocking, CommandInfo, Encoded, Flags, EXEC, MULTI};
use crate::connection::Pending;
use crate::deadline::Deadline;
use crate::meter::Meter;
use crate::pool::Lease;
use crate::raw::Raw;
use crate::request::{Executor, Req, RouterRef, ScanNodes, Sealed, Target};
use crate::resp::Value;
use crate::retry::{Rerouted, Resend};
use crate::route::Router;
use crate::spans::{self, Op};
use crate::Error;

/// Commands that run together, atomically: MULTI, the commands, EXEC.
///
/// Made by [`Client::multi`](crate::Client::multi), or by [`Client::watch`](crate::Client::watch), which first WATCHes keys on a
/// connection of its own so that reads through the transaction see what EXEC will check:
///
/// ```no_run
/// use tredis::prelude::*;
///
/// # async fn demo(client: tredis::Client) -> Result<(), tredis::Error> {
/// let tx = client.watch("balance").await?;
/// let balance: i64 = tx.get("balance").await?.map_or(0, |b| String::from_utf8_lossy(&b).parse().unwrap_or(0));
/// match tx.exec((tx.set("balance", balance - 10), tx.incr("withdrawals"))).await? {
///     Some((set, n)) => { set?; n?; }
///     None => { /* `balance` changed meanwhile: nothing ran */ }
/// }
/// # Ok(())
/// # }
/// ```
///
/// The batch is a tuple (of up to 12 requests), a `Vec` (of requests of one command), or a
/// [`Queue`](crate::Queue) of any number of requests of any commands, raw ones too.
///
/// MULTI, the commands and EXEC are sent as one unit, so nothing of other callers can slip
/// in between and a transaction is never left open: dropping one sends nothing but UNWATCH
/// on its own connection, which then serves later transactions and blocking commands.
pub struct Transaction<'c> {
    router: &'c Router,
    /// After WATCH: its connection.
    conn: Option<Lease>,
}

static TRANSACTION: CommandInfo = CommandInfo { name: "EXEC", flags: Flags::NONE, key_specs: &[], tips: &[] };

impl<'c> Transaction<'c> {
    pub(crate) fn new(router: &'c Router, conn: Option<Lease>) -> Self {
        Transaction { router, conn }
    }

    /// A raw command in this transaction: any command by name (see [`Raw`](crate::Raw)).
    /// Await it to run it at once (a read after WATCH), or put it in the batch of
    /// [`exec`](Transaction::exec).
    pub fn raw(&self, name: &str) -> Req<'_, Self, Raw> {
        Req::new(self, Raw::new(name))
    }

    /// Runs the batch in MULTI/EXEC. Returns `None` when a watched key changed before EXEC:
    /// nothing ran. Otherwise one result per command: in a tuple for a tuple of up to 12
    /// requests, in a `Vec` for a `Vec` of requests of one command, as
    /// [`Answers`](crate::Answers) for a [`Queue`](crate::Queue) of any number of requests of
    /// any commands (raw ones too).
    ///
    /// # Errors
    ///
    /// An argument error of any command (nothing is sent); a command the server refused to
    /// queue (`EXECABORT`, nothing ran); [`ErrorKind::Indeterminate`](crate::ErrorKind) when
    /// the connection broke before EXEC's reply was read: the transaction may or may not have
    /// run, and it is never sent again.
    pub async fn exec<B: Batch>(&self, batch: B) -> Result<Option<B::Output>, Error> {
        let mut buf = BatchBuf::new();
        buf.bytes.extend_from_slice(MULTI);
        batch.encode(&mut buf);
        let meter = Meter::start(&self.router.cfg.metrics);
        let size = buf.infos.len();
        let commands = &buf.bytes[MULTI.len()..];
        let op = Op::batch(spans::Batch::Transaction, commands, &buf.infos, &self.router.spans);
        let result = op.around(self.run::<B>(buf)).await;
        if let Err(e) = &result {
            op.failed(e);
        }
        meter.end(&self.router.cfg.metrics, "MULTI", size, result.as_ref().err());
        result
    }

    /// Runs the batch encoded after MULTI.
    async fn run<B: Batch>(&self, mut buf: BatchBuf) -> Result<Option<B::Output>, Error> {
        if let Some(e) = buf.refused.iter_mut().find_map(Option::take) {
            return Err(e);
        }
        // On a WATCH transaction's own connection, keys route nothing.
        if !buf.learn.is_empty() && self.conn.is_none() {
            buf.learn_keys(self.router).await;
        }
        buf.bytes.extend_from_slice(EXEC);
        let n = buf.sent + 2;
        let bytes = Encoded::concat(std::mem::take(&mut buf.bytes));
        let answer = match &self.conn {
            Some(conn) if conn.is_closed() => return Err(watch_lost().with_command("EXEC")),
            Some(conn) => {
                let deadline = self.router.deadline(Blocking::No, None);
                // The connection answers by the deadline.
                conn.submit_batch(bytes, n, &TRANSACTION, deadline)
                    .await
                    .map_err(|_| Error::indeterminate("the connection task stopped").with_command("EXEC"))?
            }
            None => self.router.run_batch(bytes, n, &TRANSACTION, Blocking::No, &buf.infos).await,
        };
        if answer.values.len() < n {
            // EXEC's reply never came: whether it ran is unknown.
            return Err(answer
                .error
                .unwrap_or_else(|| Error::indeterminate("no reply to EXEC"))
                .with_command("EXEC"));
        }
        let mut values = answer.values;
        let exec = values.pop().expect("n >= 2");
        let queue_error =
            values.iter().find_map(|v| v.as_error().map(|e| String::from_utf8_lossy(e).into_owned()));
        match exec {
            Value::Null => Ok(None),
            Value::Array(items) => Ok(Some(B::decode(&mut Replies::new(items, None, buf)))),
            Value::Error(e) | Value::BulkError(e) => {
                let mut text = String::from_utf8_lossy(&e).into_owned();
                if let Some(q) = queue_error {
                    text = format!("{text} (first refused command: {q})");
                }
                Err(Error::server(text.as_bytes()).with_command("EXEC"))
            }
            other => {
                Err(Error::protocol(format!("EXEC replied with {}", other.kind_name())).with_command("EXEC"))
            }
        }
    }
}

/// The connection of a WATCH transaction was lost: the keys are no longer watched, so
/// nothing more is sent on the transaction's behalf (a new connection would run EXEC
/// unwatched).
fn watch_lost() -> Error {
    Error::connect(
        "the connection holding this transaction's WATCH was lost, and the WATCH with it; nothing was sent",
    )
}

// Only WATCH puts a transaction on a connection of its own, and WATCH is in this group.
#[cfg(feature = "transactions")]
impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        // The connection goes back for reuse only once UNWATCH proves no WATCH is left on it.
        let unwatch = crate::commands::TransactionsTxCommands::unwatch(self).cmd;
        let Ok(bytes) = crate::command::Command::encode(unwatch) else { return };
        let info = <crate::commands::transactions::Unwatch as crate::command::Command>::INFO;
        let deadline = crate::deadline::Deadline::within(Some(std::time::Duration::from_secs(5)));
        let pending = conn.submit(bytes, info, deadline);
        runtime.spawn(async move {
            if matches!(pending.await.result, Ok(Value::Simple(_))) {
                conn.release();
            }
        });
    }
}

impl Sealed for Transaction<'_> {}
impl Target for Transaction<'_> {
    fn router(&self) -> RouterRef<'_> {
        RouterRef(self.router)
    }
}
impl BatchTarget for Transaction<'_> {}

/// Commands that only make sense on a transaction's own connection (WATCH, UNWATCH).
pub trait TxTarget: Target {}

impl TxTarget for Transaction<'_> {}

// Without WATCH, a transaction's reads run as the client's; after WATCH, on its connection
// alone, where nothing is sent again: the WATCH would be lost with a new connection.
impl Executor for Transaction<'_> {
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
        self.conn.is_none().then(|| self.router.scan_pools().map(ScanNodes)).flatten()
    }
}

impl Resend for Transaction<'_> {
    fn send(&self, request: Encoded, info: &'static CommandInfo, deadline: Option<Deadline>) -> Pending {
        match &self.conn {
            Some(conn) if conn.is_closed() => Pending::failed(watch_lost()),
            Some(conn) => conn.submit(request, info, deadline),
            None => self.router.send(request, info, deadline),
        }
    }

    fn reroute(
        &self,
        err: &Error,
        request: Encoded,
        info: &'static CommandInfo,
        deadline: Option<Deadline>,
    ) -> Rerouted {
        match &self.conn {
            Some(_) => Rerouted::No(request),
            None => self.router.reroute(err, request, info, deadline),
        }
    }

    fn timed_out(&self) {
        self.router.timed_out()
    }

    fn relocate(&self) -> bool {
        self.conn.is_none() && self.router.relocate()
    }
}
