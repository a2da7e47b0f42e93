//! [`Req::cached`]: a read answered from the cache, or sent as
//! `CLIENT CACHING YES, MULTI, PTTL key, <read>, EXEC` under a pending mark, its reply stored
//! if the mark survived (see the module docs for why).

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::ops::Range;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use super::each::Each;
use super::store::{Lookup, Ticket};
use super::{Cache, Cacheable};
use crate::command::{BeginSearch, CommandInfo, Encoded};
use crate::connection::BatchAnswer;
use crate::deadline::Deadline;
use crate::meter::Meter;
use crate::pool::Pinned;
use crate::reply::Decode;
use crate::request::{Executor, ReplyFuture, ReqOpts, Target};
use crate::resp::Value;
use crate::route::Router;
use crate::spans::{Op, Served, Statement};
use crate::{Client, Error, Req};

/// `CLIENT CACHING YES` then `MULTI`: the read that follows is tracked, with its key's PTTL.
const CACHING_MULTI: &[u8] = b"*3\r\n$6\r\nCLIENT\r\n$7\r\nCACHING\r\n$3\r\nYES\r\n*1\r\n$5\r\nMULTI\r\n";
const PTTL: &[u8] = b"*2\r\n$4\r\nPTTL\r\n";
const EXEC: &[u8] = b"*1\r\n$4\r\nEXEC\r\n";
/// CLIENT CACHING, MULTI, PTTL, the read, EXEC.
const BATCH: usize = 5;

impl<'c, C: Cacheable> Req<'c, Client, C> {
    /// The same read, answered from the client-side cache when it holds the reply, else sent
    /// so that the server tracks its key and the reply is kept until the key changes (or the
    /// cache's time to live, or the key's own, runs out). The reply has the same type as
    /// without `.cached()`.
    ///
    /// A read of several keys (MGET) is cached key by key: a hit on some keys sends only the
    /// others, each as the command on that key alone, and the replies come back in the order
    /// of the keys. Concurrent misses of the same read send one request. Without a cache on the client
    /// (see [`Builder::cache`](crate::Builder::cache)) the read is simply sent. Compiles only
    /// for the commands the spec lets the cache keep ([`Cacheable`](crate::cache::Cacheable)).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn f(client: tredis::Client) -> Result<(), tredis::Error> {
    /// use tredis::prelude::*;
    ///
    /// let v = client.get("greeting").cached().await?;
    /// # Ok(()) }
    /// ```
    pub fn cached(self) -> Cached<'c, C> {
        Cached { req: self }
    }
}

/// A cached read (made by [`Req::cached`]): `.await` it for the command's reply.
#[must_use = "a request does nothing until it is awaited"]
pub struct Cached<'c, C> {
    req: Req<'c, Client, C>,
}

impl<'c, C: Cacheable> IntoFuture for Cached<'c, C> {
    type Output = Result<<C::Reply as Decode>::Output, Error>;
    type IntoFuture = CachedFuture<'c, C::Reply>;

    fn into_future(self) -> Self::IntoFuture {
        let Req { exec: client, cmd, opts } = self.req;
        let info = C::INFO;
        let request = match cmd.encode() {
            Ok(r) => r,
            Err(e) => return CachedFuture::new(client, info, Inner::Done(Some(Err(e)))),
        };
        if C::EACH_KEY {
            return CachedFuture::each(client, info, request, C::KEY_AT, opts);
        }
        let key = key_range(info, request.as_bytes(), C::KEY_AT);
        CachedFuture::start(client, info, request, key, opts)
    }
}

impl<'c, R> CachedFuture<'c, R> {
    /// A read of one key (at `key` in `request`): answered from the cache, or sent under a
    /// pending mark; sent the ordinary way when there is no cache or no key.
    pub(super) fn start(
        client: &'c Client,
        info: &'static CommandInfo,
        request: Encoded,
        key: Option<Range<usize>>,
        opts: ReqOpts,
    ) -> Self {
        let router = Target::router(client).0;
        let Some((cache, key)) = router.cache.as_deref().zip(key) else {
            let sent = ReplyFuture::new(client, Ok(request), info, opts);
            return CachedFuture::new(client, info, Inner::Uncached(Box::pin(sent)));
        };
        let wire = request.as_bytes();
        let now = crate::deadline::coarse_now();
        if let Some(v) = cache.store.hit(&wire[key.clone()], wire, now) {
            return CachedFuture::new(client, info, Inner::Done(Some(Ok(v))));
        }
        // The connection that tracks the key (in a cluster, one of its slot's primary): a miss
        // places its mark under this connection's id, and is sent on it. Looked at again under
        // the lock that places the mark: another caller may have filled it, or be reading it.
        let tracker = Pinned::new(router.tracking_pool(&wire[key.clone()]));
        match cache.store.lookup(&wire[key.clone()], wire, tracker.conn().id(), now) {
            Lookup::Hit(v) => CachedFuture::new(client, info, Inner::Done(Some(Ok(v)))),
            found => {
                // Only what goes to the server is a request of the database, with a span and
                // a measure: hits are counted by `Client::cache_stats`.
                let meter = Meter::start(client.meters());
                let settings = client.span_settings();
                let statement = Statement::of(settings, &request, info);
                let op = Op::command(info, statement, settings, Served::by(|| tracker.conn().server()));
                let idempotent = opts.idempotent;
                let deadline = client.deadline(request.blocking(), opts.timeout);
                let read = Read { cache, router, tracker, request, key, info, deadline, idempotent };
                let mut cached = CachedFuture::new(client, info, Inner::Miss(Box::pin(read.run(found))));
                (cached.meter, cached.op) = (meter, op);
                cached
            }
        }
    }
}

