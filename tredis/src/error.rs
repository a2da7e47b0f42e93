//! The one error type of tredis: what went wrong, and what the caller can do about it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Every failure of tredis. Cheap to move (one pointer); inspect it with [`Error::kind`].
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    command: Option<&'static str>,
    /// Shared, so that every waiter failed by one cause keeps it.
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    /// What to check, when it is not the kind's usual advice.
    hint: Option<&'static str>,
}

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No connection could be made to any configured host (refused, unreachable, timed out).
    Connect,
    /// The request was written and no reply came: the connection was lost, broke (a
    /// protocol error), was closed, or the request's deadline passed. It may or may not have
    /// run; retry only what is idempotent. [`Error::source`](std::error::Error::source) gives
    /// the cause, and [`Error::is_timeout`] tells a deadline apart. (A request not yet written
    /// when its connection is lost is never failed for it: it goes out on the next
    /// connection, or fails with an error for which [`Error::is_unexecuted`] holds.)
    Indeterminate,
    /// The server rejected the credentials (or demands some).
    Auth,
    /// The server answered with an error reply; see [`Error::code`].
    Redis,
    /// The command cannot run on a cluster (it needs one node, or spans slots).
    InvalidClusterCommand,
    /// The server sent something that is not valid RESP, or a reply of the wrong shape.
    Protocol,
    /// The request's deadline passed before it could be written (no connection was ready in
    /// time): it did not run. A request written and unanswered by its deadline is
    /// [`ErrorKind::Indeterminate`] instead; [`Error::is_timeout`] is true for both.
    Timeout,
    /// An argument was rejected before anything was sent.
    Argument,
    /// A URL or option of the client configuration is invalid.
    Config,
    /// The client was closed before the request was written: it did not run. (Requests
    /// written before the close and unanswered are [`ErrorKind::Indeterminate`].)
    Closed,
    /// Too many requests are waiting for a connection.
    QueueFull,
    /// A WATCH transaction found a watched key changed on every attempt.
    Aborted,
}

impl Error {
    fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            inner: Box::new(Inner { kind, message: message.into(), command: None, source: None, hint: None }),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The server's error code (`WRONGTYPE`, `MOVED`, `ERR`, ...) for [`ErrorKind::Redis`] and
    /// [`ErrorKind::Auth`] errors that came from the server.
    pub fn code(&self) -> Option<&str> {
        if !matches!(self.inner.kind, ErrorKind::Redis | ErrorKind::Auth) {
            return None;
        }
        let first = self.inner.message.split(' ').next()?;
        (!first.is_empty() && first.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')).then_some(first)
    }

    /// The server's full error text, for errors that came from the server.
    pub fn server_message(&self) -> Option<&str> {
        matches!(self.inner.kind, ErrorKind::Redis | ErrorKind::Auth).then_some(self.inner.message.as_str())
    }

    /// The command the error concerns, when known (`GET`, `CLIENT KILL`).
    pub fn command(&self) -> Option<&'static str> {
        self.inner.command
    }

    /// True when the request provably did not run on the server, so retrying cannot apply it
    /// twice: it never left the client (no connection, closed, queue full, a bad argument,
    /// its deadline passed while it waited to be written, or the credentials were refused),
    /// or the server's reply proves it was not executed (MOVED, ASK, TRYAGAIN, CLUSTERDOWN,
    /// LOADING, MASTERDOWN, READONLY, NOAUTH, EXECABORT, a WATCH transaction aborted).
    ///
    /// Every failed request is either this or [`ErrorKind::Indeterminate`], apart from
    /// errors about a reply that did arrive: a server error reply, or a reply of the wrong
    /// shape ([`ErrorKind::Protocol`]).
    pub fn is_unexecuted(&self) -> bool {
        match self.inner.kind {
            ErrorKind::Connect
            | ErrorKind::QueueFull
            | ErrorKind::Argument
            | ErrorKind::Config
            | ErrorKind::Closed
            | ErrorKind::Timeout
            | ErrorKind::Auth
            | ErrorKind::Aborted
            | ErrorKind::InvalidClusterCommand => true,
            ErrorKind::Redis => matches!(
                self.code(),
                Some(
                    "MOVED"
                        | "ASK"
                        | "TRYAGAIN"
                        | "CLUSTERDOWN"
                        | "LOADING"
                        | "MASTERDOWN"
                        | "READONLY"
                        | "EXECABORT"
                )
            ),
            ErrorKind::Indeterminate | ErrorKind::Protocol => false,
        }
    }

