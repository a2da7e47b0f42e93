//! Sentinel: where the primary named `name` is, asked of each Sentinel in turn
//! (SENTINEL GET-MASTER-ADDR-BY-NAME), and a watcher that hears `+switch-master` so that the
//! client moves at once instead of at its next failed request.

use std::sync::Arc;

use super::{handshake, transport, Connection, PushSink};
use crate::command::{CmdBuf, CommandInfo, Encoded, SUBSCRIBE};
use crate::config::{Addr, Config, Protocol, Wanted};
use crate::log;
use crate::resp::Value;
use crate::Error;

/// A connection to a Sentinel, authenticated when the Sentinels need it.
async fn open(sentinel: &Addr, cfg: &Config) -> Result<(transport::ReadHalf, transport::WriteHalf), Error> {
    let (mut rd, mut wr) = transport::open(sentinel, cfg.connect_timeout, cfg.sentinel_tls.as_ref()).await?;
    if let Some((user, password)) = &cfg.sentinel_auth {
        let mut c = CmdBuf::new(b"$4\r\nAUTH\r\n", 1);
        if let Some(user) = user {
            c.arg(user);
        }
        c.arg(password);
        // A Sentinel may echo what it was sent: no message keeps the password.
        match handshake::call_once(&mut rd, &mut wr, cfg.limits, c).await.map_err(|e| scrub(e, cfg))? {
            Value::Simple(ok) if &ok[..] == b"OK" => {}
            Value::Error(e) | Value::BulkError(e) => {
                let text = cfg.scrub(&String::from_utf8_lossy(&e));
                return Err(Error::auth(format!("Sentinel {sentinel} refused the credentials: {text}")));
            }
            other => return Err(Error::protocol(format!("AUTH replied with {}", other.kind_name()))),
        }
    }
    Ok((rd, wr))
}

/// `e` without the passwords of `cfg`, for errors quoting what a Sentinel sent.
fn scrub(e: Error, cfg: &Config) -> Error {
    e.map_message(|m| cfg.scrub(m))
}

/// Sends one command to a Sentinel and reads its reply.
async fn call(sentinel: &Addr, cfg: &Config, cmd: CmdBuf) -> Result<Value, Error> {
    let attempt = async {
        let (mut rd, mut wr) = open(sentinel, cfg).await?;
        handshake::call_once(&mut rd, &mut wr, cfg.limits, cmd).await.map_err(|e| scrub(e, cfg))
    };
    let reply = tokio::time::timeout(cfg.connect_timeout, attempt)
        .await
        .map_err(|_| Error::connect(format!("{sentinel}: no answer within {:?}", cfg.connect_timeout)))??;
    match reply {
        Value::Error(e) | Value::BulkError(e) => {
            let text = cfg.scrub(&String::from_utf8_lossy(&e));
            // A Sentinel that wants a password says NOAUTH: name the missing option.
            if text.starts_with("NOAUTH") {
                Err(Error::auth(format!(
                    "Sentinel {sentinel}: {text} Give its password with `sentinel_auth`."
                )))
            } else {
                Err(Error::connect(text))
            }
        }
        other => Ok(other),
    }
}

fn text(v: &Value) -> Option<&str> {
    match v {
        Value::Bulk(b) | Value::Simple(b) => std::str::from_utf8(b).ok(),
        _ => None,
    }
}

/// The address one Sentinel gives for the primary `name` (SENTINEL GET-MASTER-ADDR-BY-NAME).
pub(crate) async fn ask_primary(sentinel: &Addr, name: &str, cfg: &Config) -> Result<Addr, Error> {
    let mut c = CmdBuf::new(b"$8\r\nSENTINEL\r\n$23\r\nGET-MASTER-ADDR-BY-NAME\r\n", 2);
    c.arg(name);
    match call(sentinel, cfg, c).await? {
        Value::Array(items) if items.len() == 2 => {
            let host =
                text(&items[0]).ok_or_else(|| Error::protocol("a Sentinel sent a host that is not text"))?;
            let port = text(&items[1])
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| Error::protocol("a Sentinel sent a port that is not a number"))?;
            Ok(Addr::Tcp { host: host.to_string(), port })
        }
        Value::Null => Err(Error::connect(format!("it knows no primary named `{name}`"))),
        other => Err(Error::protocol(format!(
            "SENTINEL GET-MASTER-ADDR-BY-NAME replied with {}",
            other.kind_name()
        ))),
    }
}

