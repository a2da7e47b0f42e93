//! Structs, maps, sequences and enums from the RESP2 and the RESP3 form of a reply, their
//! failures, and structs into field and value arguments.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::{from_value, to_fields, Fields, Serde};
use crate::args::{ArgSink, ToArgs};
use crate::reply::FromValue;
use crate::resp::Value;
use crate::ErrorKind;

fn bulk(s: &str) -> Value {
    Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
}

/// The RESP2 form of a map reply: `field, value, ...` as bulk strings.
fn resp2(pairs: &[(&str, &str)]) -> Value {
    Value::Array(pairs.iter().flat_map(|(k, v)| [bulk(k), bulk(v)]).collect())
}

fn resp3(pairs: Vec<(&str, Value)>) -> Value {
    Value::Map(pairs.into_iter().map(|(k, v)| (bulk(k), v)).collect())
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Plan {
    Free,
    Pro,
}

#[derive(Debug, PartialEq, Deserialize)]
struct User {
    name: String,
    age: u32,
    admin: bool,
    score: f64,
    plan: Plan,
    email: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

fn ada() -> User {
    User { name: "Ada".into(), age: 36, admin: true, score: 1.5, plan: Plan::Pro, email: None, tags: vec![] }
}

#[test]
fn structs_from_both_forms_of_a_map() {
    let two = resp2(&[("name", "Ada"), ("age", "36"), ("admin", "1"), ("score", "1.5"), ("plan", "pro")]);
    let three = resp3(vec![
        ("name", bulk("Ada")),
        ("age", Value::Int(36)),
        ("admin", Value::Bool(true)),
        ("score", Value::Double(1.5)),
        ("plan", Value::Simple("pro".into())),
        ("email", Value::Null),
    ]);
    assert_eq!(from_value::<User>(two).unwrap(), ada());
    assert_eq!(from_value::<User>(three).unwrap(), ada());
    let with_extra = resp2(&[
        ("name", "Ada"),
        ("age", "36"),
        ("admin", "true"),
        ("score", "1.5"),
        ("plan", "free"),
        ("email", "ada@example.com"),
        ("unknown", "ignored"),
    ]);
    let u = from_value::<User>(with_extra).unwrap();
    assert_eq!((u.plan, u.email.as_deref()), (Plan::Free, Some("ada@example.com")));
}

#[test]
fn failures_name_the_field() {
    let e = from_value::<User>(resp2(&[("name", "Ada")])).unwrap_err();
    assert_eq!(e.to_string(), "missing field `age`");
    let bad_age = resp2(&[("name", "Ada"), ("age", "old"), ("admin", "1"), ("score", "1"), ("plan", "pro")]);
    assert_eq!(
        from_value::<User>(bad_age).unwrap_err().to_string(),
        r#"field `age`: expected an integer, got bulk string "old""#
    );
    let bad_plan = resp3(vec![("plan", bulk("gold"))]);
    let e = from_value::<User>(bad_plan).unwrap_err().to_string();
    assert!(e.starts_with("field `plan`: unknown variant `gold`"), "{e}");
    let e = from_value::<User>(Value::Null).unwrap_err().to_string();
    assert_eq!(e, "expected a map (or an array of keys and values), got nil");
    let odd = Value::Array(vec![bulk("name"), bulk("Ada"), bulk("dangling")]);
    let e = from_value::<User>(odd).unwrap_err().to_string();
    assert!(e.contains("got array of 3 element(s)"), "{e}");
}

#[derive(Debug, PartialEq, Deserialize)]
struct Outer {
    id: u64,
    inner: Inner,
    list: Vec<u8>,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Inner {
    count: i64,
}

#[test]
fn nested_values_and_their_failures() {
    let two = Value::Array(vec![
        bulk("id"),
        bulk("7"),
        bulk("inner"),
        resp2(&[("count", "-3")]),
        bulk("list"),
        Value::Array(vec![bulk("1"), bulk("2")]),
    ]);
    let want = Outer { id: 7, inner: Inner { count: -3 }, list: vec![1, 2] };
    assert_eq!(from_value::<Outer>(two).unwrap(), want);
    let three = resp3(vec![
        ("id", Value::Int(7)),
        ("inner", resp3(vec![("count", Value::Int(-3))])),
        ("list", Value::Set(vec![Value::Int(1), Value::Int(2)])),
    ]);
    assert_eq!(from_value::<Outer>(three).unwrap(), want);

    let bad = resp3(vec![
        ("id", Value::Int(7)),
        ("inner", resp3(vec![("count", Value::Int(1))])),
        ("list", Value::Array(vec![Value::Int(1), Value::Int(300)])),
    ]);
    assert_eq!(
        from_value::<Outer>(bad).unwrap_err().to_string(),
        "field `list`: element 1: integer 300 is out of range for u8"
    );
    let bad = resp3(vec![("id", Value::Int(7)), ("inner", resp3(vec![]))]);
    assert_eq!(from_value::<Outer>(bad).unwrap_err().to_string(), "field `inner`: missing field `count`");
}

#[test]
fn maps_sequences_tuples_and_scalars() {
    let two = resp2(&[("a", "1"), ("b", "2")]);
    let three = resp3(vec![("a", Value::Int(1)), ("b", Value::Int(2))]);
    for v in [two, three] {
        let m: BTreeMap<String, u8> = from_value(v.clone()).unwrap();
        assert_eq!(m, BTreeMap::from([("a".into(), 1), ("b".into(), 2)]));
        let m: HashMap<String, String> = from_value(v).unwrap();
        assert_eq!(m["b"], "2");
    }
    let e = from_value::<HashMap<String, i32>>(resp2(&[("a", "x")])).unwrap_err();
    assert_eq!(e.to_string(), r#"value of "a": expected an integer, got bulk string "x""#);

    let t: (String, i64, Option<f64>) =
        from_value(Value::Array(vec![bulk("x"), bulk("-2"), Value::Null])).unwrap();
    assert_eq!(t, ("x".into(), -2, None));
    let e = from_value::<(i64, i64)>(Value::Array(vec![Value::Int(1), Value::Int(2), Value::Int(3)]))
        .unwrap_err();
    assert!(e.to_string().contains("invalid length 3"), "{e}");
    assert_eq!(
        from_value::<Vec<bool>>(Value::Array(vec![bulk("yes"), Value::Int(0)])).unwrap(),
        [true, false]
    );
    assert_eq!(from_value::<char>(bulk("é")).unwrap(), 'é');
    assert_eq!(from_value::<u128>(Value::BigNumber("123".into())).unwrap(), 123);
    assert_eq!(from_value::<String>(Value::Double(0.5)).unwrap(), "0.5");
    assert_eq!(
        from_value::<Vec<i32>>(Value::Array(vec![bulk("1"), bulk("two")])).unwrap_err().to_string(),
        r#"element 1: expected an integer, got bulk string "two""#
    );
}

#[derive(Debug, PartialEq, Deserialize)]
enum Shape {
    Dot,
    Circle(f64),
    Rect { w: u32, h: u32 },
}

#[test]
fn enums_from_names_and_single_entry_maps() {
    assert_eq!(from_value::<Shape>(bulk("Dot")).unwrap(), Shape::Dot);
    assert_eq!(from_value::<Shape>(resp3(vec![("Circle", Value::Double(2.0))])).unwrap(), Shape::Circle(2.0));
    assert_eq!(from_value::<Shape>(resp2(&[("Circle", "2")])).unwrap(), Shape::Circle(2.0));
    let rect = resp3(vec![("Rect", resp3(vec![("w", Value::Int(2)), ("h", Value::Int(3))]))]);
    assert_eq!(from_value::<Shape>(rect).unwrap(), Shape::Rect { w: 2, h: 3 });
    assert!(from_value::<Shape>(bulk("Circle")).unwrap_err().to_string().contains("only its name"));
    assert!(from_value::<Shape>(Value::Int(1)).is_err());
}

#[test]
fn serde_wrapper_is_a_from_value_type() {
    #[derive(Debug, PartialEq, Deserialize)]
    struct P {
        x: i32,
    }
    let v = Value::Array(vec![resp2(&[("x", "1")]), resp3(vec![("x", Value::Int(2))])]);
    let ps = Vec::<Serde<P>>::from_value(v).unwrap();
    assert_eq!(ps, [Serde(P { x: 1 }), Serde(P { x: 2 })]);
}

/// The arguments of `fields`, as text.
fn args(fields: &Fields) -> Vec<String> {
    let mut buf = Vec::new();
    fields.write_args(&mut ArgSink::new(&mut buf, None));
    // Each argument is `$<len>\r\n<bytes>\r\n`; keep the bytes.
    let text = String::from_utf8(buf).unwrap();
    text.split("\r\n").skip(1).step_by(2).map(String::from).collect()
}

#[derive(Serialize)]
#[serde(rename_all = "lowercase")]
enum Level {
    Low,
}

#[derive(Serialize)]
struct Reading<'a> {
    sensor: &'a str,
    celsius: f64,
    ratio: f32,
    count: u64,
    delta: i8,
    big: i128,
    ok: bool,
    off: bool,
    level: Level,
    note: Option<String>,
    #[serde(rename = "raw-bytes", with = "bytes_as_bytes")]
    raw: &'a [u8],
    unit: (),
    letter: char,
    limit: f64,
}

mod bytes_as_bytes {
    pub fn serialize<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(b)
    }
}

#[test]
fn structs_into_field_and_value_arguments() {
    let r = Reading {
        sensor: "s1",
        celsius: 21.5,
        ratio: 0.1,
        count: u64::MAX,
        delta: -3,
        big: -170141183460469231731687303715884105728,
        ok: true,
        off: false,
        level: Level::Low,
        note: None,
        raw: b"\x00\x01",
        unit: (),
        letter: 'z',
        limit: f64::INFINITY,
    };
    let fields = to_fields(&r).unwrap();
    assert_eq!(fields.len(), 12);
    assert_eq!(
        args(&fields),
        [
            "sensor",
            "s1",
            "celsius",
            "21.5",
            "ratio",
            "0.1",
            "count",
            "18446744073709551615",
            "delta",
            "-3",
            "big",
            "-170141183460469231731687303715884105728",
            "ok",
            "1",
            "off",
            "0",
            "level",
            "low",
            "raw-bytes",
            "\u{0}\u{1}",
            "letter",
            "z",
            "limit",
            "+inf",
        ]
    );
    // Owned and borrowed iteration give the same pairs.
    let owned: Vec<_> = fields.clone().into_iter().map(|(f, _)| format!("{f:?}")).collect();
    let borrowed: Vec<_> = fields.iter().map(|(f, _)| format!("{f:?}")).collect();
    assert_eq!(owned, borrowed);

    let map = BTreeMap::from([("b", Some(2)), ("a", None), ("c", Some(3))]);
    assert_eq!(args(&to_fields(&map).unwrap()), ["b", "2", "c", "3"]);
    let numbered = BTreeMap::from([(1, "one")]);
    assert_eq!(args(&to_fields(&numbered).unwrap()), ["1", "one"]);
}

#[derive(Serialize)]
struct Nested {
    id: u32,
    address: Address,
}

#[derive(Serialize)]
struct Address {
    city: String,
}

#[test]
fn what_has_no_field_form_is_an_argument_error_naming_the_field() {
    let e = to_fields(&Nested { id: 1, address: Address { city: "Oslo".into() } }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Argument);
    assert!(
        e.to_string().contains("field `address`: the nested struct `Address` cannot be one argument"),
        "{e}"
    );

    #[derive(Serialize)]
    struct Listy {
        items: Vec<u32>,
        score: f64,
    }
    let e = to_fields(&Listy { items: vec![1], score: 0.0 }).unwrap_err();
    assert!(e.to_string().contains("field `items`: a sequence"), "{e}");
    let e = to_fields(&Listy { items: vec![], score: f64::NAN }).unwrap_err().to_string();
    assert!(e.contains("field `items`"), "the first failing field is named: {e}");

    #[derive(Serialize)]
    struct Nan {
        score: f64,
    }
    let e = to_fields(&Nan { score: f64::NAN }).unwrap_err();
    assert!(e.to_string().contains("field `score`: NaN"), "{e}");
    let e = to_fields(&BTreeMap::from([("k", vec![1])])).unwrap_err();
    assert!(e.to_string().contains(r#"field "k": a sequence"#), "{e}");
    let e = to_fields(&42).unwrap_err();
    assert!(
        e.to_string().contains("only a struct or a map becomes field and value arguments, got a number"),
        "{e}"
    );
    assert!(to_fields(&BTreeMap::<String, String>::new()).unwrap().is_empty());
}
