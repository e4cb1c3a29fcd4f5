//! `fc url`: classifies deep links with the core's return-URL rules and prints one JSON object per
//! input, in order: `{"input", "matched", "kind", "reason"}`.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use clap::Args;
use finconn_core::return_url::{ReturnUrlRules, UrlClassification};
use serde::Serialize;

#[derive(Args)]
pub struct UrlArgs {
    /// A return URL the app registered (custom scheme or https link). Repeatable.
    #[arg(long = "return-url", value_name = "URL")]
    return_urls: Vec<String>,
    /// The Android application id, to accept Stripe's own `stripe-auth://…/<appId>/…` forms.
    #[arg(long = "android-app-id", value_name = "ID")]
    android_app_id: Option<String>,
    /// URLs to check. Without any, standard input is read, one URL per line (an empty line is an
    /// input too).
    urls: Vec<String>,
}

#[derive(Serialize)]
struct Line<'a> {
    input: &'a str,
    matched: bool,
    kind: Option<&'static str>,
    reason: Option<&'static str>,
}

/// The JSON line for one input.
pub fn line(rules: &ReturnUrlRules, input: &str) -> String {
    let classification = rules.classify(input);
    let out = match &classification {
        UrlClassification::Matched(m) => Line {
            input,
            matched: true,
            kind: Some(m.kind.as_str()),
            reason: None,
        },
        UrlClassification::Rejected(r) => Line {
            input,
            matched: false,
            kind: None,
            reason: Some(r.as_str()),
        },
    };
    serde_json::to_string(&out).unwrap_or_default()
}

pub fn run(args: UrlArgs) -> ExitCode {
    let rules = match ReturnUrlRules::new(&args.return_urls, args.android_app_id.as_deref()) {
        Ok(rules) => rules,
        Err(e) => {
            eprintln!("fc url: {e}");
            return ExitCode::from(2);
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut write = |input: &str| writeln!(out, "{}", line(&rules, input));
    if !args.urls.is_empty() {
        for url in &args.urls {
            if write(url).is_err() {
                return ExitCode::SUCCESS; // stdout closed (e.g. `| head`): nothing left to do
            }
        }
    } else {
        let stdin = std::io::stdin();
        let mut reader = stdin.lock();
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) => break,
                Ok(_) => {
                    if buf.last() == Some(&b'\n') {
                        buf.pop();
                        if buf.last() == Some(&b'\r') {
                            buf.pop();
                        }
                    }
                    // Bytes that are not UTF-8 cannot be a URL; they are shown replaced and rejected.
                    let input = String::from_utf8_lossy(&buf);
                    if write(&input).is_err() {
                        return ExitCode::SUCCESS;
                    }
                }
                Err(e) => {
                    eprintln!("fc url: cannot read standard input: {e}");
                    return ExitCode::from(1);
                }
            }
        }
    }
    let _ = out.flush();
    ExitCode::SUCCESS
}
