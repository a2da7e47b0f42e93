//! The HyperLogLog group, every supported command, under RESP2 and RESP3.

use bytes::Bytes;
use tredis::prelude::*;

use crate::both;
use crate::support::assert_server_error;

both!(
    async fn add_and_count(c, k) {
        let h = k.key("h");
        // With no elements PFADD only creates the key, once.
        assert!(c.pfadd(&h).await?);
        assert!(!c.pfadd(&h).await?);
        assert_eq!(c.pfcount(&h).await?, 0);
        assert!(c.pfadd(&h).elements(["a", "b", "c"]).await?);
        assert!(!c.pfadd(&h).elements("a").await?);
        // Calling `elements` again adds to the list.
        assert!(c.pfadd(&h).elements("d").elements(vec!["e".to_string()]).await?);
        assert_eq!(c.pfcount(&h).await?, 5);
        assert_eq!(c.pfcount(k.key("none")).await?, 0);
        // Small cardinalities are exact; big ones are within the documented error.
        let big = k.key("big");
        let items: Vec<String> = (0..10_000).map(|i| format!("item{i}")).collect();
        for chunk in items.chunks(1000) {
            c.pfadd(&big).elements(chunk).await?;
        }
        let n = c.pfcount(&big).await?;
        assert!((9_700..=10_300).contains(&n), "{n}");
        Ok(())
    }
);

both!(
    async fn merge_and_union_count(c, k) {
        let (a, b_, d, z) = (k.key("{h}a"), k.key("{h}b"), k.key("{h}dest"), k.key("{h}none"));
        c.pfadd(&a).elements(["1", "2", "3"]).await?;
        c.pfadd(&b_).elements(["3", "4"]).await?;
        // Counting several keys counts their union, without changing them.
        assert_eq!(c.pfcount([&a, &b_, &z]).await?, 4);
        assert_eq!(c.pfcount(&a).await?, 3);
        c.pfmerge(&d, [&a, &b_]).await?;
        assert_eq!(c.pfcount(&d).await?, 4);
        // The destination takes part in the merge.
        c.pfadd(&d).elements("5").await?;
        c.pfmerge(&d, &a).await?;
        assert_eq!(c.pfcount(&d).await?, 5);
        // No sources: creates an empty HyperLogLog (or leaves one as it is).
        let fresh = k.key("{h}fresh");
        c.pfmerge(&fresh, Vec::<String>::new()).await?;
        assert_eq!(c.exists(&fresh).await?, 1);
        assert_eq!(c.pfcount(&fresh).await?, 0);
        c.pfmerge(&d, [""; 0]).await?;
        assert_eq!(c.pfcount(&d).await?, 5);
        Ok(())
    }
);

both!(
    async fn argument_and_type_errors(c, k) {
        let e = c.pfcount(Vec::<String>::new()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Argument);
        assert!(e.to_string().contains("PFCOUNT"), "{e}");
        let (text, h) = (k.key("{t}text"), k.key("{t}h"));
        c.set(&text, "not a hyperloglog").await?;
        c.pfadd(&h).elements("x").await?;
        assert_server_error(c.pfadd(&text).elements("x").await, "WRONGTYPE");
        assert_server_error(c.pfcount(&text).await, "WRONGTYPE");
        assert_server_error(c.pfmerge(&h, &text).await, "WRONGTYPE");
        let list = k.key("{t}list");
        c.rpush(&list, "x").await?;
        assert_server_error(c.pfcount([&h, &list]).await, "WRONGTYPE");
        // A HyperLogLog is a string underneath: GET gives its raw encoding.
        let raw: Option<Bytes> = c.get(&h).await?;
        assert!(raw.is_some_and(|r| r.starts_with(b"HYLL")));
        Ok(())
    }
);
