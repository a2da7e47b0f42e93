//! [`Client`]: the handle callers share, and the [`Builder`] that configures it.

use std::fmt;
use std::sync::Arc;

mod builder;
mod executor;

pub use builder::Builder;

use crate::config::{Addr, Config};
use crate::route::Router;
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
    router: Arc<Router>,
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

    /// The client's connections and requests now: gauges for your metrics, counted when you
    /// call it, at no cost to requests. In a cluster, over the nodes of the current slot map.
    pub fn stats(&self) -> Stats {
        self.router.stats()
    }

    /// Waits until the client is connected. With `auto_connect` off, this starts connecting.
    ///
    /// # Errors
    ///
    /// The error of the first failed connection attempt, or `Closed`.
    pub async fn ready(&self) -> Result<(), Error> {
        self.router.ready().await
    }

    /// Closes the connections. Requests not yet sent fail with `Closed`; requests in flight
    /// fail as `Indeterminate`. Every clone of the client is closed.
    pub async fn close(&self) {
        self.router.close().await
    }

    /// The configured hosts.
    pub fn hosts(&self) -> &[Addr] {
        &self.router.cfg.hosts
    }

    /// A pipeline: commands sent together and answered together, each with its own result.
    pub fn pipeline(&self) -> crate::Pipeline<'_> {
        crate::Pipeline::new(&self.router)
    }

    /// A raw command: any command by name, for what the generated methods do not cover
    /// (module commands, commands newer than the spec). Add its arguments and keys, then
    /// `.await` it for a [`Value`](crate::Value), or read the reply as another type with
    /// `.reply::<T>()`; see [`Raw`](crate::Raw).
    ///
    /// ```no_run
    /// # async fn demo(client: tredis::Client) -> Result<(), tredis::Error> {
    /// let reply = client.raw("JSON.GET").key("doc").arg("$.name").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn raw(&self, name: &str) -> crate::Req<'_, Client, crate::Raw> {
        crate::Req::new(self, crate::Raw::new(name))
    }

    /// A transaction without WATCH: its commands run together, atomically.
    pub fn multi(&self) -> crate::Transaction<'_> {
        crate::Transaction::new(&self.router, None)
    }

    /// A subscriber: channels, patterns and shard channels to listen to, and the stream of
    /// their messages (see [`Subscriber`](crate::Subscriber)). Sends nothing until it
    /// subscribes.
    ///
    pub fn subscriber(&self) -> crate::Subscriber {
        crate::Subscriber::new(self.router.clone(), self.router.hub())
    }

    /// What the client-side cache has done and holds: hits, misses, entries, bytes,
    /// invalidations. `None` without a cache (see [`Builder::cache`]).
    pub fn cache_stats(&self) -> Option<crate::CacheStats> {
        self.router.cache.as_ref().map(|c| c.stats())
    }

    /// Whether clustering is on.
    pub fn is_cluster(&self) -> bool {
        self.router.is_cluster()
    }

    /// A transaction that first WATCHes `keys`, on a connection of its own: it only commits
    /// if none of them changed before EXEC.
    ///
    /// # Errors
    ///
    /// Those of sending WATCH.
    #[cfg(feature = "transactions")]
    pub async fn watch(&self, keys: impl crate::args::ToKeys) -> Result<crate::Transaction<'_>, Error> {
        use crate::commands::TransactionsTxCommands;
        // The generated WATCH, encoded to find its keys' slot in a cluster.
        let info = <crate::commands::transactions::Watch as crate::command::Command>::INFO;
        let request = crate::Transaction::new(&self.router, None).watch(&keys).cmd;
        let request = crate::command::Command::encode(request).map_err(|e| e.with_command(info.name))?;
        let deadline = self.router.deadline(crate::command::Blocking::No, None);
        let lease =
            self.router.lease_for(&request, info, deadline).await.map_err(|e| e.with_command(info.name))?;
        let tx = crate::Transaction::new(&self.router, Some(lease));
        tx.watch(keys).await?;
        Ok(tx)
    }

    /// Runs `f` in a WATCH transaction on `keys`, again while a watched key changed before
    /// EXEC, at most `attempts` times. `f` reads through the transaction and returns the
    /// result of [`Transaction::exec`](crate::Transaction::exec).
    ///
    /// # Errors
    ///
    /// Any error of `f`, or [`ErrorKind::Aborted`](crate::ErrorKind::Aborted) when every attempt
    /// found a watched key changed.
    #[cfg(feature = "transactions")]
    pub async fn transaction<'a, K, F, Fut, T>(
        &'a self,
        keys: K,
        attempts: usize,
        mut f: F,
    ) -> Result<T, Error>
    where
        K: crate::args::ToKeys,
        F: FnMut(crate::Transaction<'a>) -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>, Error>>,
    {
        for _ in 0..attempts.max(1) {
            let tx = self.watch(&keys).await?;
            if let Some(out) = f(tx).await? {
                return Ok(out);
            }
        }
        Err(Error::aborted(attempts))
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &*self.router.cfg)
            .field("cluster", &self.router.is_cluster())
            .finish()
    }
}

impl Client {
    /// Starts the connections of a client configured by `cfg` (checked by the builder).
    pub(crate) fn start(cfg: Config) -> Client {
        Client { router: Arc::new(Router::start(cfg)) }
    }
}

/// What [`Client::stats`] counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Connections established: the shared ones of every server (primary, replicas, cluster
    /// nodes) and the idle dedicated ones.
    pub connections: usize,
    /// Dedicated connections in use: a blocking command, a transaction with WATCH.
    pub dedicated_in_use: usize,
    /// Requests waiting for their connection to be written, when it is down or busy.
    pub queued: usize,
    /// Requests written and waiting for their replies, on the shared connections.
    pub in_flight: usize,
}
