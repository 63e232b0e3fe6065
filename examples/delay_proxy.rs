//! The tests' delay proxy as a program, for benchmarks against a "remote"
//! server on this machine (bench/run builds it):
//!
//! ```text
//! delay_proxy --upstream 127.0.0.1:5432 --delay-ms 20 [--listen 127.0.0.1:25432]
//! ```
//!
//! prints the address it listens on (one line, `127.0.0.1:PORT`) and relays
//! every connection to the upstream server with the delay each way, until
//! it gets SIGINT or SIGTERM. Without `--listen` it takes a free loopback
//! port in 20000-32767. See tests/harness/delay_proxy.rs for what it does.

#![allow(clippy::print_stdout)]

#[path = "../tests/harness/delay_proxy.rs"]
#[allow(dead_code, unreachable_pub)]
mod delay_proxy;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use tokio::signal::unix::{SignalKind, signal};

#[derive(Parser)]
#[command(about = "A TCP proxy that delays every chunk by a fixed time each way")]
struct Args {
    /// The server to relay to, HOST:PORT (an IP address).
    #[arg(long)]
    upstream: SocketAddr,
    /// The one-way delay in milliseconds (a round trip costs twice this).
    #[arg(long)]
    delay_ms: u64,
    /// Where to listen; a free loopback port when not given.
    #[arg(long)]
    listen: Option<SocketAddr>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let listener = match args.listen {
        Some(addr) => {
            std::net::TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?
        }
        None => delay_proxy::bind_loopback().context("cannot listen on loopback")?,
    };
    let proxy = delay_proxy::DelayProxy::serve(
        listener,
        args.upstream,
        Duration::from_millis(args.delay_ms),
    )?;
    println!("{}", proxy.addr());
    // The proxy relays on a thread of its own; this one waits for a signal.
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    drop(proxy);
    Ok(())
}
