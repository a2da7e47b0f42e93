//! Raw commands on one server: any command by name, its reply as a `Value` or a type of the
//! caller's, the server's own errors, names refused before sending, blocking commands, raw
//! commands in pipelines and transactions, and the fate of a raw write whose reply was lost.

use std::time::Duration;

use tredis::prelude::*;
use tredis::reply::DecodeError;
use tredis::{FromValue, Protocol, Value};

use crate::both;
use crate::support::fake::{Conn, Fake};
use crate::support::{self, b, server::OwnServer};

/// A reply read as text: a `FromValue` type of the caller's own.
#[derive(Debug, PartialEq)]
struct Text(String);

impl FromValue for Text {
    fn from_value(v: Value) -> Result<Text, DecodeError> {
        match v {
            Value::Bulk(t) | Value::Simple(t) => Ok(Text(String::from_utf8_lossy(&t).into_owned())),
            other => Err(DecodeError::mismatch("text", &other)),
        }
    }
}

/// A reply read as a number: an integer, or the text of one.
#[derive(Debug, PartialEq)]
struct Num(i64);

impl FromValue for Num {
    fn from_value(v: Value) -> Result<Num, DecodeError> {
        match v {
            Value::Int(n) => Ok(Num(n)),
            Value::Bulk(t) => std::str::from_utf8(&t)
                .ok()
                .and_then(|t| t.parse().ok())
                .map(Num)
                .ok_or_else(|| DecodeError::new("not a number")),
            other => Err(DecodeError::mismatch("a number", &other)),
        }
    }
}

both!(
    async fn raw_commands_round_trip(c, k) {
        let set = c.raw("SET").key(k.key("s")).arg("v").await?;
        assert_eq!(set, Value::Simple(b("OK")));
        assert_eq!(c.raw("get").key(k.key("s")).reply::<Text>().await?, Text("v".into()));
        assert_eq!(c.get(k.key("s")).await?, Some(b("v")), "the generated method reads what a raw one wrote");
        // Many arguments at once, numbers and floats.
        let added = c.raw("HSET").key(k.key("h")).args(["a", "1", "b", "2"]).await?;
        assert_eq!(added, Value::Int(2));
        c.raw("HINCRBYFLOAT").key(k.key("h")).arg("a").arg(0.5).await?;
        c.raw("HINCRBY").key(k.key("h")).arg("b").arg(-5i64).await?;
        let mut all = match c.raw("HGETALL").key(k.key("h")).await? {
            // RESP3 answers a map, RESP2 a flat array.
            Value::Map(pairs) => pairs,
            Value::Array(items) => items.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect(),
            other => panic!("HGETALL answered {other:?}"),
        };
        all.sort_by_key(|(f, _)| format!("{f:?}"));
        let field = |f: &str, v: &str| (Value::Bulk(b(f)), Value::Bulk(b(v)));
        assert_eq!(all, vec![field("a", "1.5"), field("b", "-3")]);
        assert_eq!(c.hget(k.key("h"), "b").await?, Some(b("-3")));
        // A subcommand: its words in the name, or as arguments, send the same.
        let named = c.raw("CONFIG GET").arg("maxmemory").await?;
        assert_eq!(named, c.raw("config").arg("get").arg("maxmemory").await?);
        assert_eq!(c.raw("INCRBY").key(k.key("n")).arg(41).reply::<Num>().await?, Num(41));
        let n = c.raw("INCR").key(k.key("n")).reply::<Num>();
        let n = n.idempotent().with_timeout(Duration::from_secs(30));
        assert_eq!(n.await?, Num(42));
        Ok(())
    }
);

