//! Literal prefilter: a necessary condition on a raw record's bytes, derived from a rule's query.
//!
//! Most ECS fields of a normalized CloudTrail event copy a string of the raw record verbatim
//! (`user.name` is `userIdentity.userName`, flattened leaves are the raw values, ...). So when a
//! query requires such a field to equal `x` (or to match `*x*`), the text `x` must occur in the
//! raw record. A rule whose required literals are all absent cannot match, and the record need
//! not be normalized for it.
//!
//! Soundness rules:
//! - only positive requirements (never under `not`); `or` needs one alternative of each branch;
//! - only fields whose values are raw strings copied as they are (a whitelist below), never
//!   derived fields (`event.outcome`, `event.type`, booleans made from "Yes"/"No", lower-cased
//!   TLS protocol, reformatted dates) nor analysed text;
//! - only ASCII literals without `"`, `\` or control characters, so JSON escaping cannot hide
//!   them; and a record containing any backslash is never ruled out (it might escape a character
//!   of the literal, as `\/` or `\u0041` would);
//! - for the `Map.toString()` fields (`aws.cloudtrail.request_parameters` ...), only literals
//!   without the characters that rendering adds (`=`, `{`, `}`, `[`, `]`, `,`).

use kql::{Node, PatternPart, Value as Kv};
use memchr::memmem::Finder;

/// Fields whose every value is a raw record string, copied as it is.
const VERBATIM: &[&str] = &[
    "event.action",
    "event.provider",
    "event.id",
    "user.name",
    "user.id",
    "user.email",
    "user.target.name",
    "user.target.id",
    "user.changes.name",
    "group.name",
    "group.id",
    "service.name",
    "source.address",
    "source.ip",
    "user_agent.original",
    "cloud.region",
    "cloud.account.id",
    "tls.cipher",
    "tls.client.server_name",
    "related.user",
    "related.ip",
    "related.hosts",
];

/// `Map.toString()` copies: raw values appear inside, but among rendering characters.
const RENDERED: &[&str] = &[
    "aws.cloudtrail.request_parameters",
    "aws.cloudtrail.response_elements",
    "aws.cloudtrail.additional_eventdata",
    "aws.cloudtrail.service_event_details",
];

/// `aws.cloudtrail.*` keyword fields that are derived rather than copied.
const DERIVED_AWS: &[&str] = &[
    "aws.cloudtrail.console_login",
    "aws.cloudtrail.management_event",
    "aws.cloudtrail.session_credential_from_console",
    "aws.cloudtrail.read_only",
    "aws.cloudtrail.user_identity.session_context.creation_date",
];

fn verbatim_field(field: &str) -> Option<bool> {
    if VERBATIM.contains(&field) {
        return Some(false);
    }
    if RENDERED.contains(&field) {
        return Some(true);
    }
    if field.starts_with("aws.cloudtrail.")
        && !field.ends_with(".text")
        && !DERIVED_AWS.iter().any(|d| field.starts_with(d))
    {
        return Some(false);
    }
    None
}

fn usable(lit: &str, rendered: bool) -> bool {
    lit.len() >= 3
        && lit.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
        && !(rendered && lit.bytes().any(|b| matches!(b, b'=' | b'{' | b'}' | b'[' | b']' | b',')))
}

/// A requirement: at least one of the literals occurs.
type Clause = Vec<String>;

/// The clauses a query implies (all must hold), or none when nothing usable is implied.
fn clauses(node: &Node) -> Vec<Clause> {
    match node {
        // event.action and event.provider are what the dispatch index already checks.
        Node::Is { field: Kv::Str { text: field, .. }, .. }
            if field == "event.action" || field == "event.provider" =>
        {
            Vec::new()
        }
        Node::Is { field: Kv::Str { text: field, .. }, value } => {
            let Some(rendered) = verbatim_field(field) else { return Vec::new() };
            let lit = match value {
                Kv::Str { text, .. } if !rendered => Some(text.clone()),
                Kv::Wildcard(p) => {
                    p.0.iter()
                        .filter_map(|x| match x {
                            PatternPart::Lit(l) => Some(l.clone()),
                            PatternPart::Star => None,
                        })
                        .max_by_key(String::len)
                }
                _ => None,
            };
            match lit {
                Some(l) if usable(&l, rendered) => vec![vec![l]],
                _ => Vec::new(),
            }
        }
        Node::And(children) => children.iter().flat_map(clauses).collect(),
        Node::Or(children) => {
            // Each branch must contribute; take each branch's most selective clause.
            let mut alternatives = Vec::new();
            for c in children {
                match best(clauses(c)) {
                    Some(clause) => alternatives.extend(clause),
                    None => return Vec::new(),
                }
            }
            vec![alternatives]
        }
        _ => Vec::new(),
    }
}

/// The clause most likely to rule records out: few alternatives, long literals.
fn best(mut cs: Vec<Clause>) -> Option<Clause> {
    cs.sort_by_key(|c| (c.len(), std::cmp::Reverse(c.iter().map(String::len).min().unwrap_or(0))));
    cs.into_iter().next()
}

/// A compiled prefilter for one rule.
#[derive(Debug, Clone)]
pub struct Prefilter {
    finders: Vec<Finder<'static>>,
}

impl Prefilter {
    /// The prefilter of a query, if it implies a usable literal requirement.
    pub fn for_query(tree: &Node) -> Option<Prefilter> {
        let clause = best(clauses(tree))?;
        Some(Prefilter { finders: clause.iter().map(|l| Finder::new(l.as_bytes()).into_owned()).collect() })
    }

    /// False only when the rule cannot match the record these bytes normalize to.
    pub fn may_match(&self, raw: &[u8]) -> bool {
        self.finders.iter().any(|f| f.find(raw).is_some())
    }
}

/// Can the record possibly be relevant? A record with a backslash is always kept (see above).
pub fn has_escapes(raw: &[u8]) -> bool {
    memchr::memchr(b'\\', raw).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pf(q: &str) -> Option<Vec<String>> {
        best(clauses(&kql::parse(q).unwrap()))
    }

    #[test]
    fn derives_sound_requirements() {
        assert_eq!(
            pf("user.name:BedrockAPIKey-* and not event.provider:x"),
            Some(vec!["BedrockAPIKey-".into()])
        );
        assert_eq!(pf("event.outcome:success"), None);
        assert_eq!(pf("not user.name:alice"), None);
        assert_eq!(pf("user.name:alice or event.outcome:failure"), None);
        assert_eq!(pf("user.name:alice or user.name:bob"), Some(vec!["alice".into(), "bob".into()]));
        assert_eq!(pf("aws.cloudtrail.request_parameters:*includeDeprecated=true*"), None);
        assert_eq!(
            pf("aws.cloudtrail.request_parameters:*containerOverrides*"),
            Some(vec!["containerOverrides".into()])
        );
        assert_eq!(pf(r#"user_agent.original:"a\"b""#), None);
        assert_eq!(
            pf("aws.cloudtrail.flattened.request_parameters.fromPort:22"),
            None,
            "too short to be worth it"
        );
        assert_eq!(
            pf("aws.cloudtrail.flattened.request_parameters.fromPort:3389"),
            Some(vec!["3389".into()])
        );
    }

    #[test]
    fn matches_raw_bytes() {
        let p = Prefilter::for_query(&kql::parse("user.name:BedrockAPIKey-*").unwrap()).unwrap();
        assert!(p.may_match(br#"{"userIdentity":{"userName":"BedrockAPIKey-abc"}}"#));
        assert!(!p.may_match(br#"{"userIdentity":{"userName":"alice"}}"#));
    }
}
