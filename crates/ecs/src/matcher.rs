//! Match KQL against ECS documents with Elasticsearch's semantics.
//!
//! A query is compiled once: every `field:value` leaf is resolved against the field table and
//! turned into the comparison Elasticsearch would run for that field type (what Kibana's
//! `is.ts`/`range.ts` send, and how the mapping answers it):
//!
//! | field type | `f:v` | `f:v*` | `f < v` |
//! |---|---|---|---|
//! | keyword, constant_keyword, wildcard, flattened leaf | exact, case-sensitive string; numbers and booleans in the document compare in their JSON text (`22`, `true`); values longer than `ignore_above` are not indexed | anchored glob on the string | lexicographic |
//! | text, match_only_text | any analysed token (`match`), or the token sequence when quoted (`match_phrase`) | glob on each lower-cased token | on tokens |
//! | long, double, … | numeric equality after parsing both sides | never | numeric |
//! | date | the span the value names (`2024-01-01` = that whole day), date math allowed | never | with ES rounding |
//! | ip | address, or CIDR block | never | by address |
//! | boolean | `true`/`false` (also the strings) | never | false < true |
//! | not mapped | by the JSON type of each value, as dynamic mapping would type it | | |
//!
//! Any value of a multi-valued field may match; a missing field never matches (and `not` of it
//! does); `f:*` is true when the field has an indexed value (an empty string counts, a keyword
//! over `ignore_above` does not).

use crate::doc::{any_value, for_each_leaf, for_each_value, keyword_form};
use crate::ip::{parse_cidr, parse_ip, IpRange};
use crate::time::{now_millis, parse_date, parse_date_math, Millis};
use crate::types::{lookup, resolve, FieldType, Resolved, DYNAMIC_IGNORE_ABOVE};
use kql::{Node, Pattern, PatternPart, RangeOp, Value as Kv};
use serde_json::Value;
use std::ops::ControlFlow;

/// Compilation settings.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// `now` for date math in date comparisons (`@timestamp > now-1h`).
    pub now: Millis,
}

impl Default for Options {
    fn default() -> Self {
        Options { now: now_millis() }
    }
}

/// A compiled query.
#[derive(Debug, Clone)]
pub struct Matcher {
    root: M,
}

impl Matcher {
    /// Compile a query with the current time as `now`.
    pub fn new(node: &Node) -> Self {
        Self::with_options(node, &Options::default())
    }

    pub fn with_options(node: &Node, opts: &Options) -> Self {
        Matcher { root: compile(node, "", opts) }
    }

    /// Does the document match?
    pub fn matches(&self, doc: &Value) -> bool {
        self.root.eval(doc)
    }
}

#[derive(Debug, Clone)]
enum M {
    All,
    Or(Vec<M>),
    And(Vec<M>),
    Not(Box<M>),
    /// Some value at `read` passes the test.
    Field {
        read: String,
        test: Test,
    },
    /// The field has an indexed value.
    Exists {
        read: String,
        kind: Exists,
    },
    /// Some object at `read` matches the inner query on its own.
    Nested {
        read: String,
        inner: Box<M>,
    },
    /// A field-name pattern (`event.*:x`): expanded over the document's fields.
    FieldGlob {
        glob: Glob,
        prefix: String,
        value: Kv,
        op: Option<RangeOp>,
        now: Millis,
    },
    /// Free text: any field of the document.
    FreeText {
        value: Kv,
        prefix: String,
        now: Millis,
    },
}

#[derive(Debug, Clone, Copy)]
enum Exists {
    /// A keyword-like value within this many UTF-16 units.
    Keyword(u32),
    /// Any non-null value (objects count when they hold a value).
    Any,
}

#[derive(Debug, Clone)]
enum Test {
    Never,
    KwEq(String, Option<u32>),
    KwGlob(Glob, Option<u32>),
    KwRange(RangeOp, String, Option<u32>),
    Text {
        tokens: Vec<String>,
        phrase: bool,
    },
    TextGlob(Glob),
    TextRange(RangeOp, String),
    Num(RangeOp2, f64),
    Date {
        lo: Millis,
        hi: Millis,
    },
    Ip(IpRange),
    Bool(RangeOp2, bool),
    /// An unmapped field: typed by each value, as dynamic mapping would.
    Dynamic {
        text: String,
        glob: Option<Glob>,
        op: Option<RangeOp>,
    },
}

