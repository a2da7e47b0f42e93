//! Spans (feature `spans`): what a subscriber sees of a GET, a command the server refuses, a
//! pipeline, a transaction and a cluster redirection, under RESP2 and RESP3: names, the
//! OpenTelemetry attributes, and never a key or value.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tredis::prelude::*;
use tredis::{Client, Protocol};

use crate::support::{self, Keys};

/// A span as the subscriber saw it: its name, its fields as text, and its events' fields.
#[derive(Debug, Clone, Default)]
struct Seen {
    name: &'static str,
    fields: HashMap<String, String>,
    events: Vec<HashMap<String, String>>,
}

impl Seen {
    fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }
}

/// Records every span of this thread, in the order they were made.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<(u64, Seen)>>>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_string(), format!("{value:?}"));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut seen = Seen { name: attrs.metadata().name(), ..Seen::default() };
        attrs.record(&mut Fields(&mut seen.fields));
        self.0.lock().unwrap().push((id.into_u64(), seen));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut spans = self.0.lock().unwrap();
        if let Some((_, seen)) = spans.iter_mut().rev().find(|(i, _)| *i == id.into_u64()) {
            values.record(&mut Fields(&mut seen.fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let Some(parent) = ctx.event_span(event) else { return };
        let mut fields = HashMap::new();
        event.record(&mut Fields(&mut fields));
        let mut spans = self.0.lock().unwrap();
        if let Some((_, seen)) = spans.iter_mut().rev().find(|(i, _)| *i == parent.id().into_u64()) {
            seen.events.push(fields);
        }
    }
}

impl Capture {
    /// Captures the spans of `f`, run on this thread (the test's runtime is single-threaded,
    /// so the connection tasks run here too). A request's span is made with the request, so
    /// `f` is an `async` block that makes its requests when first polled.
    async fn spans<F: std::future::Future>(f: F) -> (F::Output, Vec<Seen>) {
        BYSTANDER.get_or_init(|| Dispatch::new(Bystander));
        let capture = Capture::default();
        let subscriber = tracing_subscriber::registry().with(capture.clone());
        let out = {
            let _default = tracing::subscriber::set_default(subscriber);
            f.await
        };
        let seen = capture.0.lock().unwrap().iter().map(|(_, s)| s.clone()).collect();
        (out, seen)
    }
}

/// A subscriber that wants nothing but is always there, so that a capture is never the only
/// one. With a single subscriber registered, tracing decides whether a call site is enabled,
/// for good, by the default of whichever thread first reaches it: another test's thread,
/// without a subscriber, would disable the spans this thread's capture is waiting for.
/// With two, every call site is asked of the current subscriber each time.
static BYSTANDER: OnceLock<Dispatch> = OnceLock::new();

struct Bystander;

impl Subscriber for Bystander {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }

    fn enabled(&self, _: &Metadata<'_>) -> bool {
        false
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, _: &Event<'_>) {}

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// Checks what every span has: the system, the database, the server.
fn common(s: &Seen, url: &str) {
    let (host, port) = support::host_port(url);
    assert_eq!(s.get("db.system.name"), Some("redis"), "{s:?}");
    assert_eq!(s.get("otel.kind"), Some("client"), "{s:?}");
    assert!(s.get("db.namespace").is_some_and(|n| n.parse::<u32>().is_ok()), "{s:?}");
    assert_eq!(s.get("server.address"), Some(host.as_str()), "{s:?}");
    assert_eq!(s.get("server.port"), Some(port.to_string().as_str()), "{s:?}");
}

/// No span field holds a key or a value of the test.
fn nothing_of(seen: &[Seen], secrets: &[&str]) {
    for s in seen {
        for (k, v) in s.fields.iter().chain(s.events.iter().flatten()) {
            assert!(!secrets.iter().any(|x| v.contains(x)), "{k} = {v} gives a key or value away");
        }
    }
}

async fn client(keys: &Keys, protocol: Protocol) -> Client {
    let c = Client::builder()
        .url(&keys.url())
        .protocol(protocol)
        .span_statements(true)
        .command_timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    c.ready().await.unwrap();
    c
}

#[tokio::test]
async fn commands_pipelines_and_transactions_make_one_span_each() {
    for protocol in support::PROTOCOLS {
        let keys = Keys::new("spans", protocol);
        let c = client(&keys, protocol).await;
        let (k, n) = (keys.key("k"), keys.key("n"));
        c.set(&k, "secret-value").await.unwrap();

        let (got, seen) = Capture::spans(async { c.get(&k).await }).await;
        assert_eq!(got.unwrap().as_deref(), Some(&b"secret-value"[..]));
        let [get] = &seen[..] else { panic!("{protocol:?}: one span for a GET, got {seen:?}") };
        assert_eq!(get.name, "redis.command");
        assert_eq!(get.get("otel.name"), Some("GET"));
        assert_eq!(get.get("db.operation.name"), Some("GET"));
        assert_eq!(get.get("db.query.text"), Some("GET ?"));
        assert_eq!(get.get("error.type"), None, "{get:?}");
        common(get, &keys.url());

        let (err, seen) = Capture::spans(async { c.lpush(&k, ["x"]).await }).await;
        assert_eq!(err.unwrap_err().code(), Some("WRONGTYPE"));
        let [failed] = &seen[..] else { panic!("{protocol:?}: {seen:?}") };
        assert_eq!(failed.get("otel.name"), Some("LPUSH"));
        assert_eq!(failed.get("error.type"), Some("WRONGTYPE"));
        assert_eq!(failed.get("db.response.status_code"), Some("WRONGTYPE"));
        assert_eq!(failed.get("otel.status_code"), Some("ERROR"));
        assert_eq!(failed.get("db.query.text"), Some("LPUSH ? ?"));
        common(failed, &keys.url());

        let p = c.pipeline();
        let ((set, get, incr), seen) =
            Capture::spans(p.execute((p.set(&k, "secret-value"), p.get(&k), p.incr(&n)))).await;
        set.unwrap();
        assert_eq!(get.unwrap().as_deref(), Some(&b"secret-value"[..]));
        incr.unwrap();
        let [pipeline] = &seen[..] else { panic!("{protocol:?}: one span for a pipeline, got {seen:?}") };
        assert_eq!(pipeline.name, "redis.pipeline");
        assert_eq!(pipeline.get("otel.name"), Some("PIPELINE"));
        assert_eq!(pipeline.get("db.operation.batch.size"), Some("3"));
        assert_eq!(pipeline.get("db.query.text"), Some("SET ? ?; GET ?; INCR ?"));
        common(pipeline, &keys.url());

        let tx = c.multi();
        let (out, seen) = Capture::spans(tx.exec((tx.incr(&n), tx.incr(&n)))).await;
        let (a, b) = out.unwrap().expect("nothing watched");
        assert_eq!(b.unwrap(), a.unwrap() + 1);
        let [multi] = &seen[..] else { panic!("{protocol:?}: one span for a transaction, got {seen:?}") };
        assert_eq!(multi.name, "redis.transaction");
        assert_eq!(multi.get("otel.name"), Some("MULTI INCR"));
        assert_eq!(multi.get("db.operation.batch.size"), Some("2"));
        common(multi, &keys.url());

        let (_, seen) = Capture::spans(async {
            c.get(&k).await.unwrap();
            let p = c.pipeline();
            p.execute((p.set(&k, "secret-value"),)).await
        })
        .await;
        nothing_of(&seen, &[&k, "secret-value"]);
        assert_eq!(seen[1].get("db.operation.batch.size"), None, "a batch of one is no batch: {seen:?}");
        keys.clean(&c).await;
    }
}

/// A cluster client whose map is out of date gets MOVED: an event of the command's span, and
/// the span's server is the node that answered.
#[tokio::test]
async fn a_cluster_redirection_is_an_event_of_the_span() {
    let _guard = support::shared().await;
    for protocol in support::PROTOCOLS {
        let c = Client::builder()
            .hosts(&support::cluster_urls()[..1])
            .cluster(true)
            .protocol(protocol)
            .cluster_refresh_interval(None)
            .command_timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        c.ready().await.unwrap();
        // A slot of this test's own, moved (it holds no key) behind the client's back.
        let key = "{spans-moved}k";
        let slot = u64::from(tredis::key_slot(key));
        let (src, dst) = owner_and_other(slot).await;
        move_slot(slot, (&src.0, &src.1), (&dst.0, &dst.1)).await;
        let (got, seen) = Capture::spans(async { c.get(key).await }).await;
        // Put it back for the other tests before checking anything.
        move_slot(slot, (&dst.0, &dst.1), (&src.0, &src.1)).await;
        assert_eq!(got.unwrap(), None);
        let [get] = &seen[..] else { panic!("{protocol:?}: one span, got {seen:?}") };
        let moved = get.events.iter().find(|e| e.get("redirect").map(String::as_str) == Some("MOVED"));
        let moved = moved.unwrap_or_else(|| panic!("{protocol:?}: no MOVED event in {get:?}"));
        assert_eq!(moved.get("slot"), Some(&slot.to_string()));
        assert_eq!(get.get("server.port"), Some(dst.2.to_string().as_str()), "{get:?}");
    }
}

/// The primary serving `slot` and another, each as (client, node ID, port).
pub(crate) async fn owner_and_other(slot: u64) -> ((Client, String, u16), (Client, String, u16)) {
    let (mut owner, mut other) = (None, None);
    for url in support::cluster_urls() {
        let c = support::client_for(&url, Protocol::Resp3).await;
        let me = c.cluster_nodes().await.unwrap().into_iter().find(|n| n.is_myself()).unwrap();
        if !me.is_primary() {
            continue;
        }
        let serves = me.slots.iter().any(|&(a, b)| u64::from(a) <= slot && slot <= u64::from(b));
        let entry = (c, me.id.clone(), me.port);
        match serves {
            true => owner = Some(entry),
            false => other = other.or(Some(entry)),
        }
    }
    (owner.expect("an owner"), other.expect("another primary"))
}

/// Moves an empty slot from one primary to another, as a resharding tool does.
pub(crate) async fn move_slot(
    slot: u64,
    (src, src_id): (&Client, &String),
    (dst, dst_id): (&Client, &String),
) {
    use tredis::commands::cluster::ClusterSetslotState;
    dst.cluster_setslot(slot, ClusterSetslotState::Importing(src_id.clone().into())).await.unwrap();
    src.cluster_setslot(slot, ClusterSetslotState::Migrating(dst_id.clone().into())).await.unwrap();
    for n in [dst, src] {
        n.cluster_setslot(slot, ClusterSetslotState::Node(dst_id.clone().into())).await.unwrap();
    }
}

/// A cached read that misses is a request of the server, with its span; a hit has none.
#[tokio::test]
async fn a_cached_read_has_a_span_when_it_misses() {
    let keys = Keys::new("spans-cache", Protocol::Resp3);
    let c = Client::builder()
        .url(&keys.url())
        .cache(tredis::CacheConfig::new())
        .command_timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    c.ready().await.unwrap();
    let k = keys.key("k");
    c.set(&k, "v").await.unwrap();
    let (miss, seen) = Capture::spans(async { c.get(&k).cached().await }).await;
    assert_eq!(miss.unwrap().as_deref(), Some(&b"v"[..]));
    let [get] = &seen[..] else { panic!("one span for a miss, got {seen:?}") };
    assert_eq!(get.get("otel.name"), Some("GET"));
    common(get, &keys.url());
    let (hit, seen) = Capture::spans(async { c.get(&k).cached().await }).await;
    assert_eq!(hit.unwrap().as_deref(), Some(&b"v"[..]));
    assert!(seen.is_empty(), "no span for a hit: {seen:?}");
    keys.clean(&c).await;
}
