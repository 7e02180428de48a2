//! Render a rule the way Elastic's published rule page shows it (markdown).

use crate::model::Rule;
use std::fmt::Write;

pub fn render(rule: &Rule) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", rule.name());
    let _ = writeln!(s, "{}\n", rule.description().trim());
    let _ = writeln!(s, "**Rule type**: {}\n", rule.type_name());
    let index = rule.index();
    if !index.is_empty() {
        let _ = writeln!(s, "**Rule indices**:\n");
        for i in &index {
            let _ = writeln!(s, "* {i}");
        }
        s.push('\n');
    }
    let sev = rule.severity().map(|x| x.as_str()).unwrap_or("?");
    let _ = writeln!(s, "**Severity**: {sev}\n");
    let _ = writeln!(s, "**Risk score**: {}\n", rule.risk_score().map_or("?".into(), |r| r.to_string()));
    let _ = writeln!(s, "**Runs every**: {}\n", rule.interval());
    let _ = writeln!(s, "**Searches indices from**: {}\n", rule.from());
    let _ = writeln!(s, "**Maximum alerts per execution**: {}\n", rule.max_signals());
    let refs = rule.references();
    if !refs.is_empty() {
        let _ = writeln!(s, "**References**:\n");
        for r in &refs {
            let _ = writeln!(s, "* [{r}]({r})");
        }
        s.push('\n');
    }
    let tags = rule.tags();
    if !tags.is_empty() {
        let _ = writeln!(s, "**Tags**:\n");
        for t in &tags {
            let _ = writeln!(s, "* {t}");
        }
        s.push('\n');
    }
    if let Some(v) = rule.version() {
        let _ = writeln!(s, "**Version**: {v}\n");
    }
    let authors = rule.authors();
    if !authors.is_empty() {
        let _ = writeln!(s, "**Rule authors**:\n");
        for a in &authors {
            let _ = writeln!(s, "* {a}");
        }
        s.push('\n');
    }
    if let Some(l) = rule.str("license") {
        let _ = writeln!(s, "**Rule license**: {l}\n");
    }
    if rule.is_building_block() {
        let _ = writeln!(s, "**Building block**: yes (alerts are hidden by default)\n");
    }
    if let Some(note) = rule.note() {
        let _ = writeln!(s, "## Investigation guide\n\n{}\n", note.trim());
    }
    if let Some(setup) = rule.setup() {
        let _ = writeln!(s, "## Setup\n\n{}\n", setup.trim());
    }
    if let Some(q) = rule.query() {
        let lang = match rule.language() {
            Some("eql") => "eql",
            Some("esql") => "esql",
            _ => "js",
        };
        let _ = writeln!(s, "## Rule query\n\n```{lang}\n{}\n```\n", q.trim_end());
    }
    for t in rule.threat() {
        let _ = writeln!(s, "**Framework**: MITRE ATT&CK\n\n* Tactic:\n\n    * Name: {}\n    * ID: {}\n    * Reference URL: https://attack.mitre.org/tactics/{}/\n", t.name, t.id, t.id);
        for tech in &t.techniques {
            let _ = writeln!(s, "* Technique:\n\n    * Name: {}\n    * ID: {}\n    * Reference URL: https://attack.mitre.org/techniques/{}/\n", tech.name, tech.id, tech.id);
            for (id, name) in &tech.subtechniques {
                let _ = writeln!(s, "* Sub-technique:\n\n    * Name: {name}\n    * ID: {id}\n    * Reference URL: https://attack.mitre.org/techniques/{}/\n", id.replace('.', "/"));
            }
        }
    }
    s
}
