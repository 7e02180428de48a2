//! `rules lint`: findings a detection engineer wants before a rule ships, ruff-style.
//!
//! | code | level | finding |
//! |---|---|---|
//! | TH001 | warning | a field unknown to ECS and the AWS integration (with the closest known field) |
//! | TH002 | error/warning | an `event.provider` that is not a CloudTrail event source |
//! | TH003 | error/warning | an `event.action` that cannot occur for its provider (spaces, casing, typo, no such operation) |
//! | TH004 | error | a wildcard on a field that is not a string (never matches) |
//! | TH005 | error | index patterns that cannot see CloudTrail data |
//! | TH006 | error | a value outside the field's ECS allowed values (`event.outcome:Success`) |
//! | TH007 | warning | a wildcard `event.action` value that matches no known operation |

use crate::catalog::{edit_distance, Catalog, Lookup};
use crate::diag::{Diagnostic, Level};
use crate::model::Rule;
use ecs::types::{all_fields, resolve, FieldType, Resolved};
use kql::{Node, PatternPart, Value as Kv};

/// Lint one rule.
pub fn lint(rule: &Rule) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let text = rule.source.text.as_deref();
    // The line of a value in the rule's file: its first occurrence from the query on (else
    // anywhere); NDJSON: the rule's line.
    let line_of = |needle: &str| -> Option<usize> {
        match text {
            Some(t) => {
                let from = t.find("query =").or_else(|| t.find("## Rule query")).unwrap_or(0);
                let at = t[from..].find(needle).map(|i| i + from).or_else(|| t.find(needle));
                at.map(|i| t[..i].matches('\n').count() + 1)
            }
            None => rule.source.line,
        }
    };
    let mut push =
        |code: &'static str, level: Level, key: &str, needle: &str, message: String, fix: Option<String>| {
            out.push(Diagnostic {
                code,
                level,
                path: rule.source.path.clone(),
                line: line_of(needle),
                rule: rule.name().to_string(),
                key: Some(key.to_string()),
                message,
                fix,
            });
        };

    // TH005: index patterns
    let index = rule.index();
    if !index.is_empty() && !index.iter().any(|p| sees_cloudtrail(p)) {
        push(
            "TH005",
            Level::Error,
            "index",
            "index",
            format!(
                "index patterns {index:?} cannot see CloudTrail data (logs-aws.cloudtrail-* or filebeat-*)"
            ),
            Some("add \"logs-aws.cloudtrail-*\"".into()),
        );
    }

    if rule.language() != Some("kuery") {
        return out;
    }
    let Some(Ok(tree)) = rule.query().map(kql::parse) else { return out };
    let mut leaves: Vec<(String, &Kv, bool)> = Vec::new();
    collect_leaves(&tree, "", false, &mut leaves);
    // The providers an event must have: values of event.provider outside any `not`.
    let providers: Vec<String> = leaves
        .iter()
        .filter(|(f, _, negated)| f == "event.provider" && !negated)
        .filter_map(|(_, v, _)| match v {
            Kv::Str { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    let catalog = Catalog::get();
    let mut seen = std::collections::HashSet::new();
    for (field, value, _) in &leaves {
        if !seen.insert((field.clone(), format!("{value:?}"))) {
            continue;
        }
        let resolved = resolve(field);
        // TH001: unknown field
        if resolved == Resolved::Unmapped
            && !field.contains('*')
            && seen.insert((field.clone(), "TH001".into()))
        {
            let near = all_fields()
                .iter()
                .map(|d| (edit_distance(d.name, field), d.name))
                .filter(|(d, _)| *d <= 3)
                .min();
            push(
                "TH001",
                Level::Warning,
                field,
                field,
                format!("field `{field}` is not in ECS or the AWS integration's mappings"),
                near.map(|(_, n)| format!("did you mean `{n}`?")),
            );
        }
        // TH004: wildcard on a non-string field
        if let Kv::Wildcard(p) = value {
            let ty = resolved.field_type();
            if !p.is_lone_star()
                && matches!(
                    ty,
                    Some(
                        FieldType::Long
                            | FieldType::Double
                            | FieldType::Ip
                            | FieldType::Date
                            | FieldType::Boolean
                    )
                )
            {
                push(
                    "TH004",
                    Level::Error,
                    field,
                    field,
                    format!(
                        "wildcard `{}` on `{field}`, a {} field: never matches",
                        p.to_escaped_string(),
                        ty.unwrap().as_str()
                    ),
                    Some("compare exact values or use a range".into()),
                );
            }
        }
        // TH006: ECS allowed values
        if let (Some(allowed), Kv::Str { text, .. }) = (allowed_values(field), value) {
            if !allowed.contains(&text.as_str()) {
                let fix =
                    allowed.iter().find(|a| a.eq_ignore_ascii_case(text)).map(|a| format!("`{field}:{a}`"));
                push(
                    "TH006",
                    Level::Error,
                    field,
                    text,
                    format!(
                        "`{text}` is not an ECS value of `{field}` ({}): never matches",
                        allowed.join(", ")
                    ),
                    fix,
                );
            }
        }
        match (field.as_str(), value) {
            ("event.provider", Kv::Str { text, .. }) if !catalog.has_source(text) => {
                let near = closest(catalog.sources.keys().copied(), text, 3);
                let level = if text.ends_with(".amazonaws.com") && near.is_none() {
                    Level::Warning
                } else {
                    Level::Error
                };
                push(
                    "TH002",
                    level,
                    field,
                    text,
                    format!("`{text}` is not a CloudTrail event source in the AWS API catalog"),
                    near.map(|n| format!("`event.provider:{n}`")),
                );
            }
            ("event.action", Kv::Str { text, .. }) => {
                if let Some(d) = check_action(catalog, &providers, text) {
                    push("TH003", d.0, field, text, d.1, d.2);
                }
            }
            ("event.action", Kv::Wildcard(p)) if !p.is_lone_star() => {
                let glob = ecs::matcher::Glob::new(p, false);
                if !catalog.names(&providers).any(|n| glob.matches(n)) {
                    let pat = p.to_escaped_string();
                    push(
                        "TH007",
                        Level::Warning,
                        field,
                        &pat.replace('\\', ""),
                        format!("`{pat}` matches no operation of {}", describe_providers(&providers)),
                        None,
                    );
                }
            }
            _ => {}
        }
    }
    out
}

fn describe_providers(providers: &[String]) -> String {
    if providers.is_empty() {
        "any service".into()
    } else {
        providers.join(", ")
    }
}

/// Judge an `event.action` value: `(level, message, fix)` when something is wrong.
fn check_action(
    catalog: &Catalog,
    providers: &[String],
    name: &str,
) -> Option<(Level, String, Option<String>)> {
    let known_sources: Vec<String> = providers.iter().filter(|p| catalog.has_source(p)).cloned().collect();
    let found = if known_sources.is_empty() {
        catalog.names(&[]).any(|n| n == name)
    } else {
        known_sources.iter().any(|p| catalog.lookup(p, name) == Lookup::Known)
    };
    if found {
        return None;
    }
    if !providers.is_empty() && known_sources.is_empty() {
        return None; // the provider itself is reported (TH002)
    }
    let scope = describe_providers(&known_sources);
    let names: Vec<&str> = catalog.names(&known_sources).collect();
    // Spaces: a console label, not an event name.
    if name.contains(char::is_whitespace) {
        let joined: String = name.split_whitespace().collect();
        let fix = names.iter().find(|n| n.eq_ignore_ascii_case(&joined)).map(|n| n.to_string());
        return Some((
            Level::Error,
            format!("`{name}` has spaces: CloudTrail event names are API operation names (never matches)"),
            fix.map(|f| format!("`event.action:{f}`")),
        ));
    }
    if let Some(n) = names.iter().find(|n| n.eq_ignore_ascii_case(name)) {
        return Some((
            Level::Error,
            format!("`{name}` has the wrong case: event.action is case-sensitive"),
            Some(format!("`event.action:{n}`")),
        ));
    }
    if !known_sources.is_empty() {
        let mut elsewhere: Vec<&str> =
            catalog.sources.iter().filter(|(_, ops)| ops.contains(name)).map(|(s, _)| *s).collect();
        elsewhere.sort();
        if !elsewhere.is_empty() && elsewhere.len() <= 3 {
            return Some((
                Level::Error,
                format!(
                    "`{name}` is an operation of {}, not of {scope} (never matches)",
                    elsewhere.join(", ")
                ),
                Some(format!("`event.provider:{}`", elsewhere[0])),
            ));
        }
    }
    if let Some(n) = closest(names.iter().copied(), name, 2) {
        return Some((
            Level::Error,
            format!(
                "`{name}` is not an operation of {scope}: no such API (never matches); the closest is `{n}`"
            ),
            Some(format!("`event.action:{n}`")),
        ));
    }
    let longer: Vec<&str> = names.iter().copied().filter(|n| n.starts_with(name)).collect();
    if longer.len() == 1 {
        return Some((
            Level::Error,
            format!("`{name}` is not an operation of {scope}, but `{}` is", longer[0]),
            Some(format!("`event.action:{}`", longer[0])),
        ));
    }
    let blind = known_sources.is_empty() || known_sources.iter().any(|s| Catalog::is_blind_spot(s));
    if blind {
        Some((
            Level::Warning,
            format!("`{name}` is not in the AWS API catalog for {scope} (the catalog has gaps here)"),
            None,
        ))
    } else {
        Some((
            Level::Error,
            format!("`{name}` is not an operation of {scope}: no such API (never matches)"),
            None,
        ))
    }
}

fn closest<'a>(candidates: impl Iterator<Item = &'a str>, target: &str, max: usize) -> Option<&'a str> {
    candidates
        .filter(|c| c.len().abs_diff(target.len()) <= max)
        .map(|c| (edit_distance(c, target), c))
        .filter(|(d, _)| *d <= max && *d > 0)
        .min()
        .map(|(_, c)| c)
}

