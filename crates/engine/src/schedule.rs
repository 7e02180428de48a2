//! Kibana's rule schedule semantics (elastic-semantics.md §5.1–5.3), as pure functions of time.
//!
//! An execution started at `started_at` searches `[from, to]` (date math evaluated with
//! `now = started_at`, both ends inclusive). When the previous execution started longer ago than
//! the window covers, up to [`MAX_CATCHUP`] extra windows, each shifted back by one interval, are
//! searched first (oldest first); what is still not covered is a gap, reported with the humanized
//! message Kibana writes.

use ecs::time::{parse_date_math, parse_duration, Millis};

/// Kibana's `MAX_RULE_GAP_RATIO`: at most this many catch-up windows per execution.
pub const MAX_CATCHUP: i64 = 4;

/// One search window, inclusive at both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: Millis,
    pub to: Millis,
}

/// What one execution searches, and the gap it could not cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Windows to search, oldest first (catch-up windows, then the regular one).
    pub windows: Vec<Window>,
    /// The part of the gap no window covers: `[previous start, previous start + remaining]`.
    pub gap: Option<Window>,
}

/// A rule's schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub interval: Millis,
    pub from: String,
    pub to: String,
}

/// Why a schedule is unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleError(pub String);

impl Schedule {
    pub fn new(interval: &str, from: &str, to: &str) -> Result<Schedule, ScheduleError> {
        let interval = parse_duration(interval)
            .filter(|i| *i > 0)
            .ok_or_else(|| ScheduleError(format!("interval {interval:?} is not a duration like 5m")))?;
        for (k, v) in [("from", from), ("to", to)] {
            if parse_date_math(v, 0).is_none() {
                return Err(ScheduleError(format!("{k} {v:?} is not date math like now-6m")));
            }
        }
        Ok(Schedule { interval, from: from.to_string(), to: to.to_string() })
    }

    /// The windows of an execution started at `started_at`, given when the previous one started.
    pub fn plan(&self, started_at: Millis, previous_started_at: Option<Millis>) -> Plan {
        // both are valid date math (checked in `new`)
        let from = parse_date_math(&self.from, started_at).map_or(started_at, |d| d.lo);
        let to = parse_date_math(&self.to, started_at).map_or(started_at, |d| d.lo);
        let mut windows = vec![Window { from, to }];
        let mut gap_window = None;
        if let Some(prev) = previous_started_at {
            let gap = (started_at - prev) - (to - from);
            if gap > 0 {
                let catchup = ((gap + self.interval - 1) / self.interval).min(MAX_CATCHUP);
                for k in 1..=catchup {
                    windows.push(Window { from: from - k * self.interval, to: to - k * self.interval });
                }
                let remaining = (gap - catchup * self.interval).max(0);
                if remaining > 0 {
                    gap_window = Some(Window { from: prev, to: prev + remaining });
                }
            }
        }
        windows.reverse();
        Plan { windows, gap: gap_window }
    }

    /// When the execution after one started at `started_at` is due.
    pub fn next_run(&self, started_at: Millis) -> Millis {
        started_at + self.interval
    }
}

/// Kibana's gap message.
pub fn gap_message(gap: &Window) -> String {
    let ms = gap.to - gap.from;
    format!(
        "{} ({ms}ms) were not queried between this rule execution and the last execution, so signals may have been missed. Consider increasing your look behind time or adding more Kibana instances",
        humanize(ms)
    )
}

/// moment.js-style `humanize()` (as Kibana uses for the gap message).
pub fn humanize(ms: Millis) -> String {
    let s = ms as f64 / 1000.0;
    let (m, h, d) = (s / 60.0, s / 3600.0, s / 86400.0);
    match () {
        _ if s < 45.0 => "a few seconds".into(),
        _ if s < 90.0 => "a minute".into(),
        _ if m < 45.0 => format!("{} minutes", m.round()),
        _ if m < 90.0 => "an hour".into(),
        _ if h < 22.0 => format!("{} hours", h.round()),
        _ if h < 36.0 => "a day".into(),
        _ => format!("{} days", d.round()),
    }
}

