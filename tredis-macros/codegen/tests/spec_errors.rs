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
