//! The merge of two servers' arguments, on the shapes Redis 7.0 and Valkey 8.1 really differ by.

use super::*;

fn arg(name: &str, typ: &str, token: Option<&str>, args: Vec<RecArg>) -> RecArg {
    RecArg {
        name: name.into(),
        typ: typ.into(),
        token: token.map(Into::into),
        optional: false,
        multiple: false,
        multiple_token: false,
        since: None,
        deprecated_since: None,
        key_spec_index: None,
        args,
        servers: None,
    }
}

fn val(name: &str) -> RecArg {
    arg(name, "string", None, vec![])
}

fn tok(token: &str) -> RecArg {
    arg(&token.to_lowercase(), "pure-token", Some(token), vec![])
}

fn opt(mut a: RecArg) -> RecArg {
    a.optional = true;
    a
}

fn cmd(name: &str, server: &str, args: Vec<RecArg>) -> RecCommand {
    RecCommand {
        name: name.into(),
        group: "string".into(),
        summary: None,
        since: Some("1.0.0".into()),
        complexity: None,
        history: vec![],
        deprecated_since: None,
        replaced_by: None,
        arity: -1,
        flags: vec![],
        tips: vec![],
        key_specs: vec![],
        args,
        servers: [(server.to_string(), "1.0.0".to_string())].into(),
    }
}

fn both(redis: Vec<RecArg>, valkey: Vec<RecArg>) -> RecCommand {
    let rec = |server: &str, args| Record {
        server: server.into(),
        version: "1".into(),
        file: String::new(),
        commands: vec![cmd("C", server, args)],
    };
    let mut out = merge(vec![rec("redis", redis), rec("valkey", valkey)]);
    assert_eq!(out.len(), 1);
    out.remove(0)
}

fn names(args: &[RecArg]) -> Vec<String> {
    args.iter().map(|a| a.token.clone().unwrap_or_else(|| a.name.clone())).collect()
}

fn only_valkey(a: &RecArg) -> bool {
    a.servers.as_ref().is_some_and(|s| s.keys().eq(["valkey"]))
}

#[test]
fn a_new_variant_joins_its_oneof_after_its_neighbour() {
    // SET: Valkey 8.1 adds IFEQ to the condition.
    let redis =
        vec![val("key"), val("value"), opt(arg("condition", "oneof", None, vec![tok("NX"), tok("XX")]))];
    let mut ifeq = arg("comparison-value", "string", Some("IFEQ"), vec![]);
    ifeq.since = Some("8.1.0".into());
    let valkey = vec![
        val("key"),
        val("value"),
        opt(arg("condition", "oneof", None, vec![tok("NX"), tok("XX"), ifeq])),
    ];
    let c = both(redis, valkey);
    assert_eq!(names(&c.args[2].args), ["NX", "XX", "IFEQ"]);
    assert_eq!(c.args[2].args[2].servers.as_ref().unwrap()["valkey"], "8.1.0");
    assert!(c.args[2].args[..2].iter().all(|a| a.servers.is_none()));
    assert!(!c.args[2].args[2].optional, "a variant stays a variant");
    assert_eq!(c.servers.keys().collect::<Vec<_>>(), ["redis", "valkey"]);
}

#[test]
fn renamed_and_regrouped_arguments_are_not_new() {
    // XINFO STREAM: `FULL [COUNT n]` on Redis 7.0, a block of FULL and COUNT on Valkey.
    let redis = vec![
        val("key"),
        opt(arg("full", "block", Some("FULL"), vec![opt(arg("count", "integer", Some("COUNT"), vec![]))])),
    ];
    let valkey = vec![
        val("key"),
        opt(arg(
            "full-block",
            "block",
            None,
            vec![tok("FULL"), opt(arg("count", "integer", Some("COUNT"), vec![]))],
        )),
    ];
    let c = both(redis.clone(), valkey);
    assert_eq!(c.args, redis, "nothing added, nothing marked");
    // HSET: `field_value` is `data` on Valkey; values without tokens are never compared.
    let c = both(
        vec![val("key"), arg("field_value", "block", None, vec![val("field"), val("value")])],
        vec![val("key"), arg("data", "block", None, vec![val("field"), val("value")])],
    );
    assert_eq!(names(&c.args), ["key", "field_value"]);
    assert!(c.args.iter().all(|a| a.servers.is_none()));
}

