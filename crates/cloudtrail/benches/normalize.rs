//! Normalization and reading costs per record, on generated CloudTrail (fixed seed).
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

fn records() -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("th-bench-normalize-{}", std::process::id()));
    let spec = cloudtrail::generate::Spec {
        events: 2000,
        seed: 5,
        format: cloudtrail::generate::Format::Ndjson,
        ..Default::default()
    };
    cloudtrail::generate::generate(&spec, &dir).unwrap();
    let mut out = Vec::new();
    for f in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
        out.extend(text.lines().map(str::to_string));
    }
    let _ = std::fs::remove_dir_all(&dir);
    out
}

fn bench(c: &mut Criterion) {
    let recs = records();
    let bytes: usize = recs.iter().map(String::len).sum();
    let opts = cloudtrail::Options::default();
    let mut g = c.benchmark_group("cloudtrail");
    g.throughput(Throughput::Elements(recs.len() as u64));
    g.bench_function("parse_and_normalize_2000_records", |b| {
        b.iter(|| {
            for r in &recs {
                let v: serde_json::Value = serde_json::from_str(r).unwrap();
                black_box(cloudtrail::normalize(r, v, &opts));
            }
        })
    });
    g.bench_function("parse_only_2000_records", |b| {
        b.iter(|| {
            for r in &recs {
                black_box(serde_json::from_str::<serde_json::Value>(r).unwrap());
            }
        })
    });
    g.bench_function("skim_2000_records", |b| {
        b.iter(|| {
            for r in &recs {
                black_box(cloudtrail::skim::skim(r.as_bytes()));
            }
        })
    });
    let joined = recs.join("\n");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("scan_ndjson_lines", |b| {
        b.iter(|| {
            let mut s = cloudtrail::reader::Scanner::new(std::io::Cursor::new(joined.as_bytes()));
            let mut n = 0;
            while let Some(r) = s.next_record() {
                n += r.bytes.len();
            }
            black_box(n)
        })
    });
    let records_file = format!("{{\"Records\":[{}]}}", recs.join(","));
    g.bench_function("scan_records_file", |b| {
        b.iter(|| {
            let mut s = cloudtrail::reader::Scanner::new(std::io::Cursor::new(records_file.as_bytes()));
            let mut n = 0;
            while let Some(r) = s.next_record() {
                n += r.bytes.len();
            }
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
