use std::process::ExitCode;

fn main() -> ExitCode {
    espresso::run(std::env::args_os())
}
