//! Claiming pending entries from other consumers: XCLAIM and XAUTOCLAIM.

use std::time::{Duration, SystemTime};

use tredis::prelude::*;
use tredis::reply::{PendingEntry, StreamId};

use crate::both;
use crate::support::{assert_argument_error, assert_server_error, b};

use super::{entry, fill, id, ids};

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
