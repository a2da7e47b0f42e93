//! ZADD with its conditions and INCR, ZSCORE, ZMSCORE, ZINCRBY; and the arguments refused
//! before sending.

use tredis::args::ScoreBound;
use tredis::prelude::*;

use crate::both;
use crate::support::{assert_argument_error, assert_server_error};

use super::ps;

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
