//! The tour that `cargo xtask demo` runs: set and get, many commands issued concurrently from
//! several tasks over one multiplexed connection, options that change the reply type, SCAN as a
//! stream, and a subscriber. Connects to `REDIS_URL` (default `redis://127.0.0.1:6379`).

use std::time::{Duration, Instant};

use tredis::prelude::*;

#[tokio::main]
async fn main() -> Result<(), tredis::Error> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let client = tredis::Client::connect(&url).await?;
    println!("connected to {url}");

    // Set and get.
    client.set("demo:greeting", "hello").ex(Duration::from_secs(60)).await?;
    let value = client.get("demo:greeting").await?;
    println!("GET demo:greeting -> {:?}", value.map(|v| String::from_utf8_lossy(&v).into_owned()));

    // Options change the reply type: NX gives a bool, GET the previous value.
    let won: bool = client.set("demo:greeting", "again").nx().await?;
    let old = client.set("demo:greeting", "bonjour").get().await?;
    println!("SET NX -> {won}; SET GET -> {:?}", old.map(|v| String::from_utf8_lossy(&v).into_owned()));
    println!("TTL demo:greeting -> {:?}", client.ttl("demo:greeting").await?);

    // Many commands from many tasks share one connection; the writer batches them.
    let tasks = 16;
    let per_task = 2_000;
    let start = Instant::now();
    let mut handles = Vec::new();
    for t in 0..tasks {
        let client = client.clone();
        handles.push(tokio::spawn(async move {
            for i in 0..per_task {
                let key = format!("demo:counter:{}", i % 100);
                client.incr(&key).await?;
                if i % 10 == t % 10 {
                    client.get(&key).await?;
                }
            }
            Ok::<_, tredis::Error>(())
        }));
    }
    for h in handles {
        h.await.expect("task panicked")?;
    }
    let elapsed = start.elapsed();
    let total: i64 = {
        let keys: Vec<String> = (0..100).map(|i| format!("demo:counter:{i}")).collect();
        let values = client.mget(&keys).await?;
        values
            .iter()
            .flatten()
            .map(|v| std::str::from_utf8(v).unwrap_or("0").parse::<i64>().unwrap_or(0))
            .sum()
    };
    println!(
        "{} INCRs from {tasks} tasks in {:.1} ms; the counters add up to {total}",
        tasks * per_task,
        elapsed.as_secs_f64() * 1e3
    );

    // SCAN as a stream: every key of the demo, page by page.
    let mut stream = client.scan(0).matching("demo:*").count(50).stream();
    let mut found = 0;
    while let Some(key) = stream.next().await {
        key?;
        found += 1;
    }
    println!("SCAN MATCH demo:* found {found} keys");

    // Pub/sub: a subscriber is a stream of events; with RESP3 it shares the client's
    // connection.
    let mut sub = client.subscriber();
    sub.subscribe(["demo:news"]).await?;
    let receivers = client.publish("demo:news", "hello, subscriber").await?;
    while let Some(event) = sub.next().await {
        if let tredis::Event::Message(m) = event {
            println!(
                "PUBLISH reached {receivers}; the subscriber got {:?}",
                String::from_utf8_lossy(&m.payload)
            );
            break;
        }
    }
    drop(sub);

    let n = client.del(tredis::args::each((0..100).map(|i| format!("demo:counter:{i}")))).await?;
    client.del("demo:greeting").await?;
    println!("cleaned up {} keys", n + 1);
    client.close().await;
    Ok(())
}
