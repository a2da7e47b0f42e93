//! [`Client`]: the handle callers share, and the [`Builder`] that configures it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::command::{CommandInfo, Encoded};
use crate::config::{parse_url, Addr, CloseEvent, Config, Protocol};
use crate::connection::Connection;
use crate::request::{Executor, Pending, Sealed, Target};
use crate::resp::Limits;
use crate::Error;

/// An async Redis client: cheap to clone, shared by any number of tasks.
///
/// Commands are methods of the group traits (`StringCommands::set` ...), in scope with
/// `use tredis::prelude::*;`. Requests from all tasks share one multiplexed connection and are
/// written in batches. The connection is made in the background (`auto_connect`, on by
/// default) and remade after failures; requests issued meanwhile wait for it.
///
/// ```no_run
/// use tredis::prelude::*;
///
/// # async fn demo() -> Result<(), tredis::Error> {
/// let client = tredis::Client::connect("redis://127.0.0.1:6379/0").await?;
/// client.set("greeting", "hello").await?;
/// let value = client.get("greeting").await?;
/// assert_eq!(value.as_deref(), Some(&b"hello"[..]));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    conn: Connection,
    cfg: Arc<Config>,
}

impl Client {
    /// A client for `url` that connects in the background; returns at once.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for a malformed URL, or when called
    /// outside a tokio runtime.
    pub fn new(url: &str) -> Result<Client, Error> {
        Client::builder().url(url).build()
    }

    /// A client for `url`, once connected.
    ///
    /// # Errors
    ///
    /// As [`Client::new`], and [`ErrorKind::Connect`](crate::ErrorKind::Connect) or
    /// [`ErrorKind::Auth`](crate::ErrorKind::Auth) when the first connection fails.
    pub async fn connect(url: &str) -> Result<Client, Error> {
        let client = Client::new(url)?;
        client.ready().await?;
        Ok(client)
    }

    /// A builder for every option.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Waits until the client is connected. With `auto_connect` off, this starts connecting.
    ///
    /// # Errors
    ///
    /// The error of the first failed connection attempt, or `Closed`.
    pub async fn ready(&self) -> Result<(), Error> {
        self.inner.conn.ready().await
    }

    /// Closes the connection. Requests not yet sent fail with `Closed`; requests in flight
    /// fail as `Indeterminate`. Every clone of the client is closed.
    pub async fn close(&self) {
        self.inner.conn.close().await
    }

    /// The configured hosts.
    pub fn hosts(&self) -> &[Addr] {
        &self.inner.cfg.hosts
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("config", &*self.inner.cfg).finish()
    }
}

impl Sealed for Client {}
impl Target for Client {}

impl Executor for Client {
    #[inline]
    fn submit(&self, cmd: Result<Encoded, Error>, info: &'static CommandInfo) -> Pending {
        self.inner.conn.submit(cmd, info)
    }
}

/// Configures a [`Client`]. Options set here win over those of the URLs.
#[derive(Default)]
pub struct Builder {
    cfg: Config,
    urls: Vec<String>,
    db: Option<i64>,
    username: Option<String>,
    password: Option<String>,
    client_name: Option<String>,
    protocol: Option<Protocol>,
    error: Option<Error>,
}

impl Builder {
    /// One server, by URL: `redis://[user:password@]host[:port][/db]`.
    pub fn url(self, url: &str) -> Builder {
        self.hosts([url])
    }

