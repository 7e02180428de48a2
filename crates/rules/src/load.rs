//! Loading rules from detection-rules TOML, Kibana NDJSON exports, prebuilt package assets and
//! the published rule pages, into one [`Rule`] model.

use crate::model::{Format, Rule, RuleTest, SourceRef};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// A rule file that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

/// Rules and the errors met while loading them.
#[derive(Debug, Default)]
pub struct Loaded {
    pub rules: Vec<Rule>,
    pub errors: Vec<LoadError>,
    /// Files that were skipped because they hold no rules (export summaries and the like).
    pub skipped: Vec<PathBuf>,
    /// Exception items found in exports (`{item_id, list_id, entries, ...}`), for the engine.
    pub exception_items: Vec<Value>,
    /// Value lists for `is in list` exceptions: `value-lists/<list id>.txt`, one value per line.
    pub value_lists: std::collections::HashMap<String, Vec<String>>,
}

impl Loaded {
    fn err(&mut self, path: &Path, line: Option<usize>, message: impl Into<String>) {
        self.errors.push(LoadError { path: path.to_path_buf(), line, message: message.into() });
    }
}

/// Load every rule under the given paths (files or folders; a detection-rules checkout is
/// recognised and only its `rules/` and `rules_building_block/` are read).
pub fn load_paths<P: AsRef<Path>>(paths: &[P]) -> Loaded {
    let mut out = Loaded::default();
    for p in paths {
        let p = p.as_ref();
        if p.is_dir() {
            let roots: Vec<PathBuf> = if p.join("rules").is_dir() && p.join("detection_rules").is_dir() {
                ["rules", "rules_building_block"].iter().map(|d| p.join(d)).filter(|d| d.is_dir()).collect()
            } else {
                vec![p.to_path_buf()]
            };
            let mut files = Vec::new();
            for r in roots {
                walk(&r, &mut files);
            }
            for f in files {
                load_file(&f, &mut out);
            }
        } else if p.is_file() {
            load_file(p, &mut out);
        } else {
            out.err(p, None, "no such file or directory");
        }
    }
    out
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            walk(&p, files);
        } else if ["toml", "ndjson", "json", "md"].iter().any(|e| name.ends_with(&format!(".{e}")))
            || (name.ends_with(".txt") && dir.ends_with("value-lists"))
                && !name.eq_ignore_ascii_case("README.md")
        {
            files.push(p);
        }
    }
}

/// Load one file, choosing the format from its extension and content.
pub fn load_file(path: &Path, out: &mut Loaded) {
    if path.extension().is_some_and(|e| e == "txt")
        && path.parent().is_some_and(|p| p.ends_with("value-lists"))
    {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let id = path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
                let values = text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(str::to_string);
                out.value_lists.entry(id).or_default().extend(values);
            }
            Err(e) => out.err(path, None, format!("cannot read: {e}")),
        }
        return;
    }
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return out.err(path, None, format!("cannot read: {e}")),
    };
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "toml" => match parse_toml(&text, path) {
            Ok(r) => out.rules.push(r),
            Err(e) => out.errors.push(e),
        },
        "md" => match parse_markdown(&text, path) {
            Ok(r) => out.rules.push(r),
            Err(e) => out.errors.push(e),
        },
        _ => parse_json_file(&text, path, out),
    }
}

/// The 1-based line where `key = ...` is written in a TOML text, if it can be found.
pub fn toml_key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => json!(i),
        toml::Value::Float(f) => json!(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect()),
    }
}

/// Parse a detection-rules TOML rule.
pub fn parse_toml(text: &str, path: &Path) -> Result<Rule, LoadError> {
    let err = |line: Option<usize>, message: String| LoadError { path: path.to_path_buf(), line, message };
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        err(line, format!("invalid TOML: {}", e.message()))
    })?;
    let Value::Object(mut doc) = toml_to_json(toml::Value::Table(table)) else { unreachable!() };
    let Some(Value::Object(mut params)) = doc.remove("rule") else {
        return Err(err(None, "no [rule] table".into()));
    };
    let metadata = match doc.remove("metadata") {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    to_api_form(&mut params);
    let tests = match doc.remove("tests") {
        Some(v) => parse_tests(&v).map_err(|m| err(toml_key_line(text, "event"), m))?,
        None => Vec::new(),
    };
    Ok(Rule {
        params,
        metadata,
        tests,
        source: SourceRef {
            path: path.to_path_buf(),
            line: None,
            format: Format::Toml,
            text: Some(text.into()),
        },
    })
}

