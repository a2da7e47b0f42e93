//! The list group, every command, under RESP2 and RESP3.

use std::time::{Duration, Instant};

use tredis::commands::list::{Position, Side};
use tredis::prelude::*;

use crate::both;
use crate::support::{b, bs};

both!(
    async fn push_pop_and_range(c, k) {
        let l = k.key("l");
        assert_eq!(c.rpush(&l, ["a", "b", "c"]).await?, 3);
        assert_eq!(c.lpush(&l, "z").await?, 4);
        assert_eq!(c.lpushx(k.key("none"), "x").await?, 0);
        assert_eq!(c.rpushx(&l, ["d"]).await?, 5);
        assert_eq!(c.lrange(&l, 0, -1).await?, bs(&["z", "a", "b", "c", "d"]));
        assert_eq!(c.llen(&l).await?, 5);
        assert_eq!(c.lindex(&l, 1).await?, Some(b("a")));
        assert_eq!(c.lindex(&l, 99).await?, None);
        assert_eq!(c.lpop(&l).await?, Some(b("z")));
        assert_eq!(c.rpop(&l).await?, Some(b("d")));
        assert_eq!(c.lpop(&l).count(2).await?, Some(bs(&["a", "b"])));
        assert_eq!(c.rpop(&l).count(5).await?, Some(bs(&["c"])));
        assert_eq!(c.lpop(&l).await?, None);
        assert_eq!(c.rpop(&l).count(1).await?, None);
        Ok(())
    }
);

both!(
    async fn edit_in_place(c, k) {
        let l = k.key("l");
        c.rpush(&l, ["a", "b", "a", "c", "a"]).await?;
        assert_eq!(c.linsert(&l, Position::Before, "c", "x").await?, 6);
        assert_eq!(c.linsert(&l, Position::After, "missing", "y").await?, -1);
        c.lset(&l, 0, "A").await?;
        assert_eq!(c.lrem(&l, 0, "a").await?, 2);
        assert_eq!(c.lrange(&l, 0, -1).await?, bs(&["A", "b", "x", "c"]));
        c.ltrim(&l, 1, 2).await?;
        assert_eq!(c.lrange(&l, 0, -1).await?, bs(&["b", "x"]));
        assert!(c.lset(k.key("none"), 0, "v").await.is_err());
        Ok(())
    }
);

both!(
    async fn positions(c, k) {
        let l = k.key("l");
        c.rpush(&l, ["a", "b", "c", "b", "b"]).await?;
        assert_eq!(c.lpos(&l, "b").await?, Some(1));
        assert_eq!(c.lpos(&l, "b").rank(2).await?, Some(3));
        assert_eq!(c.lpos(&l, "b").rank(-1).await?, Some(4));
        assert_eq!(c.lpos(&l, "zz").await?, None);
        assert_eq!(c.lpos(&l, "b").count(0).await?, vec![1, 3, 4]);
        assert_eq!(c.lpos(&l, "b").count(2).maxlen(4).await?, vec![1, 3]);
        Ok(())
    }
);

both!(
    async fn moves(c, k) {
        let (src, dst) = (k.key("{m}src"), k.key("{m}dst"));
        c.rpush(&src, ["1", "2", "3"]).await?;
        assert_eq!(c.lmove(&src, &dst, Side::Left, Side::Right).await?, Some(b("1")));
        #[allow(deprecated)]
        let moved = c.rpoplpush(&src, &dst).await?;
        assert_eq!(moved, Some(b("3")));
        assert_eq!(c.lrange(&dst, 0, -1).await?, bs(&["3", "1"]));
        assert_eq!(c.lmove(k.key("{m}none"), &dst, Side::Right, Side::Left).await?, None);
        assert_eq!(c.lmpop([k.key("{m}none"), src.clone()], Side::Left).await?, Some((b(&src), bs(&["2"]))));
        assert_eq!(c.lmpop(&dst, Side::Right).count(5).await?, Some((b(&dst), bs(&["1", "3"]))));
        assert_eq!(c.lmpop(&dst, Side::Right).await?, None);
        Ok(())
    }
);

both!(
    async fn blocking_pops(c, k) {
        let (a, z) = (k.key("{b}a"), k.key("{b}z"));
        c.rpush(&a, ["1", "2", "3", "4", "5"]).await?;
        assert_eq!(c.blpop([&z, &a], Duration::from_secs(1)).await?, Some((b(&a), b("1"))));
        assert_eq!(c.brpop(&a, Duration::from_millis(500)).await?, Some((b(&a), b("5"))));
        assert_eq!(c.blmove(&a, &z, Side::Left, Side::Left, Duration::from_secs(1)).await?, Some(b("2")));
        #[allow(deprecated)]
        let moved = c.brpoplpush(&a, &z, Duration::from_secs(1)).await?;
        assert_eq!(moved, Some(b("4")));
        assert_eq!(c.blmpop(Duration::from_secs(1), [&a, &z], Side::Left).count(10).await?, Some((b(&a), bs(&["3"]))));
        // Timeouts give None; fractions of a second are sent as such.
        let t = Instant::now();
        assert_eq!(c.blpop(k.key("{b}empty"), Duration::from_millis(250)).await?, None);
        assert!(t.elapsed() >= Duration::from_millis(200), "{:?}", t.elapsed());
        assert_eq!(c.brpop(k.key("{b}empty"), Duration::from_millis(100)).await?, None);
        assert_eq!(c.blmpop(Duration::from_millis(100), k.key("{b}empty"), Side::Right).await?, None);
        assert_eq!(c.blmove(k.key("{b}empty"), &z, Side::Left, Side::Left, Duration::from_millis(100)).await?, None);
        // A pop that a push from another task satisfies.
        let pusher = c.clone();
        let key = k.key("{b}later");
        let push = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            pusher.rpush(key, "hello").await
        });
        assert_eq!(c.blpop(k.key("{b}later"), Duration::ZERO).await?, Some((b(&k.key("{b}later")), b("hello"))));
        push.await.expect("task")?;
        Ok(())
    }
);
