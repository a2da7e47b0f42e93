//! Re-authentication of a live connection before the credentials it was made with expire:
//! the provider is asked again and AUTH is queued like any request, so the requests around it
//! keep their order and their replies, and the connection is never dropped for it.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::connect::ask;
use super::inflight::{Answer, ReplyTo, Request};
use super::Shared;
use crate::command::{CmdBuf, CommandInfo, Flags};
use crate::config::Config;
use crate::deadline::Deadline;
use crate::log;

static AUTH: CommandInfo = CommandInfo { name: "AUTH", flags: Flags::NONE, key_specs: &[], tips: &[] };

/// After a failure, the next try comes this much later.
const RETRY: Duration = Duration::from_secs(1);

/// Authenticates the connection again `after` from now, and again as each new set of
/// credentials asks, until the returned task is aborted (the connection ended).
pub(super) fn start(
    cfg: Arc<Config>,
    shared: Arc<Shared>,
    tx: mpsc::WeakUnboundedSender<Request>,
    after: Duration,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut wait = after;
        loop {
            tokio::time::sleep(wait).await;
            let Some(provider) = &cfg.credentials else { return };
            let creds = match ask(provider).await {
                Ok(c) => c,
                Err(e) => {
                    log::warning!("re-authentication postponed: {}", e);
                    wait = RETRY;
                    continue;
                }
            };
            let mut c = CmdBuf::new(b"$4\r\nAUTH\r\n", 1);
            if let Some(user) = &creds.username {
                c.arg(user);
            }
            c.arg(&creds.password);
            let Ok(bytes) = c.finish() else { return };
            let (reply, answer) = oneshot::channel();
            let Some(tx) = tx.upgrade() else { return };
            shared.queued.fetch_add(1, Ordering::Relaxed);
            let deadline = Deadline::within(Some(cfg.connect_timeout));
            if tx.send(Request { bytes, reply: ReplyTo::One(reply), info: &AUTH, deadline }).is_err() {
                shared.dequeued(1);
                return;
            }
            drop(tx);
            match answer.await {
                Ok(Answer { result: Ok(v), .. }) if v.as_error().is_none() => match creds.refresh_after() {
                    Some(next) => wait = next,
                    None => return,
                },
                Ok(Answer { result: Ok(v), .. }) => {
                    let text =
                        v.as_error().map(|e| String::from_utf8_lossy(e).into_owned()).unwrap_or_default();
                    // A server may quote what it was sent.
                    let text = text.replace(&creds.password, "***");
                    log::warning!("re-authentication refused: {}", text);
                    wait = RETRY;
                }
                Ok(Answer { result: Err(e), .. }) => {
                    log::debug!("re-authentication got no answer: {}", e);
                    return;
                }
                Err(_) => return,
            }
        }
    })
}
