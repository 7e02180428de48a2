//! Rule unit tests: a rule's example events (`[[tests]]` in its TOML) that must and must not
//! match. Raw CloudTrail examples are normalized first, as real input would be.

use crate::RuleSet;
use rules::Rule;
use serde_json::Value;

/// The outcome of one example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    pub rule: String,
    pub test: String,
    pub passed: bool,
    pub detail: String,
}

/// Normalize a raw CloudTrail record; pass an ECS document through.
pub fn to_document(event: &Value) -> Value {
    let raw = event.as_object().is_some_and(|o| o.contains_key("eventSource") || o.contains_key("eventName"));
    if raw {
        let text = serde_json::to_string(event).unwrap_or_default();
        cloudtrail::normalize(&text, event.clone(), &cloudtrail::Options::default()).doc
    } else {
        event.clone()
    }
}

/// Run every rule's tests. Rules without tests are not listed.
pub fn run_tests(rules: &[Rule]) -> Vec<TestResult> {
    let mut out = Vec::new();
    for rule in rules.iter().filter(|r| !r.tests.is_empty()) {
        let set = RuleSet::compile(vec![rule.clone()], ecs::time::now_millis());
        let Some(compiled) = set.rules.first() else {
            let why = set.not_run.first().map(|(_, w)| w.to_string()).unwrap_or_default();
            out.push(TestResult {
                rule: rule.name().into(),
                test: "(compile)".into(),
                passed: false,
                detail: why,
            });
            continue;
        };
        for t in &rule.tests {
            let doc = to_document(&t.event);
            let matched = compiled.matcher.matches(&doc);
            let passed = matched == t.should_match;
            let detail = match (t.should_match, matched) {
                (true, true) => "matched, as expected".into(),
                (false, false) => "did not match, as expected".into(),
                (true, false) => "expected a match, got none".into(),
                (false, true) => "expected no match, but it matched".into(),
            };
            out.push(TestResult { rule: rule.name().into(), test: t.name.clone(), passed, detail });
        }
    }
    out
}
