//! Alert documents shaped like the ones Kibana writes (elastic-semantics.md §5.6).
//!
//! `kibana.*` fields are written as flat dotted keys, as Kibana indexes them; the source event's
//! ECS fields are kept as they were (minus `event.kind`, which becomes `signal`, with the source
//! `event.*` copied under `kibana.alert.original_event.*`).

use crate::CompiledRule;
use ecs::doc::first_str;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The Kibana space alerts are written to.
pub const SPACE: &str = "default";
/// The index a normalized CloudTrail event lives in (`_index` of the alert's ancestor).
pub const SOURCE_INDEX: &str = "logs-aws.cloudtrail-default";
/// The stack version alerts claim to be written by.
pub const KIBANA_VERSION: &str = "8.17.4";

/// The stable id of a source event: CloudTrail's eventID, else a hash of the document.
pub fn event_id(doc: &Value) -> String {
    match first_str(doc, "event.id") {
        Some(id) => id.to_string(),
        None => hex(&Sha256::digest(serde_json::to_vec(doc).unwrap_or_default())),
    }
}

/// Lower-case hex, as Kibana's digests are written.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `kibana.alert.uuid` as Kibana computes it for query rules:
/// `sha256(index + id + String(version) + space + ":" + rule saved-object id)`. The query-rule
/// search does not request versions, so `String(undefined)` is hashed.
pub fn alert_uuid(index: &str, id: &str, rule_saved_object_id: &str) -> String {
    let mut h = Sha256::new();
    h.update(index.as_bytes());
    h.update(id.as_bytes());
    h.update(b"undefined");
    h.update(SPACE.as_bytes());
    h.update(b":");
    h.update(rule_saved_object_id.as_bytes());
    hex(&h.finalize())
}

/// Kibana's `kibana.alert.reason` wording (`utils/reason_formatters.ts`).
pub fn reason(doc: &Value, severity: &str, rule_name: &str) -> String {
    let get = |f: &str| -> Option<String> {
        let v = ecs::matcher::field_strings(doc, f);
        (!v.is_empty()).then(|| v.join(", "))
    };
    let mut s = String::new();
    if let Some(c) = get("event.category") {
        s.push_str(&c);
        s.push(' ');
    }
    s.push_str("event");
    let process = get("process.name");
    let parent = get("process.parent.name");
    let file = get("file.name");
    let (src, src_port) = (get("source.ip"), get("source.port"));
    let (dst, dst_port) = (get("destination.ip"), get("destination.port"));
    if process.is_some() || parent.is_some() || file.is_some() || src.is_some() || dst.is_some() {
        s.push_str(" with");
    }
    if let Some(p) = process {
        s.push_str(&format!(" process {p},"));
    }
    if let Some(p) = parent {
        s.push_str(&format!(" parent process {p},"));
    }
    if let Some(f) = file {
        s.push_str(&format!(" file {f},"));
    }
    if let Some(ip) = src {
        s.push_str(&format!(" source {ip}"));
        if let Some(p) = src_port {
            s.push_str(&format!(":{p},"));
        }
    }
    if let Some(ip) = dst {
        s.push_str(&format!(" destination {ip}"));
        if let Some(p) = dst_port {
            s.push_str(&format!(":{p},"));
        }
    }
    if let Some(u) = get("user.name") {
        s.push_str(&format!(" by {u}"));
    }
    if let Some(h) = get("host.name") {
        s.push_str(&format!(" on {h}"));
    }
    s.push_str(&format!(" created {severity} alert {rule_name}."));
    s
}

/// Everything that varies per run rather than per alert.
#[derive(Debug, Clone)]
pub struct RunContext {
    /// Alert creation time (`@timestamp`, `kibana.alert.start`), formatted.
    pub now: String,
    pub execution_uuid: String,
    /// `scheduled` (the service) or `manual` (hunt).
    pub execution_type: &'static str,
}

