//! The generic (keys) group, every command, under RESP2 and RESP3.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tredis::prelude::*;
use tredis::reply::MigrateOutcome;

use crate::both;
use crate::support::b;
use crate::support::{self, assert_server_error};

/// `DUMP` of the list [3, 1, 2, 10] and of the set {a, b, c}, made by redis 7.0; newer servers
/// restore older payloads.
const LIST_DUMP: &str = "1201020f0f00000004000301010102010a01ff0a00add0efc8419b1a49";
const SET_DUMP: &str = "02030163016101620a00d51bc2f0968e69c3";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// Creates the list [3, 1, 2, 10] at `key`.
async fn make_list(c: &Client, key: &str) -> Result<(), tredis::Error> {
    c.restore(key, Duration::ZERO, hex(LIST_DUMP)).replace().await
}

both!(
    async fn delete_and_count(c, k) {
        let (a, b_, z) = (k.key("a"), k.key("b"), k.key("z"));
        c.mset([(&a, "1"), (&b_, "2")]).await?;
        assert_eq!(c.exists([&a, &b_, &z]).await?, 2);
        assert_eq!(c.exists(&a).await?, 1);
        assert_eq!(c.touch([&a, &z]).await?, 1);
        assert_eq!(c.del([&a, &z]).await?, 1);
        assert_eq!(c.unlink(&b_).await?, 1);
        assert_eq!(c.exists([&a, &b_]).await?, 0);
        let e = c.del(Vec::<String>::new()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Argument);
        Ok(())
    }
);

both!(
    async fn expiry(c, k) {
        let key = k.key("k");
        assert!(!c.expire(&key, Duration::from_secs(10)).await?);
        assert_eq!(c.ttl(&key).await?, Ttl::Missing);
        assert_eq!(c.pttl(&key).await?, Ttl::Missing);
        assert_eq!(c.expiretime(&key).await?, ExpireTime::Missing);
        c.set(&key, "v").await?;
        assert_eq!(c.expiretime(&key).await?, ExpireTime::Persistent);
        assert_eq!(c.pexpiretime(&key).await?, ExpireTime::Persistent);
        assert!(!c.expire(&key, Duration::from_secs(100)).xx().await?);
        assert!(c.expire(&key, Duration::from_secs(100)).nx().await?);
        assert!(!c.expire(&key, Duration::from_secs(50)).gt().await?);
        assert!(c.expire(&key, Duration::from_secs(50)).lt().await?);
        assert!(matches!(c.ttl(&key).await?, Ttl::Expires(t) if t <= Duration::from_secs(50)));
        assert!(c.pexpire(&key, Duration::from_millis(200_000)).await?);
        assert!(matches!(c.pttl(&key).await?, Ttl::Expires(t) if t > Duration::from_secs(150)));
        let at = SystemTime::now() + Duration::from_secs(1000);
        assert!(c.expireat(&key, at).await?);
        let ExpireTime::At(when) = c.expiretime(&key).await? else { panic!("no expiry") };
        assert!(when.duration_since(SystemTime::now()).unwrap() > Duration::from_secs(990));
        assert!(c.pexpireat(&key, at).await?);
        let ExpireTime::At(when) = c.pexpiretime(&key).await? else { panic!("no expiry") };
        let diff = when.duration_since(at).unwrap_or_else(|e| e.duration());
        assert!(diff < Duration::from_millis(2), "{diff:?}");
        assert!(c.persist(&key).await?);
        assert!(!c.persist(&key).await?);
        assert_eq!(c.ttl(&key).await?, Ttl::Persistent);
        Ok(())
    }
);

both!(
    async fn names_types_and_random(c, k) {
        let (a, b_) = (k.key("a"), k.key("b"));
        c.set(&a, "1").await?;
        assert_eq!(c.key_type(&a).await?, KeyType::String);
        assert_eq!(c.key_type(k.key("none")).await?, KeyType::None);
        make_list(&c, &k.key("list")).await?;
        assert_eq!(c.key_type(k.key("list")).await?, KeyType::List);
        c.rename(&a, &b_).await?;
        assert_eq!(c.get(&b_).await?, Some(b("1")));
        c.set(&a, "2").await?;
        assert!(!c.renamenx(&a, &b_).await?);
        assert!(c.renamenx(&a, k.key("c")).await?);
        assert_server_error(c.rename(k.key("missing"), &a).await, "ERR");
        let mut keys = c.keys(k.pattern()).await?;
        keys.sort();
        assert_eq!(keys, vec![b(&b_), b(&k.key("c")), b(&k.key("list"))]);
        assert!(c.randomkey().await?.is_some());
        Ok(())
    }
);

