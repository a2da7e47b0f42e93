//! Consumer groups: creating them, reading through them, pending entries and acknowledgements.

use std::time::{Duration, Instant};

use tredis::prelude::*;
use tredis::reply::{PendingSummary, StreamEntry, StreamId};

use crate::both;
use crate::support::{assert_argument_error, assert_server_error, b};

use super::{entry, fill, id, ids};

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