both!(
    async fn raw_errors_are_the_servers_own(c, k) {
        let e = c.raw("NO.SUCH.COMMAND").key(k.key("x")).arg(1).await.unwrap_err();
        assert_eq!((e.kind(), e.code()), (ErrorKind::Redis, Some("ERR")), "{e}");
        assert!(e.server_message().unwrap().contains("unknown command"), "{e}");
        assert_eq!(e.command(), Some("NO.SUCH.COMMAND"));
        let e = c.raw("GET").await.unwrap_err();
        assert!(e.server_message().unwrap().contains("wrong number of arguments"), "{e}");
        // A reply of another shape than the caller's type takes.
        c.set(k.key("s"), "text").await?;
        let e = c.raw("HGETALL").key(k.key("s")).reply::<Num>().await.unwrap_err();
        assert_eq!(e.code(), Some("WRONGTYPE"), "{e}");
        let e = c.raw("GET").key(k.key("s")).reply::<Num>().await.unwrap_err();
        assert_eq!((e.kind(), e.command()), (ErrorKind::Protocol, Some("GET")), "{e}");
        // The connection keeps its place: the next reply is the next request's.
        assert_eq!(c.raw("GET").key(k.key("s")).reply::<Text>().await?, Text("text".into()));
        Ok(())
    }
);

both!(
    async fn raw_commands_that_would_change_a_shared_connection_are_refused(c, k) {
        for name in ["SELECT", "multi", "WATCH", "subscribe", "client  reply", "HELLO", "QUIT"] {
            let e = c.raw(name).arg("1").await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Argument, "{name}: {e}");
            assert!(e.is_unexecuted(), "{e}");
            assert!(e.to_string().contains("cannot be sent as a raw command"), "{e}");
        }
        let e = c.raw("select").arg(3).await.unwrap_err();
        assert_eq!(e.command(), Some("SELECT"));
        assert!(e.to_string().contains("database"), "the spec's reason: {e}");
        assert_eq!(c.raw(" ").await.unwrap_err().kind(), ErrorKind::Argument);
        let e = c.raw("SET").key(k.key("f")).arg(f64::NAN).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Argument, "{e}");
        assert_eq!(c.exists(k.key("f")).await?, 0, "nothing was sent");
        Ok(())
    }
);

/// A blocking command of the spec, sent raw, runs on a connection of its own: the client's
/// other requests are answered while it waits. (On a shared connection they would wait
/// behind it until their deadline.)
#[tokio::test]
async fn a_raw_blocking_command_waits_on_a_connection_of_its_own() {
    for protocol in support::PROTOCOLS {
        let _guard = support::shared().await;
        let name = format!("raw-blpop-{protocol:?}");
        let c = support::named_client(&name, protocol).await;
        let k = support::Keys::new("raw_blocking", protocol);
        k.clean(&c).await;
        let popped = tokio::spawn({
            let (c, q) = (c.clone(), k.key("q"));
            async move { c.raw("BLPOP").key(q).arg(0).await }
        });
        support::blocked_id(&c, &name).await;
        for _ in 0..3 {
            c.set(k.key("x"), "1").await.unwrap();
        }
        c.raw("RPUSH").key(k.key("q")).arg("job").await.unwrap();
        let got = popped.await.unwrap().unwrap();
        assert_eq!(
            got,
            Value::Array(vec![Value::Bulk(b(&k.key("q"))), Value::Bulk(b("job"))]),
            "{protocol:?}"
        );
        // Told how long it blocks, it gives up when the server does.
        let none = c.raw("BLPOP").key(k.key("empty")).arg(1).blocking(Duration::from_secs(1)).await.unwrap();
        assert_eq!(none, Value::Null);
    }
}

