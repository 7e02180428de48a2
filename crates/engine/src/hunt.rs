//! Run a rule set over files of CloudTrail, in parallel, and collect alerts.
//!
//! Per record: skim `eventSource`/`eventName` off the raw bytes; when the dispatch index says no
//! rule can match, the record is only validated as JSON (so malformed input is still reported)
//! and never normalized. Otherwise it is normalized, filtered by time, and given to each
//! candidate rule's matcher. Files are processed in parallel (rayon); alerts are sorted by event
//! time and rule at the end, and `max_signals` (if set) keeps the earliest per rule, as Kibana
//! does within one execution.

use crate::alert::{build_alert, RunContext};
use crate::RuleSet;
use cloudtrail::reader::{Container, RawRef, Scanner};
use cloudtrail::source::{classify, Classified};
use cloudtrail::{RecordError, Stats};
use ecs::time::{parse_date, Millis};
use rayon::prelude::*;
use serde::de::IgnoredAny;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Settings of a hunt.
#[derive(Debug, Clone)]
pub struct Options {
    /// Only events at or after this time (`@timestamp`).
    pub from: Option<Millis>,
    /// Only events at or before this time.
    pub to: Option<Millis>,
    /// At most this many alerts per rule (the earliest); unlimited when `None`.
    pub max_signals: Option<usize>,
    pub normalize: cloudtrail::Options,
    /// Keep at most this many input errors in the result (all are counted).
    pub max_errors_kept: usize,
    pub context: RunContext,
    /// Rule out records from their raw bytes (dispatch index on skimmed discriminators, literal
    /// prefilters). Off: every record is normalized. Results are the same either way; tests
    /// check that.
    pub fast_path: bool,
    /// Uncompressed NDJSON files larger than this are split into pieces hunted in parallel.
    pub split_bytes: u64,
    /// The time exception items' `expire_time` is compared with.
    pub exceptions_now: Millis,
}

impl Default for Options {
    /// No time filter, no cap, the fast path on, `now` at the epoch (for `expire_time` and
    /// `@timestamp` of alerts: set both for real runs).
    fn default() -> Self {
        Options {
            from: None,
            to: None,
            max_signals: None,
            normalize: cloudtrail::Options::default(),
            max_errors_kept: 20,
            context: RunContext {
                now: ecs::time::format_millis(0),
                execution_uuid: "manual".into(),
                execution_type: "manual",
            },
            fast_path: true,
            split_bytes: SPLIT_BYTES,
            exceptions_now: 0,
        }
    }
}

/// Live counters for a progress display.
#[derive(Debug, Default)]
pub struct Progress {
    pub files_done: AtomicU64,
    pub bytes: AtomicU64,
    pub events: AtomicU64,
    pub alerts: AtomicU64,
}

/// One alert, kept as its source event: the alert document (which carries a full copy of the
/// rule) is built only when written out, so memory grows with events matched, not with rule size.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: usize,
    pub time: Option<Millis>,
    /// `kibana.alert.uuid`.
    pub uuid: String,
    /// `kibana.alert.severity` (after the rule's severity mapping).
    pub severity: String,
    /// The source event.
    pub event: Value,
}

impl Finding {
    /// The alert document.
    pub fn alert(&self, rules: &RuleSet, ctx: &RunContext) -> Value {
        build_alert(&rules.rules[self.rule], &self.event, ctx)
    }
}

/// What a hunt found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub stats: Stats,
    /// Records the dispatch index ruled out (validated, not normalized).
    pub skipped_by_index: u64,
    /// Events given to at least one rule's matcher.
    pub evaluated: u64,
    /// Events outside `--from`/`--to`.
    pub outside_time: u64,
    /// Matches an exception item removed.
    pub excepted: u64,
    pub errors: Vec<RecordError>,
    pub error_count: u64,
    /// Rules whose alerts were cut at `max_signals`: (rule index, alerts found).
    pub truncated: Vec<(usize, usize)>,
}

