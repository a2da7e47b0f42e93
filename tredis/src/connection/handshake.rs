//! The commands every (re)connect replays before serving callers: HELLO 3 with AUTH and
//! SETNAME (or AUTH and CLIENT SETNAME on RESP2, and on servers without HELLO), then SELECT;
//! and ROLE when the role matters: only the primary will do when several hosts are configured
//! or Sentinel names the server, and only a replica in sync for reads from replicas. It ends
//! with the library's name and version (CLIENT SETINFO) and a PING that proves it in step.
//! A connection that serves cached reads tracks keys (CLIENT TRACKING): on RESP3 from the
//! handshake on, on RESP2 once its redirect connection is made ([`track_redirected`]).

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::transport::{ReadHalf, WriteHalf};
use crate::command::CmdBuf;
use crate::config::{Config, Protocol, Wanted};
use crate::resp::{Decoder, Value};
use crate::Error;

/// What the handshake settled.
pub(crate) struct Session {
    /// The protocol the connection speaks.
    pub protocol: Protocol,
    /// Bytes read past the last handshake reply (normally none).
    pub leftover: BytesMut,
}

struct Wire<'a> {
    rd: &'a mut ReadHalf,
    wr: &'a mut WriteHalf,
    dec: Decoder,
    buf: BytesMut,
}

impl Wire<'_> {
    async fn call(&mut self, cmd: CmdBuf) -> Result<Value, Error> {
        let enc = cmd.finish()?;
        self.write(enc.as_bytes()).await?;
        self.read().await
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.wr.write_all(bytes).await.map_err(|e| Error::connect(format!("handshake write failed: {e}")))
    }

    async fn read(&mut self) -> Result<Value, Error> {
        loop {
            if let Some(v) = self.dec.decode(&mut self.buf)? {
                return Ok(v);
            }
            let n = self
                .rd
                .read_buf(&mut self.buf)
                .await
                .map_err(|e| Error::connect(format!("handshake read failed: {e}")))?;
            if n == 0 {
                return Err(Error::connect("the server closed the connection during the handshake"));
            }
        }
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Error(e) | Value::BulkError(e) => String::from_utf8_lossy(e).into_owned(),
        other => format!("unexpected {} reply", other.kind_name()),
    }
}

