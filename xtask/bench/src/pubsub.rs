//! w7: a burst of pub/sub messages, published from a bare socket, counted as they arrive.

use std::sync::atomic::Ordering;
use std::time::Instant;

use fred::prelude::ClientLike;

use crate::{cpu_seconds, Measure, ALLOCS};

/// Messages of w7.
const MESSAGES: usize = 1_000_000;
const CHANNEL: &str = "bench:pubsub";

/// w7: subscribes with the client under test, then publishes from a bare socket and counts
/// what arrives.
pub(crate) async fn pubsub(client: &str, url: &str) -> Measure {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tredis::prelude::*;
    // The server must not cut a subscriber that falls behind the burst (its default limit is
    // 32 MB): the run measures the clients, not the server's policy.
    let admin = tredis::Client::connect(url).await.unwrap();
    admin.config_set([("client-output-buffer-limit", "pubsub 0 0 0")]).await.unwrap();
    // The subscription, made before the clock starts; `receive` counts messages to the end.
    let receive: std::pin::Pin<Box<dyn std::future::Future<Output = usize>>> = match client {
        "tredis" => {
            let c = tredis::Client::builder().url(url).subscriber_buffer(2 * MESSAGES).build().unwrap();
            let mut sub = c.subscriber();
            sub.subscribe([CHANNEL]).await.unwrap();
            Box::pin(async move {
                let _keep = c;
                let mut n = 0;
                while n < MESSAGES {
                    match sub.next().await.unwrap() {
                        tredis::Event::Message(m) => n += usize::from(m.payload.len() == 64),
                        tredis::Event::Lagged(dropped) => panic!("{dropped} messages dropped"),
                        _ => {}
                    }
                }
                n
            })
        }
        "redis-rs" => {
            let c = redis::Client::open(url).unwrap();
            let mut ps = c.get_async_pubsub().await.unwrap();
            ps.subscribe(CHANNEL).await.unwrap();
            let mut stream = ps.into_on_message();
            Box::pin(async move {
                let mut n = 0;
                while n < MESSAGES {
                    let m = std::future::poll_fn(|cx| {
                        futures_core::Stream::poll_next(std::pin::Pin::new(&mut stream), cx)
                    })
                    .await
                    .unwrap();
                    n += usize::from(m.get_payload_bytes().len() == 64);
                }
                n
            })
        }
        "fred" => {
            use fred::interfaces::EventInterface;
            use fred::prelude::PubsubInterface;
            let cfg = fred::types::config::Config::from_url(url).unwrap();
            let c = fred::types::Builder::from_config(cfg)
                .with_performance_config(|p| p.broadcast_channel_capacity = 2 * MESSAGES)
                .build()
                .unwrap();
            c.init().await.unwrap();
            let mut rx = c.message_rx();
            c.subscribe(CHANNEL).await.unwrap();
            Box::pin(async move {
                let _keep = c;
                let mut n = 0;
                while n < MESSAGES {
                    let m = rx.recv().await.unwrap();
                    n += usize::from(m.value.as_bytes().is_some_and(|b| b.len() == 64));
                }
                n
            })
        }
        other => panic!("unknown client {other}"),
    };
    // The publisher's pipeline, encoded before the clock starts.
    let payload = "p".repeat(64);
    let one = format!("*3\r\n$7\r\nPUBLISH\r\n${}\r\n{CHANNEL}\r\n$64\r\n{payload}\r\n", CHANNEL.len());
    let wire = one.repeat(MESSAGES);
    let addr = url.trim_start_matches("redis://").trim_end_matches('/').to_string();
    let s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut rd, mut wr) = s.into_split();
    let (cpu0, allocs0, start) = (cpu_seconds(), ALLOCS.load(Ordering::Relaxed), Instant::now());
    let publisher = tokio::spawn(async move {
        let replies = tokio::spawn(async move {
            let mut buf = vec![0u8; 1 << 16];
            let mut lines = 0;
            while lines < MESSAGES {
                let n = rd.read(&mut buf).await.unwrap();
                lines += buf[..n].iter().filter(|&&b| b == b'\n').count();
            }
        });
        wr.write_all(wire.as_bytes()).await.unwrap();
        replies.await.unwrap();
    });
    let received = receive.await;
    let elapsed = start.elapsed();
    publisher.await.unwrap();
    Measure {
        ops: received,
        elapsed,
        cpu: cpu_seconds() - cpu0,
        allocs: ALLOCS.load(Ordering::Relaxed) - allocs0,
        latencies_ns: Vec::new(),
        hit_ratio: None,
    }
}
