//! The same rule in all four formats loads into the same model; validation points at file, line
//! and key.

use rules::{load_paths, Format};
use serde_json::{json, Value};
use std::path::PathBuf;

const TOML: &str = r#"[metadata]
creation_date = "2026/11/28"
updated_date = "2026/11/28"
maturity = "production"

[rule]
author = ["Jane Doe"]
description = "Flags a sample event."
from = "now-9m"
index = ["logs-aws.cloudtrail-*"]
interval = "5m"
language = "kuery"
license = "Apache License 2.0"
name = "Sample Rule"
references = ["https://example.com/ref"]
risk_score = 47
rule_id = "11111111-2222-4333-8444-555555555555"
severity = "medium"
tags = ["Domain: Cloud", "Tactic: Persistence"]
type = "query"
version = 3
query = '''
event.dataset:aws.cloudtrail and event.action:CreateUser
'''

[[rule.threat]]
framework = "MITRE ATT&CK"
[[rule.threat.technique]]
id = "T1136"
name = "Create Account"
reference = "https://attack.mitre.org/techniques/T1136/"
[[rule.threat.technique.subtechnique]]
id = "T1136.003"
name = "Cloud Account"
reference = "https://attack.mitre.org/techniques/T1136/003/"
[rule.threat.tactic]
id = "TA0003"
name = "Persistence"
reference = "https://attack.mitre.org/tactics/TA0003/"
"#;

const PAGE: &str = "# Sample Rule [sample-rule]

Flags a sample event.

**Rule type**: query

**Rule indices**:

* logs-aws.cloudtrail-*

**Severity**: medium

**Risk score**: 47

**Runs every**: 5m

