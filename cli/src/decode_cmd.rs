//! `fc decode`: decodes Stripe Financial Connections objects from files and prints one JSON line
//! per file, `{"file", "ok", "object", "value"}` or `{"file", "ok": false, "error"}`.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use finconn_core::model::decode_object;
use serde_json::{json, Value};

#[derive(Args)]
pub struct DecodeArgs {
    /// JSON files holding one Stripe object each (`-` reads standard input).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
}

/// The JSON line for one file's bytes (or the error reading it).
pub fn line(file: &str, bytes: Result<Vec<u8>, std::io::Error>) -> (bool, Value) {
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            return (
                false,
                json!({"file": file, "ok": false, "error": format!("cannot read file: {e}")}),
            );
        }
    };
    match decode_object(&bytes) {
        Ok(object) => match serde_json::to_value(&object) {
            Ok(value) => (
                true,
                json!({"file": file, "ok": true, "object": object.object_type(), "value": value}),
            ),
            Err(e) => (
                false,
                json!({"file": file, "ok": false, "error": format!("cannot write the object back: {e}")}),
            ),
        },
        Err(e) => (
            false,
            json!({"file": file, "ok": false, "error": e.to_string()}),
        ),
    }
}

pub fn run(args: DecodeArgs) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut all_ok = true;
    for file in &args.files {
        let bytes = if file == "-" {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
        } else {
            std::fs::read(file)
        };
        let (ok, value) = line(file, bytes);
        all_ok &= ok;
        if writeln!(out, "{value}").is_err() {
            break;
        }
    }
    let _ = out.flush();
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
