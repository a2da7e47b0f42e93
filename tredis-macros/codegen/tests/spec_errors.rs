//! Spec mistakes fail here, in an ordinary test with a readable message naming the command and
//! the field, before they could become a `compile_error!` in users' builds.

use serde_json::{json, Value};

fn spec(commands: Vec<Value>) -> String {
    serde_json::to_string(&json!({
        "schema": 2,
        "server": { "name": "redis", "version": "7.0.15" },
        "groups": [{ "id": "string", "title": "Strings" }],
        "commands": commands,
    }))
    .unwrap()
}

fn get(reply: &str) -> Value {
    json!({
        "name": "GET", "rust": "get", "group": "string", "status": "supported",
        "summary": "Get a value", "flags": ["readonly"],
        "args": [{ "name": "key", "rust": "key", "kind": "key" }],
        "reply": reply,
    })
}

fn errors(commands: Vec<Value>) -> Vec<String> {
    tredis_codegen::check_spec(&spec(commands))
}

#[test]
fn a_valid_spec_has_no_errors() {
    assert_eq!(errors(vec![get("bytes?")]), Vec::<String>::new());
}

#[test]
fn bad_reply_expression_names_command_and_field() {
    let e = errors(vec![get("bytez?")]);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("GET: commands[0].reply:"), "{e:?}");
    assert!(e[0].contains("expected an atom"), "{e:?}");
}

#[test]
fn unknown_argument_kind() {
    let mut c = get("bytes?");
    c["args"][0]["kind"] = json!("keyy");
    let e = errors(vec![c]);
    assert!(e[0].contains("GET") && e[0].contains("args[0].kind") && e[0].contains("keyy"), "{e:?}");
}

#[test]
fn keyword_names_need_an_overlay_name() {
    let mut c = get("bytes?");
    c["args"][0]["rust"] = json!("type");
    let e = errors(vec![c]);
    assert!(e[0].contains("args[0].rust") && e[0].contains("`type`"), "{e:?}");
}

#[test]
fn duplicate_methods_and_options() {
    let e = errors(vec![get("bytes?"), get("bytes?")]);
    assert!(e.iter().any(|m| m.contains("method `get` is also the method of GET")), "{e:?}");
    let mut c = get("bytes?");
    c["args"] = json!([
        { "name": "key", "rust": "key", "kind": "key" },
        { "name": "a", "rust": "nx", "kind": "token", "token": "NX", "opt": true },
        { "name": "b", "rust": "nx", "kind": "token", "token": "XX", "opt": true },
    ]);
    let e = errors(vec![c]);
    assert!(e.iter().any(|m| m.contains("two options would both be named `nx`")), "{e:?}");
}

#[test]
fn ambiguous_reply_switches_are_refused() {
    let mut c = get("int");
    c["args"] = json!([
        { "name": "a", "rust": "a", "kind": "token", "token": "A", "opt": true, "reply": "bytes" },
        { "name": "b", "rust": "b", "kind": "token", "token": "B", "opt": true, "reply": "int" },
    ]);
    let e = errors(vec![c]);
    assert!(e.iter().any(|m| m.contains("two precedence levels")), "{e:?}");
}

#[test]
fn broken_commands_become_compile_errors_and_the_rest_still_expand() {
    let mut set = get("ok");
    set["name"] = json!("SET");
    set["rust"] = json!("set");
    let text = spec(vec![get("bytez"), set]);
    let call = format!("spec_hash = \"{}\"", tredis_codegen::spec_hash(&text)).parse().unwrap();
    let out = tredis_codegen::expand(&text, call).to_string();
    assert!(out.contains("compile_error"), "{out}");
    assert!(out.contains("GET: commands[0].reply"), "{out}");
    assert!(out.contains("fn set"), "the valid command still expands");
    assert!(!out.contains("fn get"), "the broken one does not");
}

#[test]
fn a_stale_call_site_asks_for_gen() {
    let text = spec(vec![get("bytes?")]);
    let out = tredis_codegen::expand(&text, "spec_hash = \"0000\"".parse().unwrap()).to_string();
    assert!(out.contains("run `cargo xtask gen`"), "{out}");
    let out = tredis_codegen::expand(&text, "nonsense".parse().unwrap()).to_string();
    assert!(out.contains("spec_hash"), "{out}");
}

fn with_records(records: Value) -> String {
    let mut spec: Value = serde_json::from_str(&spec(vec![get("bytes?")])).unwrap();
    spec["records"] = records;
    spec.to_string()
}

#[test]
fn record_mistakes_name_the_record_field() {
    let text = with_records(json!([
        { "name": "Fine", "doc": "A record.", "fields": [
            { "name": "a-b", "rust": "a_b", "reply": "uint", "doc": "A count." }
        ] },
        { "name": "Bad", "doc": "", "fields": [
            { "name": "x", "rust": "type", "reply": "uint", "doc": "X." },
            { "name": "x", "rust": "extra", "reply": "str", "doc": "" },
            { "name": "y", "rust": "y", "reply": "uintt", "doc": "Y." }
        ] },
        { "name": "Fine", "doc": "Twice.", "fields": [] }
    ]));
    let e = tredis_codegen::check_spec(&text);
    for want in
        ["records[1].fields[2].reply: reply `uintt`", "records[2].name: record `Fine` is defined twice"]
    {
        assert!(e.iter().any(|m| m.starts_with(want)), "{want}: {e:?}");
    }
    assert_eq!(e.len(), 2, "a record with a broken reply is left out whole: {e:?}");

    let text = with_records(json!([{ "name": "Bad", "doc": "", "fields": [
        { "name": "x", "rust": "type", "reply": "uint", "doc": "X." },
        { "name": "x", "rust": "extra", "reply": "str", "doc": "" }
    ] }]));
    let e = tredis_codegen::check_spec(&text);
    for want in [
        "records[0].doc: record `Bad` needs a doc",
        "records[0].fields[0].rust: `type` is not a usable field name",
        "records[0].fields[1].rust: field `extra` is taken",
        "records[0].fields[1].name: wire name `x` is empty or repeated",
        "records[0].fields[1].doc: field `extra` needs a doc",
    ] {
        assert!(e.iter().any(|m| m.starts_with(want)), "{want}: {e:?}");
    }
}

#[test]
fn a_record_expands_to_a_struct_and_its_decoder() {
    let text = with_records(json!([{ "name": "Shard", "doc": "A shard.", "fields": [
        { "name": "slots", "rust": "slots", "reply": "pairs<u16,u16>", "doc": "Slot ranges." },
        { "name": "tls-port", "rust": "tls_port", "reply": "u16?", "doc": "TLS port." }
    ] }]));
    let call = format!("spec_hash = \"{}\"", tredis_codegen::spec_hash(&text)).parse().unwrap();
    let out = tredis_codegen::expand_records(&text, call).to_string();
    assert!(!out.contains("compile_error"), "{out}");
    assert!(out.contains("pub slots : :: std :: vec :: Vec < (u16 , u16) >"), "{out}");
    assert!(out.contains("pub tls_port : :: core :: option :: Option < u16 >"), "{out}");
    assert!(
        out.contains(
            "\"tls-port\" => out . tls_port = crate :: reply :: record :: field :: < crate :: reply :: Nullable < \
             crate :: reply :: U16 > > (v , \"Shard field `tls-port`\") ? ,"
        ),
        "{out}"
    );
}
