//! The one error type of tredis: what went wrong, and what the caller can do about it.

use std::fmt;
use std::time::Duration;

/// Every failure of tredis. Cheap to move (one pointer); inspect it with [`Error::kind`].
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    command: Option<&'static str>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No connection could be made to any configured host (refused, unreachable, timed out).
    Connect,
    /// The connection was lost after the request was written and before its reply arrived:
    /// it may or may not have run. Retry only what is idempotent. (A request not yet written
    /// when its connection is lost is never failed for it: it goes out on the next
    /// connection, or fails with [`ErrorKind::Connect`] if none can be made.)
    Indeterminate,
    /// The server rejected the credentials (or demands some).
    Auth,
    /// The server answered with an error reply; see [`Error::code`].
    Redis,
    /// The command cannot run on a cluster (it needs one node, or spans slots).
    InvalidClusterCommand,
    /// The server sent something that is not valid RESP, or a reply of the wrong shape.
    Protocol,
    /// No reply arrived in time.
    Timeout,
    /// An argument was rejected before anything was sent.
    Argument,
    /// A URL or option of the client configuration is invalid.
    Config,
    /// The client was closed.
    Closed,
    /// Too many requests are waiting for a connection.
    QueueFull,
    /// A WATCH transaction found a watched key changed on every attempt.
    Aborted,
}

impl Error {
    fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { inner: Box::new(Inner { kind, message: message.into(), command: None, source: None }) }
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
    /// twice: it never left the client, or the server's reply proves it was not executed.
    pub fn is_unexecuted(&self) -> bool {
        match self.inner.kind {
            ErrorKind::Connect | ErrorKind::QueueFull | ErrorKind::Argument => true,
            ErrorKind::Redis => matches!(
                self.code(),
                Some("MOVED" | "ASK" | "TRYAGAIN" | "CLUSTERDOWN" | "LOADING" | "MASTERDOWN" | "READONLY")
            ),
            _ => false,
        }
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
        self.inner.source = Some(Box::new(source));
        self
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

    /// A copy for another waiter of the same failure; the source is kept as text.
    pub(crate) fn duplicate(&self) -> Error {
        let mut e = Error::new(self.inner.kind, self.inner.message.clone());
        e.inner.command = self.inner.command;
        e
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.inner.message;
        let cmd = self.inner.command.unwrap_or("the request");
        match self.inner.kind {
            ErrorKind::Connect => write!(f, "could not connect: {m}; check that redis-server runs at that address and accepts connections"),
            ErrorKind::Indeterminate => write!(f, "connection lost after {cmd} was sent and before its reply ({m}); it may or may not have run, so retry only if it is idempotent"),
            ErrorKind::Auth => write!(f, "authentication failed: {m}; check the user name and password of the URL or builder"),
            ErrorKind::Redis => match self.inner.command {
                Some(c) => write!(f, "{m} (server error replying to {c})"),
                None => write!(f, "{m} (server error)"),
            },
            ErrorKind::InvalidClusterCommand => write!(f, "{cmd} cannot run on a cluster: {m}"),
            ErrorKind::Protocol => write!(f, "protocol error in the reply to {cmd}: {m}"),
            ErrorKind::Timeout => write!(f, "{cmd} got no reply within {m}; the server may be slow or blocked, or the timeout too short"),
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
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }
}