impl Outcome {
    fn merge(&mut self, o: Outcome, keep: usize) {
        self.findings.extend(o.findings);
        self.stats.add(&o.stats);
        self.skipped_by_index += o.skipped_by_index;
        self.evaluated += o.evaluated;
        self.outside_time += o.outside_time;
        self.excepted += o.excepted;
        self.error_count += o.error_count;
        let room = keep.saturating_sub(self.errors.len());
        self.errors.extend(o.errors.into_iter().take(room));
    }
}

/// A piece of work: a whole file, or a byte range of a large NDJSON file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Work {
    path: PathBuf,
    range: Option<(u64, u64)>,
    /// Index of the file's first piece (the others' line numbers are fixed up against it).
    piece: usize,
    /// The piece that ends its file (for the progress count of files done).
    last: bool,
}

/// The default of [`Options::split_bytes`].
pub const SPLIT_BYTES: u64 = 64 << 20;

/// Split large, uncompressed, line-delimited files at newline boundaries into pieces of about
/// `SPLIT_BYTES / 2`. Anything else (gzip, a `Records` object, stdin) stays whole.
fn plan(files: &[PathBuf], split_bytes: u64) -> Vec<Work> {
    use std::io::{BufRead, Read, Seek, SeekFrom};
    let mut out = Vec::new();
    for path in files {
        let whole = Work { path: path.clone(), range: None, piece: 0, last: true };
        let Ok(meta) = std::fs::metadata(path) else {
            out.push(whole);
            continue;
        };
        let size = meta.len();
        if size <= split_bytes || path.as_os_str() == "-" {
            out.push(whole);
            continue;
        }
        // Is it line-delimited? The first line must be a complete JSON object.
        let Ok(f) = std::fs::File::open(path) else {
            out.push(whole);
            continue;
        };
        let mut r = std::io::BufReader::new(f);
        let mut first = Vec::new();
        let ndjson = r.by_ref().take(4 << 20).read_until(b'\n', &mut first).is_ok()
            && first.first() == Some(&b'{')
            && serde_json::from_slice::<IgnoredAny>(&first).is_ok();
        if !ndjson {
            out.push(whole);
            continue;
        }
        let chunk = (split_bytes / 2).max(1);
        let mut start = 0u64;
        let mut f = r.into_inner();
        while start < size {
            let mut end = (start + chunk).min(size);
            if end < size {
                // move the end to just after the next newline
                if f.seek(SeekFrom::Start(end)).is_err() {
                    end = size;
                } else {
                    let mut br = std::io::BufReader::new(&mut f);
                    let mut skip = Vec::new();
                    end += br.read_until(b'\n', &mut skip).map(|n| n as u64).unwrap_or(size - end);
                }
            }
            out.push(Work { path: path.clone(), range: Some((start, end)), piece: 0, last: end == size });
            start = end;
        }
    }
    // number the pieces of each file
    let mut i = 0;
    while i < out.len() {
        let first = i;
        while i < out.len() && out[i].path == out[first].path && out[i].range.is_some() {
            out[i].piece = first;
            i += 1;
        }
        if i == first {
            out[i].piece = i;
            i += 1;
        }
    }
    out
}

/// Run `rules` over `files`.
pub fn hunt(rules: &RuleSet, files: &[PathBuf], opts: &Options, progress: &Arc<Progress>) -> Outcome {
    let work = plan(files, opts.split_bytes);
    let results: Vec<(Outcome, u64)> = work
        .par_iter()
        .map(|w| {
            let o = hunt_file(rules, &w.path, w.range, opts, progress);
            if w.last {
                progress.files_done.fetch_add(1, Ordering::Relaxed);
            }
            o
        })
        .collect();
    // Pieces of one file: line numbers continue from the previous piece's last line.
    let mut outcome = Outcome::default();
    let mut line_offset = 0u64;
    for (i, (mut o, lines)) in results.into_iter().enumerate() {
        if work[i].piece == i {
            line_offset = 0;
        }
        if line_offset > 0 {
            for e in &mut o.errors {
                if let Some(origin) = &mut e.origin {
                    origin.line += line_offset;
                }
            }
        }
        line_offset += lines;
        if work[i].range.is_some() && work[i].piece != i {
            o.stats.files = 0; // count a split file once
        }
        outcome.merge(o, opts.max_errors_kept);
    }
    outcome.findings.sort_by_key(|f| (f.time, f.rule));
    if let Some(max) = opts.max_signals {
        let mut per_rule = vec![0usize; rules.rules.len()];
        outcome.findings.retain(|f| {
            per_rule[f.rule] += 1;
            per_rule[f.rule] <= max
        });
        outcome.truncated =
            per_rule.iter().enumerate().filter(|(_, n)| **n > max).map(|(i, n)| (i, *n)).collect();
    }
    outcome
}

