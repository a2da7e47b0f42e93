//! The stream group, every command, under RESP2 and RESP3.

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use tredis::commands::stream::TrimStrategy;
use tredis::prelude::*;
use tredis::reply::{PendingEntry, PendingSummary, StreamEntry, StreamId};
use tredis::Protocol;

use crate::both;
use crate::support::{self, assert_server_error, Keys};
use crate::support::{assert_argument_error, b};

fn id(ms: u64, seq: u64) -> StreamId {
    StreamId::new(ms, seq)
}

fn entry(ms: u64, seq: u64, fields: &[(&str, &str)]) -> StreamEntry {
    StreamEntry { id: id(ms, seq), fields: Some(fields.iter().map(|(f, v)| (b(f), b(v))).collect()) }
}

fn ids(entries: &[StreamEntry]) -> Vec<StreamId> {
    entries.iter().map(|e| e.id).collect()
}

/// Adds `n = i` at `i-0` for each `i` of `range`.
async fn fill(c: &Client, key: &str, range: std::ops::RangeInclusive<u64>) -> Result<(), tredis::Error> {
    for i in range {
        assert_eq!(c.xadd_with_id(key, id(i, 0), [("n", i)]).await?, Some(id(i, 0)));
    }
    Ok(())
}

/// The protocol a test body runs under, read from its key names.
fn protocol_of(k: &Keys) -> Protocol {
    if k.key("").contains("Resp2") {
        Protocol::Resp2
    } else {
        Protocol::Resp3
    }
}

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
    async fn read(c, k) {
        let (a, z) = (k.key("{r}a"), k.key("{r}z"));
        fill(&c, &a, 1..=2).await?;
        c.xadd_with_id(&z, id(1, 5), [("y", "1")]).await?;
        let e1 = entry(1, 0, &[("n", "1")]);
        let e2 = entry(2, 0, &[("n", "2")]);
        let ez = entry(1, 5, &[("y", "1")]);
        assert_eq!(
            c.xread([(&a, "0"), (&z, "0")]).await?,
            Some(vec![(b(&a), vec![e1.clone(), e2.clone()]), (b(&z), vec![ez.clone()])])
        );
        assert_eq!(
            c.xread([(&a, "0-0"), (&z, "0-0")]).count(1).await?,
            Some(vec![(b(&a), vec![e1.clone()]), (b(&z), vec![ez.clone()])])
        );
        assert_eq!(c.xread([(&a, id(1, 0))]).await?, Some(vec![(b(&a), vec![e2.clone()])]));
        assert_eq!(c.xread([(&a, id(1, 0)), (&z, id(1, 5))]).await?, Some(vec![(b(&a), vec![e2.clone()])]));
        // Nothing newer: nil.
        assert_eq!(c.xread([(&a, "2-0"), (&z, "1-5")]).await?, None);
        assert_eq!(c.xread([(&a, "$")]).count(10).await?, None);
        assert_eq!(c.xread([(k.key("{r}none"), "0")]).await?, None);
        assert_argument_error(c.xread(Vec::<(String, &str)>::new()).await, "XREAD");

        // BLOCK: nil when the time runs out.
        let t = Instant::now();
        assert_eq!(c.xread([(&a, "$")]).block(Duration::from_millis(200)).await?, None);
        assert!(t.elapsed() >= Duration::from_millis(150), "{:?}", t.elapsed());
        assert_argument_error(c.xread([(&a, "$")]).block(Duration::from_micros(1500)).await, "BLOCK");
        assert_eq!(c.xread([(&a, "2-0"), (&z, "$")]).count(1).block(Duration::from_millis(50)).await?, None);
        // An entry added by another task wakes it (from a given ID: no race with the add).
        let writer = c.clone();
        let key = a.clone();
        let add = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            writer.xadd_with_id(key, id(3, 0), [("n", "3")]).await
        });
        let got = c.xread([(&a, "2-0"), (&z, "1-5")]).block(Duration::ZERO).count(5).await?;
        assert_eq!(got, Some(vec![(b(&a), vec![entry(3, 0, &[("n", "3")])])]));
        assert_eq!(add.await.expect("task")?, Some(id(3, 0)));
        // From `$`: the entry is added once the reader is seen blocked.
        let name = k.key("xread-reader");
        let reader = support::named_client(&name, protocol_of(&k)).await;
        let key = z.clone();
        let waiter = tokio::spawn(async move { reader.xread([(key, "$")]).block(Duration::from_secs(10)).await });
        support::blocked_id(&c, &name).await;
        c.xadd_with_id(&z, id(4, 0), [("y", "4")]).await?;
        let got = waiter.await.expect("task")?;
        assert_eq!(got, Some(vec![(b(&z), vec![entry(4, 0, &[("y", "4")])])]));
        c.set(k.key("{r}text"), "v").await?;
        assert_server_error(c.xread([(k.key("{r}text"), "0")]).await, "WRONGTYPE");
        Ok(())
    }
);

