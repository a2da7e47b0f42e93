//! The client itself: URLs and options, credentials, the handshake replayed on reconnect,
//! `on_close`, `close`, `auto_connect`, the hosts list, and many tasks on one connection.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::time::timeout;
use tredis::prelude::*;
use tredis::{Client, Protocol};

use crate::support::{self, Keys};

const LIMIT: Duration = Duration::from_secs(10);

/// A TCP port nothing listens on.
fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn database_and_name_from_url_and_builder() {
    let _g = support::shared().await;
    let k = Keys::new("database_and_name", Protocol::Resp3);
    for proto in support::PROTOCOLS {
        let url = format!("{}/5?client_name=tredis-test", support::url());
        let c = support::client_for(&url, proto).await;
        assert_eq!(c.client_getname().await.unwrap().as_deref(), Some("tredis-test"));
        assert_eq!(c.client_info().await.unwrap().db(), Some(5));
        c.set(k.key("db5"), "x").await.unwrap();
        let db0 = support::client(proto).await;
        assert_eq!(db0.get(k.key("db5")).await.unwrap(), None);
        let built = Client::builder()
            .url(&support::url())
            .db(5)
            .client_name("built")
            .protocol(proto)
            .build()
            .unwrap();
        assert_eq!(built.get(k.key("db5")).await.unwrap(), Some(Bytes::from("x")));
        assert_eq!(built.client_getname().await.unwrap().as_deref(), Some("built"));
        c.del(k.key("db5")).await.unwrap();
    }
}

#[tokio::test]
async fn handshake_is_replayed_on_reconnect() {
    let _g = support::shared().await;
    for proto in support::PROTOCOLS {
        let closes = Arc::new(AtomicUsize::new(0));
        let seen = closes.clone();
        let c = Client::builder()
            .url(&format!("{}/7", support::url()))
            .client_name("replayed")
            .protocol(proto)
            .on_close(move |event| {
                assert!(event.error.kind() == ErrorKind::Indeterminate, "{}", event.error);
                seen.fetch_add(1, Ordering::SeqCst);
            })
            .build()
            .unwrap();
        let id = c.client_id().await.unwrap();
        let killer = support::client(Protocol::Resp3).await;
        assert_eq!(killer.client_kill().id(id).await.unwrap(), 1);
        // The next request may race the detection of the kill; it is then retried by hand.
        let info = loop {
            match c.client_info().await {
                Ok(info) => break info,
                Err(e) => assert_eq!(e.kind(), ErrorKind::Indeterminate, "{e}"),
            }
        };
        assert_ne!(info.id(), Some(id));
        assert_eq!(info.db(), Some(7), "SELECT replayed");
        assert_eq!(info.name(), Some("replayed"), "name replayed");
        assert_eq!(info.resp(), Some(if proto == Protocol::Resp3 { 3 } else { 2 }), "protocol replayed");
        assert_eq!(closes.load(Ordering::SeqCst), 1, "on_close once per lost connection");
    }
}

#[tokio::test]
async fn credentials() {
    let (host, port) = support::host_port(&support::auth_url());
    for proto in support::PROTOCOLS {
        let ok = support::client_for(&format!("redis://:secret@{host}:{port}"), proto).await;
        ok.ping().await.unwrap();
        let acl = support::client_for(&format!("redis://alice:wonderland@{host}:{port}"), proto).await;
        assert!(acl.client_info().await.unwrap().get("user") == Some("alice"));
        let built = Client::builder()
            .url(&format!("redis://{host}:{port}"))
            .username("alice")
            .password("wonderland")
            .protocol(proto)
            .build()
            .unwrap();
        built.ready().await.unwrap();

        let e = Client::connect(&format!(
            "redis://:wrong@{host}:{port}/?protocol={}",
            if proto == Protocol::Resp3 { 3 } else { 2 }
        ))
        .await
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
        let e = Client::connect(&format!("redis://alice:wrong@{host}:{port}")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
        // No credentials: HELLO is refused (RESP3), or the first command is (RESP2).
        let none = Client::builder().url(&format!("redis://{host}:{port}")).protocol(proto).build().unwrap();
        let e = none.ping().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    }
}

#[tokio::test]
async fn connect_failures_are_reported_not_hung() {
    let port = dead_port();
    let e = Client::connect(&format!("redis://127.0.0.1:{port}")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect);
    assert!(e.to_string().contains(&port.to_string()), "{e}");
    let c = Client::new(&format!("redis://127.0.0.1:{port}")).unwrap();
    let e = timeout(LIMIT, c.get("k")).await.expect("no hang").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
}

#[tokio::test]
async fn hosts_list_uses_the_first_that_answers() {
    let _g = support::shared().await;
    let dead = format!("redis://127.0.0.1:{}", dead_port());
    let c = Client::builder().hosts([dead.as_str(), support::url().as_str()]).build().unwrap();
    c.ready().await.unwrap();
    c.ping().await.unwrap();
    assert_eq!(c.hosts().len(), 2);
}

#[tokio::test]
async fn auto_connect_off_waits_for_ready() {
    let _g = support::shared().await;
    let c = Client::builder().url(&support::url()).auto_connect(false).build().unwrap();
    let e = c.ping().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect);
    assert!(e.to_string().contains("ready"), "{e}");
    c.ready().await.unwrap();
    c.ping().await.unwrap();
}

