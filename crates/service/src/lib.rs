//! The scheduled detection service (`trailhound run`): follow a directory CloudTrail files land
//! in, keep the events of the look-back horizon in the store, and run each rule on its own
//! schedule with Kibana's semantics (see `engine::schedule`).
//!
//! Time is a parameter everywhere (`step(now)`), so schedules are tested without waiting; the
//! binary passes the wall clock, or `--now` for a single step.
//!
//! One step at time `now`:
//! 1. ingest every source file not read before (each file's events and its "read" mark are one
//!    transaction; `event.ingested` is `now`);
//! 2. for each rule whose interval has elapsed since its last start: plan the windows (catch-up,
//!    gap), search the store by the rule's primary time (`timestamp_override` with the
//!    `@timestamp` fallback), drop excepted events, drop alerts that exist already (before the
//!    cap, as Kibana), keep at most `max_signals` per window (the earliest) with Kibana's warning,
//!    and record alerts, history and checkpoint in one transaction;
//! 3. notify the new alerts (webhook), then prune events older than every rule's horizon.

use engine::alert::{build_alert, RunContext};
use engine::schedule::{gap_message, Schedule, MAX_CATCHUP};
use engine::{CompiledRule, RuleSet};
use serde_json::Value;
use std::path::{Path, PathBuf};
use store::{Execution, Millis, Store, StoredEvent};

pub mod suppression;
pub mod webhook;

/// Kibana's warning when an execution reaches `max_signals`.
pub const MAX_SIGNALS_WARNING: &str =
    "This rule reached the maximum alert limit for the rule execution. Some alerts were not created.";

/// What a step did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct StepReport {
    pub files_read: usize,
    pub events_added: usize,
    pub input_errors: Vec<String>,
    pub executions: Vec<Execution>,
    /// New alert documents, in creation order.
    pub new_alerts: Vec<Value>,
}

pub struct Service {
    pub rules: RuleSet,
    schedules: Vec<Schedule>,
    pub store: Store,
    source: PathBuf,
    normalize: cloudtrail::Options,
    pub webhook: Option<webhook::Webhook>,
    /// Rules whose schedule is invalid (reported, not run).
    pub bad_schedules: Vec<String>,
    /// Files found cut mid-record, by size: read again while they change (still being written).
    incomplete: std::collections::HashMap<String, u64>,
}

impl Service {
    pub fn new(rules: RuleSet, source: &Path, store: Store, normalize: cloudtrail::Options) -> Service {
        let mut schedules = Vec::new();
        let mut bad = Vec::new();
        let mut kept = Vec::new();
        for r in rules.rules {
            match Schedule::new(r.rule.interval(), r.rule.from(), r.rule.to()) {
                Ok(s) => {
                    schedules.push(s);
                    kept.push(r);
                }
                Err(e) => bad.push(format!("{}: {}", r.rule.name(), e.0)),
            }
        }
        let rules = RuleSet { rules: kept, ..rules };
        Service {
            rules,
            schedules,
            store,
            source: source.to_path_buf(),
            normalize,
            webhook: None,
            bad_schedules: bad,
            incomplete: Default::default(),
        }
    }

    /// One step of the service at time `now`.
    pub fn step(&mut self, now: Millis) -> Result<StepReport, store::Error> {
        let mut report = StepReport::default();
        self.ingest(now, &mut report)?;
        for i in 0..self.rules.rules.len() {
            let last = self.store.last_started(&self.rules.rules[i].rule.rule_id())?;
            if last.is_some_and(|l| now < self.schedules[i].next_run(l)) {
                continue;
            }
            let (exec, alerts, updates, memory) = self.execute(i, now, last)?;
            let new = self.store.record_execution_with(&exec, &alerts, &updates, memory.as_ref())?;
            let new_docs: Vec<Value> = alerts
                .into_iter()
                .filter(|a| new.iter().any(|u| a["kibana.alert.uuid"].as_str() == Some(u)))
                .collect();
            if let Some(w) = &mut self.webhook {
                if !self.rules.rules[i].rule.is_building_block() {
                    w.notify(&self.rules.rules[i].rule.rule_id(), &new_docs, now);
                }
            }
            report.new_alerts.extend(new_docs);
            report.executions.push(Execution { alerts: new.len() as i64, ..exec });
        }
        self.store.prune_events(now - self.horizon())?;
        Ok(report)
    }

