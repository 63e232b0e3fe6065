//! Diagnostic logging with `tracing`, on stderr. `-v` is debug, `-vv` trace,
//! `-q` errors only; `RUST_LOG` wins when set.

use tracing_subscriber::EnvFilter;

pub(crate) fn init(verbose: u8, quiet: bool, color: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn,sqlx=error",
        (false, 1) => "migrate=debug,sqlx=error,warn",
        (false, _) => "migrate=trace,sqlx=debug,info",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(false)
        .without_time()
        .try_init();
}