/// Equality or one of the range operators.
#[derive(Debug, Clone, Copy, PartialEq)]
enum RangeOp2 {
    Eq,
    Op(RangeOp),
}

fn cmp_ok<T: PartialOrd>(op: RangeOp2, doc: T, q: T) -> bool {
    match op {
        RangeOp2::Eq => doc == q,
        RangeOp2::Op(RangeOp::Lt) => doc < q,
        RangeOp2::Op(RangeOp::Lte) => doc <= q,
        RangeOp2::Op(RangeOp::Gt) => doc > q,
        RangeOp2::Op(RangeOp::Gte) => doc >= q,
    }
}

fn field_name(v: &Kv) -> Option<String> {
    match v {
        Kv::Str { text, .. } => Some(text.clone()),
        Kv::Bool(b) => Some(b.to_string()),
        Kv::Null | Kv::Wildcard(_) => None,
    }
}

fn compile(node: &Node, prefix: &str, opts: &Options) -> M {
    match node {
        Node::Or(v) => M::Or(v.iter().map(|n| compile(n, prefix, opts)).collect()),
        Node::And(v) => M::And(v.iter().map(|n| compile(n, prefix, opts)).collect()),
        Node::Not(n) => M::Not(Box::new(compile(n, prefix, opts))),
        Node::Nested { path, query } => {
            let Some(name) = field_name(path) else { return M::Not(Box::new(M::All)) };
            let full = join(prefix, &name);
            M::Nested { read: name, inner: Box::new(compile(query, &full, opts)) }
        }
        Node::Is { field: Kv::Null, value } => {
            M::FreeText { value: value.clone(), prefix: prefix.to_string(), now: opts.now }
        }
        Node::Is { field: Kv::Wildcard(fp), value } => {
            if fp.is_lone_star() && matches!(value, Kv::Wildcard(p) if p.is_lone_star()) {
                return M::All;
            }
            M::FieldGlob {
                glob: Glob::new(fp, false),
                prefix: prefix.to_string(),
                value: value.clone(),
                op: None,
                now: opts.now,
            }
        }
        Node::Range { field: Kv::Wildcard(fp), op, value } => M::FieldGlob {
            glob: Glob::new(fp, false),
            prefix: prefix.to_string(),
            value: value.clone(),
            op: Some(*op),
            now: opts.now,
        },
        Node::Is { field, value } | Node::Range { field, value, .. } => {
            let op = match node {
                Node::Range { op, .. } => Some(*op),
                _ => None,
            };
            let name = field_name(field).unwrap_or_default();
            leaf(&name, prefix, value, op, opts.now)
        }
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Compile one `field:value` / `field op value` leaf; `name` is relative to `prefix`.
fn leaf(name: &str, prefix: &str, value: &Kv, op: Option<RangeOp>, now: Millis) -> M {
    let full = join(prefix, name);
    let resolved = resolve(&full);
    // A multi-field indexes its parent's value.
    let read = match resolved {
        Resolved::Mapped(d) => match d.multi_field_of {
            Some(parent) => {
                parent.strip_prefix(prefix).map_or(parent, |p| p.trim_start_matches('.')).to_string()
            }
            None => name.to_string(),
        },
        _ => name.to_string(),
    };
    if op.is_none() {
        if let Kv::Wildcard(p) = value {
            if p.is_lone_star() {
                let kind = match resolved {
                    Resolved::Mapped(d) if d.ty.is_keyword_like() && d.ty != FieldType::Flattened => {
                        Exists::Keyword(d.ignore_above.unwrap_or(u32::MAX))
                    }
                    _ => Exists::Any,
                };
                return M::Exists { read, kind };
            }
        }
    }
    M::Field { read, test: test_for(resolved, value, op, now) }
}

/// The comparison Elasticsearch runs for a value on a field of this type.
fn test_for(resolved: Resolved, value: &Kv, op: Option<RangeOp>, now: Millis) -> Test {
    let Some(text) = value.as_text() else { return Test::Never };
    let text = text.into_owned();
    let op2 = op.map_or(RangeOp2::Eq, RangeOp2::Op);
    let glob = match (value, op) {
        (Kv::Wildcard(p), None) => Some(p),
        _ => None,
    };
    let ty = match resolved {
        Resolved::Unmapped => {
            return Test::Dynamic { text, glob: glob.map(|p| Glob::new(p, false)), op };
        }
        Resolved::FlattenedLeaf(_) => FieldType::Flattened,
        Resolved::Mapped(d) => d.ty,
    };
    let ignore_above = match resolved {
        Resolved::Mapped(d) => d.ignore_above,
        _ => None,
    };
    match ty {
        t if t.is_keyword_like() => match (glob, op) {
            (Some(p), _) => Test::KwGlob(Glob::new(p, false), ignore_above),
            (None, Some(op)) => Test::KwRange(op, text, ignore_above),
            (None, None) => Test::KwEq(text, ignore_above),
        },
        FieldType::Text => match (glob, op) {
            (Some(p), _) => Test::TextGlob(Glob::new(p, true)),
            (None, Some(op)) => Test::TextRange(op, text.to_lowercase()),
            (None, None) => {
                Test::Text { tokens: analyze(&text), phrase: matches!(value, Kv::Str { quoted: true, .. }) }
            }
        },
        _ if glob.is_some() => Test::Never,
        FieldType::Long | FieldType::Double => match text.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => Test::Num(op2, n),
            _ => Test::Never,
        },
        FieldType::Date => match parse_date_math(&text, now) {
            Some(span) => {
                let (lo, hi) = match op {
                    None => (span.lo, span.hi),
                    Some(RangeOp::Gte) => (span.lo, Millis::MAX),
                    Some(RangeOp::Gt) => (span.hi.saturating_add(1), Millis::MAX),
                    Some(RangeOp::Lte) => (Millis::MIN, span.hi),
                    Some(RangeOp::Lt) => (Millis::MIN, span.lo.saturating_sub(1)),
                };
                Test::Date { lo, hi }
            }
            None => Test::Never,
        },
        FieldType::Ip => match op {
            None => parse_cidr(&text).map_or(Test::Never, Test::Ip),
            Some(op) => match parse_ip(&text) {
                Some(ip) => {
                    let r = match op {
                        RangeOp::Gte => IpRange { lo: ip, hi: u128::MAX },
                        RangeOp::Gt => IpRange { lo: ip.saturating_add(1), hi: u128::MAX },
                        RangeOp::Lte => IpRange { lo: 0, hi: ip },
                        RangeOp::Lt => IpRange { lo: 0, hi: ip.saturating_sub(1) },
                    };
                    if ip == u128::MAX && op == RangeOp::Gt || ip == 0 && op == RangeOp::Lt {
                        Test::Never
                    } else {
                        Test::Ip(r)
                    }
                }
                None => Test::Never,
            },
        },
        FieldType::Boolean => match text.as_str() {
            "true" => Test::Bool(op2, true),
            "false" => Test::Bool(op2, false),
            _ => Test::Never,
        },
        _ => Test::Never,
    }
}

/// Java's `String.length()`: UTF-16 code units.
fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

fn indexed(s: &str, ignore_above: Option<u32>) -> bool {
    ignore_above.is_none_or(|n| s.len() <= n as usize || utf16_len(s) <= n as usize)
}

fn doc_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn doc_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.as_str() {
            "true" => Some(true),
            "false" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn doc_date(v: &Value) -> Option<Millis> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => parse_date(s).map(|d| d.lo),
        _ => None,
    }
}

