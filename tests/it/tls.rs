//! TLS against real TLS-only servers with certificates of the run's own: a good certificate
//! (`rediss://` and `Builder::tls`), mutual TLS, and each way verification fails, named in the
//! `Connect` error: an unknown CA, an expired certificate, a wrong host name, a missing client
//! certificate. Under RESP2 and RESP3.

use std::time::Duration;

use tredis::prelude::*;
use tredis::{Client, ErrorKind, Protocol, Tls};

use crate::support::b;
use crate::support::certs::certs;

fn client(url: &str, tls: Tls, protocol: Protocol) -> Client {
    Client::builder()
        .url(url)
        .tls(tls)
        .protocol(protocol)
        .connect_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn ca() -> Tls {
    Tls::new().ca_file(certs().path("ca.pem")).unwrap()
}

/// Connecting fails as a `Connect` error that says `cause`.
async fn refused(c: &Client, cause: &str) {
    let e = c.ready().await.expect_err("the connection must be refused");
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
    assert!(e.to_string().contains(cause), "the error names the cause ({cause}): {e}");
}

#[tokio::test]
async fn a_good_certificate_over_tls() {
    let server = certs().server("server.pem", false);
    for protocol in crate::support::PROTOCOLS {
        let c = client(&server.url(), ca(), protocol);
        c.set("tls:k", "v").await.unwrap();
        assert_eq!(c.get("tls:k").await.unwrap(), Some(b("v")));
        // Many requests at once, pipelined and multiplexed, as over TCP.
        let p = c.pipeline();
        let n: Vec<_> = (0..1000).map(|_| p.incr("tls:n")).collect();
        assert!(p.execute(n).await.into_iter().all(|r| r.is_ok()));
        // A subscriber over TLS too.
        let mut sub = c.subscriber();
        sub.subscribe(["tls:news"]).await.unwrap();
        c.publish("tls:news", "sealed").await.unwrap();
        assert_eq!(crate::subscriber::message(&mut sub).await.payload, b("sealed"));
        c.close().await;
    }
    // The name in the certificate, given as the server name, instead of the IP.
    let c = client(&server.url(), ca().server_name("localhost"), Protocol::Resp3);
    c.ping().await.unwrap();
}

#[tokio::test]
async fn verification_failures_name_their_cause() {
    let good = certs().server("server.pem", false);
    let expired = certs().server("expired.pem", false);
    // The platform's roots do not know the run's CA, nor does another CA.
    let platform = Client::builder().url(&good.url()).build().unwrap();
    refused(&platform, "UnknownIssuer").await;
    let other =
        client(&good.url(), Tls::new().ca_file(certs().path("other-ca.pem")).unwrap(), Protocol::Resp3);
    refused(&other, "UnknownIssuer").await;
    refused(&client(&expired.url(), ca(), Protocol::Resp3), "expired").await;
    refused(
        &client(&good.url(), ca().server_name("redis.example.com"), Protocol::Resp3),
        "not valid for name",
    )
    .await;
    // Plain TCP to a TLS port, or TLS to a plain one: no hang, a clear failure.
    let plain = crate::support::server::OwnServer::start(&[]);
    let tls_to_plain = client(&plain.url().replace("redis://", "rediss://"), ca(), Protocol::Resp3);
    let e = tls_to_plain.ready().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
    // Only the named method turns verification off.
    let insecure = client(&expired.url(), Tls::new().danger_accept_invalid_certificates(), Protocol::Resp3);
    insecure.ping().await.unwrap();
}

#[tokio::test]
async fn mutual_tls() {
    let server = certs().server("server.pem", true);
    for protocol in crate::support::PROTOCOLS {
        let with = ca().client_cert_files(certs().path("client.pem"), certs().path("client.key")).unwrap();
        let c = client(&server.url(), with, protocol);
        c.set("mtls:k", "v").await.unwrap();
        c.close().await;
        // Without a client certificate the server refuses, and the error says so.
        let without = client(&server.url(), ca(), protocol);
        let e = without.ready().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
        assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
    }
}

#[test]
fn tls_settings_never_show_the_key() {
    let tls = ca().client_cert_files(certs().path("client.pem"), certs().path("client.key")).unwrap();
    let key = std::fs::read_to_string(certs().path("client.key")).unwrap();
    let shown = format!("{tls:?}");
    let body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(!shown.contains(&body[..20]), "{shown}");
    assert!(Tls::new().ca_pem("not a certificate").is_err());
    assert!(Tls::new().client_cert_pem("", "").is_err());
}

#[tokio::test]
async fn a_cluster_over_tls() {
    let _one = crate::support::own_cluster::one_at_a_time().await;
    let mut members = crate::support::own_cluster::small_tls_cluster().await;
    for protocol in crate::support::PROTOCOLS {
        let c = Client::builder()
            .hosts([members[1].server.url()])
            .cluster(true)
            .tls(ca())
            .protocol(protocol)
            .command_timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        c.ready().await.unwrap();
        // Keys of every slot range: the nodes announce their TLS ports, and redirections stay
        // on TLS.
        for i in 0..200 {
            c.set(format!("tls:cluster:{i}"), i.to_string()).await.unwrap();
        }
        assert_eq!(c.get("tls:cluster:7").await.unwrap(), Some(b("7")));
        c.close().await;
    }
    // A failover over TLS: the first primary dies, its replica takes over, writes go on.
    let c = Client::builder()
        .hosts([members[1].server.url()])
        .cluster(true)
        .tls(ca())
        .command_timeout(Duration::from_secs(10))
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(200))
        .build()
        .unwrap();
    c.ready().await.unwrap();
    let key = (0..).map(|i| format!("tls:failover:{i}")).find(|k| tredis::key_slot(k) <= 5460).unwrap();
    c.set(&key, "before").await.unwrap();
    members[0].server.stop();
    crate::support::wait_until("writes reach the promoted replica", || async {
        c.set(&key, "after").await.is_ok()
    })
    .await;
    assert_eq!(members[3].admin.get(&key).await.unwrap(), Some(b("after")));
}

