//! Unions, intersections and differences, and their STORE forms.

use bytes::Bytes;
use tredis::commands::sorted_set::Aggregate;
use tredis::prelude::*;

use crate::both;
use crate::support::{assert_server_error, bs};

use super::ps;

both!(
    async fn set_operations(c, k) {
        let (a, b_, dst, none) = (k.key("{s}a"), k.key("{s}b"), k.key("{s}dst"), k.key("{s}none"));
        c.zadd(&a, [(1.0, "x"), (2.0, "y"), (5.0, "w")]).await?;
        c.zadd(&b_, [(3.0, "y"), (4.0, "z"), (6.0, "w")]).await?;
        // ZUNION: SUM by default, WEIGHTS multiply, AGGREGATE picks.
        assert_eq!(c.zunion([&a, &b_]).await?, bs(&["x", "z", "y", "w"]));
        assert_eq!(
            c.zunion([&a, &b_]).withscores().await?,
            ps(&[("x", 1.0), ("z", 4.0), ("y", 5.0), ("w", 11.0)])
        );
        assert_eq!(
            c.zunion([&a, &b_]).weights([2.0, 3.0]).withscores().await?,
            ps(&[("x", 2.0), ("z", 12.0), ("y", 13.0), ("w", 28.0)])
        );
        assert_eq!(
            c.zunion([&a, &b_]).weights(2.0).weights(0.5).aggregate(Aggregate::Max).withscores().await?,
            ps(&[("x", 2.0), ("z", 2.0), ("y", 4.0), ("w", 10.0)])
        );
        assert_eq!(
            c.zunion([&a, &b_]).aggregate(Aggregate::Min).withscores().await?,
            ps(&[("x", 1.0), ("y", 2.0), ("z", 4.0), ("w", 5.0)])
        );
        assert_eq!(c.zunion([&a, &none]).aggregate(Aggregate::Sum).await?, bs(&["x", "y", "w"]));
        // ZINTER.
        assert_eq!(c.zinter([&a, &b_]).await?, bs(&["y", "w"]));
        assert_eq!(c.zinter([&a, &b_]).withscores().await?, ps(&[("y", 5.0), ("w", 11.0)]));
        assert_eq!(c.zinter([&a, &b_]).aggregate(Aggregate::Min).withscores().await?, ps(&[("y", 2.0), ("w", 5.0)]));
        assert_eq!(
            c.zinter([&a, &b_]).weights([2, 3]).aggregate(Aggregate::Max).withscores().await?,
            ps(&[("y", 9.0), ("w", 18.0)])
        );
        assert_eq!(c.zinter([&a, &none]).await?, Vec::<Bytes>::new());
        // ZDIFF.
        assert_eq!(c.zdiff([&a, &b_]).await?, bs(&["x"]));
        assert_eq!(c.zdiff([&b_, &a]).withscores().await?, ps(&[("z", 4.0)]));
        assert_eq!(c.zdiff(&a).withscores().await?, ps(&[("x", 1.0), ("y", 2.0), ("w", 5.0)]));
        assert_eq!(c.zdiff([&none, &a]).await?, Vec::<Bytes>::new());
        // ZINTERCARD.
        assert_eq!(c.zintercard([&a, &b_]).await?, 2);
        assert_eq!(c.zintercard([&a, &b_]).limit(1).await?, 1);
        assert_eq!(c.zintercard([&a, &b_]).limit(0).await?, 2);
        assert_eq!(c.zintercard([&a, &none]).await?, 0);
        // The STORE forms reply with the size of the result.
        assert_eq!(c.zunionstore(&dst, [&a, &b_]).await?, 4);
        assert_eq!(c.zscore(&dst, "w").await?, Some(11.0));
        assert_eq!(c.zunionstore(&dst, [&a, &b_]).aggregate(Aggregate::Min).await?, 4);
        assert_eq!(c.zrange(&dst, 0, -1).withscores().await?, ps(&[("x", 1.0), ("y", 2.0), ("z", 4.0), ("w", 5.0)]));
        assert_eq!(c.zunionstore(&dst, [&a, &b_]).weights([1.0, -1.0]).await?, 4);
        assert_eq!(c.zmscore(&dst, ["x", "y", "z", "w"]).await?, vec![Some(1.0), Some(-1.0), Some(-4.0), Some(-1.0)]);
        assert_eq!(c.zinterstore(&dst, [&a, &b_]).weights([1.0, 0.5]).await?, 2);
        assert_eq!(c.zrange(&dst, 0, -1).withscores().await?, ps(&[("y", 3.5), ("w", 8.0)]));
        assert_eq!(c.zinterstore(&dst, [&a, &b_]).aggregate(Aggregate::Max).await?, 2);
        assert_eq!(c.zrange(&dst, 0, -1).withscores().await?, ps(&[("y", 3.0), ("w", 6.0)]));
        assert_eq!(c.zdiffstore(&dst, [&a, &b_]).await?, 1);
        assert_eq!(c.zrange(&dst, 0, -1).withscores().await?, ps(&[("x", 1.0)]));
        assert_eq!(c.zdiffstore(&dst, [&none, &a]).await?, 0);
        assert_eq!(c.exists(&dst).await?, 0);
        // The server checks that there is one weight per key.
        assert_server_error(c.zunion([&a, &b_]).weights(1.0).await, "ERR");
        assert_server_error(c.zinterstore(&dst, [&a, &b_]).weights([1.0, 2.0, 3.0]).await, "ERR");
        Ok(())
    }
);