/// Hunt one file (or a byte range of it); also returns how many lines it read.
fn hunt_file(
    rules: &RuleSet,
    path: &std::path::Path,
    range: Option<(u64, u64)>,
    opts: &Options,
    progress: &Progress,
) -> (Outcome, u64) {
    let name: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
    let mut out = Outcome::default();
    let input = match range {
        None => cloudtrail::source::open_input(path),
        Some((start, end)) => open_range(path, start, end),
    };
    let input = match input {
        Ok(i) => i,
        Err(e) => {
            out.stats.files = 1;
            out.stats.file_errors = 1;
            out.error_count = 1;
            let message = cloudtrail::source::open_failure(&e);
            out.errors.push(RecordError { file: name, origin: None, message, kept: false });
            return (out, 0);
        }
    };
    out.stats.files = 1;
    let mut scanner = Scanner::new(input);
    let mut candidates = Vec::new();
    let report = |out: &mut Outcome, e: RecordError| {
        out.error_count += 1;
        if out.errors.len() < opts.max_errors_kept {
            out.errors.push(e);
        }
    };
    // The scanner's own findings (structure, truncation), reported as rejected records.
    let drain = |out: &mut Outcome, errors: Vec<cloudtrail::reader::ScanError>| {
        for e in errors {
            out.stats.read += 1;
            out.stats.rejected += 1;
            report(
                out,
                RecordError { file: name.clone(), origin: Some(e.origin), message: e.message, kept: false },
            );
        }
    };
    loop {
        drain(&mut out, scanner.take_errors());
        let Some(raw) = scanner.next_record() else { break };
        out.stats.read += 1;
        out.stats.bytes += raw.bytes.len() as u64;
        progress.bytes.fetch_add(raw.bytes.len() as u64 + 1, Ordering::Relaxed);
        progress.events.fetch_add(1, Ordering::Relaxed);
        // Fast path: a raw CloudTrail record's candidates, from its skimmed discriminators and
        // the rules' literal prefilters, without parsing it.
        let pre = opts.fast_path && precandidates(rules, &raw, &mut candidates);
        if pre && candidates.is_empty() {
            // Still a record: make sure it is valid JSON, so bad input is reported.
            match serde_json::from_slice::<IgnoredAny>(raw.bytes) {
                Ok(_) => {
                    out.skipped_by_index += 1;
                    out.stats.normalized += 1;
                }
                Err(e) => {
                    out.stats.rejected += 1;
                    report(
                        &mut out,
                        RecordError {
                            file: name.clone(),
                            origin: Some(raw.origin.clone()),
                            message: format!("invalid JSON: {e}"),
                            kept: false,
                        },
                    );
                }
            }
            continue;
        }
        let Classified { doc, kind, pipeline_error, .. } =
            match classify(raw.bytes, raw.container, &opts.normalize) {
                Ok(c) => c,
                Err(message) => {
                    out.stats.rejected += 1;
                    report(
                        &mut out,
                        RecordError { file: name.clone(), origin: Some(raw.origin), message, kept: false },
                    );
                    continue;
                }
            };
        match kind {
            cloudtrail::Kind::CloudTrail => out.stats.normalized += 1,
            cloudtrail::Kind::Ecs => out.stats.passed_through += 1,
        }
        if let Some(message) = pipeline_error {
            out.stats.pipeline_errors += 1;
            report(
                &mut out,
                RecordError { file: name.clone(), origin: Some(raw.origin.clone()), message, kept: true },
            );
        }
        let time = ecs::doc::first_str(&doc, "@timestamp").and_then(parse_date).map(|d| d.lo);
        if opts.from.is_some_and(|f| time.is_none_or(|t| t < f))
            || opts.to.is_some_and(|to| time.is_none_or(|t| t > to))
        {
            out.outside_time += 1;
            continue;
        }
        if !pre {
            let provider = single_str(&doc, "event.provider");
            let action = single_str(&doc, "event.action");
            rules.index.candidates(provider.as_deref(), action.as_deref(), &mut candidates);
        }
        if candidates.is_empty() {
            continue;
        }
        out.evaluated += 1;
        for &i in &candidates {
            let rule = &rules.rules[i];
            if rule.matcher.matches(&doc) {
                if rule.exceptions.excepts(&doc, &rules.value_lists, opts.exceptions_now) {
                    out.excepted += 1;
                    continue;
                }
                progress.alerts.fetch_add(1, Ordering::Relaxed);
                let event_id = crate::alert::event_id(&doc);
                out.findings.push(Finding {
                    rule: i,
                    time,
                    uuid: crate::alert::alert_uuid(
                        crate::alert::SOURCE_INDEX,
                        &event_id,
                        &rule.saved_object_id,
                    ),
                    severity: crate::alert::severity_and_risk(rule, &doc).0,
                    event: doc.clone(),
                });
            }
        }
    }
    // what the last call found (a file ending inside a record)
    drain(&mut out, scanner.take_errors());
    if let Some(e) = scanner.io_error.take() {
        out.stats.file_errors += 1;
        let message = cloudtrail::source::read_failure(&e);
        report(&mut out, RecordError { file: name.clone(), origin: None, message, kept: false });
    }
    let lines = scanner.lines_read();
    (out, lines)
}

