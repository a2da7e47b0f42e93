//! Each std conversion from the RESP2 and the RESP3 form of its shape, and its failures.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use bytes::Bytes;

use super::FromValue;
use crate::resp::Value;

fn bulk(s: &str) -> Value {
    Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
}

fn flat(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|s| bulk(s)).collect())
}

fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(pairs.iter().map(|(k, v)| (bulk(k), v.clone())).collect())
}

fn ok<T: FromValue>(v: Value) -> T {
    T::from_value(v).unwrap_or_else(|e| panic!("{e}"))
}

fn err<T: FromValue + std::fmt::Debug>(v: Value) -> String {
    T::from_value(v).expect_err("expected a decode error").to_string()
}

#[test]
fn integers_from_numbers_and_their_text() {
    assert_eq!(ok::<i64>(Value::Int(-7)), -7);
    assert_eq!(ok::<i64>(bulk("-7")), -7);
    assert_eq!(ok::<u8>(Value::Simple("255".into())), 255);
    assert_eq!(ok::<u64>(bulk("18446744073709551615")), u64::MAX);
    assert_eq!(ok::<u128>(Value::BigNumber("340282366920938463463374607431768211455".into())), u128::MAX);
    assert_eq!(ok::<i128>(Value::BigNumber("-170141183460469231731687303715884105728".into())), i128::MIN);
    assert_eq!(ok::<usize>(Value::Verbatim { format: *b"txt", text: "12".into() }), 12);
    // RESP3 sends some counts as doubles; a whole one reads as the integer RESP2 sends.
    assert_eq!(ok::<i32>(Value::Double(3.0)), 3);
    assert_eq!(ok::<i8>(Value::Double(-128.0)), -128);

    assert_eq!(err::<i64>(bulk("abc")), r#"expected an integer, got bulk string "abc""#);
    assert_eq!(err::<i64>(bulk("1.5")), r#"expected an integer, got bulk string "1.5""#);
    assert_eq!(err::<i64>(Value::Double(1.5)), "expected an integer, got double 1.5");
    assert_eq!(err::<u8>(Value::Int(256)), "integer 256 is out of range for u8");
    assert_eq!(err::<u8>(bulk("256")), r#"bulk string "256" is out of range for u8"#);
    assert_eq!(err::<u32>(bulk("-1")), r#"bulk string "-1" is out of range for u32"#);
    assert!(err::<i64>(Value::BigNumber("9223372036854775808".into())).contains("out of range for i64"));
    assert!(err::<u64>(Value::Double(f64::INFINITY)).contains("expected an integer"));
    assert!(err::<u64>(Value::Double(1e40)).contains("out of range for u64"));
    assert_eq!(err::<i64>(Value::Null), "expected an integer, got nil");
    assert_eq!(
        err::<i64>(Value::Error("WRONGTYPE no".into())),
        "expected an integer, got error reply `WRONGTYPE no`"
    );
}

#[test]
fn floats_from_doubles_integers_and_text() {
    assert_eq!(ok::<f64>(Value::Double(1.5)), 1.5);
    assert_eq!(ok::<f64>(bulk("1.5")), 1.5);
    assert_eq!(ok::<f64>(Value::Int(2)), 2.0);
    assert_eq!(ok::<f64>(bulk("1e3")), 1000.0);
    assert_eq!(ok::<f64>(bulk("inf")), f64::INFINITY);
    assert_eq!(ok::<f64>(bulk("-inf")), f64::NEG_INFINITY);
    assert!(ok::<f64>(bulk("nan")).is_nan());
    assert_eq!(ok::<f32>(bulk("0.25")), 0.25);
    assert_eq!(err::<f64>(bulk("fast")), r#"expected a number, got bulk string "fast""#);
    assert_eq!(err::<f32>(Value::Double(1e300)), "1e300 is out of range for f32");
    assert_eq!(ok::<f32>(Value::Double(f64::INFINITY)), f32::INFINITY);
}

#[test]
fn booleans_from_integers_booleans_and_text() {
    for (v, want) in [
        (Value::Int(1), true),
        (Value::Bool(true), true),
        (bulk("1"), true),
        (bulk("true"), true),
        (bulk("yes"), true),
        (bulk("TRUE"), true),
        (Value::Int(0), false),
        (Value::Bool(false), false),
        (bulk("0"), false),
        (bulk("false"), false),
        (Value::Simple("no".into()), false),
    ] {
        assert_eq!(ok::<bool>(v.clone()), want, "{v:?}");
    }
    assert!(err::<bool>(Value::Int(2)).starts_with("expected a boolean"));
    assert!(err::<bool>(bulk("maybe")).ends_with(r#"got bulk string "maybe""#));
}

#[test]
fn text_and_bytes() {
    assert_eq!(ok::<String>(bulk("hé")), "hé");
    assert_eq!(ok::<String>(Value::Simple("OK".into())), "OK");
    assert_eq!(ok::<String>(Value::Verbatim { format: *b"txt", text: "v".into() }), "v");
    // Numbers read as the text RESP2 would have sent.
    assert_eq!(ok::<String>(Value::Int(42)), "42");
    assert_eq!(ok::<String>(Value::Double(1.5)), "1.5");
    assert_eq!(ok::<String>(Value::Double(f64::NEG_INFINITY)), "-inf");
    assert_eq!(ok::<String>(Value::Double(2.0)), "2");
    assert_eq!(ok::<String>(Value::Double(1e300)), "1e300");
    assert_eq!(ok::<String>(Value::Bool(true)), "1");
    assert_eq!(ok::<Bytes>(bulk("raw")), Bytes::from("raw"));
    assert_eq!(ok::<Vec<u8>>(bulk("raw")), b"raw".to_vec());
    assert_eq!(ok::<Vec<u8>>(Value::Array(vec![Value::Int(1), Value::Int(2)])), vec![1, 2]);
    assert_eq!(ok::<[u8; 3]>(bulk("abc")), *b"abc");
    assert_eq!(
        err::<String>(Value::Bulk(Bytes::from_static(&[0xff]))),
        "expected UTF-8 text, got invalid UTF-8"
    );
    assert_eq!(err::<String>(Value::Array(vec![])), "expected a string, got array of 0 element(s)");
    let long = "x".repeat(100);
    assert!(err::<i64>(bulk(&long)).ends_with(&format!("\"{}\"...", "x".repeat(40))));
}

#[test]
fn unit_and_option() {
    ok::<()>(Value::Simple("OK".into()));
    ok::<()>(Value::Null);
    ok::<()>(Value::Int(3));
    assert!(err::<()>(Value::Error("ERR x".into())).contains("error reply `ERR x`"));
    assert_eq!(ok::<Option<i64>>(Value::Null), None);
    assert_eq!(ok::<Option<i64>>(bulk("5")), Some(5));
    assert_eq!(
        ok::<Vec<Option<String>>>(Value::Array(vec![bulk("a"), Value::Null])),
        vec![Some("a".into()), None]
    );
}

#[test]
fn sequences_in_both_protocols() {
    let resp2 = flat(&["1", "2", "3"]);
    let resp3 = Value::Set(vec![Value::Int(1), Value::Int(2), Value::Int(3)]);
    for v in [resp2, resp3] {
        assert_eq!(ok::<Vec<i64>>(v.clone()), vec![1, 2, 3]);
        assert_eq!(ok::<VecDeque<u8>>(v.clone()), VecDeque::from(vec![1, 2, 3]));
        assert_eq!(ok::<HashSet<i64>>(v.clone()), HashSet::from([1, 2, 3]));
        assert_eq!(ok::<BTreeSet<u16>>(v.clone()), BTreeSet::from([1, 2, 3]));
        assert_eq!(ok::<[i32; 3]>(v.clone()), [1, 2, 3]);
        assert_eq!(ok::<(i64, String, f64)>(v), (1, "2".to_string(), 3.0));
    }
    // A map reads as the flat array RESP2 sends for it.
    let resp3 = map(&[("a", Value::Int(1))]);
    assert_eq!(ok::<Vec<String>>(resp3.clone()), vec!["a", "1"]);
    assert_eq!(ok::<Vec<String>>(flat(&["a", "1"])), vec!["a", "1"]);
    assert_eq!(ok::<(String, i64)>(resp3), ("a".to_string(), 1));

    assert_eq!(
        err::<Vec<i64>>(flat(&["1", "2", "3", "abc"])),
        r#"element 3: expected an integer, got bulk string "abc""#
    );
    assert_eq!(err::<[i64; 2]>(flat(&["1", "2", "3"])), "expected 2 element(s), got 3");
    assert_eq!(err::<(i64, i64)>(flat(&["1"])), "expected an array of 2, got 1 element(s)");
    assert_eq!(err::<(i64, i64, i64)>(Value::Int(1)), "expected an array of 3, got integer 1");
    assert_eq!(err::<Vec<i64>>(Value::Null), "expected an array, got nil");
    let nested = Value::Array(vec![flat(&["1"]), flat(&["x"])]);
    assert_eq!(
        err::<Vec<Vec<i64>>>(nested),
        r#"element 1: element 0: expected an integer, got bulk string "x""#
    );
}

#[test]
fn tuples_up_to_twelve() {
    let twelve: Vec<Value> = (0..12).map(Value::Int).collect();
    let t: (u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, i64) = ok(Value::Array(twelve));
    assert_eq!(t.11, 11);
    assert_eq!(ok::<(String,)>(flat(&["only"])), ("only".to_string(),));
}

#[test]
fn pairs_in_both_protocols() {
    let resp2 = flat(&["m1", "1.5", "m2", "2"]);
    let resp3 = Value::Array(vec![
        Value::Array(vec![bulk("m1"), Value::Double(1.5)]),
        Value::Array(vec![bulk("m2"), Value::Double(2.0)]),
    ]);
    let resp3_map = map(&[("m1", Value::Double(1.5)), ("m2", Value::Double(2.0))]);
    let want = vec![("m1".to_string(), 1.5), ("m2".to_string(), 2.0)];
    for v in [resp2, resp3, resp3_map] {
        assert_eq!(ok::<Vec<(String, f64)>>(v.clone()), want);
        let m: HashMap<String, f64> = ok(v.clone());
        assert_eq!(m, want.iter().cloned().collect());
        let m: BTreeMap<Bytes, String> = ok(v);
        assert_eq!(m[&Bytes::from("m2")], "2");
    }
    assert_eq!(
        err::<HashMap<String, u32>>(flat(&["a", "1", "b", "x"])),
        r#"value of "b": expected an integer, got bulk string "x""#
    );
    assert_eq!(
        err::<BTreeMap<u32, String>>(map(&[("a", bulk("1"))])),
        r#"key 0: expected an integer, got bulk string "a""#
    );
    assert_eq!(
        err::<HashMap<String, String>>(flat(&["a", "1", "b"])),
        "expected a map (or an array of keys and values), got array of 3 element(s)"
    );
    assert!(err::<Vec<(String, String)>>(flat(&["a"])).contains("got array of 1"));
    assert!(ok::<HashMap<String, String>>(Value::Array(vec![])).is_empty());
    assert!(ok::<HashMap<String, String>>(Value::Map(vec![])).is_empty());
}
