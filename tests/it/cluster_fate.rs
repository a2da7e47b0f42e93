//! A cluster never sends a write twice: a node let go (it left the slot map) with writes in
//! flight fails them as indeterminate, as they may have run there, instead of sending them to
//! the new owner as if they never had.
//!
//! Node A is a fake that applies every INCR to a real server B without ever answering, so
//! whatever the client then sends to B on top would count twice.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tredis::prelude::*;
use tredis::Client;

use crate::support::fake::{Conn, Fake};
use crate::support::server::OwnServer;
use crate::support::wait_until;

/// CLUSTER SLOTS: slot 0 on the node at `first`, the others on the node at `rest`.
fn slots(first: u16, rest: u16) -> Vec<u8> {
    let node = |port: u16, id: char| {
        format!("*3\r\n$9\r\n127.0.0.1\r\n:{port}\r\n$40\r\n{}\r\n", id.to_string().repeat(40))
    };
    format!("*2\r\n*3\r\n:0\r\n:0\r\n{}*3\r\n:1\r\n:16383\r\n{}", node(first, 'c'), node(rest, 'a'))
        .into_bytes()
}

/// The fake cluster's map: slot 0 on C, the others on A, or on B once `moved`.
#[derive(Clone)]
struct Map {
    moved: Arc<AtomicBool>,
    a: Arc<OnceLock<u16>>,
    c: Arc<OnceLock<u16>>,
    b: u16,
}

impl Map {
    fn reply(&self) -> Vec<u8> {
        let rest = if self.moved.load(Ordering::SeqCst) { self.b } else { *self.a.get().unwrap() };
        slots(*self.c.get().unwrap(), rest)
    }
}

/// A fake node: answers HELLO and CLUSTER SLOTS; with `apply`, applies every INCR to B and
/// never answers it, as a node that ran it and then went quiet.
async fn node(map: Map, apply: Option<Client>) -> Fake {
    Fake::start(move |mut conn: Conn, _| {
        let (map, apply) = (map.clone(), apply.clone());
        async move {
            while let Some(cmd) = conn.command().await {
                match String::from_utf8_lossy(&cmd[0]).to_ascii_uppercase().as_str() {
                    "HELLO" => conn.send(b"%1\r\n$5\r\nproto\r\n:3\r\n").await,
                    "CLUSTER" => conn.send(&map.reply()).await,
                    "INCR" if apply.is_some() => {
                        let key = String::from_utf8_lossy(&cmd[1]).into_owned();
                        apply.as_ref().unwrap().incr(key).await.unwrap();
                    }
                    _ => conn.send(b"+OK\r\n").await,
                }
            }
        }
    })
    .await
}

#[tokio::test]
async fn writes_in_flight_on_a_node_that_leaves_the_map_are_never_sent_again() {
    let b = OwnServer::start(&[]);
    let apply = Client::connect(&b.url()).await.unwrap();
    apply.del("fate:n").await.unwrap();
    let map = Map { moved: Arc::default(), a: Arc::default(), c: Arc::default(), b: b.port() };
    let a = node(map.clone(), Some(apply.clone())).await;
    let c_node = node(map.clone(), None).await;
    map.a.set(a.addr.port()).unwrap();
    map.c.set(c_node.addr.port()).unwrap();
    // C is the seed, and the node a refresh asks first: A never answers once it holds INCRs.
    let c = Client::builder()
        .url(&c_node.url())
        .cluster(true)
        .cluster_refresh_interval(Some(Duration::from_millis(100)))
        .command_timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    c.ready().await.unwrap();
    let writes: Vec<_> = (0..50)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.incr("fate:n").await })
        })
        .collect();
    wait_until("A applied every INCR", || async {
        apply.get("fate:n").await.unwrap().is_some_and(|v| v == "50")
    })
    .await;
    // The slots move to B: the next refresh lets A go, with the 50 INCRs in flight on it.
    map.moved.store(true, Ordering::SeqCst);
    let (mut acked, mut unknown) = (0, 0);
    for w in writes {
        match tokio::time::timeout(Duration::from_secs(30), w).await.expect("no hang").unwrap() {
            Ok(_) => acked += 1,
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Indeterminate, "{e}");
                unknown += 1;
            }
        }
    }
    let stored: i64 =
        apply.get("fate:n").await.unwrap().map_or(0, |v| std::str::from_utf8(&v).unwrap().parse().unwrap());
    eprintln!(
        "node let go with writes in flight: {acked} acknowledged, {unknown} indeterminate, {stored} stored"
    );
    assert!(
        stored <= acked + unknown,
        "an INCR ran twice: {acked} acknowledged, {unknown} indeterminate, {stored} stored"
    );
    // The client goes on with B.
    assert_eq!(c.incr("fate:n").await.unwrap(), stored + 1);
}

/// A map that names a node again ends its connection's reconnect backoff: a node that came
/// back serves requests at the next refresh, not after the backoff's seconds.
#[tokio::test]
async fn a_map_refresh_ends_a_reconnect_backoff() {
    let mut a = OwnServer::start(&[]);
    let map = Map { moved: Arc::default(), a: Arc::default(), c: Arc::default(), b: 0 };
    map.a.set(a.port()).unwrap();
    let c_node = node(map.clone(), None).await;
    map.c.set(c_node.addr.port()).unwrap();
    let c = Client::builder()
        .url(&c_node.url())
        .cluster(true)
        .cluster_refresh_interval(Some(Duration::from_millis(100)))
        // Far longer than the wait below may take: only the map's wake-up brings A back in time.
        .reconnect_backoff(Duration::from_secs(120), Duration::from_secs(120))
        .build()
        .unwrap();
    c.ready().await.unwrap();
    c.set("fate:back", "1").await.unwrap();
    a.stop();
    // The connection to A is lost; its next attempt is two minutes away.
    wait_until("the client sees A down", || async { c.get("fate:back").await.is_err() }).await;
    a.restart();
    let back = std::time::Instant::now();
    wait_until("the client uses A again", || async { c.set("fate:back", "2").await.is_ok() }).await;
    // wait_until gives up after 30 s, long before the backoff ends: getting here proves the
    // map's wake-up ended it.
    let took = back.elapsed();
    eprintln!("a node back: served again {took:?} after it restarted (the backoff was 120 s)");
}
