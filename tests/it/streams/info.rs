//! XINFO STREAM, in brief and in full.

use tredis::prelude::*;

use crate::both;
use crate::support::{assert_argument_error, assert_server_error};

use super::{entry, fill, id};

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
