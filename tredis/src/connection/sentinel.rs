//! Sentinel: where the primary named `name` is, asked of each Sentinel in turn
//! (SENTINEL GET-MASTER-ADDR-BY-NAME), and a watcher that hears `+switch-master` so that the
//! client moves at once instead of at its next failed request.

use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{handshake, transport};
use crate::command::CmdBuf;
use crate::config::{Addr, Config};
use crate::log;
use crate::resp::{Decoder, Value};
use crate::Error;

/// The address the Sentinels give for `name`: the first that answers wins.
pub(crate) async fn primary(cfg: &Config, name: &str) -> Result<Addr, Error> {
    let mut why = Vec::new();
    for sentinel in &cfg.hosts {
        match ask(sentinel, name, cfg).await {
            Ok(addr) => return Ok(addr),
            Err(e) => {
                log::debug!("Sentinel {} did not name the primary: {}", sentinel, e);
                why.push(format!("{sentinel}: {e}"));
            }
        }
    }
    Err(Error::connect(format!("no Sentinel named the primary `{name}`: {}", why.join("; "))))
}

async fn ask(sentinel: &Addr, name: &str, cfg: &Config) -> Result<Addr, Error> {
    let attempt = async {
        let (mut rd, mut wr) = transport::open(sentinel, cfg.connect_timeout).await?;
        let mut c = CmdBuf::new(b"$8\r\nSENTINEL\r\n$23\r\nGET-MASTER-ADDR-BY-NAME\r\n", 2);
        c.arg(name);
        handshake::call_once(&mut rd, &mut wr, cfg.limits, c).await
    };
    let reply = tokio::time::timeout(cfg.connect_timeout, attempt)
        .await
        .map_err(|_| Error::connect(format!("{sentinel}: no answer within {:?}", cfg.connect_timeout)))??;
    match reply {
        Value::Array(items) if items.len() == 2 => {
            let text = |v: &Value| match v {
                Value::Bulk(b) | Value::Simple(b) => String::from_utf8(b.to_vec()).ok(),
                _ => None,
            };
            let host =
                text(&items[0]).ok_or_else(|| Error::protocol("a Sentinel sent a host that is not text"))?;
            let port = text(&items[1])
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| Error::protocol("a Sentinel sent a port that is not a number"))?;
            Ok(Addr::Tcp { host, port })
        }
        Value::Null => Err(Error::connect(format!("it knows no primary named `{name}`"))),
        Value::Error(e) | Value::BulkError(e) => {
            Err(Error::connect(String::from_utf8_lossy(&e).into_owned()))
        }
        other => Err(Error::protocol(format!(
            "SENTINEL GET-MASTER-ADDR-BY-NAME replied with {}",
            other.kind_name()
        ))),
    }
}

/// Listens for `+switch-master` of `name` on one Sentinel after another, calling `switched`
/// for each; ends when `switched` returns false or `stop` resolves (the client is gone).
pub(crate) async fn watch(
    cfg: Config,
    name: String,
    mut stop: tokio::sync::oneshot::Receiver<()>,
    mut switched: impl FnMut() -> bool + Send,
) {
    let mut next = 0;
    loop {
        let sentinel = cfg.hosts[next % cfg.hosts.len()].clone();
        next += 1;
        tokio::select! {
            _ = &mut stop => return,
            r = listen(&sentinel, &name, &cfg, &mut switched) => match r {
                Ok(()) => return,
                Err(e) => log::debug!("listening to Sentinel {} stopped: {}", sentinel, e),
            },
        }
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
    }
}

/// Returns `Ok` once `switched` says to stop; `Err` when the Sentinel connection fails.
async fn listen(
    sentinel: &Addr,
    name: &str,
    cfg: &Config,
    switched: &mut impl FnMut() -> bool,
) -> Result<(), Error> {
    let (mut rd, mut wr) = transport::open(sentinel, cfg.connect_timeout).await?;
    wr.write_all(b"*2\r\n$9\r\nSUBSCRIBE\r\n$14\r\n+switch-master\r\n")
        .await
        .map_err(|e| Error::connect(format!("{sentinel}: {e}")))?;
    let mut dec = Decoder::new(cfg.limits);
    let mut buf = BytesMut::with_capacity(1024);
    loop {
        while let Some(v) = dec.decode(&mut buf)? {
            // ["message", "+switch-master", "<name> <old ip> <old port> <new ip> <new port>"]
            let Value::Array(items) = v else { continue };
            let is_ours = matches!(items.as_slice(), [Value::Bulk(kind), _, Value::Bulk(text)]
                if &kind[..] == b"message" && text.split(|&b| b == b' ').next() == Some(name.as_bytes()));
            if is_ours {
                log::debug!("Sentinel {} announced a new primary for `{}`", sentinel, name);
                if !switched() {
                    return Ok(());
                }
            }
        }
        let n = rd.read_buf(&mut buf).await.map_err(|e| Error::connect(format!("{sentinel}: {e}")))?;
        if n == 0 {
            return Err(Error::connect(format!("{sentinel} closed the connection")));
        }
    }
}
