//! The pub/sub group's commands that a shared client can send (publishing and introspection),
//! under RESP2 and RESP3, with subscribers on raw connections.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tredis::prelude::*;

use crate::both;
use crate::support;
use crate::support::b;

fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

/// A RESP2 connection of its own: subscribing is not a command method of the client.
struct Subscriber {
    conn: TcpStream,
}

impl Subscriber {
    async fn connect(k: &support::Keys) -> Subscriber {
        let (host, port) = support::host_port(&k.url());
        Subscriber { conn: TcpStream::connect((host.as_str(), port)).await.expect("connect") }
    }

    async fn send(&mut self, args: &[&str]) {
        let mut out = format!("*{}\r\n", args.len());
        for a in args {
            out += &bulk(a);
        }
        self.conn.write_all(out.as_bytes()).await.expect("write");
    }

    /// Reads exactly `expected`, so the server has processed what came before.
    async fn expect(&mut self, expected: &str) {
        self.expect_bytes(expected.as_bytes()).await;
    }

    async fn expect_bytes(&mut self, expected: &[u8]) {
        let mut buf = vec![0; expected.len()];
        tokio::time::timeout(Duration::from_secs(10), self.conn.read_exact(&mut buf))
            .await
            .expect("the server answers in time")
            .expect("read");
        assert_eq!(String::from_utf8_lossy(&buf), String::from_utf8_lossy(expected));
    }

    /// Sends `kind` (SUBSCRIBE ...) for one name and waits for its confirmation.
    async fn confirm(&mut self, kind: &str, name: &str, count: u64) {
        self.send(&[kind, name]).await;
        let lower = kind.to_ascii_lowercase();
        self.expect(&format!("*3\r\n{}{}:{count}\r\n", bulk(&lower), bulk(name))).await;
    }
}

both!(
    async fn publish_and_numsub(c, k) {
        let (ch, other) = (k.key("ch"), k.key("other"));
        assert_eq!(c.publish(&ch, "nobody listens").await?, 0);
        assert_eq!(c.pubsub_numsub().channels([&ch, &other]).await?, vec![(b(&ch), 0), (b(&other), 0)]);
        assert_eq!(c.pubsub_numsub().await?, vec![]);

        let mut s1 = Subscriber::connect(&k).await;
        s1.confirm("SUBSCRIBE", &ch, 1).await;
        let mut s2 = Subscriber::connect(&k).await;
        s2.confirm("SUBSCRIBE", &ch, 1).await;
        s2.confirm("SUBSCRIBE", &other, 2).await;
        assert_eq!(
            c.pubsub_numsub().channels(&ch).channels(&other).await?,
            vec![(b(&ch), 2), (b(&other), 1)]
        );
        assert_eq!(c.publish(&ch, "hello").await?, 2);
        let message = format!("*3\r\n{}{}{}", bulk("message"), bulk(&ch), bulk("hello"));
        s1.expect(&message).await;
        s2.expect(&message).await;
        // Binary-safe messages.
        let payload: Vec<u8> = (0..=255).collect();
        assert_eq!(c.publish(&other, &payload).await?, 1);
        let mut message = format!("*3\r\n{}{}$256\r\n", bulk("message"), bulk(&other)).into_bytes();
        message.extend_from_slice(&payload);
        message.extend_from_slice(b"\r\n");
        s2.expect_bytes(&message).await;

        s1.confirm("UNSUBSCRIBE", &ch, 0).await;
        assert_eq!(c.pubsub_numsub().channels(&ch).await?, vec![(b(&ch), 1)]);
        s2.send(&["UNSUBSCRIBE", &ch, &other]).await;
        s2.expect(&format!("*3\r\n{}{}:1\r\n", bulk("unsubscribe"), bulk(&ch))).await;
        s2.expect(&format!("*3\r\n{}{}:0\r\n", bulk("unsubscribe"), bulk(&other))).await;
        assert_eq!(c.publish(&ch, "gone").await?, 0);
        Ok(())
    }
);

both!(
    async fn channels(c, k) {
        let (a, bb) = (k.key("chan:a"), k.key("chan:b"));
        assert!(c.pubsub_channels().pattern(k.pattern()).await?.is_empty());
        let mut s = Subscriber::connect(&k).await;
        s.confirm("SUBSCRIBE", &a, 1).await;
        s.confirm("SUBSCRIBE", &bb, 2).await;
        let mut found = c.pubsub_channels().pattern(k.pattern()).await?;
        found.sort();
        assert_eq!(found, vec![b(&a), b(&bb)]);
        assert_eq!(c.pubsub_channels().pattern(k.key("chan:a*")).await?, vec![b(&a)]);
        // Without a pattern: every active channel of the server, ours among them.
        let every = c.pubsub_channels().await?;
        assert!(every.contains(&b(&a)) && every.contains(&b(&bb)), "{every:?}");
        s.confirm("UNSUBSCRIBE", &a, 1).await;
        assert_eq!(c.pubsub_channels().pattern(k.pattern()).await?, vec![b(&bb)]);
        s.confirm("UNSUBSCRIBE", &bb, 0).await;
        assert!(c.pubsub_channels().pattern(k.pattern()).await?.is_empty());
        Ok(())
    }
);

