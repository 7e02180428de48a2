//! `trailhound search QUERY FILES...`

use crate::{EXIT_ERROR, EXIT_FOUND, EXIT_NOT_FOUND};
use std::io::{self, BufRead, BufReader, Write};

#[derive(clap::Args)]
pub struct Args {
    /// The KQL query.
    query: String,
    /// NDJSON files of ECS documents (`-` for standard input).
    #[arg(required = true)]
    files: Vec<String>,
}

pub fn run(args: Args) -> u8 {
    let matcher = match ecs::compile(&args.query) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: invalid KQL: {e}");
            return EXIT_ERROR;
        }
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let (mut matched, mut errors) = (0u64, 0u64);
    for file in &args.files {
        let reader: Box<dyn BufRead> = if file == "-" {
            Box::new(BufReader::new(io::stdin()))
        } else {
            match std::fs::File::open(file) {
                Ok(f) => Box::new(BufReader::new(f)),
                Err(e) => {
                    eprintln!("error: {file}: {e}");
                    errors += 1;
                    continue;
                }
            }
        };
        for (i, line) in reader.split(b'\n').enumerate() {
            let line = match line {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("error: {file}:{}: read failed: {e}", i + 1);
                    errors += 1;
                    break;
                }
            };
            let trimmed = line.trim_ascii();
            if trimmed.is_empty() {
                continue;
            }
            match serde_json::from_slice::<serde_json::Value>(trimmed) {
                Ok(doc) if doc.is_object() => {
                    if matcher.matches(&doc) {
                        matched += 1;
                        if out.write_all(trimmed).and_then(|_| out.write_all(b"\n")).is_err() {
                            return EXIT_FOUND; // closed pipe: the reader has what it wanted
                        }
                    }
                }
                Ok(_) => {
                    eprintln!("error: {file}:{}: expected a JSON object", i + 1);
                    errors += 1;
                }
                Err(e) => {
                    eprintln!("error: {file}:{}: invalid JSON: {e}", i + 1);
                    errors += 1;
                }
            }
        }
    }
    let _ = out.flush();
    if errors > 0 {
        eprintln!("{errors} error(s); {matched} document(s) matched");
        EXIT_ERROR
    } else if matched > 0 {
        EXIT_FOUND
    } else {
        EXIT_NOT_FOUND
    }
}
