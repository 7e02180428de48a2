//! Elasticsearch matching semantics, one test per rule, each with documents that must and must
//! not match.

use ecs::{compile, Matcher, Options};
use serde_json::{json, Value};

fn m(query: &str, doc: Value) -> bool {
    compile(query).unwrap_or_else(|e| panic!("{query}: {e}")).matches(&doc)
}
fn yes(query: &str, doc: Value) {
    assert!(m(query, doc.clone()), "{query} should match {doc}");
}
fn no(query: &str, doc: Value) {
    assert!(!m(query, doc.clone()), "{query} should not match {doc}");
}

#[test]
fn keyword_is_exact_and_case_sensitive() {
    yes("event.action:CreateCacheSecurityGroup", json!({"event": {"action": "CreateCacheSecurityGroup"}}));
    no("event.action:createcachesecuritygroup", json!({"event": {"action": "CreateCacheSecurityGroup"}}));
    no(
        r#"event.action:"Create Cache Security Group""#,
        json!({"event": {"action": "CreateCacheSecurityGroup"}}),
    );
    yes(
        r#"event.action:"Create Cache Security Group""#,
        json!({"event": {"action": "Create Cache Security Group"}}),
    );
    // an unquoted value with spaces is the same single value
    yes("event.action:Create Cache Security Group", json!({"event.action": "Create Cache Security Group"}));
    no("event.action:Create", json!({"event.action": "Create Cache Security Group"}));
}

#[test]
fn dotted_keys_and_nested_objects_are_the_same_field() {
    yes("event.action:X", json!({"event.action": "X"}));
    yes("event.action:X", json!({"event": {"action": "X"}}));
    yes(
        "aws.cloudtrail.user_identity.type:Root",
        json!({"aws": {"cloudtrail.user_identity": {"type": "Root"}}}),
    );
    no("event.action:X", json!({"event": {"actions": "X"}}));
}

#[test]
fn arrays_match_when_any_element_matches() {
    yes("event.type:change", json!({"event": {"type": ["info", "change"]}}));
    no("event.type:deletion", json!({"event": {"type": ["info", "change"]}}));
    // objects inside arrays are flattened
    yes("a.b:1 and a.c:2", json!({"a": [{"b": "1"}, {"c": "2"}]}));
    // not: true only when no element matches
    no("not event.type:change", json!({"event": {"type": ["info", "change"]}}));
    yes("not event.type:deletion", json!({"event": {"type": ["info", "change"]}}));
}

#[test]
fn missing_field_never_matches_and_not_of_it_does() {
    no("user.name:alice", json!({}));
    yes("not user.name:alice", json!({}));
    yes("user.name:(not alice)", json!({}));
    no("user.name:*", json!({"user": {"name": null}}));
    no("user.name:*", json!({"user": {"name": []}}));
}

#[test]
fn exists() {
    yes("user.name:*", json!({"user": {"name": "x"}}));
    // an empty string is indexed, so it exists
    yes("user.name:*", json!({"user": {"name": ""}}));
    no("user.name:*", json!({"user": {"id": "x"}}));
    yes("user:*", json!({"user": {"id": "x"}}));
    no("user:*", json!({"user": {}}));
}

#[test]
fn wildcards_on_keyword_are_anchored_and_case_sensitive() {
    let ua = json!({"user_agent": {"original": "S3 Browser 9.1"}});
    yes("user_agent.original:*S3 Browser*", ua.clone());
    yes("user_agent.original:S3*", ua.clone());
    no("user_agent.original:Browser*", ua.clone());
    no("user_agent.original:*s3 browser*", ua.clone());
    yes("user_agent.original:S3*9.1", ua.clone());
    no("user_agent.original:S3*9.2", ua.clone());
    // ? is not a wildcard in KQL
    no("user_agent.original:S3?Browser*", ua.clone());
    yes("user_agent.original:S3?Browser*", json!({"user_agent": {"original": "S3?Browser"}}));
    // escaped colon inside a wildcard value
    yes(r"user.id:*\:i-*", json!({"user": {"id": "AROA123:i-0abc"}}));
    no(r"user.id:*\:i-*", json!({"user": {"id": "AROA123-i-0abc"}}));
}

