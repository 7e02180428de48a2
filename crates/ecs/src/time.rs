//! Dates as Elasticsearch reads them: `strict_date_optional_time||epoch_millis`, date math
//! (`now-60m`, `2024-01-01||+1M/d`) and the rounding rules of range queries.
//!
//! All times are milliseconds since the Unix epoch, UTC.

/// Milliseconds since the epoch.
pub type Millis = i64;

const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The calendar date of a day number.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Format as Elasticsearch prints dates: `2014-07-16T15:49:27.000Z`.
pub fn format_millis(ms: Millis) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let rem = ms.rem_euclid(MS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        y,
        m,
        d,
        rem / 3_600_000,
        (rem / 60_000) % 60,
        (rem / 1000) % 60,
        rem % 1000
    )
}

/// The smallest unit a date string gave; the date stands for the whole of that unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Precision {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Milli,
}

/// A parsed date: the first and the last millisecond it covers (equal for full precision).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateSpan {
    pub lo: Millis,
    pub hi: Millis,
}

/// Parse `strict_date_optional_time` (`yyyy[-MM[-dd[THH[:mm[:ss[.S+]]]]]][Z|±HH[:]mm]`), or epoch
/// milliseconds when the text is all digits (as `strict_date_optional_time||epoch_millis`).
pub fn parse_date(s: &str) -> Option<DateSpan> {
    let s = s.trim();
    parse_iso(s).or_else(|| {
        let v: i64 = s.parse().ok()?;
        Some(DateSpan { lo: v, hi: v })
    })
}