#[test]
fn new_options_follow_their_neighbours_in_order() {
    // CLIENT LIST: Valkey adds USER, ADDR, LADDR after ID.
    let redis = vec![opt(tok("TYPE")), opt(arg("id", "block", Some("ID"), vec![val("client-id")]))];
    let valkey =
        vec![opt(tok("TYPE")), opt(tok("ID")), opt(tok("USER")), opt(tok("ADDR")), opt(tok("LADDR"))];
    let c = both(redis, valkey);
    assert_eq!(names(&c.args), ["TYPE", "ID", "USER", "ADDR", "LADDR"]);
    assert!(c.args[2..].iter().all(only_valkey));
    assert!(c.args[1].servers.is_none() && c.args[1].args[0].servers.is_none());
    // ZRANK: a trailing option after a value.
    let c = both(vec![val("key"), val("member")], vec![val("key"), val("member"), opt(tok("WITHSCORE"))]);
    assert_eq!(names(&c.args), ["key", "member", "WITHSCORE"]);
    assert!(only_valkey(&c.args[2]));
}

#[test]
fn a_variant_that_lands_among_plain_arguments_becomes_optional() {
    // BGSAVE: `[SCHEDULE]` on Redis, `[SCHEDULE | CANCEL]` on Valkey.
    let redis = vec![opt(tok("SCHEDULE"))];
    let valkey = vec![opt(arg("operation", "oneof", None, vec![tok("SCHEDULE"), tok("CANCEL")]))];
    let c = both(redis, valkey);
    assert_eq!(names(&c.args), ["SCHEDULE", "CANCEL"]);
    assert!(c.args[1].optional && only_valkey(&c.args[1]));
}

#[test]
fn a_nested_token_is_found_by_its_path() {
    // CLIENT KILL: Valkey adds TYPE PRIMARY and MAXAGE inside the new format.
    let types = |extra: bool| {
        let mut v = vec![tok("NORMAL"), tok("MASTER")];
        if extra {
            v.push(tok("PRIMARY"));
        }
        v.push(tok("PUBSUB"));
        opt(arg("client-type", "oneof", Some("TYPE"), v))
    };
    let block = |extra: bool| {
        let mut v =
            vec![types(extra), opt(arg("skipme", "oneof", Some("SKIPME"), vec![tok("YES"), tok("NO")]))];
        if extra {
            v.push(opt(arg("maxage", "integer", Some("MAXAGE"), vec![])));
        }
        arg("new-format", "block", None, v)
    };
    let c = both(
        vec![arg("filter", "oneof", None, vec![val("ip:port"), block(false)])],
        vec![arg("filter", "oneof", None, vec![val("old-format"), block(true)])],
    );
    let new_format = &c.args[0].args[1];
    assert_eq!(names(&new_format.args), ["TYPE", "SKIPME", "MAXAGE"]);
    assert_eq!(names(&new_format.args[0].args), ["NORMAL", "MASTER", "PRIMARY", "PUBSUB"]);
    assert!(only_valkey(&new_format.args[0].args[2]) && only_valkey(&new_format.args[2]));
    assert!(c.args[0].args[0].servers.is_none(), "the old format is a value: never compared");
}

#[test]
fn what_the_other_server_lacks_is_marked_with_who_has_it() {
    let mut gone = opt(tok("GONE"));
    gone.since = Some("6.2.0".into());
    let c = both(vec![val("key"), gone, opt(tok("KEPT"))], vec![val("key"), opt(tok("KEPT"))]);
    let s = c.args[1].servers.as_ref().expect("marked");
    assert_eq!(s.iter().collect::<Vec<_>>(), [(&"redis".to_string(), &"6.2.0".to_string())]);
    assert!(c.args[2].servers.is_none());
}

#[test]
fn commands_only_one_server_has_keep_their_own_shape() {
    let rec = |server: &str, cmds| Record {
        server: server.into(),
        version: "1".into(),
        file: String::new(),
        commands: cmds,
    };
    let out = merge(vec![
        rec("redis", vec![cmd("GET", "redis", vec![val("key")])]),
        rec(
            "valkey",
            vec![cmd("GET", "valkey", vec![val("key")]), cmd("WAITAOF", "valkey", vec![val("numlocal")])],
        ),
    ]);
    assert_eq!(out.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["GET", "WAITAOF"]);
    assert_eq!(out[1].servers.keys().collect::<Vec<_>>(), ["valkey"]);
    assert_eq!(out[0].servers.keys().collect::<Vec<_>>(), ["redis", "valkey"]);
}

#[test]
fn a_value_that_became_a_oneof_of_tokens_is_the_same_argument() {
    // BITOP: `operation` is a string on Redis 7.0 and a oneof of AND, OR, XOR, NOT on Valkey.
    let redis = vec![val("operation"), val("destkey")];
    let valkey = vec![arg("operation", "oneof", None, vec![tok("AND"), tok("OR")]), val("destkey")];
    let c = both(redis.clone(), valkey);
    assert_eq!(c.args, redis);
}
