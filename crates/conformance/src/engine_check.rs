//! The engine against the corpus: the seed rule loaded from Elastic's published page behaves as
//! Elastic's does (fires on the literal spaced label, not on a real `CreateCacheSecurityGroup`,
//! not on a failure); and every query rule of the latest rule set runs over the corpus logs.

use crate::Report;
use engine::hunt::{hunt, Options, Progress};
use engine::RuleSet;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

fn options() -> Options {
    Options { max_errors_kept: 50, ..Options::default() }
}

pub fn check(corpus: &Path) -> anyhow::Result<Report> {
    let mut lines = Vec::new();
    let mut failures = Vec::new();
    let tmp = std::env::temp_dir().join(format!("trailhound-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;

    // 1. The seed rule from the published page
    let page = rules::load_paths(&[corpus.join("seed")]);
    let set = RuleSet::compile(page.rules, 0);
    if set.rules.len() != 1 {
        failures.push(format!(
            "seed page: expected one runnable rule, got {} ({:?})",
            set.rules.len(),
            set.not_run
        ));
    } else {
        let ecs_event = |action: &str, outcome: &str, id: &str| {
            json!({"@timestamp": "2026-11-02T10:00:00.000Z", "event": {"dataset": "aws.cloudtrail",
                "provider": "elasticache.amazonaws.com", "action": action, "outcome": outcome, "id": id},
                "source": {"ip": "203.0.113.9"}, "user": {"name": "alice"}})
        };
        let raw = json!({"eventVersion": "1.08", "eventTime": "2026-11-02T10:00:00Z", "eventSource": "elasticache.amazonaws.com",
            "eventName": "CreateCacheSecurityGroup", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.9",
            "userIdentity": {"type": "IAMUser", "userName": "alice"}, "eventID": "real-1",
            "requestParameters": {"cacheSecurityGroupName": "g", "description": "d"}});
        let file = tmp.join("seed-events.ndjson");
        let lines_out: Vec<String> = [
            ecs_event("Create Cache Security Group", "success", "literal-ok"),
            ecs_event("Create Cache Security Group", "failure", "literal-failed"),
            raw,
        ]
        .iter()
        .map(Value::to_string)
        .collect();
        std::fs::write(&file, lines_out.join("\n") + "\n")?;
        let out = hunt(&set, &[file], &options(), &Arc::new(Progress::default()));
        let ids: Vec<String> = out
            .findings
            .iter()
            .map(|f| ecs::matcher::field_strings(&f.event, "event.id").join(","))
            .collect();
        if ids != ["literal-ok"] {
            failures
                .push(format!("seed rule: expected exactly the literal success event to alert, got {ids:?}"));
        } else {
            let a = &out.findings[0].alert(&set, &options().context);
            let checks = [
                ("kibana.alert.severity", json!("low")),
                ("kibana.alert.risk_score", json!(21)),
                ("kibana.alert.rule.name", json!("AWS ElastiCache Security Group Created")),
                ("kibana.alert.reason", json!("event with source 203.0.113.9 by alice created low alert AWS ElastiCache Security Group Created.")),
            ];
            for (k, want) in checks {
                if a.get(k) != Some(&want) {
                    failures.push(format!("seed alert: {k} = {:?}, expected {want}", a.get(k)));
                }
            }
            let threat = a.get("kibana.alert.rule.threat").cloned().unwrap_or(Value::Null).to_string();
            for id in ["TA0005", "T1562", "T1562.007"] {
                if !threat.contains(id) {
                    failures.push(format!("seed alert: threat lacks {id}: {threat}"));
                }
            }
            lines.push(format!("seed rule (from the page): 1 alert of 3 events (literal label success); severity low, risk 21, {}", "TA0005/T1562/T1562.007"));
        }
    }

    // 2. Every query rule of the latest set over the corpus logs
    let latest = rules::load_paths(&[corpus.join("elastic-aws-rules-latest")]);
    let set = RuleSet::compile(latest.rules, ecs::time::now_millis());
    let inputs: Vec<std::path::PathBuf> = {
        let (mut files, errs) = cloudtrail::expand_inputs(&[
            corpus.join("stratus-red-team/detonation-events.ndjson").display().to_string(),
            corpus.join("awsdocs-cloudtrail-user-guide/example-events.ndjson").display().to_string(),
        ]);
        for e in errs {
            failures.push(e);
        }
        for dir in ["elastic-integration-cloudtrail", "filebeat-cloudtrail"] {
            let mut logs: Vec<_> = std::fs::read_dir(corpus.join(dir))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "log"))
                .collect();
            logs.sort();
            files.extend(logs);
        }
        files
    };
    let out = hunt(&set, &inputs, &options(), &Arc::new(Progress::default()));
    for e in &out.errors {
        if !e.kept {
            failures.push(format!("corpus logs: {e}"));
        }
    }
    let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
    for f in &out.findings {
        *per_rule.entry(set.rules[f.rule].rule.name().to_string()).or_default() += 1;
    }
    lines.push(format!(
        "latest rule set: {} query rules run, {} not run ({}); over {} files, {} records: {} alerts from {} rules",
        set.rules.len(),
        set.not_run.len(),
        set.not_run_summary().iter().map(|(w, n)| format!("{n} {w}")).collect::<Vec<_>>().join(", "),
        inputs.len(),
        out.stats.read,
        out.findings.len(),
        per_rule.len()
    ));
    for (r, n) in &per_rule {
        lines.push(format!("  {n:>4}  {r}"));
    }
    if out.stats.rejected > 0 {
        failures.push(format!("corpus logs: {} records rejected", out.stats.rejected));
    }
    // 3. The fast path changes nothing: same alerts with and without it, Elastic's latest query
    //    rules over 20,000 generated records plus the corpus logs.
    let gen = tmp.join("generated");
    let spec = cloudtrail::generate::Spec {
        events: 20_000,
        seed: 11,
        format: cloudtrail::generate::Format::Ndjson,
        ..Default::default()
    };
    cloudtrail::generate::generate(&spec, &gen)?;
    let mut files = cloudtrail::expand_inputs(&[gen.display().to_string()]).0;
    files.extend(inputs.iter().cloned());
    let ids = |fast: bool| {
        let o = hunt(&set, &files, &Options { fast_path: fast, ..options() }, &Arc::new(Progress::default()));
        let mut v: Vec<String> = o.findings.iter().map(|f| f.uuid.clone()).collect();
        v.sort();
        (v, o.skipped_by_index)
    };
    let ((slow, _), (fast, skipped)) = (ids(false), ids(true));
    if slow != fast {
        failures.push(format!(
            "fast path changed the alerts: {} without it, {} with it",
            slow.len(),
            fast.len()
        ));
    }
    lines.push(format!(
        "fast path: {} alerts with and without it over {} records ({} ruled out from raw bytes)",
        fast.len(),
        20_000 + out.stats.read,
        skipped
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(Report { name: "engine: seed rule and Elastic's query rules over the corpus logs", lines, failures })
}
