//! The dispatch index: which rules can possibly match an event, decided from its cheap
//! discriminators (`event.action`, `event.provider`) before any rule's full matcher runs.
//!
//! For every rule the query is analysed for what it *implies*: `a:x and b:y` implies `a = x`;
//! `a:(x or y)` implies `a ∈ {x, y}`; an `or` implies a set only when every branch does; `not`
//! and wildcards imply nothing. A rule is filed under each `event.action` value it implies, else
//! under each `event.provider` value, else in the list checked for every event. The index is
//! conservative: it never drops a rule that could match; the full matcher decides.

use kql::{Node, Value as Kv};
use std::collections::{BTreeSet, HashMap};

/// Values a field must take for the query to match (`None`: no constraint found).
pub fn implied_values(node: &Node, field: &str) -> Option<BTreeSet<String>> {
    match node {
        Node::Is { field: Kv::Str { text, .. }, value } if text == field => match value {
            Kv::Str { text, .. } => Some(BTreeSet::from([text.clone()])),
            Kv::Bool(b) => Some(BTreeSet::from([b.to_string()])),
            _ => None,
        },
        Node::And(children) => children
            .iter()
            .filter_map(|c| implied_values(c, field))
            .reduce(|a, b| a.intersection(&b).cloned().collect()),
        Node::Or(children) => {
            let mut acc = BTreeSet::new();
            for c in children {
                acc.extend(implied_values(c, field)?);
            }
            Some(acc)
        }
        _ => None,
    }
}

/// Rules filed by discriminator.
#[derive(Debug, Default, Clone)]
pub struct DispatchIndex {
    by_action: HashMap<String, Vec<usize>>,
    by_provider: HashMap<String, Vec<usize>>,
    always: Vec<usize>,
    rules: usize,
}

impl DispatchIndex {
    /// Build from each rule's query tree (`None` for a rule that must see every event).
    pub fn build<'a>(trees: impl IntoIterator<Item = Option<&'a Node>>) -> Self {
        let mut idx = DispatchIndex::default();
        for (i, tree) in trees.into_iter().enumerate() {
            idx.rules += 1;
            let Some(tree) = tree else {
                idx.always.push(i);
                continue;
            };
            if let Some(actions) = implied_values(tree, "event.action") {
                for a in actions {
                    idx.by_action.entry(a).or_default().push(i);
                }
            } else if let Some(providers) = implied_values(tree, "event.provider") {
                for p in providers {
                    idx.by_provider.entry(p).or_default().push(i);
                }
            } else {
                idx.always.push(i);
            }
        }
        idx
    }

    /// Rules that may match an event with this provider and action (sorted, no duplicates).
    /// `None` for either means the event's value is unknown: every rule filed under that key
    /// is a candidate.
    pub fn candidates(&self, provider: Option<&str>, action: Option<&str>, out: &mut Vec<usize>) {
        out.clear();
        out.extend_from_slice(&self.always);
        match action {
            Some(a) => {
                if let Some(v) = self.by_action.get(a) {
                    out.extend_from_slice(v);
                }
            }
            None => self.by_action.values().for_each(|v| out.extend_from_slice(v)),
        }
        match provider {
            Some(p) => {
                if let Some(v) = self.by_provider.get(p) {
                    out.extend_from_slice(v);
                }
            }
            None => self.by_provider.values().for_each(|v| out.extend_from_slice(v)),
        }
        out.sort_unstable();
        out.dedup();
    }

    /// True when no rule needs to see events with this provider and action.
    pub fn is_irrelevant(&self, provider: &str, action: &str) -> bool {
        self.always.is_empty()
            && !self.by_action.contains_key(action)
            && !self.by_provider.contains_key(provider)
    }

    /// Rules checked for every event.
    pub fn always(&self) -> &[usize] {
        &self.always
    }

    /// (rules filed by action, by provider, checked for every event)
    pub fn shape(&self) -> (usize, usize, usize) {
        let distinct = |m: &HashMap<String, Vec<usize>>| {
            let mut v: Vec<usize> = m.values().flatten().copied().collect();
            v.sort_unstable();
            v.dedup();
            v.len()
        };
        (distinct(&self.by_action), distinct(&self.by_provider), self.always.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn implied(q: &str, f: &str) -> Option<Vec<String>> {
        implied_values(&kql::parse(q).unwrap(), f).map(|s| s.into_iter().collect())
    }

    #[test]
    fn implications() {
        assert_eq!(implied("event.action:A and x:1", "event.action"), Some(vec!["A".into()]));
        assert_eq!(
            implied("event.action:(A or B) and x:1", "event.action"),
            Some(vec!["A".into(), "B".into()])
        );
        assert_eq!(implied("event.action:A or x:1", "event.action"), None);
        assert_eq!(implied("not event.action:A", "event.action"), None);
        assert_eq!(implied("event.action:A*", "event.action"), None);
        assert_eq!(
            implied("event.action:(A or B) and event.action:B", "event.action"),
            Some(vec!["B".into()])
        );
        assert_eq!(
            implied("(event.action:A and y:1) or (event.action:C and z:2)", "event.action"),
            Some(vec!["A".into(), "C".into()])
        );
    }

    #[test]
    fn candidates() {
        let trees: Vec<Node> = ["event.action:A", "event.provider:p and x:1", "x:1", "event.action:(A or B)"]
            .iter()
            .map(|q| kql::parse(q).unwrap())
            .collect();
        let idx = DispatchIndex::build(trees.iter().map(Some));
        let mut out = Vec::new();
        idx.candidates(Some("p"), Some("A"), &mut out);
        assert_eq!(out, [0, 1, 2, 3]);
        idx.candidates(Some("q"), Some("B"), &mut out);
        assert_eq!(out, [2, 3]);
        idx.candidates(Some("q"), Some("Z"), &mut out);
        assert_eq!(out, [2]);
        idx.candidates(None, None, &mut out);
        assert_eq!(out, [0, 1, 2, 3]);
    }
}
