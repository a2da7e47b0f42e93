//! The server group. Commands that change the whole server (flushes, configuration, saving,
//! replication, shutdown) run on servers the tests start for themselves.

use std::time::{Duration, SystemTime};

use tredis::commands::server::{CommandFilter, FlushMode};
use tredis::prelude::*;
use tredis::reply::Role;
use tredis::Protocol;

use crate::both;
use crate::support::{self, assert_server_error, server::OwnServer};

both!(
    async fn introspection(c, k) {
        let info = c.info().await?;
        assert!(info.get("redis_version").is_some_and(|v| v.starts_with('7')), "{info:?}");
        assert!(info.section("server").is_some());
        let memory = c.info().sections(["memory", "clients"]).await?;
        assert!(memory.get("used_memory").is_some() && memory.get("connected_clients").is_some());
        assert!(memory.get("redis_version").is_none());
        c.set(k.key("k"), "v").await?;
        assert!(c.dbsize().await? >= 1);
        let now = SystemTime::now();
        let server_now = c.time().await?;
        let skew = server_now.duration_since(now).unwrap_or_else(|e| e.duration());
        assert!(skew < Duration::from_secs(5), "{skew:?}");
        assert!(c.lastsave().await? <= SystemTime::now());
        assert!(matches!(c.role().await?, Role::Master { .. }));
        assert!(!c.lolwut().await?.is_empty());
        assert!(c.lolwut().version(5).await?.contains("Redis"));
        Ok(())
    }
);

both!(
    async fn command_tables(c, _k) {
        assert!(c.command_count().await? > 200);
        let list = c.command_list().await?;
        assert!(list.iter().any(|n| n == "get"));
        let filtered = c.command_list().filter_by(CommandFilter::Pattern("zadd*".into())).await?;
        assert_eq!(filtered, vec!["zadd".to_string()]);
        let acl = c.command_list().filter_by(CommandFilter::Aclcat("hyperloglog".into())).await?;
        assert!(acl.iter().any(|n| n == "pfadd"));
        let info = c.command_info().names(["get", "nosuchcommand"]).await?;
        assert_eq!(info.len(), 2);
        let get = info[0].as_ref().expect("GET exists");
        assert_eq!((get.name.as_str(), get.arity), ("get", 2));
        assert!(get.flags.iter().any(|f| f == "readonly"));
        assert!(info[1].is_none());
        let docs = c.command_docs().names("set").await?;
        assert_eq!(docs[0].0, "set");
        assert_eq!(docs[0].1.group, "string");
        assert!(!docs[0].1.arguments.is_empty());
        let keys = c.command_getkeys("mset").args(["a", "1", "b", "2"]).await?;
        assert_eq!(keys, vec![bytes::Bytes::from("a"), bytes::Bytes::from("b")]);
        let flags = c.command_getkeysandflags("lmove").args(["src", "dst", "LEFT", "RIGHT"]).await?;
        assert_eq!(flags.len(), 2);
        assert!(flags[0].1.iter().any(|f| f == "RW"));
        assert!(!c.command_help().await?.is_empty());
        Ok(())
    }
);

both!(
    async fn acl_users(c, k) {
        let user = k.key("user").replace(':', "-");
        c.acl_setuser(&user).rules(["on", ">pw", "~*", "+get"]).await?;
        let u = c.acl_getuser(&user).await?.expect("the user exists");
        assert!(u.flags.iter().any(|f| f == "on"));
        assert_eq!(u.passwords.len(), 1);
        assert!(u.commands.contains("+get"));
        assert_eq!(c.acl_getuser("no-such-user-here").await?, None);
        assert!(c.acl_users().await?.contains(&user));
        assert!(c.acl_list().await?.iter().any(|l| l.contains(&user)));
        assert_eq!(c.acl_dryrun(&user, "get").args("k").await?, "OK");
        assert!(c.acl_dryrun(&user, "set").args(["k", "v"]).await?.contains("no permissions"));
        assert_eq!(c.acl_whoami().await?, "default");
        assert!(c.acl_cat().await?.iter().any(|c| c == "keyspace"));
        assert!(c.acl_cat().category("hyperloglog").await?.iter().any(|c| c == "pfadd"));
        assert_eq!(c.acl_genpass().await?.len(), 64);
        assert_eq!(c.acl_genpass().bits(32).await?.len(), 8);
        assert!(!c.acl_help().await?.is_empty());
        assert_eq!(c.acl_deluser([user.as_str(), "no-such-user-here"]).await?, 1);
        // Without an ACL file these fail on the server, by design of the test server.
        assert_server_error(c.acl_load().await, "ERR");
        assert_server_error(c.acl_save().await, "ERR");
        Ok(())
    }
);