/// Where the key of a cacheable command is: `key_at` bytes after the `*<argc>\r\n` line
/// ([`Cacheable::KEY_AT`]), as `$<len>\r\n<key>\r\n`. Checked against the bytes, so that a
/// wrong place finds nothing rather than another argument.
#[inline]
fn key_range(info: &CommandInfo, wire: &[u8], key_at: usize) -> Option<Range<usize>> {
    let key = bulk_at(wire, after_header(wire)? + key_at).map(|(key, _)| key);
    debug_assert!(
        key_by_spec(info, wire).map_or(true, |by_spec| key == Some(by_spec)),
        "{}: the key is not where the generator put it",
        info.name
    );
    key
}

/// Where the key spec says the key is, by reading every argument before it: what
/// [`key_range`] must agree with.
fn key_by_spec(info: &CommandInfo, wire: &[u8]) -> Option<Range<usize>> {
    let [spec] = info.key_specs else { return None };
    let BeginSearch::Index(i) = spec.begin else { return None };
    nth_bulk(wire, i as usize)
}

/// The place of the `n`th bulk string of an encoded command (`*<count>\r\n` then `$<len>\r\n
/// <bytes>\r\n` each). The count is not read: a command's bulk strings end where its bytes
/// do.
fn nth_bulk(wire: &[u8], n: usize) -> Option<Range<usize>> {
    if wire.first() != Some(&b'*') {
        return None;
    }
    let (_, mut at) = number(wire, 1)?;
    for k in 0..=n {
        let (bytes, next) = bulk_at(wire, at)?;
        if k == n {
            return Some(bytes);
        }
        at = next;
    }
    None
}

/// Where the first argument of an encoded command starts: after its `*<argc>\r\n` line.
#[inline]
pub(super) fn after_header(wire: &[u8]) -> Option<usize> {
    Some(wire.iter().take(16).position(|&b| b == b'\n')? + 1)
}

/// The bulk string at `at` (`$<len>\r\n<bytes>\r\n`): where its bytes are, and where what
/// follows it starts.
#[inline]
pub(super) fn bulk_at(wire: &[u8], at: usize) -> Option<(Range<usize>, usize)> {
    if wire.get(at) != Some(&b'$') {
        return None;
    }
    let (len, start) = number(wire, at + 1)?;
    let end = start.checked_add(len)?;
    wire.get(end..)?.starts_with(b"\r\n").then_some((start..end, end + 2))
}

/// The decimal number at `at` (at most 18 digits: no overflow) and where the line after its
/// `\r\n` starts.
#[inline]
fn number(wire: &[u8], at: usize) -> Option<(usize, usize)> {
    let mut value = 0u64;
    let mut i = at;
    loop {
        let b = *wire.get(i)?;
        if b == b'\r' {
            break;
        }
        let digit = b.wrapping_sub(b'0');
        if digit > 9 || i - at == 18 {
            return None;
        }
        value = value * 10 + u64::from(digit);
        i += 1;
    }
    if i == at || wire.get(i + 1) != Some(&b'\n') {
        return None;
    }
    Some((usize::try_from(value).ok()?, i + 2))
}

/// What a miss came to.
pub(super) enum Outcome {
    Reply(Value),
    Failed(Error),
    /// The cached path could not answer (the connection failed it): sent the ordinary way,
    /// with its retries, within the same deadline.
    Uncached(Encoded, Option<Deadline>, bool),
}

/// A miss, or a wait on another caller's flight.
struct Read<'a> {
    cache: &'a Cache,
    router: &'a Router,
    /// The connection the lookup was made for.
    tracker: Pinned,
    request: Encoded,
    key: Range<usize>,
    info: &'static CommandInfo,
    deadline: Option<Deadline>,
    idempotent: bool,
}