impl Test {
    fn test(&self, v: &Value) -> bool {
        match self {
            Test::Never => false,
            Test::KwEq(q, ia) => keyword_form(v).is_some_and(|s| *s == **q && indexed(&s, *ia)),
            Test::KwGlob(g, ia) => keyword_form(v).is_some_and(|s| indexed(&s, *ia) && g.matches(&s)),
            Test::KwRange(op, q, ia) => keyword_form(v)
                .is_some_and(|s| indexed(&s, *ia) && cmp_ok(RangeOp2::Op(*op), &*s, q.as_str())),
            Test::Text { tokens, phrase } => {
                let Some(s) = keyword_form(v) else { return false };
                if tokens.is_empty() {
                    return false;
                }
                let doc = analyze(&s);
                if *phrase {
                    doc.windows(tokens.len()).any(|w| w == tokens.as_slice())
                } else {
                    tokens.iter().any(|t| doc.contains(t))
                }
            }
            Test::TextGlob(g) => keyword_form(v).is_some_and(|s| analyze(&s).iter().any(|t| g.matches(t))),
            Test::TextRange(op, q) => keyword_form(v).is_some_and(|s| {
                analyze(&s).iter().any(|t| cmp_ok(RangeOp2::Op(*op), t.as_str(), q.as_str()))
            }),
            Test::Num(op, q) => doc_number(v).is_some_and(|n| cmp_ok(*op, n, *q)),
            Test::Date { lo, hi } => doc_date(v).is_some_and(|t| *lo <= t && t <= *hi),
            Test::Ip(r) => v.as_str().and_then(parse_ip).is_some_and(|ip| r.contains(ip)),
            Test::Bool(op, q) => doc_bool(v).is_some_and(|b| cmp_ok(*op, b, *q)),
            Test::Dynamic { text, glob, op } => match v {
                Value::String(s) => {
                    indexed(s, Some(DYNAMIC_IGNORE_ABOVE))
                        && match (glob, op) {
                            (Some(g), _) => g.matches(s),
                            (None, Some(op)) => cmp_ok(RangeOp2::Op(*op), s.as_str(), text.as_str()),
                            (None, None) => s == text,
                        }
                }
                Value::Number(n) if glob.is_none() => {
                    let q: Option<f64> = text.trim().parse().ok();
                    match (n.as_f64(), q) {
                        (Some(d), Some(q)) => cmp_ok(op.map_or(RangeOp2::Eq, RangeOp2::Op), d, q),
                        _ => false,
                    }
                }
                Value::Bool(b) if glob.is_none() => match text.as_str() {
                    "true" | "false" => cmp_ok(op.map_or(RangeOp2::Eq, RangeOp2::Op), *b, text == "true"),
                    _ => false,
                },
                _ => false,
            },
        }
    }
}

