//! The service under a test clock: steps at chosen times, files dropped between steps.

use service::{Service, MAX_SIGNALS_WARNING};
use std::path::{Path, PathBuf};

const MIN: i64 = 60_000;
const T0: i64 = 1_793_491_200_000; // 2026-11-01T00:00:00Z

fn rule(id: &str, query: &str, extra: &str) -> rules::Rule {
    rule_with_tables(id, query, extra, "")
}

/// A rule with `extra` keys in `[rule]`, and `tables` (sub-tables) after the query.
fn rule_with_tables(id: &str, query: &str, extra: &str, tables: &str) -> rules::Rule {
    let text = format!(
        "[rule]\nname = \"{id}\"\nrule_id = \"{id}\"\ndescription = \"d\"\nrisk_score = 21\nseverity = \"low\"\ntype = \"query\"\n\
         language = \"kuery\"\nauthor = [\"t\"]\ninterval = \"10m\"\nfrom = \"now-60m\"\n{extra}\nquery = '''{query}'''\n{tables}\n"
    );
    rules::load::parse_toml(&text, Path::new("t.toml")).unwrap()
}

struct Env {
    dir: PathBuf,
    svc: Service,
    files: usize,
}

impl Env {
    fn new(rules: Vec<rules::Rule>) -> Env {
        let dir = std::env::temp_dir().join(format!("th-svc-{}-{}", std::process::id(), rules[0].rule_id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        let store = store::Store::open(&dir.join("store.db")).unwrap();
        let set = engine::RuleSet::compile(rules, T0);
        let svc = Service::new(set, &dir.join("src"), store, cloudtrail::Options::default());
        Env { dir, svc, files: 0 }
    }

    /// Drop a file of records with these event times (minutes after T0) and ids.
    fn drop(&mut self, events: &[(i64, &str, &str)]) {
        self.files += 1;
        let lines: Vec<String> = events
            .iter()
            .map(|(m, id, action)| {
                serde_json::json!({"eventVersion": "1.08", "eventTime": ecs::time::format_millis(T0 + m * MIN),
                    "eventSource": "iam.amazonaws.com", "eventName": action, "eventID": id,
                    "userIdentity": {"type": "IAMUser", "userName": "u"}})
                .to_string()
            })
            .collect();
        std::fs::write(self.dir.join(format!("src/f{:04}.ndjson", self.files)), lines.join("\n") + "\n")
            .unwrap();
    }

    /// Drop CreateUser records by these users (None: no user name) at these minutes.
    fn drop_users(&mut self, events: &[(i64, &str, Option<&str>)]) {
        self.files += 1;
        let lines: Vec<String> = events
            .iter()
            .map(|(m, id, user)| {
                let mut ident = serde_json::json!({"type": "IAMUser"});
                if let Some(u) = user {
                    ident["userName"] = serde_json::json!(u);
                }
                serde_json::json!({"eventVersion": "1.08", "eventTime": ecs::time::format_millis(T0 + m * MIN),
                    "eventSource": "iam.amazonaws.com", "eventName": "CreateUser", "eventID": id, "userIdentity": ident})
                .to_string()
            })
            .collect();
        std::fs::write(self.dir.join(format!("src/f{:04}.ndjson", self.files)), lines.join("\n") + "\n")
            .unwrap();
    }

    fn step(&mut self, minute: i64) -> service::StepReport {
        self.svc.step(T0 + minute * MIN).unwrap()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn ids(r: &service::StepReport) -> Vec<String> {
    let mut v: Vec<String> =
        r.new_alerts.iter().map(|a| ecs::matcher::field_strings(a, "event.id").join(",")).collect();
    v.sort();
    v
}

#[test]
fn on_time_late_and_too_late_events_alert_exactly_once() {
    let mut env = Env::new(vec![
        rule("by-ingested", "event.action:CreateUser", "timestamp_override = \"event.ingested\""),
        rule("by-timestamp", "event.action:CreateUser", ""),
    ]);
    let mut all: Vec<(String, String)> = Vec::new();
    let mut record = |r: &service::StepReport| {
        for a in &r.new_alerts {
            all.push((
                a["kibana.alert.rule.rule_id"].as_str().unwrap().into(),
                ecs::matcher::field_strings(a, "event.id").join(","),
            ));
        }
    };
    env.drop(&[(0, "on-time", "CreateUser")]);
    record(&env.step(2));
    for m in (12..=122).step_by(10) {
        if m == 52 {
            // happened at minute 2, arrives (is ingested) 50 minutes later
            env.drop(&[(2, "late", "CreateUser")]);
        }
        if m == 82 {
            // happened at minute 10, arrives 72 minutes later
            env.drop(&[(10, "too-late", "CreateUser")]);
        }
        record(&env.step(m));
    }
    all.sort();
    let count = |rule: &str, id: &str| all.iter().filter(|(r, i)| r == rule && i == id).count();
    // each alert once, although every event is seen by six overlapping windows
    assert_eq!(count("by-ingested", "on-time"), 1);
    assert_eq!(count("by-timestamp", "on-time"), 1);
    assert_eq!(count("by-ingested", "late"), 1);
    assert_eq!(count("by-timestamp", "late"), 1, "50 minutes late is still inside now-60m");
    // event.ingested sees the too-late event; @timestamp never does (what Elastic's choice avoids)
    assert_eq!(count("by-ingested", "too-late"), 1);
    assert_eq!(count("by-timestamp", "too-late"), 0);
    assert_eq!(all.len(), 5, "{all:?}");
}

#[test]
fn max_signals_per_execution_with_kibanas_warning() {
    let mut env = Env::new(vec![rule("capped", "event.action:CreateUser", "max_signals = 100")]);
    let names: Vec<String> = (0..150).map(|i| format!("e{i:03}")).collect();
    let events: Vec<(i64, &str, &str)> =
        names.iter().enumerate().map(|(i, n)| ((i as i64) % 30, n.as_str(), "CreateUser")).collect();
    env.drop(&events);
    let first = env.step(40);
    assert_eq!(first.new_alerts.len(), 100);
    let exec = &first.executions[0];
    assert_eq!(exec.status, "partial failure");
    assert_eq!(exec.warnings, [MAX_SIGNALS_WARNING]);
    // the earliest events come first
    assert!(ids(&first).contains(&"e000".to_string()));
    // the next execution creates the rest: existing alerts do not use up the cap
    let second = env.step(50);
    assert_eq!(second.new_alerts.len(), 50);
    assert_eq!(second.executions[0].status, "succeeded");
    assert_eq!(env.svc.store.counts().unwrap().2, 150);
}

#[test]
fn an_outage_catches_up_and_records_the_gap() {
    let mut env =
        Env::new(vec![rule("outage", "event.action:CreateUser", "timestamp_override = \"event.ingested\"")]);
    env.step(0);
    assert_eq!(env.svc.store.last_started("outage").unwrap(), Some(T0));
    // down for two hours; meanwhile events arrived that are found at the next start
    env.drop(&[(30, "during-outage", "CreateUser")]);
    let r = env.step(120);
    let exec = &r.executions[0];
    assert_eq!(exec.status, "failed");
    // gap = 120 - 60 = 60 minutes; 4 catch-up windows cover 40; 20 minutes are reported
    assert_eq!(exec.gap, Some((T0, T0 + 20 * MIN)));
    assert!(
        exec.warnings.iter().any(|w| w.starts_with("20 minutes (1200000ms) were not queried")),
        "{:?}",
        exec.warnings
    );
    assert_eq!(ids(&r), ["during-outage"]);
    let history = env.svc.store.executions(10).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].gap, Some((T0, T0 + 20 * MIN)));
}

#[test]
fn rules_run_on_their_interval_only() {
    let mut env = Env::new(vec![rule("every10", "event.action:CreateUser", "")]);
    assert_eq!(env.step(0).executions.len(), 1);
    assert_eq!(env.step(5).executions.len(), 0);
    assert_eq!(env.step(10).executions.len(), 1);
}

#[test]
fn files_are_read_once_also_across_restarts() {
    let mut env = Env::new(vec![rule("restart", "event.action:CreateUser", "")]);
    env.drop(&[(0, "a", "CreateUser")]);
    assert_eq!(env.step(1).files_read, 1);
    assert_eq!(env.step(11).files_read, 0);
    // a new service on the same store (a restart) reads nothing again and alerts nothing twice
    let store = store::Store::open(&env.dir.join("store.db")).unwrap();
    let set = engine::RuleSet::compile(vec![rule("restart", "event.action:CreateUser", "")], T0);
    let mut again = Service::new(set, &env.dir.join("src"), store, cloudtrail::Options::default());
    let r = again.step(T0 + 21 * MIN).unwrap();
    assert_eq!(r.files_read, 0);
    assert!(r.new_alerts.is_empty());
}

fn suppression(group_by: &str, extra: &str) -> String {
    format!("[rule.alert_suppression]\ngroup_by = [\"{group_by}\"]\n{extra}")
}

fn terms_and_count(a: &serde_json::Value) -> (String, i64) {
    (
        a["kibana.alert.suppression.terms"][0]["value"].to_string(),
        a["kibana.alert.suppression.docs_count"].as_i64().unwrap(),
    )
}

#[test]
fn suppression_per_execution_groups_and_remembers() {
    let tables = suppression("user.name", "missing_fields_strategy = \"suppress\"");
    let ovr = "timestamp_override = \"event.ingested\"";
    let mut env = Env::new(vec![rule_with_tables("supp-exec", "event.action:CreateUser", ovr, &tables)]);
    env.drop_users(&[
        (0, "a1", Some("alice")),
        (1, "a2", Some("alice")),
        (2, "b1", Some("bob")),
        (3, "n1", None),
        (4, "n2", None),
    ]);
    let r = env.step(10);
    let mut got: Vec<(String, i64)> = r.new_alerts.iter().map(terms_and_count).collect();
    got.sort();
    // one alert per user, and one for the events without a user (value null)
    assert_eq!(got, [("\"alice\"".to_string(), 1), ("\"bob\"".to_string(), 0), ("null".to_string(), 1)]);
    let alice =
        r.new_alerts.iter().find(|a| a["kibana.alert.suppression.terms"][0]["value"] == "alice").unwrap();
    assert_eq!(ecs::matcher::field_strings(alice, "event.id"), ["a1"], "built from the earliest event");
    assert!(alice["kibana.alert.instance.id"].is_string());
    // the next execution sees the same events again (overlapping window): nothing new
    assert!(env.step(20).new_alerts.is_empty());
    // a new event of alice after the remembered end: a new alert for alice only
    env.drop_users(&[(25, "a3", Some("alice"))]);
    let r = env.step(30);
    assert_eq!(r.new_alerts.iter().map(terms_and_count).collect::<Vec<_>>(), [("\"alice\"".to_string(), 0)]);
}

#[test]
fn suppression_with_duration_updates_the_open_alert() {
    let tables = suppression(
        "user.name",
        "missing_fields_strategy = \"doNotSuppress\"\nduration = { value = 30, unit = \"m\" }",
    );
    let ovr = "timestamp_override = \"event.ingested\"";
    let mut env = Env::new(vec![rule_with_tables("supp-dur", "event.action:CreateUser", ovr, &tables)]);
    env.drop_users(&[(0, "a1", Some("alice")), (1, "n1", None), (2, "n2", None)]);
    let r = env.step(10);
    // alice suppressed into one alert; the two without a user alerted one by one
    assert_eq!(r.new_alerts.len(), 3);
    assert_eq!(r.new_alerts.iter().filter(|a| a.get("kibana.alert.suppression.terms").is_some()).count(), 1);
    // more alice within 30 minutes: the open alert is updated, no new alert
    env.drop_users(&[(12, "a2", Some("alice")), (13, "a3", Some("alice"))]);
    let r = env.step(20);
    assert!(r.new_alerts.is_empty(), "{:?}", r.new_alerts);
    let (_, _, doc) = env
        .svc
        .store
        .alerts(None, 10)
        .unwrap()
        .into_iter()
        .find(|(_, _, d)| d.get("kibana.alert.suppression.terms").is_some())
        .unwrap();
    assert_eq!(doc["kibana.alert.suppression.docs_count"], 2);
    // past the duration: a new alert
    env.drop_users(&[(55, "a4", Some("alice"))]);
    let r = env.step(60);
    assert_eq!(r.new_alerts.len(), 1);
}

#[test]
fn a_truncated_file_waits_while_it_grows_then_is_taken_as_it_is() {
    let mut env =
        Env::new(vec![rule("trunc", "event.action:CreateUser", "timestamp_override = \"event.ingested\"")]);
    let good = serde_json::json!({"eventVersion": "1.08", "eventTime": ecs::time::format_millis(T0), "eventSource": "iam.amazonaws.com",
        "eventName": "CreateUser", "eventID": "ok-1"});
    let path = env.dir.join("src/partial.json");
    // a Records file cut in the middle of its second record
    std::fs::write(&path, format!("{{\"Records\":[{good},{{\"eventName\":\"Cre")).unwrap();
    assert_eq!(env.step(1).files_read, 0, "cut mid-record: maybe still being written");
    // unchanged at the next step: its complete records are taken, the damage reported
    let r = env.step(2);
    assert_eq!(r.files_read, 1);
    assert_eq!(r.events_added, 1);
    assert!(r.input_errors.iter().any(|e| e.contains("truncated")), "{:?}", r.input_errors);
    assert_eq!(env.step(3).files_read, 0, "read once");
}
