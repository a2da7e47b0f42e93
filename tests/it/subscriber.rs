//! `Subscriber`: channels, patterns and shard channels, under RESP2 (a connection of its own)
//! and RESP3 (the client's shared connection), several subscribers of one client, a slow
//! reader, and keyspace notifications.

use std::time::Duration;

use bytes::Bytes;
use tredis::prelude::*;
use tredis::pubsub::Kind;
use tredis::{Event, Message};

use crate::both;
use crate::support::b;

/// Far more than any wait here: only a hang exceeds it.
const HANG: Duration = Duration::from_secs(10);

/// The next event, within `HANG`.
pub(crate) async fn next(sub: &mut Subscriber) -> Event {
    tokio::time::timeout(HANG, sub.next()).await.expect("an event in time").expect("the stream goes on")
}

/// The next message, passing over confirmations.
pub(crate) async fn message(sub: &mut Subscriber) -> Message {
    loop {
        match next(sub).await {
            Event::Message(m) => return m,
            Event::Subscribed { .. } => {}
            other => panic!("expected a message, got {other:?}"),
        }
    }
}

/// Nothing arrives for a while.
async fn quiet(sub: &mut Subscriber) {
    if let Ok(e) = tokio::time::timeout(Duration::from_millis(200), sub.next()).await {
        panic!("expected nothing, got {e:?}");
    }
}

both!(
    async fn channels_patterns_and_shard_channels(c, k) {
        let (news, alerts, shard) = (k.key("news"), k.key("alerts"), k.key("{s}shard"));
        let mut sub = c.subscriber();
        let confirmed = sub.subscribe([&news, &alerts]).await?;
        assert!(confirmed.count >= 2, "{confirmed:?}");
        for want in [&news, &alerts] {
            match next(&mut sub).await {
                Event::Subscribed { kind: Kind::Channel, channel } => assert_eq!(channel, b(want)),
                other => panic!("expected a confirmation, got {other:?}"),
            }
        }
        assert_eq!(c.publish(&news, "hello").await?, 1);
        let m = message(&mut sub).await;
        assert_eq!((m.kind, m.channel, m.pattern, m.payload), (Kind::Channel, b(&news), None, b("hello")));

        let pattern = format!("{}*", k.key("p:"));
        sub.psubscribe([&pattern]).await?;
        c.publish(k.key("p:one"), "via pattern").await?;
        let m = message(&mut sub).await;
        assert_eq!(m.kind, Kind::Pattern);
        assert_eq!(m.pattern, Some(b(&pattern)));
        assert_eq!((m.channel, m.payload), (b(&k.key("p:one")), b("via pattern")));

        sub.ssubscribe([&shard]).await?;
        assert_eq!(c.spublish(&shard, "sharded").await?, 1);
        let m = message(&mut sub).await;
        assert_eq!((m.kind, m.channel, m.payload), (Kind::Shard, b(&shard), b("sharded")));

        // Ordinary commands go on beside the subscriptions (RESP3: on the same connection).
        c.set(k.key("plain"), "v").await?;
        assert_eq!(c.get(k.key("plain")).await?, Some(b("v")));

        sub.unsubscribe().channels([&news]).await?;
        assert_eq!(c.publish(&news, "gone").await?, 0);
        assert_eq!(c.publish(&alerts, "still").await?, 1);
        assert_eq!(message(&mut sub).await.payload, b("still"));
        // Without channels: every one of that kind.
        sub.unsubscribe().await?;
        sub.punsubscribe().await?;
        sub.sunsubscribe().await?;
        assert_eq!(c.publish(&alerts, "none").await?, 0);
        assert_eq!(c.spublish(&shard, "none").await?, 0);
        quiet(&mut sub).await;
        Ok(())
    }
);