both!(
    async fn raw_commands_in_pipelines_and_transactions(c, k) {
        let p = c.pipeline();
        let (set, n, bad, got) = p
            .execute((
                p.raw("SET").key(k.key("a")).arg(1),
                p.raw("INCR").key(k.key("a")).reply::<Num>(),
                p.raw("NO.SUCH.COMMAND"),
                p.get(k.key("a")),
            ))
            .await;
        assert_eq!(set?, Value::Simple(b("OK")));
        assert_eq!(n?, Num(2));
        let bad = bad.unwrap_err();
        assert_eq!((bad.code(), bad.command()), (Some("ERR"), Some("NO.SUCH.COMMAND")), "{bad}");
        assert_eq!(got?, Some(b("2")));
        let appends: Vec<_> = (0..5).map(|i| p.raw("APPEND").key(k.key("s")).arg(i)).collect();
        let lens = p.execute(appends).await;
        let lens: Vec<Value> = lens.into_iter().collect::<Result<_, _>>()?;
        assert_eq!(lens, (1..=5).map(Value::Int).collect::<Vec<_>>());

        let tx = c.multi();
        let (x, y) = tx.exec((tx.raw("INCR").key(k.key("a")), tx.incr(k.key("a")))).await?.expect("no WATCH");
        assert_eq!((x?, y?), (Value::Int(3), 4));
        // A refused raw command sends nothing of its transaction.
        let e = tx.exec((tx.incr(k.key("a")), tx.raw("SELECT").arg(1))).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Argument, "{e}");
        assert_eq!(c.get(k.key("a")).await?, Some(b("4")));
        // Awaited through a WATCH transaction, it reads on the transaction's connection.
        let tx = c.watch(k.key("a")).await?;
        let seen = tx.raw("GET").key(k.key("a")).reply::<Num>().await?;
        let out = tx.exec((tx.raw("SET").key(k.key("a")).arg(seen.0 * 10),)).await?;
        let out = out.expect("nothing changed `a`");
        assert_eq!(out.0?, Value::Simple(b("OK")));
        assert_eq!(c.get(k.key("a")).await?, Some(b("40")));
        Ok(())
    }
);

/// The server runs a raw command it does not know by that name to the spec, then drops the
/// connection before its reply is out (the output buffer limit): the caller gets
/// Indeterminate, and the command, which may write, is never sent again.
#[tokio::test]
async fn a_raw_write_whose_reply_was_lost_is_indeterminate_and_not_sent_again() {
    let server = OwnServer::start(&[
        "--client-output-buffer-limit",
        "normal 1kb 0 0",
        "--rename-command",
        "LPOP",
        "RAWLPOP",
    ]);
    for protocol in support::PROTOCOLS {
        let c = support::client_for(&server.url(), protocol).await;
        let big = vec![b'x'; 200 * 1024];
        c.rpush("jobs", [&big, &big, &big]).await.unwrap();
        let e = c.raw("RAWLPOP").key("jobs").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Indeterminate, "{protocol:?}: {e}");
        assert_eq!(e.command(), Some("RAWLPOP"));
        assert_eq!(c.llen("jobs").await.unwrap(), 2, "{protocol:?}: it ran once, and was not sent again");
        c.del("jobs").await.unwrap();
    }
}

/// A fake server that drops its first connection after reading one command; later ones
/// behave. Returns what `request` ended with on a client of it.
async fn first_cut<F, Fut>(request: F) -> Result<Value, tredis::Error>
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = Result<Value, tredis::Error>>,
{
    let fake = Fake::first_then_echo(|mut conn: Conn| async move {
        conn.commands(1).await;
    })
    .await;
    let c = Client::builder()
        .url(&fake.url())
        .protocol(Protocol::Resp2)
        .reconnect_backoff(Duration::from_millis(5), Duration::from_millis(20))
        .build()
        .unwrap();
    c.ready().await.unwrap();
    request(c).await
}

/// A raw command unknown to the spec may write: lost in flight, it is not sent again unless
/// marked idempotent. One the spec knows keeps its facts: a read is read again.
#[tokio::test]
async fn a_raw_command_lost_in_flight_is_sent_again_only_when_that_is_safe() {
    let e = first_cut(|c| async move { c.raw("MYMODULE.WRITE").key("k").arg(1).await }).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Indeterminate, "{e}");
    assert_eq!(e.command(), Some("MYMODULE.WRITE"));
    let again =
        first_cut(|c| async move { c.raw("MYMODULE.WRITE").key("k").arg(1).idempotent().await }).await;
    assert_eq!(again.unwrap(), Value::Simple(b("OK")), "marked idempotent, it went out again");
    let read = first_cut(|c| async move { c.raw("GET").key("k").await }).await;
    assert_eq!(read.unwrap(), Value::Bulk(b("k")), "GET only reads, per the spec");
    let e = first_cut(|c| async move { c.raw("SET").key("k").arg(1).await }).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Indeterminate, "SET writes, per the spec: {e}");
}
