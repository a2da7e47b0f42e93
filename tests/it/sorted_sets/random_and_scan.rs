//! Random members, and ZSCAN by page and as a stream.

use bytes::Bytes;
use tredis::prelude::*;

use crate::both;
use crate::support::{b, bs};

use super::ps;

both!(
    async fn random_members(c, k) {
        let z = k.key("z");
        assert_eq!(c.zrandmember(&z).await?, None);
        assert_eq!(c.zrandmember(&z).count(3).await?, Vec::<Bytes>::new());
        assert_eq!(c.zrandmember(&z).count(3).withscores().await?, vec![]);
        c.zadd(&z, [(1.0, "a"), (2.0, "b"), (3.0, "c")]).await?;
        let all = bs(&["a", "b", "c"]);
        let score = |m: &Bytes| f64::from(m[0] - b'a' + 1);
        let one = c.zrandmember(&z).await?.expect("a member");
        assert!(all.contains(&one), "{one:?}");
        // A positive count: distinct members, at most the set.
        let mut two = c.zrandmember(&z).count(2).await?;
        two.sort();
        two.dedup();
        assert_eq!(two.len(), 2);
        assert!(two.iter().all(|m| all.contains(m)));
        let mut every = c.zrandmember(&z).count(10).await?;
        every.sort();
        assert_eq!(every, all);
        // A negative count may repeat.
        let many = c.zrandmember(&z).count(-7).await?;
        assert_eq!(many.len(), 7);
        assert!(many.iter().all(|m| all.contains(m)));
        // WITHSCORES: each member with its score.
        let scored = c.zrandmember(&z).count(3).withscores().await?;
        assert_eq!(scored.len(), 3);
        assert!(scored.iter().all(|(m, s)| all.contains(m) && *s == score(m)), "{scored:?}");
        let scored = c.zrandmember(&z).withscores().count(-5).await?;
        assert_eq!(scored.len(), 5);
        assert!(scored.iter().all(|(m, s)| all.contains(m) && *s == score(m)), "{scored:?}");
        Ok(())
    }
);

both!(
    async fn scan_pages_and_stream(c, k) {
        let z = k.key("z");
        // A set big enough to be a skiplist, so that ZSCAN really pages.
        let members: Vec<(f64, String)> = (0..300).map(|i| (f64::from(i), format!("m{i}"))).collect();
        assert_eq!(c.zadd(&z, members.clone()).await?, 300);
        let (cursor, page) = c.zscan(&z, 0).count(10).await?;
        assert!(cursor != 0 || page.len() == 300);
        assert!(!page.is_empty());
        for (m, s) in &page {
            assert_eq!(format!("m{s}").as_bytes(), &m[..]);
        }
        // The stream follows the cursor to the end.
        let mut all = c.zscan(&z, 0).count(25).stream().collect_all().await?;
        all.sort_by(|x, y| x.1.total_cmp(&y.1));
        all.dedup();
        let expected: Vec<(Bytes, f64)> = members.iter().map(|(s, m)| (b(m), *s)).collect();
        assert_eq!(all, expected);
        let mut matched = c.zscan(&z, 0).matching("m1*").stream().collect_all().await?;
        matched.sort_by(|x, y| x.1.total_cmp(&y.1));
        matched.dedup();
        assert_eq!(matched.len(), 111);
        assert!(matched.iter().all(|(m, _)| m.starts_with(b"m1")));
        // A small set comes in one page with cursor 0.
        let small = k.key("small");
        c.zadd(&small, [(1.5, "a"), (-2.0, "b")]).await?;
        let (cursor, mut page) = c.zscan(&small, 0).await?;
        assert_eq!(cursor, 0);
        page.sort_by(|x, y| x.1.total_cmp(&y.1));
        assert_eq!(page, ps(&[("b", -2.0), ("a", 1.5)]));
        let mut s = c.zscan(k.key("none"), 0).stream();
        assert!(s.next().await.is_none());
        // A server error ends the stream.
        c.set(k.key("str"), "v").await?;
        let mut s = c.zscan(k.key("str"), 0).stream();
        let e = s.next().await.expect("an error").unwrap_err();
        assert_eq!(e.code(), Some("WRONGTYPE"), "{e}");
        assert!(s.next().await.is_none());
        Ok(())
    }
);
