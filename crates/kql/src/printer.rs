//! Print a tree back to KQL text such that `parse(print(t)) == t` for every tree the parser
//! returns. The output is the normalized form: single spaces around operators, lower-case
//! keywords, the fewest parentheses that keep the tree, and value lists re-collapsed
//! (`Or[f:a, f:b]` prints as `f:(a or b)`).

use crate::ast::{Node, Pattern, PatternPart, Value};
use crate::parser::{is_js_whitespace, is_special};

/// Print a query in normalized KQL.
pub fn print(node: &Node) -> String {
    let mut out = String::new();
    print_node(&mut out, node, Level::Or);
    out
}

/// How tightly the surrounding context binds: a node of a looser kind needs parentheses.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Level {
    Or,
    And,
    Not,
}

fn print_node(out: &mut String, node: &Node, level: Level) {
    if let Some(field) = list_field(node) {
        if matches!(node, Node::Or(_) | Node::And(_)) {
            print_value(out, field);
            out.push_str(":(");
            print_list(out, node, Level::Or);
            out.push(')');
            return;
        }
    }
    match node {
        Node::Or(children) => group(out, level > Level::Or, |out| {
            join(out, children, " or ", |out, c| print_node(out, c, Level::And))
        }),
        Node::And(children) => group(out, level > Level::And, |out| {
            join(out, children, " and ", |out, c| print_node(out, c, Level::Not))
        }),
        Node::Not(child) => group(out, level > Level::Not, |out| {
            out.push_str("not ");
            print_sub(out, child);
        }),
        Node::Is { field: Value::Null, value } => print_value(out, value),
        Node::Is { field, value } => {
            print_value(out, field);
            out.push(':');
            print_value(out, value);
        }
        Node::Range { field, op, value } => {
            print_value(out, field);
            out.push(' ');
            out.push_str(op.as_str());
            out.push(' ');
            print_value(out, value);
        }
        Node::Nested { path, query } => {
            print_value(out, path);
            out.push_str(":{ ");
            print_node(out, query, Level::Or);
            out.push_str(" }");
        }
    }
}

/// The operand of `not`: a leaf as is, anything else in parentheses.
fn print_sub(out: &mut String, node: &Node) {
    let needs_parens = match node {
        Node::Or(_) | Node::And(_) => list_field(node).is_none(),
        Node::Not(_) => true,
        _ => false,
    };
    group(out, needs_parens, |out| print_node(out, node, Level::Or));
}

fn group(out: &mut String, parens: bool, f: impl FnOnce(&mut String)) {
    if parens {
        out.push('(');
    }
    f(out);
    if parens {
        out.push(')');
    }
}

fn join<T>(out: &mut String, items: &[T], sep: &str, mut f: impl FnMut(&mut String, &T)) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        f(out, item);
    }
}

/// If every leaf under `node` is `Is` on the same (non-free-text) field and the inner nodes
/// are only or/and/not, that field: the subtree can print as a value list.
fn list_field(node: &Node) -> Option<&Value> {
    fn walk<'a>(node: &'a Node, field: &mut Option<&'a Value>) -> bool {
        match node {
            Node::Or(v) | Node::And(v) => v.iter().all(|c| walk(c, field)),
            Node::Not(c) => walk(c, field),
            Node::Is { field: Value::Null, .. } => false,
            Node::Is { field: f, .. } => match field {
                Some(existing) => *existing == f,
                None => {
                    *field = Some(f);
                    true
                }
            },
            _ => false,
        }
    }
    let mut field = None;
    if walk(node, &mut field) {
        field
    } else {
        None
    }
}

/// Print the values of a collapsed list (`a or b and not c`).
fn print_list(out: &mut String, node: &Node, level: Level) {
    match node {
        Node::Or(children) => group(out, level > Level::Or, |out| {
            join(out, children, " or ", |out, c| print_list(out, c, Level::And))
        }),
        Node::And(children) => group(out, level > Level::And, |out| {
            join(out, children, " and ", |out, c| print_list(out, c, Level::Not))
        }),
        Node::Not(child) => group(out, level > Level::Not, |out| {
            out.push_str("not ");
            let parens = !matches!(**child, Node::Is { .. });
            group(out, parens, |out| print_list(out, child, Level::Or));
        }),
        Node::Is { value, .. } => print_value(out, value),
        _ => unreachable!("list_field admits only or/and/not/is"),
    }
}

fn print_value(out: &mut String, value: &Value) {
    match value {
        Value::Str { text, quoted: true } => print_quoted(out, text),
        Value::Str { text, quoted: false } if text.is_empty() => out.push_str("\\t"),
        Value::Str { text, quoted: false } => print_unquoted(out, text),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
        Value::Wildcard(Pattern(parts)) => {
            for part in parts {
                match part {
                    PatternPart::Star => out.push('*'),
                    PatternPart::Lit(l) => print_unquoted(out, l),
                }
            }
        }
    }
}

fn print_quoted(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Escape unquoted text so the parser reads back exactly `text`: specials and `\t\r\n` get a
/// backslash, and anything the keyword lookahead would stop at is escaped.
fn print_unquoted(out: &mut String, text: &str) {
    let chars: Vec<char> = text.chars().collect();
    // A keyword is only recognized when followed by whitespace; at the end of the literal the
    // printer cannot know what follows, so treat the end as whitespace.
    let space_or_end = |j: usize| {
        chars.get(j).is_none_or(|&c| c == ' ' || c == '\u{A0}' || c == '\t' || c == '\r' || c == '\n')
    };
    let word_at = |i: usize, w: &str| {
        w.chars().enumerate().all(|(k, wc)| chars.get(i + k).is_some_and(|c| c.eq_ignore_ascii_case(&wc)))
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c if is_special(c) => {
                out.push('\\');
                out.push(c);
            }
            ' ' | '\u{A0}' => {
                out.push(c);
                for w in ["or", "and"] {
                    if word_at(i + 1, w) && space_or_end(i + 1 + w.len()) {
                        out.push('\\');
                        out.extend(&chars[i + 1..i + 1 + w.len()]);
                        i += w.len();
                        break;
                    }
                }
            }
            'n' if word_at(i, "not") && space_or_end(i + 3) => out.push_str("\\u006e"),
            'N' if word_at(i, "not") && space_or_end(i + 3) => {
                out.push('\\');
                out.extend(&chars[i..i + 3]);
                i += 2;
            }
            c if (i == 0 || i + 1 == chars.len()) && is_js_whitespace(c) => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
        i += 1;
    }
}
