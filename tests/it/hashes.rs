//! The hash group, every command, under RESP2 and RESP3.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use tredis::prelude::*;

use crate::both;
use crate::support::assert_server_error;
use crate::support::{b, bs, sorted};

both!(
    async fn set_get_and_delete(c, k) {
        let h = k.key("h");
        assert_eq!(c.hset(&h, [("f1", "v1"), ("f2", "v2")]).await?, 2);
        // Overwriting an existing field counts only the new ones.
        assert_eq!(c.hset(&h, [("f1", "x"), ("f3", "v3")]).await?, 1);
        assert_eq!(c.hget(&h, "f1").await?, Some(b("x")));
        assert_eq!(c.hget(&h, "nope").await?, None);
        assert_eq!(c.hget(k.key("none"), "f1").await?, None);
        assert!(c.hexists(&h, "f2").await?);
        assert!(!c.hexists(&h, "nope").await?);
        assert!(!c.hsetnx(&h, "f2", "other").await?);
        assert!(c.hsetnx(&h, "f4", "v4").await?);
        assert_eq!(c.hget(&h, "f2").await?, Some(b("v2")));
        assert_eq!(c.hlen(&h).await?, 4);
        assert_eq!(c.hlen(k.key("none")).await?, 0);
        assert_eq!(c.hdel(&h, "f4").await?, 1);
        assert_eq!(c.hdel(&h, ["f3", "nope", "f3"]).await?, 1);
        assert_eq!(c.hlen(&h).await?, 2);
        // Removing the last field removes the key.
        assert_eq!(c.hdel(&h, vec!["f1".to_string(), "f2".to_string()]).await?, 2);
        assert_eq!(c.exists(&h).await?, 0);
        assert_eq!(c.hdel(&h, "f1").await?, 0);
        Ok(())
    }
);

both!(
    async fn whole_hash_reads(c, k) {
        let h = k.key("h");
        let fields: BTreeMap<String, String> =
            (0..5).map(|i| (format!("field{i}"), format!("value{i}"))).collect();
        assert_eq!(c.hset(&h, &fields).await?, 5);
        let all = c.hgetall(&h).await?;
        let expected: HashMap<Bytes, Bytes> = fields.iter().map(|(f, v)| (b(f), b(v))).collect();
        assert_eq!(all, expected);
        assert_eq!(
            sorted(c.hkeys(&h).await?),
            bs(&["field0", "field1", "field2", "field3", "field4"])
        );
        assert_eq!(
            sorted(c.hvals(&h).await?),
            bs(&["value0", "value1", "value2", "value3", "value4"])
        );
        assert_eq!(
            c.hmget(&h, ["field3", "missing", "field0"]).await?,
            vec![Some(b("value3")), None, Some(b("value0"))]
        );
        assert_eq!(c.hmget(&h, "field1").await?, vec![Some(b("value1"))]);
        assert_eq!(c.hmget(k.key("none"), ["a", "b"]).await?, vec![None, None]);
        assert!(c.hgetall(k.key("none")).await?.is_empty());
        assert!(c.hkeys(k.key("none")).await?.is_empty());
        assert!(c.hvals(k.key("none")).await?.is_empty());
        assert_eq!(c.hstrlen(&h, "field2").await?, 6);
        assert_eq!(c.hstrlen(&h, "missing").await?, 0);
        // Binary-safe fields and values.
        let binary: Vec<u8> = (0..=255).collect();
        c.hset(&h, [(&binary[..], &binary[..])]).await?;
        assert_eq!(c.hget(&h, &binary[..]).await?.as_deref(), Some(&binary[..]));
        assert_eq!(c.hstrlen(&h, &binary[..]).await?, 256);
        Ok(())
    }
);

both!(
    async fn deprecated_hmset(c, k) {
        let h = k.key("h");
        #[allow(deprecated)]
        let set = c.hmset(&h, [("a", "1"), ("b", "2")]).await;
        set?;
        assert_eq!(c.hmget(&h, ["a", "b"]).await?, vec![Some(b("1")), Some(b("2"))]);
        #[allow(deprecated)]
        let e = c.hmset(&h, Vec::<(String, String)>::new()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Argument);
        assert!(e.to_string().contains("HMSET"), "{e}");
        Ok(())
    }
);

both!(
    async fn increments(c, k) {
        let h = k.key("h");
        assert_eq!(c.hincrby(&h, "n", 5).await?, 5);
        assert_eq!(c.hincrby(&h, "n", -12).await?, -7);
        assert_eq!(c.hget(&h, "n").await?, Some(b("-7")));
        assert_eq!(c.hincrbyfloat(&h, "x", 10.5).await?, 10.5);
        assert_eq!(c.hincrbyfloat(&h, "x", -0.25).await?, 10.25);
        assert_eq!(c.hincrbyfloat(&h, "n", 0.5).await?, -6.5);
        assert_eq!(c.hget(&h, "x").await?, Some(b("10.25")));
        c.hset(&h, [("text", "abc")]).await?;
        assert_server_error(c.hincrby(&h, "text", 1).await, "ERR");
        assert_server_error(c.hincrbyfloat(&h, "text", 1.0).await, "ERR");
        // Infinity goes to the server, which refuses it; NaN is refused before sending.
        assert_server_error(c.hincrbyfloat(&h, "x", f64::INFINITY).await, "ERR");
        let e = c.hincrbyfloat(&h, "x", f64::NAN).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Argument);
        assert!(e.to_string().contains("HINCRBYFLOAT"), "{e}");
        assert_eq!(c.hget(&h, "x").await?, Some(b("10.25")));
        Ok(())
    }
);

