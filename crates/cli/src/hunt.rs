//! `trailhound hunt [--rules PATH]... LOGS...`

use crate::{rules_cmd, EXIT_ERROR};

/// `hunt` exits 0 without alerts and 1 with alerts (2 on errors).
const EXIT_NO_ALERTS: u8 = 0;
const EXIT_ALERTS: u8 = 1;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, Color, ContentArrangement, Table};
use engine::alert::RunContext;
use engine::hunt::{Finding, Options, Outcome, Progress};
use engine::RuleSet;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct Args {
    /// CloudTrail logs: files, folders (walked recursively), globs, `-` for standard input.
    #[arg(required = true, value_name = "LOGS")]
    inputs: Vec<String>,
    /// Rules to run (file or folder, any format `rules` loads); repeatable. Default: the bundled
    /// rule set.
    #[arg(long = "rules", value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Output format.
    #[arg(long, default_value = "table", value_parser = ["table", "ndjson", "json", "csv"])]
    format: String,
    /// Write alerts here instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Only alerts of at least this severity.
    #[arg(long, value_parser = ["low", "medium", "high", "critical"])]
    severity: Option<String>,
    /// Only rules mapped to this ATT&CK tactic (name or id, e.g. "Defense Evasion", TA0005); repeatable.
    #[arg(long)]
    tactic: Vec<String>,
    /// Only rules whose id or name contains this (case-insensitive); repeatable.
    #[arg(long = "rule")]
    rule_filter: Vec<String>,
    /// Only events at or after this time (ISO date or date math: now-60m).
    #[arg(long)]
    from: Option<String>,
    /// Only events at or before this time.
    #[arg(long)]
    to: Option<String>,
    /// At most this many alerts per rule (the earliest); default unlimited.
    #[arg(long)]
    max_signals: Option<usize>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Do not keep `event.original` in alerts.
    #[arg(long)]
    no_original: bool,
    #[command(flatten)]
    geoip: crate::input::GeoIpArgs,
}

fn color_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

pub fn run(args: Args) -> u8 {
    let now = ecs::time::now_millis();
    let parse_time = |s: &Option<String>, what: &str| -> Result<Option<i64>, u8> {
        match s {
            None => Ok(None),
            Some(s) => {
                match ecs::time::parse_date_math(s, now) {
                    Some(span) => Ok(Some(if what == "--to" { span.hi } else { span.lo })),
                    None => {
                        eprintln!("error: {what} {s:?}: expected a date (2026-11-01T10:00:00Z) or date math (now-60m)");
                        Err(EXIT_ERROR)
                    }
                }
            }
        }
    };
    let (from, to) = match (parse_time(&args.from, "--from"), parse_time(&args.to, "--to")) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(c), _) | (_, Err(c)) => return c,
    };
    if let Some(n) = args.threads {
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n.max(1)).build_global();
    }

    // Rules
    let loaded = rules_cmd::load(&args.rules);
    if !loaded.errors.is_empty() && loaded.rules.is_empty() {
        return EXIT_ERROR;
    }
    let selected: Vec<rules::Rule> = loaded.rules.into_iter().filter(|r| keep_rule(r, &args)).collect();
    let set = RuleSet::compile_with(selected, now, &loaded.exception_items, loaded.value_lists);
    for e in &set.bad_exceptions {
        eprintln!("error: {e} (not applied)");
    }
    if set.rules.is_empty() {
        eprintln!("error: no runnable rules selected");
        for (what, n) in set.not_run_summary() {
            eprintln!("  {n} {what}");
        }
        return EXIT_ERROR;
    }

    // Inputs
    let (files, expand_errors) = cloudtrail::expand_inputs(&args.inputs);
    for e in &expand_errors {
        eprintln!("error: {e}");
    }
    if files.is_empty() {
        return EXIT_ERROR;
    }
    let geoip = match args.geoip.open_or_report() {
        Ok(g) => g,
        Err(code) => return code,
    };
    if geoip.is_none() {
        let needs: Vec<&str> = set
            .rules
            .iter()
            .filter(|r| {
                ecs::matcher::referenced_fields(&r.tree)
                    .iter()
                    .any(|(f, _)| f.starts_with("source.geo.") || f.starts_with("source.as."))
            })
            .map(|r| r.rule.name())
            .collect();
        if !needs.is_empty() {
            eprintln!(
                "warning: {} rule(s) query source.geo/source.as, which only GeoIP enrichment fills; pass --geoip-city/--geoip-asn (e.g. {})",
                needs.len(),
                needs[0]
            );
        }
    }
    let total_bytes: u64 = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
    let opts = Options {
        from,
        to,
        max_signals: args.max_signals,
        normalize: cloudtrail::Options {
            keep_original: !args.no_original,
            created: Some(ecs::time::format_millis(now)),
            ingested: Some(ecs::time::format_millis(now)),
            geoip,
            ..cloudtrail::Options::default()
        },
        max_errors_kept: 20,
        fast_path: true,
        split_bytes: engine::hunt::SPLIT_BYTES,
        exceptions_now: now,
        context: RunContext {
            now: ecs::time::format_millis(now),
            execution_uuid: engine::alert::alert_uuid("hunt", &now.to_string(), "trailhound")[..32]
                .to_string(),
            execution_type: "manual",
        },
    };
    let progress = Arc::new(Progress::default());
    let bar = (!args.quiet && std::io::stderr().is_terminal())
        .then(|| spawn_bar(progress.clone(), files.len() as u64, total_bytes));
    let started = std::time::Instant::now();
    let outcome = engine::hunt::hunt(&set, &files, &opts, &progress);
    let elapsed = started.elapsed();
    if let Some((bar, handle, stop)) = bar {
        stop.store(1, Ordering::Relaxed);
        let _ = handle.join();
        bar.finish_and_clear();
    }

    // Output
    let min_sev = args.severity.as_deref().and_then(rules::Severity::parse);
    let findings: Vec<&Finding> = outcome
        .findings
        .iter()
        .filter(|f| min_sev.is_none_or(|m| rules::Severity::parse(&f.severity).is_some_and(|s| s >= m)))
        .collect();
    let mut alerts = findings.iter().map(|f| f.alert(&set, &opts.context));
    if let Err(e) = write_docs(&mut alerts, &args.format, args.output.as_ref()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: writing alerts: {e}");
            return EXIT_ERROR;
        }
    }
    report(&set, &outcome, &findings, &expand_errors, elapsed);
    if outcome.stats.rejected > 0 || outcome.stats.file_errors > 0 || !expand_errors.is_empty() {
        EXIT_ERROR
    } else if findings.is_empty() {
        EXIT_NO_ALERTS
    } else {
        EXIT_ALERTS
    }
}

