//! The delay proxy: what a far-away server costs (two delays per round trip,
//! one for a pipelined burst), that bytes arrive intact and in order in both
//! directions, and that a close on either side closes the other.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::harness::delay_proxy::{DelayProxy, bind_loopback};
use crate::harness::env::TestEnv;
use crate::harness::pg;
use crate::harness::topology::{self, POSTGRES};
use crate::online::{core_config, rev_file};

const DELAY: Duration = Duration::from_millis(40);

/// How long a close or a read may take before a test calls it lost.
const PATIENCE: Duration = Duration::from_secs(10);

/// An echo server on loopback: every connection gets its bytes back.
async fn echo_server() -> SocketAddr {
    let listener = TcpListener::from_std(bind_loopback().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let (mut r, mut w) = conn.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    addr
}

async fn proxy_to(upstream: SocketAddr) -> (DelayProxy, TcpStream) {
    let proxy = DelayProxy::start(upstream, DELAY).unwrap();
    let conn = TcpStream::connect(proxy.addr()).await.unwrap();
    conn.set_nodelay(true).unwrap();
    (proxy, conn)
}

#[tokio::test]
async fn listens_on_loopback_below_the_ephemeral_range() {
    let proxy = DelayProxy::start(echo_server().await, DELAY).unwrap();
    assert!(proxy.addr().ip().is_loopback(), "{}", proxy.addr());
    assert!(
        (20000..32768).contains(&proxy.addr().port()),
        "{}",
        proxy.addr()
    );
}

#[tokio::test]
async fn a_round_trip_costs_two_delays() {
    let (_proxy, mut conn) = proxy_to(echo_server().await).await;
    for _ in 0..3 {
        let start = Instant::now();
        conn.write_all(b"ping").await.unwrap();
        let mut back = [0u8; 4];
        conn.read_exact(&mut back).await.unwrap();
        let took = start.elapsed();
        assert_eq!(&back, b"ping");
        assert!(took >= 2 * DELAY, "a round trip took {took:?}");
    }
}

/// Twenty messages sent back to back come back after one round trip, not
/// twenty: each chunk waits its own delay, not the delays before it.
#[tokio::test]
async fn a_pipelined_burst_costs_one_round_trip() {
    let (_proxy, mut conn) = proxy_to(echo_server().await).await;
    let start = Instant::now();
    for i in 0..20u8 {
        conn.write_all(&[i; 100]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let mut back = vec![0u8; 2000];
    conn.read_exact(&mut back).await.unwrap();
    let took = start.elapsed();
    assert!(took >= 2 * DELAY, "{took:?}");
    assert!(took < 10 * DELAY, "20 pipelined messages took {took:?}");
    let expected: Vec<u8> = (0..20u8).flat_map(|i| [i; 100]).collect();
    assert_eq!(back, expected);
}

/// Bytes that say where they are, so a reordered, lost or repeated chunk
/// shows: `n` bytes from a small linear congruential sequence.
fn pattern(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        })
        .collect()
}

#[tokio::test]
async fn megabytes_both_ways_arrive_intact_and_in_order() {
    let (_proxy, conn) = proxy_to(echo_server().await).await;
    let sent = pattern(8 << 20, 7);
    let (mut r, mut w) = conn.into_split();
    let writer = {
        let sent = sent.clone();
        tokio::spawn(async move {
            // Written in odd-sized pieces while the echo streams back.
            for piece in sent.chunks(77_777) {
                w.write_all(piece).await.unwrap();
            }
            w
        })
    };
    let mut back = vec![0u8; sent.len()];
    tokio::time::timeout(PATIENCE, r.read_exact(&mut back))
        .await
        .expect("8 MiB did not come back in time")
        .unwrap();
    let _w = writer.await.unwrap();
    assert!(back == sent, "the echoed bytes differ from those sent");
}

#[tokio::test]
async fn a_client_close_reaches_the_server_after_its_bytes() {
    let listener = TcpListener::from_std(bind_loopback().unwrap()).unwrap();
    let (_proxy, mut client) = proxy_to(listener.local_addr().unwrap()).await;
    let (mut server, _) = listener.accept().await.unwrap();
    client.write_all(b"last words").await.unwrap();
    drop(client);
    let mut got = Vec::new();
    let read = tokio::time::timeout(PATIENCE, server.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the server never saw the client close");
    assert_eq!(got, b"last words");
}

#[tokio::test]
async fn a_server_close_reaches_the_client_after_its_bytes() {
    let listener = TcpListener::from_std(bind_loopback().unwrap()).unwrap();
    let (_proxy, mut client) = proxy_to(listener.local_addr().unwrap()).await;
    let (mut server, _) = listener.accept().await.unwrap();
    server.write_all(b"goodbye").await.unwrap();
    drop(server);
    let mut got = Vec::new();
    let read = tokio::time::timeout(PATIENCE, client.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the client never saw the server close");
    assert_eq!(got, b"goodbye");
}

/// A client that closes its writing side only is closed on both sides:
/// the proxy ends the connection at the first end it delivers.
#[tokio::test]
async fn a_half_close_closes_both_directions() {
    let listener = TcpListener::from_std(bind_loopback().unwrap()).unwrap();
    let (_proxy, mut client) = proxy_to(listener.local_addr().unwrap()).await;
    let (mut server, _) = listener.accept().await.unwrap();
    client.shutdown().await.unwrap();
    let mut got = Vec::new();
    tokio::time::timeout(PATIENCE, server.read_to_end(&mut got))
        .await
        .expect("the server never saw the end")
        .unwrap();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(PATIENCE, client.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the client's reading side stayed open");
}

#[tokio::test]
async fn dropping_the_proxy_closes_its_connections() {
    let (proxy, mut client) = proxy_to(echo_server().await).await;
    client.write_all(b"x").await.unwrap();
    let mut one = [0u8; 1];
    client.read_exact(&mut one).await.unwrap();
    drop(proxy);
    let mut rest = Vec::new();
    let read = tokio::time::timeout(PATIENCE, client.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the connection outlived the proxy");
}

/// Through a real server: a query costs at least a round trip, and a 4 MB
/// value sent as a parameter comes back whole.
#[tokio::test]
async fn postgres_through_the_proxy_is_slower_and_intact() {
    let Some(primary) = topology::server_url(POSTGRES, "a PostgreSQL server") else {
        return;
    };
    let (_proxy, url) = topology::delayed(&primary, DELAY);
    let mut conn = PgConnection::connect(&url).await.unwrap();
    let start = Instant::now();
    sqlx::raw_sql("SELECT 1").execute(&mut conn).await.unwrap();
    let took = start.elapsed();
    assert!(took >= 2 * DELAY, "SELECT 1 took {took:?}");

    let value: String = String::from_utf8(
        pattern(4 << 20, 11)
            .into_iter()
            .map(|b| b'a' + b % 26)
            .collect(),
    )
    .unwrap();
    let (back, length): (String, i32) = sqlx::query_as("SELECT $1::text, length($1::text)")
        .bind(&value)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(length, 4 << 20);
    assert!(back == value, "the value came back changed");
    conn.close().await.unwrap();
}

/// The proxy relays on a thread of its own: a test may block its runtime's
/// only thread on the `migrate` binary, which talks to PostgreSQL through
/// the proxy meanwhile.
#[tokio::test]
async fn relays_while_the_test_blocks_on_the_migrate_binary() {
    if topology::server_url(POSTGRES, "a PostgreSQL server").is_none() {
        return;
    }
    let db = pg::create(concat!(
        module_path!(),
        "::relays_while_the_test_blocks_on_the_migrate_binary"
    ))
    .await
    .unwrap();
    let cleanup = db.clone();
    topology::run_then(
        async move {
            let (proxy, url) = topology::delayed(&db.url, DELAY);
            let env = TestEnv::new()
                .config(&core_config(""))
                .env("DATABASE_URL", &url)
                .revision(
                    "migrations_core",
                    "aaaa00000001.sql",
                    &rev_file(
                        "aaaa00000001",
                        "",
                        "CREATE TABLE through_the_proxy (id int);",
                        None,
                    ),
                );
            let start = Instant::now();
            let out = env.run(&["up", "core"]);
            let took = start.elapsed();
            drop(proxy);
            out.success();
            // At least the start-up exchange and one statement's round trip.
            assert!(took >= 4 * DELAY, "migrate up took {took:?}\n{out}");
            let mut conn = PgConnection::connect(&db.url).await.unwrap();
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT relname::text FROM pg_class WHERE relname = 'through_the_proxy'",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            assert_eq!(tables, ["through_the_proxy"]);
            let _ = conn.close().await;
        },
        async move { cleanup.drop_database().await },
    )
    .await;
}