fn parse_iso(s: &str) -> Option<DateSpan> {
    let b = s.as_bytes();
    let mut i = 0;
    let num = |i: &mut usize, n: usize| -> Option<i64> {
        let part = b.get(*i..*i + n)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        *i += n;
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let year = num(&mut i, 4)?;
    let (mut month, mut day, mut hour, mut min, mut sec, mut nanos) = (1u32, 1u32, 0i64, 0i64, 0i64, 0i64);
    let mut prec = Precision::Year;
    if b.get(i) == Some(&b'-') {
        i += 1;
        month = num(&mut i, 2)? as u32;
        prec = Precision::Month;
        if b.get(i) == Some(&b'-') {
            i += 1;
            day = num(&mut i, 2)? as u32;
            prec = Precision::Day;
            if b.get(i) == Some(&b'T') || b.get(i) == Some(&b't') {
                i += 1;
                hour = num(&mut i, 2)?;
                prec = Precision::Hour;
                if b.get(i) == Some(&b':') {
                    i += 1;
                    min = num(&mut i, 2)?;
                    prec = Precision::Minute;
                    if b.get(i) == Some(&b':') {
                        i += 1;
                        sec = num(&mut i, 2)?;
                        prec = Precision::Second;
                        if matches!(b.get(i), Some(b'.') | Some(b',')) {
                            i += 1;
                            let start = i;
                            while b.get(i).is_some_and(u8::is_ascii_digit) && i - start < 9 {
                                i += 1;
                            }
                            if i == start {
                                return None;
                            }
                            let frac = &s[start..i];
                            nanos = frac.parse::<i64>().ok()? * 10i64.pow(9 - frac.len() as u32);
                            prec = Precision::Milli;
                        }
                    }
                }
            }
        }
    }
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || min > 59
        || sec > 59
    {
        return None;
    }
    // time zone
    let mut offset_ms = 0i64;
    match b.get(i) {
        None => {}
        Some(b'Z') | Some(b'z') if prec >= Precision::Hour && i + 1 == b.len() => i += 1,
        Some(&c @ (b'+' | b'-')) if prec >= Precision::Hour => {
            i += 1;
            let h = num(&mut i, 2)?;
            if b.get(i) == Some(&b':') {
                i += 1;
            }
            let m = if i < b.len() { num(&mut i, 2)? } else { 0 };
            if h > 18 || m > 59 {
                return None;
            }
            offset_ms = (h * 60 + m) * 60_000 * if c == b'+' { 1 } else { -1 };
        }
        _ => return None,
    }
    if i != b.len() {
        return None;
    }
    let lo = days_from_civil(year, month, day) * MS_PER_DAY
        + hour * 3_600_000
        + min * 60_000
        + sec * 1000
        + nanos / 1_000_000
        - offset_ms;
    let hi = match prec {
        Precision::Year => days_from_civil(year + 1, 1, 1) * MS_PER_DAY - 1 - offset_ms,
        Precision::Month => {
            let (ny, nm) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
            days_from_civil(ny, nm, 1) * MS_PER_DAY - 1 - offset_ms
        }
        Precision::Day => lo + MS_PER_DAY - 1,
        Precision::Hour => lo + 3_600_000 - 1,
        Precision::Minute => lo + 60_000 - 1,
        Precision::Second => lo + 999,
        Precision::Milli => lo,
    };
    Some(DateSpan { lo, hi })
}

/// Add `n` calendar units (`y M w d h H m s`) to a time, clamping the day of month as
/// Java's time library does (Jan 31 + 1M = Feb 28/29).
fn add_unit(t: Millis, n: i64, unit: char) -> Option<Millis> {
    Some(match unit {
        's' => t + n * 1000,
        'm' => t + n * 60_000,
        'h' | 'H' => t + n * 3_600_000,
        'd' => t + n * MS_PER_DAY,
        'w' => t + n * 7 * MS_PER_DAY,
        'M' | 'y' => {
            let days = t.div_euclid(MS_PER_DAY);
            let rem = t.rem_euclid(MS_PER_DAY);
            let (y, m, d) = civil_from_days(days);
            let months = if unit == 'y' { n * 12 } else { n };
            let total = y * 12 + (m as i64 - 1) + months;
            let (ny, nm) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
            let nd = d.min(days_in_month(ny, nm));
            days_from_civil(ny, nm, nd) * MS_PER_DAY + rem
        }
        _ => return None,
    })
}

/// The span of the `unit` (`y M w d h H m s`) that contains `t` (weeks start on Monday).
fn round_span(t: Millis, unit: char) -> Option<DateSpan> {
    let days = t.div_euclid(MS_PER_DAY);
    let (y, m, _) = civil_from_days(days);
    let lo = match unit {
        's' => t - t.rem_euclid(1000),
        'm' => t - t.rem_euclid(60_000),
        'h' | 'H' => t - t.rem_euclid(3_600_000),
        'd' => days * MS_PER_DAY,
        // 1970-01-01 was a Thursday: Monday-based weeks start 3 days earlier.
        'w' => (days - (days + 3).rem_euclid(7)) * MS_PER_DAY,
        'M' => days_from_civil(y, m, 1) * MS_PER_DAY,
        'y' => days_from_civil(y, 1, 1) * MS_PER_DAY,
        _ => return None,
    };
    let hi = add_unit(lo, 1, unit)? - 1;
    Some(DateSpan { lo, hi })
}

/// Evaluate Elasticsearch date math: `now`, `now-60m`, `now/d`, `2024-01-01||+1M/d`, or a plain
/// date. The result spans what the expression names (a rounded or partial date spans a unit);
/// range queries use `lo` for `gte`/`lt` and `hi` for `gt`/`lte`.
pub fn parse_date_math(s: &str, now: Millis) -> Option<DateSpan> {
    let s = s.trim();
    let (mut span, ops) = if let Some(rest) = s.strip_prefix("now") {
        (DateSpan { lo: now, hi: now }, rest)
    } else if let Some(pos) = s.find("||") {
        (parse_date(&s[..pos])?, &s[pos + 2..])
    } else {
        return parse_date(s);
    };
    if !ops.is_empty() {
        // An anchor followed by math is a point: its first millisecond.
        span.hi = span.lo;
    }
    let b = ops.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let op = b[i];
        i += 1;
        match op {
            b'+' | b'-' => {
                let start = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let n: i64 = if i == start { 1 } else { ops[start..i].parse().ok()? };
                let unit = *b.get(i)? as char;
                i += 1;
                let n = if op == b'-' { -n } else { n };
                let t = add_unit(span.lo, n, unit)?;
                span = DateSpan { lo: t, hi: t };
            }
            b'/' => {
                let unit = *b.get(i)? as char;
                i += 1;
                span = round_span(span.lo, unit)?;
            }
            _ => return None,
        }
    }
    Some(span)
}

/// Parse a duration as rule schedules write it: `10m`, `1h`, `30s`, `2d` (milliseconds).
pub fn parse_duration(s: &str) -> Option<Millis> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().ok()?;
    if n < 0 {
        return None;
    }
    let ms = match unit {
        's' => 1000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => MS_PER_DAY,
        _ => return None,
    };
    n.checked_mul(ms)
}

/// The current time.
pub fn now_millis() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