/// For a raw CloudTrail record without escapes: fill `out` with the rules that may match it
/// (dispatch index, then literal prefilters) and return true. False when the record must be
/// normalized to know (ECS documents, CloudWatch payloads, records with escapes).
fn precandidates(rules: &RuleSet, raw: &RawRef<'_>, out: &mut Vec<usize>) -> bool {
    if raw.container == Container::LogEvents || crate::prefilter::has_escapes(raw.bytes) {
        return false;
    }
    let Some(s) = cloudtrail::skim::skim(raw.bytes) else { return false };
    if !s.is_cloudtrail {
        return false;
    }
    // The normalizer drops empty values: such a field is missing, looked up as "".
    let key = |v: Option<&str>| match v {
        None | Some("" | "-" | "none") => String::new(),
        Some(x) => x.to_string(),
    };
    rules.index.candidates(Some(&key(s.source.as_deref())), Some(&key(s.name.as_deref())), out);
    out.retain(|&i| rules.rules[i].prefilter.as_ref().is_none_or(|p| p.may_match(raw.bytes)));
    true
}

/// The key to look the field up by: its value when it has exactly one; `""` when it has none
/// (no rule that implies a value can match); `None` when it has several (every rule filed under
/// that discriminator is then a candidate).
fn single_str(doc: &Value, field: &str) -> Option<String> {
    let mut v = ecs::matcher::field_strings(doc, field);
    match v.len() {
        0 => Some(String::new()),
        1 => v.pop(),
        _ => None,
    }
}

/// A byte range of a file, as a reader.
fn open_range(
    path: &std::path::Path,
    start: u64,
    end: u64,
) -> std::io::Result<Box<dyn std::io::Read + Send>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    f.seek(SeekFrom::Start(start))?;
    Ok(Box::new(std::io::BufReader::with_capacity(256 << 10, f.take(end - start))))
}