both!(
    async fn consumer_groups(c, k) {
        let s = k.key("s");
        // CREATE: the stream must exist unless MKSTREAM; a name is taken once.
        assert_server_error(c.xgroup_create(&s, "g", "$").await, "ERR");
        c.xgroup_create(&s, "g", "$").mkstream().await?;
        assert_eq!(c.xlen(&s).await?, 0);
        assert_server_error(c.xgroup_create(&s, "g", "0").await, "BUSYGROUP");
        fill(&c, &s, 1..=3).await?;
        c.xgroup_create(&s, "h", "0").entries_read(0).await?;
        c.xgroup_create(&s, "late", id(2, 0)).await?;
        let groups = c.xinfo_groups(&s).await?;
        let summary: Vec<_> = groups
            .iter()
            .map(|g| (&g.name[..], g.consumers, g.pending, g.last_delivered_id, g.entries_read, g.lag))
            .collect();
        assert_eq!(
            summary,
            vec![
                (&b"g"[..], 0, 0, Some(id(0, 0)), None, Some(3)),
                (&b"h"[..], 0, 0, Some(id(0, 0)), Some(0), Some(3)),
                (&b"late"[..], 0, 0, Some(id(2, 0)), None, None),
            ]
        );

        assert!(c.xgroup_createconsumer(&s, "g", "alice").await?);
        assert!(!c.xgroup_createconsumer(&s, "g", "alice").await?);
        // New entries (`>`), then one's own pending ones (an ID).
        let got = c.xreadgroup("g", "alice", [(&s, ">")]).count(2).await?;
        assert_eq!(got, Some(vec![(b(&s), vec![entry(1, 0, &[("n", "1")]), entry(2, 0, &[("n", "2")])])]));
        let got = c.xreadgroup("g", "bob", [(&s, ">")]).await?.expect("entries");
        assert_eq!(got[0].1, vec![entry(3, 0, &[("n", "3")])]);
        assert_eq!(c.xreadgroup("g", "alice", [(&s, ">")]).await?, None);
        let got = c.xreadgroup("g", "alice", [(&s, "0")]).await?.expect("entries");
        assert_eq!(ids(&got[0].1), vec![id(1, 0), id(2, 0)]);
        let got = c.xreadgroup("g", "alice", [(&s, id(1, 0))]).count(5).await?.expect("entries");
        assert_eq!(ids(&got[0].1), vec![id(2, 0)]);
        let got = c.xreadgroup("g", "nobody", [(&s, "0")]).await?.expect("an empty history");
        assert_eq!(got, vec![(b(&s), vec![])]);
        // NOACK: delivered without entering the pending list.
        let got = c.xreadgroup("h", "carol", [(&s, ">")]).noack().await?.expect("entries");
        assert_eq!(got[0].1.len(), 3);
        assert_eq!(c.xpending(&s, "h").await?, PendingSummary { count: 0, range: None, consumers: vec![] });

        // XPENDING, both forms.
        let p = c.xpending(&s, "g").await?;
        assert_eq!(p.count, 3);
        assert_eq!(p.range, Some((id(1, 0), id(3, 0))));
        assert_eq!(p.consumers, vec![(b("alice"), 2), (b("bob"), 1)]);
        let pending = c.xpending_range(&s, "g", "-", "+", 10).await?;
        let brief: Vec<_> = pending.iter().map(|p| (p.id, p.consumer.clone(), p.deliveries)).collect();
        assert_eq!(brief, vec![(id(1, 0), b("alice"), 2), (id(2, 0), b("alice"), 3), (id(3, 0), b("bob"), 1)]);
        assert!(pending.iter().all(|p| p.idle_ms < 60_000));
        let bobs = c.xpending_range(&s, "g", "-", "+", 10).consumer("bob").await?;
        assert_eq!(bobs.len(), 1);
        assert_eq!((bobs[0].id, bobs[0].consumer.clone()), (id(3, 0), b("bob")));
        assert_eq!(c.xpending_range(&s, "g", "-", "+", 10).idle(Duration::from_secs(3600)).await?, vec![]);
        let idle = c.xpending_range(&s, "g", id(1, 0), "+", 5).idle(Duration::ZERO).consumer("alice").await?;
        assert_eq!(idle.iter().map(|p| p.id).collect::<Vec<_>>(), vec![id(1, 0), id(2, 0)]);
        let next = c.xpending_range(&s, "g", "(1-0", "+", 1).await?;
        assert_eq!(next.iter().map(|p| p.id).collect::<Vec<_>>(), vec![id(2, 0)]);
        assert_argument_error(c.xpending_range(&s, "g", "-", "+", 1).idle(Duration::from_micros(1500)).await, "IDLE");
        assert_server_error(c.xpending(&s, "nogroup").await, "NOGROUP");

        // XACK answers how many were pending.
        assert_eq!(c.xack(&s, "g", [id(1, 0), id(9, 0)]).await?, 1);
        assert_eq!(c.xack(&s, "g", "1-0").await?, 0);
        assert_eq!(c.xack(&s, "nogroup", "2-0").await?, 0);
        assert_argument_error(c.xack(&s, "g", Vec::<StreamId>::new()).await, "XACK");
        let consumers = c.xinfo_consumers(&s, "g").await?;
        let brief: Vec<_> = consumers.iter().map(|c| (&c.name[..], c.pending)).collect();
        assert_eq!(brief, vec![(&b"alice"[..], 1), (&b"bob"[..], 1), (&b"nobody"[..], 0)]);
        assert!(consumers.iter().all(|c| c.idle < 60_000));
        assert_server_error(c.xinfo_consumers(&s, "nogroup").await, "NOGROUP");

        // SETID moves where the group reads from.
        c.xgroup_setid(&s, "g", "0").await?;
        let got = c.xreadgroup("g", "dave", [(&s, ">")]).await?.expect("entries");
        assert_eq!(ids(&got[0].1), vec![id(1, 0), id(2, 0), id(3, 0)]);
        c.xgroup_setid(&s, "h", id(1, 0)).entries_read(1).await?;
        let h = c.xinfo_groups(&s).await?.into_iter().find(|g| g.name == "h").expect("group h");
        assert_eq!((h.last_delivered_id, h.entries_read, h.lag), (Some(id(1, 0)), Some(1), Some(2)));
        c.xgroup_setid(&s, "h", "$").await?;
        let h = c.xinfo_groups(&s).await?.into_iter().find(|g| g.name == "h").expect("group h");
        assert_eq!(h.last_delivered_id, Some(id(3, 0)));
        assert_server_error(c.xgroup_setid(&s, "nogroup", "0").await, "NOGROUP");
        assert_server_error(c.xreadgroup("nogroup", "x", [(&s, ">")]).await, "NOGROUP");

        // DELCONSUMER answers how many entries the consumer had pending.
        let pending_of_dave = c.xpending_range(&s, "g", "-", "+", 10).consumer("dave").await?.len() as u64;
        assert_eq!(c.xgroup_delconsumer(&s, "g", "dave").await?, pending_of_dave);
        assert_eq!(c.xgroup_delconsumer(&s, "g", "dave").await?, 0);
        assert!(!c.xinfo_consumers(&s, "g").await?.iter().any(|c| c.name == "dave"));
        // DESTROY answers whether the group existed.
        assert!(c.xgroup_destroy(&s, "late").await?);
        assert!(!c.xgroup_destroy(&s, "late").await?);
        assert_eq!(c.xinfo_groups(&s).await?.len(), 2);
        assert_server_error(c.xinfo_groups(k.key("none")).await, "ERR");

        let help = c.xgroup_help().await?;
        assert!(help.iter().any(|l| l.contains("CREATECONSUMER")), "{help:?}");
        Ok(())
    }
);