    /// How far back any execution can search: the widest window plus its catch-up.
    fn horizon(&self) -> Millis {
        self.schedules
            .iter()
            .map(|s| {
                let p = s.plan(0, None);
                (p.windows[0].to - p.windows[0].from) + (MAX_CATCHUP + 1) * s.interval
            })
            .max()
            .unwrap_or(0)
    }

    fn ingest(&mut self, now: Millis, report: &mut StepReport) -> Result<(), store::Error> {
        let (files, errs) = cloudtrail::source::files_under(&self.source);
        report.input_errors.extend(errs);
        let opts = cloudtrail::Options {
            ingested: Some(ecs::time::format_millis(now)),
            created: Some(ecs::time::format_millis(now)),
            ..self.normalize.clone()
        };
        for f in files {
            let size = std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
            let name = f.display().to_string();
            if self.store.file_seen(&name, size)? {
                continue;
            }
            let mut events = Vec::new();
            let mut errors = 0u64;
            cloudtrail::read_file(&f, &opts, &mut |r| match r {
                Ok(e) => {
                    let ts = ecs::doc::first_str(&e.doc, "@timestamp")
                        .and_then(ecs::time::parse_date)
                        .map(|d| d.lo);
                    let ing = ecs::doc::first_str(&e.doc, "event.ingested")
                        .and_then(ecs::time::parse_date)
                        .map(|d| d.lo);
                    events.push(StoredEvent {
                        key: engine::alert::event_id(&e.doc),
                        timestamp: ts,
                        ingested: ing,
                        doc: e.doc,
                    });
                }
                Err(e) if e.kept => {}
                Err(e) => {
                    errors += 1;
                    report.input_errors.push(e.to_string());
                }
            });
            // A file cut mid-record may still be being written: read it again next step, unless its
            // size has not changed since the last attempt (then it is what it is: take its records).
            let truncated =
                report.input_errors.iter().rev().take(errors as usize).any(|e| e.contains("truncated"));
            if truncated && self.incomplete.insert(name.clone(), size) != Some(size) {
                continue;
            }
            self.incomplete.remove(&name);
            report.events_added += self.store.ingest_file(&name, size, now, &events, errors)?;
            report.files_read += 1;
        }
        Ok(())
    }

