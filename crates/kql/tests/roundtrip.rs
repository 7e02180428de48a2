//! Property: `parse(print(t)) == t` for every tree the parser can produce, and the parser never
//! panics on arbitrary input.

use kql::{parse, print, Node, Pattern, PatternPart, RangeOp, Value};
use proptest::prelude::*;

/// Characters that stress the grammar: specials, spaces, keyword letters, escapes, unicode.
fn text_char() -> impl Strategy<Value = char> {
    prop_oneof![
        8 => prop::sample::select(vec!['a', 'b', 'o', 'r', 'n', 'd', 't', 'N', 'O', 'R', 'A', 'D', 'T', 'x', '1', '.', '-', '_', '@', '/']),
        3 => prop::sample::select(vec![' ', ' ', '\u{A0}', '\t', '\n', '\r']),
        3 => prop::sample::select(vec!['\\', '(', ')', ':', '<', '>', '"', '*', '{', '}', '=', '?']),
        1 => any::<char>(),
    ]
}

fn text(min: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(text_char(), min..12).prop_map(|v| v.into_iter().collect())
}

fn js_trimmed(s: &str) -> bool {
    let ws = |c: char| {
        matches!(
            c,
            '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
                ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}' | '\u{FEFF}'
        )
    };
    !s.starts_with(ws) && !s.ends_with(ws)
}

fn unquoted() -> impl Strategy<Value = Value> {
    text(1)
        .prop_filter("unquoted text is trimmed and not a keyword literal", |t| {
            js_trimmed(t) && !matches!(t.as_str(), "true" | "false" | "null")
        })
        .prop_map(Value::str)
}

fn wildcard() -> impl Strategy<Value = Value> {
    prop::collection::vec(prop::option::of(text(1)), 1..5).prop_filter_map("trimmed wildcard", |parts| {
        let mut out: Vec<PatternPart> = Vec::new();
        for p in parts {
            match p {
                None => out.push(PatternPart::Star),
                Some(l) => match out.last_mut() {
                    Some(PatternPart::Lit(prev)) => prev.push_str(&l),
                    _ => out.push(PatternPart::Lit(l)),
                },
            }
        }
        if !out.iter().any(|p| matches!(p, PatternPart::Star)) {
            out.push(PatternPart::Star);
        }
        let first_ok = match out.first() {
            Some(PatternPart::Lit(l)) => {
                js_trimmed(&l[..l.len().min(l.chars().next().map_or(0, char::len_utf8))])
            }
            _ => true,
        };
        let last_ok = match out.last() {
            Some(PatternPart::Lit(l)) => {
                js_trimmed(l.chars().last().map(|c| c.to_string()).unwrap_or_default().as_str())
            }
            _ => true,
        };
        (first_ok && last_ok).then_some(Value::Wildcard(Pattern(out)))
    })
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => unquoted(),
        3 => text(0).prop_map(Value::quoted),
        2 => wildcard(),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
    ]
}

fn field() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => unquoted(),
        2 => text(0).prop_map(Value::quoted),
        1 => wildcard(),
    ]
}

fn op() -> impl Strategy<Value = RangeOp> {
    prop::sample::select(vec![RangeOp::Lt, RangeOp::Lte, RangeOp::Gt, RangeOp::Gte])
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        6 => (field(), value()).prop_map(|(field, value)| Node::Is { field, value }),
        1 => value().prop_map(|value| Node::Is { field: Value::Null, value }),
        2 => (field(), op(), value()).prop_map(|(field, op, value)| Node::Range { field, op, value }),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Node::Or),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Node::And),
            inner.clone().prop_map(|n| Node::Not(Box::new(n))),
            (field(), inner).prop_map(|(path, q)| Node::Nested { path, query: Box::new(q) }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn printed_trees_parse_back(tree in node()) {
        let printed = print(&tree);
        let reparsed = parse(&printed);
        prop_assert_eq!(reparsed.as_ref(), Ok(&tree), "printed: {}", printed);
    }

    #[test]
    fn parser_never_panics_and_roundtrips(input in prop::collection::vec(prop_oneof![
        4 => text_char().prop_map(|c| c.to_string()),
        1 => prop::sample::select(vec![" or ", " and ", "not ", " OR ", "a:", "(", ")", ":{", "}", "\\u0041", "\\", "\""]).prop_map(String::from),
    ], 0..40)) {
        let input: String = input.concat();
        if let Ok(tree) = parse(&input) {
            let printed = print(&tree);
            let reparsed = parse(&printed);
            prop_assert_eq!(reparsed.as_ref(), Ok(&tree), "input: {:?} printed: {:?}", input, printed);
        }
    }
}

#[test]
fn kibana_quirks_roundtrip() {
    for q in ["a:b \\or c", "a:x\\not", "a:\\Not x", "a:(x or)", "null:x", "true:x", "a:\\t", "event.*:x*y"] {
        let t = parse(q).unwrap();
        assert_eq!(parse(&print(&t)).unwrap(), t, "{q} -> {}", print(&t));
    }
}
