//! `trailhound run` (the scheduled service) and `trailhound alerts` (the alert store).

use crate::{rules_cmd, EXIT_ERROR};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct RunArgs {
    /// Rules (file or folder, any format `rules` loads); repeatable. Default: the bundled set.
    #[arg(long = "rules", value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// The directory CloudTrail files land in (S3 layout or flat), followed for new files.
    #[arg(long)]
    source: PathBuf,
    /// The SQLite store of events, alerts, history and checkpoints.
    #[arg(long)]
    store: PathBuf,
    /// Run one step at this time (ISO date or date math) and exit: for tests and backfills.
    #[arg(long)]
    now: Option<String>,
    /// Run one step at the current time and exit.
    #[arg(long)]
    once: bool,
    /// How often to look for new files and due rules.
    #[arg(long, default_value = "30s")]
    poll: String,
    /// POST new alerts (JSON) to this URL, one request per rule execution.
    #[arg(long)]
    webhook: Option<String>,
    /// At most one webhook request per rule per this duration (held alerts go with the next).
    #[arg(long, default_value = "0s")]
    webhook_throttle: String,
    #[command(flatten)]
    geoip: crate::input::GeoIpArgs,
}

pub fn run(args: RunArgs) -> u8 {
    let loaded = rules_cmd::load(&args.rules);
    if loaded.rules.is_empty() {
        eprintln!("error: no rules loaded");
        return EXIT_ERROR;
    }
    let now = ecs::time::now_millis();
    let set = engine::RuleSet::compile_with(loaded.rules, now, &loaded.exception_items, loaded.value_lists);
    for (what, n) in set.not_run_summary() {
        eprintln!("{n} {what}: not run");
    }
    for e in &set.bad_exceptions {
        eprintln!("error: {e} (not applied)");
    }
    let store = match store::Store::open(&args.store) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {}: {e}", args.store.display());
            return EXIT_ERROR;
        }
    };
    if !args.source.is_dir() {
        eprintln!("error: {}: not a directory", args.source.display());
        return EXIT_ERROR;
    }
    let geoip = match args.geoip.open_or_report() {
        Ok(g) => g,
        Err(code) => return code,
    };
    let normalize = cloudtrail::Options { geoip, ..Default::default() };
    let mut svc = service::Service::new(set, &args.source, store, normalize);
    for b in &svc.bad_schedules {
        eprintln!("error: {b} (not run)");
    }
    if let Some(url) = &args.webhook {
        let Some(throttle) = ecs::time::parse_duration(&args.webhook_throttle) else {
            eprintln!("error: --webhook-throttle {:?}: expected a duration like 10m", args.webhook_throttle);
            return EXIT_ERROR;
        };
        svc.webhook = Some(service::webhook::Webhook::new(url, throttle));
    }
    let step = |svc: &mut service::Service, at: i64| -> bool {
        match svc.step(at) {
            Ok(r) => {
                for e in r.input_errors.iter().take(20) {
                    eprintln!("error: {e}");
                }
                for x in &r.executions {
                    let warn = if x.warnings.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", x.warnings.join("; "))
                    };
                    eprintln!(
                        "{} {} [{}]: {} events scanned, {} new alerts{warn}",
                        ecs::time::format_millis(x.started),
                        x.rule_id,
                        x.status,
                        x.events_scanned,
                        x.alerts
                    );
                }
                if r.files_read > 0 {
                    eprintln!("read {} new file(s), {} new event(s)", r.files_read, r.events_added);
                }
                if let Some(w) = &mut svc.webhook {
                    for f in w.failures.drain(..) {
                        eprintln!("error: {f}");
                    }
                }
                true
            }
            Err(e) => {
                eprintln!("error: store: {e}");
                false
            }
        }
    };
    if args.once || args.now.is_some() {
        let at = match &args.now {
            None => now,
            Some(s) => match ecs::time::parse_date_math(s, now) {
                Some(d) => d.lo,
                None => {
                    eprintln!("error: --now {s:?}: expected a date or date math");
                    return EXIT_ERROR;
                }
            },
        };
        return if step(&mut svc, at) { 0 } else { EXIT_ERROR };
    }
    let Some(poll) = ecs::time::parse_duration(&args.poll).filter(|p| *p > 0) else {
        eprintln!("error: --poll {:?}: expected a duration like 30s", args.poll);
        return EXIT_ERROR;
    };
    eprintln!("following {} every {}; store {}", args.source.display(), args.poll, args.store.display());
    loop {
        if !step(&mut svc, ecs::time::now_millis()) {
            return EXIT_ERROR;
        }
        std::thread::sleep(std::time::Duration::from_millis(poll as u64));
    }
}