/// The detection-rules build transform into Kibana's API form: new_terms flattened, threat
/// techniques always present.
fn to_api_form(params: &mut Map<String, Value>) {
    if let Some(Value::Object(nt)) = params.get("new_terms").cloned() {
        if nt.get("field").and_then(Value::as_str) == Some("new_terms_fields") {
            params.shift_remove("new_terms");
            if let Some(v) = nt.get("value") {
                params.insert("new_terms_fields".into(), v.clone());
            }
            if let Some(Value::Array(h)) = nt.get("history_window_start") {
                if let Some(v) = h.iter().find_map(|x| x.get("value")) {
                    params.insert("history_window_start".into(), v.clone());
                }
            }
        }
    }
    if let Some(Value::Array(threats)) = params.get_mut("threat") {
        for t in threats {
            if let Some(o) = t.as_object_mut() {
                o.entry("technique").or_insert_with(|| Value::Array(Vec::new()));
            }
        }
    }
}

fn parse_tests(v: &Value) -> Result<Vec<RuleTest>, String> {
    let Value::Array(items) = v else { return Err("[[tests]] must be an array of tables".into()) };
    items
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let name = t
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("test {}", i + 1));
            let should_match = match t.get("expect").and_then(Value::as_str) {
                Some("match") => true,
                Some("no_match") => false,
                _ => return Err(format!("{name}: expect must be \"match\" or \"no_match\"")),
            };
            let event = match t.get("event") {
                Some(Value::String(s)) => {
                    serde_json::from_str(s).map_err(|e| format!("{name}: event is not JSON: {e}"))?
                }
                Some(Value::Object(o)) => Value::Object(o.clone()),
                _ => return Err(format!("{name}: event must be a JSON string or a table")),
            };
            Ok(RuleTest { name, should_match, event })
        })
        .collect()
}

fn parse_json_file(text: &str, path: &Path, out: &mut Loaded) {
    // A single JSON document (package asset, or one rule object)?
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return match classify_json(v) {
            Some(Ok((params, format))) => out.rules.push(Rule {
                params,
                metadata: Map::new(),
                tests: Vec::new(),
                source: SourceRef { path: path.to_path_buf(), line: None, format, text: None },
            }),
            Some(Err(m)) => out.err(path, None, m),
            None => out.skipped.push(path.to_path_buf()),
        };
    }
    // NDJSON (a Kibana export)
    let mut any = false;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(v) if is_exception_item(&v) => {
                any = true;
                out.exception_items.push(v);
            }
            Ok(v) => match classify_json(v) {
                Some(Ok((params, _))) => {
                    any = true;
                    out.rules.push(Rule {
                        params,
                        metadata: Map::new(),
                        tests: Vec::new(),
                        source: SourceRef {
                            path: path.to_path_buf(),
                            line: Some(i + 1),
                            format: Format::Ndjson,
                            text: None,
                        },
                    });
                }
                Some(Err(m)) => out.err(path, Some(i + 1), m),
                None => {}
            },
            Err(e) => out.err(path, Some(i + 1), format!("invalid JSON: {e}")),
        }
    }
    if !any && !out.errors.iter().any(|e| e.path == path) {
        out.skipped.push(path.to_path_buf());
    }
}

/// An exception item as Kibana exports it.
fn is_exception_item(v: &Value) -> bool {
    v.get("item_id").is_some() && v.get("list_id").is_some() && v.get("entries").is_some_and(Value::is_array)
}

/// A JSON value as a rule: `None` for things that are not rules (exception lists, export summary).
type Classified = Option<Result<(Map<String, Value>, Format), String>>;