both!(
    async fn scan_pages_and_stream(c, k) {
        let names: Vec<String> = (0..120).map(|i| k.key(&format!("s{i}"))).collect();
        c.mset(names.iter().map(|n| (n, "v"))).await?;
        make_list(&c, &k.key("list")).await?;
        let (cursor, page) = c.scan(0).matching(k.pattern()).count(10).await?;
        assert!(cursor != 0 || page.len() == 121);
        let mut all: Vec<Bytes> = c.scan(0).matching(k.pattern()).count(7).stream().collect_all().await?;
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 121);
        let lists = c.scan(0).matching(k.pattern()).key_type("list").stream().collect_all().await?;
        assert_eq!(lists, vec![b(&k.key("list"))]);
        // An error ends the stream.
        let mut s = c.scan(0).count(0).stream();
        assert!(s.next().await.unwrap().is_err());
        assert!(s.next().await.is_none());
        Ok(())
    }
);

both!(
    async fn copy_move_and_db(c, k) {
        let (a, b_) = (k.key("a"), k.key("b"));
        c.set(&a, "1").await?;
        assert!(c.copy(&a, &b_).await?);
        assert!(!c.copy(&a, &b_).await?);
        c.set(&a, "2").await?;
        assert!(c.copy(&a, &b_).replace().await?);
        assert_eq!(c.get(&b_).await?, Some(b("2")));
        assert!(c.copy(&a, &a).db(1).await?);
        assert!(c.move_key(&b_, 1).await?);
        assert!(!c.move_key(&b_, 1).await?);
        let mut url = k.url();
        url.push_str("/1");
        let db1 = support::client_for(&url, tredis::Protocol::Resp3).await;
        assert_eq!(db1.get(&a).await?, Some(b("2")));
        assert_eq!(db1.get(&b_).await?, Some(b("2")));
        db1.del([&a, &b_]).await?;
        Ok(())
    }
);

both!(
    async fn dump_and_restore(c, k) {
        let (a, b_) = (k.key("a"), k.key("b"));
        assert_eq!(c.dump(&a).await?, None);
        c.set(&a, "value").await?;
        let payload = c.dump(&a).await?.expect("a payload");
        c.restore(&b_, Duration::ZERO, &payload).await?;
        assert_eq!(c.get(&b_).await?, Some(b("value")));
        assert_server_error(c.restore(&b_, Duration::ZERO, &payload).await, "BUSYKEY");
        c.restore(&b_, Duration::from_secs(100), &payload).replace().idletime(Duration::from_secs(5)).await?;
        assert!(matches!(c.ttl(&b_).await?, Ttl::Expires(_)));
        c.restore_at(&b_, SystemTime::now() + Duration::from_secs(500), &payload).replace().await?;
        assert!(matches!(c.ttl(&b_).await?, Ttl::Expires(t) if t > Duration::from_secs(400)));
        c.restore(k.key("set"), Duration::ZERO, hex(SET_DUMP)).await?;
        assert_eq!(c.key_type(k.key("set")).await?, KeyType::Set);
        Ok(())
    }
);

both!(
    async fn object_introspection(c, k) {
        let key = k.key("k");
        assert_eq!(c.object_encoding(&key).await?, None);
        c.set(&key, "12345").await?;
        assert_eq!(c.object_encoding(&key).await?.as_deref(), Some("int"));
        assert!(c.object_refcount(&key).await?.is_some());
        assert!(c.object_idletime(&key).await?.is_some());
        assert!(!c.object_help().await?.is_empty());
        // FREQ needs an LFU policy, which the second test server has.
        assert_server_error(c.object_freq(&key).await, "ERR");
        let lfu = support::client_for(&k.url2(), tredis::Protocol::Resp3).await;
        lfu.set(&key, "v").await?;
        lfu.get(&key).await?;
        assert!(lfu.object_freq(&key).await?.is_some());
        lfu.restore(k.key("r"), Duration::ZERO, hex(SET_DUMP)).replace().freq(100).await?;
        assert!(lfu.object_freq(k.key("r")).await?.unwrap() > 50);
        lfu.del([&key, &k.key("r")]).await?;
        Ok(())
    }
);

