//! Ranks, counts and ranges by index, score and member (and their deprecated forms), and
//! removals by range.

use bytes::Bytes;
use tredis::args::{LexBound, ScoreBound};
use tredis::prelude::*;

use crate::both;
use crate::support::{assert_server_error, b, bs};

use super::{five, letters, ps};

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
