//! Certificates of the test's own, made with the `openssl` tool once per run: a CA, a server
//! certificate for 127.0.0.1 and localhost, the same expired, a client certificate, and an
//! unrelated CA. `cargo xtask test` installs openssl with redis-server.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::server::OwnServer;

/// Where the certificates are.
pub struct Certs {
    dir: PathBuf,
}

impl Certs {
    /// The file `name` (`ca.pem`, `server.pem`, `server.key`, `expired.pem`, `client.pem`,
    /// `client.key`, `other-ca.pem`).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A TLS-only server presenting `cert` (with `server.key`); `clients`: whether it demands
    /// a client certificate.
    pub fn server(&self, cert: &str, clients: bool) -> OwnServer {
        let args = self.args(cert, clients);
        OwnServer::tls(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// The server arguments of [`server`](Certs::server), replication over TLS included.
    pub fn args(&self, cert: &str, clients: bool) -> Vec<String> {
        let p = |n: &str| self.path(n).to_string_lossy().into_owned();
        [
            "--tls-cert-file",
            &p(cert),
            "--tls-key-file",
            &p("server.key"),
            "--tls-ca-cert-file",
            &p("ca.pem"),
            "--tls-auth-clients",
            if clients { "yes" } else { "no" },
            "--tls-replication",
            "yes",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    /// TLS settings that trust the run's CA.
    pub fn client(&self) -> tredis::Tls {
        tredis::Tls::new().ca_file(self.path("ca.pem")).unwrap()
    }
}

/// The certificates of this run, made at first use.
pub fn certs() -> &'static Certs {
    static CERTS: OnceLock<Certs> = OnceLock::new();
    CERTS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("tredis-certs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("ca")).unwrap();
        make(&dir);
        Certs { dir }
    })
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl is installed (cargo xtask test installs it)");
    assert!(out.status.success(), "openssl {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
}

fn make(dir: &Path) {
    let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    for ca in ["ca", "other-ca"] {
        let (k, c, subj) = (format!("{ca}.key"), format!("{ca}.pem"), format!("/CN=tredis {ca}"));
        openssl(
            dir,
            &[&["req", "-x509"], &key[..], &["-keyout", &k, "-out", &c, "-days", "2", "-subj", &subj]]
                .concat(),
        );
    }
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n",
    )
    .unwrap();
    std::fs::write(dir.join("client.ext"), "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
        .unwrap();
    for (who, cn) in [("server", "localhost"), ("client", "tredis test client")] {
        let (k, csr, subj) = (format!("{who}.key"), format!("{who}.csr"), format!("/CN={cn}"));
        openssl(dir, &[&["req"], &key[..], &["-keyout", &k, "-out", &csr, "-subj", &subj]].concat());
        let (pem, ext) = (format!("{who}.pem"), format!("{who}.ext"));
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &pem,
                "-days",
                "2",
                "-extfile",
                &ext,
            ],
        );
    }
    // An expired server certificate: `openssl ca` is the tool that takes any validity dates.
    std::fs::write(dir.join("ca/index.txt"), "").unwrap();
    std::fs::write(dir.join("ca/serial"), "01\n").unwrap();
    std::fs::write(
        dir.join("ca.cnf"),
        format!(
            "[ca]\ndefault_ca = test\n[test]\ndir = {}\ndatabase = $dir/index.txt\nserial = $dir/serial\n\
             new_certs_dir = $dir\ndefault_md = sha256\npolicy = any\n[any]\ncommonName = supplied\n",
            dir.join("ca").display()
        ),
    )
    .unwrap();
    openssl(
        dir,
        &[
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-cert",
            "ca.pem",
            "-keyfile",
            "ca.key",
            "-in",
            "server.csr",
            "-out",
            "expired.pem",
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20200102000000Z",
            "-extfile",
            "server.ext",
        ],
    );
}
