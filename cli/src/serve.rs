//! `fc serve`: runs the merchant backend of `docs/backend-contract.md` for the sample apps, over
//! the in-memory Stripe simulator, or over Stripe's real API in test mode when given keys.

use std::process::ExitCode;

use clap::Args;
use finconn_testkit::{serve, Redacted, ServeOptions};

#[derive(Args)]
pub struct ServeArgs {
    /// Port to listen on (127.0.0.1 unless --bind-all).
    #[arg(long, default_value_t = 4242)]
    port: u16,
    /// Listen on all interfaces (a phone on the LAN). The server has no TLS and trusts any bearer
    /// token: use on a trusted network only.
    #[arg(long)]
    bind_all: bool,
    /// Use Stripe's API in test mode with this secret key instead of the simulator. Prefer the
    /// environment variable: a key on the command line lands in shell history.
    #[arg(
        long,
        env = "STRIPE_SECRET_KEY",
        hide_env_values = true,
        value_name = "SK"
    )]
    stripe_secret_key: Option<String>,
    /// The publishable key handed to the app (required with a secret key).
    #[arg(
        long,
        env = "STRIPE_PUBLISHABLE_KEY",
        hide_env_values = true,
        value_name = "PK"
    )]
    stripe_publishable_key: Option<String>,
    /// Stripe API base URL (tests point it at a simulator).
    #[arg(long, value_name = "URL")]
    stripe_api_base: Option<String>,
    /// Android application id for Stripe's `stripe-auth://…/<appId>/…` redirects in simulated sheets.
    #[arg(long, value_name = "ID")]
    android_app_id: Option<String>,
    /// Accept only these bearer tokens (repeatable); any token is accepted by default.
    #[arg(long = "allowed-token", value_name = "TOKEN")]
    allowed_tokens: Vec<String>,
    /// Seed of the simulator's ids.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

pub fn run(args: ServeArgs) -> ExitCode {
    if let Some(key) = &args.stripe_secret_key {
        if key.starts_with("sk_live_") || key.starts_with("rk_live_") {
            eprintln!("fc serve: refusing a live-mode key; use a test-mode key (sk_test_…)");
            return ExitCode::from(2);
        }
    }
    let options = ServeOptions {
        bind_all: args.bind_all,
        seed: args.seed,
        stripe_secret_key: args.stripe_secret_key.map(Redacted::new),
        stripe_publishable_key: args.stripe_publishable_key,
        stripe_api_base: args.stripe_api_base,
        stripe_version: None,
        allowed_tokens: (!args.allowed_tokens.is_empty()).then_some(args.allowed_tokens),
        android_app_id: args.android_app_id,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fc serve: cannot start a runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(serve(args.port, options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fc serve: {e}");
            ExitCode::from(2)
        }
    }
}