fn keep_rule(r: &rules::Rule, args: &Args) -> bool {
    let rule_ok = args.rule_filter.is_empty()
        || args.rule_filter.iter().any(|f| {
            let f = f.to_lowercase();
            r.rule_id().to_lowercase().contains(&f) || r.name().to_lowercase().contains(&f)
        });
    let tactic_ok = args.tactic.is_empty()
        || r.threat().iter().any(|t| {
            args.tactic.iter().any(|a| a.eq_ignore_ascii_case(&t.id) || a.eq_ignore_ascii_case(&t.name))
        });
    rule_ok && tactic_ok
}

type Bar = (indicatif::ProgressBar, std::thread::JoinHandle<()>, Arc<std::sync::atomic::AtomicU64>);

fn spawn_bar(progress: Arc<Progress>, files: u64, bytes: u64) -> Bar {
    let bar = indicatif::ProgressBar::new(bytes.max(1));
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {bytes}/{total_bytes} read {msg} [{elapsed_precise}]",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let stop = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (b, s) = (bar.clone(), stop.clone());
    let start = std::time::Instant::now();
    let handle = std::thread::spawn(move || {
        while s.load(Ordering::Relaxed) == 0 {
            let events = progress.events.load(Ordering::Relaxed);
            let rate = events as f64 / start.elapsed().as_secs_f64().max(0.001);
            b.set_message(format!(
                "| files {}/{files} | {events} events ({:.0}/s) | {} alerts",
                progress.files_done.load(Ordering::Relaxed),
                rate,
                progress.alerts.load(Ordering::Relaxed)
            ));
            // compressed files: bytes read are decompressed bytes, so cap the position
            b.set_position(progress.bytes.load(Ordering::Relaxed).min(bytes));
            std::thread::sleep(std::time::Duration::from_millis(120));
        }
    });
    (bar, handle, stop)
}

fn field(alert: &Value, path: &str) -> String {
    if let Some(v) = alert.get(path) {
        return match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
    }
    ecs::matcher::field_strings(alert, path).join(", ")
}