    /// Servers to try in order (the seed's `hosts` list): the first that accepts a connection
    /// is used, and the next one when it fails. Their database and credentials must agree.
    pub fn hosts<I, S>(mut self, urls: I) -> Builder
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.urls.extend(urls.into_iter().map(|u| u.as_ref().to_string()));
        self
    }

    /// The database to select on every connection.
    pub fn db(mut self, db: i64) -> Builder {
        if db < 0 {
            self.fail(Error::config(format!("db {db} is negative")));
        }
        self.db = Some(db);
        self
    }

    /// ACL user name (with [`Builder::password`]).
    pub fn username(mut self, user: impl Into<String>) -> Builder {
        self.username = Some(user.into());
        self
    }

    /// Password, sent with AUTH (or HELLO) on every connection.
    pub fn password(mut self, password: impl Into<String>) -> Builder {
        self.password = Some(password.into());
        self
    }

    /// Connection name, set on every connection (CLIENT SETNAME).
    pub fn client_name(mut self, name: impl Into<String>) -> Builder {
        let name = name.into();
        if name.contains([' ', '\n', '\r']) {
            self.fail(Error::config(format!(
                "client_name {name:?} contains spaces or newlines, which the server rejects"
            )));
        }
        self.client_name = Some(name);
        self
    }

    /// The protocol; RESP3 by default, with fallback to RESP2 on servers without HELLO.
    pub fn protocol(mut self, protocol: Protocol) -> Builder {
        self.protocol = Some(protocol);
        self
    }

    /// Connect in the background at once (default), or only on [`Client::ready`].
    pub fn auto_connect(mut self, on: bool) -> Builder {
        self.cfg.auto_connect = on;
        self
    }

    /// Time allowed to connect and handshake, per host (default 5 s).
    pub fn connect_timeout(mut self, t: Duration) -> Builder {
        if t.is_zero() {
            self.fail(Error::config("connect_timeout must be above zero"));
        }
        self.cfg.connect_timeout = t;
        self
    }

    /// Time allowed for each reply (default: none). A late reply is discarded, never handed
    /// to another caller.
    pub fn command_timeout(mut self, t: Duration) -> Builder {
        if t.is_zero() {
            self.fail(Error::config("command_timeout must be above zero"));
        }
        self.cfg.command_timeout = Some(t);
        self
    }

    /// Called once for every established connection that is lost.
    pub fn on_close(mut self, f: impl Fn(&CloseEvent) + Send + Sync + 'static) -> Builder {
        self.cfg.on_close = Some(Arc::new(f));
        self
    }

    /// Bounds on reply sizes and nesting.
    pub fn limits(mut self, limits: Limits) -> Builder {
        self.cfg.limits = limits;
        self
    }

    /// Most requests that may wait while no connection is up (default 65,536); beyond it,
    /// requests fail at once with `QueueFull`.
    pub fn max_queued(mut self, n: usize) -> Builder {
        self.cfg.max_queued = n;
        self
    }

    /// Smallest and largest delay between reconnection attempts (default 10 ms to 2 s).
    pub fn reconnect_backoff(mut self, min: Duration, max: Duration) -> Builder {
        if min.is_zero() || max < min {
            self.fail(Error::config("reconnect_backoff needs 0 < min <= max"));
        }
        self.cfg.backoff_min = min;
        self.cfg.backoff_max = max;
        self
    }

    fn fail(&mut self, e: Error) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    /// Builds the client; it connects in the background when `auto_connect` is on.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config), naming the bad URL or option, or when
    /// called outside a tokio runtime.
    pub fn build(self) -> Result<Client, Error> {
        let Builder { mut cfg, urls, db, username, password, client_name, protocol, error } = self;
        if let Some(e) = error {
            return Err(e);
        }
        if urls.is_empty() {
            return Err(Error::config("no server given: call `url` or `hosts`"));
        }
        let mut first: Option<crate::config::UrlParts> = None;
        for url in &urls {
            let mut parts = parse_url(url)?;
            cfg.hosts.push(parts.addr.take().expect("parse_url sets the address"));
            match &first {
                None => first = Some(parts),
                Some(f)
                    if f.db.unwrap_or(0) != parts.db.unwrap_or(0)
                        || f.username != parts.username
                        || f.password != parts.password =>
                {
                    return Err(Error::config(format!(
                        "URL `{url}` names another database or other credentials than the first host"
                    )));
                }
                Some(_) => {}
            }
        }
        let first = first.unwrap_or_default();
        cfg.db = db.or(first.db).unwrap_or(0);
        cfg.username = username.or(first.username);
        cfg.password = password.or(first.password);
        cfg.client_name = client_name.or(first.client_name);
        cfg.protocol = protocol.or(first.protocol).unwrap_or_default();
        if cfg.username.is_some() && cfg.password.is_none() {
            return Err(Error::config("a user name needs a password"));
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::config("a client must be built inside a tokio runtime"));
        }
        let cfg = Arc::new(cfg);
        Ok(Client { inner: Arc::new(Inner { conn: Connection::spawn(cfg.clone()), cfg }) })
    }
}
