//! The embedded store of the detection service: SQLite in WAL mode.
//!
//! | table | holds |
//! |---|---|
//! | `files` | every source file read (path, size), so each is read once, across restarts |
//! | `events` | normalized events of the look-back horizon, by `@timestamp` and `event.ingested` |
//! | `alerts` | alert documents, keyed by `kibana.alert.uuid`, with their workflow status |
//! | `executions` | rule execution history: start, duration, events scanned, alerts, warnings, gaps |
//! | `rule_state` | per rule: when its last execution started (the schedule checkpoint) |
//!
//! Durability: a file's events and its `files` row are written in one transaction; a rule
//! execution's alerts, its history row and its checkpoint in another. A process killed at any
//! moment leaves either all of a unit or none of it, and alert ids are primary keys, so a repeated
//! execution inserts nothing twice.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;
use std::path::Path;

pub use rusqlite::Error;

pub type Millis = i64;

/// Workflow status of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    Acknowledged,
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Acknowledged => "acknowledged",
            Status::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "open" => Some(Status::Open),
            "acknowledged" => Some(Status::Acknowledged),
            "closed" => Some(Status::Closed),
            _ => None,
        }
    }
}

/// One rule execution, for the history.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    pub rule_id: String,
    pub started: Millis,
    pub duration_ms: i64,
    pub events_scanned: i64,
    pub alerts: i64,
    /// succeeded, partial failure (warnings) or failed (gap).
    pub status: String,
    pub warnings: Vec<String>,
    pub gap: Option<(Millis, Millis)>,
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub key: String,
    pub timestamp: Option<Millis>,
    pub ingested: Option<Millis>,
    pub doc: Value,
}

/// Which events a scan wants, besides the time window: the values `event.action` or
/// `event.provider` must have (from the rule's dispatch analysis), if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discriminators {
    pub actions: Option<Vec<String>>,
    pub providers: Option<Vec<String>>,
}

pub struct Store {
    conn: Connection,
}

impl Store {
    /// Open (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Store, Error> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER NOT NULL, read_at INTEGER NOT NULL, events INTEGER NOT NULL, errors INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS events (key TEXT PRIMARY KEY, ts INTEGER, ingested INTEGER, provider TEXT, action TEXT, doc TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS events_ts ON events(ts);
             CREATE INDEX IF NOT EXISTS events_ingested ON events(ingested);
             CREATE INDEX IF NOT EXISTS events_action ON events(action);
             CREATE INDEX IF NOT EXISTS events_provider ON events(provider);
             CREATE TABLE IF NOT EXISTS alerts (uuid TEXT PRIMARY KEY, rule_id TEXT NOT NULL, rule_name TEXT NOT NULL,
                 severity TEXT NOT NULL, risk_score INTEGER NOT NULL, original_time INTEGER, created INTEGER NOT NULL,
                 status TEXT NOT NULL DEFAULT 'open', doc TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS alerts_time ON alerts(original_time);
             CREATE TABLE IF NOT EXISTS executions (id INTEGER PRIMARY KEY, rule_id TEXT NOT NULL, started INTEGER NOT NULL,
                 duration_ms INTEGER NOT NULL, events_scanned INTEGER NOT NULL, alerts INTEGER NOT NULL, status TEXT NOT NULL,
                 warnings TEXT NOT NULL, gap_from INTEGER, gap_to INTEGER);
             CREATE TABLE IF NOT EXISTS rule_state (rule_id TEXT PRIMARY KEY, last_started INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS rule_memory (rule_id TEXT PRIMARY KEY, memory TEXT NOT NULL);",
        )?;
        Ok(Store { conn })
    }

    /// Has this file (path and size) been read already?
    pub fn file_seen(&self, path: &str, size: u64) -> Result<bool, Error> {
        let found: Option<i64> = self
            .conn
            .query_row("SELECT size FROM files WHERE path = ?1", params![path], |r| r.get(0))
            .optional()?;
        Ok(found == Some(size as i64))
    }

