//! XREAD, blocking or not.

use std::time::{Duration, Instant};

use tredis::prelude::*;
use tredis::Protocol;

use crate::both;
use crate::support::{self, assert_argument_error, assert_server_error, b, Keys};

use super::{entry, fill, id};

/// The protocol a test body runs under, read from its key names.
fn protocol_of(k: &Keys) -> Protocol {
    if k.key("").contains("Resp2") {
        Protocol::Resp2
    } else {
        Protocol::Resp3
    }
}

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
        let reader = k.named_client(&name, protocol_of(&k)).await;
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
