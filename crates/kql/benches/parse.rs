use criterion::{black_box, criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let q = r#"event.dataset:aws.cloudtrail and event.provider:iam.amazonaws.com and event.action:(CreateUser or CreateAccessKey or "AttachUserPolicy") and event.outcome:success and not user_agent.original:(*Terraform* or *cloudformation*)"#;
    c.bench_function("kql_parse_typical_rule", |b| b.iter(|| kql::parse(black_box(q)).unwrap()));
}

criterion_group!(benches, bench);
criterion_main!(benches);
