//! A hand-written PEG parser that follows Kibana's `grammar.peggy` rule by rule.
//!
//! Each function below is named after the grammar rule it implements and keeps peggy's ordered
//! choice (first alternative that matches wins, no backtracking into a rule that succeeded).
//! Two deliberate departures, neither of which changes what is accepted:
//! - `OrQuery = AndQuery (Or AndQuery)+ / AndQuery` is parsed as `AndQuery (Or AndQuery)*`, which
//!   accepts the same language without peggy's exponential re-parse of nested parentheses;
//! - nesting deeper than [`MAX_DEPTH`] is refused with an error instead of exhausting the stack.
//!
//! Errors are reported like peggy reports them: at the farthest position any rule failed, with
//! the set of things expected there (named rules report their name, not their insides).

use crate::ast::{Node, Pattern, PatternPart, RangeOp, Value};
use crate::error::ParseError;

/// Parentheses, value lists and nested queries deeper than this are refused.
pub const MAX_DEPTH: usize = 128;

/// Parse a KQL query the way Kibana does. The empty query is match-all (`*:*`).
pub fn parse(input: &str) -> Result<Node, ParseError> {
    let mut p = Parser::new(input);
    p.skip_spaces();
    let query = p.or_query();
    if let Some(err) = p.fatal.take() {
        return Err(err);
    }
    p.skip_spaces();
    if p.pos == p.chars.len() {
        return Ok(query.unwrap_or_else(match_all));
    }
    p.expect("end of input");
    Err(p.error())
}

/// The tree Kibana builds for an empty query: `is(*, *)`.
pub fn match_all() -> Node {
    let star = Value::Wildcard(Pattern(vec![PatternPart::Star]));
    Node::Is { field: star.clone(), value: star }
}

/// A value list before its field is known (Kibana's "partial" functions).
enum Partial {
    Or(Vec<Partial>),
    And(Vec<Partial>),
    Not(Box<Partial>),
    Leaf(Value),
}

impl Partial {
    fn apply(self, field: &Value) -> Node {
        match self {
            Partial::Or(v) => Node::Or(v.into_iter().map(|p| p.apply(field)).collect()),
            Partial::And(v) => Node::And(v.into_iter().map(|p| p.apply(field)).collect()),
            Partial::Not(p) => Node::Not(Box::new(p.apply(field))),
            Partial::Leaf(value) => Node::Is { field: field.clone(), value },
        }
    }
}

struct Parser<'a> {
    input: &'a str,
    chars: Vec<char>,
    pos: usize,
    depth: usize,
    fail_pos: usize,
    expected: Vec<&'static str>,
    silent: usize,
    fatal: Option<ParseError>,
}

/// Kibana's `Space` class.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{00A0}')
}

/// Kibana's `SpecialCharacter` class.
pub(crate) fn is_special(c: char) -> bool {
    matches!(c, '\\' | '(' | ')' | ':' | '<' | '>' | '"' | '*' | '{' | '}')
}

