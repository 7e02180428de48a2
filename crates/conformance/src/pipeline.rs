//! Normalization against Elastic's pipeline tests: every input record normalizes, and for each
//! expected output of the newest pipeline era, every field we emit equals the expected value and
//! every expected field we do not emit is on the documented left-out list.

use crate::Report;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Fields the integration writes that we deliberately do not (docs/cloudtrail-normalization.md).
const LEFT_OUT: &[(&str, &str)] = &[
    ("source.geo.", "GeoIP enrichment needs a MaxMind database"),
    ("source.as.", "ASN enrichment needs a MaxMind database"),
    ("user_agent.name", "user-agent parsing needs uap-core's regexes"),
    ("user_agent.version", "user-agent parsing"),
    ("user_agent.os.", "user-agent parsing"),
    ("user_agent.device.", "user-agent parsing"),
    ("actor.", "opt-in actor_target_mapping"),
    ("target.", "opt-in actor_target_mapping"),
    ("entity.", "opt-in actor_target_mapping"),
    ("related.entity", "opt-in actor_target_mapping"),
    ("user.entity.", "opt-in actor_target_mapping"),
    ("user.target.entity.", "opt-in actor_target_mapping"),
    ("host.", "opt-in actor_target_mapping"),
    ("service.entity.", "opt-in actor_target_mapping"),
    ("service.target.", "opt-in actor_target_mapping"),
    ("tags", "set by the test harness"),
];

/// Fields we add that the pipeline does not write (constant_keyword fields of the index, or
/// fields set outside the pipeline).
const ADDED: &[&str] = &["event.dataset", "event.module", "data_stream.", "event.ingested"];

/// Pipeline eras compared strictly (the others are reported but do not fail).
const STRICT_ERAS: &[&str] = &["7d5030ab", "8149d6c9"];

/// Fields whose value the actor/target mapping changes when the test harness turns it on.
const ENTITY_AFFECTED: &[&str] = &["user.id", "related.user", "related.hosts"];

fn flatten(v: &Value, prefix: &str, out: &mut BTreeMap<String, Vec<Value>>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                // flattened fields compare as whole objects
                if p.starts_with("aws.cloudtrail.flattened.") && p.matches('.').count() == 3 {
                    out.entry(p).or_default().push(child.clone());
                } else {
                    flatten(child, &p, out);
                }
            }
        }
        Value::Array(items) if items.iter().all(|i| !i.is_object()) => {
            out.entry(prefix.to_string()).or_default().extend(items.iter().cloned());
        }
        Value::Array(items) => {
            for i in items {
                flatten(i, prefix, out);
            }
        }
        other => out.entry(prefix.to_string()).or_default().push(other.clone()),
    }
}

fn starts(list: &[&str], field: &str) -> bool {
    list.iter().any(|p| field == *p || (p.ends_with('.') && field.starts_with(p)))
}

/// Objects with their keys sorted, so that comparison ignores key order.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), canonical(&m[k]))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

fn sorted(v: &[Value]) -> Vec<String> {
    let mut s: Vec<String> = v.iter().map(|x| canonical(x).to_string()).collect();
    s.sort();
    s
}

