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

/// An example event as a real input would become: a raw CloudTrail record normalized, an ECS
/// document passed through (the same classification the readers apply); anything else as it is.
pub fn to_document(event: &Value) -> Value {
    let text = serde_json::to_string(event).unwrap_or_default();
    let container = cloudtrail::reader::Container::TopLevel;
    match cloudtrail::source::classify(text.as_bytes(), container, &cloudtrail::Options::default()) {
        Ok(c) => c.doc,
        Err(_) => event.clone(),
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
