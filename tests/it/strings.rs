//! The string group, every command, under RESP2 and RESP3.

use std::time::{Duration, SystemTime};

use tredis::prelude::*;

use crate::both;
use crate::support::assert_server_error;
use crate::support::b;

both!(
    async fn set_and_get(c, k) {
        let key = k.key("k");
        assert_eq!(c.get(&key).await?, None);
        c.set(&key, "v1").await?;
        assert_eq!(c.get(&key).await?, Some(b("v1")));
        // NX and XX answer whether they set.
        assert!(!c.set(&key, "v2").nx().await?);
        assert!(c.set(&key, "v3").xx().await?);
        assert!(!c.set(k.key("absent"), "v").xx().await?);
        // GET answers the old value, and wins over NX for the reply type, as on the server.
        assert_eq!(c.set(&key, "v4").get().await?, Some(b("v3")));
        assert_eq!(c.set(k.key("fresh"), "x").get().await?, None);
        assert_eq!(c.set(&key, "v5").nx().get().await?, Some(b("v4")));
        assert_eq!(c.get(&key).await?, Some(b("v4")));
        // Binary-safe values.
        let binary: Vec<u8> = (0..=255).collect();
        c.set(k.key("bin"), &binary).await?;
        assert_eq!(c.get(k.key("bin")).await?.as_deref(), Some(&binary[..]));
        Ok(())
    }
);

both!(
    async fn set_expiry_options(c, k) {
        let key = k.key("k");
        c.set(&key, "v").ex(Duration::from_secs(100)).await?;
        let Ttl::Expires(t) = c.ttl(&key).await? else { panic!("no TTL after EX") };
        assert!(t > Duration::from_secs(90) && t <= Duration::from_secs(100));
        c.set(&key, "v").px(Duration::from_millis(50_000)).await?;
        let Ttl::Expires(t) = c.pttl(&key).await? else { panic!("no TTL after PX") };
        assert!(t > Duration::from_secs(40) && t <= Duration::from_secs(50));
        c.set(&key, "w").keepttl().await?;
        assert!(matches!(c.ttl(&key).await?, Ttl::Expires(_)));
        let at = SystemTime::now() + Duration::from_secs(300);
        c.set(&key, "v").exat(at).await?;
        assert!(matches!(c.ttl(&key).await?, Ttl::Expires(t) if t > Duration::from_secs(290)));
        c.set(&key, "v").pxat(at).await?;
        assert!(matches!(c.pttl(&key).await?, Ttl::Expires(t) if t > Duration::from_secs(290)));
        c.set(&key, "v").await?;
        assert_eq!(c.ttl(&key).await?, Ttl::Persistent);
        // A fractional EX is rejected before sending, naming the command.
        let e = c.set(&key, "v").ex(Duration::from_millis(1500)).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Argument);
        assert!(e.to_string().contains("SET") && e.to_string().contains("whole seconds"), "{e}");
        Ok(())
    }
);

both!(
    async fn counters(c, k) {
        let key = k.key("n");
        assert_eq!(c.incr(&key).await?, 1);
        assert_eq!(c.incrby(&key, 41).await?, 42);
        assert_eq!(c.decr(&key).await?, 41);
        assert_eq!(c.decrby(&key, 50).await?, -9);
        assert_eq!(c.incrbyfloat(&key, 0.5).await?, -8.5);
        assert_eq!(c.incrbyfloat(&key, 10.0).await?, 1.5);
        c.set(k.key("text"), "abc").await?;
        assert_server_error(c.incr(k.key("text")).await, "ERR");
        Ok(())
    }
);

both!(
    async fn ranges_and_lengths(c, k) {
        let key = k.key("s");
        assert_eq!(c.append(&key, "Hello").await?, 5);
        assert_eq!(c.append(&key, " World").await?, 11);
        assert_eq!(c.strlen(&key).await?, 11);
        assert_eq!(c.getrange(&key, 0, 4).await?, b("Hello"));
        assert_eq!(c.getrange(&key, -5, -1).await?, b("World"));
        assert_eq!(c.setrange(&key, 6, "Redis").await?, 11);
        assert_eq!(c.get(&key).await?, Some(b("Hello Redis")));
        #[allow(deprecated)]
        let sub = c.substr(&key, 0, 4).await?;
        assert_eq!(sub, b("Hello"));
        assert_eq!(c.strlen(k.key("none")).await?, 0);
        Ok(())
    }
);

