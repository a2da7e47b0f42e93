//! The TLS server of w2t: certificates made with openssl for this run (a CA, and a server
//! certificate for 127.0.0.1), and a redis-server that also listens with TLS.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::servers::{free_port, RedisServer};

/// A server with a TLS port, and the CA the clients trust.
pub struct TlsServer {
    /// The server, stopped when this is dropped; its plain port answers the readiness check.
    _server: RedisServer,
    /// `rediss://127.0.0.1:<tls port>`.
    pub url: String,
    /// The CA certificate, PEM.
    pub ca: PathBuf,
}

/// Makes the certificates in `dir` and starts the server.
pub fn start(dir: &Path) -> Result<TlsServer, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    openssl(
        dir,
        &[
            &["req", "-x509"],
            &key[..],
            &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=bench CA"],
        ]
        .concat(),
    )?;
    openssl(
        dir,
        &[&["req"], &key[..], &["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]]
            .concat(),
    )?;
    std::fs::write(dir.join("server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
        .map_err(|e| e.to_string())?;
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    )?;
    let port = free_port()?.to_string();
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let (cert, key, ca) = (p("server.pem"), p("server.key"), p("ca.pem"));
    let server = RedisServer::start(
        "bench-tls",
        &[
            "--tls-port",
            &port,
            "--tls-cert-file",
            &cert,
            "--tls-key-file",
            &key,
            "--tls-ca-cert-file",
            &ca,
            "--tls-auth-clients",
            "no",
        ],
    )?;
    Ok(TlsServer { _server: server, url: format!("rediss://127.0.0.1:{port}"), ca: dir.join("ca.pem") })
}

fn openssl(dir: &Path, args: &[&str]) -> Result<(), String> {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run openssl: {e}"))?;
    if !out.status.success() {
        return Err(format!("openssl {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr)));
    }
    Ok(())
}
