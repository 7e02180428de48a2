//! Java's `Map.toString()` of a parsed JSON object, as Elasticsearch's painless `toString()`
//! renders it: `{k1=v1, k2=v2}`, lists `[a, b]`, strings unquoted, numbers in Java's form.
//!
//! Key order is `java.util.HashMap` iteration order, because Elasticsearch's JSON parser builds
//! `HashMap`s: the table has the smallest power-of-two capacity (at least 16) that keeps the load
//! factor at or under 0.75; a key's bucket is `(h ^ (h >>> 16)) & (capacity - 1)` with `h` =
//! `String.hashCode()` over UTF-16 units; buckets are visited in ascending order, and keys that
//! share a bucket in insertion order (resizes keep that order). Buckets of 8+ keys in tables of
//! 64+ are turned into trees by Java; that needs pathological key sets and is not modelled.

use serde_json::{Map, Value};

/// Java's `String.hashCode()`.
pub fn string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(u as i32))
}

/// The capacity of a `HashMap` after inserting `n` keys one by one.
pub fn hashmap_capacity(n: usize) -> usize {
    let mut cap = 16;
    while n > cap * 3 / 4 {
        cap *= 2;
    }
    cap
}

/// Keys in `java.util.HashMap` iteration order, given their insertion order.
pub fn hashmap_order<'a, I>(keys: I) -> Vec<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let keys: Vec<&str> = keys.into_iter().collect();
    let cap = hashmap_capacity(keys.len());
    order_with_capacity(keys, cap)
}

/// Keys in iteration order of a `HashMap` table of the given capacity.
fn order_with_capacity<'a, I>(keys: I, cap: usize) -> Vec<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let keys: Vec<&str> = keys.into_iter().collect();
    let mut indexed: Vec<(usize, usize, &str)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let h = string_hash(k) as u32;
            ((((h ^ (h >> 16)) as usize) & (cap - 1)), i, *k)
        })
        .collect();
    indexed.sort_unstable_by_key(|&(bucket, i, _)| (bucket, i));
    indexed.into_iter().map(|(_, _, k)| k).collect()
}

/// Render a JSON value as Java's `toString()` of the value Elasticsearch parsed it into.
pub fn to_java_string(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, &|_| false);
    out
}

/// Render what is left of `v` after the pipeline's empty-value purge, as Java would: the maps were
/// built with every key of the original JSON (so the table capacity counts the purged keys too),
/// and the purge removed entries without shrinking them. `None` when the purge drops `v` itself.
pub fn to_java_string_purged(v: &Value, drops: &dyn Fn(&Value) -> bool) -> Option<String> {
    if drops(v) {
        return None;
    }
    let mut out = String::new();
    write_value(&mut out, v, drops);
    Some(out)
}

fn write_value(out: &mut String, v: &Value, drops: &dyn Fn(&Value) -> bool) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if n.is_i64() || n.is_u64() {
                out.push_str(&n.to_string());
            } else if let Some(f) = n.as_f64() {
                out.push_str(&java_double(f));
            }
        }
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().filter(|x| !drops(x)).enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item, drops);
            }
            out.push(']');
        }
        Value::Object(map) => write_map(out, map, drops),
    }
}

fn write_map(out: &mut String, map: &Map<String, Value>, drops: &dyn Fn(&Value) -> bool) {
    out.push('{');
    // The capacity comes from every key the map was built with, purged ones included.
    let cap = hashmap_capacity(map.len());
    let mut first = true;
    for k in order_with_capacity(map.keys().map(String::as_str), cap) {
        let v = &map[k];
        if drops(v) {
            continue;
        }
        if !first {
            out.push_str(", ");
        }
        first = false;
        out.push_str(k);
        out.push('=');
        write_value(out, v, drops);
    }
    out.push('}');
}

