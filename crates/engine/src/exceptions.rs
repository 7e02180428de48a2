//! Elastic's rule exceptions (elastic-semantics.md §5.5): an event an exception item matches
//! produces no alert.
//!
//! An item matches when *all* its entries do; a rule's event is excepted when *any* item of the
//! lists it references matches. Entry types and operators:
//!
//! | entry | included ("is ...") | excluded ("is not ...") |
//! |---|---|---|
//! | `match` | the field equals the value (`match_phrase`: by field type, case-sensitive) | not so (true when the field is missing) |
//! | `match_any` | equals one of the values | equals none |
//! | `exists` | the field has a value | it has none |
//! | `wildcard` ("matches") | a value matches the pattern (`*`, `?`, `\` escapes, case-sensitive) | none does |
//! | `list` ("is in list") | a value is in the value list (ip lists: addresses, CIDRs, `a-b` ranges) | none is (a missing field is excluded) |
//! | `nested` | one object under the field satisfies all inner entries | |
//!
//! Items past their `expire_time` are not applied; `os_types` adds a `host.os.type` condition.

use ecs::time::Millis;
use ecs::Matcher;
use kql::{Node, Pattern, PatternPart, Value as Kv};
use serde_json::Value;
use std::collections::HashMap;

/// Values of the value lists entries refer to, by list id.
#[derive(Debug, Clone, Default)]
pub struct ValueLists(pub HashMap<String, Vec<String>>);

#[derive(Debug, Clone)]
enum Cond {
    /// A compiled KQL-equivalent test.
    Query(Box<Matcher>),
    Wildcard {
        field: String,
        pattern: Vec<WChar>,
    },
    List {
        field: String,
        list_id: String,
        ip: bool,
    },
    Nested {
        field: String,
        entries: Vec<(Cond, bool)>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum WChar {
    Lit(char),
    Any,
    One,
}

/// One exception item, compiled.
#[derive(Debug, Clone)]
pub struct Item {
    pub list_id: String,
    pub item_id: String,
    pub name: String,
    expire_time: Option<Millis>,
    /// (condition, excluded)
    entries: Vec<(Cond, bool)>,
}

fn is_node(field: &str, value: Kv) -> Node {
    Node::Is { field: Kv::str(field), value }
}

fn parse_entry(e: &Value) -> Result<(Cond, bool), String> {
    let s = |k: &str| e.get(k).and_then(Value::as_str);
    let field = s("field").ok_or("exception entry without a field")?.to_string();
    let excluded = s("operator") == Some("excluded");
    let cond = match s("type").ok_or("exception entry without a type")? {
        "match" => {
            let v = s("value").ok_or("match entry without a string value")?;
            Cond::Query(Box::new(Matcher::new(&is_node(&field, Kv::quoted(v)))))
        }
        "match_any" => {
            let vs: Vec<Node> = e
                .get("value")
                .and_then(Value::as_array)
                .ok_or("match_any entry without a list of values")?
                .iter()
                .filter_map(Value::as_str)
                .map(|v| is_node(&field, Kv::quoted(v)))
                .collect();
            Cond::Query(Box::new(Matcher::new(&Node::Or(vs))))
        }
        "exists" => Cond::Query(Box::new(Matcher::new(&is_node(
            &field,
            Kv::Wildcard(Pattern(vec![PatternPart::Star])),
        )))),
        "wildcard" => {
            Cond::Wildcard { pattern: wildcard(s("value").ok_or("wildcard entry without a value")?), field }
        }
        "list" => {
            let list = e.get("list").ok_or("list entry without a list")?;
            let list_id =
                list.get("id").and_then(Value::as_str).ok_or("list entry without a list id")?.to_string();
            let ty = list.get("type").and_then(Value::as_str).unwrap_or("keyword");
            Cond::List { field, list_id, ip: matches!(ty, "ip" | "ip_range") }
        }
        "nested" => {
            let inner = e.get("entries").and_then(Value::as_array).ok_or("nested entry without entries")?;
            Cond::Nested { entries: inner.iter().map(parse_entry).collect::<Result<_, _>>()?, field }
        }
        other => return Err(format!("unknown exception entry type {other:?}")),
    };
    Ok((cond, excluded))
}

/// Elastic's wildcard syntax: `*`, `?`, and `\` escaping the next character.
fn wildcard(p: &str) -> Vec<WChar> {
    let mut out = Vec::new();
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        out.push(match c {
            '*' => WChar::Any,
            '?' => WChar::One,
            '\\' => WChar::Lit(chars.next().unwrap_or('\\')),
            c => WChar::Lit(c),
        });
    }
    out
}

fn wildcard_match(p: &[WChar], s: &[char]) -> bool {
    // iterative matching with backtracking to the last `*`
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(WChar::Lit(c)) if *c == s[si] => {
                pi += 1;
                si += 1;
            }
            Some(WChar::One) => {
                pi += 1;
                si += 1;
            }
            Some(WChar::Any) => {
                star = Some((pi, si));
                pi += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == WChar::Any)
}

fn in_list(values: &[String], v: &str, ip: bool) -> bool {
    if !ip {
        return values.iter().any(|x| x == v);
    }
    let Some(addr) = ecs::ip::parse_ip(v) else { return false };
    values.iter().any(|x| match x.split_once('-') {
        Some((a, b)) => match (ecs::ip::parse_ip(a), ecs::ip::parse_ip(b)) {
            (Some(a), Some(b)) => a <= addr && addr <= b,
            _ => false,
        },
        None => ecs::ip::parse_cidr(x).is_some_and(|r| r.contains(addr)),
    })
}

impl Cond {
    fn holds(&self, doc: &Value, lists: &ValueLists) -> bool {
        match self {
            Cond::Query(m) => m.matches(doc),
            Cond::Wildcard { field, pattern } => ecs::matcher::field_strings(doc, field).iter().any(|v| {
                let chars: Vec<char> = v.chars().collect();
                wildcard_match(pattern, &chars)
            }),
            Cond::List { field, list_id, ip } => {
                let values = lists.0.get(list_id).map(Vec::as_slice).unwrap_or(&[]);
                ecs::matcher::field_strings(doc, field).iter().any(|v| in_list(values, v, *ip))
            }
            Cond::Nested { field, entries } => ecs::doc::any_value(doc, field, |obj| {
                obj.is_object() && entries.iter().all(|(c, excluded)| c.holds(obj, lists) != *excluded)
            }),
        }
    }
}

impl Item {
    /// Parse an exception item (`{item_id, list_id, entries, ...}` as Kibana exports it).
    pub fn parse(v: &Value) -> Result<Item, String> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let entries = v.get("entries").and_then(Value::as_array).ok_or("exception item without entries")?;
        let mut parsed: Vec<(Cond, bool)> = entries.iter().map(parse_entry).collect::<Result<_, _>>()?;
        if let Some(Value::Array(os)) = v.get("os_types") {
            let values: Vec<Node> =
                os.iter().filter_map(Value::as_str).map(|o| is_node("host.os.type", Kv::quoted(o))).collect();
            if !values.is_empty() {
                parsed.push((Cond::Query(Box::new(Matcher::new(&Node::Or(values)))), false));
            }
        }
        Ok(Item {
            list_id: s("list_id").ok_or("exception item without list_id")?,
            item_id: s("item_id").unwrap_or_default(),
            name: s("name").unwrap_or_default(),
            expire_time: s("expire_time").and_then(|t| ecs::time::parse_date(&t)).map(|d| d.lo),
            entries: parsed,
        })
    }

