//! Pipelines and transactions: typed results per command, WATCH on a connection of its own,
//! and what a broken connection means for each.

use std::time::Duration;

use tredis::prelude::*;
use tredis::Protocol;

use crate::both;
use crate::support::b;
use crate::support::{self, server::OwnServer};

both!(
    async fn pipeline_results_as_tuple_and_vec(c, k) {
        let p = c.pipeline();
        let (set, n, got, missing) =
            p.execute((p.set(k.key("a"), "1"), p.incr(k.key("n")), p.get(k.key("a")), p.get(k.key("none")))).await;
        set?;
        assert_eq!(n?, 1);
        assert_eq!(got?, Some(b("1")));
        assert_eq!(missing?, None);
        let keys: Vec<String> = (0..100).map(|i| k.key(&format!("v{i}"))).collect();
        let sets = p.execute(keys.iter().map(|key| p.set(key, key)).collect::<Vec<_>>()).await;
        assert_eq!(sets.len(), 100);
        assert!(sets.into_iter().all(|r| r.is_ok()));
        let values = p.execute(keys.iter().map(|key| p.get(key)).collect::<Vec<_>>()).await;
        for (key, v) in keys.iter().zip(values) {
            assert_eq!(v?, Some(b(key)));
        }
        // Options chain inside a pipeline as outside.
        let (won, old) = p.execute((p.set(k.key("a"), "2").nx(), p.set(k.key("a"), "3").get())).await;
        assert!(!won?);
        assert_eq!(old?, Some(b("1")));
        Ok(())
    }
);

both!(
    async fn an_error_in_a_pipeline_stays_with_its_command(c, k) {
        c.set(k.key("text"), "abc").await?;
        let p = c.pipeline();
        let (a, bad, refused, d) = p
            .execute((
                p.incr(k.key("n")),
                p.incr(k.key("text")),
                p.set(k.key("x"), "v").ex(Duration::from_millis(1500)),
                p.get(k.key("text")),
            ))
            .await;
        assert_eq!(a?, 1);
        assert_eq!(bad.unwrap_err().code(), Some("ERR"));
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::Argument);
        assert_eq!(d?, Some(b("abc")));
        // The next request gets its own reply.
        assert_eq!(c.get(k.key("text")).await?, Some(b("abc")));
        assert_eq!(c.exists(k.key("x")).await?, 0, "the refused command was not sent");
        Ok(())
    }
);

both!(
    async fn multi_exec_is_atomic_and_typed(c, k) {
        let tx = c.multi();
        let out = tx.exec((tx.incr(k.key("a")), tx.incr(k.key("a")), tx.get(k.key("a")))).await?;
        let (x, y, v) = out.expect("no WATCH, so it always runs");
        assert_eq!((x?, y?, v?), (1, 2, Some(b("2"))));
        // A command failing inside EXEC fails alone.
        c.set(k.key("text"), "abc").await?;
        let tx = c.multi();
        let (ok, bad) = tx.exec((tx.set(k.key("s"), "v"), tx.incr(k.key("text")))).await?.expect("ran");
        ok?;
        assert_eq!(bad.unwrap_err().code(), Some("ERR"));
        // An argument error sends nothing at all.
        let tx = c.multi();
        let e = tx.exec((tx.incr(k.key("a")), tx.set(k.key("s"), "v").ex(Duration::from_millis(1)))).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Argument);
        assert_eq!(c.get(k.key("a")).await?, Some(b("2")));
        Ok(())
    }
);

both!(
    async fn watch_detects_a_change(c, k) {
        let key = k.key("w");
        c.set(&key, "1").await?;
        let tx = c.watch(&key).await?;
        assert_eq!(tx.get(&key).await?, Some(b("1")));
        c.set(&key, "changed").await?;
        assert!(tx.exec((tx.set(&key, "mine"),)).await?.is_none(), "a watch failure is None, not an error");
        assert_eq!(c.get(&key).await?, Some(b("changed")));
        // Unchanged: it commits. UNWATCH makes a change irrelevant.
        let tx = c.watch([&key]).await?;
        assert!(tx.exec((tx.set(&key, "mine"),)).await?.is_some());
        let tx = c.watch(&key).await?;
        tx.unwatch().await?;
        c.set(&key, "again").await?;
        assert!(tx.exec((tx.get(&key),)).await?.is_some());
        // Dropping a transaction sends nothing; its WATCH ends with its connection.
        let tx = c.watch(&key).await?;
        drop(tx);
        c.set(&key, "after-drop").await?;
        Ok(())
    }
);

