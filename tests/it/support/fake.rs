//! A scripted fake server, for what a real one cannot do on purpose: malformed replies,
//! unsolicited replies, stalls and connections closed in the middle of a reply.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tredis::resp::{Decoder, Limits};
use tredis::Value;

/// A listening fake server; every accepted connection runs the script.
pub struct Fake {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Connections accepted so far.
    pub accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Fake {
    /// Starts a server that runs `script` on each connection, with its number (0, 1, ...).
    pub async fn start<F, Fut>(script: F) -> Fake
    where
        F: Fn(Conn, usize) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let script = Arc::new(script);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let n = count.fetch_add(1, Ordering::SeqCst);
                let script = script.clone();
                tokio::spawn(async move { script(Conn::new(stream), n).await });
            }
        });
        Fake { addr, accepted, task }
    }

    /// A server whose first connection runs `first`, and every later one behaves
    /// ([`Conn::echo_server`]): the client must recover from what `first` does.
    pub async fn first_then_echo<F, Fut>(first: F) -> Fake
    where
        F: Fn(Conn) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let first = Arc::new(first);
        Fake::start(move |conn: Conn, index| {
            let first = first.clone();
            async move {
                if index == 0 {
                    first(conn).await
                } else {
                    conn.echo_server().await
                }
            }
        })
        .await
    }

    /// `redis://` URL of the server.
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One accepted connection.
pub struct Conn {
    stream: TcpStream,
    buf: BytesMut,
    decoder: Decoder,
    /// Answer the PING that ends the client's handshake (and the CLIENT SETINFO sent with it)
    /// without showing them to the script.
    auto_sync: bool,
}

impl Conn {
    fn new(stream: TcpStream) -> Conn {
        Conn { stream, buf: BytesMut::new(), decoder: Decoder::new(Limits::default()), auto_sync: true }
    }

    /// From now on, the handshake's closing PING is shown to the script like any command
    /// (for scripts that misbehave during the handshake).
    pub fn raw(&mut self) {
        self.auto_sync = false;
    }

    /// The next command, as its arguments; `None` when the client closed. The PING with
    /// which the client ends its handshake is answered here, unless [`Conn::raw`].
    pub async fn command(&mut self) -> Option<Vec<Bytes>> {
        loop {
            let cmd = self.next_command().await?;
            if self.auto_sync && cmd.len() == 2 && cmd[0].eq_ignore_ascii_case(b"PING") {
                let echo = format!("${}\r\n{}\r\n", cmd[1].len(), String::from_utf8_lossy(&cmd[1]));
                self.send(echo.as_bytes()).await;
                continue;
            }
            // The library's name and version, sent with that PING: answered as Redis 7.0 does.
            if self.auto_sync && cmd.len() == 4 && cmd[1].eq_ignore_ascii_case(b"SETINFO") {
                self.send(b"-ERR unknown subcommand 'SETINFO'\r\n").await;
                continue;
            }
            return Some(cmd);
        }
    }

    async fn next_command(&mut self) -> Option<Vec<Bytes>> {
        loop {
            if let Some(v) = self.decoder.decode(&mut self.buf).expect("the client sends valid RESP") {
                let Value::Array(items) = v else { panic!("a command is an array") };
                return Some(
                    items
                        .into_iter()
                        .map(|i| match i {
                            Value::Bulk(b) => b,
                            other => panic!("a command argument is a bulk string, got {other:?}"),
                        })
                        .collect(),
                );
            }
            if self.stream.read_buf(&mut self.buf).await.ok()? == 0 {
                return None;
            }
        }
    }

    /// Reads `n` commands.
    pub async fn commands(&mut self, n: usize) -> Vec<Vec<Bytes>> {
        let mut out = Vec::new();
        for _ in 0..n {
            match self.command().await {
                Some(c) => out.push(c),
                None => break,
            }
        }
        out
    }

    /// Writes raw bytes.
    pub async fn send(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes).await;
    }

    /// Answers every command it reads as a well-behaved server would for GET of a key equal to
    /// its value (`GET x` -> `x`), PING, HELLO (as a RESP3 server), and anything else with
    /// `+OK`, until the client leaves.
    pub async fn echo_server(mut self) {
        while let Some(cmd) = self.command().await {
            let reply = match cmd[0].to_ascii_uppercase().as_slice() {
                b"GET" => format!("${}\r\n{}\r\n", cmd[1].len(), String::from_utf8_lossy(&cmd[1])),
                b"PING" => "+PONG\r\n".to_string(),
                b"HELLO" => "%1\r\n$5\r\nproto\r\n:3\r\n".to_string(),
                _ => "+OK\r\n".to_string(),
            };
            self.send(reply.as_bytes()).await;
        }
    }
}