/// Java's `Double.toString`: plain notation with at least one decimal for 1e-3 <= |d| < 1e7,
/// otherwise `d.dddE±n`; the shortest digits that round-trip.
pub fn java_double(d: f64) -> String {
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let a = d.abs();
    if (1e-3..1e7).contains(&a) {
        let s = format!("{d}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        // Rust: "1.2345e7" / "1e-5"; Java: "1.2345E7" / "1.0E-5"
        let s = format!("{d:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') { mantissa.to_string() } else { format!("{mantissa}.0") };
        format!("{mantissa}E{exp}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// A reference emulation of `java.util.HashMap`: a real bucket table with separate chaining,
    /// inserted key by key and resized (doubling, split preserving order) as Java does.
    fn reference_order(keys: &[String]) -> Vec<String> {
        let mut table: Vec<Vec<(u32, String)>> = vec![Vec::new(); 16];
        let mut size = 0usize;
        for k in keys {
            let h = string_hash(k) as u32;
            let spread = h ^ (h >> 16);
            let cap = table.len();
            let b = (spread as usize) & (cap - 1);
            if table[b].iter().any(|(_, e)| e == k) {
                continue;
            }
            table[b].push((spread, k.clone()));
            size += 1;
            if size > cap * 3 / 4 {
                let new_cap = cap * 2;
                let mut new_table: Vec<Vec<(u32, String)>> = vec![Vec::new(); new_cap];
                for bucket in table {
                    for (s, e) in bucket {
                        new_table[(s as usize) & (new_cap - 1)].push((s, e));
                    }
                }
                table = new_table;
            }
        }
        table.into_iter().flatten().map(|(_, k)| k).collect()
    }

    #[test]
    fn matches_the_integration_test_expectation() {
        // key order of a request_parameters string in the integration's pipeline tests
        let v = json!({"incomingTransitiveTags": {"Department": "Engineering"},
            "tags": [{"value": "johndoe@example.com", "key": "Email"}, {"value": "12345", "key": "CostCenter"}],
            "roleArn": "arn:aws:iam::111111111111:role/JohnRole2", "roleSessionName": "Role2WithTags",
            "transitiveTagKeys": ["Email", "CostCenter"], "durationSeconds": 3600});
        assert_eq!(
            to_java_string(&v),
            "{incomingTransitiveTags={Department=Engineering}, transitiveTagKeys=[Email, CostCenter], \
             durationSeconds=3600, roleArn=arn:aws:iam::111111111111:role/JohnRole2, roleSessionName=Role2WithTags, \
             tags=[{value=johndoe@example.com, key=Email}, {value=12345, key=CostCenter}]}"
        );
    }

    #[test]
    fn string_hash_is_javas() {
        assert_eq!(string_hash(""), 0);
        assert_eq!(string_hash("a"), 97);
        assert_eq!(string_hash("hello"), 99162322);
        // a character outside the BMP counts as two UTF-16 units
        assert_eq!(string_hash("😀"), 0xD83D * 31 + 0xDE00);
    }

    #[test]
    fn doubles_print_like_java() {
        assert_eq!(java_double(2.0), "2.0");
        assert_eq!(java_double(0.5), "0.5");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(12345678.9), "1.23456789E7");
        assert_eq!(java_double(0.0001), "1.0E-4");
        assert_eq!(to_java_string(&json!({"a": 1.5, "b": [true, null]})), "{a=1.5, b=[true, null]}");
    }

    proptest! {
        #[test]
        fn order_agrees_with_a_reference_hashmap(keys in prop::collection::vec("[a-zA-Z0-9_.:-]{0,12}|\\PC{0,4}", 0..80)) {
            let mut seen = std::collections::HashSet::new();
            let unique: Vec<String> = keys.into_iter().filter(|k| seen.insert(k.clone())).collect();
            let ours: Vec<String> = hashmap_order(unique.iter().map(String::as_str)).into_iter().map(String::from).collect();
            prop_assert_eq!(ours, reference_order(&unique));
        }
    }
}
