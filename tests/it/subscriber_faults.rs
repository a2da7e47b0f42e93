//! Subscriptions are never lost silently: a server restart (reliability scenario 35), an
//! unsubscription made while the server is down, and the server dropping the subscriber
//! (scenario 36: its output buffer limit). Each on a server of its own, under RESP2 and RESP3.

use std::time::{Duration, Instant};

use tredis::prelude::*;
use tredis::{Client, Event, Protocol};

use crate::subscriber::{message, next};
use crate::support::b;
use crate::support::proxy::{Mode, Proxy};
use crate::support::server::OwnServer;

fn client(server: &OwnServer, protocol: Protocol) -> Client {
    Client::builder()
        .url(&server.url())
        .protocol(protocol)
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(100))
        .build()
        .unwrap()
}

/// Reads events until `Resubscribed`, checking that a `Gap` came first; messages of before
/// the gap may come first too.
async fn gap_then_resubscribed(sub: &mut Subscriber) {
    let mut gap = false;
    loop {
        match next(sub).await {
            Event::Gap { cause } => {
                // A lost connection: what was in flight on it may or may not have run.
                assert_eq!(cause.kind(), tredis::ErrorKind::Indeterminate, "{cause}");
                gap = true;
            }
            Event::Resubscribed => {
                assert!(gap, "a gap is reported before the resubscription");
                return;
            }
            Event::Message(_) | Event::Subscribed { .. } | Event::ResubscribeFailed { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_restart_is_a_gap_then_every_subscription_again() {
    let mut server = OwnServer::start(&[]);
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let c = client(&server, protocol);
        let mut sub = c.subscriber();
        sub.subscribe(["restart:a", "restart:b"]).await.unwrap();
        sub.psubscribe(["restart:p:*"]).await.unwrap();
        sub.ssubscribe(["restart:s"]).await.unwrap();
        c.publish("restart:a", "before").await.unwrap();
        assert_eq!(message(&mut sub).await.payload, b("before"));
        server.restart();
        let up = Instant::now();
        gap_then_resubscribed(&mut sub).await;
        eprintln!("restart ({protocol:?}): resubscribed {:?} after the server was up", up.elapsed());
        let numsub = c.pubsub_numsub().channels(["restart:a", "restart:b"]).await.unwrap();
        assert_eq!(numsub.iter().map(|p| p.1).collect::<Vec<_>>(), [1, 1]);
        assert_eq!(c.pubsub_numpat().await.unwrap(), 1);
        assert_eq!(c.pubsub_shardnumsub().channels(["restart:s"]).await.unwrap()[0].1, 1);
        // Every message published after the resubscription arrives, in order.
        for i in 0..100 {
            c.publish("restart:b", i.to_string()).await.unwrap();
        }
        c.publish("restart:p:x", "pattern").await.unwrap();
        c.spublish("restart:s", "shard").await.unwrap();
        for i in 0..100 {
            assert_eq!(message(&mut sub).await.payload, b(&i.to_string()));
        }
        assert_eq!(message(&mut sub).await.payload, b("pattern"));
        assert_eq!(message(&mut sub).await.payload, b("shard"));
        drop(sub);
        c.close().await;
    }
}

#[tokio::test]
async fn an_unsubscription_while_down_is_not_made_again() {
    let mut server = OwnServer::start(&[]);
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let c = client(&server, protocol);
        let mut sub = c.subscriber();
        sub.subscribe(["down:keep", "down:drop"]).await.unwrap();
        server.stop();
        // Once the client knows the connection is gone, an unsubscription waits for the
        // next connection, and its channel is not among those subscribed again.
        while !matches!(next(&mut sub).await, Event::Gap { .. }) {}
        let unsubscribed = sub.unsubscribe().channels(["down:drop"]).with_timeout(Duration::from_secs(10));
        let restart = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            server.restart();
        };
        let (r, ()) = tokio::join!(std::future::IntoFuture::into_future(unsubscribed), restart);
        r.unwrap();
        while !matches!(next(&mut sub).await, Event::Resubscribed) {}
        let numsub = c.pubsub_numsub().channels(["down:keep", "down:drop"]).await.unwrap();
        assert_eq!(numsub.iter().map(|p| p.1).collect::<Vec<_>>(), [1, 0], "{protocol:?}");
        c.publish("down:drop", "no").await.unwrap();
        c.publish("down:keep", "yes").await.unwrap();
        assert_eq!(message(&mut sub).await.payload, b("yes"));
        drop(sub);
        c.close().await;
    }
}

#[tokio::test]
async fn a_subscriber_the_server_drops_comes_back() {
    // Scenario 36: the subscriber's output buffer on the server passes its limit, and the
    // server closes the connection. The subscriber reads through a proxy that stops reading,
    // so that the buffer fills whatever the machine's speed.
    let server = OwnServer::start(&["--client-output-buffer-limit", "pubsub 32kb 0 0"]);
    let proxy = Proxy::start(&format!("127.0.0.1:{}", server.port())).await;
    let publisher = client(&server, Protocol::Resp3);
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let c = Client::builder()
            .url(&proxy.url())
            .protocol(protocol)
            .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(100))
            .build()
            .unwrap();
        let mut sub = c.subscriber();
        sub.subscribe(["burst"]).await.unwrap();
        proxy.set(Mode::Silent);
        // 10 MB published at once: more than the socket buffers and the 32 kB limit hold.
        let payload = "x".repeat(10_000);
        let p = publisher.pipeline();
        let sent: Vec<_> = (0..1_000).map(|_| p.publish("burst", &payload)).collect();
        p.execute(sent).await.into_iter().for_each(|r| {
            r.unwrap();
        });
        crate::support::wait_until("the server dropped the subscriber", || async {
            publisher.pubsub_numsub().channels(["burst"]).await.unwrap()[0].1 == 0
        })
        .await;
        proxy.set(Mode::Pass);
        let back = Instant::now();
        gap_then_resubscribed(&mut sub).await;
        eprintln!(
            "dropped subscriber ({protocol:?}): resubscribed {:?} after the link was back",
            back.elapsed()
        );
        publisher.publish("burst", "after").await.unwrap();
        while message(&mut sub).await.payload != b("after") {}
        drop(sub);
        c.close().await;
    }
}

