//! Every KQL query of Elastic's AWS rules (latest and 8.17.4) parses, prints, and re-parses to
//! the same tree.

use crate::{toml_files, Report};
use anyhow::Context;
use std::path::Path;

pub fn check(corpus: &Path) -> anyhow::Result<Report> {
    let mut lines = Vec::new();
    let mut failures = Vec::new();
    for set in ["elastic-aws-rules-latest", "elastic-aws-rules-v8.17.4"] {
        let (mut total, mut parsed) = (0, 0);
        for file in toml_files(&corpus.join(set))? {
            let text = std::fs::read_to_string(&file)?;
            let doc: toml::Table = toml::from_str(&text).with_context(|| format!("{}", file.display()))?;
            let Some(rule) = doc.get("rule").and_then(|r| r.as_table()) else { continue };
            let language = rule.get("language").and_then(|v| v.as_str()).unwrap_or("");
            let Some(query) = rule.get("query").and_then(|v| v.as_str()) else { continue };
            if language != "kuery" {
                continue;
            }
            total += 1;
            let name = file.file_name().unwrap().to_string_lossy();
            match kql::parse(query) {
                Ok(tree) => {
                    let printed = kql::print(&tree);
                    match kql::parse(&printed) {
                        Ok(again) if again == tree => parsed += 1,
                        _ => {
                            failures.push(format!("{set}/{name}: printed form does not re-parse: {printed}"))
                        }
                    }
                }
                Err(e) => failures.push(format!("{set}/{name}: {e}")),
            }
        }
        lines.push(format!("{set}: {parsed}/{total} KQL queries parse and round-trip"));
        if total == 0 {
            failures.push(format!("{set}: no KQL queries found"));
        }
    }
    Ok(Report { name: "kql: parse every rule query", lines, failures })
}
