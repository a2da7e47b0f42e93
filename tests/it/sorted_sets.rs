//! The sorted-set group, every command, under RESP2 and RESP3.

use std::time::{Duration, Instant};

use bytes::Bytes;
use tredis::args::{LexBound, ScoreBound};
use tredis::commands::sorted_set::{Aggregate, MinMax};
use tredis::prelude::*;

use crate::both;
use crate::support::assert_server_error;
use crate::support::{assert_argument_error, b, bs};

fn ps(items: &[(&str, f64)]) -> Vec<(Bytes, f64)> {
    items.iter().map(|(m, s)| (b(m), *s)).collect()
}

/// `a`..`e` with scores 1..5.
async fn five(c: &tredis::Client, key: &str) -> Result<(), tredis::Error> {
    let added = c.zadd(key, [(1.0, "a"), (2.0, "b"), (3.0, "c"), (4.0, "d"), (5.0, "e")]).await?;
    assert_eq!(added, 5);
    Ok(())
}

/// `a`..`f`, all with score 0, for lexical ranges.
async fn letters(c: &tredis::Client, key: &str) -> Result<(), tredis::Error> {
    let added = c.zadd(key, ["a", "b", "c", "d", "e", "f"].map(|m| (0.0, m))).await?;
    assert_eq!(added, 6);
    Ok(())
}

both!(
    async fn add_score_and_count(c, k) {
        let z = k.key("z");
        assert_eq!(c.zcard(&z).await?, 0);
        assert_eq!(c.zadd(&z, [(1.0, "a"), (2.5, "b")]).await?, 2);
        // Updating a score adds nothing.
        assert_eq!(c.zadd(&z, [(1.5, "a")]).await?, 0);
        assert_eq!(c.zcard(&z).await?, 2);
        assert_eq!(c.zscore(&z, "a").await?, Some(1.5));
        assert_eq!(c.zscore(&z, "missing").await?, None);
        assert_eq!(c.zscore(k.key("none"), "a").await?, None);
        assert_eq!(c.zmscore(&z, ["a", "missing", "b"]).await?, vec![Some(1.5), None, Some(2.5)]);
        assert_eq!(c.zmscore(&z, "b").await?, vec![Some(2.5)]);
        assert_eq!(c.zincrby(&z, 0.25, "a").await?, 1.75);
        assert_eq!(c.zincrby(&z, -3.0, "new").await?, -3.0);
        assert_eq!(c.zcard(&z).await?, 3);
        // Owned members and binary members.
        let members = vec![(10.0, "owned".to_string()), (11.0, "x".repeat(3))];
        assert_eq!(c.zadd(&z, members).await?, 2);
        let binary: Vec<u8> = vec![0, 255, 10, 13];
        assert_eq!(c.zadd(&z, [(-1.0, &binary)]).await?, 1);
        assert_eq!(c.zscore(&z, &binary).await?, Some(-1.0));
        // Infinite scores go out as +inf/-inf and come back as infinities.
        assert_eq!(c.zadd(&z, [(f64::INFINITY, "top"), (f64::NEG_INFINITY, "bottom")]).await?, 2);
        assert_eq!(c.zscore(&z, "top").await?, Some(f64::INFINITY));
        assert_eq!(c.zmscore(&z, ["bottom", "top"]).await?, vec![Some(f64::NEG_INFINITY), Some(f64::INFINITY)]);
        // Extreme and fractional scores round-trip.
        c.zadd(&z, [(1e300, "huge"), (-2.5e-10, "tiny"), (0.1, "tenth")]).await?;
        assert_eq!(c.zmscore(&z, ["huge", "tiny", "tenth"]).await?, vec![Some(1e300), Some(-2.5e-10), Some(0.1)]);
        // The wrong type.
        c.set(k.key("s"), "v").await?;
        assert_server_error(c.zadd(k.key("s"), [(1.0, "a")]).await, "WRONGTYPE");
        assert_server_error(c.zcard(k.key("s")).await, "WRONGTYPE");
        Ok(())
    }
);

