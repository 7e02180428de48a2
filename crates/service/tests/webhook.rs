//! The webhook sink against a local HTTP listener: one POST per execution with the new alerts,
//! retries after a failure, a throttle that holds alerts for the next notification.

use serde_json::{json, Value};
use service::webhook::Webhook;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;

/// A listener on 127.0.0.1 answering each request with the next status of `statuses`, and
/// sending the JSON bodies it received.
fn server(statuses: Vec<u16>) -> (String, mpsc::Receiver<Value>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for status in statuses {
            let Ok((mut s, _)) = l.accept() else { return };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap();
            if status == 200 {
                tx.send(serde_json::from_slice(&body).unwrap()).unwrap();
            }
            let _ = write!(s, "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (url, rx)
}

fn alert(id: &str) -> Value {
    json!({"kibana.alert.uuid": id})
}

#[test]
fn posts_new_alerts_with_retry_and_throttle() {
    // first request fails (500), the retry succeeds; later ones succeed
    let (url, rx) = server(vec![500, 200, 200]);
    let mut w = Webhook::new(&url, 10 * 60_000).with_retry(3, std::time::Duration::from_millis(1));
    w.notify("r1", &[alert("a"), alert("b")], 0);
    let got = rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
    assert_eq!(got["rule_id"], "r1");
    assert_eq!(got["count"], 2);
    assert!(w.failures.is_empty());
    // within the throttle: held back
    w.notify("r1", &[alert("c")], 5 * 60_000);
    assert!(rx.recv_timeout(std::time::Duration::from_millis(200)).is_err());
    // after it: the held alert goes with the new one
    w.notify("r1", &[alert("d")], 11 * 60_000);
    let got = rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
    let ids: Vec<&str> =
        got["alerts"].as_array().unwrap().iter().map(|a| a["kibana.alert.uuid"].as_str().unwrap()).collect();
    assert_eq!(ids, ["c", "d"]);
    assert_eq!(w.sent, 2);
}

#[test]
fn failures_are_reported_and_alerts_kept_for_the_next_attempt() {
    let (url, rx) = server(vec![503, 503, 200]);
    let mut w = Webhook::new(&url, 0).with_retry(2, std::time::Duration::from_millis(1));
    w.notify("r", &[alert("x")], 0);
    assert_eq!(w.failures.len(), 1, "two attempts, both failed");
    w.notify("r", &[alert("y")], 1);
    let got = rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
    assert_eq!(got["count"], 2, "the failed alert is delivered with the next");
}
