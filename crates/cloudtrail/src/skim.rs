//! Read `eventSource` and `eventName` off a raw record without parsing it: walk the top-level
//! object's keys and skip every other value by structure alone. This is what lets `hunt` decide
//! from the dispatch index that no rule can match a record, and not normalize it at all.

/// The discriminators of a raw CloudTrail record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skimmed<'a> {
    pub source: Option<std::borrow::Cow<'a, str>>,
    pub name: Option<std::borrow::Cow<'a, str>>,
    /// The object has CloudTrail's record keys (so it will be normalized, not passed through).
    pub is_cloudtrail: bool,
}

/// Skim a record's bytes, stopping as soon as both values are found. `None` when the bytes are
/// not a well-formed-looking JSON object (the full parser then reports the problem).
pub fn skim(b: &[u8]) -> Option<Skimmed<'_>> {
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let mut out = Skimmed { source: None, name: None, is_cloudtrail: false };
    loop {
        i = ws(b, i);
        match b.get(i)? {
            b'}' => return Some(out),
            b',' => {
                i += 1;
                continue;
            }
            b'"' => {}
            _ => return None,
        }
        let (key_end, key_escaped) = string_end(b, i)?;
        let key = &b[i + 1..key_end];
        i = ws(b, key_end + 1);
        if b.get(i)? != &b':' {
            return None;
        }
        i = ws(b, i + 1);
        let want = match key {
            b"eventSource" => Some(true),
            b"eventName" => Some(false),
            _ => None,
        };
        if !key_escaped && matches!(key, b"eventVersion" | b"eventTime" | b"eventSource" | b"eventName") {
            out.is_cloudtrail = true;
        }
        match (want, b.get(i)?) {
            (Some(is_source), b'"') => {
                let (end, escaped) = string_end(b, i)?;
                let raw = &b[i + 1..end];
                let v = if escaped {
                    let s: String = serde_json::from_slice(&b[i..=end]).ok()?;
                    std::borrow::Cow::Owned(s)
                } else {
                    std::borrow::Cow::Borrowed(std::str::from_utf8(raw).ok()?)
                };
                if is_source {
                    out.source = Some(v);
                } else {
                    out.name = Some(v);
                }
                i = end + 1;
                if out.source.is_some() && out.name.is_some() {
                    return Some(out); // the rest of the record is not needed
                }
            }
            _ => i = skip_value(b, i)?,
        }
    }
}

fn ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        i += 1;
    }
    i
}

/// Index of the closing quote of the string starting at `i`, and whether it had escapes.
fn string_end(b: &[u8], i: usize) -> Option<(usize, bool)> {
    let mut j = i + 1;
    let mut escaped = false;
    loop {
        let k = memchr::memchr2(b'"', b'\\', &b[j..])? + j;
        if b[k] == b'\\' {
            escaped = true;
            j = k + 2;
            if j > b.len() {
                return None;
            }
        } else {
            return Some((k, escaped));
        }
    }
}

/// Index just past the value starting at `i`.
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => Some(string_end(b, i)?.0 + 1),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = string_end(b, j)?.0 + 1;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                j += 1;
            }
            Some(j)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_discriminators_anywhere_at_top_level() {
        let r = br#"{"userIdentity":{"eventName":"nested","x":[1,{"a":"}"}]},"eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#;
        let s = skim(r).unwrap();
        assert_eq!(s.source.as_deref(), Some("s3.amazonaws.com"));
        assert_eq!(s.name.as_deref(), Some("GetObject"));
        assert!(s.is_cloudtrail);
    }

    #[test]
    fn escaped_values_are_decoded() {
        let s = skim(br#"{"eventName":"Get\u004fbject","eventSource":"a\"b"}"#).unwrap();
        assert_eq!(s.name.as_deref(), Some("GetObject"));
        assert_eq!(s.source.as_deref(), Some("a\"b"));
    }

    #[test]
    fn ecs_documents_are_not_cloudtrail() {
        let s = skim(br#"{"event":{"action":"x"},"@timestamp":"t"}"#).unwrap();
        assert!(!s.is_cloudtrail);
        assert!(s.name.is_none());
    }

    #[test]
    fn garbage_is_none() {
        assert!(skim(b"[1,2]").is_none());
        assert!(skim(br#"{"a" 1}"#).is_none());
        assert!(skim(br#"{"a":"#).is_none());
    }
}
