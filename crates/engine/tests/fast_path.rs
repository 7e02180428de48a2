//! The fast path (skimmed discriminators, literal prefilters) never changes what a hunt finds:
//! the same alerts with and without it, on generated CloudTrail plus records written to hit the
//! prefilters' edge cases (escapes, literals only in a negated part, values in arrays).

use engine::alert::RunContext;
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
    let opts = Options {
        from: None,
        to: None,
        max_signals: None,
        normalize: cloudtrail::Options::default(),
        max_errors_kept: 10,
        context: RunContext {
            now: "2026-01-01T00:00:00.000Z".into(),
            execution_uuid: "x".into(),
            execution_type: "manual",
        },
        fast_path: fast,
    };
    let out = hunt(set, files, &opts, &Arc::new(Progress::default()));
    assert_eq!(out.stats.rejected, 0, "{:?}", out.errors);
    let mut ids: Vec<String> =
        out.findings.iter().map(|f| f.alert["kibana.alert.uuid"].as_str().unwrap().to_string()).collect();
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
