//! `trailhound search QUERY FILES...`

use crate::input::{self, InputArgs};
use crate::{EXIT_ERROR, EXIT_FOUND, EXIT_NOT_FOUND};
use std::io::{self, Write};

#[derive(clap::Args)]
pub struct Args {
    /// The KQL query.
    query: String,
    #[command(flatten)]
    input: InputArgs,
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
    let mut matched = 0u64;
    let mut closed = false;
    let report = input::read_all(&args.input, &mut |event| {
        if closed || !matcher.matches(&event.doc) {
            return;
        }
        matched += 1;
        let written = match &event.text {
            Some(text) => out.write_all(text.as_bytes()),
            None => serde_json::to_writer(&mut out, &event.doc).map_err(io::Error::from),
        };
        if written.and_then(|_| out.write_all(b"\n")).is_err() {
            closed = true; // the reader of our output went away
        }
    });
    let _ = out.flush();
    if report.errors > 0 {
        eprintln!("{}; {matched} document(s) matched", report.summary());
        EXIT_ERROR
    } else if matched > 0 {
        EXIT_FOUND
    } else {
        EXIT_NOT_FOUND
    }
}
