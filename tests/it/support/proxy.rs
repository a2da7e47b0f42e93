//! An in-process TCP fault proxy: it sits between a client and a server (real or fake) and
//! delays, swallows, cuts, half-closes, resets or freezes the link on command, for the network
//! faults a server cannot produce on its own.
//!
//! Each accepted connection gets its own upstream connection and one task that moves bytes both
//! ways. The task watches the proxy's [`Mode`], so a change applies to live connections within
//! moments, not only to the next ones. Bytes are never reordered or duplicated; which bytes a
//! fault loses is stated on each [`Mode`].

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// Bytes a direction holds back before it stops reading: bounds memory when a peer reads slowly
/// or a latency holds a fast stream, and passes the back-pressure on to the sender.
const MAX_QUEUED: usize = 1 << 20;

/// Room made in the read buffer before each read.
const READ_SIZE: usize = 16 * 1024;

/// What the proxy does to the bytes of every connection, live or future.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Forwards both ways (the default). After a fault, resumes forwarding on the connections
    /// that survived it.
    Pass,
    /// Forwards both ways, each chunk no sooner than this long after the proxy read it. Order is
    /// kept; the delay counts from the read, so changing it also applies to chunks already held.
    Latency(Duration),
    /// Reads both sides and forwards nothing, never closing. The bytes read meanwhile are held
    /// and delivered, in order, after a return to [`Mode::Pass`], as TCP's retransmissions
    /// would deliver them once a route comes back: a live TCP stream never loses bytes in the
    /// middle, and a client would rightly be out of step if it did. New connections are
    /// accepted and swallowed too.
    BlackHole,
    /// Forwards this many more bytes from the server to the client on each connection (counted
    /// from when the mode is set, or from the start of a new connection), then closes both sides.
    /// The client to server direction flows meanwhile.
    CutAfter(usize),
    /// The client to server direction keeps flowing; the server to client direction stops, its
    /// unsent bytes are dropped and the client gets a FIN. The server's later bytes are read and
    /// dropped, even after a return to [`Mode::Pass`]: a FIN cannot be taken back.
    HalfClose,
    /// Resets (RST) both sides of every live connection, and every new connection as soon as it
    /// is accepted.
    Reset,
    /// A half-open link, as when the peer vanished without a FIN: stops reading and forwarding
    /// both ways but keeps both sockets open. Nothing is lost: what the peers send waits in the
    /// socket buffers (until they fill and the senders block) and flows on a return to
    /// [`Mode::Pass`].
    Silent,
}

/// What every connection task watches.
#[derive(Clone, Copy, Debug)]
struct Control {
    mode: Mode,
    /// Bumped by [`Proxy::reset_all`]: a connection accepted before the bump resets.
    resets: u64,
}

/// The proxy's connection counters.
#[derive(Default)]
struct Counts {
    accepted: AtomicUsize,
    live: AtomicUsize,
}

/// Held by a connection task; counts the connection as live until the task ends or is aborted.
struct LiveGuard(Arc<Counts>);

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A listening proxy. Dropping it stops the listener and ends every connection it forwards.
pub struct Proxy {
    addr: SocketAddr,
    control: watch::Sender<Control>,
    counts: Arc<Counts>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Listens on `127.0.0.1:0` and forwards every accepted connection to `upstream`
    /// (`host:port`), in [`Mode::Pass`]. When the upstream refuses a connection, the proxy closes
    /// the client's.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound.
    pub async fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (control, watcher) = watch::channel(Control { mode: Mode::Pass, resets: 0 });
        let counts = Arc::new(Counts::default());
        let task = tokio::spawn(accept(listener, upstream.to_string(), watcher, counts.clone()));
        Proxy { addr, control, counts, task }
    }

    /// Where the proxy listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `redis://` URL of the proxy.
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// Switches every live connection, and every later one, to `mode`. The connection tasks
    /// apply it as soon as they are scheduled, before they move another byte.
    pub fn set(&self, mode: Mode) {
        self.control.send_modify(|c| c.mode = mode);
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.counts.accepted.load(Ordering::SeqCst)
    }

    /// Connections open now: accepted, and not yet closed or reset by either side.
    pub fn live(&self) -> usize {
        self.counts.live.load(Ordering::SeqCst)
    }

    /// Resets (RST) both sides of every connection accepted so far, once; the mode stays as it
    /// is, so later connections are served. It returns at once: [`Proxy::live`] drops as the
    /// connection tasks get to it.
    pub fn reset_all(&self) {
        self.control.send_modify(|c| c.resets += 1);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // The connection tasks live in the accept task's JoinSet, which aborts them when dropped.
        self.task.abort();
    }
}

