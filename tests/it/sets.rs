//! The set group, every command, under RESP2 and RESP3.

use std::collections::HashSet;

use bytes::Bytes;
use tredis::prelude::*;

use crate::both;
use crate::support::assert_server_error;
use crate::support::{b, bs, sorted};

both!(
    async fn add_remove_and_members(c, k) {
        let s = k.key("s");
        assert_eq!(c.sadd(&s, ["a", "b", "c", "a"]).await?, 3);
        assert_eq!(c.sadd(&s, "d").await?, 1);
        assert_eq!(c.sadd(&s, vec!["d".to_string(), "e".to_string()]).await?, 1);
        assert_eq!(c.scard(&s).await?, 5);
        assert_eq!(c.scard(k.key("none")).await?, 0);
        assert_eq!(sorted(c.smembers(&s).await?), bs(&["a", "b", "c", "d", "e"]));
        assert!(c.smembers(k.key("none")).await?.is_empty());
        assert!(c.sismember(&s, "a").await?);
        assert!(!c.sismember(&s, "z").await?);
        assert!(!c.sismember(k.key("none"), "a").await?);
        assert_eq!(c.smismember(&s, ["a", "z", "e"]).await?, vec![true, false, true]);
        assert_eq!(c.smismember(&s, "b").await?, vec![true]);
        assert_eq!(c.smismember(k.key("none"), ["a", "b"]).await?, vec![false, false]);
        assert_eq!(c.srem(&s, ["a", "z"]).await?, 1);
        assert_eq!(c.srem(&s, "b").await?, 1);
        assert_eq!(sorted(c.smembers(&s).await?), bs(&["c", "d", "e"]));
        // Integers go in as their decimal text (an intset on the server).
        let n = k.key("n");
        assert_eq!(c.sadd(&n, [3i64, 1, 2]).await?, 3);
        assert!(c.sismember(&n, 2i64).await?);
        assert_eq!(sorted(c.smembers(&n).await?), bs(&["1", "2", "3"]));
        // Binary-safe members.
        let binary: Vec<u8> = (0..=255).collect();
        assert_eq!(c.sadd(k.key("bin"), &binary[..]).await?, 1);
        assert_eq!(c.smembers(k.key("bin")).await?, vec![Bytes::from(binary)]);
        // Removing the last member removes the key.
        assert_eq!(c.srem(&n, HashSet::from(["1", "2", "3"])).await?, 3);
        assert_eq!(c.exists(&n).await?, 0);
        Ok(())
    }
);

both!(
    async fn algebra(c, k) {
        let (a, b_, e, z) = (k.key("{s}a"), k.key("{s}b"), k.key("{s}empty"), k.key("{s}none"));
        c.sadd(&a, ["1", "2", "3", "4"]).await?;
        c.sadd(&b_, ["3", "4", "5"]).await?;
        assert_eq!(sorted(c.sdiff([&a, &b_]).await?), bs(&["1", "2"]));
        assert_eq!(sorted(c.sdiff(&a).await?), bs(&["1", "2", "3", "4"]));
        assert!(c.sdiff([&z, &a]).await?.is_empty());
        assert_eq!(sorted(c.sinter([&a, &b_]).await?), bs(&["3", "4"]));
        assert!(c.sinter([&a, &z]).await?.is_empty());
        assert_eq!(sorted(c.sunion([&a, &b_, &z]).await?), bs(&["1", "2", "3", "4", "5"]));
        assert_eq!(c.sintercard([&a, &b_]).await?, 2);
        assert_eq!(c.sintercard([&a, &b_]).limit(1).await?, 1);
        assert_eq!(c.sintercard([&a, &b_]).limit(0).await?, 2);
        assert_eq!(c.sintercard(&a).await?, 4);
        assert_eq!(c.sintercard([&a, &z]).await?, 0);
        // The STORE variants answer the size of what they stored, replacing the destination.
        let d = k.key("{s}dest");
        assert_eq!(c.sdiffstore(&d, [&b_, &a]).await?, 1);
        assert_eq!(c.smembers(&d).await?, bs(&["5"]));
        assert_eq!(c.sinterstore(&d, [&a, &b_]).await?, 2);
        assert_eq!(sorted(c.smembers(&d).await?), bs(&["3", "4"]));
        assert_eq!(c.sunionstore(&d, [&a, &b_]).await?, 5);
        assert_eq!(c.scard(&d).await?, 5);
        // An empty result deletes the destination.
        assert_eq!(c.sinterstore(&d, [&a, &z]).await?, 0);
        assert_eq!(c.exists(&d).await?, 0);
        assert_eq!(c.sunionstore(&e, &z).await?, 0);
        assert_eq!(c.sdiffstore(&e, [&a, &a]).await?, 0);
        assert_eq!(c.exists(&e).await?, 0);
        Ok(())
    }
);