fn classify_json(v: Value) -> Classified {
    let Value::Object(mut o) = v else { return Some(Err("expected a JSON object".into())) };
    if o.get("type").and_then(Value::as_str) == Some("security-rule") {
        return Some(match o.remove("attributes") {
            Some(Value::Object(mut a)) => {
                to_api_form(&mut a);
                Ok((a, Format::PackageJson))
            }
            _ => Err("security-rule asset without attributes".into()),
        });
    }
    if o.contains_key("rule_id")
        && (o.contains_key("type") || o.contains_key("query") || o.contains_key("name"))
    {
        to_api_form(&mut o);
        return Some(Ok((o, Format::Ndjson)));
    }
    None
}

/// Parse the rule page Elastic publishes (the docs' markdown).
pub fn parse_markdown(text: &str, path: &Path) -> Result<Rule, LoadError> {
    let err = |line: Option<usize>, message: &str| LoadError {
        path: path.to_path_buf(),
        line,
        message: message.to_string(),
    };
    let lines: Vec<&str> = text.lines().collect();
    let strip_anchor = |s: &str| -> String {
        let s = s.trim();
        match s.rfind(" [") {
            Some(i) if s.ends_with(']') => s[..i].trim().to_string(),
            _ => s.to_string(),
        }
    };
    let h1 = lines
        .iter()
        .position(|l| l.starts_with("# "))
        .ok_or_else(|| err(None, "no '# Rule name' heading"))?;
    let mut params = Map::new();
    params.insert("name".into(), Value::String(strip_anchor(&lines[h1][2..])));
    // description: the paragraph after the heading
    let mut i = h1 + 1;
    let mut desc = Vec::new();
    while i < lines.len() && !lines[i].starts_with("**") && !lines[i].starts_with("## ") {
        desc.push(lines[i]);
        i += 1;
    }
    params.insert("description".into(), Value::String(desc.join("\n").trim().to_string()));

    let list_after = |start: usize| -> Vec<String> {
        let mut out = Vec::new();
        let mut j = start + 1;
        while j < lines.len() {
            let l = lines[j].trim();
            if let Some(item) = l.strip_prefix("* ") {
                out.push(link_text(item));
            } else if !l.is_empty() {
                break;
            }
            j += 1;
        }
        out
    };
    let mut section_start: Vec<(String, usize)> = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        if let Some(h) = line.strip_prefix("## ") {
            section_start.push((strip_anchor(h), n));
        }
        let Some(rest) = line.strip_prefix("**") else { continue };
        let Some((label, value)) = rest.split_once("**:") else { continue };
        let value = value.trim();
        let first_word = value.split_whitespace().next().unwrap_or("").to_string();
        match label {
            "Rule type" => {
                params.insert("type".into(), json!(value));
            }
            "Rule indices" => {
                params.insert("index".into(), json!(list_after(n)));
            }
            "Severity" => {
                params.insert("severity".into(), json!(value));
            }
            "Risk score" => {
                params.insert(
                    "risk_score".into(),
                    value.parse::<i64>().map(|v| json!(v)).unwrap_or(json!(value)),
                );
            }
            "Runs every" => {
                params.insert("interval".into(), json!(value));
            }
            "Searches indices from" => {
                params.insert("from".into(), json!(first_word));
            }
            "Maximum alerts per execution" => {
                params.insert(
                    "max_signals".into(),
                    value.parse::<i64>().map(|v| json!(v)).unwrap_or(json!(value)),
                );
            }
            "References" => {
                params.insert("references".into(), json!(list_after(n)));
            }
            "Tags" => {
                params.insert("tags".into(), json!(list_after(n)));
            }
            "Version" => {
                params
                    .insert("version".into(), value.parse::<i64>().map(|v| json!(v)).unwrap_or(json!(value)));
            }
            "Rule authors" => {
                params.insert("author".into(), json!(list_after(n)));
            }
            "Rule license" => {
                params.insert("license".into(), json!(value));
            }
            _ => {}
        }
    }
    let section_text = |name: &str| -> Option<String> {
        let idx = section_start.iter().position(|(n, _)| n == name)?;
        let start = section_start[idx].1 + 1;
        let end = section_start.get(idx + 1).map_or(lines.len(), |(_, l)| *l);
        Some(lines[start..end].join("\n").trim().to_string())
    };
    if let Some(guide) = section_text("Investigation guide") {
        params.insert("note".into(), json!(guide));
    }
    if let Some(setup) = section_text("Setup") {
        params.insert("setup".into(), json!(setup));
    }
    let query_section = section_start.iter().position(|(n, _)| n == "Rule query");
    if let Some(idx) = query_section {
        let start = section_start[idx].1;
        let fence = lines[start..].iter().position(|l| l.starts_with("```")).map(|k| k + start);
        if let Some(f) = fence {
            let close = lines[f + 1..]
                .iter()
                .position(|l| l.starts_with("```"))
                .map(|k| k + f + 1)
                .unwrap_or(lines.len());
            let lang = lines[f].trim_start_matches('`').trim();
            let query = lines[f + 1..close].join("\n");
            params.insert("query".into(), json!(format!("{query}\n")));
            let language = match (params.get("type").and_then(Value::as_str), lang) {
                (Some("eql"), _) => "eql",
                (Some("esql"), _) => "esql",
                _ => "kuery",
            };
            params.insert("language".into(), json!(language));
            params.insert("threat".into(), Value::Array(parse_page_threat(&lines[close..])));
        }
    }
    if !params.contains_key("type") {
        return Err(err(Some(h1 + 1), "no **Rule type** line: not a rule page"));
    }
    Ok(Rule {
        params,
        metadata: Map::new(),
        tests: Vec::new(),
        source: SourceRef {
            path: path.to_path_buf(),
            line: None,
            format: Format::Markdown,
            text: Some(text.into()),
        },
    })
}

