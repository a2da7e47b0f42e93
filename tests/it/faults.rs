//! A hostile or broken server cannot take the client down, and no caller is left hanging:
//! malformed frames, forged lengths, deep nesting, EOF in the middle of a reply, replies of the
//! wrong shape, and replies nobody asked for (reliability scenarios 37-40).

use std::time::Duration;

use tokio::time::timeout;
use tredis::prelude::*;
use tredis::{Client, Protocol};

use crate::support::fake::{Conn, Fake};

const LIMIT: Duration = Duration::from_secs(5);

async fn client(fake: &Fake) -> Client {
    let c = Client::builder()
        .url(&fake.url())
        .protocol(Protocol::Resp2)
        .reconnect_backoff(Duration::from_millis(5), Duration::from_millis(20))
        .build()
        .unwrap();
    c.ready().await.unwrap();
    c
}

/// Sends `garbage` after reading `n` requests on the first connection, then behaves.
async fn garbage_after(n: usize, garbage: &'static [u8]) -> Fake {
    Fake::first_then_echo(move |mut conn: Conn| async move {
        conn.commands(n).await;
        conn.send(garbage).await;
        // Keep the socket open: the client must close it on its own.
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await
}

/// A written request whose reply could not be read: indeterminate, caused by a protocol error.
fn assert_broken_stream(e: &tredis::Error, what: &str) {
    assert_eq!(e.kind(), ErrorKind::Indeterminate, "{what}: {e}");
    assert!(e.to_string().contains("SET"), "{what}: {e}");
    let cause = std::error::Error::source(e).and_then(|s| s.downcast_ref::<tredis::Error>());
    assert_eq!(cause.map(tredis::Error::kind), Some(ErrorKind::Protocol), "{what}: the cause of {e}");
}

/// Every in-flight request fails as indeterminate (it was written; the stream broke before
/// its reply), with the protocol error as cause, and the client recovers.
async fn assert_protocol_error_then_recovery(garbage: &'static [u8], what: &str) {
    let fake = garbage_after(3, garbage).await;
    let c = client(&fake).await;
    // Writes: a read lost this way is simply read again.
    let (a, b, d) = tokio::join!(c.set("a", "1"), c.set("b", "1"), c.set("c", "1"));
    for r in [a, b, d] {
        assert_broken_stream(&r.expect_err(what), what);
    }
    // A fresh connection serves the next request.
    let v = timeout(LIMIT, c.get("x")).await.expect("no hang").unwrap();
    assert_eq!(v.as_deref(), Some(&b"x"[..]), "{what}");
    assert_eq!(fake.accepted.load(std::sync::atomic::Ordering::SeqCst), 2, "{what}");
}

#[tokio::test]
async fn malformed_frames_fail_in_flight_requests() {
    let cases: [(&'static [u8], &str); 7] = [
        (b"?oops\r\n", "bad type byte"),
        (b"$-5\r\n", "negative length"),
        (b"$abc\r\n", "non-digit length"),
        (b"$3\r\nabcXY", "missing CRLF"),
        (b":99999999999999999999999\r\n", "i64 overflow"),
        (b"$2147483647\r\n", "huge bulk length"),
        (b"*-7\r\n", "negative array length"),
    ];
    for (garbage, what) in cases {
        timeout(LIMIT, assert_protocol_error_then_recovery(garbage, what)).await.expect(what);
    }
}

#[tokio::test]
async fn deep_nesting_is_refused_without_overflowing_the_stack() {
    static DEEP: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let deep = DEEP.get_or_init(|| {
        let mut v = b"*1\r\n".repeat(10_000);
        v.extend_from_slice(b":1\r\n");
        v
    });
    timeout(LIMIT, assert_protocol_error_then_recovery(deep, "10,000-deep nesting")).await.unwrap();
}

#[tokio::test]
async fn forged_aggregate_length_then_eof() {
    // A claimed 2^31 elements must not allocate for them; EOF ends it with an error.
    let fake = Fake::first_then_echo(|mut conn: Conn| async move {
        conn.commands(1).await;
        conn.send(b"*2147483647\r\n:1\r\n:2\r\n").await;
    })
    .await;
    let c = client(&fake).await;
    let e = timeout(LIMIT, c.set("a", "1")).await.unwrap().unwrap_err();
    assert_broken_stream(&e, "forged length");
    assert!(timeout(LIMIT, c.get("b")).await.unwrap().is_ok());
}

#[tokio::test]
async fn eof_mid_frame_is_an_error_not_a_hang() {
    let fake = Fake::first_then_echo(|mut conn: Conn| async move {
        conn.commands(2).await;
        conn.send(b"$5\r\nhel").await;
    })
    .await;
    let c = client(&fake).await;
    let (a, b) =
        timeout(LIMIT, async { tokio::join!(c.set("a", "1"), c.set("b", "1")) }).await.expect("no hang");
    for r in [a, b] {
        assert_broken_stream(&r.unwrap_err(), "EOF mid-frame");
    }
    assert!(timeout(LIMIT, c.get("c")).await.unwrap().is_ok());
}

#[tokio::test]
async fn dropped_connection_fails_every_pending_request() {
    let fake = Fake::first_then_echo(|mut conn: Conn| async move {
        conn.commands(5).await;
        conn.send(b"+OK\r\n").await;
        // Close with four requests unanswered.
    })
    .await;
    let c = client(&fake).await;
    let results =
        tokio::join!(c.set("a", "1"), c.set("b", "1"), c.set("c", "1"), c.set("d", "1"), c.set("e", "1"));
    assert!(results.0.is_ok());
    for r in [results.1, results.2, results.3, results.4] {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Indeterminate, "{e}");
        assert!(e.to_string().contains("may or may not have run"), "{e}");
    }
    assert!(timeout(LIMIT, c.get("f")).await.unwrap().is_ok());
}

#[tokio::test]
async fn wrong_reply_shape_is_a_typed_error_and_the_connection_stays() {
    let fake = Fake::start(|mut conn: Conn, _| async move {
        conn.commands(1).await;
        // GET answered with an integer.
        conn.send(b":42\r\n").await;
        conn.echo_server().await;
    })
    .await;
    let c = client(&fake).await;
    let e = c.get("a").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(e.to_string().contains("GET") && e.to_string().contains("got integer"), "{e}");
    assert_eq!(c.get("b").await.unwrap().as_deref(), Some(&b"b"[..]));
    assert_eq!(fake.accepted.load(std::sync::atomic::Ordering::SeqCst), 1, "no reconnect was needed");
}

/// A reply nobody asked for, when a request is in flight: the connection is out of step, so
/// the replies of that read are not trusted (indeterminate), and the connection is remade.
#[tokio::test]
async fn unsolicited_reply_closes_the_connection() {
    let fake = Fake::first_then_echo(|mut conn: Conn| async move {
        conn.commands(1).await;
        // The reply to the GET, and one more.
        conn.send(b"+OK\r\n+SURPRISE\r\n").await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let c = client(&fake).await;
    let e = timeout(LIMIT, c.set("a", "1")).await.expect("no hang").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Indeterminate, "{e}");
    assert!(e.to_string().contains("out of step"), "{e}");
    let v = timeout(LIMIT, c.get("z")).await.expect("no hang").unwrap();
    assert_eq!(v.as_deref(), Some(&b"z"[..]));
}

/// Bytes a server sends right after its handshake replies (after HELLO under RESP3, after
/// the closing PING under RESP2) never reach a caller as an answer: the handshake sees the
/// connection out of step and makes another.
#[tokio::test]
async fn extra_reply_after_the_handshake_never_reaches_a_caller() {
    for protocol in [Protocol::Resp3, Protocol::Resp2] {
        let fake = Fake::first_then_echo(move |mut conn: Conn| async move {
            conn.raw();
            let first = loop {
                // The library's name and version come before the closing PING.
                let cmd = conn.command().await.unwrap();
                if cmd.len() == 4 && cmd[1] == "SETINFO" {
                    conn.send(b"-ERR unknown subcommand 'SETINFO'\r\n").await;
                    continue;
                }
                break cmd;
            };
            if first[0] == "HELLO" {
                conn.send(b"%1\r\n$5\r\nproto\r\n:3\r\n$5\r\nWRONG\r\n").await;
            } else {
                assert_eq!(first[0], "PING");
                let echo = format!("${}\r\n{}\r\n", first[1].len(), String::from_utf8_lossy(&first[1]));
                conn.send(format!("{echo}$5\r\nWRONG\r\n").as_bytes()).await;
            }
            tokio::time::sleep(Duration::from_secs(30)).await;
        })
        .await;
        let c = Client::builder()
            .url(&fake.url())
            .protocol(protocol)
            .reconnect_backoff(Duration::from_millis(5), Duration::from_millis(20))
            .build()
            .unwrap();
        let mut refused = 0;
        loop {
            match timeout(LIMIT, c.get("k")).await.expect("no hang") {
                Ok(v) => {
                    assert_eq!(
                        v.as_deref(),
                        Some(&b"k"[..]),
                        "{protocol:?}: another reply reached the caller"
                    );
                    break;
                }
                Err(e) => {
                    assert!(e.is_unexecuted(), "{protocol:?}: {e}");
                    assert!(e.to_string().contains("out of step"), "{protocol:?}: {e}");
                    refused += 1;
                    assert!(refused < 3, "{protocol:?}: {e}");
                }
            }
        }
        assert_eq!(fake.accepted.load(std::sync::atomic::Ordering::SeqCst), 2, "{protocol:?}");
    }
}

#[tokio::test]
async fn push_frames_never_answer_a_request() {
    let fake = Fake::start(|mut conn: Conn, _| async move {
        let cmds = conn.commands(2).await;
        assert_eq!(cmds.len(), 2);
        // An invalidation push arrives between the two replies.
        conn.send(b"$1\r\na\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n$1\r\nb\r\n").await;
        conn.echo_server().await;
    })
    .await;
    let c = client(&fake).await;
    let (a, b) = tokio::join!(c.get("a"), c.get("b"));
    assert_eq!(a.unwrap().as_deref(), Some(&b"a"[..]));
    assert_eq!(b.unwrap().as_deref(), Some(&b"b"[..]));
}

#[tokio::test]
async fn hello_falls_back_to_resp2_on_old_servers() {
    let fake = Fake::start(|mut conn: Conn, _| async move {
        let hello = conn.command().await.unwrap();
        assert_eq!(hello[0], "HELLO");
        conn.send(b"-ERR unknown command 'HELLO'\r\n").await;
        let name = conn.command().await.unwrap();
        assert_eq!(name[..2], ["CLIENT", "SETNAME"]);
        conn.send(b"+OK\r\n").await;
        let select = conn.command().await.unwrap();
        assert_eq!(select, ["SELECT", "3"]);
        conn.send(b"+OK\r\n").await;
        conn.echo_server().await;
    })
    .await;
    let c = Client::builder().url(&format!("{}/3", fake.url())).client_name("old").build().unwrap();
    c.ready().await.unwrap();
    assert_eq!(c.get("q").await.unwrap().as_deref(), Some(&b"q"[..]));
}

#[tokio::test]
async fn loading_and_tryagain_are_retried_transparently() {
    let fake = Fake::start(|mut conn: Conn, _| async move {
        conn.commands(1).await;
        conn.send(b"-LOADING Redis is loading the dataset in memory\r\n").await;
        conn.commands(1).await;
        conn.send(b"-TRYAGAIN Multiple keys request during rehashing of slot\r\n").await;
        conn.echo_server().await;
    })
    .await;
    let c = client(&fake).await;
    let v = timeout(LIMIT, c.get("k")).await.unwrap().unwrap();
    assert_eq!(v.as_deref(), Some(&b"k"[..]));
}

#[tokio::test]
async fn idempotent_requests_are_resent_after_a_lost_connection() {
    let fake = Fake::first_then_echo(|mut conn: Conn| async move {
        // Read the request, then drop the connection without answering.
        conn.commands(1).await;
    })
    .await;
    let c = client(&fake).await;
    let v = timeout(LIMIT, c.get("k").idempotent()).await.unwrap().unwrap();
    assert_eq!(v.as_deref(), Some(&b"k"[..]));
    // A write without the mark: the same loss is indeterminate.
    let fake = Fake::first_then_echo(|mut conn: Conn| async move {
        conn.commands(1).await;
    })
    .await;
    let c = client(&fake).await;
    let e = timeout(LIMIT, c.set("k", "1")).await.unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Indeterminate, "{e}");
    // A read is read again: reading twice is harmless.
    let fake = Fake::first_then_echo(|mut conn: Conn| async move {
        conn.commands(1).await;
    })
    .await;
    let c = client(&fake).await;
    let v = timeout(LIMIT, c.get("r")).await.unwrap().unwrap();
    assert_eq!(v.as_deref(), Some(&b"r"[..]));
}
