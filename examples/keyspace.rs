//! Keyspace notifications through a `Subscriber`: what happens to the keys `user:*`, as the
//! server tells it (`notify-keyspace-events`). Run with `cargo run -p tredis --example
//! keyspace`; connects to `REDIS_URL` (default `redis://127.0.0.1:6379`), and puts the
//! server's notification setting back as it found it.

use std::time::Duration;

use tredis::prelude::*;
use tredis::Event;

#[tokio::main]
async fn main() -> Result<(), tredis::Error> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let client = tredis::Client::connect(&url).await?;
    let before = client.config_get(["notify-keyspace-events"]).await?;
    let before = before.get("notify-keyspace-events").cloned().unwrap_or_default();
    // K: keyspace events (`__keyspace@<db>__:<key>`), g: generic commands, $: strings,
    // x: expirations.
    client.config_set([("notify-keyspace-events", "Kg$x")]).await?;

    let mut sub = client.subscriber();
    sub.psubscribe(["__keyspace@0__:user:*"]).await?;
    client.set("user:1", "ada").await?;
    client.set("user:2", "grace").px(Duration::from_millis(50)).await?;
    client.del("user:1").await?;
    // user:2 expires by itself.
    let mut seen = 0;
    // set, set and expire (SET PX), del, then expired.
    while seen < 5 {
        match tokio::time::timeout(Duration::from_secs(5), sub.next()).await {
            Ok(Some(Event::Message(m))) => {
                let key = String::from_utf8_lossy(&m.channel).replace("__keyspace@0__:", "");
                println!("{key}: {}", String::from_utf8_lossy(&m.payload));
                seen += 1;
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    client.config_set([("notify-keyspace-events", before.as_str())]).await?;
    client.close().await;
    Ok(())
}