#[test]
fn quoted_star_is_literal() {
    yes(r#"user.name:"a*""#, json!({"user": {"name": "a*"}}));
    no(r#"user.name:"a*""#, json!({"user": {"name": "abc"}}));
}

#[test]
fn keyword_true_matches_boolean_literal() {
    // session_credential_from_console is a keyword holding "true"
    yes(
        "aws.cloudtrail.session_credential_from_console:true",
        json!({"aws.cloudtrail.session_credential_from_console": "true"}),
    );
    no(
        "aws.cloudtrail.session_credential_from_console:true",
        json!({"aws.cloudtrail.session_credential_from_console": "false"}),
    );
    // a JSON boolean in a keyword field is indexed as "true"
    yes(
        "aws.cloudtrail.session_credential_from_console:true",
        json!({"aws.cloudtrail.session_credential_from_console": true}),
    );
}

#[test]
fn flattened_leaves_compare_as_strings() {
    let doc = json!({"aws": {"cloudtrail": {"flattened": {"request_parameters": {
        "ipPermissions": {"items": [{"fromPort": 22, "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]},
        "withDecryption": true,
    }}}}});
    yes("aws.cloudtrail.flattened.request_parameters.ipPermissions.items.fromPort:22", doc.clone());
    yes(r#"aws.cloudtrail.flattened.request_parameters.ipPermissions.items.fromPort:"22""#, doc.clone());
    no("aws.cloudtrail.flattened.request_parameters.ipPermissions.items.fromPort:21", doc.clone());
    yes("aws.cloudtrail.flattened.request_parameters.withDecryption:true", doc.clone());
    no("aws.cloudtrail.flattened.request_parameters.withDecryption:false", doc.clone());
    yes(
        r#"aws.cloudtrail.flattened.request_parameters.ipPermissions.items.ipRanges.items.cidrIp:"0.0.0.0/0""#,
        doc.clone(),
    );
    // flattened leaves are keywords: a string "22" matches 22 too
    yes(
        "aws.cloudtrail.flattened.request_parameters.fromPort:22",
        json!({"aws.cloudtrail.flattened.request_parameters": {"fromPort": "22"}}),
    );
}

#[test]
fn ignore_above_values_neither_match_nor_exist() {
    let long = "x".repeat(8192);
    let doc = json!({"aws": {"cloudtrail": {"request_parameters": long}}});
    no("aws.cloudtrail.request_parameters:*", doc.clone());
    no("aws.cloudtrail.request_parameters:x*", doc.clone());
    let ok = "x".repeat(8191);
    yes("aws.cloudtrail.request_parameters:*", json!({"aws.cloudtrail.request_parameters": ok.clone()}));
    yes("aws.cloudtrail.request_parameters:x*", json!({"aws.cloudtrail.request_parameters": ok}));
    // ECS keywords: 1024
    yes("user.name:*", json!({"user.name": "y".repeat(1024)}));
    no("user.name:*", json!({"user.name": "y".repeat(1025)}));
    // Java counts UTF-16 units: 1024 two-byte chars are fine, 1025 are not
    yes("user.name:*", json!({"user.name": "é".repeat(1024)}));
    no("user.name:*", json!({"user.name": "é".repeat(1025)}));
}

#[test]
fn numbers() {
    yes("source.as.number:16509", json!({"source": {"as": {"number": 16509}}}));
    yes(r#"source.as.number:"16509""#, json!({"source": {"as": {"number": 16509}}}));
    no("source.as.number:16510", json!({"source": {"as": {"number": 16509}}}));
    // numeric strings in the document are coerced
    yes("source.as.number:16509", json!({"source": {"as": {"number": "16509"}}}));
    yes("source.as.number >= 16000", json!({"source.as.number": 16509}));
    no("source.as.number < 16000", json!({"source.as.number": 16509}));
    // numeric, not lexicographic: 9 < 10
    yes("source.as.number < 10", json!({"source.as.number": 9}));
    // wildcard on a numeric field never matches
    no("source.as.number:165*", json!({"source.as.number": 16509}));
}

#[test]
fn keyword_ranges_are_lexicographic() {
    yes("user.name >= b", json!({"user.name": "carol"}));
    no("user.name >= d", json!({"user.name": "carol"}));
    // "9" > "10" as strings
    yes("user.id > 10", json!({"user.id": "9"}));
}

#[test]
fn dates() {
    let doc = json!({"@timestamp": "2024-03-05T10:20:30.000Z"});
    yes("@timestamp:2024-03-05", doc.clone());
    yes(r#"@timestamp:"2024-03-05T10:20:30Z""#, doc.clone());
    no("@timestamp:2024-03-06", doc.clone());
    yes("@timestamp >= 2024-03-05", doc.clone());
    no("@timestamp > 2024-03-05", doc.clone()); // gt rounds up to the end of the day
    yes("@timestamp <= 2024-03-05", doc.clone()); // lte rounds up too
    no("@timestamp < 2024-03-05", doc.clone());
    yes(r#"@timestamp < "2024-03-05T10:20:31Z""#, doc.clone());
    // epoch millis in the document
    yes("@timestamp:2024-03-05", json!({"@timestamp": 1709634030000i64}));
    // date math against a fixed now
    let now = ecs::time::parse_date("2024-03-05T11:00:00Z").unwrap().lo;
    let opts = Options { now };
    let q = |s: &str| Matcher::with_options(&kql::parse(s).unwrap(), &opts);
    assert!(q("@timestamp > now-1h").matches(&doc));
    assert!(!q("@timestamp > now-30m").matches(&doc));
    assert!(q("@timestamp >= now/d").matches(&doc));
    assert!(!q("@timestamp > now/d").matches(&doc));
}

#[test]
fn ip_and_cidr() {
    let doc = json!({"source": {"ip": "10.1.2.3"}});
    yes("source.ip:10.1.2.3", doc.clone());
    yes("source.ip:10.0.0.0/8", doc.clone());
    yes(r#"source.ip:"10.0.0.0/8""#, doc.clone());
    no("source.ip:192.168.0.0/16", doc.clone());
    yes("source.ip:2001\\:db8\\:\\:/32", json!({"source.ip": "2001:db8::1"}));
    no("source.ip:2001\\:db8\\:\\:/32", json!({"source.ip": "2001:db9::1"}));
    yes("source.ip >= 10.1.0.0", doc.clone());
    no("source.ip > 10.1.2.3", doc.clone());
    // CIDR applies only to ip fields: on a keyword it is a plain string
    no("source.address:10.0.0.0/8", json!({"source": {"address": "10.1.2.3"}}));
}

#[test]
fn booleans() {
    let doc =
        json!({"aws": {"cloudtrail": {"console_login": {"additional_eventdata": {"mfa_used": false}}}}});
    yes("aws.cloudtrail.console_login.additional_eventdata.mfa_used:false", doc.clone());
    no("aws.cloudtrail.console_login.additional_eventdata.mfa_used:true", doc.clone());
    yes(r#"aws.cloudtrail.console_login.additional_eventdata.mfa_used:"false""#, doc.clone());
    // boolean fields accept "true"/"false" strings in the source
    yes("aws.cloudtrail.read_only:true", json!({"aws.cloudtrail.read_only": "true"}));
    no("aws.cloudtrail.read_only:yes", json!({"aws.cloudtrail.read_only": true}));
}

#[test]
fn text_fields_are_analyzed() {
    let doc = json!({"user_agent": {"original": "Mozilla/5.0 (Windows NT 10.0) Chrome/120"}});
    yes("user_agent.original.text:mozilla", doc.clone());
    yes("user_agent.original.text:WINDOWS", doc.clone());
    no("user_agent.original.text:linux", doc.clone());
    // match: any token; match_phrase: the sequence
    yes("user_agent.original.text:linux windows", doc.clone());
    yes(r#"user_agent.original.text:"windows nt""#, doc.clone());
    no(r#"user_agent.original.text:"nt windows""#, doc.clone());
    yes("user_agent.original.text:chro*", doc.clone());
    // the keyword parent stays exact
    no("user_agent.original:mozilla", doc.clone());
    // message is match_only_text
    yes("message:error", json!({"message": "An Error occurred"}));
}

#[test]
fn unmapped_fields_follow_dynamic_mapping() {
    yes("custom.thing:abc", json!({"custom": {"thing": "abc"}}));
    no("custom.thing:ABC", json!({"custom": {"thing": "abc"}}));
    yes("custom.count:5", json!({"custom": {"count": 5}}));
    yes("custom.count > 4", json!({"custom": {"count": 5}}));
    no("custom.count > 40", json!({"custom": {"count": 5}}));
    yes("custom.flag:true", json!({"custom": {"flag": true}}));
    no("custom.flag:true", json!({"custom": {"flag": false}}));
}

#[test]
fn value_lists() {
    let doc = json!({"event": {"action": "GetParameters"}});
    yes("event.action:(GetParameter or GetParameters)", doc.clone());
    no("event.action:(GetParameter or PutParameter)", doc.clone());
    // and inside a list: the field must hold both values
    yes("event.type:(info and change)", json!({"event.type": ["info", "change"]}));
    no("event.type:(info and change)", json!({"event.type": ["info"]}));
    let org = |o: &str| json!({"source": {"as": {"organization": {"name": o}}}});
    let q = "source.as.organization.name:(* and not (Amazon* or AMAZON*))";
    yes(q, org("Evil Corp"));
    no(q, org("Amazon.com, Inc."));
    no(q, json!({}));
}

#[test]
fn wildcard_field_names() {
    yes("event.*:GetObject", json!({"event": {"action": "GetObject"}}));
    no("event.*:GetObject", json!({"user": {"name": "GetObject"}}));
    yes(
        "aws.cloudtrail.flattened.*:22",
        json!({"aws.cloudtrail.flattened.request_parameters": {"fromPort": 22}}),
    );
    yes("*:*", json!({}));
    yes("event.*:*", json!({"event": {"action": "x"}}));
    no("event.*:*", json!({"user": {"name": "x"}}));
}

#[test]
fn free_text() {
    yes("GetObject", json!({"event": {"action": "GetObject"}}));
    no("GetObjects", json!({"event": {"action": "GetObject"}}));
    yes("Get*", json!({"event": {"action": "GetObject"}}));
    // analysed through the .text multi-field
    yes("chrome", json!({"user_agent": {"original": "Mozilla/5.0 Chrome/120"}}));
}

#[test]
fn nested_queries_need_one_object() {
    let doc = json!({"a": [{"b": "1", "c": "x"}, {"b": "2", "c": "y"}]});
    yes("a:{ b:1 and c:x }", doc.clone());
    no("a:{ b:1 and c:y }", doc.clone());
    // without nested, object arrays are flattened
    yes("a.b:1 and a.c:y", doc.clone());
}

#[test]
fn null_literal_matches_nothing() {
    no("user.name:null", json!({"user": {"name": "null"}}));
    yes(r#"user.name:"null""#, json!({"user": {"name": "null"}}));
}

#[test]
fn seed_rule() {
    let q = "event.dataset:aws.cloudtrail and event.provider:elasticache.amazonaws.com and event.action:\"Create Cache Security Group\" and\nevent.outcome:success\n";
    let base = |action: &str, outcome: &str| json!({"event": {"dataset": "aws.cloudtrail", "provider": "elasticache.amazonaws.com", "action": action, "outcome": outcome}});
    yes(q, base("Create Cache Security Group", "success"));
    no(q, base("CreateCacheSecurityGroup", "success"));
    no(q, base("Create Cache Security Group", "failure"));
}
