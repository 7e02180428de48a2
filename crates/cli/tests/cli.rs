//! The binary as a user runs it: exit codes, formats, the README's first command.

use std::path::PathBuf;
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trailhound"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).current_dir(repo()).env("NO_COLOR", "1").output().unwrap()
}

fn tmp(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("th-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

#[test]
fn readme_hunt_on_the_bundled_examples_shows_alerts() {
    let out = run(&["hunt", "examples/cloudtrail"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "alerts => exit 1\n{stderr}");
    assert!(stdout.contains("trailhound: CloudTrail Logging Stopped or Deleted"), "{stdout}");
    assert!(stdout.contains("AWS ElastiCache Security Group Created (trailhound fix)"), "{stdout}");
    assert!(stderr.contains("by ATT&CK tactic"), "{stderr}");
    // Elastic's rule as written does not fire on the real CreateCacheSecurityGroup record; the
    // patched variant does.
    let nd = run(&["hunt", "-q", "--format", "ndjson", "examples/cloudtrail"]);
    let rule_ids: Vec<String> = String::from_utf8_lossy(&nd.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["kibana.alert.rule.rule_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(!rule_ids.iter().any(|r| r == "7b3da11a-60a2-412e-8aa7-011e1eb9ed47"), "{rule_ids:?}");
    assert!(rule_ids.iter().any(|r| r == "7b3da11a-60a2-412e-8aa7-011e1eb9ed47-th1"), "{rule_ids:?}");
}

#[test]
fn hunt_formats_and_filters() {
    let out = run(&["hunt", "-q", "--format", "ndjson", "--severity", "high", "examples/cloudtrail"]);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "three high-severity alerts in the example data");
    for a in &lines {
        assert_eq!(a["kibana.alert.severity"], "high");
        assert_eq!(a["kibana.alert.workflow_status"], "open");
        assert_eq!(a["event"]["kind"], "signal");
        assert_eq!(a["kibana.alert.uuid"].as_str().unwrap().len(), 64);
    }
    // the same run gives the same alert ids
    let again = run(&["hunt", "-q", "--format", "ndjson", "--severity", "high", "examples/cloudtrail"]);
    let ids = |o: &Output| -> Vec<String> {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["kibana.alert.uuid"].to_string())
            .collect()
    };
    assert_eq!(ids(&out), ids(&again));
    let csv = run(&["hunt", "-q", "--format", "csv", "--tactic", "TA0003", "examples/cloudtrail"]);
    let text = String::from_utf8_lossy(&csv.stdout);
    assert!(text.starts_with("time,rule,rule_id,severity"), "{text}");
    assert_eq!(text.lines().count(), 3, "header + two persistence alerts: {text}");
    let none =
        run(&["hunt", "-q", "--rule", "GuardDuty", "--to", "2026-11-01T01:00:00Z", "examples/cloudtrail"]);
    assert_eq!(none.status.code(), Some(0), "no alerts => exit 0");
}

#[test]
fn hunt_reports_bad_input_and_exits_2() {
    let f = tmp("bad.ndjson", "{\"eventVersion\":\"1.08\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"CreateAccessKey\",\"eventTime\":\"2026-01-01T00:00:00Z\",\"eventID\":\"x\"}\n{not json\n");
    let out = run(&["hunt", "-q", f.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad.ndjson") && stderr.contains("line 2"), "{stderr}");
    assert!(stderr.contains("1 rejected"), "{stderr}");
    // a file that ends inside a record: the damage is reported, the complete record is read
    let cut = tmp("cut.json", "{\"Records\":[{\"eventVersion\":\"1.08\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"CreateAccessKey\",\"eventTime\":\"2026-01-01T00:00:00Z\",\"eventID\":\"y\"},{\"eventName\":\"Cre");
    let out = run(&["hunt", "-q", cut.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cut.json") && stderr.contains("truncated"), "{stderr}");
    let missing = run(&["hunt", "-q", "no/such/dir"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn search_and_kql_exit_codes() {
    let f = tmp("docs.ndjson", "{\"event\":{\"action\":\"A\"}}\n{\"event.action\":\"B\"}\n");
    let hit = run(&["search", "event.action:B", f.to_str().unwrap()]);
    assert_eq!(hit.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&hit.stdout).trim(), "{\"event.action\":\"B\"}");
    assert_eq!(run(&["search", "event.action:C", f.to_str().unwrap()]).status.code(), Some(1));
    let bad = run(&["search", "event.action:", f.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains('^'));
    let parsed = run(&["kql", "parse", "a:x OR a:y"]);
    assert_eq!(String::from_utf8_lossy(&parsed.stdout).trim(), "a:(x or y)");
}

#[test]
fn rules_commands_on_the_bundled_set() {
    let lint = run(&["rules", "lint"]);
    let text = String::from_utf8_lossy(&lint.stdout);
    assert_eq!(lint.status.code(), Some(1), "the seed rule is an error");
    assert!(text.contains("TH003") && text.contains("CreateCacheSecurityGroup"), "{text}");
    let test = run(&["rules", "test"]);
    assert_eq!(test.status.code(), Some(0), "{}", String::from_utf8_lossy(&test.stdout));
    let show = run(&["rules", "show", "7b3da11a-60a2-412e-8aa7-011e1eb9ed47"]);
    let page = String::from_utf8_lossy(&show.stdout);
    assert!(page.contains("**Risk score**: 21") && page.contains("T1562.007"), "{page}");
    let layer = std::env::temp_dir().join(format!("th-layer-{}.json", std::process::id()));
    let cov = run(&["rules", "coverage", "--navigator", layer.to_str().unwrap()]);
    assert_eq!(cov.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&layer).unwrap()).unwrap();
    assert!(v["techniques"].as_array().unwrap().iter().any(|t| t["techniqueID"] == "T1562.008"));
}

#[test]
fn normalize_and_generate() {
    let dir = std::env::temp_dir().join(format!("th-gen-{}", std::process::id()));
    let g = run(&["generate", "--events", "500", "--seed", "9", "--out", dir.to_str().unwrap()]);
    assert_eq!(g.status.code(), Some(0));
    let n = run(&["normalize", dir.to_str().unwrap()]);
    assert_eq!(n.status.code(), Some(0));
    let docs: Vec<serde_json::Value> =
        String::from_utf8_lossy(&n.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(docs.len(), 500);
    assert!(docs.iter().all(|d| d["event"]["dataset"] == "aws.cloudtrail"));
    // deterministic for a seed
    let dir2 = std::env::temp_dir().join(format!("th-gen2-{}", std::process::id()));
    run(&["generate", "--events", "500", "--seed", "9", "--out", dir2.to_str().unwrap()]);
    let list = |d: &PathBuf| -> Vec<Vec<u8>> {
        let (files, _) = cloudtrail::expand_inputs(&[d.display().to_string()]);
        files.iter().map(|f| std::fs::read(f).unwrap()).collect()
    };
    assert_eq!(list(&dir), list(&dir2));
}

#[test]
fn exceptions_from_a_kibana_export_remove_alerts() {
    let dir = std::env::temp_dir().join(format!("th-exc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("value-lists")).unwrap();
    let rule = serde_json::json!({
        "rule_id": "access-key-test", "id": "so-access-key", "name": "Access key created (test)", "type": "query",
        "language": "kuery", "description": "d", "risk_score": 21, "severity": "low",
        "index": ["logs-aws.cloudtrail-*"], "query": "event.action:CreateAccessKey and event.outcome:success",
        "exceptions_list": [{"id": "c1", "list_id": "trusted", "namespace_type": "single", "type": "detection"}]
    });
    let container = serde_json::json!({"list_id": "trusted", "type": "detection", "namespace_type": "single", "name": "Trusted", "description": "d"});
    let item = serde_json::json!({"item_id": "ci", "list_id": "trusted", "type": "simple", "name": "CI roles", "namespace_type": "single",
        "entries": [{"field": "user.name", "type": "list", "operator": "included", "list": {"id": "ci-roles", "type": "keyword"}}]});
    std::fs::write(
        dir.join("export.ndjson"),
        format!("{rule}\n{container}\n{item}\n{{\"exported_count\":3}}\n"),
    )
    .unwrap();
    std::fs::write(dir.join("value-lists/ci-roles.txt"), "ci-deployer\n").unwrap();
    let rules = dir.display().to_string();
    let users = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["hunt", "-q", "--format", "csv", "--rules", &rules];
        args.extend_from_slice(extra);
        args.push("examples/cloudtrail");
        let out = run(&args);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(5).unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(users(&[]), ["mallory"], "ci-deployer's key is excepted through the value list");
    // without the value list file the item excepts nothing
    std::fs::remove_file(dir.join("value-lists/ci-roles.txt")).unwrap();
    assert_eq!(users(&[]), ["ci-deployer", "mallory"]);
    let _ = std::fs::remove_dir_all(&dir);
}
