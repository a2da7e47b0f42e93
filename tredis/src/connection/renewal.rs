//! The companion connection of the RESP2 cache (`super::redirect`) authenticated again
//! before its credentials expire. A subscribed RESP2 connection takes no AUTH, so C leaves
//! its channel, authenticates, and subscribes again, in one write: `UNSUBSCRIBE`, `AUTH`,
//! `SUBSCRIBE`. While C is out of the channel the server drops T's invalidations, so once C
//! is back every entry and pending mark of T goes, as on a flush: a read whose mark was
//! placed before then stores nothing, and one placed after is heard of again. A server that
//! closes connections whose credentials expired would otherwise close C, and T's whole
//! session with it, once per credentials' lifetime.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::connect::ask;
use crate::command::CmdBuf;
use crate::credentials::Provider;
use crate::log;
use crate::resp::Value;

/// After a provider failure or a refused AUTH, the next try comes this much later.
const RETRY: Duration = Duration::from_secs(1);

const UNSUBSCRIBE: &[u8] = b"*2\r\n$11\r\nUNSUBSCRIBE\r\n$20\r\n__redis__:invalidate\r\n";
const SUBSCRIBE: &[u8] = b"*2\r\n$9\r\nSUBSCRIBE\r\n$20\r\n__redis__:invalidate\r\n";

/// The replies a renewal waits for, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    Unsubscribed,
    Authenticated,
    Subscribed,
}

/// When C authenticates again, and how far along it is.
pub(super) struct Renewal {
    provider: Provider,
    /// How long the provider may take.
    limit: Duration,
    /// When to start the next renewal.
    at: Instant,
    awaiting: VecDeque<Step>,
    /// When the one under way is done: how long until the next (`None`: never).
    next: Option<Duration>,
    /// The password sent, kept out of what the server may quote back.
    password: String,
}

/// What a frame C read means to a renewal under way.
pub(super) enum Heard {
    /// Not an answer it waits for: an invalidation, say.
    Other,
    /// One of its answers.
    Step,
    /// Its last answer: C is back in the channel, and what the server dropped meanwhile is
    /// unknown.
    Done,
}

impl Renewal {
    /// Renewals with `provider`, the first `after` from now.
    pub(super) fn new(provider: Provider, after: Duration, limit: Duration) -> Renewal {
        Renewal {
            provider,
            limit,
            at: Instant::now() + after,
            awaiting: VecDeque::new(),
            next: None,
            password: String::new(),
        }
    }

    /// When the next one is due, if none is under way.
    pub(super) fn due(&self) -> Option<Instant> {
        self.awaiting.is_empty().then_some(self.at)
    }

    /// The commands of a renewal, with fresh credentials; `None` when the provider failed
    /// (the next try is then [`RETRY`] later).
    pub(super) async fn start(&mut self) -> Option<Vec<u8>> {
        let creds = match tokio::time::timeout(self.limit, ask(&self.provider)).await {
            Ok(Ok(creds)) => creds,
            Ok(Err(e)) => return self.postpone(format_args!("{e}")),
            Err(_) => {
                let limit = self.limit;
                return self.postpone(format_args!("no credentials within {limit:?}"));
            }
        };
        let mut auth = CmdBuf::new(b"$4\r\nAUTH\r\n", 1);
        if let Some(user) = &creds.username {
            auth.arg(user);
        }
        auth.arg(&creds.password);
        let auth = auth.finish().ok()?;
        let mut bytes = UNSUBSCRIBE.to_vec();
        bytes.extend_from_slice(auth.as_bytes());
        bytes.extend_from_slice(SUBSCRIBE);
        self.awaiting = [Step::Unsubscribed, Step::Authenticated, Step::Subscribed].into();
        self.next = creds.refresh_after();
        self.password = creds.password;
        Some(bytes)
    }

    fn postpone(&mut self, why: std::fmt::Arguments<'_>) -> Option<Vec<u8>> {
        log::warning!("re-authentication of the invalidation connection postponed: {}", why);
        self.at = Instant::now() + RETRY;
        None
    }

    /// Takes `v` if it is the answer the renewal waits for next.
    pub(super) fn heard(&mut self, v: &Value) -> Heard {
        let Some(&step) = self.awaiting.front() else { return Heard::Other };
        let matches = match (step, v) {
            (Step::Unsubscribed, Value::Array(items)) => confirms(items, b"unsubscribe"),
            (Step::Subscribed, Value::Array(items)) => confirms(items, b"subscribe"),
            (Step::Authenticated, Value::Simple(_) | Value::Error(_)) => true,
            _ => false,
        };
        if !matches {
            return Heard::Other;
        }
        self.awaiting.pop_front();
        if let Value::Error(e) = v {
            // Still authenticated as before: try again soon.
            let text = String::from_utf8_lossy(e).replace(&self.password, "***");
            log::warning!("re-authentication of the invalidation connection refused: {}", text);
            self.next = Some(RETRY);
        }
        if !self.awaiting.is_empty() {
            return Heard::Step;
        }
        self.password.clear();
        // Far enough never to come when the credentials do not expire.
        self.at = Instant::now() + self.next.unwrap_or(Duration::from_secs(86_400 * 365));
        Heard::Done
    }
}

/// Whether `items` confirms `kind` (`subscribe`, `unsubscribe`) of the invalidation channel.
fn confirms(items: &[Value], kind: &[u8]) -> bool {
    matches!(items, [Value::Bulk(k), Value::Bulk(ch), _]
        if k.eq_ignore_ascii_case(kind) && &ch[..] == b"__redis__:invalidate")
}
