//! Replies read as the caller's types (`decode_as` through `FromValue`, `deserialize` through
//! serde) and structs written as field and value arguments, under RESP2 and RESP3: the same
//! type reads the same data whichever form the server sends.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use tredis::prelude::*;
use tredis::serde::{to_fields, Serde};

use crate::both;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Plan {
    Free,
    Pro,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    age: u32,
    admin: bool,
    score: f64,
    plan: Plan,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(rename = "last-seen")]
    last_seen: i64,
}

fn ada() -> User {
    User { name: "Ada".into(), age: 36, admin: true, score: 1.5, plan: Plan::Pro, email: None, last_seen: -1 }
}

/// A reply that `T` cannot read: a protocol error that names `command` and says `needles`.
#[track_caller]
fn assert_protocol_error<T: std::fmt::Debug>(r: Result<T, tredis::Error>, command: &str, needles: &[&str]) {
    let e = r.expect_err("expected a protocol error");
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    assert_eq!(e.command(), Some(command), "{e}");
    let text = e.to_string();
    assert!(text.contains(command), "{text}");
    for needle in needles {
        assert!(text.contains(needle), "{text} should say {needle}");
    }
}

both!(
    async fn structs_through_a_hash(c, k) {
        let h = k.key("user");
        let fields = to_fields(&ada())?;
        assert_eq!(fields.len(), 6, "email is None and left out");
        assert_eq!(c.hset(&h, &fields).await?, 6);
        assert_eq!(c.hget(&h, "admin").await?.as_deref(), Some(&b"1"[..]));
        assert_eq!(c.hget(&h, "plan").await?.as_deref(), Some(&b"pro"[..]));
        assert_eq!(c.hgetall(&h).deserialize::<User>().await?, ada());

        // Numbers and booleans written by others, in the text forms they use.
        c.hset(&h, [("age", "37"), ("admin", "false"), ("score", "-inf"), ("email", "ada@example.com")]).await?;
        let u: User = c.hgetall(&h).deserialize().await?;
        assert_eq!((u.age, u.admin, u.score, u.email.as_deref()), (37, false, f64::NEG_INFINITY, Some("ada@example.com")));
        // A boolean written as 1/0 counts, too.
        c.hset(&h, to_fields(&ada())?).await?;
        assert_eq!(c.hincrby(&h, "admin", -1).await?, 0);
        assert!(!c.hgetall(&h).deserialize::<User>().await?.admin);

        // The same hash as std types.
        let as_map: BTreeMap<String, String> = c.hgetall(&h).decode_as().await?;
        assert_eq!(as_map["age"], "36");
        let (name, age, missing): (Option<String>, Option<u32>, Option<u32>) =
            c.hmget(&h, ["name", "age", "missing"]).decode_as().await?;
        assert_eq!((name.as_deref(), age, missing), (Some("Ada"), Some(36), None));
        let numbers: HashMap<String, f64> = {
            let n = k.key("numbers");
            c.hset(&n, [("a", "1"), ("b", "2.5"), ("c", "inf")]).await?;
            c.hgetall(&n).decode_as().await?
        };
        assert_eq!(numbers, HashMap::from([("a".into(), 1.0), ("b".into(), 2.5), ("c".into(), f64::INFINITY)]));
        // A map of fields, not only a struct.
        let counters = BTreeMap::from([("x", 1u64), ("y", 2)]);
        assert_eq!(c.hset(k.key("counters"), to_fields(&counters)?).await?, 2);
        let back: BTreeMap<String, u64> = c.hgetall(k.key("counters")).decode_as().await?;
        assert_eq!(back, BTreeMap::from([("x".into(), 1), ("y".into(), 2)]));
        Ok(())
    }
);

