//! The store alone: marks and fills, losses, expiry, the budget, moved slots.

use super::*;

fn bulk(s: &str) -> Value {
    Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
}

fn miss<'a>(store: &'a Store, key: &str, cmd: &str, conn: u64) -> Ticket<'a> {
    match store.lookup(key.as_bytes(), cmd.as_bytes(), conn, 1) {
        Lookup::Miss(t) => t,
        _ => panic!("expected a miss for {cmd}"),
    }
}

fn hit(store: &Store, key: &str, cmd: &str, now: Millis) -> Option<Value> {
    match store.lookup(key.as_bytes(), cmd.as_bytes(), 1, now) {
        Lookup::Hit(v) => Some(v),
        Lookup::Wait(_) => panic!("a flight is pending for {cmd}"),
        Lookup::Miss(t) => {
            store.cancel(&t);
            None
        }
    }
}

#[test]
fn a_fill_lands_only_while_its_mark_is_there() {
    let store = Store::new(1 << 20, false);
    let t = miss(&store, "k", "GET k", 1);
    assert!(matches!(store.lookup(b"k", b"GET k", 1, 1), Lookup::Wait(_)), "single flight");
    // The reader processed an invalidation of `k` after the read was sent: the reply may
    // predate the write, so it must not be stored.
    store.invalidate(b"k");
    assert!(!store.fill(&t, bulk("old"), 1000, 1));
    assert_eq!(hit(&store, "k", "GET k", 2), None);

    let t = miss(&store, "k", "GET k", 1);
    assert!(store.fill(&t, bulk("new"), 1000, 1));
    assert_eq!(hit(&store, "k", "GET k", 2), Some(bulk("new")));
    // Invalidation after the fill drops the reply, and every other command's on `k`.
    let t2 = miss(&store, "k", "STRLEN k", 1);
    assert!(store.fill(&t2, Value::Int(3), 1000, 1));
    store.invalidate(b"k");
    assert_eq!(hit(&store, "k", "GET k", 2), None);
    assert_eq!(hit(&store, "k", "STRLEN k", 2), None);
    assert_eq!(store.totals().entries, 0);
    assert_eq!(store.totals().bytes, 0);
}

#[test]
fn a_lost_connection_drops_its_entries_and_marks_only() {
    let store = Store::new(1 << 20, false);
    let a = miss(&store, "a", "GET a", 1);
    assert!(store.fill(&a, bulk("1"), 1000, 1));
    let b = miss(&store, "b", "GET b", 2);
    assert!(store.fill(&b, bulk("2"), 1000, 1));
    let pending = miss(&store, "c", "GET c", 1);
    store.drop_conn(1);
    assert!(!store.fill(&pending, bulk("3"), 1000, 1), "sent before the loss");
    assert_eq!(hit(&store, "a", "GET a", 2), None);
    assert_eq!(hit(&store, "b", "GET b", 2), Some(bulk("2")));
    assert_eq!(store.totals().entries, 1);
}

#[test]
fn entries_expire() {
    let store = Store::new(1 << 20, false);
    let t = miss(&store, "k", "GET k", 1);
    assert!(store.fill(&t, Value::Null, 100, 1000), "nil replies are cached too");
    assert_eq!(hit(&store, "k", "GET k", 1099), Some(Value::Null));
    assert_eq!(hit(&store, "k", "GET k", 1100), None);
    assert_eq!(store.totals().bytes, 0);
    let t = miss(&store, "k", "GET k", 1);
    assert!(!store.fill(&t, Value::Null, 0, 1000), "a key about to expire is not cached");
}

#[test]
fn the_budget_holds_and_used_keys_are_spared() {
    let budget = SHARDS * 2048;
    let store = Store::new(budget, false);
    let value = bulk(&"x".repeat(100));
    for i in 0..5000 {
        let (key, cmd) = (format!("k{i}"), format!("GET k{i}"));
        let t = miss(&store, &key, &cmd, 1);
        store.fill(&t, value.clone(), 60_000, 1);
        // One hot key, served between every fill.
        if i > 0 {
            let _ = hit(&store, "k0", "GET k0", 2).map(|_| ());
        }
        assert!(store.totals().bytes <= budget);
    }
    let totals = store.totals();
    assert!(totals.entries > 0 && totals.entries < 5000, "{totals:?}");
    assert_eq!(hit(&store, "k0", "GET k0", 2), Some(value), "the hot key survives");
    for shard in store.shards.iter() {
        let s = shard.lock().unwrap();
        assert!(s.ring.len() <= 2 * s.keys.len() + 64 + 1);
    }
}

