//! `trailhound generate --events N --seed S --out DIR`

use crate::{EXIT_ERROR, EXIT_FOUND};
use cloudtrail::generate::{generate, Format, Spec};

#[derive(clap::Args)]
pub struct Args {
    /// How many records.
    #[arg(long, default_value_t = 10_000)]
    events: u64,
    /// Seed: the same seed gives the same files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory.
    #[arg(long)]
    out: std::path::PathBuf,
    /// `s3`: gzipped Records files in the AWSLogs/... layout; `ndjson`: one record per line.
    #[arg(long, default_value = "s3", value_parser = ["s3", "ndjson"])]
    format: String,
}

pub fn run(args: Args) -> u8 {
    let spec = Spec {
        events: args.events,
        seed: args.seed,
        format: if args.format == "ndjson" { Format::Ndjson } else { Format::S3 },
        ..Spec::default()
    };
    match generate(&spec, &args.out) {
        Ok(s) => {
            eprintln!(
                "wrote {} events in {} file(s) ({:.1} MB uncompressed) under {}",
                s.events,
                s.files.len(),
                s.bytes as f64 / 1e6,
                args.out.display()
            );
            EXIT_FOUND
        }
        Err(e) => {
            eprintln!("error: {}: {e}", args.out.display());
            EXIT_ERROR
        }
    }
}