#[derive(Subcommand)]
pub enum AlertsCommand {
    /// List alerts, newest first.
    List {
        #[arg(long)]
        store: PathBuf,
        /// Only alerts in this workflow status.
        #[arg(long, value_parser = ["open", "acknowledged", "closed"])]
        status: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[arg(long, default_value = "table", value_parser = ["table", "ndjson", "json", "csv"])]
        format: String,
    },
    /// Print one alert document (by id or a unique id prefix).
    Show {
        id: String,
        #[arg(long)]
        store: PathBuf,
    },
    /// Mark an alert acknowledged.
    Ack {
        id: String,
        #[arg(long)]
        store: PathBuf,
    },
    /// Close an alert.
    Close {
        id: String,
        #[arg(long)]
        store: PathBuf,
    },
    /// Rule execution history.
    History {
        #[arg(long)]
        store: PathBuf,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

pub fn alerts(cmd: AlertsCommand) -> u8 {
    let open = |p: &PathBuf| {
        if !p.exists() {
            eprintln!("error: {}: no such store", p.display());
            return None;
        }
        match store::Store::open(p) {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("error: {}: {e}", p.display());
                None
            }
        }
    };
    match cmd {
        AlertsCommand::List { store, status, limit, format } => {
            let Some(s) = open(&store) else { return EXIT_ERROR };
            match s.alerts(status.as_deref().and_then(store::Status::parse), limit) {
                Ok(list) => {
                    let docs: Vec<serde_json::Value> = list
                        .into_iter()
                        .map(|(_, st, mut d)| {
                            d["kibana.alert.workflow_status"] = serde_json::json!(st.as_str());
                            d
                        })
                        .collect();
                    match crate::hunt::write_docs(&mut docs.into_iter(), &format, None) {
                        Ok(()) => 0,
                        Err(e) => {
                            eprintln!("error: {e}");
                            EXIT_ERROR
                        }
                    }
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    EXIT_ERROR
                }
            }
        }
        AlertsCommand::Show { id, store } => {
            let Some(s) = open(&store) else { return EXIT_ERROR };
            match s.alert(&id) {
                Ok(Some((_, st, mut d))) => {
                    d["kibana.alert.workflow_status"] = serde_json::json!(st.as_str());
                    println!("{}", serde_json::to_string_pretty(&d).unwrap_or_default());
                    0
                }
                Ok(None) => {
                    eprintln!("error: no single alert has id {id:?}");
                    1
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    EXIT_ERROR
                }
            }
        }
        AlertsCommand::Ack { id, store } => set_status(open(&store), &id, store::Status::Acknowledged),
        AlertsCommand::Close { id, store } => set_status(open(&store), &id, store::Status::Closed),
        AlertsCommand::History { store, limit } => {
            let Some(s) = open(&store) else { return EXIT_ERROR };
            match s.executions(limit) {
                Ok(list) => {
                    for x in list {
                        let gap = x
                            .gap
                            .map(|(f, t)| {
                                format!(
                                    " gap {}..{}",
                                    ecs::time::format_millis(f),
                                    ecs::time::format_millis(t)
                                )
                            })
                            .unwrap_or_default();
                        println!(
                            "{}  {:<40} {:<16} {:>7} events {:>5} alerts {:>5} ms{gap}{}",
                            ecs::time::format_millis(x.started),
                            x.rule_id,
                            x.status,
                            x.events_scanned,
                            x.alerts,
                            x.duration_ms,
                            if x.warnings.is_empty() {
                                String::new()
                            } else {
                                format!("  {}", x.warnings.join("; "))
                            }
                        );
                    }
                    0
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    EXIT_ERROR
                }
            }
        }
    }
}

fn set_status(store: Option<store::Store>, id: &str, status: store::Status) -> u8 {
    let Some(s) = store else { return EXIT_ERROR };
    match s.set_status(id, status) {
        Ok(true) => {
            eprintln!("{id}: {}", status.as_str());
            0
        }
        Ok(false) => {
            eprintln!("error: no single alert has id {id:?}");
            1
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_ERROR
        }
    }
}
