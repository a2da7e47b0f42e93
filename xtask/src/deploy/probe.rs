//! A minimal RESP2 request over a fresh TCP connection, for the readiness checks: polling
//! six nodes every 50 ms through `redis-cli` would spawn a process per question.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A reply, with every scalar as text; an error reply is an `Err` of [`call`].
#[derive(Debug)]
pub enum Reply {
    /// A simple string, bulk string or integer.
    Text(String),
    /// An array.
    List(Vec<Reply>),
    /// A null bulk string or array.
    Nil,
}

impl Reply {
    /// The text, or "" for anything else.
    pub fn text(&self) -> &str {
        match self {
            Reply::Text(t) => t,
            _ => "",
        }
    }

    /// The items, or none for anything else.
    pub fn list(&self) -> &[Reply] {
        match self {
            Reply::List(items) => items,
            _ => &[],
        }
    }
}

/// Sends one command to the server on 127.0.0.1:`port` and reads its reply.
pub fn call(port: u16, args: &[&str]) -> Result<Reply, String> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let fail = |e: std::io::Error| format!("port {port}: {e}");
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).map_err(fail)?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).map_err(fail)?;
    let mut req = format!("*{}\r\n", args.len());
    for a in args {
        req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    stream.write_all(req.as_bytes()).map_err(fail)?;
    read(&mut BufReader::new(stream)).map_err(|e| format!("port {port}: {args:?}: {e}"))
}

fn read(r: &mut impl BufRead) -> Result<Reply, String> {
    let mut line = String::new();
    r.read_line(&mut line).map_err(|e| e.to_string())?;
    let line = line.trim_end_matches("\r\n");
    let (kind, rest) = line.split_at(line.len().min(1));
    let len = || rest.parse::<i64>().map_err(|_| format!("bad length in `{line}`"));
    match kind {
        "+" | ":" => Ok(Reply::Text(rest.into())),
        "-" => Err(rest.into()),
        "$" if len()? < 0 => Ok(Reply::Nil),
        "$" => {
            let mut buf = vec![0; len()? as usize + 2];
            r.read_exact(&mut buf).map_err(|e| e.to_string())?;
            buf.truncate(buf.len() - 2);
            Ok(Reply::Text(String::from_utf8_lossy(&buf).into_owned()))
        }
        "*" if len()? < 0 => Ok(Reply::Nil),
        "*" => (0..len()?).map(|_| read(r)).collect::<Result<_, _>>().map(Reply::List),
        _ => Err(format!("not a RESP2 reply: `{line}`")),
    }
}