    /// True when the request's deadline passed: before it was written
    /// ([`ErrorKind::Timeout`]), or after, with no reply ([`ErrorKind::Indeterminate`]).
    pub fn is_timeout(&self) -> bool {
        match self.inner.kind {
            ErrorKind::Timeout => true,
            ErrorKind::Indeterminate => self.cause().is_some_and(|c| c.kind() == ErrorKind::Timeout),
            _ => false,
        }
    }

    /// The tredis error that caused this one, if any.
    fn cause(&self) -> Option<&Error> {
        self.inner.source.as_deref().and_then(|s| (s as &(dyn std::error::Error + 'static)).downcast_ref())
    }

    /// Names the command the error concerns, unless one is named already.
    pub(crate) fn with_command(mut self, command: &'static str) -> Error {
        if self.inner.command.is_none() {
            self.inner.command = Some(command);
        }
        self
    }

    /// The same error with its message rewritten by `f` (to take secrets out of it).
    pub(crate) fn map_message(mut self, f: impl FnOnce(&str) -> String) -> Error {
        self.inner.message = f(&self.inner.message);
        self
    }

    pub(crate) fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.inner.source = Some(Arc::new(source));
        self
    }

    /// A written request left without its reply because of `cause` (a protocol error, the
    /// client closing ...): [`ErrorKind::Indeterminate`] saying `detail`, with `cause` as its
    /// source.
    pub(crate) fn unanswered(detail: impl Into<String>, cause: Error) -> Error {
        Error::new(ErrorKind::Indeterminate, detail).with_source(cause)
    }

    /// A written request whose deadline passed without a reply.
    pub(crate) fn overdue(after: Duration) -> Error {
        let cause = Error::timeout(after);
        Error::new(ErrorKind::Indeterminate, format!("no reply within {after:?}")).with_source(cause)
    }

    /// An error reply of the server; NOAUTH and WRONGPASS become [`ErrorKind::Auth`].
    pub(crate) fn server(text: &[u8]) -> Error {
        let text = String::from_utf8_lossy(text).into_owned();
        let kind = if text.starts_with("NOAUTH") || text.starts_with("WRONGPASS") {
            ErrorKind::Auth
        } else {
            ErrorKind::Redis
        };
        Error::new(kind, text)
    }

    pub(crate) fn connect(detail: impl Into<String>) -> Error {
        Error::new(ErrorKind::Connect, detail)
    }

    /// A TLS handshake that failed: `detail` names the cause.
    pub(crate) fn tls(detail: impl Into<String>) -> Error {
        let mut e = Error::new(ErrorKind::Connect, detail);
        e.inner.hint = Some(
            "check that the server speaks TLS on that port, the CA it is verified against (`Tls::ca_file`), the name its certificate must carry (`Tls::server_name`) and the certificates' dates",
        );
        e
    }

    pub(crate) fn indeterminate(detail: impl Into<String>) -> Error {
        Error::new(ErrorKind::Indeterminate, detail)
    }

    pub(crate) fn auth(detail: impl Into<String>) -> Error {
        Error::new(ErrorKind::Auth, detail)
    }

    pub(crate) fn protocol(detail: impl Into<String>) -> Error {
        Error::new(ErrorKind::Protocol, detail)
    }

    pub(crate) fn timeout(after: Duration) -> Error {
        Error::new(ErrorKind::Timeout, format!("{after:?}"))
    }

    pub(crate) fn argument(detail: impl Into<String>) -> Error {
        Error::new(ErrorKind::Argument, detail)
    }

    pub(crate) fn invalid_cluster(detail: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidClusterCommand, detail)
    }

    pub(crate) fn config(detail: impl Into<String>) -> Error {
        Error::new(ErrorKind::Config, detail)
    }

    pub(crate) fn aborted(attempts: usize) -> Error {
        Error::new(ErrorKind::Aborted, attempts.to_string())
    }

    pub(crate) fn closed() -> Error {
        Error::new(ErrorKind::Closed, String::new())
    }

    pub(crate) fn queue_full(limit: usize) -> Error {
        Error::new(ErrorKind::QueueFull, limit.to_string())
    }

    /// A copy for another waiter of the same failure, with the same source.
    pub(crate) fn duplicate(&self) -> Error {
        let mut e = Error::new(self.inner.kind, self.inner.message.clone());
        e.inner.command = self.inner.command;
        e.inner.source.clone_from(&self.inner.source);
        e.inner.hint = self.inner.hint;
        e
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.inner.message;
        let cmd = self.inner.command.unwrap_or("the request");
        match self.inner.kind {
            ErrorKind::Connect => match self.inner.hint {
                Some(hint) => write!(f, "could not connect: {m}; {hint}"),
                None => write!(f, "could not connect: {m}; check that redis-server runs at that address and accepts connections"),
            },
            ErrorKind::Indeterminate => write!(f, "{cmd} was sent but its reply never came ({m}); it may or may not have run, so retry only if it is idempotent"),
            ErrorKind::Auth => write!(f, "authentication failed: {m}; check the user name and password of the URL or builder"),
            ErrorKind::Redis => match self.inner.command {
                Some(c) => write!(f, "{m} (server error replying to {c})"),
                None => write!(f, "{m} (server error)"),
            },
            ErrorKind::InvalidClusterCommand => write!(f, "{cmd} cannot run on a cluster: {m}"),
            ErrorKind::Protocol => write!(f, "protocol error in the reply to {cmd}: {m}"),
            ErrorKind::Timeout => write!(f, "{cmd} could not be sent within {m}, as no connection was ready; it did not run"),
            ErrorKind::Argument => write!(f, "invalid argument to {cmd}: {m}; nothing was sent"),
            ErrorKind::Config => write!(f, "invalid client configuration: {m}"),
            ErrorKind::Closed => write!(f, "the client was closed; {cmd} was not sent"),
            ErrorKind::Aborted => write!(f, "a watched key changed before EXEC in each of {m} attempts; nothing was committed"),
            ErrorKind::QueueFull => write!(f, "{m} requests already wait for a connection; {cmd} was refused at once instead of queuing without bound, retry later"),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("message", &self.inner.message)
            .field("command", &self.inner.command)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// `Result` with tredis's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_keep_code_and_text() {
        let e = Error::server(b"WRONGTYPE Operation against a key holding the wrong kind of value")
            .with_command("GET");
        assert_eq!(e.kind(), ErrorKind::Redis);
        assert_eq!(e.code(), Some("WRONGTYPE"));
        assert!(e.to_string().contains("replying to GET"));
        assert_eq!(Error::server(b"NOAUTH Authentication required.").kind(), ErrorKind::Auth);
        assert!(Error::server(b"MOVED 3999 127.0.0.1:6381").is_unexecuted());
        assert!(!Error::indeterminate("eof").is_unexecuted());
        assert!(Error::closed().is_unexecuted() && Error::timeout(Duration::from_secs(1)).is_unexecuted());
        let late = Error::overdue(Duration::from_secs(1)).with_command("GET");
        assert_eq!(late.kind(), ErrorKind::Indeterminate);
        assert!(late.is_timeout() && !late.is_unexecuted());
        assert!(late.duplicate().is_timeout(), "a copy keeps its cause");
        assert!(
            late.to_string().contains("GET was sent but its reply never came (no reply within 1s)"),
            "{late}"
        );
        let broken = Error::unanswered("bad byte", Error::protocol("bad byte"));
        assert!(!broken.is_timeout());
        assert!(std::error::Error::source(&broken).is_some());
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }
}