/// Accepts connections and runs one task per connection until aborted.
async fn accept(
    listener: TcpListener,
    upstream: String,
    control: watch::Receiver<Control>,
    counts: Arc<Counts>,
) {
    let mut links = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((client, _)) => {
                    counts.accepted.fetch_add(1, Ordering::SeqCst);
                    counts.live.fetch_add(1, Ordering::SeqCst);
                    let live = LiveGuard(counts.clone());
                    // The epoch now, not when the task starts: a reset_all() in between counts.
                    let resets = control.borrow().resets;
                    links.spawn(serve(client, upstream.clone(), control.clone(), resets, live));
                }
                // Out of file descriptors and the like: wait instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            // Reaps finished connections so the set does not grow.
            Some(_) = links.join_next() => {}
        }
    }
}

/// Serves one accepted connection until either side or a fault ends it.
async fn serve(
    client: TcpStream,
    upstream: String,
    mut control: watch::Receiver<Control>,
    resets: u64,
    _live: LiveGuard,
) {
    let now = *control.borrow_and_update();
    if now.mode == Mode::Reset || now.resets != resets {
        return reset(client);
    }
    // An upstream that refuses is a proxy that hangs up: dropping the client's socket is what
    // the client behind it sees, as it would see the server's refusal.
    let Ok(server) = TcpStream::connect(&upstream).await else { return };
    // Nagle's algorithm would add its own delays to small requests on top of any latency asked.
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let mut link = Link {
        mode: Mode::Pass,
        budget: None,
        up: Dir::new(client_read, server_write),
        down: Dir::new(server_read, client_write),
    };
    // A change made while connecting is seen by the first select of run().
    let end = match link.apply(now.mode).await {
        Ok(()) => link.run(&mut control, resets).await,
        Err(end) => end,
    };
    if end == End::Reset {
        let client = link.up.from.reunite(link.down.to);
        let server = link.down.from.reunite(link.up.to);
        for stream in [client, server].into_iter().flatten() {
            reset(stream);
        }
    }
}

/// Closes `stream` with an RST instead of a FIN.
fn reset(stream: TcpStream) {
    // With a zero linger, closing discards what is unsent and sends an RST; the drop does it.
    let _ = stream.set_zero_linger();
}

/// How a connection ends.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// Both sockets closed normally.
    Close,
    /// Both sockets reset.
    Reset,
}

/// A chunk read from one side and not yet fully written to the other.
struct Chunk {
    read_at: Instant,
    bytes: Bytes,
}

/// One direction of a connection.
struct Dir {
    from: OwnedReadHalf,
    to: OwnedWriteHalf,
    buf: BytesMut,
    queue: VecDeque<Chunk>,
    queued: usize,
    /// `from` reached its end.
    eof: bool,
    /// `to` was shut down; what `from` sends from then on is dropped.
    shut: bool,
}

impl Dir {
    fn new(from: OwnedReadHalf, to: OwnedWriteHalf) -> Dir {
        Dir { from, to, buf: BytesMut::new(), queue: VecDeque::new(), queued: 0, eof: false, shut: false }
    }

    fn wants_read(&self, mode: Mode) -> bool {
        !self.eof && mode != Mode::Silent && (self.discards(mode) || self.queued < MAX_QUEUED)
    }

    fn discards(&self, mode: Mode) -> bool {
        let _ = mode;
        self.shut
    }

    fn can_write(&self, mode: Mode) -> bool {
        !self.shut && !self.queue.is_empty() && forwards(mode)
    }

    /// Takes in what a read returned; `Err` ends the connection.
    fn on_read(&mut self, read: io::Result<usize>, mode: Mode) -> Result<(), End> {
        match read {
            Ok(0) => self.eof = true,
            Ok(n) => {
                let bytes = self.buf.split().freeze();
                if !self.discards(mode) {
                    self.queued += n;
                    self.queue.push_back(Chunk { read_at: Instant::now(), bytes });
                }
            }
            Err(_) => return Err(End::Close),
        }
        Ok(())
    }

    /// Drops the `n` bytes just written from the queue; `Err` ends the connection.
    fn on_write(&mut self, written: io::Result<usize>) -> Result<usize, End> {
        let n = match written {
            Ok(0) | Err(_) => return Err(End::Close),
            Ok(n) => n,
        };
        let front = self.queue.front_mut().expect("a write sends the front chunk");
        let _ = front.bytes.split_to(n);
        if front.bytes.is_empty() {
            self.queue.pop_front();
        }
        self.queued -= n;
        Ok(n)
    }

