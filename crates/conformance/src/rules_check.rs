//! Elastic's AWS rules load and validate; lint finds the known dead values; the published seed
//! page gives the same model as the TOML.

use crate::Report;
use rules::model::PAGE_FIELDS;
use rules::{lint::lint, validate::validate, Level};
use std::collections::BTreeMap;
use std::path::Path;

pub fn check(corpus: &Path) -> anyhow::Result<Report> {
    let mut lines = Vec::new();
    let mut failures = Vec::new();
    let mut all_findings: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for set in ["elastic-aws-rules-latest", "elastic-aws-rules-v8.17.4"] {
        let loaded = rules::load_paths(&[corpus.join(set)]);
        for e in &loaded.errors {
            failures.push(format!("{set}: load error {e}"));
        }
        let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
        let mut invalid = 0;
        for r in &loaded.rules {
            *by_type.entry(r.type_name().to_string()).or_default() += 1;
            let problems = validate(r);
            if !problems.is_empty() {
                invalid += 1;
                for p in problems {
                    failures.push(format!("{set}: validate {}", p.to_line()));
                }
            }
            for d in lint(r) {
                all_findings.entry(set.to_string()).or_default().push(d.to_line().replace('\n', " "));
            }
        }
        let counts: Vec<String> = by_type.iter().map(|(t, n)| format!("{t} {n}")).collect();
        lines.push(format!(
            "{set}: {} rules loaded ({}), {invalid} invalid, {} load errors",
            loaded.rules.len(),
            counts.join(", "),
            loaded.errors.len()
        ));
    }
    // Expected lint findings
    let expect = |set: &str, needle: &str, fix: Option<&str>| -> Option<String> {
        let found = all_findings
            .get(set)
            .into_iter()
            .flatten()
            .find(|l| l.contains(needle) && fix.is_none_or(|f| l.contains(f)));
        match found {
            Some(_) => None,
            None => Some(format!("{set}: lint did not report {needle} {}", fix.unwrap_or(""))),
        }
    };
    for (set, needle, fix) in [
        (
            "elastic-aws-rules-v8.17.4",
            "`Create Cache Security Group` has spaces",
            Some("CreateCacheSecurityGroup"),
        ),
        (
            "elastic-aws-rules-v8.17.4",
            "`Delete Cache Security Group` has spaces",
            Some("DeleteCacheSecurityGroup"),
        ),
        (
            "elastic-aws-rules-v8.17.4",
            "`Authorize Cache Security Group Ingress` has spaces",
            Some("AuthorizeCacheSecurityGroupIngress"),
        ),
        ("elastic-aws-rules-v8.17.4", "`AuthorizeCacheSecurityGroupEgress` is not an operation", None),
        ("elastic-aws-rules-v8.17.4", "`RevokeCacheSecurityGroupEgress` is not an operation", None),
        ("elastic-aws-rules-latest", "`DescribeOrgnanizationalUnit`", Some("DescribeOrganizationalUnit")),
        (
            "elastic-aws-rules-latest",
            "`ReplaceIamInstanceProfile`",
            Some("ReplaceIamInstanceProfileAssociation"),
        ),
    ] {
        if let Some(f) = expect(set, needle, fix) {
            failures.push(f);
        }
    }
    for (set, findings) in &all_findings {
        let errors = findings.iter().filter(|l| l.contains(&format!(" {}: ", Level::Error.as_str()))).count();
        lines.push(format!("{set}: lint: {} findings ({errors} errors)", findings.len()));
        for f in findings {
            lines.push(format!("  {f}"));
        }
    }
    // Seed page == TOML
    let page = rules::load_paths(&[corpus.join("seed")]);
    let toml = rules::load_paths(&[
        corpus.join("elastic-aws-rules-v8.17.4/defense_evasion_elasticache_security_group_creation.toml")
    ]);
    match (page.rules.first(), toml.rules.first()) {
        (Some(p), Some(t)) => {
            let mut same = 0;
            for key in PAGE_FIELDS {
                let norm = |v: Option<&serde_json::Value>| {
                    v.map(|v| match v {
                        serde_json::Value::String(s) => serde_json::Value::String(s.trim().to_string()),
                        other => other.clone(),
                    })
                };
                let (a, b) = (norm(p.params.get(*key)), norm(t.params.get(*key)));
                // the page states defaults explicitly; the TOML may leave them out
                if a == b || (b.is_none() && *key == "language") {
                    same += 1;
                } else {
                    failures.push(format!("seed page vs TOML: `{key}` differs: page {a:?}, toml {b:?}"));
                }
            }
            lines.push(format!(
                "seed page vs TOML (v8.17.4): {same}/{} page fields equal; page version {:?}",
                PAGE_FIELDS.len(),
                p.version()
            ));
        }
        _ => failures.push(format!("seed page or TOML did not load: {:?} {:?}", page.errors, toml.errors)),
    }
    Ok(Report { name: "rules: load, validate, lint Elastic's AWS rules", lines, failures })
}