both!(
    async fn add_conditions(c, k) {
        let z = k.key("z");
        c.zadd(&z, [(1.0, "a"), (2.0, "b")]).await?;
        // NX: only new members.
        assert_eq!(c.zadd(&z, [(10.0, "a"), (3.0, "c")]).nx().await?, 1);
        assert_eq!(c.zscore(&z, "a").await?, Some(1.0));
        // XX: only existing members.
        assert_eq!(c.zadd(&z, [(10.0, "a"), (4.0, "d")]).xx().await?, 0);
        assert_eq!(c.zmscore(&z, ["a", "d"]).await?, vec![Some(10.0), None]);
        // CH counts changed members too.
        assert_eq!(c.zadd(&z, [(20.0, "a"), (5.0, "b"), (3.0, "c")]).xx().ch().await?, 2);
        // GT and LT.
        assert_eq!(c.zadd(&z, [(1.0, "a")]).gt().ch().await?, 0);
        assert_eq!(c.zscore(&z, "a").await?, Some(20.0));
        assert_eq!(c.zadd(&z, [(30.0, "a")]).gt().ch().await?, 1);
        assert_eq!(c.zadd(&z, [(40.0, "a")]).lt().ch().await?, 0);
        assert_eq!(c.zadd(&z, [(5.0, "a")]).lt().xx().ch().await?, 1);
        assert_eq!(c.zscore(&z, "a").await?, Some(5.0));
        // NX and GT/LT clear each other: the last setter wins (the server refuses them together).
        assert_eq!(c.zadd(&z, [(100.0, "a"), (7.0, "e")]).gt().nx().ch().await?, 1);
        assert_eq!(c.zmscore(&z, ["a", "e"]).await?, vec![Some(5.0), Some(7.0)]);
        assert_eq!(c.zadd(&z, [(100.0, "a"), (8.0, "f")]).nx().gt().ch().await?, 2);
        assert_eq!(c.zmscore(&z, ["a", "f"]).await?, vec![Some(100.0), Some(8.0)]);
        assert_eq!(c.zadd(&z, [(1.0, "a"), (9.0, "g")]).nx().lt().await?, 1);
        assert_eq!(c.zmscore(&z, ["a", "g"]).await?, vec![Some(1.0), Some(9.0)]);
        assert_eq!(c.zadd(&z, [(0.0, "a"), (0.0, "h")]).lt().nx().await?, 1);
        assert_eq!(c.zmscore(&z, ["a", "h"]).await?, vec![Some(1.0), Some(0.0)]);
        // XX stays with GT.
        assert_eq!(c.zadd(&z, [(50.0, "a"), (1.0, "i")]).xx().gt().ch().await?, 1);
        assert_eq!(c.zmscore(&z, ["a", "i"]).await?, vec![Some(50.0), None]);
        Ok(())
    }
);

both!(
    async fn add_incr(c, k) {
        let z = k.key("z");
        // INCR replies with the new score.
        assert_eq!(c.zadd(&z, [(2.5, "a")]).incr().await?, Some(2.5));
        assert_eq!(c.zadd(&z, [(-1.0, "a")]).incr().await?, Some(1.5));
        // A condition that stops it gives None.
        assert_eq!(c.zadd(&z, [(1.0, "a")]).incr().nx().await?, None);
        assert_eq!(c.zadd(&z, [(1.0, "a")]).nx().incr().await?, None);
        assert_eq!(c.zadd(&z, [(1.0, "new")]).xx().incr().await?, None);
        assert_eq!(c.zadd(&z, [(-1.0, "a")]).gt().incr().await?, None);
        assert_eq!(c.zadd(&z, [(1.0, "a")]).incr().lt().await?, None);
        assert_eq!(c.zadd(&z, [(1.0, "a")]).incr().gt().ch().await?, Some(2.5));
        assert_eq!(c.zadd(&z, [(1.0, "b")]).incr().nx().await?, Some(1.0));
        assert_eq!(c.zmscore(&z, ["a", "b", "new"]).await?, vec![Some(2.5), Some(1.0), None]);
        // The server takes a single pair with INCR.
        assert_server_error(c.zadd(&z, [(1.0, "a"), (1.0, "b")]).incr().await, "ERR");
        Ok(())
    }
);