/// redis-cli over TLS to the server at `port`, trusting the run's CA.
fn cli(port: u16, args: &[&str]) -> String {
    let ca = certs().path("ca.pem");
    let out = std::process::Command::new("redis-cli")
        .args(["--tls", "--cacert"])
        .arg(&ca)
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test]
async fn sentinel_and_data_servers_over_tls_with_a_failover() {
    let args = certs().args("server.pem", false);
    let tls_args: Vec<&str> = args.iter().map(String::as_str).collect();
    let primary = crate::support::server::OwnServer::tls(&tls_args);
    let port = primary.port().to_string();
    let mut replica_args = tls_args.clone();
    replica_args.extend([
        "--replicaof",
        "127.0.0.1",
        &port,
        "--repl-diskless-sync-delay",
        "0",
        "--repl-ping-replica-period",
        "1",
    ]);
    let replica = crate::support::server::OwnServer::tls(&replica_args);
    let p = |n: &str| certs().path(n).to_string_lossy().into_owned();
    let sentinel = crate::support::server::OwnServer::sentinel_tls(&format!(
        "tls-cert-file {}\ntls-key-file {}\ntls-ca-cert-file {}\ntls-auth-clients no\ntls-replication yes\n\
         sentinel monitor tlsm 127.0.0.1 {port} 1\nsentinel down-after-milliseconds tlsm 2000\n\
         sentinel failover-timeout tlsm 10000\n",
        p("server.pem"),
        p("server.key"),
        p("ca.pem"),
    ));
    // The Sentinel's URL says rediss://, and trusts the run's CA; the data servers too.
    let c = Client::builder()
        .hosts([sentinel.url()])
        .sentinel("tlsm")
        .sentinel_tls(ca())
        .tls(ca())
        .command_timeout(Duration::from_secs(5))
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(200))
        .build()
        .unwrap();
    c.set("tls:sentinel", "before").await.unwrap();
    let tls_port = |c: Client| async move {
        c.config_get(["tls-port"]).await.ok().and_then(|m| m.get("tls-port").cloned()).unwrap_or_default()
    };
    assert_eq!(tls_port(c.clone()).await, port);
    crate::support::wait_until("the Sentinel knows the replica in sync", || async {
        let replicas = cli(sentinel.port(), &["SENTINEL", "REPLICAS", "tlsm"]);
        replicas.contains("master-link-status\nok") || replicas.contains("master-link-status\r\nok")
    })
    .await;
    let mut out = String::new();
    for _ in 0..50 {
        out = cli(sentinel.port(), &["SENTINEL", "FAILOVER", "tlsm"]);
        if out == "OK" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(out, "OK");
    let new = replica.port().to_string();
    crate::support::wait_until("the client writes to the new primary", || async {
        c.set("tls:sentinel", "after").await.is_ok() && tls_port(c.clone()).await == new
    })
    .await;
}
