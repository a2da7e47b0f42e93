//! Adding, reading by range, deleting and trimming entries, and moving the last ID.

use bytes::Bytes;
use tredis::commands::stream::TrimStrategy;
use tredis::prelude::*;
use tredis::reply::StreamId;

use crate::both;
use crate::support::{assert_argument_error, assert_server_error, b};

use super::{entry, fill, id, ids};

both!(
    async fn add_range_and_delete(c, k) {
        let s = k.key("s");
        // Explicit IDs, `ms-*` and server-picked ones.
        assert_eq!(c.xadd_with_id(&s, id(1, 0), [("a", "1")]).await?, Some(id(1, 0)));
        assert_eq!(c.xadd_with_id(&s, "2-*", [("b", "2"), ("c", "3")]).await?, Some(id(2, 0)));
        assert_eq!(c.xadd_with_id(&s, "2-*", vec![("d", "4")]).await?, Some(id(2, 1)));
        let auto = c.xadd(&s, [("e", "5")]).await?.expect("an ID");
        assert!(auto > id(2, 1) && auto.ms > 1_600_000_000_000, "{auto}");
        let binary: Vec<u8> = (0..=255).collect();
        let bin = c.xadd(&s, [(b"bin".to_vec(), binary.clone())]).await?.expect("an ID");
        assert!(bin > auto);
        assert_eq!(c.xlen(&s).await?, 5);
        // An ID that is not greater than the last is refused.
        assert_server_error(c.xadd_with_id(&s, id(2, 1), [("x", "y")]).await, "ERR");
        assert_server_error(c.xadd_with_id(&s, "0-0", [("x", "y")]).await, "ERR");

        let all = c.xrange(&s, "-", "+").await?;
        assert_eq!(ids(&all), vec![id(1, 0), id(2, 0), id(2, 1), auto, bin]);
        assert_eq!(all[0], entry(1, 0, &[("a", "1")]));
        assert_eq!(all[1], entry(2, 0, &[("b", "2"), ("c", "3")]));
        assert_eq!(all[3].fields, Some(vec![(b("e"), b("5"))]));
        assert_eq!(all[4].fields, Some(vec![(b("bin"), Bytes::from(binary))]));
        assert_eq!(ids(&c.xrange(&s, "-", "+").count(2).await?), vec![id(1, 0), id(2, 0)]);
        assert_eq!(ids(&c.xrange(&s, "(1-0", id(2, 1)).await?), vec![id(2, 0), id(2, 1)]);
        assert_eq!(ids(&c.xrange(&s, "2", "2").await?), vec![id(2, 0), id(2, 1)]);
        assert_eq!(c.xrange(&s, id(3, 0), id(4, 0)).await?, vec![]);
        assert_eq!(c.xrange(k.key("none"), "-", "+").await?, vec![]);
        assert_eq!(ids(&c.xrevrange(&s, "+", "-").count(2).await?), vec![bin, auto]);
        assert_eq!(ids(&c.xrevrange(&s, id(2, 1), "-").await?), vec![id(2, 1), id(2, 0), id(1, 0)]);
        assert_eq!(c.xrevrange(&s, "(2-1", "(1-0").await?, vec![entry(2, 0, &[("b", "2"), ("c", "3")])]);
        assert_eq!(c.xrevrange(k.key("none"), "+", "-").count(1).await?, vec![]);

        // XDEL answers how many existed.
        assert_eq!(c.xdel(&s, [id(1, 0), id(99, 0)]).await?, 1);
        assert_eq!(c.xdel(&s, "2-0").await?, 1);
        assert_eq!(c.xdel(&s, vec![id(2, 0)]).await?, 0);
        assert_eq!(c.xlen(&s).await?, 3);
        assert_eq!(c.xlen(k.key("none")).await?, 0);

        // NOMKSTREAM: nil instead of creating the stream.
        assert_eq!(c.xadd(k.key("none"), [("f", "v")]).nomkstream().await?, None);
        assert_eq!(c.xadd_with_id(k.key("none"), "5-5", [("f", "v")]).nomkstream().await?, None);
        assert_eq!(c.exists(k.key("none")).await?, 0);
        assert!(c.xadd(&s, [("f", "v")]).nomkstream().await?.is_some());
        assert_eq!(c.xadd_with_id(&s, "9999999999999-0", [("f", "v")]).nomkstream().await?, Some(id(9999999999999, 0)));
        assert_eq!(c.xlen(&s).await?, 5);

        // Caught before sending: no fields, no IDs, trimming options without a strategy.
        assert_argument_error(c.xadd(&s, Vec::<(&str, &str)>::new()).await, "XADD");
        assert_argument_error(c.xadd_with_id(&s, "*", Vec::<(&str, &str)>::new()).await, "XADD");
        assert_argument_error(c.xdel(&s, Vec::<StreamId>::new()).await, "XDEL");
        assert_argument_error(c.xadd(&s, [("f", "v")]).exact().await, "trim");
        assert_argument_error(c.xadd_with_id(&s, "*", [("f", "v")]).approx().limit(5).await, "trim");
        assert_eq!(c.xlen(&s).await?, 5);
        // The wrong type.
        c.set(k.key("text"), "v").await?;
        assert_server_error(c.xadd(k.key("text"), [("f", "v")]).await, "WRONGTYPE");
        assert_server_error(c.xlen(k.key("text")).await, "WRONGTYPE");
        Ok(())
    }
);