/// Severity and risk score after the rule's mappings (`severity_mapping`, `risk_score_mapping`).
pub fn severity_and_risk(rule: &CompiledRule, doc: &Value) -> (String, i64) {
    let r = &rule.rule;
    let mut severity = r.severity().map(|s| s.as_str().to_string()).unwrap_or_else(|| "low".into());
    let mut risk = r.risk_score().unwrap_or(0);
    if let Some(Value::Array(maps)) = r.params.get("severity_mapping") {
        for m in maps {
            let (Some(f), Some(v), Some(sev)) = (
                m.get("field").and_then(Value::as_str),
                m.get("value").and_then(Value::as_str),
                m.get("severity").and_then(Value::as_str),
            ) else {
                continue;
            };
            if ecs::matcher::field_strings(doc, f).iter().any(|x| x == v) {
                severity = sev.to_string();
                break;
            }
        }
    }
    if let Some(Value::Array(maps)) = r.params.get("risk_score_mapping") {
        for m in maps {
            if let Some(f) = m.get("field").and_then(Value::as_str) {
                if let Some(n) =
                    ecs::matcher::field_strings(doc, f).first().and_then(|s| s.parse::<f64>().ok())
                {
                    if (0.0..=100.0).contains(&n) {
                        risk = n.round() as i64;
                        break;
                    }
                }
            }
        }
    }
    (severity, risk)
}

/// ECS `threat.*` of the rule's MITRE mapping.
fn ecs_threat(rule: &CompiledRule) -> Option<Value> {
    let tactics = rule.rule.threat();
    if tactics.is_empty() {
        return None;
    }
    let pick = |f: &dyn Fn(&rules::model::Tactic) -> Vec<String>| -> Vec<String> {
        tactics.iter().flat_map(f).collect()
    };
    let tech = |f: &dyn Fn(&rules::model::Technique) -> Vec<String>| -> Vec<String> {
        tactics.iter().flat_map(|t| t.techniques.iter().flat_map(f)).collect()
    };
    Some(json!({
        "framework": "MITRE ATT&CK",
        "tactic": {
            "id": pick(&|t| vec![t.id.clone()]),
            "name": pick(&|t| vec![t.name.clone()]),
            "reference": pick(&|t| vec![format!("https://attack.mitre.org/tactics/{}/", t.id)]),
        },
        "technique": {
            "id": tech(&|t| vec![t.id.clone()]),
            "name": tech(&|t| vec![t.name.clone()]),
            "reference": tech(&|t| vec![format!("https://attack.mitre.org/techniques/{}/", t.id)]),
            "subtechnique": {
                "id": tech(&|t| t.subtechniques.iter().map(|s| s.0.clone()).collect()),
                "name": tech(&|t| t.subtechniques.iter().map(|s| s.1.clone()).collect()),
                "reference": tech(&|t| t.subtechniques.iter().map(|s| format!("https://attack.mitre.org/techniques/{}/", s.0.replace('.', "/"))).collect()),
            }
        }
    }))
}

