//! What only Valkey has: its commands and the options it adds to shared ones, each on Valkey,
//! and on Redis 7.0 the server's own error for them (tredis never blocks a command by version).

use std::time::Duration;

use tredis::commands::cluster::ClusterSetslotState;
use tredis::commands::server::CommandLog;
use tredis::prelude::*;
use tredis::Protocol;

use crate::support::server::OwnServer;
use crate::support::{self, assert_server_error, b, wait_until};
use crate::{both, valkey};

valkey!(
    async fn set_if_equal(c, k) {
        let key = k.key("k");
        c.set(&key, "a").await?;
        assert!(c.set(&key, "b").ifeq("a").await?, "the value matched");
        assert!(!c.set(&key, "c").ifeq("a").await?, "the value no longer matches");
        assert_eq!(c.get(&key).await?, Some(b("b")));
        Ok(())
    }
);

valkey!(
    async fn scans_without_values_or_scores(c, k) {
        let (h, z) = (k.key("h"), k.key("z"));
        c.hset(&h, [("f1", "1"), ("f2", "2")]).await?;
        let (_, mut fields) = c.hscan(&h, 0).novalues().await?;
        fields.sort();
        assert_eq!(fields, vec![b("f1"), b("f2")]);
        let mut all = c.hscan(&h, 0).novalues().stream().collect_all().await?;
        all.sort();
        assert_eq!(all, vec![b("f1"), b("f2")]);
        c.zadd(&z, [(1.0, "m1"), (2.0, "m2")]).await?;
        let (_, members) = c.zscan(&z, 0).noscores().await?;
        assert_eq!(members.len(), 2);
        Ok(())
    }
);

valkey!(
    async fn rank_with_score(c, k) {
        let z = k.key("z");
        c.zadd(&z, [(1.5, "a"), (2.5, "b")]).await?;
        assert_eq!(c.zrank(&z, "b").withscore().await?, Some((1, 2.5)));
        assert_eq!(c.zrevrank(&z, "b").withscore().await?, Some((0, 2.5)));
        assert_eq!(c.zrank(&z, "none").withscore().await?, None);
        Ok(())
    }
);

valkey!(
    async fn script_source(c, _k) {
        let sha = c.script_load("return 'shown'").await?;
        assert_eq!(c.script_show(&sha).await?, "return 'shown'");
        assert_server_error(c.script_show("0000000000000000000000000000000000000000").await, "NOSCRIPT");
        Ok(())
    }
);

valkey!(
    async fn connection_flags(c, k) {
        c.client_no_touch(true).await?;
        c.client_no_touch(false).await?;
        // The server is not in import mode: its own error.
        assert_server_error(c.client_import_source(true).await, "ERR");
        // MAXAGE keeps a young connection alive; the ID filter alone would close it.
        let victim = k.client(Protocol::Resp3).await;
        let id = victim.client_id().await?;
        assert_eq!(c.client_kill().id(id).max_age(Duration::from_secs(3600)).await?, 0);
        // The client names itself on every connection (CLIENT SETINFO, in its handshake).
        let me = c.client_info().await?;
        assert_eq!(me.get("lib-name"), Some("tredis"), "{me:?}");
        assert_eq!(me.get("lib-ver"), Some(env!("CARGO_PKG_VERSION")), "{me:?}");
        // CLIENT LIST's filters.
        let mine = c.client_list().addr(me.addr().unwrap()).await?;
        assert_eq!(mine.iter().map(|i| i.id()).collect::<Vec<_>>(), vec![me.id()]);
        let others = c.client_list().user("default").skipme(true).await?;
        assert!(others.iter().all(|i| i.id() != me.id()) && others.iter().any(|i| i.id() == Some(id)));
        assert!(c.client_list().max_age(Duration::from_secs(3600)).await?.is_empty());
        assert!(!c.client_list().laddr(me.get("laddr").unwrap()).await?.is_empty());
        // Nothing runs in the background: CANCEL says so in the server's words.
        assert_server_error(c.bgsave().cancel().await, "ERR");
        Ok(())
    }
);

/// Import mode is a setting of the whole server, so the test has a server of its own.
#[tokio::test]
async fn import_source_in_import_mode() {
    let server = OwnServer::valkey(&["--import-mode", "yes"]);
    for protocol in support::PROTOCOLS {
        let c = support::client_for(&server.url(), protocol).await;
        c.client_import_source(true).await.unwrap();
        c.client_import_source(false).await.unwrap();
    }
}