both!(
    async fn logs_latency_and_memory(c, k) {
        let slow = c.slowlog_get().await?;
        let _ = slow;
        assert!(c.slowlog_get().count(5).await?.len() <= 5);
        let _ = c.slowlog_len().await?;
        assert!(!c.slowlog_help().await?.is_empty());
        assert!(!c.latency_doctor().await?.is_empty());
        assert!(!c.latency_help().await?.is_empty());
        let _ = c.latency_latest().await?;
        let _ = c.latency_history("command").await?;
        assert_server_error(c.latency_graph("nosuchevent").await, "ERR");
        let hist = c.latency_histogram().commands("ping").await?;
        assert!(hist.iter().all(|(name, _)| name == "ping"));
        c.set(k.key("big"), vec![b'x'; 1000]).await?;
        assert!(c.memory_usage(k.key("big")).await?.unwrap() >= 1000);
        assert!(c.memory_usage(k.key("big")).samples(0).await?.is_some());
        assert_eq!(c.memory_usage(k.key("none")).await?, None);
        let stats = c.memory_stats().await?;
        assert!(stats.total_allocated > 0 && stats.keys_count > 0, "{stats:?}");
        assert!(!c.memory_doctor().await?.is_empty());
        assert!(!c.memory_malloc_stats().await?.is_empty());
        assert!(!c.memory_help().await?.is_empty());
        c.memory_purge().await?;
        let acl_log = c.acl_log().count(1).await?;
        assert!(acl_log.len() <= 1);
        Ok(())
    }
);

both!(
    async fn config_and_modules(c, _k) {
        let got = c.config_get(["maxmemory-policy", "save"]).await?;
        assert_eq!(got.get("maxmemory-policy").map(String::as_str), Some("noeviction"));
        assert!(got.contains_key("save"));
        assert!(!c.config_help().await?.is_empty());
        // The test server runs without a configuration file.
        assert_server_error(c.config_rewrite().await, "ERR");
        assert!(c.module_list().await?.is_empty());
        assert!(!c.module_help().await?.is_empty());
        assert_server_error(c.module_load("/no/such/module.so").args("x").await, "ERR");
        assert_server_error(c.module_loadex("/no/such/module.so").config([("a", "b")]).args(["x"]).await, "ERR");
        assert_server_error(c.module_unload("nosuchmodule").await, "ERR");
        // No replicas, and no shutdown to abort, on the shared test server.
        assert_server_error(c.failover().await, "ERR");
        assert_server_error(c.shutdown().abort().await, "ERR");
        Ok(())
    }
);

/// SWAPDB exchanges two databases no other test uses.
#[tokio::test]
async fn swap_databases() {
    let _g = support::exclusive().await;
    let db14 = support::client_for(&format!("{}/14", support::url()), Protocol::Resp3).await;
    db14.set("swapped", "14").await.unwrap();
    db14.swapdb(14, 15).await.unwrap();
    assert_eq!(db14.get("swapped").await.unwrap(), None);
    db14.swapdb(14, 15).await.unwrap();
    assert_eq!(db14.get("swapped").await.unwrap().as_deref(), Some(&b"14"[..]));
    db14.del("swapped").await.unwrap();
}