#[test]
fn a_ticket_dropped_unused_takes_its_mark_along() {
    // A read future dropped before it was ever polled (an MGET whose first key failed, a
    // `select!` that took another branch): its entry must not wait on it forever.
    let store = Store::new(1 << 20, false);
    let t = miss(&store, "k", "GET k", 1);
    let Lookup::Wait(flight) = store.lookup(b"k", b"GET k", 1, 1) else { panic!("single flight") };
    drop(t);
    assert!(flight.is_finished(), "the waiters are told to look again");
    let t = miss(&store, "k", "GET k", 1);
    assert!(store.fill(&t, bulk("v"), 1000, 1));
    drop(t);
    assert_eq!(hit(&store, "k", "GET k", 2), Some(bulk("v")), "a filled entry stays");
}

#[test]
fn cancel_lets_the_next_miss_send() {
    let store = Store::new(1 << 20, false);
    let t = miss(&store, "k", "GET k", 1);
    store.cancel(&t);
    let t2 = miss(&store, "k", "GET k", 1);
    assert!(store.fill(&t2, bulk("v"), 1000, 1));
    assert!(!store.fill(&t, bulk("w"), 1000, 1), "a cancelled ticket fills nothing");
    assert_eq!(hit(&store, "k", "GET k", 2), Some(bulk("v")));
}

#[test]
fn a_moved_slot_drops_its_keys_entries_and_marks_only() {
    let store = Store::new(1 << 20, true);
    let (a, b) = ("{a}x", "{b}x");
    let (slot_a, slot_b) = (crate::cluster::slot(b"a"), crate::cluster::slot(b"b"));
    assert_ne!(slot_a, slot_b);
    for (key, cmd) in [(a, "GET {a}x"), (a, "STRLEN {a}x"), ("{a}y", "GET {a}y"), (b, "GET {b}x")] {
        let t = miss(&store, key, cmd, 1);
        assert!(store.fill(&t, bulk("v"), 1000, 1));
    }
    let pending = miss(&store, "{a}z", "GET {a}z", 1);
    assert_eq!(store.drop_slots(&[slot_a]), 4, "three entries and a mark");
    assert!(!store.fill(&pending, bulk("v"), 1000, 1), "sent to the old owner");
    assert_eq!(hit(&store, a, "GET {a}x", 2), None);
    assert_eq!(hit(&store, "{a}y", "GET {a}y", 2), None);
    assert_eq!(hit(&store, b, "GET {b}x", 2), Some(bulk("v")));
    assert_eq!(store.totals().entries, 1);
    // A key dropped and cached again is dropped once, by its live place.
    let t = miss(&store, a, "GET {a}x", 1);
    assert!(store.fill(&t, bulk("w"), 1000, 1));
    store.invalidate(a.as_bytes());
    let t = miss(&store, a, "GET {a}x", 1);
    assert!(store.fill(&t, bulk("w"), 1000, 1));
    assert_eq!(store.drop_slots(&[slot_a, slot_b]), 2);
    assert_eq!(store.totals().entries, 0);
    assert_eq!(store.totals().bytes, 0);
}

#[test]
fn the_slot_index_does_not_grow_with_churn() {
    let store = Store::new(1 << 20, true);
    for i in 0..10_000 {
        let key = format!("k{i}");
        let t = miss(&store, &key, &format!("GET {key}"), 1);
        assert!(store.fill(&t, bulk("v"), 1000, 1));
        store.invalidate(key.as_bytes());
    }
    for shard in store.shards.iter() {
        let s = shard.lock().unwrap();
        let places = s.index.as_ref().map_or(0, |i| i.len());
        assert!(places <= 2 * (s.keys.len() + 1) + 64, "{places} places for {} keys", s.keys.len());
    }
}
