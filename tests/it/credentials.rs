//! Credentials that change: a provider asked at each connection and again before its
//! credentials expire. A password rotated on the server while 64 tasks write fails no
//! request and drops no connection; a provider that fails is an `Auth` error with its cause,
//! retried with the reconnect backoff, not in a tight loop (reliability scenario 34).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tredis::prelude::*;
use tredis::{Client, Credentials, ErrorKind, Protocol};

use crate::support::server::OwnServer;
use crate::support::{client_for, command_stat};

#[tokio::test]
async fn a_rotated_password_fails_no_request() {
    let server = OwnServer::start(&[]);
    let admin = client_for(&server.url(), Protocol::Resp3).await;
    for protocol in crate::support::PROTOCOLS {
        admin.acl_setuser("rotor").rules(["reset", "on", ">p0", "~*", "&*", "+@all"]).await.unwrap();
        let current = Arc::new(Mutex::new("p0".to_string()));
        let asked = Arc::new(AtomicUsize::new(0));
        let c = {
            let (current, asked) = (current.clone(), asked.clone());
            Client::builder()
                .url(&server.url())
                .protocol(protocol)
                .credentials_provider(move || {
                    let password = current.lock().unwrap().clone();
                    asked.fetch_add(1, Ordering::Relaxed);
                    async move { Ok(Credentials::user("rotor", password).valid_for(Duration::from_millis(200))) }
                })
                .build()
                .unwrap()
        };
        c.ready().await.unwrap();
        let id = c.client_id().await.unwrap();
        let auths = command_stat(&admin, "auth", "calls").await;
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..64)
            .map(|w| {
                let (c, stop) = (c.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut errors = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        if let Err(e) = c.incr(format!("rotor:{w}")).await {
                            errors.push(e.to_string());
                        }
                    }
                    errors
                })
            })
            .collect();
        // Each new password is added, handed out, then the old one is taken away.
        for i in 1..=6 {
            admin.acl_setuser("rotor").rules([format!(">p{i}")]).await.unwrap();
            *current.lock().unwrap() = format!("p{i}");
            tokio::time::sleep(Duration::from_millis(250)).await;
            admin.acl_setuser("rotor").rules([format!("<p{}", i - 1)]).await.unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        let mut errors = Vec::new();
        for w in writers {
            errors.extend(w.await.unwrap());
        }
        assert!(errors.is_empty(), "{protocol:?}: {:?}", &errors[..errors.len().min(3)]);
        let reauths = command_stat(&admin, "auth", "calls").await - auths;
        assert!(reauths >= 5, "{protocol:?}: the live connection authenticated again ({reauths} AUTHs)");
        assert_eq!(c.client_id().await.unwrap(), id, "the connection was never dropped");
        // A new connection uses the password of now.
        admin.client_kill().id(id).await.unwrap();
        c.ping().await.unwrap();
        assert_ne!(c.client_id().await.unwrap(), id);
        eprintln!(
            "rotation ({protocol:?}): {reauths} AUTHs on the live connection, the provider asked {} times",
            asked.load(Ordering::Relaxed)
        );
        c.close().await;
    }
}

#[tokio::test]
async fn a_failing_provider_is_an_auth_error_with_its_cause() {
    let server = OwnServer::start(&[]);
    let calls = Arc::new(AtomicUsize::new(0));
    let c = {
        let calls = calls.clone();
        Client::builder()
            .url(&server.url())
            .credentials_provider(move || {
                calls.fetch_add(1, Ordering::Relaxed);
                async { Err("the vault is sealed".into()) }
            })
            .build()
            .unwrap()
    };
    let e = c.ready().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    assert!(e.to_string().contains("the vault is sealed"), "{e}");
    assert!(std::error::Error::source(&e).is_some(), "the provider's error is the source");
    // Attempts go on, with the reconnect backoff.
    let before = calls.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let attempts = calls.load(Ordering::Relaxed) - before;
    assert!(attempts >= 1, "the client keeps trying");
    assert!(attempts < 30, "{attempts} attempts in a second: a tight loop");
    // A provider and a password at once are a configuration error.
    let both = Client::builder()
        .url("redis://:secret@127.0.0.1:1")
        .credentials_provider(|| async { Ok(Credentials::password("x")) })
        .build()
        .unwrap_err();
    assert_eq!(both.kind(), ErrorKind::Config);
    assert!(!format!("{:?}", Credentials::user("u", "hunter2")).contains("hunter2"));
}