    /// Store a file's events and mark it read, atomically. Returns how many events were new.
    pub fn ingest_file(
        &mut self,
        path: &str,
        size: u64,
        now: Millis,
        events: &[StoredEvent],
        errors: u64,
    ) -> Result<usize, Error> {
        let tx = self.conn.transaction()?;
        let mut added = 0;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO events (key, ts, ingested, provider, action, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for e in events {
                // the discriminators when the event has exactly one value of each (else NULL: always scanned)
                let single = |path: &str| {
                    let mut v = ecs::matcher::field_strings(&e.doc, path);
                    if v.len() == 1 {
                        v.pop()
                    } else {
                        None
                    }
                };
                added += stmt.execute(params![
                    e.key,
                    e.timestamp,
                    e.ingested,
                    single("event.provider"),
                    single("event.action"),
                    e.doc.to_string()
                ])?;
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO files (path, size, read_at, events, errors) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![path, size as i64, now, events.len() as i64, errors as i64],
        )?;
        tx.commit()?;
        Ok(added)
    }

    /// Stream the events whose primary time is in `[from, to]` and whose discriminators fit,
    /// oldest first, giving `f` the key and the stored document text; `f` returns false to stop.
    /// With `override_ingested`, the primary time is `event.ingested`, falling back to
    /// `@timestamp` when it is missing (unless `fallback_disabled`), as Kibana's range filter.
    pub fn scan_events(
        &self,
        from: Millis,
        to: Millis,
        override_ingested: bool,
        fallback_disabled: bool,
        want: &Discriminators,
        f: &mut dyn FnMut(&str, &str) -> bool,
    ) -> Result<usize, Error> {
        let time = match (override_ingested, fallback_disabled) {
            (false, _) => ("ts BETWEEN ?1 AND ?2", "ts, key"),
            (true, true) => ("ingested BETWEEN ?1 AND ?2", "ingested, ts, key"),
            (true, false) => (
                "(ingested BETWEEN ?1 AND ?2 OR (ingested IS NULL AND ts BETWEEN ?1 AND ?2))",
                "ingested IS NULL, ingested, ts, key",
            ),
        };
        // Events with several values (or none) of a discriminator are stored with NULL: always scanned.
        let list = |col: &str, vals: &Option<Vec<String>>| -> (String, Vec<String>) {
            match vals {
                None => (String::new(), Vec::new()),
                Some(v) => {
                    let marks: Vec<String> = v.iter().map(|_| "?".to_string()).collect();
                    (format!(" AND ({col} IS NULL OR {col} IN ({}))", marks.join(",")), v.clone())
                }
            }
        };
        let (a_sql, a_vals) = list("action", &want.actions);
        let (p_sql, p_vals) = if want.actions.is_some() {
            (String::new(), Vec::new())
        } else {
            list("provider", &want.providers)
        };
        let sql = format!("SELECT key, doc FROM events WHERE {}{a_sql}{p_sql} ORDER BY {}", time.0, time.1);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut params: Vec<rusqlite::types::Value> = vec![from.into(), to.into()];
        params.extend(a_vals.into_iter().chain(p_vals).map(rusqlite::types::Value::from));
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut n = 0;
        while let Some(row) = rows.next()? {
            n += 1;
            let key: String = row.get(0)?;
            let doc = row
                .get_ref(1)?
                .as_str()
                .map_err(|e| Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e)))?;
            if !f(&key, doc) {
                break;
            }
        }
        Ok(n)
    }

    /// Forget events older than `before` (by both times).
    pub fn prune_events(&self, before: Millis) -> Result<usize, Error> {
        self.conn.execute(
            "DELETE FROM events WHERE COALESCE(ingested, ts) < ?1 AND COALESCE(ts, ingested) < ?1",
            params![before],
        )
    }

    pub fn last_started(&self, rule_id: &str) -> Result<Option<Millis>, Error> {
        self.conn
            .query_row("SELECT last_started FROM rule_state WHERE rule_id = ?1", params![rule_id], |r| {
                r.get(0)
            })
            .optional()
    }

    pub fn alert_exists(&self, uuid: &str) -> Result<bool, Error> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM alerts WHERE uuid = ?1", params![uuid], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Record an execution: its new alerts, its history row and the rule's checkpoint, in one
    /// transaction. Returns the uuids of the alerts that were new.
    pub fn record_execution(&mut self, exec: &Execution, alerts: &[Value]) -> Result<Vec<String>, Error> {
        self.record_execution_with(exec, alerts, &[], None)
    }

    /// `record_execution`, also replacing the documents of existing alerts (suppression updates)
    /// and the rule's memory, in the same transaction.
    pub fn record_execution_with(
        &mut self,
        exec: &Execution,
        alerts: &[Value],
        updates: &[(String, Value)],
        memory: Option<&Value>,
    ) -> Result<Vec<String>, Error> {
        let tx = self.conn.transaction()?;
        for (uuid, doc) in updates {
            tx.execute("UPDATE alerts SET doc = ?2 WHERE uuid = ?1", params![uuid, doc.to_string()])?;
        }
        if let Some(m) = memory {
            tx.execute(
                "INSERT INTO rule_memory (rule_id, memory) VALUES (?1, ?2)
                 ON CONFLICT(rule_id) DO UPDATE SET memory = excluded.memory",
                params![exec.rule_id, m.to_string()],
            )?;
        }
        let mut new = Vec::new();
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO alerts (uuid, rule_id, rule_name, severity, risk_score, original_time, created, status, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'open', ?8)",
            )?;
            for a in alerts {
                let s = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                let uuid = s("kibana.alert.uuid");
                let original = a
                    .get("kibana.alert.original_time")
                    .and_then(Value::as_str)
                    .and_then(ecs::time::parse_date)
                    .map(|d| d.lo);
                let n = stmt.execute(params![
                    uuid,
                    s("kibana.alert.rule.rule_id"),
                    s("kibana.alert.rule.name"),
                    s("kibana.alert.severity"),
                    a.get("kibana.alert.risk_score").and_then(Value::as_i64).unwrap_or(0),
                    original,
                    exec.started,
                    a.to_string()
                ])?;
                if n > 0 {
                    new.push(uuid);
                }
            }
        }
        tx.execute(
            "INSERT INTO executions (rule_id, started, duration_ms, events_scanned, alerts, status, warnings, gap_from, gap_to)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                exec.rule_id,
                exec.started,
                exec.duration_ms,
                exec.events_scanned,
                new.len() as i64,
                exec.status,
                serde_json::to_string(&exec.warnings).unwrap_or_default(),
                exec.gap.map(|g| g.0),
                exec.gap.map(|g| g.1)
            ],
        )?;
        tx.execute(
            "INSERT INTO rule_state (rule_id, last_started) VALUES (?1, ?2)
             ON CONFLICT(rule_id) DO UPDATE SET last_started = excluded.last_started",
            params![exec.rule_id, exec.started],
        )?;
        tx.commit()?;
        Ok(new)
    }

    /// The latest alert of a suppression instance started at or after `since` and not closed.
    pub fn open_suppressed(
        &self,
        instance_id: &str,
        since: Millis,
    ) -> Result<Option<(String, Value)>, Error> {
        self.conn
            .query_row(
                "SELECT uuid, doc FROM alerts WHERE status != 'closed' AND created >= ?2
                 AND json_extract(doc, '$.\"kibana.alert.instance.id\"') = ?1 ORDER BY created DESC LIMIT 1",
                params![instance_id, since],
                |r| {
                    let doc: String = r.get(1)?;
                    Ok((r.get(0)?, serde_json::from_str(&doc).unwrap_or(Value::Null)))
                },
            )
            .optional()
    }

    /// Per-rule state (JSON) beyond the checkpoint, e.g. suppression history.
    pub fn rule_memory(&self, rule_id: &str) -> Result<Value, Error> {
        let s: Option<String> = self
            .conn
            .query_row("SELECT memory FROM rule_memory WHERE rule_id = ?1", params![rule_id], |r| r.get(0))
            .optional()?;
        Ok(s.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or(Value::Null))
    }

    /// Alerts, newest event first, optionally only of one status.
    pub fn alerts(
        &self,
        status: Option<Status>,
        limit: usize,
    ) -> Result<Vec<(String, Status, Value)>, Error> {
        let mut stmt = self.conn.prepare(
            "SELECT uuid, status, doc FROM alerts WHERE (?1 IS NULL OR status = ?1) ORDER BY original_time DESC, uuid LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![status.map(Status::as_str), limit as i64], |r| {
            let s: String = r.get(1)?;
            let doc: String = r.get(2)?;
            Ok((
                r.get(0)?,
                Status::parse(&s).unwrap_or(Status::Open),
                serde_json::from_str(&doc).unwrap_or(Value::Null),
            ))
        })?;
        rows.collect()
    }

    /// One alert by uuid (or a unique uuid prefix).
    pub fn alert(&self, id: &str) -> Result<Option<(String, Status, Value)>, Error> {
        let mut stmt =
            self.conn.prepare("SELECT uuid, status, doc FROM alerts WHERE uuid LIKE ?1 || '%' LIMIT 2")?;
        let rows: Vec<(String, String, String)> = stmt
            .query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        Ok(match rows.as_slice() {
            [(u, s, d)] => Some((
                u.clone(),
                Status::parse(s).unwrap_or(Status::Open),
                serde_json::from_str(d).unwrap_or(Value::Null),
            )),
            _ => None,
        })
    }

    /// Change an alert's workflow status; false when no single alert has that id.
    pub fn set_status(&self, id: &str, status: Status) -> Result<bool, Error> {
        let Some((uuid, _, _)) = self.alert(id)? else { return Ok(false) };
        self.conn.execute("UPDATE alerts SET status = ?1 WHERE uuid = ?2", params![status.as_str(), uuid])?;
        Ok(true)
    }

    /// The execution history, newest first.
    pub fn executions(&self, limit: usize) -> Result<Vec<Execution>, Error> {
        let mut stmt = self.conn.prepare(
            "SELECT rule_id, started, duration_ms, events_scanned, alerts, status, warnings, gap_from, gap_to
             FROM executions ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map(params![limit as i64], |r| {
            let warnings: String = r.get(6)?;
            let (gf, gt): (Option<i64>, Option<i64>) = (r.get(7)?, r.get(8)?);
            Ok(Execution {
                rule_id: r.get(0)?,
                started: r.get(1)?,
                duration_ms: r.get(2)?,
                events_scanned: r.get(3)?,
                alerts: r.get(4)?,
                status: r.get(5)?,
                warnings: serde_json::from_str(&warnings).unwrap_or_default(),
                gap: gf.zip(gt),
            })
        })?;
        rows.collect()
    }

    /// (files read, events kept, alerts)
    pub fn counts(&self) -> Result<(i64, i64, i64), Error> {
        let c =
            |t: &str| self.conn.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get::<_, i64>(0));
        Ok((c("files")?, c("events")?, c("alerts")?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tmp() -> (std::path::PathBuf, Store) {
        let p = std::env::temp_dir().join(format!("th-store-{}-{}.db", std::process::id(), rand_suffix()));
        (p.clone(), Store::open(&p).unwrap())
    }

    fn rand_suffix() -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    }

    #[test]
    fn files_are_read_once_and_events_kept() {
        let (_p, mut s) = tmp();
        assert!(!s.file_seen("a.json", 10).unwrap());
        let ev = |k: &str, ts: i64, ing: Option<i64>| StoredEvent {
            key: k.into(),
            timestamp: Some(ts),
            ingested: ing,
            doc: json!({"k": k}),
        };
        assert_eq!(
            s.ingest_file("a.json", 10, 5, &[ev("1", 100, Some(150)), ev("2", 200, None)], 0).unwrap(),
            2
        );
        assert!(s.file_seen("a.json", 10).unwrap());
        assert!(!s.file_seen("a.json", 11).unwrap(), "a grown file is read again");
        // the same event twice is kept once
        assert_eq!(s.ingest_file("b.json", 3, 6, &[ev("1", 100, Some(150))], 0).unwrap(), 0);
        // windows by ingested with fallback to @timestamp
        let keys = |from, to, ingested, no_fallback| {
            let mut out = Vec::new();
            s.scan_events(from, to, ingested, no_fallback, &Discriminators::default(), &mut |k, _| {
                out.push(k.to_string());
                true
            })
            .unwrap();
            out
        };
        assert_eq!(keys(140, 210, true, false), ["1", "2"]);
        assert_eq!(keys(140, 210, true, true), ["1"]);
        assert_eq!(keys(90, 110, false, false), ["1"]);
        // discriminators narrow the scan; events without a single value are always scanned
        let only = |actions: &[&str]| {
            let want = Discriminators {
                actions: Some(actions.iter().map(|a| a.to_string()).collect()),
                providers: None,
            };
            let mut n = 0;
            s.scan_events(0, 1000, false, false, &want, &mut |_, _| {
                n += 1;
                true
            })
            .unwrap();
            n
        };
        assert_eq!(only(&["X"]), 2, "the test events have no event.action: kept");
        assert_eq!(s.prune_events(160).unwrap(), 1);
        assert_eq!(s.counts().unwrap(), (2, 1, 0));
    }

    #[test]
    fn executions_record_alerts_once_with_status_changes() {
        let (_p, mut s) = tmp();
        let alert = json!({"kibana.alert.uuid": "abc123", "kibana.alert.rule.rule_id": "r", "kibana.alert.rule.name": "R",
            "kibana.alert.severity": "low", "kibana.alert.risk_score": 21, "kibana.alert.original_time": "2026-01-01T00:00:00.000Z"});
        let exec = Execution {
            rule_id: "r".into(),
            started: 1000,
            duration_ms: 3,
            events_scanned: 10,
            alerts: 1,
            status: "succeeded".into(),
            warnings: vec![],
            gap: None,
        };
        assert_eq!(s.record_execution(&exec, std::slice::from_ref(&alert)).unwrap(), ["abc123"]);
        assert!(s
            .record_execution(&Execution { started: 2000, ..exec.clone() }, &[alert])
            .unwrap()
            .is_empty());
        assert_eq!(s.last_started("r").unwrap(), Some(2000));
        assert_eq!(s.executions(10).unwrap().len(), 2);
        assert!(s.set_status("abc", Status::Acknowledged).unwrap());
        assert_eq!(s.alerts(Some(Status::Acknowledged), 10).unwrap().len(), 1);
        assert!(!s.set_status("zzz", Status::Closed).unwrap());
    }
}