/// ECS allowed values of the categorization fields.
fn allowed_values(field: &str) -> Option<&'static [&'static str]> {
    match field {
        "event.outcome" => Some(&["failure", "success", "unknown"]),
        "event.kind" => {
            Some(&["alert", "asset", "enrichment", "event", "metric", "state", "pipeline_error", "signal"])
        }
        _ => None,
    }
}

/// Does an index pattern match the indices CloudTrail data is written to?
pub fn sees_cloudtrail(pattern: &str) -> bool {
    let pattern = pattern.trim();
    if pattern.starts_with('-') {
        return false;
    }
    let Ok(Node::Is { value: Kv::Wildcard(p), .. }) = kql::parse(&format!("x:{}", escape_index(pattern)))
    else {
        return ["logs-aws.cloudtrail-default", "filebeat-8.17.0"].contains(&pattern);
    };
    let glob = ecs::matcher::Glob::new(&p, false);
    [
        "logs-aws.cloudtrail-default",
        "filebeat-8.17.0-2026.11.01",
        ".ds-logs-aws.cloudtrail-default-2026.11.01-000001",
    ]
    .iter()
    .any(|i| glob.matches(i))
}

fn escape_index(p: &str) -> String {
    p.chars().map(|c| if "\\():<>\"{} ".contains(c) { format!("\\{c}") } else { c.to_string() }).collect()
}

/// Every `field:value` leaf with its full field name and whether it sits under a `not`.
fn collect_leaves<'a>(node: &'a Node, prefix: &str, negated: bool, out: &mut Vec<(String, &'a Kv, bool)>) {
    let name = |f: &Kv| match f {
        Kv::Str { text, .. } => Some(text.clone()),
        Kv::Wildcard(p) => Some(
            p.0.iter()
                .map(|x| match x {
                    PatternPart::Star => "*".to_string(),
                    PatternPart::Lit(l) => l.clone(),
                })
                .collect(),
        ),
        _ => None,
    };
    let full = |n: String| if prefix.is_empty() { n } else { format!("{prefix}.{n}") };
    match node {
        Node::Or(v) | Node::And(v) => v.iter().for_each(|n| collect_leaves(n, prefix, negated, out)),
        Node::Not(n) => collect_leaves(n, prefix, !negated, out),
        Node::Is { field, value } | Node::Range { field, value, .. } => {
            if let Some(n) = name(field) {
                out.push((full(n), value, negated));
            }
        }
        Node::Nested { path, query } => {
            if let Some(n) = name(path) {
                collect_leaves(query, &full(n), negated, out);
            }
        }
    }
}
