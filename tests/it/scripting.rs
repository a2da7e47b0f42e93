//! The scripting group: EVAL and friends, SCRIPT, FUNCTION and FCALL, and the `Script` helper.

use std::time::Duration;

use tredis::commands::scripting::{FlushMode, RestorePolicy};
use tredis::prelude::*;
use tredis::{Protocol, Value};

use crate::both;
use crate::support::{self, server::OwnServer};

both!(
    async fn eval_with_keys_and_args(c, k) {
        let script = "redis.call('SET', KEYS[1], ARGV[1]); return {KEYS[1], tonumber(ARGV[2]) + 1}";
        let out = c.eval(script, k.key("a"), ["v", "41"]).await?;
        assert_eq!(out, Value::Array(vec![Value::Bulk(k.key("a").into()), Value::Int(42)]));
        assert_eq!(c.get(k.key("a")).await?.as_deref(), Some(&b"v"[..]));
        assert_eq!(c.eval("return 7", (), ()).await?, Value::Int(7));
        assert_eq!(c.eval_ro("return redis.call('GET', KEYS[1])", k.key("a"), ()).await?, Value::Bulk("v".into()));
        // A write from EVAL_RO is refused by the server.
        assert!(c.eval_ro("return redis.call('DEL', KEYS[1])", k.key("a"), ()).await.is_err());
        let sha = c.script_load("return ARGV[1]").await?;
        assert_eq!(sha.len(), 40);
        assert_eq!(c.evalsha(&sha, (), "x").await?, Value::Bulk("x".into()));
        assert_eq!(c.evalsha_ro(&sha, (), "y").await?, Value::Bulk("y".into()));
        assert_eq!(c.script_exists([sha.as_str(), "0000000000000000000000000000000000000000"]).await?, vec![true, false]);
        let e = c.evalsha("0000000000000000000000000000000000000000", (), ()).await.unwrap_err();
        assert_eq!(e.code(), Some("NOSCRIPT"));
        assert!(!c.script_help().await?.is_empty());
        Ok(())
    }
);

both!(
    async fn script_helper_loads_on_noscript(c, k) {
        let script = tredis::Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
        assert_eq!(script.invoke(&c, k.key("n"), 5).await?, Value::Int(5));
        assert_eq!(script.invoke(&c, k.key("n"), 2).await?, Value::Int(7));
        assert!(script.code().starts_with(b"return"));
        Ok(())
    }
);

both!(
    async fn functions(c, k) {
        let lib = format!("lib_{}", k.key("").replace([':', '-'], "_"));
        let code = format!(
            "#!lua name={lib}\n\
             redis.register_function('{lib}_echo', function(keys, args) return args[1] end)\n\
             redis.register_function{{function_name='{lib}_get', callback=function(keys) return redis.call('GET', keys[1]) end, flags={{'no-writes'}}}}"
        );
        assert_eq!(c.function_load(&code).await?, lib);
        assert!(c.function_load(&code).await.is_err(), "already loaded");
        assert_eq!(c.function_load(&code).replace().await?, lib);
        assert_eq!(c.fcall(format!("{lib}_echo"), (), "hi").await?, Value::Bulk("hi".into()));
        c.set(k.key("k"), "v").await?;
        assert_eq!(c.fcall_ro(format!("{lib}_get"), k.key("k"), ()).await?, Value::Bulk("v".into()));
        let listed = c.function_list().libraryname(&lib).withcode().await?;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].library_name, lib);
        assert_eq!(listed[0].engine, "LUA");
        assert_eq!(listed[0].functions.len(), 2);
        assert!(listed[0].functions.iter().any(|f| f.flags == vec!["no-writes".to_string()]));
        assert!(listed[0].library_code.as_deref().is_some_and(|c| c.contains("register_function")));
        assert!(c.function_list().await?.iter().any(|l| l.library_name == lib));
        let stats = c.function_stats().await?;
        assert_ne!(stats.engines, Value::Null);
        assert!(!c.function_help().await?.is_empty());
        c.function_delete(&lib).await?;
        assert!(c.fcall(format!("{lib}_echo"), (), "hi").await.is_err());
        Ok(())
    }
);

/// Flushing and restoring scripts and functions touch the whole server: a server of our own.
#[tokio::test]
async fn flush_dump_and_restore() {
    let server = OwnServer::start(&[]);
    for proto in support::PROTOCOLS {
        let c = support::client_for(&server.url(), proto).await;
        c.function_load("#!lua name=keep\nredis.register_function('keep_one', function() return 1 end)")
            .await
            .unwrap();
        let dump = c.function_dump().await.unwrap();
        c.function_flush().mode(FlushMode::Sync).await.unwrap();
        assert!(c.function_list().await.unwrap().is_empty());
        c.function_restore(&dump).await.unwrap();
        assert_eq!(c.function_list().await.unwrap().len(), 1);
        assert!(c.function_restore(&dump).await.is_err(), "the library exists");
        c.function_restore(&dump).policy(RestorePolicy::Replace).await.unwrap();
        c.function_restore(&dump).policy(RestorePolicy::Flush).await.unwrap();
        c.function_flush().await.unwrap();
        let sha = c.script_load("return 1").await.unwrap();
        c.script_flush().mode(FlushMode::Async).await.unwrap();
        assert_eq!(c.script_exists(&sha).await.unwrap(), vec![false]);
        c.script_flush().await.unwrap();
    }
}

/// SCRIPT KILL and FUNCTION KILL stop a busy script; the whole server is busy meanwhile.
#[tokio::test]
async fn kill_busy_scripts() {
    let server = OwnServer::start(&["--busy-reply-threshold", "100"]);
    let runner = support::client_for(&server.url(), Protocol::Resp3).await;
    let killer = support::client_for(&server.url(), Protocol::Resp2).await;
    let busy = tokio::spawn({
        let runner = runner.clone();
        async move { runner.eval("while true do end", (), ()).with_timeout(Duration::from_secs(20)).await }
    });
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        match killer.script_kill().await {
            Ok(()) => break,
            Err(e) => assert_eq!(e.code(), Some("NOTBUSY"), "{e}"),
        }
    }
    let e = busy.await.unwrap().unwrap_err();
    assert!(e.to_string().contains("killed"), "{e}");
    runner
        .function_load(
            "#!lua name=spin\nredis.register_function{function_name='spin', callback=function() while true do end end, flags={'no-writes'}}",
        )
        .await
        .unwrap();
    let busy = tokio::spawn({
        let runner = runner.clone();
        async move { runner.fcall("spin", (), ()).with_timeout(Duration::from_secs(20)).await }
    });
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        match killer.function_kill().await {
            Ok(()) => break,
            Err(e) => assert_eq!(e.code(), Some("NOTBUSY"), "{e}"),
        }
    }
    assert!(busy.await.unwrap().is_err());
}