both!(
    async fn transaction_helper_retries_on_watch_failure(c, k) {
        let key = k.key("counter");
        c.set(&key, "0").await?;
        let mut attempt = 0;
        let meddler = c.clone();
        let result = c
            .transaction(&key, 5, |tx| {
                attempt += 1;
                let (meddler, key) = (meddler.clone(), key.clone());
                let meddle = attempt == 1;
                async move {
                    let v: i64 = String::from_utf8_lossy(&tx.get(&key).await?.unwrap_or_default()).parse().unwrap_or(0);
                    if meddle {
                        meddler.set(&key, "100").await?;
                    }
                    match tx.exec((tx.set(&key, (v + 1).to_string()),)).await? {
                        Some((r,)) => r.map(|()| Some(v + 1)),
                        None => Ok(None),
                    }
                }
            })
            .await?;
        assert_eq!(result, 101);
        assert_eq!(attempt, 2);
        // Always changed: it gives up with Aborted.
        let e = c
            .transaction(&key, 2, |tx| {
                let (meddler, key) = (meddler.clone(), key.clone());
                async move {
                    meddler.incr(&key).await?;
                    Ok(tx.exec((tx.incr(&key),)).await?.map(|_| ()))
                }
            })
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Aborted);
        Ok(())
    }
);

/// A BLPOP waits on a connection of its own while 10,000 GETs go through the shared one.
#[tokio::test]
async fn blocking_beside_shared_traffic() {
    let _g = support::shared().await;
    let c = support::client(Protocol::Resp3).await;
    let k = support::Keys::new("blocking_beside", Protocol::Resp3);
    k.clean(&c).await;
    c.set(k.key("g"), "v").await.unwrap();
    // The BLPOP waits far longer than the GETs can take: it ends only when the test pushes.
    let blpop = tokio::spawn({
        let c = c.clone();
        let key = k.key("empty");
        async move { c.blpop(key, Duration::from_secs(60)).await }
    });
    let mut gets = Vec::new();
    for _ in 0..10_000 {
        gets.push(std::future::IntoFuture::into_future(c.get(k.key("g"))));
    }
    for g in gets {
        assert_eq!(g.await.unwrap(), Some(b("v")));
    }
    // Every GET was answered while the BLPOP still waited: none queued behind it.
    assert!(!blpop.is_finished(), "the BLPOP ended before it was given an item");
    c.rpush(k.key("empty"), ["x"]).await.unwrap();
    let popped = tokio::time::timeout(Duration::from_secs(30), blpop).await.expect("the BLPOP woke").unwrap();
    assert_eq!(popped.unwrap(), Some((b(&k.key("empty")), b("x"))));
}

/// The server restarts under 10,000 pipelined and concurrent commands: every caller gets an
/// answer within the timeout, and the same client works afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_restart_mid_pipeline() {
    let mut server = OwnServer::start(&[]);
    let c = tredis::Client::builder()
        .url(&server.url())
        .command_timeout(Duration::from_secs(5))
        .reconnect_backoff(Duration::from_millis(5), Duration::from_millis(50))
        .build()
        .unwrap();
    c.ready().await.unwrap();
    // 100 tasks with pipelines of 100: 10,000 commands in flight at once, many times over,
    // while the server goes down and comes back.
    let mut tasks = Vec::new();
    for t in 0..100 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let mut outcomes = (0, 0);
            for round in 0..40 {
                let p = c.pipeline();
                let results = p
                    .execute((0..100).map(|i| p.incr(format!("rk:{t}:{round}:{i}"))).collect::<Vec<_>>())
                    .await;
                for r in results {
                    match r {
                        Ok(_) => outcomes.0 += 1,
                        Err(_) => outcomes.1 += 1,
                    }
                }
                match c.incr(format!("single:{t}")).await {
                    Ok(_) => outcomes.0 += 1,
                    Err(_) => outcomes.1 += 1,
                }
            }
            outcomes
        }));
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    server.restart();
    let (mut ok, mut failed) = (0, 0);
    for t in tasks {
        let (a, b) =
            tokio::time::timeout(Duration::from_secs(30), t).await.expect("every caller answered").unwrap();
        ok += a;
        failed += b;
    }
    assert_eq!(ok + failed, 100 * 40 * 101);
    assert!(failed > 0, "the restart hit no request; the test proves nothing");
    // The same client, not rebuilt, works again.
    let mut tries = 0;
    while c.ping().await.is_err() {
        tries += 1;
        assert!(tries < 100, "the client did not recover");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    c.set("after", "restart").await.unwrap();
}