both!(
    async fn failures_name_the_field_and_the_command(c, k) {
        let h = k.key("user");
        c.hset(&h, [("name", "Ada"), ("age", "36")]).await?;
        assert_protocol_error(c.hgetall(&h).deserialize::<User>().await, "HGETALL", &["missing field `admin`"]);
        c.hset(&h, [("age", "old")]).await?;
        assert_protocol_error(
            c.hgetall(&h).deserialize::<User>().await,
            "HGETALL",
            &[r#"field `age`: expected an integer, got bulk string "old""#],
        );
        let counts = k.key("counts");
        c.hset(&counts, [("ok", "1"), ("age", "old")]).await?;
        assert_protocol_error(
            c.hgetall(&counts).decode_as::<HashMap<String, u32>>().await,
            "HGETALL",
            &[r#"value of "age": expected an integer, got bulk string "old""#],
        );
        assert_protocol_error(
            c.hmget(&h, ["name", "age"]).decode_as::<Vec<Option<u8>>>().await,
            "HMGET",
            &[r#"element 0: expected an integer, got bulk string "Ada""#],
        );
        // A key that is not there reads as an empty hash: every required field is missing.
        assert_protocol_error(c.hgetall(k.key("none")).deserialize::<User>().await, "HGETALL", &["missing field `name`"]);
        assert_protocol_error(c.get(k.key("none")).decode_as::<u64>().await, "GET", &["expected an integer, got nil"]);
        c.set(k.key("big"), "300").await?;
        assert_protocol_error(c.get(k.key("big")).decode_as::<u8>().await, "GET", &["out of range for u8"]);

        // A field with no single-argument form fails before anything is sent.
        #[derive(Serialize)]
        struct Nested {
            user: User,
        }
        let e = to_fields(&Nested { user: ada() }).expect_err("a nested struct");
        assert_eq!(e.kind(), ErrorKind::Argument);
        assert!(e.to_string().contains("field `user`"), "{e}");
        Ok(())
    }
);

both!(
    async fn scalars_whichever_form_the_server_sends(c, k) {
        let s = k.key("s");
        c.set(&s, "42").await?;
        assert_eq!(c.get(&s).decode_as::<u64>().await?, 42);
        assert_eq!(c.get(&s).decode_as::<Option<i16>>().await?, Some(42));
        assert_eq!(c.get(k.key("none")).decode_as::<Option<i16>>().await?, None);
        assert_eq!(c.incr(&s).decode_as::<String>().await?, "43");
        assert_eq!(c.incr(&s).decode_as::<u128>().await?, 44);
        assert_eq!(c.get(&s).decode_as::<f32>().await?, 44.0);
        assert!(c.exists(&s).decode_as::<bool>().await?);
        c.set(&s, "yes").await?;
        assert!(c.get(&s).decode_as::<bool>().await?);
        c.get(&s).decode_as::<()>().await?;

        // ZSCORE is a double in RESP3 and text in RESP2.
        let z = k.key("z");
        c.zadd(&z, [(1.5, "a"), (2.0, "b")]).await?;
        assert_eq!(c.zscore(&z, "a").decode_as::<f64>().await?, 1.5);
        assert_eq!(c.zscore(&z, "a").decode_as::<String>().await?, "1.5");
        assert_eq!(c.zscore(&z, "b").decode_as::<u8>().await?, 2);
        // WITHSCORES: an array of pairs in RESP3, a flat array in RESP2.
        let pairs: Vec<(String, f64)> = c.zrange(&z, 0, -1).withscores().decode_as().await?;
        assert_eq!(pairs, [("a".to_string(), 1.5), ("b".to_string(), 2.0)]);
        let by_member: BTreeMap<String, f64> = c.zrange(&z, 0, -1).withscores().decode_as().await?;
        assert_eq!(by_member["b"], 2.0);
        let flat: Vec<String> = c.zrange(&z, 0, -1).decode_as().await?;
        assert_eq!(flat, ["a", "b"]);

        // SMEMBERS is a set in RESP3 and an array in RESP2.
        let set = k.key("set");
        c.sadd(&set, ["3", "1", "2"]).await?;
        assert_eq!(c.smembers(&set).decode_as::<BTreeSet<u32>>().await?, BTreeSet::from([1, 2, 3]));
        let mut members: Vec<u8> = c.smembers(&set).decode_as().await?;
        members.sort();
        assert_eq!(members, [1, 2, 3]);
        let one: [Option<String>; 1] = c.hmget(k.key("none"), "f").decode_as().await?;
        assert_eq!(one, [None]);
        Ok(())
    }
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Reading {
    sensor: String,
    celsius: f64,
    calibrated: bool,
}

#[derive(Debug, Deserialize)]
struct StreamSummary {
    length: u64,
    #[serde(rename = "last-generated-id")]
    last_id: String,
    groups: u32,
}

both!(
    async fn stream_entries_and_info(c, k) {
        let s = k.key("stream");
        let readings = [
            Reading { sensor: "s1".into(), celsius: 21.5, calibrated: true },
            Reading { sensor: "s2".into(), celsius: -4.0, calibrated: false },
        ];
        let mut ids = Vec::new();
        for r in &readings {
            ids.push(c.xadd(&s, to_fields(r)?).await?.expect("an ID").to_string());
        }
        let entries: Vec<(String, Serde<Reading>)> = c.xrange(&s, "-", "+").decode_as().await?;
        let got: Vec<(String, Reading)> = entries.into_iter().map(|(id, r)| (id, r.0)).collect();
        assert_eq!(got, ids.iter().cloned().zip(readings.iter().cloned()).collect::<Vec<_>>());

        let info: StreamSummary = c.xinfo_stream(&s).deserialize().await?;
        assert_eq!((info.length, info.groups), (2, 0));
        assert_eq!(info.last_id, ids[1]);
        Ok(())
    }
);

#[derive(Debug, Deserialize)]
struct ServerConfig {
    hz: u32,
    maxmemory: u64,
    appendonly: bool,
    #[serde(rename = "maxmemory-policy")]
    policy: String,
    #[serde(rename = "maxclients")]
    max_clients: Option<u64>,
}

both!(
    async fn config_into_a_struct(c, _k) {
        let cfg: ServerConfig =
            c.config_get(["hz", "maxmemory", "appendonly", "maxmemory-policy", "maxclients"]).deserialize().await?;
        let raw = c.config_get(["hz", "maxmemory", "appendonly", "maxmemory-policy"]).await?;
        assert_eq!(cfg.hz.to_string(), raw["hz"]);
        assert_eq!(cfg.maxmemory.to_string(), raw["maxmemory"]);
        assert_eq!(cfg.appendonly, raw["appendonly"] == "yes");
        assert_eq!(cfg.policy, raw["maxmemory-policy"]);
        assert!(cfg.max_clients.is_some_and(|n| n > 0));
        assert_protocol_error(
            c.config_get(["hz"]).deserialize::<ServerConfig>().await,
            "CONFIG GET",
            &["missing field `maxmemory`"],
        );
        Ok(())
    }
);

both!(
    async fn pipelines_and_transactions_read_user_types(c, k) {
        let h = k.key("user");
        let p = c.pipeline();
        let (set, user, age, bad) = p
            .execute((
                p.hset(&h, to_fields(&ada())?),
                p.hgetall(&h).deserialize::<User>(),
                p.hget(&h, "age").decode_as::<Option<u32>>(),
                p.hget(&h, "name").decode_as::<u32>(),
            ))
            .await;
        assert_eq!(set?, 6);
        assert_eq!(user?, ada());
        assert_eq!(age?, Some(36));
        assert_protocol_error(bad, "HGET", &[r#"got bulk string "Ada""#]);

        let tx = c.multi();
        let (incr, user) = tx
            .exec((tx.hincrby(&h, "age", 1).decode_as::<u8>(), tx.hgetall(&h).deserialize::<User>()))
            .await?
            .expect("no WATCH, so it always runs");
        assert_eq!(incr?, 37);
        assert_eq!(user?.age, 37);
        Ok(())
    }
);
