//! [`Tls`]: how connections speak TLS (`rediss://`, [`Builder::tls`](crate::Builder::tls)),
//! through rustls with the ring provider, which builds in seconds where aws-lc-rs needs a
//! CMake build of a C library several times as long.
//!
//! Servers are verified against the platform's roots unless a CA is given; a client
//! certificate makes it mutual TLS. Skipping verification has a name that says what it does,
//! and no URL or environment can turn it on.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::Error;

/// TLS settings of a client.
///
/// ```no_run
/// # fn demo() -> Result<(), tredis::Error> {
/// let tls = tredis::Tls::new()
///     .ca_file("/etc/redis/ca.pem")?
///     .client_cert_files("/etc/redis/client.pem", "/etc/redis/client.key")?;
/// let client = tredis::Client::builder().url("rediss://cache.internal:6380").tls(tls).build()?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Tls {
    roots: Option<Vec<CertificateDer<'static>>>,
    client: Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
    server_name: Option<String>,
    verify: bool,
}

impl Default for Tls {
    fn default() -> Self {
        Tls::new()
    }
}

impl std::fmt::Debug for Tls {
    // Never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field(
                "ca",
                &self
                    .roots
                    .as_ref()
                    .map_or("platform roots".to_string(), |r| format!("{} certificates", r.len())),
            )
            .field("client_certificate", &self.client.is_some())
            .field("server_name", &self.server_name)
            .field("verify", &self.verify)
            .finish()
    }
}

impl Tls {
    /// TLS that verifies servers against the platform's root certificates.
    pub fn new() -> Tls {
        Tls { roots: None, client: None, server_name: None, verify: true }
    }

    /// Verifies servers against the CA certificates of `pem` instead of the platform's.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when `pem` holds no certificate.
    pub fn ca_pem(mut self, pem: impl AsRef<[u8]>) -> Result<Tls, Error> {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem.as_ref())
            .collect::<Result<_, _>>()
            .map_err(|e| Error::config(format!("TLS CA: {e}")))?;
        if certs.is_empty() {
            return Err(Error::config("TLS CA: no certificate in the PEM"));
        }
        self.roots = Some(certs);
        Ok(self)
    }

    /// As [`ca_pem`](Tls::ca_pem), from a file.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when the file cannot be read or holds
    /// no certificate.
    pub fn ca_file(self, path: impl AsRef<std::path::Path>) -> Result<Tls, Error> {
        let pem = read(path.as_ref(), "CA")?;
        self.ca_pem(pem)
    }

    /// Presents this certificate chain and key to the server (mutual TLS).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when there is no certificate or no key.
    pub fn client_cert_pem(mut self, chain: impl AsRef<[u8]>, key: impl AsRef<[u8]>) -> Result<Tls, Error> {
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain.as_ref())
            .collect::<Result<_, _>>()
            .map_err(|e| Error::config(format!("TLS client certificate: {e}")))?;
        if chain.is_empty() {
            return Err(Error::config("TLS client certificate: no certificate in the PEM"));
        }
        // The key's own parse error could quote it: only its kind is said.
        let key = PrivateKeyDer::from_pem_slice(key.as_ref())
            .map_err(|_| Error::config("TLS client key: no private key in the PEM"))?;
        self.client = Some((chain, Arc::new(key)));
        Ok(self)
    }

    /// As [`client_cert_pem`](Tls::client_cert_pem), from files.
    ///
    /// # Errors
    ///
    /// As `client_cert_pem`, and when a file cannot be read.
    pub fn client_cert_files(
        self,
        chain: impl AsRef<std::path::Path>,
        key: impl AsRef<std::path::Path>,
    ) -> Result<Tls, Error> {
        let (chain, key) = (read(chain.as_ref(), "client certificate")?, read(key.as_ref(), "client key")?);
        self.client_cert_pem(chain, key)
    }

    /// The name the server's certificate must carry, when it is not the host connected to
    /// (an IP address, or a name behind a load balancer); also sent as SNI.
    pub fn server_name(mut self, name: impl Into<String>) -> Tls {
        self.server_name = Some(name.into());
        self
    }

    /// Accepts any server certificate, for development against self-signed servers: the
    /// connection is encrypted but anyone in the middle can read it. Only this method turns
    /// verification off.
    pub fn danger_accept_invalid_certificates(mut self) -> Tls {
        self.verify = false;
        self
    }

    /// The connector these settings make.
    pub(crate) fn connector(&self) -> Result<Connector, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::config(format!("TLS: {e}")))?;
        let builder = if self.verify {
            builder.with_root_certificates(self.root_store()?)
        } else {
            builder.dangerous().with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        };
        let config = match &self.client {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain.clone(), key.clone_key())
                .map_err(|e| Error::config(format!("TLS client certificate: {e}")))?,
            None => builder.with_no_client_auth(),
        };
        let server_name = match &self.server_name {
            Some(n) => Some(
                ServerName::try_from(n.clone())
                    .map_err(|e| Error::config(format!("TLS server name `{n}`: {e}")))?,
            ),
            None => None,
        };
        Ok(Connector { config: tokio_rustls::TlsConnector::from(Arc::new(config)), server_name })
    }

    fn root_store(&self) -> Result<RootCertStore, Error> {
        let mut store = RootCertStore::empty();
        match &self.roots {
            Some(certs) => {
                for c in certs {
                    store.add(c.clone()).map_err(|e| Error::config(format!("TLS CA: {e}")))?;
                }
            }
            None => {
                let found = rustls_native_certs::load_native_certs();
                let (added, _) = store.add_parsable_certificates(found.certs);
                if added == 0 {
                    let why = found.errors.first().map_or(String::new(), |e| format!(": {e}"));
                    return Err(Error::config(format!(
                        "TLS: no root certificate found on this platform{why}; give a CA with `Tls::ca_file`"
                    )));
                }
            }
        }
        Ok(store)
    }
}

fn read(path: &std::path::Path, what: &str) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::config(format!("TLS {what} {}: {e}", path.display())))
}

/// What a connection needs to speak TLS: built once per client.
#[derive(Clone)]
pub(crate) struct Connector {
    config: tokio_rustls::TlsConnector,
    server_name: Option<ServerName<'static>>,
}

impl Connector {
    /// TLS over `tcp` to `host`, verified as the settings say.
    pub(crate) async fn connect(
        &self,
        host: &str,
        tcp: tokio::net::TcpStream,
    ) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
        let name = match &self.server_name {
            Some(n) => n.clone(),
            None => ServerName::try_from(host.to_string()).map_err(|e| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("server name: {e}"))
            })?,
        };
        self.config.connect(name, tcp).await
    }
}

/// The verifier of [`Tls::danger_accept_invalid_certificates`]: signatures are still
/// checked, the certificate is not.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