/// The characters JavaScript's `String.prototype.trim` removes.
pub(crate) fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}' | '\u{FEFF}'
    )
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Self {
        Parser {
            input,
            chars: input.chars().collect(),
            pos: 0,
            depth: 0,
            fail_pos: 0,
            expected: Vec::new(),
            silent: 0,
            fatal: None,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    /// Record that `what` was expected at the current position.
    fn expect(&mut self, what: &'static str) {
        self.expect_at(self.pos, what);
    }

    fn expect_at(&mut self, pos: usize, what: &'static str) {
        if self.silent > 0 {
            return;
        }
        if pos > self.fail_pos {
            self.fail_pos = pos;
            self.expected.clear();
        }
        if pos == self.fail_pos && !self.expected.contains(&what) {
            self.expected.push(what);
        }
    }

    fn error(&self) -> ParseError {
        let mut expected: Vec<String> = self.expected.iter().map(|s| s.to_string()).collect();
        expected.sort();
        let found = self.at(self.fail_pos);
        ParseError::syntax(self.input, self.fail_pos, expected, found)
    }

    fn enter(&mut self) -> bool {
        if self.fatal.is_some() {
            return false;
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.fatal = Some(ParseError::too_deep(self.input, self.pos, MAX_DEPTH));
            return false;
        }
        true
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn literal_char(&mut self, c: char, name: &'static str) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            self.expect(name);
            false
        }
    }

    /// Case-insensitive keyword at position `i` (no consumption).
    fn word_at(&self, i: usize, word: &str) -> bool {
        word.chars().enumerate().all(|(k, w)| self.at(i + k).is_some_and(|c| c.eq_ignore_ascii_case(&w)))
    }

    /// `Space*` (`OptionalSpace` when no cursor is being parsed).
    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.pos += 1;
        }
        self.expect("whitespace");
    }

    /// `Space+` with the rule name "whitespace".
    fn spaces1(&mut self) -> bool {
        if !self.peek().is_some_and(is_space) {
            self.expect("whitespace");
            return false;
        }
        self.skip_spaces();
        true
    }

    /// `Or = Space+ 'or'i Space+` and `And = Space+ 'and'i Space+` (named rules).
    fn binary_op(&mut self, word: &str, name: &'static str) -> bool {
        let start = self.pos;
        self.silent += 1;
        let ok = self.spaces1() && self.word_at(self.pos, word) && {
            self.pos += word.len();
            self.spaces1()
        };
        self.silent -= 1;
        if !ok {
            self.pos = start;
            self.expect(name);
        }
        ok
    }

    /// `Not = 'not'i Space+` (named rule).
    fn not_op(&mut self) -> bool {
        let start = self.pos;
        self.silent += 1;
        let ok = self.word_at(self.pos, "not") && {
            self.pos += 3;
            self.spaces1()
        };
        self.silent -= 1;
        if !ok {
            self.pos = start;
            self.expect("NOT");
        }
        ok
    }

    fn or_query(&mut self) -> Option<Node> {
        let head = self.and_query()?;
        let mut nodes = vec![head];
        loop {
            let save = self.pos;
            if self.binary_op("or", "OR") {
                if let Some(q) = self.and_query() {
                    nodes.push(q);
                    continue;
                }
            }
            self.pos = save;
            break;
        }
        Some(if nodes.len() == 1 { nodes.pop().unwrap() } else { Node::Or(nodes) })
    }

    fn and_query(&mut self) -> Option<Node> {
        let head = self.not_query()?;
        let mut nodes = vec![head];
        loop {
            let save = self.pos;
            if self.binary_op("and", "AND") {
                if let Some(q) = self.not_query() {
                    nodes.push(q);
                    continue;
                }
            }
            self.pos = save;
            break;
        }
        Some(if nodes.len() == 1 { nodes.pop().unwrap() } else { Node::And(nodes) })
    }

    fn not_query(&mut self) -> Option<Node> {
        let save = self.pos;
        if self.not_op() {
            if let Some(q) = self.sub_query() {
                return Some(Node::Not(Box::new(q)));
            }
            self.pos = save;
        }
        self.sub_query()
    }

    fn sub_query(&mut self) -> Option<Node> {
        if !self.enter() {
            return None;
        }
        let r = self.sub_query_inner();
        self.leave();
        r
    }

    fn sub_query_inner(&mut self) -> Option<Node> {
        let save = self.pos;
        if self.literal_char('(', "\"(\"") {
            self.skip_spaces();
            if let Some(q) = self.or_query() {
                self.skip_spaces();
                if self.literal_char(')', "\")\"") {
                    return Some(q);
                }
            }
            self.pos = save;
        }
        self.nested_query()
    }

    fn nested_query(&mut self) -> Option<Node> {
        let save = self.pos;
        if let Some(path) = self.field() {
            self.skip_spaces();
            if self.literal_char(':', "\":\"") {
                self.skip_spaces();
                if self.literal_char('{', "\"{\"") {
                    self.skip_spaces();
                    if let Some(q) = self.or_query() {
                        self.skip_spaces();
                        if self.literal_char('}', "\"}\"") {
                            return Some(Node::Nested { path, query: Box::new(q) });
                        }
                    }
                }
            }
            self.pos = save;
        }
        if self.fatal.is_some() {
            return None;
        }
        self.expression()
    }

    fn expression(&mut self) -> Option<Node> {
        let save = self.pos;
        if let Some(n) = self.field_range_expression() {
            return Some(n);
        }
        self.pos = save;
        if let Some(n) = self.field_value_expression() {
            return Some(n);
        }
        self.pos = save;
        let value = self.value()?;
        Some(Node::Is { field: Value::Null, value })
    }

    fn field_range_expression(&mut self) -> Option<Node> {
        let field = self.field()?;
        self.skip_spaces();
        let op = self.range_operator()?;
        self.skip_spaces();
        let value = self.named_literal("literal")?;
        Some(Node::Range { field, op, value })
    }

    fn range_operator(&mut self) -> Option<RangeOp> {
        let (op, len) = match (self.peek(), self.at(self.pos + 1)) {
            (Some('<'), Some('=')) => (RangeOp::Lte, 2),
            (Some('>'), Some('=')) => (RangeOp::Gte, 2),
            (Some('<'), _) => (RangeOp::Lt, 1),
            (Some('>'), _) => (RangeOp::Gt, 1),
            _ => {
                for e in ["\"<=\"", "\">=\"", "\"<\"", "\">\""] {
                    self.expect(e);
                }
                return None;
            }
        };
        self.pos += len;
        Some(op)
    }

    fn field_value_expression(&mut self) -> Option<Node> {
        let field = self.field()?;
        self.skip_spaces();
        if !self.literal_char(':', "\":\"") {
            return None;
        }
        self.skip_spaces();
        let partial = self.list_of_values()?;
        Some(partial.apply(&field))
    }

    fn list_of_values(&mut self) -> Option<Partial> {
        if !self.enter() {
            return None;
        }
        let r = self.list_of_values_inner();
        self.leave();
        r
    }

    fn list_of_values_inner(&mut self) -> Option<Partial> {
        let save = self.pos;
        if self.literal_char('(', "\"(\"") {
            self.skip_spaces();
            if let Some(p) = self.or_list_of_values() {
                self.skip_spaces();
                if self.literal_char(')', "\")\"") {
                    return Some(p);
                }
            }
            self.pos = save;
        }
        if self.fatal.is_some() {
            return None;
        }
        self.value().map(Partial::Leaf)
    }

    fn or_list_of_values(&mut self) -> Option<Partial> {
        let head = self.and_list_of_values()?;
        let mut nodes = vec![head];
        loop {
            let save = self.pos;
            if self.binary_op("or", "OR") {
                if let Some(q) = self.and_list_of_values() {
                    nodes.push(q);
                    continue;
                }
            }
            self.pos = save;
            break;
        }
        Some(if nodes.len() == 1 { nodes.pop().unwrap() } else { Partial::Or(nodes) })
    }

    fn and_list_of_values(&mut self) -> Option<Partial> {
        let head = self.not_list_of_values()?;
        let mut nodes = vec![head];
        loop {
            let save = self.pos;
            if self.binary_op("and", "AND") {
                if let Some(q) = self.not_list_of_values() {
                    nodes.push(q);
                    continue;
                }
            }
            self.pos = save;
            break;
        }
        Some(if nodes.len() == 1 { nodes.pop().unwrap() } else { Partial::And(nodes) })
    }

    fn not_list_of_values(&mut self) -> Option<Partial> {
        let save = self.pos;
        if self.not_op() {
            if let Some(p) = self.list_of_values() {
                return Some(Partial::Not(Box::new(p)));
            }
            self.pos = save;
        }
        self.list_of_values()
    }

    /// `Field "fieldName" = Literal`.
    fn field(&mut self) -> Option<Value> {
        self.named_literal("fieldName")
    }

    /// `Value "value" = QuotedString / UnquotedLiteral`.
    fn value(&mut self) -> Option<Value> {
        self.named_literal("value")
    }

    fn named_literal(&mut self, name: &'static str) -> Option<Value> {
        let start = self.pos;
        self.silent += 1;
        let r = match self.quoted_string() {
            Some(v) => Some(v),
            None => {
                self.pos = start;
                self.unquoted_literal()
            }
        };
        self.silent -= 1;
        if r.is_none() {
            self.pos = start;
            self.expect_at(start, name);
        }
        r
    }

    fn quoted_string(&mut self) -> Option<Value> {
        if self.peek() != Some('"') {
            return None;
        }
        self.pos += 1;
        let mut text = String::new();
        let mut pending_high: Option<u16> = None;
        loop {
            let c = self.peek()?;
            if c == '"' {
                self.pos += 1;
                flush_surrogate(&mut text, &mut pending_high);
                return Some(Value::Str { text, quoted: true });
            }
            if c == '\\' {
                if let Some(w) = self.escaped_whitespace() {
                    flush_surrogate(&mut text, &mut pending_high);
                    text.push(w);
                    continue;
                }
                if let Some(u) = self.escaped_unicode() {
                    push_utf16(&mut text, &mut pending_high, u);
                    continue;
                }
                if let Some(e @ ('\\' | '"')) = self.at(self.pos + 1) {
                    self.pos += 2;
                    flush_surrogate(&mut text, &mut pending_high);
                    text.push(e);
                    continue;
                }
            }
            self.pos += 1;
            flush_surrogate(&mut text, &mut pending_high);
            text.push(c);
        }
    }

    /// `\t`, `\r`, `\n` (two characters) at the current position.
    fn escaped_whitespace(&mut self) -> Option<char> {
        if self.peek() != Some('\\') {
            return None;
        }
        let c = match self.at(self.pos + 1)? {
            't' => '\t',
            'r' => '\r',
            'n' => '\n',
            _ => return None,
        };
        self.pos += 2;
        Some(c)
    }

    /// `\uXXXX` at the current position, as a UTF-16 code unit.
    fn escaped_unicode(&mut self) -> Option<u16> {
        if self.peek() != Some('\\') || self.at(self.pos + 1) != Some('u') {
            return None;
        }
        let mut v: u16 = 0;
        for k in 0..4 {
            let d = self.at(self.pos + 2 + k)?.to_digit(16)?;
            v = v * 16 + d as u16;
        }
        self.pos += 6;
        Some(v)
    }

    /// `Keyword` lookahead at position `i`: `Space 'or'i Space / Space 'and'i Space / 'not'i Space`.
    fn keyword_at(&self, i: usize) -> bool {
        let space = |j: usize| self.at(j).is_some_and(is_space);
        (space(i) && self.word_at(i + 1, "or") && space(i + 3))
            || (space(i) && self.word_at(i + 1, "and") && space(i + 4))
            || (self.word_at(i, "not") && space(i + 3))
    }

    fn unquoted_literal(&mut self) -> Option<Value> {
        let mut parts: Vec<PatternPart> = Vec::new();
        let mut lit = String::new();
        let mut pending_high: Option<u16> = None;
        let mut any = false;
        while let Some(c) = self.peek() {
            if c == '\\' {
                if let Some(w) = self.escaped_whitespace() {
                    flush_surrogate(&mut lit, &mut pending_high);
                    lit.push(w);
                    any = true;
                    continue;
                }
                if let Some(s) = self.at(self.pos + 1).filter(|&s| is_special(s)) {
                    self.pos += 2;
                    flush_surrogate(&mut lit, &mut pending_high);
                    lit.push(s);
                    any = true;
                    continue;
                }
                if let Some(u) = self.escaped_unicode() {
                    push_utf16(&mut lit, &mut pending_high, u);
                    any = true;
                    continue;
                }
                if let Some(len) =
                    ["or", "and", "not"].iter().find(|w| self.word_at(self.pos + 1, w)).map(|w| w.len())
                {
                    flush_surrogate(&mut lit, &mut pending_high);
                    lit.extend(&self.chars[self.pos + 1..self.pos + 1 + len]);
                    self.pos += 1 + len;
                    any = true;
                    continue;
                }
                break;
            }
            if c == '*' {
                flush_surrogate(&mut lit, &mut pending_high);
                if !lit.is_empty() {
                    parts.push(PatternPart::Lit(std::mem::take(&mut lit)));
                }
                parts.push(PatternPart::Star);
                self.pos += 1;
                any = true;
                continue;
            }
            if is_special(c) || self.keyword_at(self.pos) {
                break;
            }
            flush_surrogate(&mut lit, &mut pending_high);
            lit.push(c);
            self.pos += 1;
            any = true;
        }
        if !any {
            return None;
        }
        flush_surrogate(&mut lit, &mut pending_high);
        if !lit.is_empty() {
            parts.push(PatternPart::Lit(lit));
        }
        Some(finish_unquoted(parts))
    }
}

