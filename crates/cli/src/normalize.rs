//! `trailhound normalize LOGS...`: ECS NDJSON, ready for an Elasticsearch bulk load.

use crate::input::{self, InputArgs};
use crate::{EXIT_ERROR, EXIT_FOUND};
use std::io::Write;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    /// Write here instead of standard output.
    #[arg(long, short)]
    output: Option<std::path::PathBuf>,
}

pub fn run(args: Args) -> u8 {
    let sink: Box<dyn Write> = match &args.output {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("error: {}: {e}", p.display());
                return EXIT_ERROR;
            }
        },
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 20, sink);
    let mut write_error: Option<std::io::Error> = None;
    let report = input::read_all(&args.input, &mut |event| {
        if write_error.is_some() {
            return;
        }
        let r = serde_json::to_writer(&mut out, &event.doc)
            .map_err(std::io::Error::from)
            .and_then(|_| out.write_all(b"\n"));
        if let Err(e) = r {
            write_error = Some(e);
        }
    });
    if let Some(e) = write_error.or_else(|| out.flush().err()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: writing output: {e}");
            return EXIT_ERROR;
        }
    }
    eprintln!("{}", report.summary());
    if report.errors > 0 && report.stats.pipeline_errors < report.errors {
        EXIT_ERROR
    } else {
        EXIT_FOUND
    }
}