/// WAITAOF counts the fsyncs of the writes before it; the server needs an append-only file.
#[tokio::test]
async fn wait_for_the_append_only_file() {
    let server = OwnServer::valkey(&["--appendonly", "yes", "--appendfsync", "always"]);
    let plain = support::client_for(&support::Server::Valkey.url(), Protocol::Resp3).await;
    assert_server_error(plain.waitaof(1, 0, Duration::from_millis(100)).await, "ERR");
    assert_eq!(plain.waitaof(0, 0, Duration::from_millis(100)).await.unwrap(), (0, 0));
    for protocol in support::PROTOCOLS {
        let c = support::client_for(&server.url(), protocol).await;
        c.set("k", "v").await.unwrap();
        // Written by this client on another connection: the offset probe makes it count.
        assert_eq!(c.waitaof(1, 0, Duration::ZERO).await.unwrap(), (1, 0));
    }
}

/// The command logs: every command is slow with a threshold of zero.
#[tokio::test]
async fn command_logs() {
    let server = OwnServer::valkey(&["--commandlog-execution-slower-than", "0"]);
    for protocol in support::PROTOCOLS {
        let c = support::client_for(&server.url(), protocol).await;
        c.commandlog_reset(CommandLog::Slow).await.unwrap();
        c.set("logged", "v").await.unwrap();
        let entries = c.commandlog_get(-1, CommandLog::Slow).await.unwrap();
        assert!(entries.iter().any(|e| e.args.first() == Some(&b("SET"))), "{entries:?}");
        assert!(c.commandlog_len(CommandLog::Slow).await.unwrap() >= 1);
        assert_eq!(c.commandlog_len(CommandLog::LargeReply).await.unwrap(), 0);
        assert!(c.commandlog_get(10, CommandLog::LargeRequest).await.unwrap().is_empty());
        assert!(!c.commandlog_help().await.unwrap().is_empty());
    }
}

/// A one-node Valkey cluster: its shard id and its per-slot figures.
#[tokio::test]
async fn cluster_shard_and_slot_stats() {
    let node = OwnServer::valkey_cluster_node();
    let admin = support::client_for(&node.url(), Protocol::Resp3).await;
    admin.cluster_addslotsrange([(0, 16383)]).await.unwrap();
    wait_until("the one-node cluster is ok", || async {
        admin.cluster_info().await.is_ok_and(|i| i.is_ok())
    })
    .await;
    let myid = admin.cluster_myid().await.unwrap();
    admin
        .cluster_setslot(0, ClusterSetslotState::Node(myid.clone().into()))
        .timeout(Duration::from_secs(2))
        .await
        .unwrap();
    for protocol in support::PROTOCOLS {
        let c = support::client_for(&node.url(), protocol).await;
        let shard = c.cluster_myshardid().await.unwrap();
        assert_eq!(shard.len(), 40, "{shard}");
        c.set("{slotstats}k", "v").await.unwrap();
        let slot = u64::from(tredis::key_slot("{slotstats}k"));
        let stats = c.cluster_slot_stats(slot, slot).await.unwrap();
        assert_eq!(stats.len(), 1);
        assert_eq!(stats[0].0, slot);
        assert_eq!(stats[0].1.get("key-count"), Some(&1), "{stats:?}");
        let top = c.cluster_slot_stats_ordered("key-count").limit(3).desc().await.unwrap();
        assert_eq!(top.len(), 3);
        assert_eq!(top[0].0, slot);
        c.del("{slotstats}k").await.unwrap();
    }
}

both!(
    async fn valkey_only_commands_fail_on_redis_with_its_error(c, k) {
        if k.server() == support::Server::Redis {
            assert_server_error(c.waitaof(0, 0, Duration::from_millis(10)).await, "ERR");
            assert_server_error(c.client_no_touch(true).await, "ERR");
            assert_server_error(c.set(k.key("k"), "v").ifeq("v").await, "ERR");
            assert_server_error(c.commandlog_len(CommandLog::Slow).await, "ERR");
        } else {
            c.client_no_touch(false).await?;
        }
        Ok(())
    }
);