/// Build the alert document for a source event matched by a rule.
pub fn build_alert(rule: &CompiledRule, doc: &Value, ctx: &RunContext) -> Value {
    let r = &rule.rule;
    let id = event_id(doc);
    let uuid = alert_uuid(SOURCE_INDEX, &id, &rule.saved_object_id);
    let (severity, risk) = severity_and_risk(rule, doc);
    let name = match r.str("rule_name_override").map(|f| ecs::matcher::field_strings(doc, f)) {
        Some(v) if !v.is_empty() => v[0].clone(),
        _ => r.name().to_string(),
    };
    let mut out: Map<String, Value> = match doc {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    // event.* of the source goes to kibana.alert.original_event.*; event.kind becomes "signal"
    let mut original_event = Map::new();
    if let Some(Value::Object(ev)) = out.get("event") {
        original_event = ev.clone();
    }
    for (k, v) in out.iter().filter(|(k, _)| k.starts_with("event.")) {
        original_event.insert(k["event.".len()..].to_string(), v.clone());
    }
    out.shift_remove("event.kind");
    if let Some(Value::Object(ev)) = out.get_mut("event") {
        ev.insert("kind".into(), json!("signal"));
    } else {
        out.insert("event".into(), json!({"kind": "signal"}));
    }
    let original_time = first_str(doc, "@timestamp").map(str::to_string);
    out.insert("@timestamp".into(), json!(ctx.now));
    if let Some(threat) = ecs_threat(rule) {
        out.insert("threat".into(), threat);
    }
    let mut k = |key: &str, v: Value| {
        out.insert(key.to_string(), v);
    };
    k("kibana.space_ids", json!([SPACE]));
    k("kibana.version", json!(KIBANA_VERSION));
    k("kibana.alert.uuid", json!(uuid));
    k("kibana.alert.status", json!("active"));
    k("kibana.alert.workflow_status", json!("open"));
    k("kibana.alert.workflow_tags", json!([]));
    k("kibana.alert.workflow_assignee_ids", json!([]));
    k("kibana.alert.start", json!(ctx.now));
    k("kibana.alert.last_detected", json!(ctx.now));
    k("kibana.alert.intended_timestamp", json!(ctx.now));
    if let Some(t) = &original_time {
        k("kibana.alert.original_time", json!(t));
    }
    k("kibana.alert.reason", json!(reason(doc, &severity, &name)));
    k("kibana.alert.severity", json!(severity));
    k("kibana.alert.risk_score", json!(risk));
    k("kibana.alert.depth", json!(1));
    k("kibana.alert.ancestors", json!([{"id": id, "index": SOURCE_INDEX, "type": "event", "depth": 0}]));
    k("kibana.alert.original_event", Value::Object(original_event));
    k("kibana.alert.rule.execution.type", json!(ctx.execution_type));
    k("kibana.alert.rule.execution.uuid", json!(ctx.execution_uuid));
    k("kibana.alert.rule.execution.timestamp", json!(ctx.now));
    if let Some(bb) = r.str("building_block_type") {
        k("kibana.alert.building_block_type", json!(bb));
        k("kibana.alert.rule.building_block_type", json!(bb));
    }
    // The rule snapshot
    let p = &r.params;
    let param = |key: &str, default: Value| p.get(key).cloned().unwrap_or(default);
    k("kibana.alert.rule.uuid", json!(rule.saved_object_id));
    k("kibana.alert.rule.rule_id", json!(r.rule_id()));
    k("kibana.alert.rule.name", json!(name));
    k("kibana.alert.rule.description", json!(r.description()));
    k("kibana.alert.rule.author", param("author", json!([])));
    k("kibana.alert.rule.tags", param("tags", json!([])));
    k("kibana.alert.rule.type", json!(r.type_name()));
    k("kibana.alert.rule.rule_type_id", json!(format!("siem.{}Rule", camel(r.type_name()))));
    k("kibana.alert.rule.consumer", json!("siem"));
    k("kibana.alert.rule.producer", json!("siem"));
    k("kibana.alert.rule.category", json!(category(r.type_name())));
    k("kibana.alert.rule.version", param("version", json!(1)));
    k("kibana.alert.rule.revision", param("revision", json!(0)));
    k("kibana.alert.rule.from", json!(r.from()));
    k("kibana.alert.rule.to", json!(r.to()));
    k("kibana.alert.rule.interval", json!(r.interval()));
    k("kibana.alert.rule.max_signals", json!(r.max_signals()));
    k("kibana.alert.rule.references", param("references", json!([])));
    k("kibana.alert.rule.false_positives", param("false_positives", json!([])));
    k("kibana.alert.rule.license", param("license", json!("")));
    k("kibana.alert.rule.threat", param("threat", json!([])));
    k("kibana.alert.rule.exceptions_list", param("exceptions_list", json!([])));
    k("kibana.alert.rule.immutable", param("immutable", json!(false)));
    k("kibana.alert.rule.risk_score", json!(risk));
    k("kibana.alert.rule.severity", json!(severity));
    k("kibana.alert.rule.enabled", param("enabled", json!(true)));
    k("kibana.alert.rule.indices", param("index", json!([])));
    k("kibana.alert.rule.actions", json!([]));
    if let Some(n) = r.note() {
        k("kibana.alert.rule.note", json!(n));
    }
    if let Some(t) = r.timestamp_override() {
        k("kibana.alert.rule.timestamp_override", json!(t));
    }
    let mut params = p.clone();
    params.entry("from").or_insert(json!(r.from()));
    params.entry("to").or_insert(json!(r.to()));
    params.entry("max_signals").or_insert(json!(r.max_signals()));
    k("kibana.alert.rule.parameters", Value::Object(params));
    Value::Object(out)
}

fn camel(t: &str) -> String {
    let mut s = String::new();
    let mut up = false;
    for c in t.chars() {
        if c == '_' {
            up = true;
        } else if up {
            s.extend(c.to_uppercase());
            up = false;
        } else {
            s.push(c);
        }
    }
    s
}

fn category(t: &str) -> &'static str {
    match t {
        "query" => "Custom Query Rule",
        "eql" => "Event Correlation Rule",
        "esql" => "ES|QL Rule",
        "threshold" => "Threshold Rule",
        "new_terms" => "New Terms Rule",
        "machine_learning" => "Machine Learning Rule",
        "threat_match" => "Indicator Match Rule",
        "saved_query" => "Saved Query Rule",
        _ => "Rule",
    }
}
