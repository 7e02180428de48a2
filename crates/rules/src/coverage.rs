//! ATT&CK Navigator layer of a rule set: every technique a rule maps to, scored by rule count,
//! with the rule names in the comment.

use crate::model::Rule;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub fn navigator_layer(rules: &[Rule], name: &str) -> Value {
    let mut techniques: BTreeMap<String, (Vec<String>, String)> = BTreeMap::new();
    for r in rules.iter().filter(|r| !r.deprecated()) {
        for t in r.threat() {
            let tactic = t.name.to_lowercase().replace(' ', "-");
            for tech in &t.techniques {
                let e = techniques.entry(tech.id.clone()).or_insert_with(|| (Vec::new(), tactic.clone()));
                e.0.push(r.name().to_string());
                for (sub, _) in &tech.subtechniques {
                    let e = techniques.entry(sub.clone()).or_insert_with(|| (Vec::new(), tactic.clone()));
                    e.0.push(r.name().to_string());
                }
            }
        }
    }
    let max = techniques.values().map(|(r, _)| r.len()).max().unwrap_or(1);
    let list: Vec<Value> = techniques
        .into_iter()
        .map(|(id, (rules, tactic))| {
            json!({
                "techniqueID": id,
                "tactic": tactic,
                "score": rules.len(),
                "comment": rules.join("; "),
                "enabled": true,
            })
        })
        .collect();
    json!({
        "name": name,
        "versions": {"attack": "16", "navigator": "5.1.0", "layer": "4.5"},
        "domain": "enterprise-attack",
        "description": format!("{} rules", rules.len()),
        "techniques": list,
        "gradient": {"colors": ["#ffe766", "#ff6666"], "minValue": 0, "maxValue": max},
        "legendItems": [],
        "showTacticRowBackground": false,
    })
}
