//! Spans of commands, a pipeline and a transaction printed by `tracing-subscriber`'s fmt
//! layer, with the connection events among them. Run with `cargo run -p tredis --features
//! spans --example spans`; connects to `REDIS_URL` (default `redis://127.0.0.1:6379`).

use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::FmtSpan;
use tredis::prelude::*;

#[tokio::main]
async fn main() -> Result<(), tredis::Error> {
    // A line as each span closes, with its fields; at `DEBUG`, the connection events too.
    tracing_subscriber::fmt().with_max_level(LevelFilter::DEBUG).with_span_events(FmtSpan::CLOSE).init();
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let client = tredis::Client::builder().url(&url).span_statements(true).build()?;
    client.ready().await?;

    client.set("spans:greeting", "hello").await?;
    client.get("spans:greeting").await?;
    // A refused command: its span says WRONGTYPE, never the key or the value.
    let _ = client.lpush("spans:greeting", ["x"]).await;

    let p = client.pipeline();
    let (n, greeting) = p.execute((p.incr("spans:visits"), p.get("spans:greeting"))).await;
    n?;
    greeting?;

    let tx = client.multi();
    tx.exec((tx.incr("spans:visits"), tx.del(["spans:greeting", "spans:visits"]))).await?;
    Ok(())
}