#[tokio::test]
async fn subscriptions_follow_a_hosts_list_failover() {
    let (first, second) = crate::replicas::pair().await;
    // Each protocol fails over once: away from the first primary, then back.
    for (protocol, from, to) in [(Protocol::Resp2, &first, &second), (Protocol::Resp3, &second, &first)] {
        let c = Client::builder()
            .hosts([first.url(), second.url()])
            .protocol(protocol)
            .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(100))
            .build()
            .unwrap();
        let mut sub = c.subscriber();
        sub.subscribe(["failover"]).await.unwrap();
        let admin = crate::support::client_for(&from.url(), Protocol::Resp3).await;
        admin.failover().await.unwrap();
        let new = crate::support::client_for(&to.url(), Protocol::Resp3).await;
        crate::support::wait_until("the failover completes", || async {
            matches!(new.role().await, Ok(tredis::reply::Role::Master { .. }))
        })
        .await;
        // Publishing goes to the new primary (READONLY moves the client there); the
        // subscription, wherever it is now, receives what is published after the move.
        let mut received = false;
        let start = Instant::now();
        while !received {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no message after the failover ({protocol:?})"
            );
            c.publish("failover", "after").await.unwrap();
            while let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(100), sub.next()).await {
                match e {
                    Event::Message(m) => {
                        assert_eq!(m.payload, b("after"));
                        received = true;
                    }
                    Event::ResubscribeFailed { cause } => panic!("{cause}"),
                    _ => {}
                }
            }
        }
        eprintln!("hosts list failover ({protocol:?}): a message {:?} after the failover", start.elapsed());
        drop(sub);
        c.close().await;
    }
}
