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
    #[command(flatten)]
    pub geoip: GeoIpArgs,
    /// Print at most this many input errors (all are counted).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub max_errors_shown: u64,
}

/// Optional enrichment of `source.ip` from MaxMind-format databases.
#[derive(clap::Args, Clone, Default)]
pub struct GeoIpArgs {
    /// A GeoIP2/GeoLite2 City database (.mmdb): fills source.geo.* as Elastic's geoip processor.
    #[arg(long, value_name = "MMDB")]
    pub geoip_city: Option<std::path::PathBuf>,
    /// A GeoIP2/GeoLite2 ASN database (.mmdb): fills source.as.number and source.as.organization.name.
    #[arg(long, value_name = "MMDB")]
    pub geoip_asn: Option<std::path::PathBuf>,
}

impl GeoIpArgs {
    /// Open the databases, printing the problem (for commands that stop on it).
    pub fn open_or_report(&self) -> Result<Option<std::sync::Arc<cloudtrail::geoip::GeoIp>>, u8> {
        self.open().map_err(|e| {
            eprintln!("error: {e}");
            crate::EXIT_ERROR
        })
    }

    /// Open the databases; `Err` is a message for the user.
    pub fn open(&self) -> Result<Option<std::sync::Arc<cloudtrail::geoip::GeoIp>>, String> {
        if self.geoip_city.is_none() && self.geoip_asn.is_none() {
            return Ok(None);
        }
        cloudtrail::geoip::GeoIp::open(self.geoip_city.as_deref(), self.geoip_asn.as_deref())
            .map(|g| Some(std::sync::Arc::new(g)))
            .map_err(|e| e.to_string())
    }
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

pub fn options(args: &InputArgs) -> Result<Options, String> {
    Ok(Options {
        keep_original: !args.no_original,
        created: Some(ecs::time::format_millis(ecs::time::now_millis())),
        geoip: args.geoip.open()?,
        ..Options::default()
    })
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
    let opts = match options(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            report.errors += 1;
            report.stats.file_errors += 1;
            return report;
        }
    };
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