/// Element `i` of a ROLE reply, as text: 0 is `master`, `slave` or `sentinel`; for a replica,
/// 3 is the state of its link to the primary.
fn role_field(v: &Value, i: usize) -> Option<&str> {
    match v {
        Value::Array(items) => match items.get(i)? {
            Value::Bulk(b) | Value::Simple(b) => std::str::from_utf8(b).ok(),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a ROLE reply shows the server `wanted`. A replica must be `connected`: one that is
/// still syncing serves stale data, or none.
fn check_role(role: &Value, wanted: Wanted) -> Result<(), Error> {
    match (role_field(role, 0), wanted) {
        (Some("master"), Wanted::Primary) => Ok(()),
        (Some("slave"), Wanted::Replica) => match role_field(role, 3) {
            Some("connected") => Ok(()),
            state => Err(Error::connect(format!(
                "a replica whose link to its primary is {}, not connected",
                state.unwrap_or("unknown")
            ))),
        },
        (Some(other), Wanted::Primary) => {
            Err(Error::connect(format!("not the primary: its role is {other}")))
        }
        (Some(other), _) => Err(Error::connect(format!("not a replica: its role is {other}"))),
        (None, _) => Err(Error::connect(format!("ROLE failed: {}", text(role)))),
    }
}

fn is_auth_error(msg: &str) -> bool {
    msg.starts_with("WRONGPASS")
        || msg.starts_with("NOAUTH")
        || msg.contains("AUTH")
        || msg.contains("password")
}

fn expect_ok(v: Value, what: &str) -> Result<(), Error> {
    match v {
        Value::Simple(s) if s == "OK" => Ok(()),
        other => {
            let msg = text(&other);
            if is_auth_error(&msg) {
                Err(Error::auth(msg))
            } else {
                Err(Error::connect(format!("{what} failed: {msg}")))
            }
        }
    }
}

/// Sends one command on a fresh connection (to a Sentinel) and reads its reply.
pub(crate) async fn call_once(
    rd: &mut ReadHalf,
    wr: &mut WriteHalf,
    limits: crate::resp::Limits,
    cmd: CmdBuf,
) -> Result<Value, Error> {
    let mut wire = Wire { rd, wr, dec: Decoder::new(limits), buf: BytesMut::with_capacity(512) };
    wire.call(cmd).await
}

/// Runs the handshake on a fresh connection. Its errors hold no password, even one the
/// server echoes back.
pub(crate) async fn run(rd: &mut ReadHalf, wr: &mut WriteHalf, cfg: &Config) -> Result<Session, Error> {
    exchange(rd, wr, cfg).await.map_err(|e| e.map_message(|m| cfg.scrub(m)))
}

async fn exchange(rd: &mut ReadHalf, wr: &mut WriteHalf, cfg: &Config) -> Result<Session, Error> {
    let mut wire = Wire { rd, wr, dec: Decoder::new(cfg.limits), buf: BytesMut::with_capacity(4096) };
    let mut protocol = Protocol::Resp2;
    let mut need_auth_and_name = true;
    if cfg.protocol == Protocol::Resp3 {
        let mut c = CmdBuf::new(b"$5\r\nHELLO\r\n", 1);
        c.uint(3);
        if let Some(pass) = &cfg.password {
            c.token(b"$4\r\nAUTH\r\n");
            c.arg(cfg.username.as_deref().unwrap_or("default"));
            c.arg(pass);
        }
        if let Some(name) = &cfg.client_name {
            c.token(b"$7\r\nSETNAME\r\n");
            c.arg(name);
        }
        match wire.call(c).await? {
            Value::Map(_) | Value::Array(_) => {
                protocol = Protocol::Resp3;
                need_auth_and_name = false;
            }
            other => {
                let msg = text(&other);
                // Servers before 6.0 lack HELLO, and a server may refuse protocol 3: speak RESP2.
                let fallback = msg.starts_with("NOPROTO") || msg.starts_with("ERR unknown command");
                if !fallback {
                    return Err(if is_auth_error(&msg) {
                        Error::auth(msg)
                    } else {
                        Error::connect(format!("HELLO failed: {msg}"))
                    });
                }
            }
        }
    }
    if need_auth_and_name {
        if let Some(pass) = &cfg.password {
            let mut c = CmdBuf::new(b"$4\r\nAUTH\r\n", 1);
            if let Some(user) = &cfg.username {
                c.arg(user);
            }
            c.arg(pass);
            let reply = wire.call(c).await?;
            match reply {
                Value::Simple(s) if s == "OK" => {}
                other => return Err(Error::auth(text(&other))),
            }
        }
        if let Some(name) = &cfg.client_name {
            let mut c = CmdBuf::new(b"$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n", 2);
            c.arg(name);
            let reply = wire.call(c).await?;
            expect_ok(reply, "CLIENT SETNAME")?;
        }
    }
    if cfg.role != Wanted::Any {
        let role = wire.call(CmdBuf::new(b"$4\r\nROLE\r\n", 1)).await?;
        check_role(&role, cfg.role)?;
    }
    if cfg.db != 0 {
        let mut c = CmdBuf::new(b"$6\r\nSELECT\r\n", 1);
        c.int(cfg.db);
        let reply = wire.call(c).await?;
        expect_ok(reply, &format!("SELECT {}", cfg.db))?;
    }
    // On RESP3 the invalidations are pushes beside the replies. On RESP2 they need a
    // connection of their own, made once this one is known to work (`super::redirect`).
    if cfg.tracking.is_some() && protocol == Protocol::Resp3 {
        let reply = wire.call(tracking_on(None)).await?;
        expect_ok(reply, "CLIENT TRACKING ON OPTIN")?;
    }
    if cfg.cluster && cfg.read_from_replicas {
        // Harmless on a primary; on a replica it allows reads instead of MOVED.
        let reply = wire.call(CmdBuf::new(b"$8\r\nREADONLY\r\n", 1)).await?;
        expect_ok(reply, "READONLY")?;
    }
    in_step(&mut wire).await?;
    Ok(Session { protocol, leftover: wire.buf })
}

/// `CLIENT TRACKING ON [REDIRECT <id>] OPTIN`. OPTIN: only reads sent after CLIENT CACHING
/// YES are tracked, the cached ones.
fn tracking_on(redirect: Option<u64>) -> CmdBuf {
    let mut c = CmdBuf::new(b"$6\r\nCLIENT\r\n$8\r\nTRACKING\r\n$2\r\nON\r\n", 3);
    if let Some(id) = redirect {
        c.token(b"$8\r\nREDIRECT\r\n");
        c.uint(id);
    }
    c.token(b"$5\r\nOPTIN\r\n");
    c
}

/// Has a handshaken RESP2 connection track keys, its invalidations sent to the connection
/// whose id is `redirect` (see [`super::redirect`]).
pub(super) async fn track_redirected(
    rd: &mut ReadHalf,
    wr: &mut WriteHalf,
    cfg: &Config,
    session: &mut Session,
    redirect: u64,
) -> Result<(), Error> {
    let buf = std::mem::take(&mut session.leftover);
    let mut wire = Wire { rd, wr, dec: Decoder::new(cfg.limits), buf };
    let reply = wire.call(tracking_on(Some(redirect))).await?;
    expect_ok(reply, "CLIENT TRACKING ON REDIRECT")?;
    // Nothing else was asked for, and a RESP2 connection has no pushes.
    if !wire.buf.is_empty() {
        return Err(out_of_step());
    }
    session.leftover = wire.buf;
    Ok(())
}

/// The payload of the PING that ends the handshake.
const SYNC: &[u8] = b"tredis-handshake-done";

/// `CLIENT SETINFO LIB-NAME tredis` and `LIB-VER <version>`: which library this is, for
/// CLIENT LIST on servers that keep it (Redis 7.2+, Valkey).
fn lib_info() -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(96);
    for (attr, value) in
        [(&b"$8\r\nLIB-NAME\r\n"[..], "tredis"), (b"$7\r\nLIB-VER\r\n", env!("CARGO_PKG_VERSION"))]
    {
        let mut c = CmdBuf::new(b"$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n", 2);
        c.token(attr);
        c.arg(value);
        out.extend_from_slice(c.finish()?.as_bytes());
    }
    Ok(out)
}

/// Proves the connection is in step before callers use it: a PING whose echo must be the
/// next reply, with nothing after it. A server that sent something nobody asked for (an extra
/// reply after HELLO, say) would otherwise hand it to the first caller as its answer.
///
/// The library's name and version go in the same write, so they cost no round trip of their
/// own; a server without CLIENT SETINFO (Redis 7.0), or a user without the right to it, answers
/// with an error that is ignored: the name is a courtesy, not something the client needs.
async fn in_step(wire: &mut Wire<'_>) -> Result<(), Error> {
    let mut c = CmdBuf::new(b"$4\r\nPING\r\n", 1);
    c.arg(SYNC);
    let mut batch = lib_info()?;
    batch.extend_from_slice(c.finish()?.as_bytes());
    wire.write(&batch).await?;
    for _ in 0..2 {
        // Anything but OK or an error is not an answer to SETINFO: the connection is out of
        // step (an extra reply after HELLO).
        if !matches!(wire.read().await?, Value::Simple(_) | Value::Error(_) | Value::BulkError(_)) {
            return Err(out_of_step());
        }
    }
    let reply = wire.read().await?;
    if let Value::Error(_) | Value::BulkError(_) = reply {
        let msg = text(&reply);
        return Err(if is_auth_error(&msg) {
            Error::auth(msg)
        } else {
            Error::connect(format!("PING failed: {msg}"))
        });
    }
    let echoed = matches!(&reply, Value::Bulk(b) | Value::Simple(b) if b == SYNC);
    if !echoed || !wire.buf.is_empty() {
        return Err(out_of_step());
    }
    Ok(())
}

fn out_of_step() -> Error {
    Error::connect(
        "the server sent a reply nobody asked for during the handshake; the connection is out of step",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Addr;
    use bytes::Bytes;

    /// A server (or proxy) that answers anything with an error quoting what it was sent, as
    /// servers before 6.0 quote the arguments of an unknown command.
    async fn echoing_server() -> Addr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = vec![0; 4096];
                while let Ok(n @ 1..) = s.read(&mut buf).await {
                    let quoted = String::from_utf8_lossy(&buf[..n]).replace("\r\n", " ");
                    let _ = s.write_all(format!("-ERR bad request, args: {quoted}\r\n").as_bytes()).await;
                }
            }
        });
        Addr::Tcp { host: "127.0.0.1".into(), port }
    }

    #[tokio::test]
    async fn an_echoed_password_never_shows_in_errors() {
        let addr = echoing_server().await;
        for protocol in [Protocol::Resp3, Protocol::Resp2] {
            let cfg = Config { password: Some("Qz7Kx4".into()), protocol, ..Config::default() };
            let (mut rd, mut wr) =
                super::super::transport::open(&addr, cfg.connect_timeout, None).await.unwrap();
            let e = run(&mut rd, &mut wr, &cfg).await.err().expect("the handshake fails");
            let shown = format!("{e} {e:?}");
            assert!(shown.contains("AUTH") && !shown.contains("Qz7Kx4"), "{protocol:?}: {shown}");
        }
        let cfg = Config {
            hosts: vec![addr.clone()],
            sentinel_auth: Some((None, "Qz7Kx4".into())),
            ..Config::default()
        };
        let e = super::super::sentinel::ask_primary(&addr, "mymaster", &cfg).await.unwrap_err();
        let shown = format!("{e} {e:?}");
        assert!(shown.contains("AUTH") && !shown.contains("Qz7Kx4"), "Sentinel: {shown}");
    }

    fn role(fields: &[&str]) -> Value {
        Value::Array(fields.iter().map(|f| Value::Bulk(Bytes::from(f.to_string()))).collect())
    }

    #[test]
    fn roles_are_checked_as_wanted() {
        let primary = role(&["master", "0"]);
        let in_sync = role(&["slave", "10.0.0.1", "6379", "connected", "5"]);
        let syncing = role(&["slave", "10.0.0.1", "6379", "sync", "-1"]);
        assert!(check_role(&primary, Wanted::Primary).is_ok());
        assert!(check_role(&in_sync, Wanted::Replica).is_ok());
        let e = check_role(&in_sync, Wanted::Primary).unwrap_err();
        assert!(e.to_string().contains("not the primary"), "{e}");
        let e = check_role(&syncing, Wanted::Replica).unwrap_err();
        assert!(e.to_string().contains("sync, not connected"), "{e}");
        let e = check_role(&primary, Wanted::Replica).unwrap_err();
        assert!(e.to_string().contains("not a replica"), "{e}");
        let e = check_role(&Value::Error(Bytes::from_static(b"ERR nope")), Wanted::Primary).unwrap_err();
        assert!(e.to_string().contains("ROLE failed: ERR nope"), "{e}");
    }
}