/// Apply Kibana's post-processing of an unquoted literal: JavaScript trim, then `null`/`true`/
/// `false`, then wildcard if any unescaped `*` occurred, else a plain string.
fn finish_unquoted(mut parts: Vec<PatternPart>) -> Value {
    if let Some(PatternPart::Lit(first)) = parts.first_mut() {
        let t = first.trim_start_matches(is_js_whitespace);
        if t.len() != first.len() {
            *first = t.to_string();
        }
    }
    if let Some(PatternPart::Lit(last)) = parts.last_mut() {
        let t = last.trim_end_matches(is_js_whitespace);
        if t.len() != last.len() {
            *last = t.to_string();
        }
    }
    parts.retain(|p| !matches!(p, PatternPart::Lit(l) if l.is_empty()));
    let has_star = parts.iter().any(|p| matches!(p, PatternPart::Star));
    if !has_star {
        let text = match parts.pop() {
            Some(PatternPart::Lit(l)) => l,
            _ => String::new(),
        };
        return match text.as_str() {
            "null" => Value::Null,
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::Str { text, quoted: false },
        };
    }
    Value::Wildcard(Pattern(parts))
}

/// Append a UTF-16 code unit from a `\uXXXX` escape; surrogate pairs written as two escapes are
/// joined, a lone surrogate becomes U+FFFD (what a JSON encoder sends for it).
fn push_utf16(out: &mut String, pending_high: &mut Option<u16>, u: u16) {
    match u {
        0xD800..=0xDBFF => {
            flush_surrogate(out, pending_high);
            *pending_high = Some(u);
        }
        0xDC00..=0xDFFF => match pending_high.take() {
            Some(h) => {
                let c = 0x10000 + (((h as u32) - 0xD800) << 10) + ((u as u32) - 0xDC00);
                out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
            None => out.push('\u{FFFD}'),
        },
        _ => {
            flush_surrogate(out, pending_high);
            out.push(char::from_u32(u as u32).unwrap_or('\u{FFFD}'));
        }
    }
}

fn flush_surrogate(out: &mut String, pending_high: &mut Option<u16>) {
    if pending_high.take().is_some() {
        out.push('\u{FFFD}');
    }
}
