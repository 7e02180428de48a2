//! A flattened, zero-copy view over a parsed JSON document.
//!
//! Elasticsearch treats `{"event": {"action": "x"}}` and `{"event.action": "x"}` (and any mix,
//! such as `{"event": {"action.name": ...}}`) as the same field; arrays at any depth hold several
//! values of one field. The functions here walk the `serde_json::Value` in place: a lookup never
//! copies the document and allocates nothing.

use serde_json::Value;
use std::ops::ControlFlow;

/// Call `f` with every value of the dotted field `path`: arrays are flattened at every depth,
/// `null` yields nothing, objects are yielded as they are. Stops when `f` breaks.
pub fn for_each_value<'a>(
    doc: &'a Value,
    path: &str,
    f: &mut dyn FnMut(&'a Value) -> ControlFlow<()>,
) -> ControlFlow<()> {
    match doc {
        Value::Array(items) => {
            for item in items {
                for_each_value(item, path, f)?;
            }
            ControlFlow::Continue(())
        }
        Value::Object(map) => {
            if let Some(v) = map.get(path) {
                yield_flat(v, f)?;
            }
            // Every split of the path at a dot: "a.b.c" -> ("a", "b.c"), ("a.b", "c").
            for (i, _) in path.match_indices('.') {
                if let Some(child) = map.get(&path[..i]) {
                    for_each_value(child, &path[i + 1..], f)?;
                }
            }
            ControlFlow::Continue(())
        }
        _ => ControlFlow::Continue(()),
    }
}

fn yield_flat<'a>(v: &'a Value, f: &mut dyn FnMut(&'a Value) -> ControlFlow<()>) -> ControlFlow<()> {
    match v {
        Value::Null => ControlFlow::Continue(()),
        Value::Array(items) => {
            for item in items {
                yield_flat(item, f)?;
            }
            ControlFlow::Continue(())
        }
        other => f(other),
    }
}

/// True when any value of `path` satisfies `pred`.
pub fn any_value(doc: &Value, path: &str, mut pred: impl FnMut(&Value) -> bool) -> bool {
    for_each_value(doc, path, &mut |v| {
        if pred(v) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .is_break()
}

/// The first string value of `path`, if any.
pub fn first_str<'a>(doc: &'a Value, path: &str) -> Option<&'a str> {
    let mut out = None;
    let _ = for_each_value(doc, path, &mut |v| match v.as_str() {
        Some(s) => {
            out = Some(s);
            ControlFlow::Break(())
        }
        None => ControlFlow::Continue(()),
    });
    out
}

/// Call `f` with the dotted path and value of every leaf (scalar or empty object) of `doc`.
pub fn for_each_leaf<'a>(
    doc: &'a Value,
    f: &mut dyn FnMut(&str, &'a Value) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let mut path = String::new();
    walk_leaves(doc, &mut path, f)
}

fn walk_leaves<'a>(
    v: &'a Value,
    path: &mut String,
    f: &mut dyn FnMut(&str, &'a Value) -> ControlFlow<()>,
) -> ControlFlow<()> {
    match v {
        Value::Object(map) if !map.is_empty() => {
            for (k, child) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                let r = walk_leaves(child, path, f);
                path.truncate(len);
                r?;
            }
            ControlFlow::Continue(())
        }
        Value::Array(items) => {
            for item in items {
                walk_leaves(item, path, f)?;
            }
            ControlFlow::Continue(())
        }
        Value::Null => ControlFlow::Continue(()),
        other => f(path, other),
    }
}

/// The string Elasticsearch indexes for a scalar in a keyword-like field: strings as they are,
/// numbers in their JSON form, booleans as `true`/`false`. `None` for objects.
pub fn keyword_form(v: &Value) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}