impl<'a> Read<'a> {
    async fn run(self, mut found: Lookup<'a>) -> Outcome {
        loop {
            match found {
                Lookup::Hit(v) => return Outcome::Reply(v),
                Lookup::Miss(ticket) => return self.lead(ticket).await,
                Lookup::Wait(flight) => {
                    let waited = match self.deadline {
                        None => flight.wait().await,
                        Some(d) => {
                            let at = d.instant();
                            match tokio::time::timeout_at(at, flight.wait()).await {
                                Ok(w) => w,
                                Err(_) => return Outcome::Failed(Error::timeout(d.timeout())),
                            }
                        }
                    };
                    if let Some(v) = waited {
                        return Outcome::Reply(v);
                    }
                }
            }
            // The flight failed: look again, and send the read if nobody else does.
            let wire = self.request.as_bytes();
            let now = crate::deadline::coarse_now();
            found = self.cache.store.lookup(&wire[self.key.clone()], wire, self.tracker.conn().id(), now);
        }
    }

    /// Sends the read under the ticket's mark, stores its reply if the mark survived, and
    /// answers the flight's waiters.
    async fn lead(self, mut ticket: Ticket<'_>) -> Outcome {
        let wire = self.request.as_bytes();
        let key = &wire[self.key.clone()];
        let mut buf = Vec::with_capacity(CACHING_MULTI.len() + PTTL.len() + key.len() + wire.len() + 32);
        buf.extend_from_slice(CACHING_MULTI);
        buf.extend_from_slice(PTTL);
        crate::resp::bulk(&mut buf, key);
        buf.extend_from_slice(wire);
        buf.extend_from_slice(EXEC);
        let conn = self.tracker.conn();
        let answer = conn.submit_batch(Encoded::concat(buf), BATCH, self.info, self.deadline).await;
        let values = match answer {
            Ok(BatchAnswer { values, error: None, .. }) if values.len() == BATCH => values,
            // Lost, or timed out: the ordinary path knows what may be sent again.
            _ => return Outcome::Uncached(self.request, self.deadline, self.idempotent),
        };
        // Refused when queued because the node does not serve the key (MOVED, ASK) or cannot
        // yet: the ordinary path follows the redirection (and the cluster drops the slot's
        // entries), or waits; nothing is stored.
        if values[2..4].iter().any(refused) {
            return Outcome::Uncached(self.request, self.deadline, self.idempotent);
        }
        let (pttl, reply) = match &values[4] {
            Value::Array(r) if r.len() == 2 => (r[0].clone(), r[1].clone()),
            // EXECABORT: the read was refused when queued, and its own error says why.
            Value::Error(_) | Value::BulkError(_) if values[3].as_error().is_some() => {
                (Value::Null, values[3].clone())
            }
            _ => return Outcome::Uncached(self.request, self.deadline, self.idempotent),
        };
        // Kept only when the server agreed to track it and the read succeeded.
        let tracked = values[..4].iter().all(|v| v.as_error().is_none());
        // And when the map still names the node it was read from: a map installed since the
        // read was routed may have moved the slot, and its drop may have run before the mark
        // was placed (see the module docs).
        let owner = self.router.tracking_pool(key);
        if tracked && reply.as_error().is_none() && std::sync::Arc::ptr_eq(&owner, self.tracker.pool()) {
            let ttl = match pttl {
                Value::Int(ms) if ms >= 0 => self.cache.ttl_ms.min(ms as u64),
                _ => self.cache.ttl_ms,
            };
            self.cache.store.fill(&ticket, reply.clone(), ttl, crate::deadline::now());
        }
        // The ticket, dropped here or wherever this read ends, removes what is left of the
        // mark and answers the waiters.
        ticket.answer(reply.clone());
        Outcome::Reply(reply)
    }
}

/// Whether a command's error when queued says it did not run there and the ordinary path
/// would send it elsewhere, or later (the fate rule's codes, see `crate::retry`).
fn refused(v: &Value) -> bool {
    let Some(text) = v.as_error() else { return false };
    let code = text.split(|&b| b == b' ').next().unwrap_or_default();
    matches!(code, b"MOVED" | b"ASK" | b"READONLY")
        || crate::retry::retry_later(std::str::from_utf8(code).ok())
}

