//! Every container format, and every kind of bad input: one counted, reported error each, the
//! rest of the file still read.

use cloudtrail::{read_stream, Event, Options, RecordError, Stats};
use std::io::Write;
use std::sync::Arc;

fn rec(id: u32) -> String {
    format!(
        r#"{{"eventVersion":"1.08","eventTime":"2026-01-0{}T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.{id}","eventID":"id-{id}","userIdentity":{{"type":"IAMUser","userName":"u{id}","principalId":"AIDA{id}","accountId":"111122223333"}}}}"#,
        1 + id % 9
    )
}

fn run(bytes: Vec<u8>) -> (Vec<Event>, Vec<RecordError>, Stats) {
    let (mut ok, mut errs) = (Vec::new(), Vec::new());
    let input: Box<dyn std::io::Read + Send> =
        cloudtrail::reader::maybe_gzip(Box::new(std::io::Cursor::new(bytes))).unwrap();
    let stats = read_stream(&Arc::from("test"), input, &Options::default(), &mut |r| match r {
        Ok(e) => ok.push(e),
        Err(e) => errs.push(e),
    });
    (ok, errs, stats)
}

fn ids(events: &[Event]) -> Vec<String> {
    events.iter().map(|e| e.doc["event"]["id"].as_str().unwrap_or("?").to_string()).collect()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn records_file_compact_and_pretty() {
    let compact = format!(r#"{{"Records":[{},{},{}]}}"#, rec(1), rec(2), rec(3));
    let (ok, errs, stats) = run(compact.clone().into_bytes());
    assert_eq!(ids(&ok), ["id-1", "id-2", "id-3"]);
    assert!(errs.is_empty());
    assert_eq!((stats.read, stats.normalized, stats.rejected), (3, 3, 0));
    assert_eq!(ok[1].origin.index, Some(1));

    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&compact).unwrap()).unwrap();
    let (ok, errs, _) = run(pretty.into_bytes());
    assert_eq!(ids(&ok), ["id-1", "id-2", "id-3"]);
    assert!(errs.is_empty());
    // the same gzipped: detected by content
    let (ok, _, _) = run(gz(compact.as_bytes()));
    assert_eq!(ids(&ok), ["id-1", "id-2", "id-3"]);
}

#[test]
fn records_key_after_other_keys() {
    let f = format!(r#"{{"Other":{{"a":[1,2]}},"Records":[{}]}}"#, rec(7));
    let (ok, errs, _) = run(f.into_bytes());
    assert_eq!(ids(&ok), ["id-7"]);
    assert!(errs.is_empty());
}

#[test]
fn ndjson_of_raw_records_and_ecs_documents() {
    let ecs = r#"{"@timestamp":"2026-01-01T00:00:00Z","event":{"action":"X","id":"ecs-1"}}"#;
    let wrapped = r#"{"_index":"logs","_source":{"event":{"action":"Y","id":"ecs-2"}}}"#;
    let f = format!("{}\n{ecs}\n\n{wrapped}\n{}\n", rec(1), rec(2));
    let (ok, errs, stats) = run(f.into_bytes());
    assert_eq!(ids(&ok), ["id-1", "ecs-1", "ecs-2", "id-2"]);
    assert!(errs.is_empty());
    assert_eq!((stats.normalized, stats.passed_through), (2, 2));
    assert_eq!(ok[3].origin.line, 5);
}

#[test]
fn cloudwatch_logs_payload() {
    let msg = serde_json::to_string(&rec(4)).unwrap();
    let f = format!(
        r#"{{"messageType":"DATA_MESSAGE","logGroup":"ct","logEvents":[{{"id":"1","timestamp":1,"message":{msg}}}]}}"#
    );
    let (ok, errs, _) = run(f.into_bytes());
    assert_eq!(ids(&ok), ["id-4"]);
    assert!(errs.is_empty());
}

#[test]
fn malformed_record_is_one_error_and_the_rest_is_read() {
    let f = format!(r#"{{"Records":[{},{{"eventName": tru}},{}]}}"#, rec(1), rec(3));
    let (ok, errs, stats) = run(f.into_bytes());
    assert_eq!(ids(&ok), ["id-1", "id-3"]);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].message.contains("invalid JSON"), "{}", errs[0]);
    assert_eq!(errs[0].origin.as_ref().unwrap().index, Some(1));
    assert_eq!((stats.read, stats.rejected), (3, 1));
}

#[test]
fn malformed_ndjson_line_is_one_error() {
    let f = format!("{}\n{{\"eventName\": \"x\n{}\nnot json at all\n{}\n", rec(1), rec(2), rec(3));
    let (ok, errs, _) = run(f.into_bytes());
    assert_eq!(ids(&ok), ["id-1", "id-2", "id-3"]);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert_eq!(errs[0].origin.as_ref().unwrap().line, 2);
    assert_eq!(errs[1].origin.as_ref().unwrap().line, 4);
}

#[test]
fn records_not_an_array() {
    let (ok, errs, _) = run(br#"{"Records":{"a":1}}"#.to_vec());
    assert!(ok.is_empty());
    assert_eq!(errs.len(), 1);
    assert!(errs[0].message.contains("not an array"), "{}", errs[0]);
    let (ok, errs, _) = run(br#"{"Records":"x"}"#.to_vec());
    assert!(ok.is_empty());
    assert_eq!(errs.len(), 1);
}

#[test]
fn bad_event_time_is_reported_and_the_record_kept_as_elastic_does() {
    let r = rec(5).replace("2026-01-06T10:00:00Z", "yesterday");
    let (ok, errs, stats) = run(r.into_bytes());
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0].doc["event"]["kind"], "pipeline_error");
    assert_eq!(errs.len(), 1);
    assert!(errs[0].kept && errs[0].message.contains("eventTime"), "{}", errs[0]);
    assert_eq!(stats.pipeline_errors, 1);
}

#[test]
fn truncated_gzip_keeps_what_was_read() {
    let records: Vec<String> = (1..=200).map(rec).collect();
    let data = gz(format!("{}\n", records.join("\n")).as_bytes());
    let cut = data[..data.len() * 2 / 3].to_vec();
    let (ok, errs, stats) = run(cut);
    assert!(!ok.is_empty() && ok.len() < 200, "{}", ok.len());
    assert!(errs.iter().any(|e| e.message.contains("truncated")), "{errs:?}");
    assert!(stats.file_errors + stats.rejected >= 1);
}

#[test]
fn truncated_plain_file() {
    let f = format!(r#"{{"Records":[{},{}"#, rec(1), &rec(2)[..40]);
    let (ok, errs, _) = run(f.into_bytes());
    assert_eq!(ids(&ok), ["id-1"]);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].message.contains("truncated"), "{}", errs[0]);
}

#[test]
fn huge_record_is_rejected_alone() {
    let big = rec(2).replace("\"awsRegion\"", &format!("\"pad\":\"{}\",\"awsRegion\"", "x".repeat(10 << 20)));
    let f = format!(r#"{{"Records":[{},{},{}]}}"#, rec(1), big, rec(3));
    let (ok, errs, _) = run(f.into_bytes());
    assert_eq!(ids(&ok), ["id-1", "id-3"]);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].message.contains("larger than"), "{}", errs[0]);
}

#[test]
fn not_cloudtrail() {
    let (ok, errs, _) = run(b"{\"hello\":\"world\"}\n".to_vec());
    assert!(ok.is_empty());
    assert_eq!(errs.len(), 1);
}