    fn drop_queue(&mut self) {
        self.queue.clear();
        self.queued = 0;
    }

    /// Sends a FIN to the peer `to` leads to, once.
    async fn shut(&mut self) {
        if !self.shut {
            self.shut = true;
            self.drop_queue();
            let _ = self.to.shutdown().await;
        }
    }
}

/// Whether `mode` lets bytes through.
fn forwards(mode: Mode) -> bool {
    !matches!(mode, Mode::BlackHole | Mode::Silent)
}

/// Writes (part of) the front chunk of `queue` to `to` once it is due. Cancel-safe: a write
/// either happened, and is reported, or did not.
async fn write_front(
    to: &mut OwnedWriteHalf,
    queue: &VecDeque<Chunk>,
    delay: Duration,
    limit: Option<usize>,
) -> io::Result<usize> {
    let Some(chunk) = queue.front() else { return std::future::pending().await };
    let due = chunk.read_at + delay;
    // A past deadline still waits for the next timer tick: skip the timer when nothing is owed.
    if Instant::now() < due {
        tokio::time::sleep_until(due).await;
    }
    let n = limit.map_or(chunk.bytes.len(), |l| l.min(chunk.bytes.len()));
    to.write(&chunk.bytes[..n]).await
}

/// Both directions of one connection, and the mode they follow.
struct Link {
    mode: Mode,
    /// Bytes the server may still send the client under [`Mode::CutAfter`].
    budget: Option<usize>,
    /// Client to server.
    up: Dir,
    /// Server to client.
    down: Dir,
}

impl Link {
    /// Moves bytes until a side, a fault or the proxy ends the connection.
    async fn run(&mut self, control: &mut watch::Receiver<Control>, resets: u64) -> End {
        loop {
            if let Err(end) = self.step(control, resets).await {
                return end;
            }
        }
    }

    /// Waits for one event (a mode change, a read or a write) and handles it.
    async fn step(&mut self, control: &mut watch::Receiver<Control>, resets: u64) -> Result<(), End> {
        let mode = self.mode;
        let delay = if let Mode::Latency(d) = mode { d } else { Duration::ZERO };
        let (up, down) = (&mut self.up, &mut self.down);
        up.buf.reserve(READ_SIZE);
        down.buf.reserve(READ_SIZE);
        tokio::select! {
            // Mode changes first, so no byte moves under a mode already replaced.
            biased;
            changed = control.changed() => {
                // The proxy is gone.
                changed.map_err(|_| End::Close)?;
                let now = *control.borrow_and_update();
                if now.resets != resets {
                    return Err(End::Reset);
                }
                self.apply(now.mode).await?;
            }
            read = up.from.read_buf(&mut up.buf), if up.wants_read(mode) => up.on_read(read, mode)?,
            read = down.from.read_buf(&mut down.buf), if down.wants_read(mode) => down.on_read(read, mode)?,
            written = write_front(&mut up.to, &up.queue, delay, None), if up.can_write(mode) => {
                up.on_write(written)?;
            }
            written = write_front(&mut down.to, &down.queue, delay, self.budget), if down.can_write(mode) => {
                let n = down.on_write(written)?;
                if let Some(budget) = &mut self.budget {
                    *budget -= n;
                    if *budget == 0 {
                        return Err(End::Close);
                    }
                }
            }
        }
        self.settle().await
    }

    /// Switches to `mode`, doing at once what it does to the bytes in flight.
    async fn apply(&mut self, mode: Mode) -> Result<(), End> {
        self.mode = mode;
        self.budget = None;
        match mode {
            Mode::Reset => return Err(End::Reset),
            Mode::CutAfter(0) => return Err(End::Close),
            Mode::CutAfter(n) => self.budget = Some(n),
            Mode::HalfClose => self.down.shut().await,
            Mode::Pass | Mode::Latency(_) | Mode::Silent | Mode::BlackHole => {}
        }
        self.settle().await
    }

    /// Passes on an end of stream once everything before it went through; `Err(End::Close)`
    /// when both directions are over.
    async fn settle(&mut self) -> Result<(), End> {
        for dir in [&mut self.up, &mut self.down] {
            if dir.eof && dir.queue.is_empty() && forwards(self.mode) {
                dir.shut().await;
            }
        }
        if self.up.eof && self.up.shut && self.down.eof && self.down.shut {
            return Err(End::Close);
        }
        Ok(())
    }
}