/// `[text](url)` → `text`.
fn link_text(s: &str) -> String {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('[') {
        if let Some(end) = rest.find("](") {
            return rest[..end].to_string();
        }
    }
    s.to_string()
}

/// The page's "**Framework**: MITRE ATT&CK" blocks.
fn parse_page_threat(lines: &[&str]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut level = "";
    let mut cur = Map::new();
    let flush = |level: &str, cur: &mut Map<String, Value>, out: &mut Vec<Value>| {
        if cur.is_empty() {
            return;
        }
        let entry = Value::Object(std::mem::take(cur));
        match level {
            "Tactic" => out.push(json!({"framework": "MITRE ATT&CK", "tactic": entry, "technique": []})),
            "Technique" => {
                if let Some(t) =
                    out.last_mut().and_then(|t| t.get_mut("technique")).and_then(Value::as_array_mut)
                {
                    t.push(entry);
                }
            }
            "Sub-technique" => {
                if let Some(tech) = out
                    .last_mut()
                    .and_then(|t| t.get_mut("technique"))
                    .and_then(Value::as_array_mut)
                    .and_then(|t| t.last_mut())
                    .and_then(Value::as_object_mut)
                {
                    let subs = tech.entry("subtechnique").or_insert_with(|| Value::Array(Vec::new()));
                    if let Some(a) = subs.as_array_mut() {
                        a.push(entry);
                    }
                }
            }
            _ => {}
        }
    };
    for line in lines {
        let l = line.trim();
        if let Some(head) = l.strip_prefix("* ").and_then(|h| h.strip_suffix(':')) {
            flush(level, &mut cur, &mut out);
            level = match head {
                "Tactic" => "Tactic",
                "Technique" => "Technique",
                "Sub-technique" => "Sub-technique",
                _ => "",
            };
            continue;
        }
        if let Some(kv) = l.strip_prefix("* ") {
            if let Some((k, v)) = kv.split_once(": ") {
                let key = match k {
                    "Name" => "name",
                    "ID" => "id",
                    "Reference URL" => "reference",
                    _ => continue,
                };
                cur.insert(key.into(), Value::String(link_text(v)));
            }
        }
    }
    flush(level, &mut cur, &mut out);
    out
}
