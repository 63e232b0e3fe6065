use std::process::ExitCode;

fn main() -> ExitCode {
    migrate::run(std::env::args_os())
}