both!(
    async fn get_and_change(c, k) {
        let key = k.key("k");
        c.set(&key, "v").await?;
        assert_eq!(c.getex(&key).ex(Duration::from_secs(100)).await?, Some(b("v")));
        assert!(matches!(c.ttl(&key).await?, Ttl::Expires(_)));
        assert_eq!(c.getex(&key).persist().await?, Some(b("v")));
        assert_eq!(c.ttl(&key).await?, Ttl::Persistent);
        assert_eq!(c.getex(&key).px(Duration::from_millis(100_000)).await?, Some(b("v")));
        assert_eq!(c.getex(&key).exat(SystemTime::now() + Duration::from_secs(60)).await?, Some(b("v")));
        assert_eq!(c.getex(&key).pxat(SystemTime::now() + Duration::from_secs(60)).await?, Some(b("v")));
        assert_eq!(c.getex(k.key("none")).await?, None);
        #[allow(deprecated)]
        let old = c.getset(&key, "w").await?;
        assert_eq!(old, Some(b("v")));
        assert_eq!(c.getdel(&key).await?, Some(b("w")));
        assert_eq!(c.getdel(&key).await?, None);
        Ok(())
    }
);

both!(
    async fn multi_key(c, k) {
        let (a, b_, z) = (k.key("a"), k.key("b"), k.key("z"));
        c.mset([(&a, "1"), (&b_, "2")]).await?;
        assert_eq!(c.mget([&a, &z, &b_]).await?, vec![Some(b("1")), None, Some(b("2"))]);
        assert!(!c.msetnx([(&a, "x"), (&z, "y")]).await?);
        assert_eq!(c.get(&z).await?, None);
        assert!(c.msetnx(vec![(k.key("p"), "x".to_string()), (k.key("q"), "y".to_string())]).await?);
        // A single key where a list is allowed.
        assert_eq!(c.mget(&a).await?, vec![Some(b("1"))]);
        // An empty list is refused before sending.
        let e = c.mget(Vec::<String>::new()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Argument);
        assert!(e.to_string().contains("MGET"), "{e}");
        let e = c.mset(Vec::<(String, String)>::new()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Argument);
        Ok(())
    }
);

both!(
    async fn expiring_sets(c, k) {
        let key = k.key("k");
        c.setex(&key, Duration::from_secs(100), "v").await?;
        assert!(matches!(c.ttl(&key).await?, Ttl::Expires(t) if t > Duration::from_secs(90)));
        c.psetex(&key, Duration::from_millis(100_000), "w").await?;
        assert_eq!(c.get(&key).await?, Some(b("w")));
        assert!(matches!(c.pttl(&key).await?, Ttl::Expires(t) if t > Duration::from_secs(90)));
        assert!(!c.setnx(&key, "x").await?);
        assert!(c.setnx(k.key("new"), "x").await?);
        Ok(())
    }
);

both!(
    async fn longest_common_subsequence(c, k) {
        let (a, b_) = (k.key("{lcs}a"), k.key("{lcs}b"));
        c.mset([(&a, "ohmytext"), (&b_, "mynewtext")]).await?;
        assert_eq!(c.lcs(&a, &b_).await?, b("mytext"));
        assert_eq!(c.lcs(&a, &b_).len().await?, 6);
        let m = c.lcs(&a, &b_).idx().await?;
        assert_eq!(m.len, 6);
        assert_eq!(m.matches.len(), 2);
        assert_eq!((m.matches[0].first, m.matches[0].second, m.matches[0].len), ((4, 7), (5, 8), None));
        let m = c.lcs(&a, &b_).idx().minmatchlen(4).withmatchlen().await?;
        assert_eq!(m.matches.len(), 1);
        assert_eq!(m.matches[0].len, Some(4));
        Ok(())
    }
);

both!(
    async fn wrong_type_keeps_code_and_text(c, k) {
        let key = k.key("k");
        c.set(&key, "v").await?;
        let e = c.sort(&key).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Redis);
        assert_eq!(e.code(), Some("WRONGTYPE"));
        assert!(e.server_message().unwrap().contains("Operation against a key holding the wrong kind of value"));
        assert!(e.to_string().contains("SORT"), "{e}");
        // The connection stays usable.
        assert_eq!(c.get(&key).await?, Some(b("v")));
        Ok(())
    }
);
