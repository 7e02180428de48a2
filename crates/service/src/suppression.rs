//! Alert suppression for query rules (elastic-semantics.md §5.7).
//!
//! Matching events are grouped by the values of `group_by` (a multi-valued field puts an event in
//! one group per value). Each group gives one alert, built from its earliest event, carrying
//! `kibana.alert.suppression.{terms, start, end, docs_count}` and `kibana.alert.instance.id`.
//! - per rule execution (no `duration`): a group already alerted on is remembered with its end;
//!   later executions skip its events up to that time;
//! - with `duration`: an open alert of the same instance started within the duration is updated
//!   instead (end moves forward, docs_count grows by the new events);
//! - `missing_fields_strategy`: `suppress` groups events lacking a field under a null value;
//!   `doNotSuppress` alerts them one by one.

use engine::alert::{build_alert, RunContext, SOURCE_INDEX, SPACE};
use engine::CompiledRule;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use store::{Millis, Store};

/// A rule's suppression settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Suppression {
    pub group_by: Vec<String>,
    pub duration: Option<Millis>,
    pub suppress_missing: bool,
}

impl Suppression {
    pub fn of(rule: &rules::Rule) -> Option<Suppression> {
        let s = rule.params.get("alert_suppression")?;
        let group_by: Vec<String> =
            s.get("group_by")?.as_array()?.iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
        if group_by.is_empty() {
            return None;
        }
        let duration = s.get("duration").and_then(|d| {
            let v = d.get("value")?.as_i64()?;
            let unit = d.get("unit")?.as_str()?;
            ecs::time::parse_duration(&format!("{v}{unit}"))
        });
        let suppress_missing =
            s.get("missing_fields_strategy").and_then(Value::as_str) != Some("doNotSuppress");
        Some(Suppression { group_by, duration, suppress_missing })
    }
}

/// What suppression decided for one execution.
#[derive(Debug, Default)]
pub struct Outcome {
    pub new_alerts: Vec<Value>,
    /// Existing alerts whose suppression grew: (uuid, new document).
    pub updates: Vec<(String, Value)>,
    /// The rule's memory after this execution.
    pub memory: Value,
    pub capped: bool,
}

fn sha(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    engine::alert::hex(&h.finalize())
}

/// Every combination of the group-by fields' values (None for a missing field).
fn keys(doc: &Value, fields: &[String]) -> Vec<Vec<Option<String>>> {
    let mut out: Vec<Vec<Option<String>>> = vec![Vec::new()];
    for f in fields {
        let values = ecs::matcher::field_strings(doc, f);
        let values: Vec<Option<String>> =
            if values.is_empty() { vec![None] } else { values.into_iter().map(Some).collect() };
        out = out
            .into_iter()
            .flat_map(|k| values.iter().map(move |v| [k.clone(), vec![v.clone()]].concat()))
            .collect();
    }
    out
}

/// Group the execution's matching events (`(time, doc)`, oldest first) into suppressed alerts.
#[allow(clippy::too_many_arguments)]
pub fn suppress(
    s: &Suppression,
    rule: &CompiledRule,
    matches: &[(Millis, Value)],
    window_from: Millis,
    now: Millis,
    ctx: &RunContext,
    store: &Store,
    max_signals: usize,
) -> Result<(Outcome, Vec<Value>), store::Error> {
    let rule_id = rule.rule.rule_id();
    let mut memory = store.rule_memory(&rule_id)?;
    let mut history: BTreeMap<String, i64> = memory
        .get("suppression_history")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_i64()?))).collect())
        .unwrap_or_default();
    history.retain(|_, end| *end >= window_from); // entries older than the window are dropped
    let mut groups: BTreeMap<Vec<Option<String>>, Vec<(Millis, &Value)>> = BTreeMap::new();
    let mut unsuppressed: Vec<&Value> = Vec::new();
    for (t, doc) in matches {
        for key in keys(doc, &s.group_by) {
            if key.iter().any(Option::is_none) && !s.suppress_missing {
                unsuppressed.push(doc);
                break;
            }
            groups.entry(key).or_default().push((*t, doc));
        }
    }
    let mut out = Outcome::default();
    let mut created = 0usize;
    for (key, mut events) in groups {
        let terms: Vec<Value> =
            s.group_by.iter().zip(&key).map(|(f, v)| json!({"field": f, "value": v})).collect();
        let terms_text = serde_json::to_string(&terms).unwrap_or_default();
        let instance = sha(&[&terms_text, &rule_id, SPACE]);
        if s.duration.is_none() {
            if let Some(end) = history.get(&instance) {
                events.retain(|(t, _)| t > end);
            }
        }
        if events.is_empty() {
            continue;
        }
        let (start, end) = (events[0].0, events.last().map_or(events[0].0, |e| e.0));
        if let Some(d) = s.duration {
            if let Some((uuid, mut doc)) = store.open_suppressed(&instance, now - d)? {
                let old_end = doc["kibana.alert.suppression.end"]
                    .as_str()
                    .and_then(ecs::time::parse_date)
                    .map_or(0, |x| x.lo);
                let fresh: Vec<_> = events.iter().filter(|(t, _)| *t > old_end).collect();
                if !fresh.is_empty() {
                    let count =
                        doc["kibana.alert.suppression.docs_count"].as_i64().unwrap_or(0) + fresh.len() as i64;
                    doc["kibana.alert.suppression.docs_count"] = json!(count);
                    doc["kibana.alert.suppression.end"] = json!(ecs::time::format_millis(end.max(old_end)));
                    doc["kibana.alert.last_detected"] = json!(ctx.now);
                    out.updates.push((uuid, doc));
                }
                continue;
            }
        }
        if created == max_signals {
            out.capped = true;
            break;
        }
        let (_, first) = events[0];
        let mut alert = build_alert(rule, first, ctx);
        let id = engine::alert::event_id(first);
        let uuid = sha(&[
            SOURCE_INDEX,
            &id,
            "undefined",
            &format!("{SPACE}:{}", rule.saved_object_id),
            &terms_text,
            &start.to_string(),
            &end.to_string(),
        ]);
        alert["kibana.alert.uuid"] = json!(uuid);
        alert["kibana.alert.instance.id"] = json!(instance);
        alert["kibana.alert.suppression.terms"] = Value::Array(terms);
        alert["kibana.alert.suppression.start"] = json!(ecs::time::format_millis(start));
        alert["kibana.alert.suppression.end"] = json!(ecs::time::format_millis(end));
        alert["kibana.alert.suppression.docs_count"] = json!(events.len() as i64 - 1);
        history.insert(instance, end);
        created += 1;
        out.new_alerts.push(alert);
    }
    memory = json!({"suppression_history": history});
    out.memory = memory;
    // events that are not suppressed are alerted one by one, within what is left of the cap
    let rest: Vec<Value> = unsuppressed
        .into_iter()
        .take(max_signals.saturating_sub(created))
        .map(|d| build_alert(rule, d, ctx))
        .collect();
    Ok((out, rest))
}
