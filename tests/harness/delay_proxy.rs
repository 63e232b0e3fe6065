//! A TCP proxy on loopback that holds every chunk of bytes for a fixed
//! one-way delay before passing it on, in both directions and in order: a
//! far-away server (10-50 ms each way on hosted platforms) on this machine,
//! without `tc netem`.
//!
//! Chunks are stamped when read and delivered at stamp + delay, so bytes
//! sent back to back arrive back to back after one delay (a pipelined
//! exchange costs one round trip, not one per message), and a request and
//! its answer cost at least two delays. When either side closes, what it
//! sent before is still delivered, after its delay; then both connections
//! are closed. The TCP handshake itself is not delayed: a client's connect
//! returns at once, so opening a connection costs one round trip less than
//! over a real link. Dropping the [`DelayProxy`] closes every connection.
//!
//! It counts exchanges ([`DelayProxy::exchanges`]): each time a client
//! sends after its server has answered, one more round trip was paid, so a
//! test can say how many round trips a command cost without timing it.
//!
//! It runs on a thread and runtime of its own, so it relays while the test
//! that made it blocks (a `#[test]` waiting for the `migrate` binary, or a
//! current-thread `#[tokio::test]` in a synchronous call). Used in-process
//! by the integration tests and, through `#[path]`, by the `delay_proxy`
//! example that `bench/run` builds.

use std::hash::{BuildHasher, RandomState};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};

/// The largest chunk read at once.
const CHUNK: usize = 64 * 1024;

/// Chunks in flight per direction: 4 MiB at most, beyond which reading
/// waits (as a full TCP window would), so a fast sender cannot fill memory.
const IN_FLIGHT: usize = 64;

/// Listening ports are taken from 20000-32767: below Linux's ephemeral
/// range, where outgoing connections take their source ports.
const PORTS: std::ops::RangeInclusive<u16> = 20000..=32767;

/// A running proxy; dropping it stops it and closes its connections.
#[derive(Debug)]
pub struct DelayProxy {
    addr: SocketAddr,
    exchanges: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl DelayProxy {
    /// Starts a proxy with `delay` each way in front of `upstream`, on a
    /// free loopback port.
    pub fn start(upstream: SocketAddr, delay: Duration) -> io::Result<Self> {
        Self::serve(bind_loopback()?, upstream, delay)
    }

    /// The same on a listener of the caller's (a port it chose).
    pub fn serve(
        listener: std::net::TcpListener,
        upstream: SocketAddr,
        delay: Duration,
    ) -> io::Result<Self> {
        let addr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        // Built here, so that a failure is the caller's error.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()?;
        let listener = {
            let _inside = runtime.enter();
            TcpListener::from_std(listener)?
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let exchanges = Arc::new(AtomicU64::new(0));
        let counted = exchanges.clone();
        let thread = std::thread::Builder::new()
            .name(format!("delay-proxy-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    tokio::select! {
                        () = accept_loop(listener, upstream, delay, counted) => {}
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime drops every connection's task, and
                // with them their sockets.
            })?;
        Ok(Self {
            addr,
            exchanges,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Round trips so far, over every connection: a client's first bytes,
    /// and each time it sent again after its server had sent it something.
    pub fn exchanges(&self) -> u64 {
        self.exchanges.load(Ordering::SeqCst)
    }
}

impl Drop for DelayProxy {
    /// Returns once every connection is closed.
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A listener on a free loopback port in [`PORTS`], tried from a random
/// place (several proxies and other developers' servers share the range).
/// Non-blocking, as `tokio::net::TcpListener::from_std` wants it.
pub fn bind_loopback() -> io::Result<std::net::TcpListener> {
    let span = u64::from(PORTS.end() - PORTS.start()) + 1;
    let start = RandomState::new().hash_one(std::process::id()) % span;
    for i in 0..span {
        // `span` fits in a u16 port range, so the offset does too.
        let offset = u16::try_from((start + i) % span).unwrap_or(0);
        match std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, PORTS.start() + offset)) {
            Ok(listener) => {
                listener.set_nonblocking(true)?;
                return Ok(listener);
            }
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => {}
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AddrInUse,
        "no free loopback port in 20000-32767",
    ))
}

async fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    delay: Duration,
    exchanges: Arc<AtomicU64>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((client, _)) => {
                    connections.spawn(relay(client, upstream, delay, exchanges.clone()));
                }
                // Out of file descriptors, say: wait for connections to end.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// One client's connection: ends when either direction has delivered its
/// end (or failed), and then both sockets are dropped.
async fn relay(
    client: TcpStream,
    upstream: SocketAddr,
    delay: Duration,
    exchanges: Arc<AtomicU64>,
) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let (to_server, for_server) = mpsc::channel(IN_FLIGHT);
    let (to_client, for_client) = mpsc::channel(IN_FLIGHT);
    // True at first and whenever the server has sent since the client
    // last did: the client's next bytes start a new exchange.
    let answered = AtomicBool::new(true);
    let asks = Turn::Asks(&answered, &exchanges);
    let answers = Turn::Answers(&answered);
    let reading = async {
        tokio::join!(
            read_side(client_read, to_server, delay, asks),
            read_side(server_read, to_client, delay, answers),
        );
        // Only a delivered end (below) ends the connection.
        std::future::pending::<()>().await;
    };
    tokio::select! {
        () = write_side(server_write, for_server) => {}
        () = write_side(client_write, for_client) => {}
        () = reading => {}
    }
}

/// What travels: bytes, or the sender's end (`None`), each with the
/// instant it is due at the other side.
type Due = (Instant, Option<Vec<u8>>);

/// Which side a reader is on, for counting exchanges.
#[derive(Clone, Copy)]
enum Turn<'a> {
    /// The client's side: sending after an answer starts an exchange.
    Asks(&'a AtomicBool, &'a AtomicU64),
    /// The server's side: sending is an answer.
    Answers(&'a AtomicBool),
}

impl Turn<'_> {
    fn sent(self) {
        match self {
            Self::Asks(answered, exchanges) => {
                if answered.swap(false, Ordering::SeqCst) {
                    exchanges.fetch_add(1, Ordering::SeqCst);
                }
            }
            Self::Answers(answered) => answered.store(true, Ordering::SeqCst),
        }
    }
}

async fn read_side(
    mut from: OwnedReadHalf,
    to: mpsc::Sender<Due>,
    delay: Duration,
    turn: Turn<'_>,
) {
    loop {
        let mut chunk = Vec::with_capacity(CHUNK);
        let item = match from.read_buf(&mut chunk).await {
            Ok(0) | Err(_) => None,
            Ok(_) => {
                turn.sent();
                Some(chunk)
            }
        };
        let end = item.is_none();
        // Stamped once read, before any wait for room in the channel.
        if to.send((Instant::now() + delay, item)).await.is_err() || end {
            return;
        }
    }
}

async fn write_side(mut to: OwnedWriteHalf, mut from: mpsc::Receiver<Due>) {
    while let Some((due, item)) = from.recv().await {
        sleep_until(due).await;
        match item {
            Some(bytes) => {
                if to.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            None => {
                let _ = to.shutdown().await;
                return;
            }
        }
    }
}