/// Write alert documents in a format (`table`, `ndjson`, `json`, `csv`) to a file or stdout,
/// one at a time (all at once for `json` and the table).
pub fn write_docs(
    docs: &mut dyn Iterator<Item = Value>,
    format: &str,
    output: Option<&PathBuf>,
) -> std::io::Result<()> {
    let sink: Box<dyn Write> = match output {
        Some(p) => Box::new(std::fs::File::create(p)?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = std::io::BufWriter::new(sink);
    match format {
        "ndjson" => {
            for a in docs {
                serde_json::to_writer(&mut out, &a)?;
                out.write_all(b"\n")?;
            }
        }
        "json" => {
            let all: Vec<Value> = docs.collect();
            serde_json::to_writer_pretty(&mut out, &all)?;
            out.write_all(b"\n")?;
        }
        "csv" => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(CSV_COLUMNS.iter().map(|(h, _)| *h))?;
            for a in docs {
                w.write_record(CSV_COLUMNS.iter().map(|(_, p)| field(&a, p)))?;
            }
            w.flush()?;
            return Ok(());
        }
        _ => {
            let docs: Vec<Value> = docs.collect();
            if docs.is_empty() {
                return Ok(());
            }
            let color = output.is_none() && color_enabled();
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
            if !color {
                table.force_no_tty();
            }
            table.set_header(vec![
                "time",
                "rule",
                "severity",
                "user",
                "source ip",
                "action",
                "account / region",
            ]);
            for a in &docs {
                let sev = field(a, "kibana.alert.severity");
                let sev_cell = Cell::new(&sev).fg(match sev.as_str() {
                    "critical" => Color::Magenta,
                    "high" => Color::Red,
                    "medium" => Color::Yellow,
                    _ => Color::Cyan,
                });
                table.add_row(vec![
                    Cell::new(field(a, "kibana.alert.original_time")),
                    Cell::new(field(a, "kibana.alert.rule.name")),
                    sev_cell,
                    Cell::new(field(a, "user.name")),
                    Cell::new(field(a, "source.ip")),
                    Cell::new(format!(
                        "{} {}",
                        field(a, "event.provider").trim_end_matches(".amazonaws.com"),
                        field(a, "event.action")
                    )),
                    Cell::new(format!("{} / {}", field(a, "cloud.account.id"), field(a, "cloud.region"))),
                ]);
            }
            writeln!(out, "{table}")?;
        }
    }
    out.flush()
}

const CSV_COLUMNS: &[(&str, &str)] = &[
    ("time", "kibana.alert.original_time"),
    ("rule", "kibana.alert.rule.name"),
    ("rule_id", "kibana.alert.rule.rule_id"),
    ("severity", "kibana.alert.severity"),
    ("risk_score", "kibana.alert.risk_score"),
    ("user", "user.name"),
    ("source_ip", "source.ip"),
    ("provider", "event.provider"),
    ("action", "event.action"),
    ("outcome", "event.outcome"),
    ("account", "cloud.account.id"),
    ("region", "cloud.region"),
    ("event_id", "event.id"),
    ("alert_id", "kibana.alert.uuid"),
    ("reason", "kibana.alert.reason"),
];

fn report(
    set: &RuleSet,
    o: &Outcome,
    findings: &[&Finding],
    expand_errors: &[String],
    elapsed: std::time::Duration,
) {
    let e = &mut std::io::stderr();
    for err in &o.errors {
        let _ = writeln!(e, "{}: {err}", if err.kept { "warning" } else { "error" });
    }
    if o.error_count > o.errors.len() as u64 {
        let _ = writeln!(e, "... {} more input problem(s) not shown", o.error_count - o.errors.len() as u64);
    }
    let s = &o.stats;
    let secs = elapsed.as_secs_f64().max(1e-9);
    let _ = writeln!(
        e,
        "\n{} file(s), {} record(s) in {:.2}s ({:.0} records/s): {} evaluated, {} ruled out by the dispatch index, {} outside --from/--to, {} matches excepted; {} rejected, {} pipeline error(s), {} unreadable input(s)",
        s.files,
        s.read,
        secs,
        s.read as f64 / secs,
        o.evaluated,
        o.skipped_by_index,
        o.outside_time,
        o.excepted,
        s.rejected,
        s.pipeline_errors,
        s.file_errors + expand_errors.len() as u64,
    );
    let (by_action, by_provider, always) = set.index.shape();
    let _ = writeln!(
        e,
        "{} rule(s) run (dispatch: {by_action} by event.action, {by_provider} by event.provider, {always} on every event)",
        set.rules.len()
    );
    for &i in set.index.always().iter().take(5) {
        let _ = writeln!(
            e,
            "  checked on every event (its query implies no event.action or event.provider): {}",
            set.rules[i].rule.name()
        );
    }
    for (what, n) in set.not_run_summary() {
        let _ = writeln!(e, "{n} {what}: not run (trailhound rules validate/lint for details)");
    }
    for (i, n) in &o.truncated {
        let _ = writeln!(
            e,
            "warning: rule \"{}\" reached --max-signals: {n} alerts, kept the earliest",
            set.rules[*i].rule.name()
        );
    }
    if findings.is_empty() {
        let _ = writeln!(e, "no alerts");
        return;
    }
    let mut by_rule: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut by_sev: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_tactic: BTreeMap<String, usize> = BTreeMap::new();
    for f in findings {
        let r = &set.rules[f.rule].rule;
        *by_rule.entry((r.name().to_string(), r.rule_id())).or_default() += 1;
        *by_sev.entry(f.severity.clone()).or_default() += 1;
        for t in r.threat() {
            *by_tactic.entry(format!("{} ({})", t.name, t.id)).or_default() += 1;
        }
    }
    let _ = writeln!(e, "\n{} alert(s)", findings.len());
    let _ = writeln!(e, "by rule:");
    for ((name, id), n) in &by_rule {
        let _ = writeln!(e, "  {n:>6}  {name}  [{id}]");
    }
    let _ = writeln!(e, "by severity:");
    for sev in ["critical", "high", "medium", "low"] {
        if let Some(n) = by_sev.get(sev) {
            let _ = writeln!(e, "  {n:>6}  {sev}");
        }
    }
    let _ = writeln!(e, "by ATT&CK tactic:");
    for (t, n) in &by_tactic {
        let _ = writeln!(e, "  {n:>6}  {t}");
    }
    let _ = writeln!(e, "investigation guide of a rule: trailhound rules show <rule id>");
}