**Searches indices from**: now-9m ({{ref}}/common-options.html#date-math[Date Math format])

**Maximum alerts per execution**: 100

**References**:

* [https://example.com/ref](https://example.com/ref)

**Tags**:

* Domain: Cloud
* Tactic: Persistence

**Version**: 3

**Rule authors**:

* Jane Doe

**Rule license**: Apache License 2.0

## Rule query [_rule_query_1]

```js
event.dataset:aws.cloudtrail and event.action:CreateUser
```

**Framework**: MITRE ATT&CKTM

* Tactic:

    * Name: Persistence
    * ID: TA0003
    * Reference URL: [https://attack.mitre.org/tactics/TA0003/](https://attack.mitre.org/tactics/TA0003/)

* Technique:

    * Name: Create Account
    * ID: T1136
    * Reference URL: [https://attack.mitre.org/techniques/T1136/](https://attack.mitre.org/techniques/T1136/)

* Sub-technique:

    * Name: Cloud Account
    * ID: T1136.003
    * Reference URL: [https://attack.mitre.org/techniques/T1136/003/](https://attack.mitre.org/techniques/T1136/003/)
";

fn api_form() -> Value {
    json!({
        "author": ["Jane Doe"], "description": "Flags a sample event.", "from": "now-9m",
        "index": ["logs-aws.cloudtrail-*"], "interval": "5m", "language": "kuery", "license": "Apache License 2.0",
        "name": "Sample Rule", "references": ["https://example.com/ref"], "risk_score": 47,
        "rule_id": "11111111-2222-4333-8444-555555555555", "severity": "medium",
        "tags": ["Domain: Cloud", "Tactic: Persistence"], "type": "query", "version": 3,
        "query": "event.dataset:aws.cloudtrail and event.action:CreateUser\n",
        "threat": [{"framework": "MITRE ATT&CK",
            "tactic": {"id": "TA0003", "name": "Persistence", "reference": "https://attack.mitre.org/tactics/TA0003/"},
            "technique": [{"id": "T1136", "name": "Create Account", "reference": "https://attack.mitre.org/techniques/T1136/",
                "subtechnique": [{"id": "T1136.003", "name": "Cloud Account", "reference": "https://attack.mitre.org/techniques/T1136/003/"}]}]}]
    })
}

/// A directory of this test's own (tests run in parallel).
fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("th-rules-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The fields every format carries, normalized for comparison.
fn projection(r: &rules::Rule) -> Value {
    let mut out = serde_json::Map::new();
    // the page's fields (query and threat compared normalized below), plus two every format has
    let fields = rules::model::PAGE_FIELDS.iter().copied().filter(|k| *k != "query" && *k != "threat");
    for k in fields.chain(["description", "version"]) {
        out.insert(k.into(), r.params.get(k).cloned().unwrap_or(Value::Null));
    }
    out.insert("query".into(), json!(r.query().map(str::trim)));
    out.insert("threat".into(), json!(format!("{:?}", r.threat())));
    out.insert("max_signals".into(), json!(r.max_signals()));
    Value::Object(out)
}

#[test]
fn four_formats_one_model() {
    let d = dir("formats");
    std::fs::write(d.join("rule.toml"), TOML).unwrap();
    std::fs::write(d.join("rule.md"), PAGE).unwrap();
    let mut export = api_form();
    export["id"] = json!("so-1");
    export["enabled"] = json!(true);
    let summary = json!({"exported_count": 1, "exported_rules_count": 1, "missing_rules": [], "missing_rules_count": 0});
    std::fs::write(d.join("export.ndjson"), format!("{export}\n{summary}\n")).unwrap();
    let asset = json!({"attributes": api_form(), "id": "11111111-2222-4333-8444-555555555555_3", "type": "security-rule"});
    std::fs::write(d.join("asset.json"), asset.to_string()).unwrap();

    let loaded = load_paths(&[&d]);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.rules.len(), 4);
    let formats: Vec<Format> = loaded.rules.iter().map(|r| r.source.format).collect();
    for f in [Format::Toml, Format::Markdown, Format::Ndjson, Format::PackageJson] {
        assert!(formats.contains(&f), "{formats:?}");
    }
    let first = projection(&loaded.rules[0]);
    for r in &loaded.rules[1..] {
        assert_eq!(projection(r), first, "{:?} differs", r.source.format);
    }
    // the formats that carry rule_id agree on it, and the export's saved-object id is kept
    let ndjson = loaded.rules.iter().find(|r| r.source.format == Format::Ndjson).unwrap();
    assert_eq!(ndjson.rule_id(), "11111111-2222-4333-8444-555555555555");
    assert_eq!(ndjson.saved_object_id(), "so-1");
    assert_eq!(ndjson.source.line, Some(1));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn new_terms_toml_becomes_the_api_form() {
    let d = dir("new-terms");
    std::fs::create_dir_all(&d).unwrap();
    let text = TOML.replace("type = \"query\"", "type = \"new_terms\"")
        + "\n[rule.new_terms]\nfield = \"new_terms_fields\"\nvalue = [\"user.name\"]\n[[rule.new_terms.history_window_start]]\nfield = \"history_window_start\"\nvalue = \"now-7d\"\n";
    std::fs::write(d.join("nt.toml"), text).unwrap();
    let loaded = load_paths(&[&d]);
    let r = &loaded.rules[0];
    assert_eq!(r.params["new_terms_fields"], json!(["user.name"]));
    assert_eq!(r.params["history_window_start"], json!("now-7d"));
    assert!(!r.params.contains_key("new_terms"));
}

#[test]
fn validation_points_at_file_line_and_key() {
    let d = dir("validate");
    std::fs::create_dir_all(&d).unwrap();
    let bad = TOML
        .replace("severity = \"medium\"", "severity = \"Medium\"")
        .replace("interval = \"5m\"", "interval = \"5 minutes\"")
        .replace("from = \"now-9m\"", "from = \"yesterday\"")
        .replace("risk_score = 47", "risk_score = 470")
        .replace(
            "event.dataset:aws.cloudtrail and event.action:CreateUser",
            "event.dataset:aws.cloudtrail and event.action:",
        )
        .replace("name = \"Sample Rule\"\n", "");
    let path = d.join("bad.toml");
    std::fs::write(&path, &bad).unwrap();
    let loaded = load_paths(&[&path]);
    let diags = rules::validate::validate(&loaded.rules[0]);
    let find = |code: &str, key: &str| {
        diags
            .iter()
            .find(|d| d.code == code && d.key.as_deref() == Some(key))
            .unwrap_or_else(|| panic!("{code} {key}: {diags:#?}"))
    };
    assert_eq!(find("TV002", "severity").fix.as_deref(), Some("medium"));
    let line_of = |needle: &str| bad.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
    assert_eq!(find("TV002", "severity").line, Some(line_of("severity")));
    assert_eq!(find("TV003", "interval").line, Some(line_of("interval")));
    assert_eq!(find("TV004", "from").line, Some(line_of("from")));
    assert_eq!(find("TV005", "risk_score").line, Some(line_of("risk_score")));
    find("TV001", "name");
    let q = find("TV006", "query");
    assert!(q.message.contains("Expected") && q.message.contains('^'), "{}", q.message);
    // at the end of input, which is after the query's trailing newline (as Kibana reports it)
    assert_eq!(q.line, Some(line_of("event.dataset") + 1));
    assert!(q.to_line().starts_with(&format!("{}:", path.display())));
}

#[test]
fn toml_syntax_errors_have_a_line() {
    let d = dir("syntax");
    std::fs::create_dir_all(&d).unwrap();
    let path = d.join("broken.toml");
    std::fs::write(&path, "[rule]\nname = \"x\"\nrisk_score = = 3\n").unwrap();
    let loaded = load_paths(&[&path]);
    assert!(loaded.rules.is_empty());
    assert_eq!(loaded.errors[0].line, Some(3), "{:?}", loaded.errors);
}
