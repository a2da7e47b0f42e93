//! Pops of the lowest and highest scores, blocking or not.

use std::time::{Duration, Instant};

use tredis::commands::sorted_set::MinMax;
use tredis::prelude::*;

use crate::both;
use crate::support::{assert_argument_error, b};

use super::ps;

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