/// The time an event is placed at for a rule with `timestamp_override`: the override field when
/// the event has it, else `@timestamp` (unless the fallback is disabled), as Kibana's range filter
/// does. `None` when the event has neither.
pub fn event_time(
    doc: &serde_json::Value,
    timestamp_override: Option<&str>,
    fallback_disabled: bool,
) -> Option<Millis> {
    let time_of = |field: &str| ecs::doc::first_str(doc, field).and_then(ecs::time::parse_date).map(|d| d.lo);
    match timestamp_override {
        Some(field) if field != "@timestamp" => match time_of(field) {
            Some(t) => Some(t),
            None if !fallback_disabled => time_of("@timestamp"),
            None => None,
        },
        _ => time_of("@timestamp"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Millis = 60_000;

    fn seed() -> Schedule {
        Schedule::new("10m", "now-60m", "now").unwrap()
    }

    #[test]
    fn first_run_searches_from_to() {
        let p = seed().plan(1000 * MIN, None);
        assert_eq!(p.windows, [Window { from: 940 * MIN, to: 1000 * MIN }]);
        assert_eq!(p.gap, None);
    }

    #[test]
    fn on_time_runs_overlap_and_have_no_gap() {
        // 10m interval with a 60m window: the gap is 10m - 60m < 0
        let p = seed().plan(1010 * MIN, Some(1000 * MIN));
        assert_eq!(p.windows.len(), 1);
        assert_eq!(p.gap, None);
    }

    #[test]
    fn a_two_hour_outage_catches_up_four_windows_and_reports_the_rest() {
        // previous start 120 minutes ago: gap = 120 - 60 = 60m; catch-up = min(ceil(60/10), 4) = 4
        let now = 2000 * MIN;
        let p = seed().plan(now, Some(now - 120 * MIN));
        assert_eq!(p.windows.len(), 5);
        assert_eq!(p.windows[0], Window { from: now - 60 * MIN - 40 * MIN, to: now - 40 * MIN });
        assert_eq!(p.windows[4], Window { from: now - 60 * MIN, to: now });
        // remaining: 60 - 4*10 = 20 minutes, from the previous start
        let gap = p.gap.unwrap();
        assert_eq!(gap, Window { from: now - 120 * MIN, to: now - 120 * MIN + 20 * MIN });
        assert!(gap_message(&gap).starts_with("20 minutes (1200000ms) were not queried"));
    }

    #[test]
    fn a_short_delay_is_caught_up_without_gap() {
        let s = Schedule::new("5m", "now-6m", "now").unwrap();
        // previous start 12m ago: gap = 12 - 6 = 6m; catch-up = ceil(6/5) = 2, remaining 0
        let p = s.plan(100 * MIN, Some(88 * MIN));
        assert_eq!(p.windows.len(), 3);
        assert_eq!(p.gap, None);
    }

    #[test]
    fn bad_schedules_are_refused() {
        assert!(Schedule::new("10 minutes", "now-6m", "now").is_err());
        assert!(Schedule::new("0m", "now-6m", "now").is_err());
        assert!(Schedule::new("5m", "yesterday", "now").is_err());
    }

    #[test]
    fn timestamp_override_falls_back_to_timestamp() {
        let with = serde_json::json!({"@timestamp": "2026-01-01T00:00:00Z", "event": {"ingested": "2026-01-01T00:50:00Z"}});
        let without = serde_json::json!({"@timestamp": "2026-01-01T00:00:00Z"});
        let t = |s: &str| ecs::time::parse_date(s).unwrap().lo;
        assert_eq!(event_time(&with, Some("event.ingested"), false), Some(t("2026-01-01T00:50:00Z")));
        assert_eq!(event_time(&without, Some("event.ingested"), false), Some(t("2026-01-01T00:00:00Z")));
        assert_eq!(event_time(&without, Some("event.ingested"), true), None);
        assert_eq!(event_time(&with, None, false), Some(t("2026-01-01T00:00:00Z")));
    }

    #[test]
    fn humanize_like_moment() {
        assert_eq!(humanize(30_000), "a few seconds");
        assert_eq!(humanize(60_000), "a minute");
        assert_eq!(humanize(20 * MIN), "20 minutes");
        assert_eq!(humanize(60 * MIN), "an hour");
        assert_eq!(humanize(5 * 60 * MIN), "5 hours");
    }
}