both!(
    async fn binary_group_and_consumer_names(c, k) {
        // The server takes any bytes as group and consumer names; they come back as bytes.
        let s = k.key("s");
        let (group, consumer) = (&b"\xff\xfe"[..], &b"\xfa"[..]);
        c.xadd(&s, [("f", "v")]).await?;
        c.xgroup_create(&s, group, "0").await?;
        c.xreadgroup(group, consumer, [(&s, ">")]).await?;
        assert_eq!(c.xpending(&s, group).await?.consumers, vec![(consumer.into(), 1)]);
        let groups = c.xinfo_groups(&s).await?;
        assert_eq!((&groups[0].name[..], groups[0].pending), (group, 1));
        let consumers = c.xinfo_consumers(&s, group).await?;
        assert_eq!((&consumers[0].name[..], consumers[0].pending), (consumer, 1));
        let full = c.xinfo_stream(&s).full().await?;
        assert_eq!(&full.groups[0].consumers[0].name[..], consumer);
        Ok(())
    }
);

both!(
    async fn group_reads_block_and_see_deletions(c, k) {
        let s = k.key("s");
        c.xgroup_create(&s, "g", "$").mkstream().await?;
        let t = Instant::now();
        assert_eq!(c.xreadgroup("g", "alice", [(&s, ">")]).block(Duration::from_millis(200)).await?, None);
        assert!(t.elapsed() >= Duration::from_millis(150), "{:?}", t.elapsed());
        assert_eq!(c.xreadgroup("g", "alice", [(&s, ">")]).count(1).noack().block(Duration::from_millis(50)).await?, None);
        // `>` always means "not yet delivered": an add before or after the read both wake it.
        let writer = c.clone();
        let key = s.clone();
        let add = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            writer.xadd_with_id(key, id(1, 0), [("n", "1")]).await
        });
        let got = c.xreadgroup("g", "alice", [(&s, ">")]).block(Duration::ZERO).await?;
        assert_eq!(got, Some(vec![(b(&s), vec![entry(1, 0, &[("n", "1")])])]));
        add.await.expect("task")?;
        // A pending entry deleted since: its fields are nil in the history.
        fill(&c, &s, 2..=3).await?;
        c.xreadgroup("g", "alice", [(&s, ">")]).await?;
        assert_eq!(c.xdel(&s, [id(2, 0)]).await?, 1);
        let got = c.xreadgroup("g", "alice", [(&s, "0")]).await?.expect("entries");
        assert_eq!(
            got[0].1,
            vec![entry(1, 0, &[("n", "1")]), StreamEntry { id: id(2, 0), fields: None }, entry(3, 0, &[("n", "3")])]
        );
        Ok(())
    }
);

