//! A webhook sink, the way Kibana rule actions notify: one JSON POST per rule execution with its
//! new alerts, retried with backoff, and throttled per rule (alerts held back by the throttle go
//! out with the next notification).

use serde_json::{json, Value};
use std::collections::HashMap;
use store::Millis;

pub struct Webhook {
    url: String,
    /// Per rule, at most one POST per this many milliseconds.
    throttle: Millis,
    /// Attempts per POST (1 = no retry).
    attempts: u32,
    backoff: std::time::Duration,
    last_sent: HashMap<String, Millis>,
    held: HashMap<String, Vec<Value>>,
    /// Delivery problems, for the log.
    pub failures: Vec<String>,
    pub sent: u64,
}

impl Webhook {
    pub fn new(url: &str, throttle: Millis) -> Webhook {
        Webhook {
            url: url.to_string(),
            throttle,
            attempts: 3,
            backoff: std::time::Duration::from_millis(500),
            last_sent: HashMap::new(),
            held: HashMap::new(),
            failures: Vec::new(),
            sent: 0,
        }
    }

    /// Set retry behaviour (tests use no wait).
    pub fn with_retry(mut self, attempts: u32, backoff: std::time::Duration) -> Webhook {
        self.attempts = attempts.max(1);
        self.backoff = backoff;
        self
    }

    /// Notify new alerts of one rule at time `now`.
    pub fn notify(&mut self, rule_id: &str, alerts: &[Value], now: Millis) {
        let held = self.held.entry(rule_id.to_string()).or_default();
        held.extend(alerts.iter().cloned());
        if held.is_empty() {
            return;
        }
        if self.last_sent.get(rule_id).is_some_and(|t| now < t + self.throttle) {
            return; // throttled: they go out with the next notification
        }
        let batch = std::mem::take(held);
        let body = json!({"rule_id": rule_id, "count": batch.len(), "alerts": batch});
        let mut wait = self.backoff;
        for attempt in 1..=self.attempts {
            match ureq::post(&self.url).timeout(std::time::Duration::from_secs(10)).send_json(&body) {
                Ok(_) => {
                    self.sent += 1;
                    self.last_sent.insert(rule_id.to_string(), now);
                    return;
                }
                Err(e) if attempt == self.attempts => {
                    self.failures.push(format!("webhook {}: {e} (after {attempt} attempts)", self.url));
                    // keep the alerts for the next notification
                    if let Some(Value::Array(a)) = body.get("alerts").cloned() {
                        self.held.entry(rule_id.to_string()).or_default().splice(0..0, a);
                    }
                }
                Err(_) => {
                    std::thread::sleep(wait);
                    wait *= 2;
                }
            }
        }
    }
}
