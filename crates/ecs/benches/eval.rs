//! KQL evaluation cost per document: a typical AWS rule (four terms) and a wildcard-heavy one.
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use serde_json::json;

fn bench(c: &mut Criterion) {
    // A normalized CloudTrail document of typical size.
    let doc = json!({
        "@timestamp": "2026-11-02T10:00:00.000Z",
        "event": {"dataset": "aws.cloudtrail", "provider": "iam.amazonaws.com", "action": "CreateAccessKey",
                  "outcome": "success", "kind": "event", "type": ["user", "change"], "category": ["iam"], "id": "e-1"},
        "user": {"name": "mallory", "id": "AIDAEXAMPLE"},
        "source": {"address": "203.0.113.66", "ip": "203.0.113.66"},
        "user_agent": {"original": "aws-cli/2.17.60 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6"},
        "cloud": {"account": {"id": "111122223333"}, "region": "us-east-1", "provider": "aws"},
        "aws": {"cloudtrail": {"user_identity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/mallory"},
            "request_parameters": "{userName=alice}", "flattened": {"request_parameters": {"userName": "alice"}}}},
    });
    let typical = ecs::compile(
        "event.dataset:aws.cloudtrail and event.provider:iam.amazonaws.com and event.action:CreateAccessKey and event.outcome:success",
    )
    .unwrap();
    let wildcards = ecs::compile(
        "event.dataset:aws.cloudtrail and user_agent.original:(*S3 Browser* or *Cyberduck* or *rclone* or *boto3* or *aws-cli*) \
         and aws.cloudtrail.user_identity.arn:*user/* and not source.as.organization.name:(Amazon* or AMAZON*) \
         and aws.cloudtrail.request_parameters:*userName=*",
    )
    .unwrap();
    assert!(typical.matches(&doc));
    assert!(wildcards.matches(&doc));
    let mut g = c.benchmark_group("kql_eval");
    g.throughput(Throughput::Elements(1));
    g.bench_function("typical_4_terms_per_doc", |b| b.iter(|| black_box(typical.matches(black_box(&doc)))));
    g.bench_function("wildcard_heavy_per_doc", |b| b.iter(|| black_box(wildcards.matches(black_box(&doc)))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
