//! One rule model for every source format.
//!
//! A rule is kept in Kibana's API form (`params`: the snake_case keys of the detection-rules
//! `[rule]` table, with new-terms flattened as the build step does), so nothing a rule carries is
//! lost whatever its type. Typed accessors give the engine what it needs, with Kibana's defaults.

use serde_json::{Map, Value};
use std::path::PathBuf;

/// The rule fields Elastic's published rule page shows (and so can be compared across formats).
pub const PAGE_FIELDS: &[&str] = &[
    "name",
    "type",
    "index",
    "severity",
    "risk_score",
    "interval",
    "from",
    "references",
    "tags",
    "author",
    "license",
    "query",
    "language",
    "threat",
];

/// Where a rule was loaded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRef {
    pub path: PathBuf,
    /// 1-based line in the file (NDJSON line, or where the rule starts).
    pub line: Option<usize>,
    pub format: Format,
    /// The file's text (TOML and rule pages), for pointing at lines in diagnostics.
    pub text: Option<std::sync::Arc<str>>,
}

/// The formats rules are loaded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// detection-rules TOML.
    Toml,
    /// Kibana's `_export` NDJSON.
    Ndjson,
    /// A prebuilt package asset `{"attributes": ..., "type": "security-rule"}`.
    PackageJson,
    /// The rule page Elastic publishes (markdown).
    Markdown,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Toml => "toml",
            Format::Ndjson => "ndjson",
            Format::PackageJson => "package-json",
            Format::Markdown => "markdown",
        }
    }
}

/// A rule's example event and whether it must match (a trailhound extension: `[[tests]]`).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleTest {
    pub name: String,
    pub should_match: bool,
    /// A raw CloudTrail record or an ECS document.
    pub event: Value,
}

/// A detection rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The rule in Kibana's API form (snake_case keys).
    pub params: Map<String, Value>,
    /// detection-rules `[metadata]` (TOML only).
    pub metadata: Map<String, Value>,
    pub tests: Vec<RuleTest>,
    pub source: SourceRef,
}

/// Rule types Kibana knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleType {
    Query,
    SavedQuery,
    Eql,
    Esql,
    Threshold,
    NewTerms,
    MachineLearning,
    ThreatMatch,
}

impl RuleType {
    pub const ALL: [RuleType; 8] = [
        RuleType::Query,
        RuleType::SavedQuery,
        RuleType::Eql,
        RuleType::Esql,
        RuleType::Threshold,
        RuleType::NewTerms,
        RuleType::MachineLearning,
        RuleType::ThreatMatch,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        RuleType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RuleType::Query => "query",
            RuleType::SavedQuery => "saved_query",
            RuleType::Eql => "eql",
            RuleType::Esql => "esql",
            RuleType::Threshold => "threshold",
            RuleType::NewTerms => "new_terms",
            RuleType::MachineLearning => "machine_learning",
            RuleType::ThreatMatch => "threat_match",
        }
    }
}

/// Severities, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// One MITRE ATT&CK entry of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tactic {
    pub id: String,
    pub name: String,
    pub techniques: Vec<Technique>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Technique {
    pub id: String,
    pub name: String,
    pub subtechniques: Vec<(String, String)>,
}

impl Rule {
    pub fn str(&self, key: &str) -> Option<&str> {
        self.params.get(key).and_then(Value::as_str)
    }