    /// Run rule `i` at `now`: the execution record, its new alerts, updates of suppressed alerts,
    /// and the rule's memory (suppression history).
    #[allow(clippy::type_complexity)]
    fn execute(
        &self,
        i: usize,
        now: Millis,
        last: Option<Millis>,
    ) -> Result<(Execution, Vec<Value>, Vec<(String, Value)>, Option<Value>), store::Error> {
        let started = std::time::Instant::now();
        let rule: &CompiledRule = &self.rules.rules[i];
        let plan = self.schedules[i].plan(now, last);
        let ovr = rule.rule.timestamp_override();
        let by_ingested = ovr == Some("event.ingested");
        let fallback_disabled =
            rule.rule.params.get("timestamp_override_fallback_disabled").and_then(Value::as_bool)
                == Some(true);
        let ctx = RunContext {
            now: ecs::time::format_millis(now),
            execution_uuid: engine::alert::alert_uuid("execution", &now.to_string(), &rule.saved_object_id)
                [..32]
                .to_string(),
            execution_type: "scheduled",
        };
        let max = rule.rule.max_signals() as usize;
        let mut warnings = Vec::new();
        let mut alerts: Vec<Value> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut scanned = 0i64;
        let suppression = suppression::Suppression::of(&rule.rule);
        let mut suppressed_matches: Vec<(Millis, Value)> = Vec::new();
        let mut seen_events = std::collections::HashSet::new();
        let want = store::Discriminators {
            actions: engine::dispatch::implied_values(&rule.tree, "event.action")
                .map(|s| s.into_iter().collect()),
            providers: engine::dispatch::implied_values(&rule.tree, "event.provider")
                .map(|s| s.into_iter().collect()),
        };
        let mut failure: Option<store::Error> = None;
        for w in &plan.windows {
            let mut created = 0usize;
            let mut visit = |key: &str, text: &str| -> bool {
                // the literal prefilter works on the stored text as on raw records
                if let Some(p) = &rule.prefilter {
                    if !engine::prefilter::has_escapes(text.as_bytes()) && !p.may_match(text.as_bytes()) {
                        return true;
                    }
                }
                let Ok(doc) = serde_json::from_str::<Value>(text) else { return true };
                if !rule.matcher.matches(&doc) || rule.exceptions.excepts(&doc, &self.rules.value_lists, now)
                {
                    return true;
                }
                if suppression.is_some() {
                    if seen_events.insert(key.to_string()) {
                        let t = engine::schedule::event_time(&doc, ovr, fallback_disabled).unwrap_or(now);
                        suppressed_matches.push((t, doc));
                    }
                    return true;
                }
                let alert = build_alert(rule, &doc, &ctx);
                let uuid = alert["kibana.alert.uuid"].as_str().unwrap_or_default().to_string();
                // existing alerts are dropped before the cap, so re-seen events do not use it up
                let exists = match self.store.alert_exists(&uuid) {
                    Ok(e) => e,
                    Err(e) => {
                        failure = Some(e);
                        return false;
                    }
                };
                if seen.contains(&uuid) || exists {
                    return true;
                }
                if created == max {
                    if !warnings.iter().any(|w| w == MAX_SIGNALS_WARNING) {
                        warnings.push(MAX_SIGNALS_WARNING.to_string());
                    }
                    return false;
                }
                seen.insert(uuid);
                created += 1;
                alerts.push(alert);
                true
            };
            scanned +=
                self.store.scan_events(w.from, w.to, by_ingested, fallback_disabled, &want, &mut visit)?
                    as i64;
            if let Some(e) = failure.take() {
                return Err(e);
            }
        }
        let mut updates = Vec::new();
        let mut memory = None;
        if let Some(s) = &suppression {
            suppressed_matches.sort_by_key(|(t, _)| *t);
            let from = plan.windows.first().map_or(now, |w| w.from);
            let (out, rest) =
                suppression::suppress(s, rule, &suppressed_matches, from, now, &ctx, &self.store, max)?;
            if out.capped {
                warnings.push(MAX_SIGNALS_WARNING.to_string());
            }
            alerts.extend(out.new_alerts);
            for a in rest {
                let uuid = a["kibana.alert.uuid"].as_str().unwrap_or_default().to_string();
                if !self.store.alert_exists(&uuid)? {
                    alerts.push(a);
                }
            }
            updates = out.updates;
            memory = Some(out.memory);
        }
        let gap = plan.gap.map(|g| (g.from, g.to));
        let status = if gap.is_some() {
            warnings.push(gap_message(plan.gap.as_ref().unwrap()));
            "failed"
        } else if warnings.is_empty() {
            "succeeded"
        } else {
            "partial failure"
        };
        let exec = Execution {
            rule_id: rule.rule.rule_id(),
            started: now,
            duration_ms: started.elapsed().as_millis() as i64,
            events_scanned: scanned,
            alerts: alerts.len() as i64,
            status: status.into(),
            warnings,
            gap,
        };
        Ok((exec, alerts, updates, memory))
    }
}