both!(
    async fn moves(c, k) {
        let (src, dst) = (k.key("{m}src"), k.key("{m}dst"));
        c.sadd(&src, ["a", "b"]).await?;
        assert!(c.smove(&src, &dst, "a").await?);
        assert!(!c.smove(&src, &dst, "zz").await?);
        assert!(!c.smove(k.key("{m}none"), &dst, "b").await?);
        assert_eq!(c.smembers(&dst).await?, bs(&["a"]));
        assert!(c.smove(&src, &dst, "b").await?);
        assert_eq!(c.exists(&src).await?, 0);
        assert_eq!(sorted(c.smembers(&dst).await?), bs(&["a", "b"]));
        // Moving a member the destination already has still removes it from the source.
        c.sadd(&src, "a").await?;
        assert!(c.smove(&src, &dst, "a").await?);
        assert_eq!(c.scard(&dst).await?, 2);
        assert_eq!(c.exists(&src).await?, 0);
        Ok(())
    }
);

both!(
    async fn random_members_and_pops(c, k) {
        let s = k.key("s");
        let all = bs(&["a", "b", "c", "d", "e"]);
        c.sadd(&s, ["a", "b", "c", "d", "e"]).await?;
        let one = c.srandmember(&s).await?.expect("a member of a non-empty set");
        assert!(all.contains(&one), "{one:?}");
        assert_eq!(c.srandmember(k.key("none")).await?, None);
        assert_eq!(sorted(c.srandmember(&s).count(10).await?), all);
        let three = c.srandmember(&s).count(3).await?;
        assert_eq!(three.len(), 3);
        assert_eq!(three.iter().collect::<HashSet<_>>().len(), 3);
        let repeated = c.srandmember(&s).count(-12).await?;
        assert_eq!(repeated.len(), 12);
        assert!(repeated.iter().all(|m| all.contains(m)));
        assert!(c.srandmember(&s).count(0).await?.is_empty());
        assert!(c.srandmember(k.key("none")).count(4).await?.is_empty());
        assert_eq!(c.scard(&s).await?, 5);

        let popped = c.spop(&s).await?.expect("a member of a non-empty set");
        assert!(all.contains(&popped));
        assert!(!c.sismember(&s, &popped).await?);
        let two = c.spop(&s).count(2).await?;
        assert_eq!(two.len(), 2);
        assert!(two.iter().all(|m| all.contains(m) && *m != popped));
        assert_eq!(c.scard(&s).await?, 2);
        assert!(c.spop(&s).count(0).await?.is_empty());
        // Asking for more than there is empties the set.
        let rest = c.spop(&s).count(10).await?;
        assert_eq!(rest.len(), 2);
        let mut seen: Vec<Bytes> = [vec![popped], two, rest].concat();
        seen.sort();
        assert_eq!(seen, all);
        assert_eq!(c.exists(&s).await?, 0);
        assert_eq!(c.spop(&s).await?, None);
        assert!(c.spop(&s).count(3).await?.is_empty());
        Ok(())
    }
);

both!(
    async fn scan_pages_and_stream(c, k) {
        let s = k.key("s");
        let members: Vec<String> = (0..300).map(|i| format!("m{i}")).collect();
        c.sadd(&s, &members).await?;
        let (cursor, page) = c.sscan(&s, 0).count(10).await?;
        assert_ne!(cursor, 0);
        assert!(!page.is_empty() && page.len() < 300, "{}", page.len());
        let mut all = c.sscan(&s, 0).count(25).stream().collect_all().await?;
        all.sort();
        all.dedup();
        let mut expected: Vec<Bytes> = members.iter().map(|m| b(m)).collect();
        expected.sort();
        assert_eq!(all, expected);
        let mut matched = c.sscan(&s, 0).matching("m2?").count(50).stream().collect_all().await?;
        matched.sort();
        matched.dedup();
        let mut expected: Vec<Bytes> = (20..30).map(|i| b(&format!("m{i}"))).collect();
        expected.sort();
        assert_eq!(matched, expected);
        let small = k.key("small");
        c.sadd(&small, "x").await?;
        assert_eq!(c.sscan(&small, 0).await?, (0, bs(&["x"])));
        assert_eq!(c.sscan(k.key("none"), 0).await?, (0, vec![]));
        assert!(c.sscan(k.key("none"), 0).stream().collect_all().await?.is_empty());
        Ok(())
    }
);

both!(
    async fn argument_and_type_errors(c, k) {
        let s = k.key("{e}s");
        let e = c.sadd(&s, Vec::<String>::new()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Argument);
        assert!(e.to_string().contains("SADD"), "{e}");
        let e = c.sintercard(Vec::<String>::new()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Argument);
        assert!(e.to_string().contains("SINTERCARD"), "{e}");
        let e = c.sunionstore(&s, [""; 0]).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Argument);
        let e = c.smismember(&s, Vec::<Bytes>::new()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Argument);
        let e = c.srem(&s, Vec::<String>::new()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Argument);
        assert_eq!(c.exists(&s).await?, 0);
        let text = k.key("{e}text");
        c.set(&text, "v").await?;
        assert_server_error(c.sadd(&text, "m").await, "WRONGTYPE");
        assert_server_error(c.smembers(&text).await, "WRONGTYPE");
        assert_server_error(c.sinter([&text, &s]).await, "WRONGTYPE");
        assert_server_error(c.spop(&text).count(1).await, "WRONGTYPE");
        assert_server_error(c.sscan(&text, 0).await, "WRONGTYPE");
        let mut stream = c.sscan(&text, 0).stream();
        assert!(stream.next().await.unwrap().is_err());
        assert!(stream.next().await.is_none());
        Ok(())
    }
);
