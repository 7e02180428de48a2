//! Schema validation (elastic-semantics.md §2): required keys, enums, durations, date math,
//! ranges, and that the query parses.

use crate::diag::{Diagnostic, Level};
use crate::load::toml_key_line;
use crate::model::{Format, Rule, RuleType, Severity};
use serde_json::Value;

/// Check one rule; returns its problems (empty when valid).
pub fn validate(rule: &Rule) -> Vec<Diagnostic> {
    let text = rule.source.text.as_deref();
    let line_of = |key: &str| -> Option<usize> {
        match &text {
            Some(t) => toml_key_line(t, key),
            None => rule.source.line,
        }
    };
    let mut out = Vec::new();
    let mut push = |code: &'static str, key: &str, message: String, fix: Option<String>| {
        out.push(Diagnostic {
            code,
            level: Level::Error,
            path: rule.source.path.clone(),
            line: line_of(key),
            rule: rule.name().to_string(),
            key: Some(key.to_string()),
            message,
            fix,
        });
    };
    let p = &rule.params;
    // Rules from a published page carry no rule_id; their other keys are checked.
    let mut required = vec!["name", "description", "risk_score", "severity", "type"];
    if rule.source.format != Format::Markdown {
        required.push("rule_id");
    }
    if rule.source.format == Format::Toml {
        required.push("author");
    }
    for key in required {
        if !p.contains_key(key) {
            push("TV001", key, format!("missing required key `{key}`"), None);
        }
    }
    if rule.deprecated() && p.get("deprecated").and_then(Value::as_bool) == Some(true) && p.len() <= 5 {
        return out; // a deprecated stub carries nothing else
    }
    if let Some(v) = p.get("type") {
        if v.as_str().and_then(RuleType::parse).is_none() {
            let all: Vec<&str> = RuleType::ALL.iter().map(|t| t.as_str()).collect();
            push("TV002", "type", format!("`type` is {v}, expected one of {}", all.join(", ")), None);
        }
    }
    if let Some(v) = p.get("severity") {
        if v.as_str().and_then(Severity::parse).is_none() {
            let fix = v.as_str().map(str::to_lowercase).filter(|s| Severity::parse(s).is_some());
            push(
                "TV002",
                "severity",
                format!("`severity` is {v}, expected low, medium, high or critical"),
                fix,
            );
        }
    }
    if let Some(v) = p.get("language") {
        if !matches!(v.as_str(), Some("kuery" | "lucene" | "eql" | "esql")) {
            push(
                "TV002",
                "language",
                format!("`language` is {v}, expected kuery, lucene, eql or esql"),
                None,
            );
        }
    }
    if let Some(v) = p.get("risk_score") {
        match v.as_i64() {
            Some(n) if (0..=100).contains(&n) => {}
            _ => push(
                "TV005",
                "risk_score",
                format!("`risk_score` is {v}, expected an integer from 0 to 100"),
                None,
            ),
        }
    }
    if let Some(v) = p.get("max_signals") {
        if v.as_i64().is_none_or(|n| n < 1) {
            push(
                "TV005",
                "max_signals",
                format!("`max_signals` is {v}, expected an integer of at least 1"),
                None,
            );
        }
    }
    if let Some(v) = p.get("interval") {
        let ok = v.as_str().is_some_and(|s| {
            let (num, unit) = s.split_at(s.len().saturating_sub(1));
            !num.is_empty()
                && num.bytes().all(|b| b.is_ascii_digit())
                && matches!(unit, "s" | "m" | "h" | "d")
        });
        if !ok {
            push(
                "TV003",
                "interval",
                format!("`interval` is {v}, expected a duration like 5m, 1h, 30s"),
                None,
            );
        }
    }
    for key in ["from", "to"] {
        if let Some(v) = p.get(key) {
            if v.as_str().is_none_or(|s| ecs::time::parse_date_math(s, 0).is_none()) {
                push("TV004", key, format!("`{key}` is {v}, expected date math like now-6m"), None);
            }
        }
    }
    if let Some(Value::Array(threat)) = p.get("threat") {
        for t in threat {
            if t.get("tactic").and_then(|x| x.get("id")).and_then(Value::as_str).is_none() {
                push("TV008", "threat", "a `threat` entry has no tactic id".into(), None);
            }
        }
    }
    if rule.language() == Some("kuery") {
        match rule.query() {
            Some(q) => {
                if let Err(e) = kql::parse(q) {
                    let key_line = line_of("query");
                    out.push(Diagnostic {
                        code: "TV006",
                        level: Level::Error,
                        path: rule.source.path.clone(),
                        // The query starts on the line after `query = '''`.
                        line: key_line.map(|l| l + e.line - usize::from(rule.source.format != Format::Toml)),
                        rule: rule.name().to_string(),
                        key: Some("query".into()),
                        message: format!("query does not parse: {}\n{}", e.message, indent(&e.caret())),
                        fix: None,
                    });
                }
            }
            None if matches!(
                rule.rule_type(),
                Some(RuleType::Query | RuleType::Threshold | RuleType::NewTerms)
            ) =>
            {
                push("TV001", "query", "missing required key `query`".into(), None)
            }
            None => {}
        }
    }
    out
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}