both!(
    async fn trimming(c, k) {
        let s = k.key("s");
        fill(&c, &s, 1..=20).await?;
        // XADD trims exactly by default, keeping the newest entries.
        let added = c.xadd_with_id(&s, id(21, 0), [("n", 21u64)]).trim(TrimStrategy::Maxlen, 10).await?;
        assert_eq!(added, Some(id(21, 0)));
        assert_eq!(c.xlen(&s).await?, 10);
        assert_eq!(c.xrange(&s, "-", "+").count(1).await?[0].id, id(12, 0));
        let added = c.xadd_with_id(&s, id(22, 0), [("n", 22u64)]).trim(TrimStrategy::Maxlen, 5).exact().await?;
        assert_eq!(added, Some(id(22, 0)));
        assert_eq!(ids(&c.xrange(&s, "-", "+").await?), (18..=22).map(|i| id(i, 0)).collect::<Vec<_>>());
        // Approximate trimming only drops whole nodes (never below the threshold); LIMIT caps
        // the work. These few entries share one node, so nothing goes.
        let added = c.xadd_with_id(&s, id(23, 0), [("n", "23")]).trim(TrimStrategy::Maxlen, 2).approx().limit(100).await?;
        assert_eq!(added, Some(id(23, 0)));
        let len = c.xlen(&s).await?;
        assert!((2..=6).contains(&len), "{len}");
        // MINID drops what is older than the ID.
        let added = c.xadd_with_id(&s, id(24, 0), [("n", "24")]).trim(TrimStrategy::Minid, id(20, 0)).exact().await?;
        assert_eq!(added, Some(id(24, 0)));
        assert_eq!(ids(&c.xrange(&s, "-", "+").await?), (20..=24).map(|i| id(i, 0)).collect::<Vec<_>>());
        let added = c.xadd(&s, [("n", "x")]).trim(TrimStrategy::Minid, "21").approx().await?;
        assert!(added.is_some());
        assert!(c.xlen(&s).await? >= 5);

        // XTRIM answers how many it removed.
        let s2 = k.key("s2");
        fill(&c, &s2, 1..=10).await?;
        assert_eq!(c.xtrim(&s2, TrimStrategy::Maxlen, 8).await?, 2);
        assert_eq!(c.xtrim(&s2, TrimStrategy::Maxlen, 6u64).exact().await?, 2);
        assert_eq!(c.xtrim(&s2, TrimStrategy::Minid, id(7, 0)).await?, 2);
        assert_eq!(c.xtrim(&s2, TrimStrategy::Minid, "9-0").exact().await?, 2);
        assert_eq!(ids(&c.xrange(&s2, "-", "+").await?), vec![id(9, 0), id(10, 0)]);
        // Approximately, within one node: nothing goes.
        assert_eq!(c.xtrim(&s2, TrimStrategy::Maxlen, 1).approx().await?, 0);
        assert_eq!(c.xtrim(&s2, TrimStrategy::Maxlen, 0).approx().limit(1).await?, 0);
        assert_eq!(c.xtrim(&s2, TrimStrategy::Minid, id(10, 0)).approx().limit(1).await?, 0);
        assert_eq!(c.xlen(&s2).await?, 2);
        assert_eq!(c.xtrim(k.key("none"), TrimStrategy::Maxlen, 0).await?, 0);
        // LIMIT needs `~`: the server says so.
        assert_server_error(c.xtrim(&s2, TrimStrategy::Maxlen, 1).limit(10).await, "ERR");
        assert_server_error(c.xtrim(&s2, TrimStrategy::Maxlen, 1).exact().limit(10).await, "ERR");
        assert_server_error(c.xtrim(&s2, TrimStrategy::Maxlen, -1).await, "ERR");
        assert_eq!(c.xlen(&s2).await?, 2);
        Ok(())
    }
);

both!(
    async fn set_last_id(c, k) {
        let s = k.key("s");
        fill(&c, &s, 5..=5).await?;
        c.xsetid(&s, "10-0").await?;
        assert_eq!(c.xinfo_stream(&s).await?.last_generated_id, Some(id(10, 0)));
        assert_server_error(c.xadd_with_id(&s, id(7, 0), [("n", "7")]).await, "ERR");
        assert_eq!(c.xadd_with_id(&s, "10-*", [("n", "10")]).await?, Some(id(10, 1)));
        // Not below the last entry.
        assert_server_error(c.xsetid(&s, id(1, 0)).await, "ERR");
        c.xsetid(&s, id(20, 0)).entries_added(50).max_deleted_id("15-0").await?;
        let info = c.xinfo_stream(&s).await?;
        assert_eq!(info.last_generated_id, Some(id(20, 0)));
        assert_eq!(info.entries_added, 50);
        assert_eq!(info.max_deleted_entry_id, Some(id(15, 0)));
        c.xsetid(&s, id(20, 0)).max_deleted_id(id(16, 0)).await?;
        assert_eq!(c.xinfo_stream(&s).await?.max_deleted_entry_id, Some(id(16, 0)));
        // ENTRIESADDED cannot be below the length.
        assert_server_error(c.xsetid(&s, id(30, 0)).entries_added(1).await, "ERR");
        assert_server_error(c.xsetid(k.key("none"), "1-0").await, "ERR");
        assert!(c.xadd(&s, [("n", "auto")]).await?.expect("an ID") > id(20, 0));
        Ok(())
    }
);
