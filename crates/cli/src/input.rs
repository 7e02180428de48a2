//! Reading inputs for every command: files, directories, globs, `-`; errors to stderr with file
//! and position; counts for the summary.

use cloudtrail::{Event, Options, Stats};

#[derive(clap::Args, Clone)]
pub struct InputArgs {
    /// CloudTrail files (S3 delivery `.json`/`.json.gz`, NDJSON of raw records or of ECS
    /// documents, CloudWatch Logs payloads), directories (walked recursively) or globs; `-` is
    /// standard input.
    #[arg(required = true, value_name = "LOGS")]
    pub inputs: Vec<String>,
    /// Do not keep `event.original` in normalized documents.
    #[arg(long)]
    pub no_original: bool,
    /// Print at most this many input errors (all are counted).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub max_errors_shown: u64,
}

/// What reading all inputs found.
#[derive(Debug, Default)]
pub struct Report {
    pub stats: Stats,
    /// Rejected records, pipeline errors and unreadable inputs.
    pub errors: u64,
}

impl Report {
    pub fn summary(&self) -> String {
        let s = &self.stats;
        format!(
            "{} file(s), {} record(s) read: {} normalized, {} ECS passed through, {} rejected; {} pipeline error(s), {} unreadable input(s)",
            s.files, s.read, s.normalized, s.passed_through, s.rejected, s.pipeline_errors, s.file_errors
        )
    }
}

pub fn options(args: &InputArgs) -> Options {
    Options {
        keep_original: !args.no_original,
        created: Some(ecs::time::format_millis(ecs::time::now_millis())),
        ..Options::default()
    }
}

/// Read every input in order, calling `f` with each event.
pub fn read_all(args: &InputArgs, f: &mut dyn FnMut(Event)) -> Report {
    let (files, expand_errors) = cloudtrail::expand_inputs(&args.inputs);
    let mut report = Report::default();
    for e in &expand_errors {
        eprintln!("error: {e}");
        report.errors += 1;
        report.stats.file_errors += 1;
    }
    let opts = options(args);
    let mut shown = 0u64;
    for file in files {
        let stats = cloudtrail::read_file(&file, &opts, &mut |r| match r {
            Ok(event) => f(event),
            Err(e) => {
                report.errors += 1;
                if shown < args.max_errors_shown {
                    eprintln!("{}: {e}", if e.kept { "warning" } else { "error" });
                    shown += 1;
                }
            }
        });
        report.stats.add(&stats);
    }
    if report.errors > shown {
        eprintln!("... {} more input error(s) not shown", report.errors - shown);
    }
    report
}