both!(
    async fn sort_options(c, k) {
        let list = k.key("{s}list");
        make_list(&c, &list).await?;
        let sorted = c.sort(&list).await?;
        assert_eq!(sorted, vec![Some(b("1")), Some(b("2")), Some(b("3")), Some(b("10"))]);
        assert_eq!(c.sort(&list).desc().limit(0, 2).await?, vec![Some(b("10")), Some(b("3"))]);
        assert_eq!(c.sort(&list).alpha().asc().await?[..2], [Some(b("1")), Some(b("10"))]);
        assert_eq!(c.sort_ro(&list).desc().await?[0], Some(b("10")));
        for i in [1, 2, 3, 10] {
            c.set(k.key(&format!("{{s}}w_{i}")), (100 - i).to_string()).await?;
            c.set(k.key(&format!("{{s}}o_{i}")), format!("obj{i}")).await?;
        }
        let by = c.sort(&list).by(k.key("{s}w_*")).await?;
        assert_eq!(by, vec![Some(b("10")), Some(b("3")), Some(b("2")), Some(b("1"))]);
        let got = c.sort(&list).by(k.key("{s}w_*")).get(["#", &k.key("{s}o_*")]).get(k.key("{s}missing_*")).await?;
        assert_eq!(got[..3], [Some(b("10")), Some(b("obj10")), None]);
        let ro = c.sort_ro(&list).by(k.key("{s}nosort")).get(k.key("{s}o_*")).limit(0, 1).alpha().asc().await?;
        assert_eq!(ro, vec![Some(b("obj3"))]);
        let n: u64 = c.sort(&list).store(k.key("{s}dest")).await?;
        assert_eq!(n, 4);
        assert_eq!(c.key_type(k.key("{s}dest")).await?, KeyType::List);
        Ok(())
    }
);

both!(
    async fn wait_for_replicas(c, _k) {
        assert_eq!(c.wait(0, Duration::from_millis(100)).await?, 0);
        Ok(())
    }
);

/// The ACL of the test server that requires a password (`cargo xtask test`'s `auth`).
const AUTH_ARGS: [&str; 9] =
    ["--requirepass", "secret", "--user", "alice", "on", ">wonderland", "~*", "&*", "+@all"];

both!(
    async fn migrate_to_another_server(c, k) {
        let (host, port) = support::host_port(&k.url2());
        let other = support::client_for(&k.url2(), tredis::Protocol::Resp3).await;
        let (a, b_) = (k.key("{m}a"), k.key("{m}b"));
        other.del([&a, &b_]).await?;
        c.mset([(&a, "1"), (&b_, "2")]).await?;
        let moved = c.migrate(&host, u64::from(port), &a, 0, Duration::from_secs(5)).await?;
        assert_eq!(moved, MigrateOutcome::Migrated);
        assert_eq!(c.exists(&a).await?, 0);
        assert_eq!(other.get(&a).await?, Some(b("1")));
        assert_eq!(c.migrate(&host, u64::from(port), &a, 0, Duration::from_secs(5)).await?, MigrateOutcome::NoKey);
        c.set(&a, "3").await?;
        let out = c.migrate_keys(&host, u64::from(port), 0, Duration::from_secs(5), [&a, &b_]).copy().replace().await?;
        assert_eq!(out, MigrateOutcome::Migrated);
        assert_eq!(c.exists([&a, &b_]).await?, 2, "COPY keeps the keys");
        assert_eq!(other.mget([&a, &b_]).await?, vec![Some(b("3")), Some(b("2"))]);
        // With credentials: the password form and the ACL user form. A server takes only
        // payloads of its own kind (Valkey's RDB version is newer), so Valkey gets a Valkey.
        let own_auth;
        let auth_url = match k.server() {
            support::Server::Redis => support::auth_url(),
            support::Server::Valkey => {
                own_auth = support::server::OwnServer::valkey(&AUTH_ARGS);
                own_auth.url()
            }
        };
        let (ahost, aport) = support::host_port(&auth_url);
        let out = c.migrate(&ahost, u64::from(aport), &a, 0, Duration::from_secs(5)).copy().replace().auth("secret").await?;
        assert_eq!(out, MigrateOutcome::Migrated);
        let out = c.migrate(&ahost, u64::from(aport), &b_, 0, Duration::from_secs(5)).copy().replace().auth2("alice", "wonderland").await?;
        assert_eq!(out, MigrateOutcome::Migrated);
        let e = c.migrate(&ahost, u64::from(aport), &b_, 0, Duration::from_secs(5)).copy().replace().auth("wrong").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Redis, "{e}");
        other.del([&a, &b_]).await?;
        Ok(())
    }
);