both!(
    async fn argument_errors(c, k) {
        let z = k.key("z");
        // A NaN score and an empty member list fail before sending.
        assert_argument_error(c.zadd(&z, [(f64::NAN, "a")]).await, "ZADD");
        assert_argument_error(c.zadd(&z, [(1.0, "a"), (f64::NAN, "b")]).nx().await, "ZADD");
        assert_argument_error(c.zadd(&z, [(f64::NAN, "a")]).incr().await, "ZADD");
        assert_argument_error(c.zadd(&z, Vec::<(f64, &str)>::new()).await, "ZADD");
        assert_argument_error(c.zadd(&z, Vec::<(f64, String)>::new()).ch().await, "ZADD");
        assert_eq!(c.exists(&z).await?, 0);
        c.zadd(&z, [(1.0, "a")]).await?;
        assert_argument_error(c.zincrby(&z, f64::NAN, "a").await, "ZINCRBY");
        assert_argument_error(c.zcount(&z, f64::NAN, 1.0).await, "ZCOUNT");
        assert_argument_error(c.zcount(&z, ScoreBound::excl(f64::NAN), ScoreBound::PosInf).await, "ZCOUNT");
        assert_argument_error(c.zremrangebyscore(&z, 0.0, ScoreBound::Incl(f64::NAN)).await, "ZREMRANGEBYSCORE");
        assert_argument_error(c.zrange(&z, f64::NAN, 1.0).by_score().await, "ZRANGE");
        assert_argument_error(c.zrem(&z, Vec::<String>::new()).await, "ZREM");
        assert_argument_error(c.zmscore(&z, Vec::<String>::new()).await, "ZMSCORE");
        assert_argument_error(c.zinter(Vec::<String>::new()).await, "ZINTER");
        assert_argument_error(c.zunion(&z).weights(f64::NAN).await, "ZUNION");
        assert_argument_error(c.zinter([&z, &z]).weights([1.0, f64::NAN]).withscores().await, "ZINTER");
        assert_argument_error(c.zunionstore(k.key("d"), &z).weights(f64::NAN).await, "ZUNIONSTORE");
        assert_argument_error(c.zinterstore(k.key("d"), &z).weights([f64::NAN]).await, "ZINTERSTORE");
        // WITHSCORES of ZRANDMEMBER needs a count.
        assert_argument_error(c.zrandmember(&z).withscores().await, "ZRANDMEMBER");
        // Nothing was changed.
        assert_eq!(c.zrange(&z, 0, -1).withscores().await?, ps(&[("a", 1.0)]));
        assert_eq!(c.exists(k.key("d")).await?, 0);
        Ok(())
    }
);

