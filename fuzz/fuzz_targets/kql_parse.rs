//! The KQL parser never panics; whatever parses prints back to the same tree; compiling and
//! matching the tree never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let Ok(tree) = kql::parse(s) else { return };
    let printed = kql::print(&tree);
    assert_eq!(kql::parse(&printed).as_ref(), Ok(&tree), "round trip of {s:?} via {printed:?}");
    let doc = serde_json::json!({"event": {"action": "x", "dataset": "aws.cloudtrail"}, "source.ip": "10.0.0.1",
        "@timestamp": "2024-01-01T00:00:00Z", "a": [{"b": 1}, {"c": "d"}], "user_agent": {"original": "a b"}});
    let _ = ecs::Matcher::new(&tree).matches(&doc);
});
