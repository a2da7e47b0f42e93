//! Opens the byte stream to a server, TCP (with TCP_NODELAY) or a Unix socket, split into
//! independently owned read and write halves.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::config::{Addr, TlsConnector};
use crate::Error;

/// The read half of a connection.
pub(crate) type ReadHalf = Box<dyn AsyncRead + Send + Unpin>;
/// The write half of a connection.
pub(crate) type WriteHalf = Box<dyn AsyncWrite + Send + Unpin>;

/// Connects to `addr` within `limit`, speaking TLS when `tls` is given.
pub(crate) async fn open(
    addr: &Addr,
    limit: Duration,
    tls: Option<&TlsConnector>,
) -> Result<(ReadHalf, WriteHalf), Error> {
    open_at(addr, None, limit, tls).await.map(|(r, w, _)| (r, w))
}

/// As [`open`], to `peer` when given rather than to what `addr`'s name resolves to now (TLS
/// still checks the name); with the address the connection reached, for TCP. A connection
/// that must reach the same server as another (the one that receives its invalidations)
/// goes where that one went: the name may resolve elsewhere by now, or to several servers.
pub(crate) async fn open_at(
    addr: &Addr,
    peer: Option<SocketAddr>,
    limit: Duration,
    tls: Option<&TlsConnector>,
) -> Result<(ReadHalf, WriteHalf, Option<SocketAddr>), Error> {
    let attempt = async {
        match addr {
            Addr::Tcp { host, port } => {
                let s = match peer {
                    Some(peer) => tokio::net::TcpStream::connect(peer).await?,
                    None => tokio::net::TcpStream::connect((host.as_str(), *port)).await?,
                };
                let reached = s.peer_addr().ok();
                // Coalescing happens in the writer; Nagle would only add latency on top.
                s.set_nodelay(true)?;
                keepalive(&s)?;
                if let Some(tls) = tls {
                    let (r, w) = secure(tls, host, s).await?;
                    return Ok((r, w, reached));
                }
                let (r, w) = s.into_split();
                Ok::<(ReadHalf, WriteHalf, Option<SocketAddr>), std::io::Error>((
                    Box::new(r),
                    Box::new(w),
                    reached,
                ))
            }
            Addr::Unix(_) if tls.is_some() => Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "TLS over a unix socket is not supported",
            )),
            Addr::Unix(path) => open_unix(path).await.map(|(r, w)| (r, w, None)),
        }
    };
    match tokio::time::timeout(limit, attempt).await {
        Ok(Ok(halves)) => Ok(halves),
        // A TLS failure names its cause (an unknown issuer, an expired certificate, a name
        // that does not match).
        Ok(Err(e)) if tls.is_some() => Err(Error::tls(format!("{addr}: TLS: {e}")).with_source(e)),
        Ok(Err(e)) => Err(Error::connect(format!("{addr}: {e}")).with_source(e)),
        Err(_) => Err(Error::connect(format!("{addr}: no connection within {limit:?}"))),
    }
}

/// TLS over `s`, split into halves.
#[cfg(feature = "tls")]
async fn secure(
    tls: &TlsConnector,
    host: &str,
    s: tokio::net::TcpStream,
) -> std::io::Result<(ReadHalf, WriteHalf)> {
    let stream = tls.connect(host, s).await?;
    let (r, w) = tokio::io::split(stream);
    Ok((Box::new(r), Box::new(w)))
}

#[cfg(not(feature = "tls"))]
async fn secure(
    tls: &TlsConnector,
    _: &str,
    _: tokio::net::TcpStream,
) -> std::io::Result<(ReadHalf, WriteHalf)> {
    match *tls {}
}

/// TCP keepalive: a peer that vanished (a host down, a cable cut, a NAT entry dropped) is
/// found by the kernel after about a minute of silence even when no request is waiting.
fn keepalive(s: &tokio::net::TcpStream) -> std::io::Result<()> {
    let ka = socket2::TcpKeepalive::new()
        .with_time(Duration::from_secs(30))
        .with_interval(Duration::from_secs(10));
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple", target_os = "freebsd"))]
    let ka = ka.with_retries(3);
    socket2::SockRef::from(s).set_tcp_keepalive(&ka)
}

#[cfg(unix)]
async fn open_unix(path: &std::path::Path) -> std::io::Result<(ReadHalf, WriteHalf)> {
    let s = tokio::net::UnixStream::connect(path).await?;
    let (r, w) = s.into_split();
    Ok((Box::new(r), Box::new(w)))
}

#[cfg(not(unix))]
async fn open_unix(_: &std::path::Path) -> std::io::Result<(ReadHalf, WriteHalf)> {
    Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "unix sockets need a unix platform"))
}