/// CLIENT KILL while a transaction waits (paused writes): it is not reported as committed.
#[tokio::test]
async fn connection_killed_mid_transaction() {
    let server = OwnServer::start(&[]);
    let c = tredis::Client::builder().url(&server.url()).client_name("tx-victim").build().unwrap();
    c.ready().await.unwrap();
    let admin = tredis::Client::connect(&server.url()).await.unwrap();
    let id = c.client_id().await.unwrap();
    admin.client_pause(Duration::from_secs(5)).write().await.unwrap();
    let tx_task = tokio::spawn({
        let c = c.clone();
        async move {
            let tx = c.multi();
            tx.exec((tx.incr("txk"), tx.incr("txk"))).await
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    admin.client_kill().id(id).await.unwrap();
    admin.client_unpause().await.unwrap();
    let e = tx_task.await.unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Indeterminate, "{e}");
    assert_eq!(admin.get("txk").await.unwrap(), None, "nothing was applied");
    // The client recovers, and the next transaction runs.
    let tx = c.multi();
    assert!(tx.exec((tx.incr("txk"),)).await.unwrap().is_some());
}

/// The connection holding a WATCH is lost: the transaction fails as never sent, instead of
/// running EXEC unwatched on a new connection over a change it should have seen.
#[tokio::test]
async fn a_watch_lost_with_its_connection_is_never_run_unwatched() {
    let server = OwnServer::start(&[]);
    let c = tredis::Client::connect(&server.url()).await.unwrap();
    let admin = tredis::Client::connect(&server.url()).await.unwrap();
    admin.set("wk", "1").await.unwrap();
    let tx = c.watch("wk").await.unwrap();
    assert_eq!(tx.get("wk").await.unwrap(), Some(b("1")));
    let id = tx.client_id().await.unwrap();
    admin.client_kill().id(id).await.unwrap();
    admin.set("wk", "changed").await.unwrap();
    // Time for a reconnect, were there one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let e = tx.get("wk").await.unwrap_err();
    assert!(e.is_unexecuted(), "a read is not answered by a connection without the WATCH: {e}");
    let e = tx.exec((tx.set("wk", "mine"),)).await.unwrap_err();
    assert!(e.is_unexecuted(), "{e}");
    assert_eq!(e.command(), Some("EXEC"));
    assert_eq!(admin.get("wk").await.unwrap(), Some(b("changed")), "EXEC never ran");
    drop(tx);
    // The next transaction gets a connection of its own and commits.
    let tx = c.watch("wk").await.unwrap();
    assert!(tx.exec((tx.set("wk", "mine"),)).await.unwrap().is_some());
    assert_eq!(admin.get("wk").await.unwrap(), Some(b("mine")));
}

/// The server runs a transaction, then drops the connection before its reply is out (the
/// output buffer limit): the caller gets Indeterminate and nothing is sent again.
#[tokio::test]
async fn executed_but_reply_lost() {
    let server = OwnServer::start(&["--client-output-buffer-limit", "normal 1kb 0 0"]);
    let c = tredis::Client::connect(&server.url()).await.unwrap();
    c.set("big", vec![b'x'; 200 * 1024]).await.unwrap();
    let tx = c.multi();
    let e = tx.exec((tx.incr("txk"), tx.get("big"))).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Indeterminate, "{e}");
    let counter = c.get("txk").await.unwrap();
    assert_eq!(counter, Some(b("1")), "ran once, never replayed");
    // Even an idempotent request is not resent when its reply was lost this way... unless asked.
    let e = c.get("big").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Indeterminate);
}

/// A reply that arrives after its caller timed out is discarded, never handed to another.
#[tokio::test]
async fn late_reply_after_a_timeout() {
    let server = OwnServer::start(&[]);
    let c = tredis::Client::builder()
        .url(&server.url())
        .command_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    c.ready().await.unwrap();
    let admin = tredis::Client::connect(&server.url()).await.unwrap();
    let keys: Vec<String> = (0..1000).map(|i| format!("late:{i}")).collect();
    admin.mset(keys.iter().map(|k| (k, k))).await.unwrap();
    admin.client_pause(Duration::from_millis(400)).await.unwrap();
    let e = c.get(&keys[0]).await.unwrap_err();
    // Written, so it may have run: indeterminate, caused by the deadline.
    assert_eq!(e.kind(), ErrorKind::Indeterminate, "{e}");
    assert!(e.is_timeout(), "{e}");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mut gets = Vec::new();
    for k in &keys {
        gets.push((k, std::future::IntoFuture::into_future(c.get(k).with_timeout(Duration::from_secs(5)))));
    }
    for (k, g) in gets {
        assert_eq!(g.await.unwrap(), Some(b(k)), "a reply went to the wrong caller");
    }
}

/// With the server down and the queue bounded at 100, the 101st request fails at once.
#[tokio::test]
async fn full_wait_queue_fails_fast() {
    let mut server = OwnServer::start(&[]);
    let lost = std::sync::Arc::new(tokio::sync::Notify::new());
    let notify = lost.clone();
    let c = tredis::Client::builder()
        .url(&server.url())
        .max_queued(100)
        .reconnect_backoff(Duration::from_secs(5), Duration::from_secs(5))
        .on_close(move |_| notify.notify_one())
        .build()
        .unwrap();
    c.ping().await.unwrap();
    server.stop();
    lost.notified().await;
    // Let the first reconnection attempt fail; the next one is seconds away.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut queued = Vec::new();
    for _ in 0..100 {
        queued.push(std::future::IntoFuture::into_future(c.ping()));
    }
    // At once, not after the next reconnection attempt, seconds away.
    let e =
        tokio::time::timeout(Duration::from_secs(2), c.ping()).await.expect("refused at once").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::QueueFull, "{e}");
    c.close().await;
    for q in queued {
        assert!(q.await.is_err());
    }
}