both!(
    async fn pattern_subscriptions(c, k) {
        // NUMPAT counts the whole server; no other test subscribes to patterns, and the
        // subscriber leaves explicitly, so the count moves only with this one.
        let before = c.pubsub_numpat().await?;
        let (p1, p2) = (k.key("news.*"), k.key("sport.*"));
        let mut s = Subscriber::connect(&k).await;
        s.confirm("PSUBSCRIBE", &p1, 1).await;
        s.confirm("PSUBSCRIBE", &p2, 2).await;
        assert_eq!(c.pubsub_numpat().await?, before + 2);
        // The same pattern from a second connection is not a new unique pattern.
        let mut s2 = Subscriber::connect(&k).await;
        s2.confirm("PSUBSCRIBE", &p1, 1).await;
        assert_eq!(c.pubsub_numpat().await?, before + 2);
        let ch = k.key("news.today");
        assert_eq!(c.publish(&ch, "headline").await?, 2);
        let pmessage = format!("*4\r\n{}{}{}{}", bulk("pmessage"), bulk(&p1), bulk(&ch), bulk("headline"));
        s.expect(&pmessage).await;
        s2.expect(&pmessage).await;
        // NUMSUB and CHANNELS know channel subscriptions only.
        assert_eq!(c.pubsub_numsub().channels(&ch).await?, vec![(b(&ch), 0)]);
        assert!(c.pubsub_channels().pattern(k.pattern()).await?.is_empty());
        s2.confirm("PUNSUBSCRIBE", &p1, 0).await;
        s.confirm("PUNSUBSCRIBE", &p2, 1).await;
        assert_eq!(c.pubsub_numpat().await?, before + 1);
        s.confirm("PUNSUBSCRIBE", &p1, 0).await;
        assert_eq!(c.pubsub_numpat().await?, before);
        Ok(())
    }
);

both!(
    async fn shard_channels(c, k) {
        let (a, bb) = (k.key("{sh}a"), k.key("{sh}b"));
        assert_eq!(c.spublish(&a, "nobody").await?, 0);
        assert_eq!(c.pubsub_shardnumsub().channels([&a, &bb]).await?, vec![(b(&a), 0), (b(&bb), 0)]);
        assert_eq!(c.pubsub_shardnumsub().await?, vec![]);
        assert!(c.pubsub_shardchannels().pattern(k.pattern()).await?.is_empty());
        let mut s = Subscriber::connect(&k).await;
        s.confirm("SSUBSCRIBE", &a, 1).await;
        s.confirm("SSUBSCRIBE", &bb, 2).await;
        let mut found = c.pubsub_shardchannels().pattern(k.pattern()).await?;
        found.sort();
        assert_eq!(found, vec![b(&a), b(&bb)]);
        let every = c.pubsub_shardchannels().await?;
        assert!(every.contains(&b(&a)) && every.contains(&b(&bb)), "{every:?}");
        assert_eq!(c.pubsub_shardnumsub().channels(&a).await?, vec![(b(&a), 1)]);
        // Shard channels and ordinary channels are separate namespaces.
        assert_eq!(c.pubsub_numsub().channels(&a).await?, vec![(b(&a), 0)]);
        assert!(c.pubsub_channels().pattern(k.pattern()).await?.is_empty());
        assert_eq!(c.publish(&a, "not for shard subscribers").await?, 0);
        assert_eq!(c.spublish(&a, "hi").await?, 1);
        s.expect(&format!("*3\r\n{}{}{}", bulk("smessage"), bulk(&a), bulk("hi"))).await;
        s.confirm("SUNSUBSCRIBE", &a, 1).await;
        assert_eq!(c.pubsub_shardnumsub().channels([&a, &bb]).await?, vec![(b(&a), 0), (b(&bb), 1)]);
        assert_eq!(c.pubsub_shardchannels().pattern(k.pattern()).await?, vec![b(&bb)]);
        s.confirm("SUNSUBSCRIBE", &bb, 0).await;
        assert!(c.pubsub_shardchannels().pattern(k.pattern()).await?.is_empty());
        Ok(())
    }
);

both!(
    async fn help(c, _k) {
        let lines = c.pubsub_help().await?;
        assert!(lines[0].starts_with("PUBSUB"), "{lines:?}");
        for sub in ["CHANNELS", "NUMPAT", "NUMSUB", "SHARDCHANNELS", "SHARDNUMSUB", "HELP"] {
            assert!(lines.iter().any(|l| l.trim_start().starts_with(sub)), "{sub} in {lines:?}");
        }
        Ok(())
    }
);