fn has_leaf(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Object(m) => m.values().any(has_leaf),
        Value::Array(a) => a.iter().any(has_leaf),
        _ => true,
    }
}

impl M {
    fn eval(&self, doc: &Value) -> bool {
        match self {
            M::All => true,
            M::Or(v) => v.iter().any(|m| m.eval(doc)),
            M::And(v) => v.iter().all(|m| m.eval(doc)),
            M::Not(m) => !m.eval(doc),
            M::Field { read, test } => any_value(doc, read, |v| test.test(v)),
            M::Exists { read, kind } => any_value(doc, read, |v| match kind {
                Exists::Keyword(ia) => keyword_form(v).is_some_and(|s| indexed(&s, Some(*ia))),
                Exists::Any => has_leaf(v),
            }),
            M::Nested { read, inner } => any_value(doc, read, |v| v.is_object() && inner.eval(v)),
            M::FieldGlob { glob, prefix, value, op, now } => {
                let lone = op.is_none() && matches!(value, Kv::Wildcard(p) if p.is_lone_star());
                each_leaf_with_multifields(doc, |path, v| {
                    if !glob.matches(path) {
                        return false;
                    }
                    if lone {
                        return true;
                    }
                    leaf_test(prefix, path, value, *op, *now).test(v)
                })
            }
            M::FreeText { value, prefix, now } => {
                each_leaf_with_multifields(doc, |path, v| leaf_test(prefix, path, value, None, *now).test(v))
            }
        }
    }
}

fn leaf_test(prefix: &str, path: &str, value: &Kv, op: Option<RangeOp>, now: Millis) -> Test {
    test_for(resolve(&join(prefix, path)), value, op, now)
}