/// The primary `name` as the first Sentinel to answer names it.
pub(crate) async fn primary(cfg: &Config, name: &str) -> Result<Addr, Error> {
    let mut last = Error::connect("no Sentinel is configured");
    for sentinel in &cfg.hosts {
        match ask_primary(sentinel, name, cfg).await {
            Ok(addr) => return Ok(addr),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// The replicas of `name` that the first Sentinel to answer deems healthy (SENTINEL
/// REPLICAS): not down, not disconnected, their link to the primary up.
pub(crate) async fn replicas(cfg: &Config, name: &str) -> Result<Vec<Addr>, Error> {
    let mut why = Vec::new();
    for sentinel in &cfg.hosts {
        let mut c = CmdBuf::new(b"$8\r\nSENTINEL\r\n$8\r\nREPLICAS\r\n", 2);
        c.arg(name);
        match call(sentinel, cfg, c).await {
            Ok(Value::Array(entries)) => {
                let healthy: Vec<Addr> = entries.iter().filter_map(healthy_replica).collect();
                if healthy.is_empty() {
                    why.push(format!("Sentinel {sentinel}: no replica in sync"));
                    continue;
                }
                return Ok(healthy);
            }
            Ok(other) => {
                why.push(format!("Sentinel {sentinel}: SENTINEL REPLICAS replied with {}", other.kind_name()))
            }
            Err(e) => why.push(format!("Sentinel {sentinel}: {e}")),
        }
    }
    Err(Error::connect(format!("no Sentinel named a replica of `{name}` to read from: {}", why.join("; "))))
}

/// The address of one entry of SENTINEL REPLICAS (field-value pairs), if it is healthy.
fn healthy_replica(entry: &Value) -> Option<Addr> {
    let fields: &[Value] = match entry {
        Value::Array(f) => f,
        _ => return None,
    };
    let field =
        |key: &str| fields.chunks_exact(2).find(|kv| text(&kv[0]) == Some(key)).and_then(|kv| text(&kv[1]));
    let flags = field("flags")?;
    let down = flags.split(',').any(|f| matches!(f, "s_down" | "o_down" | "disconnected"));
    if down || field("master-link-status") != Some("ok") {
        return None;
    }
    Some(Addr::Tcp { host: field("ip")?.to_string(), port: field("port")?.parse().ok()? })
}

/// Listens for `+switch-master` of `name` on the Sentinels, calling `switched` for each
/// announcement, on a subscriber connection: one Sentinel after another when one fails, with
/// the connection's health check (a Sentinel gone silent is passed over) and its
/// resubscription after each reconnect. Dropping the connection stops it.
pub(crate) fn watch(cfg: &Config, name: &str, switched: impl Fn() + Send + Sync + 'static) -> Connection {
    let (username, password) = match &cfg.sentinel_auth {
        Some((user, password)) => (user.clone(), Some(password.clone())),
        None => (None, None),
    };
    let to_sentinels = Config {
        sentinel: None,
        sentinel_auth: None,
        role: Wanted::Any,
        protocol: Protocol::Resp2,
        db: 0,
        username,
        password,
        auto_connect: true,
        on_close: None,
        tls: cfg.sentinel_tls.clone(),
        cache: None,
        tracking: None,
        ..cfg.clone()
    };
    let conn = Connection::spawn_subscriber(Arc::new(to_sentinels));
    let watcher = Arc::new(SwitchWatch { name: name.as_bytes().to_vec(), switched: Box::new(switched) });
    conn.set_sink(watcher.clone());
    for (bytes, info) in watcher.resubscribe() {
        conn.submit_detached(bytes, info);
    }
    conn
}

/// Hears the announcements of one primary's failovers.
struct SwitchWatch {
    name: Vec<u8>,
    switched: Box<dyn Fn() + Send + Sync>,
}

impl PushSink for SwitchWatch {
    fn push(&self, frame: Value) {
        // ["message", "+switch-master", "<name> <old ip> <old port> <new ip> <new port>"]
        let Value::Array(items) = frame else { return };
        let ours = matches!(items.as_slice(), [Value::Bulk(kind), _, Value::Bulk(text)]
            if &kind[..] == b"message" && text.split(|&b| b == b' ').next() == Some(&self.name[..]));
        if ours {
            log::event!(
                debug,
                "moving to the new primary",
                primary = String::from_utf8_lossy(&self.name),
                cause = "+switch-master"
            );
            (self.switched)();
        }
    }

    fn lost(&self, cause: &Error) {
        log::event!(debug, "listening to the Sentinels stopped, for now", cause = cause);
    }

    fn resubscribe(&self) -> Vec<(Encoded, &'static CommandInfo)> {
        vec![(Encoded::concat(b"*2\r\n$9\r\nSUBSCRIBE\r\n$14\r\n+switch-master\r\n".to_vec()), &SUBSCRIBE[0])]
    }

    fn resubscribed(&self, outcome: Result<(), Error>) {
        if let Err(e) = outcome {
            log::warning!("subscribing to the Sentinels' +switch-master failed: {}", e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn entry(pairs: &[(&str, &str)]) -> Value {
        Value::Array(
            pairs
                .iter()
                .flat_map(|(k, v)| {
                    [Value::Bulk(Bytes::from(k.to_string())), Value::Bulk(Bytes::from(v.to_string()))]
                })
                .collect(),
        )
    }

    #[test]
    fn only_healthy_replicas_are_read_from() {
        let ok = [("ip", "10.0.0.2"), ("port", "6380"), ("flags", "slave"), ("master-link-status", "ok")];
        assert_eq!(healthy_replica(&entry(&ok)), Some(Addr::Tcp { host: "10.0.0.2".into(), port: 6380 }));
        let mut down = ok;
        down[2].1 = "s_down,slave";
        assert_eq!(healthy_replica(&entry(&down)), None);
        let mut cut_off = ok;
        cut_off[3].1 = "err";
        assert_eq!(healthy_replica(&entry(&cut_off)), None);
        let mut bad_port = ok;
        bad_port[1].1 = "x";
        assert_eq!(healthy_replica(&entry(&bad_port)), None);
        assert_eq!(healthy_replica(&Value::Null), None);
    }
}
