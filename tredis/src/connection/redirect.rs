//! Invalidations under RESP2, which has no pushes beside replies: a connection that tracks
//! keys for the client-side cache (T) has the server send its invalidations to a companion
//! connection (C) subscribed to `__redis__:invalidate`, with
//! `CLIENT TRACKING ON REDIRECT <C's id> OPTIN`.
//!
//! C belongs to T's session. It is made after T's handshake, to the server T has just
//! connected to and with T's settings (credentials, TLS, database, name), and is subscribed
//! before T tracks anything, so no invalidation is sent before someone is there to hear it.
//! It is closed when T's session ends, whatever ends it. If C is lost, or reads anything
//! other than a message on its channel or the answer to its PING, T's session ends as if T
//! had been lost. Text on the channel is some client's PUBLISH: it drops T's entries (what
//! it means is unknown) but leaves the session, so that no client can fail another's
//! requests by publishing. The server says nothing when a redirect client goes
//! (`tracking-redir-broken` is RESP3 only) and drops what it would have sent it, so from
//! then on nothing would drop T's entries when their keys change. Ending the session drops
//! them, and the next session makes a new C before T tracks again. Credentials that expire
//! are renewed on C as on T (`super::renewal`). Why a reply on T and an invalidation on C
//! may come in either order: see `crate::cache`, "How it stays correct".

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use tokio::task::AbortHandle;

use super::inflight::Inflight;
use super::push::{invalidated_keys, kind};
use super::renewal::{self, Renewal};
use super::transport::{self, ReadHalf, WriteHalf};
use super::{handshake, Invalidations};
use crate::config::{Addr, Config, Protocol, Wanted};
use crate::log;
use crate::resp::{Decoder, Value};
use crate::Error;

/// The channel the server publishes a redirected client's invalidations on.
const CHANNEL: &[u8] = b"__redis__:invalidate";

/// `CLIENT ID` and `SUBSCRIBE __redis__:invalidate`, in one write.
const ID_AND_SUBSCRIBE: &[u8] =
    b"*2\r\n$6\r\nCLIENT\r\n$2\r\nID\r\n*2\r\n$9\r\nSUBSCRIBE\r\n$20\r\n__redis__:invalidate\r\n";

const PING: &[u8] = b"*1\r\n$4\r\nPING\r\n";

/// The least time C waits for anything, its PING's answer included, however short the
/// health-check interval: a server busy for a moment (a slow script, a fork) must not end
/// every caching session. T's health check has the same floor.
const PONG_WAIT: Duration = Duration::from_secs(1);

/// C, subscribed, not yet listening.
pub(super) struct Companion {
    id: u64,
    rd: ReadHalf,
    wr: WriteHalf,
    dec: Decoder,
    buf: BytesMut,
    cache: Arc<dyn Invalidations>,
    /// Silence after which C is sent a PING, and then how long its answer may take.
    health: Option<Duration>,
}

/// Makes C for a T connected to `addr` (which it `reached` at that address) with `cfg`,
/// subscribed and ready; the caller has T
/// track keys with C's [id](Companion::id) next. Called within T's connect timeout.
///
/// # Errors
///
/// [`ErrorKind::Connect`](crate::ErrorKind::Connect) (or `Auth`) when C cannot be made: the
/// attempt to connect T fails with it, so requests waiting for T are known not to have run.
pub(super) async fn open(
    addr: &Addr,
    reached: Option<std::net::SocketAddr>,
    cfg: &Config,
    cache: Arc<dyn Invalidations>,
) -> Result<Companion, Error> {
    // RESP2 even where the server speaks RESP3: C reads messages as arrays. C tracks nothing
    // itself, and needs no ROLE check: T has just passed it on this server.
    let own = Config {
        protocol: Protocol::Resp2,
        tracking: None,
        role: Wanted::Any,
        read_from_replicas: false,
        ..cfg.clone()
    };
    // Where T went, not where the name resolves now: a client id means something on one
    // server only, and another server's client with C's id would get T's invalidations.
    let (mut rd, mut wr, _) =
        transport::open_at(addr, reached, cfg.connect_timeout, cfg.tls.as_ref()).await?;
    let session = handshake::run(&mut rd, &mut wr, &own).await?;
    let mut c = Companion {
        id: 0,
        rd,
        wr,
        dec: Decoder::new(cfg.limits),
        buf: session.leftover,
        cache,
        health: cfg.health_check,
    };
    let failed = |e: Error| Error::connect(format!("{addr}: the connection for invalidations: {e}"));
    c.subscribe().await.map_err(failed)?;
    Ok(c)
}

