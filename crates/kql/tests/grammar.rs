//! One test per grammar rule of Kibana's grammar.peggy, each with input that must parse to a
//! given tree and input that must not.

use kql::{parse, print, Node, Pattern, PatternPart, RangeOp, Value};

fn is(field: &str, value: Value) -> Node {
    Node::Is { field: Value::str(field), value }
}
fn s(t: &str) -> Value {
    Value::str(t)
}
fn q(t: &str) -> Value {
    Value::quoted(t)
}
fn w(parts: &[&str]) -> Value {
    Value::Wildcard(Pattern(
        parts
            .iter()
            .map(|p| if *p == "*" { PatternPart::Star } else { PatternPart::Lit(p.to_string()) })
            .collect(),
    ))
}
fn ok(query: &str) -> Node {
    parse(query).unwrap_or_else(|e| panic!("{query:?} should parse: {e}"))
}
fn err(query: &str) -> kql::ParseError {
    parse(query).expect_err(&format!("{query:?} should not parse"))
}

#[test]
fn empty_query_is_match_all() {
    assert_eq!(ok(""), kql::match_all());
    assert_eq!(ok("  \n "), kql::match_all());
    assert_eq!(ok("*:*"), kql::match_all());
}

#[test]
fn or_and_not_precedence() {
    // and binds tighter than or; not applies to one sub-query.
    assert_eq!(
        ok("a:1 or b:2 and not c:3"),
        Node::Or(vec![
            is("a", s("1")),
            Node::And(vec![is("b", s("2")), Node::Not(Box::new(is("c", s("3"))))])
        ])
    );
    assert_eq!(
        ok("(a:1 or b:2) and c:3"),
        Node::And(vec![Node::Or(vec![is("a", s("1")), is("b", s("2"))]), is("c", s("3"))])
    );
}

#[test]
fn keywords_are_case_insensitive() {
    assert_eq!(ok("a:1 OR b:2"), ok("a:1 or b:2"));
    assert_eq!(ok("a:1 AnD b:2"), ok("a:1 and b:2"));
    assert_eq!(ok("NOT a:1"), ok("not a:1"));
}

#[test]
fn operators_need_whitespace() {
    err("a:1 and(b:2)");
    err("not(a:1)");
    // `a:1and b:2` is one unquoted value "1and b:2"? No: ':' is special, so it stops and fails.
    err("a:1and b:2");
}

#[test]
fn parentheses_group() {
    assert_eq!(ok("((a:1))"), is("a", s("1")));
    assert_eq!(ok("( a:1 )"), is("a", s("1")));
    err("(a:1");
    err("a:1)");
}

#[test]
fn field_value_and_spaces_around_colon() {
    assert_eq!(ok("event.action : GetObject"), is("event.action", s("GetObject")));
    assert_eq!(ok("\"event.action\":x"), Node::Is { field: q("event.action"), value: s("x") });
    err("event.action:");
}