/// Visit every leaf of the document, and for leaves whose field has a `.text` multi-field, that
/// multi-field too (Elasticsearch's `*` field expansion includes multi-fields).
fn each_leaf_with_multifields(doc: &Value, mut f: impl FnMut(&str, &Value) -> bool) -> bool {
    for_each_leaf(doc, &mut |path, v| {
        if f(path, v) {
            return ControlFlow::Break(());
        }
        let text = format!("{path}.text");
        if lookup(&text).is_some_and(|d| d.multi_field_of.is_some()) && f(&text, v) {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    })
    .is_break()
}

/// Elasticsearch's standard analyzer, approximated: Unicode word segmentation (letters, digits
/// and `_`, joined across `.` `'` `:` between letters and `.` `,` between digits), lower-cased.
pub fn analyze(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if word(c) {
            cur.extend(c.to_lowercase());
            continue;
        }
        let prev = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let next = chars.get(i + 1).copied();
        let joins = match (prev, next) {
            (Some(p), Some(n)) if p.is_alphabetic() && n.is_alphabetic() => matches!(c, '.' | '\'' | ':'),
            (Some(p), Some(n)) if p.is_numeric() && n.is_numeric() => matches!(c, '.' | ','),
            _ => false,
        };
        if joins && !cur.is_empty() {
            cur.push(c);
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// An anchored `*` glob (the only wildcard KQL has), matched without backtracking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    /// Literal pieces between stars.
    pieces: Vec<String>,
    starts_with_star: bool,
    ends_with_star: bool,
}

impl Glob {
    /// Build from a KQL pattern; `lowercase` for analysed (text) fields.
    pub fn new(p: &Pattern, lowercase: bool) -> Self {
        let mut pieces = Vec::new();
        for part in &p.0 {
            if let PatternPart::Lit(l) = part {
                pieces.push(if lowercase { l.to_lowercase() } else { l.clone() });
            }
        }
        Glob {
            pieces,
            starts_with_star: matches!(p.0.first(), Some(PatternPart::Star)),
            ends_with_star: matches!(p.0.last(), Some(PatternPart::Star)),
        }
    }

    pub fn matches(&self, s: &str) -> bool {
        let mut pieces = self.pieces.as_slice();
        let mut rest = s;
        if !self.starts_with_star {
            let Some((first, tail)) = pieces.split_first() else { return rest.is_empty() };
            let Some(r) = rest.strip_prefix(first.as_str()) else { return false };
            rest = r;
            pieces = tail;
        }
        let last = if self.ends_with_star {
            None
        } else {
            match pieces.split_last() {
                Some((last, init)) => {
                    pieces = init;
                    Some(last)
                }
                // `a*`-less: pattern with no trailing star whose only piece was the prefix.
                None => return rest.is_empty() || self.pieces.is_empty(),
            }
        };
        for piece in pieces {
            match rest.find(piece.as_str()) {
                Some(i) => rest = &rest[i + piece.len()..],
                None => return false,
            }
        }
        match last {
            Some(l) => rest.len() >= l.len() && rest.ends_with(l.as_str()),
            None => true,
        }
    }
}

/// The fields a query names (relative names are prefixed with their nested path), with a flag
/// saying whether the name is a pattern.
pub fn referenced_fields(node: &Node) -> Vec<(String, bool)> {
    fn walk(node: &Node, prefix: &str, out: &mut Vec<(String, bool)>) {
        let push = |f: &Kv, out: &mut Vec<(String, bool)>| match f {
            Kv::Wildcard(p) => out.push((join(prefix, &p.to_escaped_string()), true)),
            other => {
                if let Some(n) = field_name(other) {
                    out.push((join(prefix, &n), false));
                }
            }
        };
        match node {
            Node::Or(v) | Node::And(v) => v.iter().for_each(|n| walk(n, prefix, out)),
            Node::Not(n) => walk(n, prefix, out),
            Node::Is { field, .. } | Node::Range { field, .. } => push(field, out),
            Node::Nested { path, query } => {
                push(path, out);
                if let Some(n) = field_name(path) {
                    walk(query, &join(prefix, &n), out);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(node, "", &mut out);
    out.sort();
    out.dedup();
    out
}

/// Every value of a field in a document, in keyword form (for output and grouping).
pub fn field_strings(doc: &Value, path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let _ = for_each_value(doc, path, &mut |v| {
        if let Some(s) = keyword_form(v) {
            out.push(s.into_owned());
        }
        ControlFlow::Continue(())
    });
    out
}