both!(
    async fn claiming(c, k) {
        let s = k.key("s");
        fill(&c, &s, 1..=4).await?;
        c.xgroup_create(&s, "g", "0").await?;
        c.xreadgroup("g", "alice", [(&s, ">")]).await?;
        let owner = |p: &[PendingEntry]| p.iter().map(|p| (p.id, p.consumer.clone())).collect::<Vec<_>>();

        // XCLAIM moves pending entries that have been idle long enough.
        let claimed = c.xclaim(&s, "g", "bob", Duration::ZERO, [id(1, 0), id(2, 0)]).await?;
        assert_eq!(claimed, vec![entry(1, 0, &[("n", "1")]), entry(2, 0, &[("n", "2")])]);
        assert_eq!(c.xclaim(&s, "g", "carol", Duration::from_secs(3600), "3-0").await?, vec![]);
        // JUSTID: the IDs only, and the delivery count stays.
        assert_eq!(c.xclaim(&s, "g", "carol", Duration::ZERO, ["3-0"]).justid().await?, vec![id(3, 0)]);
        let p = c.xpending_range(&s, "g", "-", "+", 10).await?;
        assert_eq!(owner(&p), vec![(id(1, 0), b("bob")), (id(2, 0), b("bob")), (id(3, 0), b("carol")), (id(4, 0), b("alice"))]);
        assert_eq!(p.iter().map(|p| p.deliveries).collect::<Vec<_>>(), vec![2, 2, 1, 1]);
        // IDLE and RETRYCOUNT set what XPENDING reports; TIME sets the idle time from a date.
        let claimed = c.xclaim(&s, "g", "dave", Duration::ZERO, ["4-0"]).idle(Duration::from_secs(60)).retrycount(7).await?;
        assert_eq!(ids(&claimed), vec![id(4, 0)]);
        let p = c.xpending_range(&s, "g", "4-0", "4-0", 1).await?;
        assert_eq!((p[0].consumer.clone(), p[0].deliveries), (b("dave"), 7));
        assert!(p[0].idle_ms >= 60_000, "{:?}", p[0]);
        let when = SystemTime::now() - Duration::from_secs(120);
        let claimed = c.xclaim(&s, "g", "erin", Duration::from_secs(100), ["4-0"]).time(when).justid().await?;
        assert_eq!(claimed, vec![]);
        let claimed = c.xclaim(&s, "g", "erin", Duration::from_secs(30), ["4-0"]).time(when).justid().await?;
        assert_eq!(claimed, vec![id(4, 0)]);
        let p = c.xpending_range(&s, "g", "4-0", "4-0", 1).await?;
        assert_eq!(p[0].consumer, b("erin"));
        assert!(p[0].idle_ms >= 119_000, "{:?}", p[0]);
        // FORCE claims an entry nobody has pending; without it, such an entry is skipped.
        fill(&c, &s, 5..=6).await?;
        assert_eq!(c.xclaim(&s, "g", "frank", Duration::ZERO, ["6-0"]).await?, vec![]);
        assert_eq!(c.xclaim(&s, "g", "frank", Duration::ZERO, ["5-0"]).force().justid().await?, vec![id(5, 0)]);
        // LASTID moves the group's last delivered ID forward.
        let claimed = c.xclaim(&s, "g", "frank", Duration::ZERO, [id(5, 0)]).lastid(id(6, 0)).await?;
        assert_eq!(claimed, vec![entry(5, 0, &[("n", "5")])]);
        let g = c.xinfo_groups(&s).await?;
        assert_eq!(g[0].last_delivered_id, Some(id(6, 0)));
        assert_eq!(c.xpending(&s, "g").await?.count, 5);

        // XAUTOCLAIM scans the pending list from a cursor.
        let page = c.xautoclaim(&s, "g", "grace", Duration::ZERO, "0-0").count(2).await?;
        assert_eq!(page.claimed, vec![entry(1, 0, &[("n", "1")]), entry(2, 0, &[("n", "2")])]);
        assert_eq!(page.next, id(3, 0));
        assert_eq!(page.deleted, vec![]);
        let page = c.xautoclaim(&s, "g", "grace", Duration::ZERO, page.next).justid().await?;
        assert_eq!(page.claimed, vec![id(3, 0), id(4, 0), id(5, 0)]);
        assert_eq!(page.next, id(0, 0));
        assert_eq!(page.deleted, vec![]);
        let none = c.xautoclaim(&s, "g", "heidi", Duration::from_secs(3600), "-").await?;
        assert_eq!((none.next, none.claimed, none.deleted), (id(0, 0), vec![], vec![]));
        // Entries deleted since delivery are reported and dropped from the pending list.
        assert_eq!(c.xdel(&s, [id(1, 0), id(3, 0)]).await?, 2);
        let page = c.xautoclaim(&s, "g", "heidi", Duration::ZERO, "0").count(10).await?;
        assert_eq!(ids(&page.claimed), vec![id(2, 0), id(4, 0), id(5, 0)]);
        assert_eq!(page.deleted, vec![id(1, 0), id(3, 0)]);
        let page = c.xautoclaim(&s, "g", "ivan", Duration::ZERO, id(0, 0)).count(1).justid().await?;
        assert_eq!((page.next, page.claimed), (id(4, 0), vec![id(2, 0)]));
        // XCLAIM of a deleted entry drops it too.
        assert_eq!(c.xdel(&s, [id(2, 0)]).await?, 1);
        assert_eq!(c.xclaim(&s, "g", "judy", Duration::ZERO, [id(2, 0), id(4, 0)]).justid().await?, vec![id(4, 0)]);
        let p = c.xpending(&s, "g").await?;
        assert_eq!((p.count, p.range), (2, Some((id(4, 0), id(5, 0)))));

        assert_server_error(c.xclaim(&s, "nogroup", "x", Duration::ZERO, "4-0").await, "NOGROUP");
        assert_server_error(c.xautoclaim(&s, "nogroup", "x", Duration::ZERO, "0").await, "NOGROUP");
        assert_argument_error(c.xclaim(&s, "g", "x", Duration::ZERO, Vec::<StreamId>::new()).await, "XCLAIM");
        assert_argument_error(c.xclaim(&s, "g", "x", Duration::from_micros(10), "4-0").await, "milliseconds");
        assert_argument_error(c.xautoclaim(&s, "g", "x", Duration::from_nanos(1), "0").await, "milliseconds");
        Ok(())
    }
);

