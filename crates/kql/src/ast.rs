//! The KQL abstract syntax tree, shaped like Kibana's node tree (`kbn-es-query` `KueryNode`).
//!
//! Invariants (they hold for every tree the parser returns):
//! - value lists are already expanded: `f:(a or b)` is `Or[Is(f,a), Is(f,b)]`, exactly as Kibana
//!   builds it, so `f:(a or b)` and `f:a or f:b` give equal trees;
//! - free text (`value` with no field) is `Is` whose field is `Value::Null`, as in Kibana;
//! - the empty query is `Is(*, *)` (match all), as in Kibana;
//! - unquoted strings are trimmed the way JavaScript's `String.prototype.trim` trims.

/// A KQL query node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Or(Vec<Node>),
    And(Vec<Node>),
    Not(Box<Node>),
    /// `field:value`. A `Value::Null` field means free text (no field).
    Is {
        field: Value,
        value: Value,
    },
    /// `field < value` and friends.
    Range {
        field: Value,
        op: RangeOp,
        value: Value,
    },
    /// `path:{ query }`; field names inside are relative to `path`.
    Nested {
        path: Value,
        query: Box<Node>,
    },
}

/// A literal, as Kibana's `literal` and `wildcard` node types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A string; `quoted` records whether it was written in double quotes (phrase semantics).
    Str { text: String, quoted: bool },
    /// Unquoted `true` or `false`.
    Bool(bool),
    /// Unquoted `null` (also the field of a free-text expression).
    Null,
    /// An unquoted literal with at least one unescaped `*`.
    Wildcard(Pattern),
}

/// A wildcard pattern: literal pieces and `*` markers, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern(pub Vec<PatternPart>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternPart {
    Lit(String),
    Star,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RangeOp {
    Lt,
    Lte,
    Gt,
    Gte,
}

impl RangeOp {
    pub fn as_str(self) -> &'static str {
        match self {
            RangeOp::Lt => "<",
            RangeOp::Lte => "<=",
            RangeOp::Gt => ">",
            RangeOp::Gte => ">=",
        }
    }
}

impl Pattern {
    /// True for the lone `*` (Kibana's `isLoneWildcard`): `field:*` is an exists query.
    pub fn is_lone_star(&self) -> bool {
        matches!(self.0.as_slice(), [PatternPart::Star])
    }

    /// The pattern text with `*` for each wildcard and literal stars escaped as `\*`.
    pub fn to_escaped_string(&self) -> String {
        let mut s = String::new();
        for p in &self.0 {
            match p {
                PatternPart::Star => s.push('*'),
                PatternPart::Lit(l) => {
                    for c in l.chars() {
                        if c == '*' || c == '\\' {
                            s.push('\\');
                        }
                        s.push(c);
                    }
                }
            }
        }
        s
    }
}

impl Value {
    /// A plain string value, unquoted.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str { text: s.into(), quoted: false }
    }

    /// A quoted string value.
    pub fn quoted(s: impl Into<String>) -> Value {
        Value::Str { text: s.into(), quoted: true }
    }

    /// The value as the string Kibana would send to Elasticsearch (`true` for booleans, the
    /// pattern text with `*` for wildcards). `None` for `null`.
    pub fn as_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        match self {
            Value::Str { text, .. } => Some(Cow::Borrowed(text)),
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Value::Null => None,
            Value::Wildcard(p) => Some(Cow::Owned(
                p.0.iter()
                    .map(|x| match x {
                        PatternPart::Star => "*",
                        PatternPart::Lit(l) => l.as_str(),
                    })
                    .collect(),
            )),
        }
    }
}

impl Node {
    /// Visit every `Is`/`Range` leaf with the field it names (nested paths are prefixed).
    pub fn for_each_leaf<'a>(&'a self, f: &mut dyn FnMut(&'a Node)) {
        match self {
            Node::Or(v) | Node::And(v) => v.iter().for_each(|n| n.for_each_leaf(f)),
            Node::Not(n) => n.for_each_leaf(f),
            Node::Nested { query, .. } => query.for_each_leaf(f),
            leaf => f(leaf),
        }
    }
}