pub fn check(corpus: &Path) -> anyhow::Result<Report> {
    let dir = corpus.join("elastic-integration-cloudtrail");
    let mut lines = Vec::new();
    let mut failures = Vec::new();

    // 1. every input record normalizes
    let (mut records, mut rejected) = (0, 0);
    let opts = cloudtrail::Options {
        created: Some("2021-11-11T01:02:03.123456789Z".into()),
        ..cloudtrail::Options::default()
    };
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    inputs.sort();
    for input in &inputs {
        cloudtrail::read_file(input, &opts, &mut |r| match r {
            Ok(_) => records += 1,
            Err(e) if e.kept => {}
            Err(e) => {
                rejected += 1;
                failures.push(format!("input {e}"));
            }
        });
    }
    lines.push(format!("{} input files: {records} records normalized, {rejected} rejected", inputs.len()));

    // 2. expected outputs
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv"))?;
    let era = |name: &str| -> String {
        manifest
            .lines()
            .find(|l| l.starts_with(&format!("expected/{name}\t")))
            .and_then(|l| l.split('\t').nth(1))
            .map(|c| c.chars().take(8).collect())
            .unwrap_or_default()
    };
    let mut expected_files: Vec<_> =
        std::fs::read_dir(dir.join("expected"))?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    expected_files.sort();
    let (mut compared, mut fields_ok, mut fields_bad, mut informational) = (0, 0, 0, 0);
    let (mut strict_records, mut strict_ok) = (0, 0);
    let mut left_out: BTreeMap<&str, usize> = BTreeMap::new();
    for file in &expected_files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let strict = STRICT_ERAS.contains(&era(&name).as_str());
        let v: Value = serde_json::from_str(&std::fs::read_to_string(file)?)?;
        let entity_mapping = |e: &Value| {
            e.get("tags")
                .and_then(Value::as_array)
                .is_some_and(|t| t.iter().any(|x| x == "actor_target_mapping"))
        };
        for (i, exp) in v["expected"].as_array().into_iter().flatten().enumerate() {
            let Some(original) = exp.pointer("/event/original").and_then(Value::as_str) else { continue };
            let raw: Value = serde_json::from_str(original)?;
            let retain = exp.pointer("/aws/cloudtrail/flattened/request_parameters").is_none()
                && name.contains("minimal");
            let file_opts = cloudtrail::Options {
                retain: if retain { cloudtrail::Retain::Minimal } else { cloudtrail::Retain::All },
                ..opts.clone()
            };
            let ours = cloudtrail::normalize(original, raw, &file_opts).doc;
            compared += 1;
            if strict {
                strict_records += 1;
            }
            let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
            flatten(&ours, "", &mut a);
            flatten(exp, "", &mut b);
            let with_entities = entity_mapping(exp);
            let mut problems = Vec::new();
            for (field, ours_v) in &a {
                if starts(ADDED, field) {
                    continue;
                }
                if with_entities && ENTITY_AFFECTED.contains(&field.as_str()) {
                    continue;
                }
                match b.get(field) {
                    Some(exp_v) if sorted(exp_v) == sorted(ours_v) => {
                        fields_ok += 1;
                        if strict {
                            strict_ok += 1;
                        }
                    }
                    Some(exp_v) => problems.push(format!(
                        "{field}: ours {} != expected {}",
                        sorted(ours_v).join(","),
                        sorted(exp_v).join(",")
                    )),
                    None => problems
                        .push(format!("{field}: we emit {}, expected has none", sorted(ours_v).join(","))),
                }
            }
            for field in b.keys() {
                if a.contains_key(field) {
                    continue;
                }
                if let Some((p, _)) = LEFT_OUT.iter().find(|(p, _)| {
                    field == p
                        || (p.ends_with('.') && field.starts_with(p))
                        || field.starts_with(&format!("{p}."))
                }) {
                    *left_out.entry(p).or_default() += 1;
                } else if with_entities && ENTITY_AFFECTED.contains(&field.as_str()) {
                } else {
                    problems.push(format!("{field}: expected {}, we emit none", sorted(&b[field]).join(",")));
                }
            }
            fields_bad += problems.len();
            for p in problems {
                let msg = format!("{name} record {}: {p}", i + 1);
                if strict {
                    failures.push(msg);
                } else {
                    informational += 1;
                    lines.push(format!("(older pipeline era, not enforced) {msg}"));
                }
            }
        }
    }
    lines.push(format!("newest pipeline era (enforced): {strict_records} records, {strict_ok} fields equal"));
    lines.push(format!(
        "{} expected files, {compared} records compared: {fields_ok} fields equal, {fields_bad} differ ({informational} of them in older pipeline eras)",
        expected_files.len()
    ));
    for (p, n) in left_out {
        let why = LEFT_OUT.iter().find(|(q, _)| *q == p).map(|(_, w)| *w).unwrap_or("");
        lines.push(format!("left out: {p}* in {n} records ({why})"));
    }
    Ok(Report { name: "cloudtrail: normalization vs Elastic's pipeline tests", lines, failures })
}
