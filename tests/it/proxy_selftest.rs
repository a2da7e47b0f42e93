//! The fault proxy itself does what its modes promise, with plain sockets and an echo server
//! (no redis-server needed), so tests that rely on it can trust it.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{timeout, Instant};

use crate::support::proxy::{Mode, Proxy};

/// How long a read must stay unanswered to count as swallowed.
const QUIET: Duration = Duration::from_millis(300);

/// Catches hangs only; nothing here is meant to take this long.
const HANG: Duration = Duration::from_secs(10);

/// An upstream that echoes every byte back and reports what it received.
struct Echo {
    addr: SocketAddr,
    received: mpsc::UnboundedReceiver<Vec<u8>>,
    task: JoinHandle<()>,
}

impl Echo {
    async fn start() -> Echo {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (report, received) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((mut stream, _)) = listener.accept().await {
                let report = report.clone();
                conns.spawn(async move {
                    let mut buf = vec![0; 64 * 1024];
                    while let Ok(n @ 1..) = stream.read(&mut buf).await {
                        let _ = report.send(buf[..n].to_vec());
                        if stream.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        Echo { addr, received, task }
    }

    /// The next `n` bytes the echo server received.
    async fn next_received(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while out.len() < n {
            let chunk = timeout(HANG, self.received.recv()).await.expect("upstream receives").unwrap();
            out.extend(chunk);
        }
        out
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An echo server behind a proxy.
async fn setup() -> (Echo, Proxy) {
    let echo = Echo::start().await;
    let proxy = Proxy::start(&echo.addr.to_string()).await;
    (echo, proxy)
}

/// Sends `msg` and reads back as many bytes.
async fn round_trip(stream: &mut TcpStream, msg: &[u8]) -> Vec<u8> {
    stream.write_all(msg).await.unwrap();
    let mut back = vec![0; msg.len()];
    timeout(HANG, stream.read_exact(&mut back)).await.expect("echo answers").unwrap();
    back
}

/// The proxy holds `n` live connections, waiting for its tasks to get there.
async fn live_becomes(proxy: &Proxy, n: usize) {
    let reached = crate::support::within(HANG, || async { proxy.live() == n }).await;
    assert!(reached, "live connections stayed at {} instead of {n}", proxy.live());
}

/// What the next read of `stream` gets, when the proxy is meant to end or reset it.
async fn assert_ends(stream: &mut TcpStream) -> std::io::Result<usize> {
    timeout(HANG, stream.read(&mut [0; 64])).await.expect("the proxy ends the stream")
}

#[tokio::test]
async fn pass_forwards_both_ways_and_counts_connections() {
    let (_echo, proxy) = setup().await;
    assert_eq!(proxy.url(), format!("redis://{}", proxy.addr()));
    let mut a = TcpStream::connect(proxy.addr()).await.unwrap();
    let mut b = TcpStream::connect(proxy.addr()).await.unwrap();
    assert_eq!(round_trip(&mut a, b"hello").await, b"hello");
    assert_eq!(round_trip(&mut b, b"world").await, b"world");
    let big: Vec<u8> = (0..4_000_000u32).map(|i| i as u8).collect();
    let (mut read, mut write) = a.split();
    let mut back = Vec::new();
    let (w, r) = tokio::join!(write.write_all(&big), async {
        timeout(HANG, (&mut read).take(big.len() as u64).read_to_end(&mut back)).await
    });
    w.unwrap();
    r.expect("the echo comes back").unwrap();
    assert!(back == big, "4 MB come back in order");
    assert_eq!(proxy.accepted(), 2);
    assert_eq!(proxy.live(), 2);
    drop(a);
    live_becomes(&proxy, 1).await;
    assert_eq!(proxy.accepted(), 2);
}

#[tokio::test]
async fn latency_delays_each_direction_then_pass_removes_it() {
    let (_echo, proxy) = setup().await;
    let mut c = TcpStream::connect(proxy.addr()).await.unwrap();
    assert_eq!(round_trip(&mut c, b"warm").await, b"warm");
    let latency = Duration::from_millis(100);
    proxy.set(Mode::Latency(latency));
    for msg in [&b"one"[..], b"two"] {
        let start = Instant::now();
        assert_eq!(round_trip(&mut c, msg).await, msg);
        // Once on the way in, once on the way back.
        assert!(start.elapsed() >= 2 * latency, "round trip took {:?}", start.elapsed());
    }
    // Bytes written back to back come out in order.
    c.write_all(b"ab").await.unwrap();
    c.write_all(b"cd").await.unwrap();
    let mut back = [0; 4];
    timeout(HANG, c.read_exact(&mut back)).await.unwrap().unwrap();
    assert_eq!(&back, b"abcd");
    proxy.set(Mode::Pass);
    assert_eq!(round_trip(&mut c, b"fast").await, b"fast");
}

#[tokio::test]
async fn black_hole_holds_bytes_then_pass_delivers_them_in_order() {
    let (mut echo, proxy) = setup().await;
    let mut c = TcpStream::connect(proxy.addr()).await.unwrap();
    assert_eq!(round_trip(&mut c, b"warm").await, b"warm");
    assert_eq!(echo.next_received(4).await, b"warm");
    let _ = &mut echo;
    proxy.set(Mode::BlackHole);
    c.write_all(b"lost").await.unwrap();
    let mut buf = [0; 16];
    assert!(timeout(QUIET, c.read(&mut buf)).await.is_err(), "a black hole answers nothing");
    // A connection made during the black hole is accepted and swallowed too.
    let mut late = TcpStream::connect(proxy.addr()).await.unwrap();
    late.write_all(b"late").await.unwrap();
    assert!(timeout(QUIET, late.read(&mut buf)).await.is_err(), "a new connection is swallowed");
    proxy.set(Mode::Pass);
    // What the hole held arrives first, in order, as TCP would deliver it late.
    for (stream, msg, all) in [(&mut c, b"back", b"lostback"), (&mut late, b"next", b"latenext")] {
        stream.write_all(msg).await.unwrap();
        let mut back = [0; 8];
        timeout(HANG, stream.read_exact(&mut back)).await.expect("echo answers").unwrap();
        assert_eq!(&back, all);
    }
    assert_eq!(proxy.live(), 2);
}

#[tokio::test]
async fn cut_after_forwards_exactly_n_bytes_then_closes() {
    let (_echo, proxy) = setup().await;
    let mut c = TcpStream::connect(proxy.addr()).await.unwrap();
    assert_eq!(round_trip(&mut c, b"warm").await, b"warm");
    proxy.set(Mode::CutAfter(5));
    c.write_all(b"hello world").await.unwrap();
    let mut got = Vec::new();
    timeout(HANG, c.read_to_end(&mut got)).await.expect("the proxy closes").unwrap();
    assert_eq!(got, b"hello");
    // A new connection gets its own budget.
    let mut d = TcpStream::connect(proxy.addr()).await.unwrap();
    d.write_all(b"abcdefgh").await.unwrap();
    let mut got = Vec::new();
    timeout(HANG, d.read_to_end(&mut got)).await.expect("the proxy closes").unwrap();
    assert_eq!(got, b"abcde");
    live_becomes(&proxy, 0).await;
}

#[tokio::test]
async fn half_close_ends_the_client_stream_while_its_writes_flow() {
    let (mut echo, proxy) = setup().await;
    let mut c = TcpStream::connect(proxy.addr()).await.unwrap();
    assert_eq!(round_trip(&mut c, b"warm").await, b"warm");
    assert_eq!(echo.next_received(4).await, b"warm");
    proxy.set(Mode::HalfClose);
    assert_eq!(assert_ends(&mut c).await.unwrap(), 0, "the client sees EOF");
    c.write_all(b"still").await.unwrap();
    assert_eq!(echo.next_received(5).await, b"still", "the server still gets the client's bytes");
    assert_eq!(proxy.live(), 1);
}

#[tokio::test]
async fn reset_resets_live_and_new_connections() {
    let (_echo, proxy) = setup().await;
    let mut c = TcpStream::connect(proxy.addr()).await.unwrap();
    assert_eq!(round_trip(&mut c, b"warm").await, b"warm");
    proxy.set(Mode::Reset);
    assert_reset(assert_ends(&mut c).await);
    let mut late = TcpStream::connect(proxy.addr()).await.unwrap();
    assert_reset(assert_ends(&mut late).await);
    live_becomes(&proxy, 0).await;
    proxy.set(Mode::Pass);
    let mut d = TcpStream::connect(proxy.addr()).await.unwrap();
    assert_eq!(round_trip(&mut d, b"again").await, b"again");
    assert_eq!(proxy.accepted(), 3);
}

#[tokio::test]
async fn reset_all_resets_live_connections_only() {
    let (_echo, proxy) = setup().await;
    let mut a = TcpStream::connect(proxy.addr()).await.unwrap();
    let mut b = TcpStream::connect(proxy.addr()).await.unwrap();
    assert_eq!(round_trip(&mut a, b"a").await, b"a");
    assert_eq!(round_trip(&mut b, b"b").await, b"b");
    proxy.reset_all();
    assert_reset(assert_ends(&mut a).await);
    assert_reset(assert_ends(&mut b).await);
    live_becomes(&proxy, 0).await;
    let mut c = TcpStream::connect(proxy.addr()).await.unwrap();
    assert_eq!(round_trip(&mut c, b"c").await, b"c");
    assert_eq!(proxy.live(), 1);
}

/// The read met an RST: an EOF would mean the proxy sent a FIN instead.
#[track_caller]
fn assert_reset(read: std::io::Result<usize>) {
    let e = read.expect_err("an RST, not a FIN or bytes");
    assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e}");
}

#[tokio::test]
async fn silent_freezes_the_link_and_keeps_its_bytes() {
    let (_echo, proxy) = setup().await;
    let mut c = TcpStream::connect(proxy.addr()).await.unwrap();
    assert_eq!(round_trip(&mut c, b"warm").await, b"warm");
    proxy.set(Mode::Silent);
    c.write_all(b"held").await.unwrap();
    let mut buf = [0; 4];
    assert!(timeout(QUIET, c.read(&mut buf)).await.is_err(), "a silent link answers nothing, not even EOF");
    proxy.set(Mode::Pass);
    // The proxy did not read them, so nothing was lost.
    timeout(HANG, c.read_exact(&mut buf)).await.expect("the held bytes flow").unwrap();
    assert_eq!(&buf, b"held");
}

#[tokio::test]
async fn silent_stops_reading_so_the_client_blocks() {
    let (_echo, proxy) = setup().await;
    let mut c = TcpStream::connect(proxy.addr()).await.unwrap();
    assert_eq!(round_trip(&mut c, b"warm").await, b"warm");
    proxy.set(Mode::Silent);
    let chunk = vec![0; 64 * 1024];
    let mut sent = 0;
    // Socket buffers hold a few MB; far more than that means the proxy kept reading.
    while timeout(QUIET, c.write_all(&chunk)).await.is_ok() {
        sent += chunk.len();
        assert!(sent < 256 << 20, "the silent proxy kept reading");
    }
}

#[tokio::test]
async fn dropping_the_proxy_ends_its_connections_and_frees_its_port() {
    let (_echo, proxy) = setup().await;
    let addr = proxy.addr();
    let mut c = TcpStream::connect(addr).await.unwrap();
    assert_eq!(round_trip(&mut c, b"warm").await, b"warm");
    drop(proxy);
    let mut buf = [0; 4];
    let end = timeout(HANG, c.read(&mut buf)).await.expect("the connection ends");
    assert!(matches!(end, Ok(0) | Err(_)), "{end:?}");
    let refused = crate::support::within(HANG, || async { TcpStream::connect(addr).await.is_err() }).await;
    assert!(refused, "the listener is gone");
}