/// C at work. Dropping it closes C: its task is aborted, and its socket goes with it.
pub(super) struct Listening {
    task: AbortHandle,
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What woke C up.
enum Woke {
    Read(std::io::Result<usize>),
    /// Nothing came for the health-check interval.
    Silent,
    /// Its credentials are about to expire.
    Renew,
}

/// Resolves `d` from now, or never.
async fn after(d: Option<Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

/// Resolves at `t`, or never.
async fn until(t: Option<tokio::time::Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// What C read.
#[derive(Debug, PartialEq)]
enum Heard {
    /// An invalidation: these keys, or (`None`) every key T tracks.
    Invalidate(Option<Vec<bytes::Bytes>>),
    /// The answer to C's PING.
    Pong,
    /// Text on the channel: a PUBLISH by some client, not the server's tracking.
    Foreign,
    /// Anything else.
    Unexpected,
}

impl Companion {
    /// What the server knows C by, for `CLIENT TRACKING ... REDIRECT`.
    pub(super) fn id(&self) -> u64 {
        self.id
    }

    /// Hands every invalidation C reads to the cache as T's (`conn`, T's id), until C is lost
    /// or reads something else. Then it fails T's requests in flight (`inflight`) the way
    /// T's own reader does when T is lost, and says why on the returned receiver, which ends
    /// T's session.
    ///
    /// With `renewal`, C authenticates again before its credentials expire, as T does.
    pub(super) fn listen(
        self,
        conn: u64,
        inflight: Arc<Inflight>,
        renewal: Option<Renewal>,
    ) -> (Listening, oneshot::Receiver<Error>) {
        let (tx, rx) = oneshot::channel();
        let cache = self.cache.clone();
        let task = tokio::spawn(async move {
            let cause = self.serve(conn, renewal).await;
            let err = Error::unanswered(
                format!("the connection that receives this connection's invalidations failed: {cause}"),
                cause,
            );
            log::debug!("invalidation connection stopped: {}", err);
            inflight.fail_all(&err);
            // At once, not when T's task gets to it: T's writer may be stuck on a full socket
            // for as long as TCP takes to give up, and its entries would be served meanwhile
            // with nobody to hear their invalidations. Nothing more is written in this
            // session (its requests in flight are closed), so nothing can be tracked by it
            // after this.
            cache.lost(conn);
            let _ = tx.send(err);
        });
        (Listening { task: task.abort_handle() }, rx)
    }

    async fn subscribe(&mut self) -> Result<(), Error> {
        self.write(ID_AND_SUBSCRIBE).await?;
        self.id = match self.next().await? {
            Value::Int(id) if id > 0 => id as u64,
            other => return Err(Error::protocol(format!("CLIENT ID answered {}", describe(&other)))),
        };
        match self.next().await? {
            Value::Array(items)
                if matches!(&items[..], [Value::Bulk(k), Value::Bulk(ch), _]
                    if k.eq_ignore_ascii_case(b"subscribe") && ch == CHANNEL) =>
            {
                Ok(())
            }
            other => Err(Error::protocol(format!("SUBSCRIBE answered {}", describe(&other)))),
        }
    }

    /// Reads until C fails or reads what it must not; returns why.
    async fn serve(mut self, conn: u64, mut renewal: Option<Renewal>) -> Error {
        let mut pinged = false;
        loop {
            match self.dec.decode(&mut self.buf) {
                Ok(Some(v)) => {
                    match renewal.as_mut().map(|r| r.heard(&v)) {
                        Some(renewal::Heard::Step) => continue,
                        // Out of the channel for a moment: what the server dropped meanwhile
                        // is unknown, so T's entries and marks go (see `renewal`).
                        Some(renewal::Heard::Done) => {
                            self.cache.invalidate(conn, None);
                            continue;
                        }
                        Some(renewal::Heard::Other) | None => {}
                    }
                    match heard(&v) {
                        Heard::Invalidate(keys) => self.cache.invalidate(conn, keys),
                        Heard::Pong => {}
                        // Any client may PUBLISH to the channel: ending the session would let
                        // it fail every caching client's requests in flight. What the text
                        // says is unknown, so T's entries go, as on a flush.
                        Heard::Foreign => {
                            log::debug!(
                                "a PUBLISH to __redis__:invalidate: the entries of connection {} dropped",
                                conn
                            );
                            self.cache.invalidate(conn, None);
                        }
                        Heard::Unexpected => {
                            return Error::protocol(format!("it was sent {}", describe(&v)));
                        }
                    }
                    continue;
                }
                Ok(None) => {}
                Err(e) => return e,
            }
            // A link that died silently would lose every invalidation until the kernel's
            // keepalive noticed; T's health check catches that for T, this for C.
            let silence = self.health.map(|every| every.max(PONG_WAIT));
            let due = renewal.as_ref().and_then(Renewal::due);
            let woke = {
                let read = self.rd.read_buf(&mut self.buf);
                tokio::select! {
                    got = read => Woke::Read(got),
                    () = after(silence) => Woke::Silent,
                    () = until(due) => Woke::Renew,
                }
            };
            let got = match woke {
                Woke::Read(got) => got,
                Woke::Silent if pinged => {
                    return Error::indeterminate(format!("no answer to PING within {silence:?}"));
                }
                Woke::Silent => {
                    if let Err(e) = self.write(PING).await {
                        return e;
                    }
                    pinged = true;
                    continue;
                }
                Woke::Renew => {
                    let Some(r) = renewal.as_mut() else { continue };
                    if let Some(bytes) = r.start().await {
                        if let Err(e) = self.write(&bytes).await {
                            return e;
                        }
                    }
                    continue;
                }
            };
            match got {
                Ok(0) => return Error::indeterminate("the server closed the connection"),
                // Whatever came, the link works.
                Ok(_) => pinged = false,
                Err(e) => return Error::indeterminate(format!("read failed: {e}")),
            }
        }
    }

    /// The next frame, during the setup.
    async fn next(&mut self) -> Result<Value, Error> {
        loop {
            if let Some(v) = self.dec.decode(&mut self.buf)? {
                return Ok(v);
            }
            match self.rd.read_buf(&mut self.buf).await {
                Ok(0) => return Err(Error::indeterminate("the server closed the connection")),
                Ok(_) => {}
                Err(e) => return Err(Error::indeterminate(format!("read failed: {e}"))),
            }
        }
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.wr.write_all(bytes).await.map_err(|e| Error::indeterminate(format!("write failed: {e}")))
    }
}

/// Reads a frame of a subscribed RESP2 connection: `message`, the channel, then the keys (or
/// a null for a flush); or `pong` and an empty string.
fn heard(v: &Value) -> Heard {
    let Value::Array(items) = v else { return Heard::Unexpected };
    match &items[..] {
        [Value::Bulk(k), Value::Bulk(ch), payload] if k.eq_ignore_ascii_case(b"message") && ch == CHANNEL => {
            match payload {
                Value::Array(_) => Heard::Invalidate(invalidated_keys(Some(payload))),
                Value::Null => Heard::Invalidate(None),
                _ => Heard::Foreign,
            }
        }
        [Value::Bulk(k), _] if k.eq_ignore_ascii_case(b"pong") => Heard::Pong,
        _ => Heard::Unexpected,
    }
}

/// A frame, for an error message: its kind, and the kind an array names first.
fn describe(v: &Value) -> String {
    match v {
        Value::Array(items) => match kind(items) {
            Some(k) => format!("an array ({})", String::from_utf8_lossy(k)),
            None => "an array".to_string(),
        },
        Value::Error(e) => format!("an error ({})", String::from_utf8_lossy(e)),
        other => format!("a {} reply", other.kind_name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn bulk(s: &'static str) -> Value {
        Value::Bulk(Bytes::from_static(s.as_bytes()))
    }

    #[test]
    fn only_invalidations_and_pongs_are_heard() {
        let message = |payload| Value::Array(vec![bulk("message"), bulk("__redis__:invalidate"), payload]);
        let keys = message(Value::Array(vec![bulk("a"), bulk("b")]));
        let expected = Some(vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")]);
        assert_eq!(heard(&keys), Heard::Invalidate(expected));
        assert_eq!(heard(&message(Value::Null)), Heard::Invalidate(None), "a flush");
        assert_eq!(heard(&Value::Array(vec![bulk("pong"), bulk("")])), Heard::Pong);
        assert_eq!(heard(&message(bulk("x"))), Heard::Foreign, "a PUBLISH to the channel");
        let other = Value::Array(vec![bulk("message"), bulk("news"), Value::Array(vec![])]);
        assert_eq!(heard(&other), Heard::Unexpected, "another channel");
        assert_eq!(heard(&Value::Error(Bytes::from_static(b"ERR no"))), Heard::Unexpected);
        assert_eq!(heard(&Value::Int(1)), Heard::Unexpected);
    }
}