both!(
    async fn ranks_and_counts(c, k) {
        let (z, l) = (k.key("z"), k.key("l"));
        five(&c, &z).await?;
        assert_eq!(c.zrank(&z, "a").await?, Some(0));
        assert_eq!(c.zrank(&z, "d").await?, Some(3));
        assert_eq!(c.zrevrank(&z, "a").await?, Some(4));
        assert_eq!(c.zrevrank(&z, "d").await?, Some(1));
        assert_eq!(c.zrank(&z, "missing").await?, None);
        assert_eq!(c.zrevrank(k.key("none"), "a").await?, None);
        // Score bounds: inclusive, exclusive, infinite.
        assert_eq!(c.zcount(&z, ScoreBound::NegInf, ScoreBound::PosInf).await?, 5);
        assert_eq!(c.zcount(&z, 2.0, 4.0).await?, 3);
        assert_eq!(c.zcount(&z, 2, 4).await?, 3);
        assert_eq!(c.zcount(&z, ScoreBound::excl(2.0), 4.0).await?, 2);
        assert_eq!(c.zcount(&z, ScoreBound::excl(2.0), ScoreBound::excl(4.0)).await?, 1);
        assert_eq!(c.zcount(&z, ScoreBound::incl(4.5), ScoreBound::PosInf).await?, 1);
        assert_eq!(c.zcount(&z, ScoreBound::NegInf, ScoreBound::excl(1.0)).await?, 0);
        assert_eq!(c.zcount(&z, f64::NEG_INFINITY, f64::INFINITY).await?, 5);
        assert_eq!(c.zcount(&z, ScoreBound::excl(f64::NEG_INFINITY), ScoreBound::excl(f64::INFINITY)).await?, 5);
        assert_eq!(c.zcount(&z, 1.5f32, 2.5f32).await?, 1);
        assert_eq!(c.zcount(&z, 4, 2).await?, 0);
        assert_eq!(c.zcount(k.key("none"), ScoreBound::NegInf, ScoreBound::PosInf).await?, 0);
        // Lexical bounds.
        letters(&c, &l).await?;
        assert_eq!(c.zlexcount(&l, LexBound::Min, LexBound::Max).await?, 6);
        assert_eq!(c.zlexcount(&l, LexBound::incl("b"), LexBound::excl("e")).await?, 3);
        assert_eq!(c.zlexcount(&l, LexBound::excl("b"), LexBound::Max).await?, 4);
        assert_eq!(c.zlexcount(&l, LexBound::Min, LexBound::incl("c".to_string())).await?, 3);
        assert_eq!(c.zlexcount(&l, LexBound::incl(b("bb")), LexBound::incl("cc")).await?, 1);
        assert_eq!(c.zlexcount(&l, LexBound::Max, LexBound::Min).await?, 0);
        Ok(())
    }
);

both!(
    async fn range(c, k) {
        let (z, l) = (k.key("z"), k.key("l"));
        five(&c, &z).await?;
        letters(&c, &l).await?;
        // By index.
        assert_eq!(c.zrange(&z, 0, -1).await?, bs(&["a", "b", "c", "d", "e"]));
        assert_eq!(c.zrange(&z, 1, 2).withscores().await?, ps(&[("b", 2.0), ("c", 3.0)]));
        assert_eq!(c.zrange(&z, 0, 1).rev().await?, bs(&["e", "d"]));
        assert_eq!(c.zrange(&z, -2, -1i64).rev().withscores().await?, ps(&[("b", 2.0), ("a", 1.0)]));
        assert_eq!(c.zrange(&z, 10, 20).await?, Vec::<Bytes>::new());
        assert_eq!(c.zrange(k.key("none"), 0, -1).withscores().await?, vec![]);
        // By score, with typed bounds.
        assert_eq!(c.zrange(&z, ScoreBound::excl(1.0), 4.0).by_score().await?, bs(&["b", "c", "d"]));
        assert_eq!(
            c.zrange(&z, ScoreBound::NegInf, ScoreBound::PosInf).by_score().limit(1, 2).await?,
            bs(&["b", "c"])
        );
        assert_eq!(
            c.zrange(&z, ScoreBound::PosInf, ScoreBound::excl(3.0)).by_score().rev().withscores().await?,
            ps(&[("e", 5.0), ("d", 4.0)])
        );
        assert_eq!(
            c.zrange(&z, ScoreBound::incl(2.0), ScoreBound::excl(5.0)).by_score().limit(0, -1).withscores().await?,
            ps(&[("b", 2.0), ("c", 3.0), ("d", 4.0)])
        );
        assert_eq!(c.zrange(&z, 2.5, 2.6).by_score().await?, Vec::<Bytes>::new());
        // By member.
        assert_eq!(c.zrange(&l, LexBound::incl("b"), LexBound::excl("e")).by_lex().await?, bs(&["b", "c", "d"]));
        assert_eq!(c.zrange(&l, LexBound::Min, LexBound::Max).by_lex().limit(4, 10).await?, bs(&["e", "f"]));
        assert_eq!(
            c.zrange(&l, LexBound::Max, LexBound::excl("d")).by_lex().rev().limit(0, 1).await?,
            bs(&["f"])
        );
        // LIMIT needs BYSCORE or BYLEX: the server says so.
        assert_server_error(c.zrange(&z, 0, -1).limit(0, 1).await, "ERR");
        Ok(())
    }
);

