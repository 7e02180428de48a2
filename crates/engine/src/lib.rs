//! The detection engine: rules compiled into matchers behind a dispatch index, run over events,
//! producing Elastic-shaped alerts.
//!
//! Invariants:
//! - a rule only sees events its index patterns cover (CloudTrail data lives in
//!   `logs-aws.cloudtrail-*` and `filebeat-*`); rules that cannot see it are reported, not run;
//! - rule types the engine cannot run yet are listed with the reason, never silently dropped;
//! - the dispatch index is conservative (see [`dispatch`]); the full matcher decides;
//! - alert ids are deterministic: the same event and rule always give the same id.

pub mod alert;
pub mod dispatch;
pub mod exceptions;
pub mod hunt;
pub mod prefilter;
pub mod ruletest;
pub mod schedule;

use dispatch::DispatchIndex;
use ecs::Matcher;
use rules::{Rule, RuleType};

/// A rule ready to run.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub rule: Rule,
    pub tree: kql::Node,
    pub matcher: Matcher,
    pub saved_object_id: String,
    /// A necessary condition on the raw record's bytes, when the query implies one.
    pub prefilter: Option<prefilter::Prefilter>,
    /// Exception items of the lists the rule references.
    pub exceptions: exceptions::Exceptions,
}

/// Why a loaded rule does not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotRun {
    /// The engine cannot run this rule type (or language) yet.
    Unsupported(String),
    /// The rule's index patterns cannot see CloudTrail data.
    IndexCannotSeeCloudTrail(Vec<String>),
    /// The query does not parse.
    BadQuery(String),
    /// Deprecated stub with no query.
    NoQuery,
}

impl std::fmt::Display for NotRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotRun::Unsupported(t) => write!(f, "{t} rules are not supported yet"),
            NotRun::IndexCannotSeeCloudTrail(i) => write!(f, "index patterns {i:?} cover no CloudTrail data"),
            NotRun::BadQuery(e) => write!(f, "query does not parse: {e}"),
            NotRun::NoQuery => write!(f, "no query"),
        }
    }
}

/// Compiled rules and the ones that do not run.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub rules: Vec<CompiledRule>,
    pub not_run: Vec<(Rule, NotRun)>,
    pub index: DispatchIndex,
    /// Values of the lists `is in list` exceptions refer to.
    pub value_lists: exceptions::ValueLists,
    /// Exception items that could not be parsed (reported, not applied).
    pub bad_exceptions: Vec<String>,
}

impl RuleSet {
    /// Compile every rule that can run; `now` is the time date math in queries is relative to.
    pub fn compile(rules: Vec<Rule>, now: ecs::time::Millis) -> RuleSet {
        Self::compile_with(rules, now, &[], Default::default())
    }

    /// Compile with exception items (as exported by Kibana) and value lists.
    pub fn compile_with(
        rules: Vec<Rule>,
        now: ecs::time::Millis,
        exception_items: &[serde_json::Value],
        value_lists: std::collections::HashMap<String, Vec<String>>,
    ) -> RuleSet {
        let opts = ecs::Options { now };
        let mut set = RuleSet { value_lists: exceptions::ValueLists(value_lists), ..RuleSet::default() };
        let mut items = Vec::new();
        for v in exception_items {
            match exceptions::Item::parse(v) {
                Ok(i) => items.push(i),
                Err(e) => set.bad_exceptions.push(format!(
                    "exception item {}: {e}",
                    v.get("item_id").and_then(|x| x.as_str()).unwrap_or("?")
                )),
            }
        }
        for rule in rules {
            match compile_rule(&rule, &opts) {
                Ok(mut c) => {
                    c.exceptions = exceptions::Exceptions::for_rule(&rule, &items);
                    set.rules.push(c)
                }
                Err(why) => set.not_run.push((rule, why)),
            }
        }
        set.index = DispatchIndex::build(set.rules.iter().map(|r| Some(&r.tree)));
        set
    }

    /// `not_run` grouped by reason, with counts, for the report.
    pub fn not_run_summary(&self) -> Vec<(String, usize)> {
        let mut m: std::collections::BTreeMap<String, usize> = Default::default();
        for (_, why) in &self.not_run {
            let key = match why {
                NotRun::Unsupported(t) => format!("{t} rules (not supported yet)"),
                NotRun::IndexCannotSeeCloudTrail(_) => {
                    "rules whose index patterns cover no CloudTrail data".into()
                }
                NotRun::BadQuery(_) => "rules whose query does not parse".into(),
                NotRun::NoQuery => "rules without a query".into(),
            };
            *m.entry(key).or_default() += 1;
        }
        m.into_iter().collect()
    }
}

fn compile_rule(rule: &Rule, opts: &ecs::Options) -> Result<CompiledRule, NotRun> {
    match rule.rule_type() {
        Some(RuleType::Query) => {}
        Some(t) => return Err(NotRun::Unsupported(t.as_str().into())),
        None => return Err(NotRun::Unsupported(rule.type_name().into())),
    }
    let language = rule.language().unwrap_or("kuery");
    if language != "kuery" {
        return Err(NotRun::Unsupported(format!("query/{language}")));
    }
    let index = rule.index();
    if !index.is_empty() && !index.iter().any(|p| rules::lint::sees_cloudtrail(p)) {
        return Err(NotRun::IndexCannotSeeCloudTrail(index));
    }
    let query = rule.query().ok_or(NotRun::NoQuery)?;
    let tree = kql::parse(query).map_err(|e| NotRun::BadQuery(e.to_string()))?;
    let matcher = Matcher::with_options(&tree, opts);
    let prefilter = prefilter::Prefilter::for_query(&tree);
    Ok(CompiledRule {
        saved_object_id: rule.saved_object_id(),
        rule: rule.clone(),
        tree,
        matcher,
        prefilter,
        exceptions: Default::default(),
    })
}
