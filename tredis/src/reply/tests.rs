//! Decoders accept the RESP2 and RESP3 form of each shape and reject other shapes.

use std::collections::HashMap;

use bytes::Bytes;

use super::*;
use crate::resp::Value;

fn bulk(s: &str) -> Value {
    Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
}

#[test]
fn scalars() {
    assert_eq!(Ok::decode(Value::Simple("OK".into())), Result::Ok(()));
    assert!(Ok::decode(Value::Null).is_err());
    assert_eq!(OkOrNil::decode(Value::Null), Result::Ok(false));
    assert_eq!(Bool::decode(Value::Int(1)), Result::Ok(true));
    assert_eq!(Bool::decode(Value::Bool(false)), Result::Ok(false));
    assert!(Bool::decode(Value::Int(2)).is_err());
    assert_eq!(Double::decode(bulk("1.5")), Result::Ok(1.5));
    assert_eq!(Double::decode(Value::Double(1.5)), Result::Ok(1.5));
    assert_eq!(Double::decode(bulk("inf")), Result::Ok(f64::INFINITY));
    assert!(Int::decode(bulk("12")).is_err(), "no lenient string-to-int coercion");
    assert!(UInt::decode(Value::Int(-1)).is_err());
    assert_eq!(
        Str::decode(Value::Verbatim { format: *b"txt", text: "hi".into() }),
        Result::Ok("hi".to_string())
    );
    assert_eq!(TtlSecs::decode(Value::Int(-2)), Result::Ok(Ttl::Missing));
    assert_eq!(
        TtlMillis::decode(Value::Int(1500)),
        Result::Ok(Ttl::Expires(std::time::Duration::from_millis(1500)))
    );
    let e = Int::decode(Value::Error("WRONGTYPE x".into())).unwrap_err();
    assert_eq!(e.to_string(), "expected an integer, got error reply `WRONGTYPE x`");
}

#[test]
fn containers_in_both_protocols() {
    let flat = Value::Array(vec![bulk("a"), bulk("1"), bulk("b"), bulk("2")]);
    let map = Value::Map(vec![(bulk("a"), bulk("1")), (bulk("b"), bulk("2"))]);
    let want: HashMap<String, String> = [("a".into(), "1".into()), ("b".into(), "2".into())].into();
    assert_eq!(Map::<Str, Str>::decode(flat.clone()), Result::Ok(want.clone()));
    assert_eq!(Map::<Str, Str>::decode(map), Result::Ok(want));
    let scores2 = Value::Array(vec![bulk("m"), bulk("1.5")]);
    let scores3 = Value::Array(vec![Value::Array(vec![bulk("m"), Value::Double(1.5)])]);
    let want = vec![(Bytes::from("m"), 1.5)];
    assert_eq!(Pairs::<Bulk, Double>::decode(scores2), Result::Ok(want.clone()));
    assert_eq!(Pairs::<Bulk, Double>::decode(scores3), Result::Ok(want));
    assert_eq!(
        Array::<Nullable<Bulk>>::decode(Value::Array(vec![bulk("x"), Value::Null])),
        Result::Ok(vec![Some(Bytes::from("x")), None])
    );
    assert_eq!(Array::<Bulk>::decode(Value::Set(vec![bulk("x")])), Result::Ok(vec![Bytes::from("x")]));
    assert_eq!(
        Scan::<Array<Bulk>>::decode(Value::Array(vec![bulk("17"), Value::Array(vec![bulk("k")])])),
        Result::Ok((17, vec![Bytes::from("k")]))
    );
    assert!(<(Int, Int)>::decode(Value::Array(vec![Value::Int(1)])).is_err());
}

#[test]
fn records() {
    let info = ClientInfo::parse(
        "id=7 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 name=me db=2 resp=3 cmd=client|info",
    );
    assert_eq!(info.id(), Some(7));
    assert_eq!(info.name(), Some("me"));
    assert_eq!(info.db(), Some(2));
    assert_eq!(info.resp(), Some(3));
    let lcs = Value::Array(vec![
        bulk("matches"),
        Value::Array(vec![Value::Array(vec![
            Value::Array(vec![Value::Int(4), Value::Int(7)]),
            Value::Array(vec![Value::Int(5), Value::Int(8)]),
            Value::Int(4),
        ])]),
        bulk("len"),
        Value::Int(6),
    ]);
    let m = LcsMatches::decode(lcs).unwrap();
    assert_eq!(m.len, 6);
    assert_eq!(m.matches, vec![LcsMatch { first: (4, 7), second: (5, 8), len: Some(4) }]);
    assert_eq!(KeyType::decode(Value::Simple("zset".into())), Result::Ok(KeyType::ZSet));
}

#[test]
fn times_beyond_system_time_are_errors_not_panics() {
    let time = |s: &str, us: &str| ServerTime::decode(Value::Array(vec![bulk(s), bulk(us)]));
    let e = time("18446744073709551615", "0").unwrap_err();
    assert!(e.to_string().contains("TIME") && e.to_string().contains("out of range"), "{e}");
    let e = time("18446744073709551615", "18446744073709551615").unwrap_err();
    assert!(e.to_string().contains("TIME"), "{e}");
    assert!(time("1700000000", "5").is_ok());
    // Whether these fit depends on the platform's `SystemTime`; they must not panic.
    let _ = UnixSecs::decode(Value::Int(i64::MAX));
    let _ = ExpireTimeSecs::decode(Value::Int(i64::MAX));
    let _ = LatencyEvent::decode(Value::Array(vec![
        bulk("x"),
        Value::Int(i64::MAX),
        Value::Int(1),
        Value::Int(1),
    ]));
}

#[test]
fn role_ports_out_of_range_are_errors_not_truncated() {
    let replica = |port: Value| {
        Role::decode(Value::Array(vec![bulk("slave"), bulk("h"), port, bulk("connected"), Value::Int(1)]))
    };
    assert!(matches!(replica(Value::Int(6379)), Result::Ok(Role::Replica { port: 6379, .. })));
    for bad in [Value::Int(65536 + 6379), Value::Int(-1), bulk("70000")] {
        let e = replica(bad).unwrap_err();
        assert!(e.to_string().contains("ROLE port"), "{e}");
    }
    let primary = Role::decode(Value::Array(vec![
        bulk("master"),
        Value::Int(1),
        Value::Array(vec![Value::Array(vec![bulk("10.0.0.1"), bulk("65536"), bulk("0")])]),
    ]));
    assert!(primary.unwrap_err().to_string().contains("ROLE port 65536"));
}