both!(
    async fn range_store(c, k) {
        let (z, l, dst) = (k.key("{r}z"), k.key("{r}l"), k.key("{r}dst"));
        five(&c, &z).await?;
        letters(&c, &l).await?;
        assert_eq!(c.zrangestore(&dst, &z, 0, 1).await?, 2);
        assert_eq!(c.zrange(&dst, 0, -1).withscores().await?, ps(&[("a", 1.0), ("b", 2.0)]));
        assert_eq!(c.zrangestore(&dst, &z, 0, 0).rev().await?, 1);
        assert_eq!(c.zrange(&dst, 0, -1).await?, bs(&["e"]));
        assert_eq!(
            c.zrangestore(&dst, &z, ScoreBound::excl(2.0), ScoreBound::PosInf).by_score().limit(0, 2).await?,
            2
        );
        assert_eq!(c.zrange(&dst, 0, -1).withscores().await?, ps(&[("c", 3.0), ("d", 4.0)]));
        assert_eq!(c.zrangestore(&dst, &z, 4.0, ScoreBound::NegInf).by_score().rev().await?, 4);
        assert_eq!(c.zrange(&dst, 0, -1).await?, bs(&["a", "b", "c", "d"]));
        assert_eq!(c.zrangestore(&dst, &l, LexBound::Min, LexBound::incl("c")).by_lex().await?, 3);
        assert_eq!(c.zrange(&dst, 0, -1).await?, bs(&["a", "b", "c"]));
        assert_eq!(
            c.zrangestore(&dst, &l, LexBound::Max, LexBound::Min).by_lex().rev().limit(1, 2).await?,
            2
        );
        assert_eq!(c.zrange(&dst, 0, -1).await?, bs(&["d", "e"]));
        // An empty result deletes the destination.
        assert_eq!(c.zrangestore(&dst, &z, 100, 200).await?, 0);
        assert_eq!(c.exists(&dst).await?, 0);
        Ok(())
    }
);

both!(
    async fn deprecated_ranges(c, k) {
        let (z, l) = (k.key("z"), k.key("l"));
        five(&c, &z).await?;
        letters(&c, &l).await?;
        #[allow(deprecated)]
        let r = c.zrangebyscore(&z, ScoreBound::excl(1.0), 3.0).await?;
        assert_eq!(r, bs(&["b", "c"]));
        #[allow(deprecated)]
        let r = c.zrangebyscore(&z, ScoreBound::NegInf, ScoreBound::PosInf).withscores().limit(1, 2).await?;
        assert_eq!(r, ps(&[("b", 2.0), ("c", 3.0)]));
        #[allow(deprecated)]
        let r = c.zrangebyscore(&z, 4, ScoreBound::PosInf).limit(0, 1).await?;
        assert_eq!(r, bs(&["d"]));
        #[allow(deprecated)]
        let r = c.zrevrangebyscore(&z, ScoreBound::PosInf, 4.0).await?;
        assert_eq!(r, bs(&["e", "d"]));
        #[allow(deprecated)]
        let r = c.zrevrangebyscore(&z, ScoreBound::excl(5.0), ScoreBound::excl(1.0)).withscores().await?;
        assert_eq!(r, ps(&[("d", 4.0), ("c", 3.0), ("b", 2.0)]));
        #[allow(deprecated)]
        let r = c.zrevrangebyscore(&z, ScoreBound::PosInf, ScoreBound::NegInf).limit(1, 1).withscores().await?;
        assert_eq!(r, ps(&[("d", 4.0)]));
        #[allow(deprecated)]
        let r = c.zrangebylex(&l, LexBound::Min, LexBound::excl("c")).await?;
        assert_eq!(r, bs(&["a", "b"]));
        #[allow(deprecated)]
        let r = c.zrangebylex(&l, LexBound::incl("b"), LexBound::Max).limit(1, 2).await?;
        assert_eq!(r, bs(&["c", "d"]));
        #[allow(deprecated)]
        let r = c.zrevrangebylex(&l, LexBound::Max, LexBound::incl("e")).await?;
        assert_eq!(r, bs(&["f", "e"]));
        #[allow(deprecated)]
        let r = c.zrevrangebylex(&l, LexBound::excl("e"), LexBound::Min).limit(0, 2).await?;
        assert_eq!(r, bs(&["d", "c"]));
        #[allow(deprecated)]
        let r = c.zrevrange(&z, 0, 1).await?;
        assert_eq!(r, bs(&["e", "d"]));
        #[allow(deprecated)]
        let r = c.zrevrange(&z, -2, -1).withscores().await?;
        assert_eq!(r, ps(&[("b", 2.0), ("a", 1.0)]));
        #[allow(deprecated)]
        let r = c.zrevrange(k.key("none"), 0, -1).await?;
        assert_eq!(r, Vec::<Bytes>::new());
        Ok(())
    }
);