#[test]
fn quoted_phrases() {
    assert_eq!(ok(r#"a:"Create Cache Security Group""#), is("a", q("Create Cache Security Group")));
    // escapes: \\ \" \t \r \n \uXXXX; any other backslash is kept
    assert_eq!(ok(r#"a:"x\"y\\z\tq\u0041\d""#), is("a", q("x\"y\\z\tqA\\d")));
    // * inside quotes is literal, not a wildcard
    assert_eq!(ok(r#"a:"x*""#), is("a", q("x*")));
    // raw newline allowed inside quotes
    assert_eq!(ok("a:\"x\ny\""), is("a", q("x\ny")));
    err(r#"a:"unterminated"#);
}

#[test]
fn unquoted_values_with_spaces() {
    assert_eq!(
        ok("event.action:Create Cache Security Group"),
        is("event.action", s("Create Cache Security Group"))
    );
    assert_eq!(ok("a:b c or d:e"), Node::Or(vec![is("a", s("b c")), is("d", s("e"))]));
    // trailing spaces are trimmed
    assert_eq!(ok("a:b   "), is("a", s("b")));
    // the `not ` lookahead applies inside words (Kibana quirk)
    err("message:cannot login");
}

#[test]
fn wildcards_anywhere() {
    assert_eq!(ok("a:*x*"), is("a", w(&["*", "x", "*"])));
    assert_eq!(ok("a:x*y"), is("a", w(&["x", "*", "y"])));
    assert_eq!(ok("a:*S3 Browser*"), is("a", w(&["*", "S3 Browser", "*"])));
    // an escaped star is a literal star, and the value stays a plain string
    assert_eq!(ok(r"a:x\*"), is("a", s("x*")));
    assert_eq!(ok(r"a:x\**"), is("a", w(&["x*", "*"])));
}

#[test]
fn exists() {
    assert_eq!(ok("a:*"), is("a", w(&["*"])));
    match ok("a:*") {
        Node::Is { value: Value::Wildcard(p), .. } => assert!(p.is_lone_star()),
        other => panic!("{other:?}"),
    }
    assert_ne!(ok("a:\"*\""), ok("a:*"));
}

#[test]
fn value_lists() {
    assert_eq!(
        ok("a:(x or y and not z)"),
        Node::Or(vec![
            is("a", s("x")),
            Node::And(vec![is("a", s("y")), Node::Not(Box::new(is("a", s("z"))))])
        ])
    );
    assert_eq!(ok("a:(x or y)"), ok("a:x or a:y"));
    assert_eq!(
        ok("a:(* and not (A* or B*))"),
        Node::And(vec![
            is("a", w(&["*"])),
            Node::Not(Box::new(Node::Or(vec![is("a", w(&["A", "*"])), is("a", w(&["B", "*"]))])))
        ])
    );
    // `or` needs whitespace on both sides, so this is the single value "x or" (as in Kibana)
    assert_eq!(ok("a:(x or)"), is("a", s("x or")));
    err("a:(x or y");
    // `field: not x` is not Kibana KQL
    err("a: not x");
}

#[test]
fn ranges() {
    assert_eq!(ok("a < 5"), Node::Range { field: s("a"), op: RangeOp::Lt, value: s("5") });
    assert_eq!(ok("a<=5"), Node::Range { field: s("a"), op: RangeOp::Lte, value: s("5") });
    assert_eq!(ok("a > now-1d"), Node::Range { field: s("a"), op: RangeOp::Gt, value: s("now-1d") });
    assert_eq!(
        ok("a >= \"2024-01-01\""),
        Node::Range { field: s("a"), op: RangeOp::Gte, value: q("2024-01-01") }
    );
    err("a >");
    // `=` is not special: the field is "a =" (as in Kibana)
    assert_eq!(ok("a => 5"), Node::Range { field: s("a ="), op: RangeOp::Gt, value: s("5") });
}

#[test]
fn nested_queries() {
    assert_eq!(
        ok("items:{ a:1 and b:2 }"),
        Node::Nested { path: s("items"), query: Box::new(Node::And(vec![is("a", s("1")), is("b", s("2"))])) }
    );
    err("items:{ a:1 ");
}

#[test]
fn wildcard_field_names() {
    assert_eq!(ok("event.*:x"), Node::Is { field: w(&["event.", "*"]), value: s("x") });
}

#[test]
fn escapes_in_unquoted_values() {
    assert_eq!(ok(r"user.id:*\:i-*"), is("user.id", w(&["*", ":i-", "*"])));
    assert_eq!(ok(r#"a:\(\)\:\<\>\"\{\}\\"#), is("a", s("():<>\"{}\\")));
    assert_eq!(ok(r"a:x\u0041"), is("a", s("xA")));
    assert_eq!(ok(r"a:x\tz"), is("a", s("x\tz")));
    // escaped keywords keep their text
    assert_eq!(ok(r"a:b \or c"), is("a", s("b or c")));
    assert_eq!(ok(r"a:\AND"), is("a", s("AND")));
    // `\n` wins over `\not` (ordered choice): newline + "ot"
    assert_eq!(ok(r"a:x\not"), is("a", s("x\not")));
    // surrogate pairs join; a lone surrogate becomes U+FFFD
    assert_eq!(ok(r"a:\ud83d\ude00"), is("a", s("😀")));
    assert_eq!(ok(r"a:x\ud83d"), is("a", s("x\u{FFFD}")));
    // a backslash before anything else is an error in unquoted text
    err(r"a:x\q");
}

#[test]
fn booleans_and_null() {
    assert_eq!(ok("a:true"), is("a", Value::Bool(true)));
    assert_eq!(ok("a:false"), is("a", Value::Bool(false)));
    assert_eq!(ok("a:null"), is("a", Value::Null));
    assert_eq!(ok("a:\"true\""), is("a", q("true")));
    assert_eq!(ok("a:True"), is("a", s("True")));
    // numbers stay strings, as in Kibana
    assert_eq!(ok("a:22"), is("a", s("22")));
}

#[test]
fn free_text() {
    assert_eq!(ok("hello world"), Node::Is { field: Value::Null, value: s("hello world") });
    assert_eq!(ok("\"exact phrase\""), Node::Is { field: Value::Null, value: q("exact phrase") });
    assert_eq!(ok("foo*"), Node::Is { field: Value::Null, value: w(&["foo", "*"]) });
}

#[test]
fn errors_say_where_and_what() {
    let e = err("event.action:");
    assert_eq!((e.line, e.column, e.offset), (1, 14, 13));
    assert!(e.message.contains("value") && e.message.contains("end of input"), "{}", e.message);
    assert_eq!(e.caret(), "event.action:\n             ^");

    let e = err("a:1 and\nb:(x or y");
    assert_eq!(e.line, 2);
    assert!(e.to_string().contains("b:(x or y\n"), "{e}");

    let e = err("a:1 xor b:2");
    assert!(e.message.starts_with("Expected "), "{}", e.message);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let q = format!("{}a:1{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(err(&q).message.contains("deeper"));
    let q = format!("{}a:1{}", "(".repeat(50), ")".repeat(50));
    ok(&q);
}

#[test]
fn printer_normalizes() {
    let cases = [
        ("a:1   OR b:2", "a:1 or b:2"),
        ("a:x or a:y", "a:(x or y)"),
        ("(a:1 or b:2) and c:3", "(a:1 or b:2) and c:3"),
        ("not (a:1 and b:2)", "not (a:1 and b:2)"),
        ("not not a:1", "not a:1"),
        ("", "*:*"),
        (r#"a:"x\"y""#, r#"a:"x\"y""#),
        (r"a:b \or c", r"a:b \or c"),
        (r"a:x\*", r"a:x\*"),
        ("a >= 10", "a >= 10"),
        ("items:{a:1}", "items:{ a:1 }"),
    ];
    for (input, want) in cases {
        if input == "not not a:1" {
            // `not not a:1` does not parse: NOT takes a sub-query, which cannot start with NOT.
            err(input);
            continue;
        }
        assert_eq!(print(&ok(input)), want, "printing {input:?}");
        assert_eq!(ok(want), ok(input), "reparsing {want:?}");
    }
}