both!(
    async fn random_fields(c, k) {
        let h = k.key("h");
        c.hset(&h, [("a", "1"), ("b", "2"), ("c", "3")]).await?;
        let names = bs(&["a", "b", "c"]);
        let one = c.hrandfield(&h).await?.expect("a field of a non-empty hash");
        assert!(names.contains(&one), "{one:?}");
        assert_eq!(c.hrandfield(k.key("none")).await?, None);
        // A positive count gives distinct fields, at most all of them.
        assert_eq!(sorted(c.hrandfield(&h).count(10).await?), names);
        let two = c.hrandfield(&h).count(2).await?;
        assert_eq!(two.len(), 2);
        assert_ne!(two[0], two[1]);
        // A negative count gives exactly that many, possibly repeated.
        let many = c.hrandfield(&h).count(-7).await?;
        assert_eq!(many.len(), 7);
        assert!(many.iter().all(|f| names.contains(f)));
        assert!(c.hrandfield(k.key("none")).count(3).await?.is_empty());
        let mut pairs = c.hrandfield(&h).count(3).withvalues().await?;
        pairs.sort();
        assert_eq!(pairs, vec![(b("a"), b("1")), (b("b"), b("2")), (b("c"), b("3"))]);
        let repeated = c.hrandfield(&h).count(-5).withvalues().await?;
        assert_eq!(repeated.len(), 5);
        let values: HashMap<Bytes, Bytes> = c.hgetall(&h).await?;
        assert!(repeated.iter().all(|(f, v)| values.get(f) == Some(v)));
        // The single-pair case, which RESP3 nests as one two-element array.
        let single = c.hrandfield(&h).count(1).withvalues().await?;
        assert_eq!(single.len(), 1);
        assert_eq!(values.get(&single[0].0), Some(&single[0].1));
        assert!(c.hrandfield(k.key("none")).count(2).withvalues().await?.is_empty());
        // The options chain in either order.
        let mut pairs = c.hrandfield(&h).withvalues().count(5).await?;
        pairs.sort();
        assert_eq!(pairs, vec![(b("a"), b("1")), (b("b"), b("2")), (b("c"), b("3"))]);
        // WITHVALUES needs COUNT: refused before sending.
        let e = c.hrandfield(&h).withvalues().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Argument);
        assert!(e.to_string().contains("HRANDFIELD"), "{e}");
        Ok(())
    }
);

both!(
    async fn scan_pages_and_stream(c, k) {
        let h = k.key("h");
        c.hset(&h, (0..1000).map(|i| (format!("f{i}"), format!("v{i}")))).await?;
        let (cursor, page) = c.hscan(&h, 0).count(10).await?;
        // A hash this big is a hashtable (past any listpack limit), so pages are partial.
        assert_ne!(cursor, 0);
        assert!(!page.is_empty() && page.len() < 1000, "{}", page.len());
        assert!(page.iter().all(|(f, v)| f[1..] == v[1..]));
        let mut all = c.hscan(&h, 0).count(25).stream().collect_all().await?;
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 1000);
        assert!(all.iter().all(|(f, v)| f[0] == b'f' && v[0] == b'v' && f[1..] == v[1..]));
        let mut matched = c.hscan(&h, 0).matching("f1?").stream().collect_all().await?;
        matched.sort();
        matched.dedup();
        let expected: Vec<(Bytes, Bytes)> =
            (10..20).map(|i| (b(&format!("f{i}")), b(&format!("v{i}")))).collect();
        let mut expected = expected;
        expected.sort();
        assert_eq!(matched, expected);
        // A small hash comes in one page.
        let small = k.key("small");
        c.hset(&small, [("x", "1")]).await?;
        assert_eq!(c.hscan(&small, 0).await?, (0, vec![(b("x"), b("1"))]));
        assert_eq!(c.hscan(k.key("none"), 0).await?, (0, vec![]));
        assert!(c.hscan(k.key("none"), 0).stream().collect_all().await?.is_empty());
        Ok(())
    }
);

both!(
    async fn argument_and_type_errors(c, k) {
        let h = k.key("h");
        let e = c.hset(&h, Vec::<(&str, &str)>::new()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Argument);
        assert!(e.to_string().contains("HSET"), "{e}");
        let e = c.hdel(&h, Vec::<String>::new()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Argument);
        let e = c.hmget(&h, [""; 0]).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Argument);
        // Nothing was sent, so nothing was created.
        assert_eq!(c.exists(&h).await?, 0);
        let s = k.key("string");
        c.set(&s, "v").await?;
        assert_server_error(c.hget(&s, "f").await, "WRONGTYPE");
        assert_server_error(c.hset(&s, [("f", "v")]).await, "WRONGTYPE");
        assert_server_error(c.hgetall(&s).await, "WRONGTYPE");
        assert_server_error(c.hscan(&s, 0).await, "WRONGTYPE");
        assert_eq!(c.get(&s).await?, Some(b("v")));
        Ok(())
    }
);
