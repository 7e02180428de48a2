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
}

/// Live counters for a progress display.
#[derive(Debug, Default)]
pub struct Progress {
    pub files_done: AtomicU64,
    pub bytes: AtomicU64,
    pub events: AtomicU64,
    pub alerts: AtomicU64,
}

/// One alert with what it is sorted and filtered by.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: usize,
    pub time: Option<Millis>,
    pub alert: Value,
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
        self.error_count += o.error_count;
        let room = keep.saturating_sub(self.errors.len());
        self.errors.extend(o.errors.into_iter().take(room));
    }
}

/// Run `rules` over `files`.
pub fn hunt(rules: &RuleSet, files: &[PathBuf], opts: &Options, progress: &Arc<Progress>) -> Outcome {
    let mut outcome = files
        .par_iter()
        .map(|f| {
            let o = hunt_file(rules, f, opts, progress);
            progress.files_done.fetch_add(1, Ordering::Relaxed);
            o
        })
        .reduce(Outcome::default, |mut a, b| {
            a.merge(b, opts.max_errors_kept);
            a
        });
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

fn hunt_file(rules: &RuleSet, path: &std::path::Path, opts: &Options, progress: &Progress) -> Outcome {
    let name: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
    let mut out = Outcome::default();
    let input = if path.as_os_str() == "-" {
        cloudtrail::reader::maybe_gzip(Box::new(std::io::BufReader::new(std::io::stdin())))
    } else {
        cloudtrail::reader::open_maybe_gzip(path)
    };
    let input = match input {
        Ok(i) => i,
        Err(e) => {
            out.stats.files = 1;
            out.stats.file_errors = 1;
            out.error_count = 1;
            let message = if e.kind() == std::io::ErrorKind::InvalidData {
                e.to_string()
            } else {
                format!("cannot open: {e}")
            };
            out.errors.push(RecordError { file: name, origin: None, message, kept: false });
            return out;
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
    loop {
        for e in scanner.take_errors() {
            out.stats.read += 1;
            out.stats.rejected += 1;
            report(
                &mut out,
                RecordError { file: name.clone(), origin: Some(e.origin), message: e.message, kept: false },
            );
        }
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
                progress.alerts.fetch_add(1, Ordering::Relaxed);
                out.findings.push(crate::hunt::Finding {
                    rule: i,
                    time,
                    alert: build_alert(rule, &doc, &opts.context),
                });
            }
        }
    }
    if let Some(e) = scanner.io_error.take() {
        out.stats.file_errors += 1;
        report(
            &mut out,
            RecordError {
                file: name.clone(),
                origin: None,
                message: format!("truncated or unreadable input: {e}"),
                kept: false,
            },
        );
    }
    out
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