both!(
    async fn removals(c, k) {
        let (z, l) = (k.key("z"), k.key("l"));
        five(&c, &z).await?;
        assert_eq!(c.zrem(&z, "a").await?, 1);
        assert_eq!(c.zrem(&z, ["b", "missing"]).await?, 1);
        assert_eq!(c.zrem(&z, vec!["b".to_string()]).await?, 0);
        assert_eq!(c.zrange(&z, 0, -1).await?, bs(&["c", "d", "e"]));
        assert_eq!(c.zremrangebyrank(&z, -1, -1).await?, 1);
        assert_eq!(c.zrange(&z, 0, -1).await?, bs(&["c", "d"]));
        c.zadd(&z, [(1.0, "a"), (2.0, "b"), (5.0, "e")]).await?;
        assert_eq!(c.zremrangebyscore(&z, ScoreBound::excl(3.0), ScoreBound::PosInf).await?, 2);
        assert_eq!(c.zremrangebyscore(&z, ScoreBound::NegInf, ScoreBound::excl(2.0)).await?, 1);
        assert_eq!(c.zremrangebyscore(&z, 10, 20).await?, 0);
        assert_eq!(c.zrange(&z, 0, -1).withscores().await?, ps(&[("b", 2.0), ("c", 3.0)]));
        assert_eq!(c.zremrangebyrank(&z, 0, 10).await?, 2);
        assert_eq!(c.exists(&z).await?, 0);
        letters(&c, &l).await?;
        assert_eq!(c.zremrangebylex(&l, LexBound::incl("b"), LexBound::excl("d")).await?, 2);
        assert_eq!(c.zremrangebylex(&l, LexBound::excl("e"), LexBound::Max).await?, 1);
        assert_eq!(c.zremrangebylex(&l, LexBound::Min, LexBound::incl("a")).await?, 1);
        assert_eq!(c.zrange(&l, 0, -1).await?, bs(&["d", "e"]));
        assert_eq!(c.zrem(k.key("none"), "a").await?, 0);
        Ok(())
    }
);

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

both!(
    async fn pops(c, k) {
        let (z, none) = (k.key("{p}z"), k.key("{p}none"));
        c.zadd(&z, [(1.0, "a"), (2.0, "b"), (3.0, "c"), (4.0, "d"), (5.0, "e"), (6.0, "f")]).await?;
        assert_eq!(c.zpopmin(&z).await?, ps(&[("a", 1.0)]));
        assert_eq!(c.zpopmax(&z).await?, ps(&[("f", 6.0)]));
        assert_eq!(c.zpopmax(&z).count(2).await?, ps(&[("e", 5.0), ("d", 4.0)]));
        assert_eq!(c.zpopmin(&z).count(1).await?, ps(&[("b", 2.0)]));
        assert_eq!(c.zpopmin(&z).count(0).await?, vec![]);
        assert_eq!(c.zpopmin(&z).count(10).await?, ps(&[("c", 3.0)]));
        assert_eq!(c.zpopmin(&z).await?, vec![]);
        assert_eq!(c.zpopmax(&none).count(3).await?, vec![]);
        // ZMPOP: the first non-empty key, and what was popped from it.
        c.zadd(&z, [(1.0, "a"), (2.0, "b"), (3.0, "c")]).await?;
        assert_eq!(c.zmpop([&none, &z], MinMax::Min).await?, Some((b(&z), ps(&[("a", 1.0)]))));
        assert_eq!(c.zmpop(&z, MinMax::Max).count(1).await?, Some((b(&z), ps(&[("c", 3.0)]))));
        assert_eq!(c.zmpop([&z, &none], MinMax::Max).count(10).await?, Some((b(&z), ps(&[("b", 2.0)]))));
        assert_eq!(c.zmpop([&z, &none], MinMax::Min).await?, None);
        assert_eq!(c.exists(&z).await?, 0);
        Ok(())
    }
);