both!(
    async fn stream_info(c, k) {
        let s = k.key("s");
        fill(&c, &s, 1..=3).await?;
        assert_eq!(c.xdel(&s, [id(2, 0)]).await?, 1);
        let info = c.xinfo_stream(&s).await?;
        assert_eq!(info.length, 2);
        assert_eq!(info.groups, 0);
        assert!(info.radix_tree_keys >= 1 && info.radix_tree_nodes >= 1, "{info:?}");
        assert_eq!(info.last_generated_id, Some(id(3, 0)));
        assert_eq!(info.max_deleted_entry_id, Some(id(2, 0)));
        assert_eq!(info.entries_added, 3);
        assert_eq!(info.recorded_first_entry_id, Some(id(1, 0)));
        assert_eq!(info.first_entry, Some(entry(1, 0, &[("n", "1")])));
        assert_eq!(info.last_entry, Some(entry(3, 0, &[("n", "3")])));
        assert!(info.extra.is_empty(), "{:?}", info.extra);

        c.xgroup_create(&s, "g", "0").await?;
        c.xreadgroup("g", "alice", [(&s, ">")]).count(1).await?;
        assert_eq!(c.xinfo_stream(&s).await?.groups, 1);
        let full = c.xinfo_stream(&s).full().await?;
        assert_eq!(full.length, 2);
        assert_eq!(full.last_generated_id, Some(id(3, 0)));
        assert_eq!(full.entries_added, 3);
        assert_eq!(full.entries, vec![entry(1, 0, &[("n", "1")]), entry(3, 0, &[("n", "3")])]);
        assert_eq!((full.radix_tree_keys, full.max_deleted_entry_id), (1, Some(id(2, 0))));
        assert_eq!(full.recorded_first_entry_id, Some(id(1, 0)));
        assert!(full.extra.is_empty(), "{:?}", full.extra);
        assert_eq!(full.groups.len(), 1);
        let g = &full.groups[0];
        assert_eq!((&g.name[..], g.last_delivered_id, g.pel_count), (&b"g"[..], Some(id(1, 0)), 1));
        assert_eq!((g.pending.len(), g.pending[0].id, &g.pending[0].consumer[..]), (1, id(1, 0), &b"alice"[..]));
        assert_eq!(g.pending[0].deliveries, 1);
        assert_eq!(g.consumers.len(), 1);
        let alice = &g.consumers[0];
        assert_eq!((&alice.name[..], alice.pel_count, alice.pending.len()), (&b"alice"[..], 1, 1));
        assert_eq!((alice.pending[0].id, alice.pending[0].delivered_at_ms), (id(1, 0), g.pending[0].delivered_at_ms));
        assert!(g.extra.is_empty() && alice.extra.is_empty(), "{:?} {:?}", g.extra, alice.extra);
        let full = c.xinfo_stream(&s).full().count(1).await?;
        assert_eq!(full.entries, vec![entry(1, 0, &[("n", "1")])]);
        assert_argument_error(c.xinfo_stream(&s).count(1).await, "full");

        // An empty stream has no first or last entry.
        let e = k.key("empty");
        c.xgroup_create(&e, "g", "$").mkstream().await?;
        let info = c.xinfo_stream(&e).await?;
        assert_eq!((info.length, info.groups, info.entries_added), (0, 1, 0));
        assert_eq!((info.first_entry, info.last_entry), (None, None));
        assert_eq!(info.last_generated_id, Some(id(0, 0)));
        let full = c.xinfo_stream(&e).full().await?;
        assert_eq!((full.length, full.entries), (0, vec![]));

        assert_server_error(c.xinfo_stream(k.key("none")).await, "ERR");
        assert_server_error(c.xinfo_stream(k.key("none")).full().await, "ERR");
        let help = c.xinfo_help().await?;
        assert!(help.iter().any(|l| l.contains("STREAM")), "{help:?}");
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
