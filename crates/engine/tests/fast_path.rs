//! The fast path (skimmed discriminators, literal prefilters) never changes what a hunt finds:
//! the same alerts with and without it, on generated CloudTrail plus records written to hit the
//! prefilters' edge cases (escapes, literals only in a negated part, values in arrays).

use engine::hunt::{hunt, Options, Progress};
use engine::RuleSet;
use std::sync::Arc;

fn rule(name: &str, query: &str) -> rules::Rule {
    let text = format!(
        "[rule]\nname = \"{name}\"\nrule_id = \"{name}\"\ndescription = \"d\"\nrisk_score = 21\nseverity = \"low\"\ntype = \"query\"\nlanguage = \"kuery\"\nauthor = [\"t\"]\nquery = '''{query}'''\n"
    );
    rules::load::parse_toml(&text, std::path::Path::new("test.toml")).unwrap()
}

fn alerts(set: &RuleSet, files: &[std::path::PathBuf], fast: bool) -> Vec<String> {
    let opts = Options { fast_path: fast, ..Options::default() };
    let out = hunt(set, files, &opts, &Arc::new(Progress::default()));
    assert_eq!(out.stats.rejected, 0, "{:?}", out.errors);
    let mut ids: Vec<String> = out.findings.iter().map(|f| f.uuid.clone()).collect();
    ids.sort();
    ids
}

#[test]
fn same_alerts_with_and_without_the_fast_path() {
    let dir = std::env::temp_dir().join(format!("th-fastpath-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let spec = cloudtrail::generate::Spec {
        events: 6000,
        seed: 3,
        format: cloudtrail::generate::Format::Ndjson,
        ..Default::default()
    };
    cloudtrail::generate::generate(&spec, &dir).unwrap();
    // Records for the edge cases: an escaped literal, a value only reachable through the session
    // issuer, a request parameter in an array.
    std::fs::write(
        dir.join("edge.ndjson"),
        [
            r#"{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","userAgent":"S3 Brows\u0065r 9","eventID":"e1","userIdentity":{"type":"IAMUser","userName":"x"}}"#,
            r#"{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:01Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"e2","userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"userName":"BedrockAPIKey-7"}}}}"#,
            r#"{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:02Z","eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress","eventID":"e3","requestParameters":{"ipPermissions":{"items":[{"fromPort":3389,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let set = RuleSet::compile(
        vec![
            rule("ua", "user_agent.original:*S3 Browser*"),
            rule("bedrock", "user.name:BedrockAPIKey-* and not event.provider:bedrock.amazonaws.com"),
            rule("rdp", "event.action:AuthorizeSecurityGroupIngress and aws.cloudtrail.flattened.request_parameters.ipPermissions.items.fromPort:3389"),
            rule("secrets", "event.provider:secretsmanager.amazonaws.com and event.action:GetSecretValue and user.name:(alice or bob)"),
            rule("kms-failed", "event.action:Decrypt and event.outcome:failure"),
            rule("roles", "aws.cloudtrail.user_identity.session_context.session_issuer.arn:*ci-deployer* and not user_agent.original:*Terraform*"),
            rule("console", "event.action:ConsoleLogin and aws.cloudtrail.console_login.additional_eventdata.mfa_used:false"),
            rule("any-denied", "aws.cloudtrail.error_code:AccessDenied"),
        ],
        0,
    );
    let (files, errs) = cloudtrail::expand_inputs(&[dir.display().to_string()]);
    assert!(errs.is_empty());
    let slow = alerts(&set, &files, false);
    let fast = alerts(&set, &files, true);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(slow.len() > 50, "the rules should find something to compare: {}", slow.len());
    assert_eq!(fast, slow);
}

#[test]
fn a_split_file_gives_the_same_alerts_and_line_numbers() {
    let dir = std::env::temp_dir().join(format!("th-split-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // one NDJSON file: generated records, with a malformed line near the end
    let gen = dir.join("gen");
    let spec = cloudtrail::generate::Spec {
        events: 3000,
        seed: 8,
        format: cloudtrail::generate::Format::Ndjson,
        ..Default::default()
    };
    cloudtrail::generate::generate(&spec, &gen).unwrap();
    let mut text = String::new();
    for f in cloudtrail::expand_inputs(&[gen.display().to_string()]).0 {
        text.push_str(&std::fs::read_to_string(f).unwrap());
    }
    let total_lines = text.lines().count();
    text.push_str("{\"eventVersion\": tru}\n");
    let file = dir.join("one.ndjson");
    std::fs::write(&file, &text).unwrap();
    let set = RuleSet::compile(
        vec![
            rule("denied", "aws.cloudtrail.error_code:AccessDenied"),
            rule("keys", "event.action:CreateAccessKey"),
        ],
        0,
    );
    let run = |split: u64| {
        let opts = Options { split_bytes: split, ..Options::default() };
        hunt(&set, std::slice::from_ref(&file), &opts, &Arc::new(Progress::default()))
    };
    let whole = run(u64::MAX);
    let split = run(200_000); // about 20 pieces
    let ids = |o: &engine::hunt::Outcome| -> Vec<String> {
        let mut v: Vec<String> = o.findings.iter().map(|f| f.uuid.clone()).collect();
        v.sort();
        v
    };
    assert!(!ids(&whole).is_empty());
    assert_eq!(ids(&split), ids(&whole));
    assert_eq!(split.stats.read, whole.stats.read);
    assert_eq!(split.stats.files, 1);
    assert_eq!(whole.errors.len(), 1);
    assert_eq!(split.errors.len(), 1);
    let line = |o: &engine::hunt::Outcome| o.errors[0].origin.as_ref().unwrap().line;
    assert_eq!(line(&whole), total_lines as u64 + 1);
    assert_eq!(line(&split), line(&whole));
    let _ = std::fs::remove_dir_all(&dir);
}