    fn strings(&self, key: &str) -> Vec<String> {
        match self.params.get(key) {
            Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }

    pub fn name(&self) -> &str {
        self.str("name").unwrap_or("(unnamed rule)")
    }

    /// The rule's `rule_id`; rules read from a published page carry none, and get a stable one
    /// derived from their name.
    pub fn rule_id(&self) -> String {
        match self.str("rule_id") {
            Some(id) => id.to_string(),
            None => derived_uuid(self.name()),
        }
    }

    /// The Kibana saved-object id (`id`), which alert ids hash; the `rule_id` when absent.
    pub fn saved_object_id(&self) -> String {
        self.str("id").map(str::to_string).unwrap_or_else(|| self.rule_id())
    }

    pub fn rule_type(&self) -> Option<RuleType> {
        self.str("type").and_then(RuleType::parse)
    }

    pub fn type_name(&self) -> &str {
        self.str("type").unwrap_or("?")
    }

    pub fn language(&self) -> Option<&str> {
        self.str("language").or(match self.rule_type() {
            Some(RuleType::Query | RuleType::Threshold | RuleType::NewTerms | RuleType::SavedQuery) => {
                Some("kuery")
            }
            Some(RuleType::Eql) => Some("eql"),
            Some(RuleType::Esql) => Some("esql"),
            _ => None,
        })
    }

    pub fn query(&self) -> Option<&str> {
        self.str("query")
    }

    pub fn index(&self) -> Vec<String> {
        self.strings("index")
    }

    pub fn interval(&self) -> &str {
        self.str("interval").unwrap_or("5m")
    }

    pub fn from(&self) -> &str {
        self.str("from").unwrap_or("now-6m")
    }

    pub fn to(&self) -> &str {
        self.str("to").unwrap_or("now")
    }

    pub fn max_signals(&self) -> u64 {
        self.params.get("max_signals").and_then(Value::as_u64).unwrap_or(100)
    }

    pub fn severity(&self) -> Option<Severity> {
        self.str("severity").and_then(Severity::parse)
    }

    pub fn risk_score(&self) -> Option<i64> {
        self.params.get("risk_score").and_then(Value::as_i64)
    }

    pub fn version(&self) -> Option<i64> {
        self.params.get("version").and_then(Value::as_i64)
    }

    pub fn tags(&self) -> Vec<String> {
        self.strings("tags")
    }

    pub fn authors(&self) -> Vec<String> {
        self.strings("author")
    }

    pub fn references(&self) -> Vec<String> {
        self.strings("references")
    }

    pub fn timestamp_override(&self) -> Option<&str> {
        self.str("timestamp_override")
    }

    pub fn is_building_block(&self) -> bool {
        self.str("building_block_type").is_some()
    }

    pub fn description(&self) -> &str {
        self.str("description").unwrap_or("")
    }

    /// The investigation guide (`note`).
    pub fn note(&self) -> Option<&str> {
        self.str("note")
    }

    pub fn setup(&self) -> Option<&str> {
        self.str("setup")
    }

    pub fn deprecated(&self) -> bool {
        self.metadata.get("maturity").and_then(Value::as_str) == Some("deprecated")
            || self.params.get("deprecated").and_then(Value::as_bool) == Some(true)
    }

    /// The MITRE ATT&CK mapping.
    pub fn threat(&self) -> Vec<Tactic> {
        let Some(Value::Array(entries)) = self.params.get("threat") else { return Vec::new() };
        let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        entries
            .iter()
            .map(|e| {
                let tactic = e.get("tactic").cloned().unwrap_or(Value::Null);
                let techniques = e
                    .get("technique")
                    .and_then(Value::as_array)
                    .map(|ts| {
                        ts.iter()
                            .map(|t| Technique {
                                id: s(t, "id"),
                                name: s(t, "name"),
                                subtechniques: t
                                    .get("subtechnique")
                                    .and_then(Value::as_array)
                                    .map(|ss| ss.iter().map(|x| (s(x, "id"), s(x, "name"))).collect())
                                    .unwrap_or_default(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                Tactic { id: s(&tactic, "id"), name: s(&tactic, "name"), techniques }
            })
            .collect()
    }

    /// Where the rule came from, for messages: `path` or `path:line`.
    pub fn location(&self) -> String {
        match self.source.line {
            Some(l) => format!("{}:{l}", self.source.path.display()),
            None => self.source.path.display().to_string(),
        }
    }
}

/// A stable UUID-shaped id derived from a name (for rules that carry no `rule_id`).
pub fn derived_uuid(name: &str) -> String {
    // FNV-1a 128-bit: stable, dependency-free; this is an identifier, not a security measure.
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    for b in name.bytes() {
        h ^= b as u128;
        h = h.wrapping_mul(0x0000000001000000000000000000013B);
    }
    let x = format!("{h:032x}");
    format!("{}-{}-5{}-8{}-{}", &x[0..8], &x[8..12], &x[13..16], &x[17..20], &x[20..32])
}