/// Flushes, configuration, statistics and saving change the whole server: one of our own.
#[tokio::test]
async fn whole_server_commands() {
    let server = OwnServer::start(&[]);
    for proto in support::PROTOCOLS {
        let c = support::client_for(&server.url(), proto).await;
        // First: it clears the statistics that show every command reached a server.
        c.config_resetstat().await.unwrap();
        c.set("k", "v").await.unwrap();
        c.flushdb().await.unwrap();
        assert_eq!(c.dbsize().await.unwrap(), 0);
        c.set("k", "v").await.unwrap();
        c.flushdb().mode(FlushMode::Async).await.unwrap();
        c.set("k", "v").await.unwrap();
        c.flushall().mode(FlushMode::Sync).await.unwrap();
        c.flushall().await.unwrap();
        assert_eq!(c.dbsize().await.unwrap(), 0);
        c.config_set([("slowlog-log-slower-than", "0"), ("maxmemory-policy", "allkeys-lru")]).await.unwrap();
        c.ping().await.unwrap();
        assert!(!c.slowlog_get().await.unwrap().is_empty());
        let entry = &c.slowlog_get().count(1).await.unwrap()[0];
        assert!(!entry.args.is_empty());
        c.slowlog_reset().await.unwrap();
        assert!(c.slowlog_len().await.unwrap() <= 1);
        assert_eq!(c.latency_reset().await.unwrap(), 0);
        assert_eq!(c.latency_reset().events(["command", "fork"]).await.unwrap(), 0);
        c.acl_log().reset().await.unwrap();
        c.save().await.unwrap();
        let started = c.bgsave().await.unwrap();
        assert!(started.contains("Background saving"), "{started}");
        wait_background(&c).await;
        assert!(c.bgsave().schedule().await.unwrap().contains("Background saving"));
        wait_background(&c).await;
        assert!(c.bgrewriteaof().await.unwrap().contains("rewriting"));
        wait_background(&c).await;
        c.config_set([("slowlog-log-slower-than", "10000")]).await.unwrap();
    }
}

/// Polls 25 ms apart, 30 s in all: a bound that only catches hangs (a fork or a full sync on a
/// busy machine can take seconds).
const POLLS: usize = 1200;

/// Waits until no save or rewrite runs in the background.
async fn wait_background(c: &Client) {
    for _ in 0..POLLS {
        let info = c.info().sections("persistence").await.unwrap();
        if info.get("rdb_bgsave_in_progress") == Some("0") && info.get("aof_rewrite_in_progress") == Some("0")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("a background save did not finish");
}

/// Replication and failover between two servers of our own, then SHUTDOWN.
#[tokio::test]
async fn replication_failover_and_shutdown() {
    let primary = OwnServer::start(&[]);
    let mut replica = OwnServer::start(&["--repl-diskless-sync-delay", "0"]);
    let p = support::client_for(&primary.url(), Protocol::Resp3).await;
    let r = support::client_for(&replica.url(), Protocol::Resp2).await;
    let (host, port) = support::host_port(&primary.url());
    r.replicaof(&host, u64::from(port)).await.unwrap();
    p.set("replicated", "yes").await.unwrap();
    let mut synced = false;
    for _ in 0..POLLS {
        if r.get("replicated").await.ok().flatten().is_some() {
            synced = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(synced, "the replica never synced");
    match r.role().await.unwrap() {
        Role::Replica { port: rp, .. } => assert_eq!(rp, port),
        other => panic!("not a replica: {other:?}"),
    }
    // The primary lists its replica once the replica acknowledges the sync, which may come
    // after the replica already serves the data.
    let mut listed = Vec::new();
    for _ in 0..POLLS {
        match p.role().await.unwrap() {
            Role::Master { replicas, .. } if replicas.is_empty() => {}
            Role::Master { replicas, .. } => {
                listed = replicas;
                break;
            }
            other => panic!("not a primary: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(listed.len(), 1, "the primary never listed its replica");
    assert_eq!(listed[0].1, replica.port());
    // A coordinated failover: the primary hands over to its replica.
    let (rhost, rport) = support::host_port(&replica.url());
    p.failover().to(&rhost, u64::from(rport)).timeout(Duration::from_secs(5)).await.unwrap();
    let mut switched = false;
    for _ in 0..POLLS {
        if matches!(r.role().await, Ok(Role::Master { .. })) {
            switched = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(switched, "the failover did not complete");
    #[allow(deprecated)]
    p.slaveof_no_one().await.unwrap();
    #[allow(deprecated)]
    p.slaveof(&rhost, u64::from(rport)).await.unwrap();
    r.replicaof_no_one().await.unwrap();
    // SHUTDOWN succeeds by closing the connection.
    replica.keep_stats();
    let victim = support::client_for(&replica.url(), Protocol::Resp3).await;
    victim.shutdown().nosave().now().force().await.unwrap();
    replica.stop();
    let _ = tredis::Client::connect(&replica.url()).await.expect_err("the server is gone");
    let other = OwnServer::start(&[]);
    let c = support::client_for(&other.url(), Protocol::Resp3).await;
    c.shutdown().save().await.unwrap();
}