#[tokio::test]
async fn close_fails_later_requests() {
    let _g = support::shared().await;
    let c = support::client(Protocol::Resp3).await;
    let clone = c.clone();
    c.ping().await.unwrap();
    c.close().await;
    let e = clone.ping().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
    assert!(e.to_string().contains("PING"), "{e}");
}

#[tokio::test]
async fn bad_configuration_is_named() {
    let e = Client::new("redis://127.0.0.1:notaport").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("port `notaport`"), "{e}");
    let e = Client::builder().url("redis://h").client_name("has space").build().unwrap_err();
    assert!(e.to_string().contains("client_name"), "{e}");
    let e = Client::builder().build().unwrap_err();
    assert!(e.to_string().contains("no server"), "{e}");
    let e = Client::builder().hosts(["redis://a/1", "redis://b/2"]).build().unwrap_err();
    assert!(e.to_string().contains("another database"), "{e}");
    let e = Client::builder().url("redis://h").connect_timeout(Duration::ZERO).build().unwrap_err();
    assert!(e.to_string().contains("connect_timeout"), "{e}");
}

#[test]
fn building_outside_a_runtime_is_a_config_error() {
    let e = Client::new("redis://127.0.0.1").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("tokio runtime"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_share_one_connection_without_mixing_replies() {
    let _g = support::shared().await;
    let c = support::client(Protocol::Resp3).await;
    let k = Keys::new("many_tasks", Protocol::Resp3);
    let keys: Vec<String> = (0..100).map(|i| k.key(&i.to_string())).collect();
    c.mset(keys.iter().map(|key| (key, key))).await.unwrap();
    let mut tasks = Vec::new();
    for t in 0..50 {
        let c = c.clone();
        let keys = keys.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..200 {
                let key = &keys[(t * 7 + i) % keys.len()];
                let v = c.get(key).await.unwrap().unwrap();
                assert_eq!(v, key.as_bytes(), "a reply went to the wrong caller");
            }
        }));
    }
    for t in tasks {
        timeout(LIMIT, t).await.expect("no hang").unwrap();
    }
    c.del(&keys).await.unwrap();
}

#[tokio::test]
async fn dropped_futures_do_not_shift_replies() {
    let _g = support::shared().await;
    let c = support::client(Protocol::Resp3).await;
    let k = Keys::new("dropped_futures", Protocol::Resp3);
    let keys: Vec<String> = (0..50).map(|i| k.key(&i.to_string())).collect();
    c.mset(keys.iter().map(|key| (key, key))).await.unwrap();
    let mut futures = Vec::new();
    for i in 0..10_000usize {
        futures.push((i, std::future::IntoFuture::into_future(c.get(&keys[i % keys.len()]))));
    }
    let mut kept = Vec::new();
    for (i, f) in futures {
        // Drop about half, by a fixed pseudo-random pattern.
        if (i * 2_654_435_761) % 7 < 3 {
            drop(f);
        } else {
            kept.push((i, f));
        }
    }
    for (i, f) in kept {
        let v = f.await.unwrap().unwrap();
        assert_eq!(v, keys[i % keys.len()].as_bytes());
    }
    assert_eq!(c.get(&keys[0]).await.unwrap().unwrap(), keys[0].as_bytes());
    c.del(&keys).await.unwrap();
}

#[tokio::test]
async fn in_flight_request_fails_when_its_connection_is_killed() {
    let _g = support::shared().await;
    let c = support::named_client("killed-in-flight", Protocol::Resp3).await;
    let blocked = tokio::spawn({
        let c = c.clone();
        async move { c.wait(1, Duration::from_secs(30)).await }
    });
    let killer = support::client(Protocol::Resp3).await;
    let id = support::blocked_id(&killer, "killed-in-flight").await;
    killer.client_kill().id(id).await.unwrap();
    let e = timeout(LIMIT, blocked).await.expect("no hang").unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Indeterminate, "{e}");
    assert!(e.to_string().contains("WAIT"), "{e}");
    c.ping().await.unwrap();
}