both!(
    async fn subscribers_of_one_client_share_channels(c, k) {
        let chan = k.key("shared");
        let mut one = c.subscriber();
        let mut two = c.subscriber();
        one.subscribe([&chan]).await?;
        two.subscribe([&chan]).await?;
        let subscribers = |c: tredis::Client, chan: String| async move {
            c.pubsub_numsub().channels([&chan]).await.map(|v| v.first().map_or(0, |p| p.1))
        };
        assert_eq!(subscribers(c.clone(), chan.clone()).await?, 1, "one subscription on the server");
        c.publish(&chan, "both").await?;
        assert_eq!(message(&mut one).await.payload, b("both"));
        assert_eq!(message(&mut two).await.payload, b("both"));
        // One lets go: the other still receives, and the server keeps the channel.
        one.unsubscribe().channels([&chan]).await?;
        assert_eq!(subscribers(c.clone(), chan.clone()).await?, 1);
        c.publish(&chan, "two only").await?;
        assert_eq!(message(&mut two).await.payload, b("two only"));
        quiet(&mut one).await;
        // The last one gone, so is the subscription.
        drop(two);
        crate::support::wait_until("the channel is unsubscribed", || {
            let (c, chan) = (c.clone(), chan.clone());
            async move { subscribers(c, chan).await.unwrap() == 0 }
        })
        .await;
        Ok(())
    }
);

#[tokio::test]
async fn a_slow_reader_loses_messages_not_other_replies() {
    let _g = crate::support::shared().await;
    for protocol in crate::support::PROTOCOLS {
        let chan = format!("t:slow-reader:{protocol:?}");
        let c = crate::support::client(protocol).await;
        let client = tredis::Client::builder()
            .url(&crate::support::url())
            .protocol(protocol)
            .subscriber_buffer(10)
            .build()
            .unwrap();
        let mut sub = client.subscriber();
        sub.subscribe([&chan]).await.unwrap();
        let p = c.pipeline();
        let sent: Vec<_> = (0..100).map(|i| p.publish(&chan, i.to_string())).collect();
        for n in p.execute(sent).await {
            assert_eq!(n.unwrap(), 1);
        }
        // Replies to the subscriber's own client are not held up by its full buffer.
        client.set(format!("{chan}:meanwhile"), "ok").await.unwrap();
        let mut got = Vec::new();
        let mut lagged = 0;
        while got.len() + (lagged as usize) < 100 {
            match next(&mut sub).await {
                Event::Message(m) => got.push(m.payload),
                Event::Lagged(n) => lagged += n,
                Event::Subscribed { .. } => {}
                other => panic!("{other:?}"),
            }
        }
        assert!(lagged > 0, "the buffer of 10 overflowed ({protocol:?})");
        // What arrived came in order, from the start.
        let expected: Vec<Bytes> = (0..got.len()).map(|i| b(&i.to_string())).collect();
        assert_eq!(got, expected);
        // Room again: messages flow.
        c.publish(&chan, "after").await.unwrap();
        assert_eq!(message(&mut sub).await.payload, b("after"));
    }
}

#[tokio::test]
async fn keyspace_notifications() {
    // The server's notification setting is everyone's.
    let _g = crate::support::exclusive().await;
    for protocol in crate::support::PROTOCOLS {
        let c = crate::support::client(protocol).await;
        c.config_set([("notify-keyspace-events", "KEA")]).await.unwrap();
        let key = format!("t:keyspace:{protocol:?}");
        let mut sub = c.subscriber();
        sub.psubscribe([format!("__keyspace@0__:{key}")]).await.unwrap();
        c.set(&key, "1").await.unwrap();
        c.expire(&key, Duration::from_secs(100)).await.unwrap();
        c.del(&key).await.unwrap();
        let mut events = Vec::new();
        for _ in 0..3 {
            let m = message(&mut sub).await;
            assert_eq!(m.channel, b(&format!("__keyspace@0__:{key}")));
            events.push(m.payload);
        }
        assert_eq!(events, [b("set"), b("expire"), b("del")]);
        c.config_set([("notify-keyspace-events", "")]).await.unwrap();
    }
}