pub(super) enum Inner<'c, R> {
    Done(Option<Result<Value, Error>>),
    Miss(Pin<Box<dyn Future<Output = Outcome> + Send + 'c>>),
    Uncached(Pin<Box<ReplyFuture<'c, Client, R>>>),
    /// A read of several keys, each read (and cached) on its own.
    Each(Box<Each<'c>>),
}

/// The typed reply of a cached read.
#[must_use = "futures do nothing unless polled"]
pub struct CachedFuture<'c, R> {
    client: &'c Client,
    info: &'static CommandInfo,
    inner: Inner<'c, R>,
    /// A miss's measure (feature `metrics`) and span (feature `spans`).
    meter: Meter,
    op: Op,
    _reply: PhantomData<fn() -> R>,
}

impl<'c, R> CachedFuture<'c, R> {
    pub(super) fn new(client: &'c Client, info: &'static CommandInfo, inner: Inner<'c, R>) -> Self {
        CachedFuture { client, info, inner, meter: Meter::none(), op: Op::none(), _reply: PhantomData }
    }
}

impl<R: Decode> Future for CachedFuture<'_, R> {
    type Output = Result<R::Output, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let name = this.info.name;
        loop {
            let reply = match &mut this.inner {
                Inner::Done(r) => {
                    // A hit never waits on anything: it spends the task's cooperative budget
                    // like a tokio resource would, so that a loop of hits still yields.
                    ready!(tokio::task::coop::poll_proceed(cx)).made_progress();
                    r.take().unwrap_or_else(|| Err(Error::protocol("reply polled after completion")))
                }
                Inner::Miss(read) => match ready!(read.as_mut().poll(cx)) {
                    Outcome::Reply(v) => Ok(v),
                    Outcome::Failed(e) => Err(e),
                    Outcome::Uncached(request, deadline, idempotent) => {
                        // The ordinary path measures the request from here on, in a span of
                        // its own.
                        (this.meter, this.op) = (Meter::none(), Op::none());
                        let sent = ReplyFuture::sent(this.client, request, this.info, idempotent, deadline);
                        this.inner = Inner::Uncached(Box::pin(sent));
                        continue;
                    }
                },
                Inner::Uncached(sent) => return sent.as_mut().poll(cx),
                Inner::Each(each) => ready!(each.poll(cx)),
            };
            let out = match reply {
                Ok(Value::Error(e) | Value::BulkError(e)) => Err(Error::server(&e).with_command(name)),
                Ok(v) => R::decode(v).map_err(|e| Error::protocol(e.to_string()).with_command(name)),
                Err(e) => Err(e.with_command(name)),
            };
            if let Err(e) = &out {
                this.op.failed(e);
            }
            this.meter.end(this.client.meters(), name, 1, out.as_ref().err());
            return Poll::Ready(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{key_range, nth_bulk};
    use crate::command::{BeginSearch, CommandInfo, FindKeys, Flags, KeySpec};

    const HGET: CommandInfo = CommandInfo {
        name: "HGET",
        flags: Flags::READONLY,
        key_specs: &[KeySpec {
            begin: BeginSearch::Index(1),
            find: FindKeys::Range { last: 0, step: 1, limit: 0 },
        }],
        tips: &[],
    };
    /// No key spec: the debug check has nothing to compare with.
    const NONE: CommandInfo = CommandInfo { name: "X", flags: Flags::READONLY, key_specs: &[], tips: &[] };

    #[test]
    fn the_key_is_found_where_the_generator_says() {
        let hget = b"*3\r\n$4\r\nHGET\r\n$6\r\nuser:1\r\n$4\r\nname\r\n";
        assert_eq!(key_range(&HGET, hget, 10).map(|r| &hget[r]), Some(&b"user:1"[..]));
        let long = b"*12\r\n$6\r\nOBJECT\r\n$4\r\nFREQ\r\n$1\r\nk\r\n";
        assert_eq!(key_range(&NONE, long, 22).map(|r| &long[r]), Some(&b"k"[..]));
        // A wrong place finds nothing rather than another argument.
        assert_eq!(key_range(&NONE, hget, 9), None);
        assert_eq!(key_range(&NONE, hget, 100), None);
        assert_eq!(key_range(&NONE, b"*2\r\n$3\r\nGET\r\n$9\r\nk\r\n", 9), None);
    }

    #[test]
    fn the_nth_bulk_string_of_a_command() {
        let hget = b"*3\r\n$4\r\nHGET\r\n$6\r\nuser:1\r\n$4\r\nname\r\n";
        let at = |n| nth_bulk(hget, n).map(|r| &hget[r]);
        assert_eq!(at(0), Some(&b"HGET"[..]));
        assert_eq!(at(1), Some(&b"user:1"[..]));
        assert_eq!(at(2), Some(&b"name"[..]));
        assert_eq!(at(3), None);
        let empty = b"*2\r\n$3\r\nGET\r\n$0\r\n\r\n";
        assert_eq!(nth_bulk(empty, 1), Some(17..17));
        // Whatever is not a well-formed command finds nothing.
        for bad in
            [&b""[..], b"*2\r\n$3\r\nGET\r\n", b"*2\r\n$9\r\nGET\r\n$1\r\nk\r\n", b"*x\r\n", b"*2\r\n$\r\n"]
        {
            assert_eq!(nth_bulk(bad, 1), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