    /// Does the item except this event at time `now`?
    pub fn matches(&self, doc: &Value, lists: &ValueLists, now: Millis) -> bool {
        if self.expire_time.is_some_and(|t| t <= now) {
            return false;
        }
        !self.entries.is_empty() && self.entries.iter().all(|(c, excluded)| c.holds(doc, lists) != *excluded)
    }
}

/// The exception items that apply to one rule.
#[derive(Debug, Clone, Default)]
pub struct Exceptions {
    pub items: Vec<Item>,
}

impl Exceptions {
    /// The items of the lists a rule references (`exceptions_list: [{list_id, ...}]`).
    pub fn for_rule(rule: &rules::Rule, all: &[Item]) -> Exceptions {
        let ids: Vec<&str> = rule
            .params
            .get("exceptions_list")
            .and_then(Value::as_array)
            .map(|l| l.iter().filter_map(|r| r.get("list_id").and_then(Value::as_str)).collect())
            .unwrap_or_default();
        Exceptions { items: all.iter().filter(|i| ids.contains(&i.list_id.as_str())).cloned().collect() }
    }

    pub fn excepts(&self, doc: &Value, lists: &ValueLists, now: Millis) -> bool {
        self.items.iter().any(|i| i.matches(doc, lists, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(entries: Value) -> Item {
        Item::parse(&json!({"item_id": "i", "list_id": "l", "type": "simple", "entries": entries})).unwrap()
    }

    fn doc() -> Value {
        json!({"user": {"name": "ci-bot"}, "source": {"ip": "10.1.2.3"}, "user_agent": {"original": "Terraform/1.9.8"},
               "event": {"action": "CreateAccessKey"}, "items": [{"k": "a", "v": "1"}, {"k": "b", "v": "2"}]})
    }

    fn yes(entries: Value) {
        assert!(item(entries.clone()).matches(&doc(), &lists(), 0), "{entries}");
    }
    fn no(entries: Value) {
        assert!(!item(entries.clone()).matches(&doc(), &lists(), 0), "{entries}");
    }
    fn lists() -> ValueLists {
        ValueLists(HashMap::from([
            ("bots".to_string(), vec!["ci-bot".to_string(), "deploy".to_string()]),
            ("nets".to_string(), vec!["10.0.0.0/8".to_string(), "192.168.1.1-192.168.1.9".to_string()]),
        ]))
    }

    #[test]
    fn is_and_is_not() {
        yes(json!([{"field": "user.name", "type": "match", "operator": "included", "value": "ci-bot"}]));
        no(json!([{"field": "user.name", "type": "match", "operator": "included", "value": "CI-BOT"}]));
        yes(json!([{"field": "user.name", "type": "match", "operator": "excluded", "value": "alice"}]));
        no(json!([{"field": "user.name", "type": "match", "operator": "excluded", "value": "ci-bot"}]));
        // "is not" on a missing field matches
        yes(json!([{"field": "user.email", "type": "match", "operator": "excluded", "value": "x"}]));
    }

    #[test]
    fn is_one_of_and_is_not_one_of() {
        yes(
            json!([{"field": "user.name", "type": "match_any", "operator": "included", "value": ["x", "ci-bot"]}]),
        );
        no(json!([{"field": "user.name", "type": "match_any", "operator": "included", "value": ["x", "y"]}]));
        yes(
            json!([{"field": "user.name", "type": "match_any", "operator": "excluded", "value": ["x", "y"]}]),
        );
        no(json!([{"field": "user.name", "type": "match_any", "operator": "excluded", "value": ["ci-bot"]}]));
    }

    #[test]
    fn exists_and_does_not_exist() {
        yes(json!([{"field": "user.name", "type": "exists", "operator": "included"}]));
        no(json!([{"field": "user.email", "type": "exists", "operator": "included"}]));
        yes(json!([{"field": "user.email", "type": "exists", "operator": "excluded"}]));
        no(json!([{"field": "user.name", "type": "exists", "operator": "excluded"}]));
    }

    #[test]
    fn matches_and_does_not_match() {
        yes(
            json!([{"field": "user_agent.original", "type": "wildcard", "operator": "included", "value": "Terraform/*"}]),
        );
        yes(
            json!([{"field": "user_agent.original", "type": "wildcard", "operator": "included", "value": "Terraform/?.9.8"}]),
        );
        no(
            json!([{"field": "user_agent.original", "type": "wildcard", "operator": "included", "value": "terraform/*"}]),
        );
        no(
            json!([{"field": "user_agent.original", "type": "wildcard", "operator": "included", "value": "Terraform\\*"}]),
        );
        yes(
            json!([{"field": "user_agent.original", "type": "wildcard", "operator": "excluded", "value": "aws-cli*"}]),
        );
        no(
            json!([{"field": "user_agent.original", "type": "wildcard", "operator": "excluded", "value": "*form*"}]),
        );
    }

    #[test]
    fn is_in_list_and_is_not_in_list() {
        yes(
            json!([{"field": "user.name", "type": "list", "operator": "included", "list": {"id": "bots", "type": "keyword"}}]),
        );
        yes(
            json!([{"field": "source.ip", "type": "list", "operator": "included", "list": {"id": "nets", "type": "ip_range"}}]),
        );
        no(
            json!([{"field": "source.ip", "type": "list", "operator": "excluded", "list": {"id": "nets", "type": "ip_range"}}]),
        );
        no(
            json!([{"field": "user.name", "type": "list", "operator": "included", "list": {"id": "unknown", "type": "keyword"}}]),
        );
    }

    #[test]
    fn nested_entries_need_one_object() {
        yes(json!([{"field": "items", "type": "nested", "entries": [
            {"field": "k", "type": "match", "operator": "included", "value": "a"},
            {"field": "v", "type": "match", "operator": "included", "value": "1"}]}]));
        no(json!([{"field": "items", "type": "nested", "entries": [
            {"field": "k", "type": "match", "operator": "included", "value": "a"},
            {"field": "v", "type": "match", "operator": "included", "value": "2"}]}]));
    }

    #[test]
    fn all_entries_of_an_item_must_hold() {
        yes(json!([{"field": "user.name", "type": "match", "operator": "included", "value": "ci-bot"},
                   {"field": "event.action", "type": "match", "operator": "included", "value": "CreateAccessKey"}]));
        no(json!([{"field": "user.name", "type": "match", "operator": "included", "value": "ci-bot"},
                  {"field": "event.action", "type": "match", "operator": "included", "value": "DeleteUser"}]));
    }

    #[test]
    fn expired_items_do_not_apply() {
        let i = Item::parse(&json!({"item_id": "i", "list_id": "l", "expire_time": "2026-01-01T00:00:00Z",
            "entries": [{"field": "user.name", "type": "match", "operator": "included", "value": "ci-bot"}]}))
        .unwrap();
        let t = |s: &str| ecs::time::parse_date(s).unwrap().lo;
        assert!(i.matches(&doc(), &lists(), t("2025-12-31T00:00:00Z")));
        assert!(!i.matches(&doc(), &lists(), t("2026-01-02T00:00:00Z")));
    }

    #[test]
    fn bad_items_are_errors() {
        assert!(Item::parse(&json!({"list_id": "l"})).is_err());
        assert!(Item::parse(&json!({"list_id": "l", "entries": [{"field": "a", "type": "regex"}]})).is_err());
    }
}
