//! `fc`, the developer tool of finconn: check deep links against return-URL rules (`fc url`),
//! decode Stripe objects (`fc decode`), run the whole flow on the embedded simulator (`fc demo`),
//! run the sample backend for the mobile samples (`fc serve`) and check a backend against the
//! contract (`fc check-backend`).

mod check_backend;
mod decode_cmd;
mod demo;
mod demo_data;
mod serve;
mod url_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "fc",
    version,
    about = "finconn developer tool: Stripe Financial Connections for mobile, in Rust"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check deep links: one JSON object per input, in order.
    Url(url_cmd::UrlArgs),
    /// Decode Stripe Financial Connections objects: one JSON line per file.
    Decode(decode_cmd::DecodeArgs),
    /// Run the whole flow against the embedded loopback simulator.
    Demo(demo::DemoArgs),
    /// Run the merchant backend (simulated Stripe, or Stripe test mode with a secret key).
    Serve(serve::ServeArgs),
    /// Check a backend against the contract (test mode or `fc serve`), through the SDK's policy.
    CheckBackend(check_backend::CheckBackendArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Url(args) => url_cmd::run(args),
        Command::Decode(args) => decode_cmd::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Serve(args) => serve::run(args),
        Command::CheckBackend(args) => check_backend::run(args),
    }
}