both!(
    async fn blocking_pops(c, k) {
        let (a, z, empty) = (k.key("{b}a"), k.key("{b}z"), k.key("{b}empty"));
        c.zadd(&a, [(1.0, "m1"), (2.0, "m2"), (3.0, "m3"), (4.0, "m4"), (5.0, "m5")]).await?;
        // Ready results.
        assert_eq!(c.bzpopmin([&z, &a], Duration::from_secs(1)).await?, Some((b(&a), b("m1"), 1.0)));
        assert_eq!(c.bzpopmax(&a, Duration::from_millis(500)).await?, Some((b(&a), b("m5"), 5.0)));
        assert_eq!(
            c.bzmpop(Duration::from_secs(1), [&z, &a], MinMax::Max).count(2).await?,
            Some((b(&a), ps(&[("m4", 4.0), ("m3", 3.0)])))
        );
        assert_eq!(c.bzmpop(Duration::from_millis(1500), &a, MinMax::Min).await?, Some((b(&a), ps(&[("m2", 2.0)]))));
        assert_eq!(c.exists(&a).await?, 0);
        // Timeouts give None; fractions of a second are sent as such.
        let t = Instant::now();
        assert_eq!(c.bzpopmin(&empty, Duration::from_millis(250)).await?, None);
        assert!(t.elapsed() >= Duration::from_millis(200), "{:?}", t.elapsed());
        assert_eq!(c.bzpopmax([&empty, &z], Duration::from_millis(100)).await?, None);
        let t = Instant::now();
        assert_eq!(c.bzmpop(Duration::from_millis(250), [&empty, &z], MinMax::Min).count(3).await?, None);
        assert!(t.elapsed() >= Duration::from_millis(200), "{:?}", t.elapsed());
        assert_eq!(c.bzmpop(Duration::from_millis(100), &empty, MinMax::Max).await?, None);
        // A timeout finer than a millisecond is refused before sending.
        assert_argument_error(c.bzpopmin(&empty, Duration::from_micros(1500)).await, "BZPOPMIN");
        assert_argument_error(c.bzmpop(Duration::from_micros(10), &empty, MinMax::Min).await, "BZMPOP");
        // An empty key list is refused before sending.
        assert_argument_error(c.bzpopmax(Vec::<String>::new(), Duration::from_millis(100)).await, "BZPOPMAX");
        // Pops that an add from another task satisfies.
        let later = k.key("{b}later");
        let adder = c.clone();
        let key = later.clone();
        let add = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            adder.zadd(&key, [(7.5, "hello")]).await
        });
        assert_eq!(c.bzpopmax(&later, Duration::ZERO).await?, Some((b(&later), b("hello"), 7.5)));
        assert_eq!(add.await.expect("task")?, 1);
        let adder = c.clone();
        let key = later.clone();
        let add = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            adder.zadd(&key, [(1.0, "x"), (2.0, "y")]).await
        });
        assert_eq!(
            c.bzmpop(Duration::from_secs(10), [&empty, &later], MinMax::Min).count(5).await?,
            Some((b(&later), ps(&[("x", 1.0), ("y", 2.0)])))
        );
        assert_eq!(add.await.expect("task")?, 2);
        Ok(())
    }
);

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
