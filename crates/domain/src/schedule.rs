//! Availability (服务时间): a provider's weekly working hours, date exceptions, team capacity,
//! notice, booking horizon and buffer, and the rule that decides whether a job can start at a
//! given time: it fits inside one working window of its local day, and fewer than `capacity`
//! booked jobs conflict with it. Two on-site jobs conflict unless one ends early enough for the
//! crew to travel to the other (distance ÷ speed + setup) after the buffer.
//!
//! Times are local (UTC+8, no daylight saving) minutes for the rules and UTC milliseconds
//! ([`Timestamp`]) for everything stored.

use crate::{
    DomainError,
    area::distance_m,
    time::{Day, MINUTE_MS, Timestamp},
};

/// Start times are offered on this grid (minutes past local midnight).
pub const SLOT_STEP_MIN: i64 = 30;
/// Minutes in a day.
pub const DAY_MIN: i64 = 24 * 60;
/// Most ranges in one day's hours.
pub const MAX_RANGES_PER_DAY: usize = 6;
/// Largest team capacity.
pub const MAX_CAPACITY: i64 = 20;
/// Longest booking horizon in days.
pub const MAX_HORIZON_DAYS: i64 = 90;

/// A local time range `[start, end)` in minutes past midnight.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct TimeRange {
    /// First minute.
    pub start: i64,
    /// Minute just after the end (at most 1440).
    pub end: i64,
}

impl TimeRange {
    /// `HH:MM-HH:MM`.
    pub fn label(self) -> String {
        format!("{}-{}", hhmm(self.start), hhmm(self.end))
    }
}

/// `HH:MM` for minutes past midnight (`24:00` for the end of the day).
pub fn hhmm(min: i64) -> String {
    format!("{:02}:{:02}", min / 60, min % 60)
}

/// Parses `HH:MM` (00:00–24:00) into minutes past midnight.
pub fn parse_hhmm(s: &str) -> Result<i64, DomainError> {
    let bad = || DomainError::Invalid("time of day");
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let h: i64 = h.trim().parse().map_err(|_| bad())?;
    let m: i64 = m.trim().parse().map_err(|_| bad())?;
    if !(0..=24).contains(&h) || !(0..60).contains(&m) || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Parses one day's hours as typed: `09:00-12:00, 13:00-18:00` (commas, spaces, `，`, `;` or
/// new lines between ranges; `-`, `–` or `~` inside one). Empty text is a day off. Ranges must
/// not be empty, overlap or exceed [`MAX_RANGES_PER_DAY`]; they come back sorted.
pub fn parse_ranges(text: &str) -> Result<Vec<TimeRange>, DomainError> {
    let mut out = Vec::new();
    for part in text
        .split([',', '，', ';', '；', '\n', ' '])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (a, b) = part
            .split_once(['-', '–', '~', '～'])
            .ok_or(DomainError::Invalid("working hours"))?;
        let range = TimeRange {
            start: parse_hhmm(a)?,
            end: parse_hhmm(b)?,
        };
        if range.end <= range.start {
            return Err(DomainError::Invalid("working hours"));
        }
        out.push(range);
    }
    if out.len() > MAX_RANGES_PER_DAY {
        return Err(DomainError::Invalid("working hours"));
    }
    out.sort();
    if out.windows(2).any(|w| w[1].start < w[0].end) {
        return Err(DomainError::Invalid("working hours"));
    }
    Ok(out)
}

/// Ranges as text, the inverse of [`parse_ranges`].
pub fn ranges_label(ranges: &[TimeRange]) -> String {
    ranges
        .iter()
        .map(|r| r.label())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A change to one date's hours.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DateException {
    /// The local date.
    pub day: String,
    /// `leave` (the ranges, or the whole day when empty, are closed) or `extra` (the ranges
    /// are open in addition to the weekly hours).
    pub kind: String,
    /// The ranges concerned.
    pub ranges: Vec<TimeRange>,
}

/// A provider's availability settings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Availability {
    /// Working hours per weekday, Monday first.
    pub weekly: [Vec<TimeRange>; 7],
    /// Date exceptions.
    pub exceptions: Vec<DateException>,
    /// Jobs the team can run at once (1–20).
    pub capacity: i64,
    /// Minimum minutes between booking and start.
    pub min_notice_min: i64,
    /// How many days ahead customers may book (1–90).
    pub horizon_days: i64,
    /// Minutes kept free after each job.
    pub buffer_min: i64,
}

impl Default for Availability {
    /// Monday to Saturday 09:00–18:00, one job at a time, two hours' notice, 14 days ahead,
    /// no buffer.
    fn default() -> Self {
        let day = vec![TimeRange {
            start: 9 * 60,
            end: 18 * 60,
        }];
        Self {
            weekly: [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
                Vec::new(),
            ],
            exceptions: Vec::new(),
            capacity: 1,
            min_notice_min: 120,
            horizon_days: 14,
            buffer_min: 0,
        }
    }
}

impl Availability {
    /// Checks the numeric settings.
    pub fn validate(&self) -> Result<(), DomainError> {
        if !(1..=MAX_CAPACITY).contains(&self.capacity) {
            return Err(DomainError::Invalid("capacity"));
        }
        if !(0..=7 * DAY_MIN).contains(&self.min_notice_min) {
            return Err(DomainError::Invalid("minimum notice"));
        }
        if !(1..=MAX_HORIZON_DAYS).contains(&self.horizon_days) {
            return Err(DomainError::Invalid("booking horizon"));
        }
        if !(0..=240).contains(&self.buffer_min) {
            return Err(DomainError::Invalid("buffer"));
        }
        Ok(())
    }

    /// The open windows of a local day: the weekly hours, plus extra ranges, minus leave.
    pub fn windows(&self, day: Day) -> Vec<TimeRange> {
        let key = day.to_string();
        let mut open: Vec<TimeRange> = self.weekly[day.weekday_index()].clone();
        for e in self.exceptions.iter().filter(|e| e.day == key) {
            if e.kind == "extra" {
                open.extend(e.ranges.iter().copied());
            }
        }
        let mut open = merge(open);
        for e in self
            .exceptions
            .iter()
            .filter(|e| e.day == key && e.kind == "leave")
        {
            if e.ranges.is_empty() {
                return Vec::new();
            }
            for cut in &e.ranges {
                open = subtract(&open, *cut);
            }
        }
        open
    }
}

fn merge(mut ranges: Vec<TimeRange>) -> Vec<TimeRange> {
    ranges.sort();
    let mut out: Vec<TimeRange> = Vec::new();
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

fn subtract(ranges: &[TimeRange], cut: TimeRange) -> Vec<TimeRange> {
    let mut out = Vec::new();
    for r in ranges {
        if cut.end <= r.start || cut.start >= r.end {
            out.push(*r);
            continue;
        }
        if cut.start > r.start {
            out.push(TimeRange {
                start: r.start,
                end: cut.start,
            });
        }
        if cut.end < r.end {
            out.push(TimeRange {
                start: cut.end,
                end: r.end,
            });
        }
    }
    out
}

/// How long a crew takes between two addresses: distance ÷ speed, plus setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Travel {
    /// Average speed in km/h (city traffic).
    pub speed_kmh: i64,
    /// Minutes to pack up and set up, added to every move between jobs.
    pub setup_min: i64,
}

impl Default for Travel {
    /// 30 km/h and 10 minutes: 8 km takes 26 minutes.
    fn default() -> Self {
        Self {
            speed_kmh: 30,
            setup_min: 10,
        }
    }
}

impl Travel {
    /// How far in time a booked job can reach a candidate: `buffer_min` plus the longest move
    /// between two places of the city (its two farthest district centres, where every address
    /// takes its coordinates). A job that ends more than this before a candidate starts, or
    /// starts more than this after it ends, cannot [`conflicts`] with it, so the booking check
    /// reads only the jobs within this reach.
    pub fn reach_ms(self, buffer_min: i64) -> i64 {
        let (a, b) = crate::district::farthest_pair();
        buffer_min.max(0) * MINUTE_MS + self.between_ms(a, b)
    }

    /// Milliseconds from one point (micro-degrees) to another, rounded up to the minute.
    pub fn between_ms(self, from: (i64, i64), to: (i64, i64)) -> i64 {
        let metres = distance_m(from.0, from.1, to.0, to.1);
        let speed_m_per_min = (self.speed_kmh.max(1) * 1000) as f64 / 60.0;
        #[allow(clippy::cast_possible_truncation)] // city distances: a few thousand minutes at most
        let minutes = (metres / speed_m_per_min).ceil() as i64;
        (minutes + self.setup_min.max(0)) * MINUTE_MS
    }
}

/// A job already on the provider's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookedJob {
    /// Start.
    pub start: Timestamp,
    /// End (start + duration).
    pub end: Timestamp,
    /// Where it is, micro-degrees.
    pub at: (i64, i64),
}

/// A job being placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Proposed start.
    pub start: Timestamp,
    /// Duration in minutes.
    pub minutes: i64,
    /// Where, micro-degrees.
    pub at: (i64, i64),
}

impl Candidate {
    /// The end of the job.
    pub fn end(self) -> Timestamp {
        self.start.plus_ms(self.minutes * MINUTE_MS)
    }
}

/// Why a start time cannot be booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    /// In the past or inside the minimum notice.
    #[error("this time is too soon to book")]
    TooSoon,
    /// Beyond the booking horizon.
    #[error("this time is too far ahead to book")]
    TooFar,
    /// Not on the start-time grid, or not inside one working window.
    #[error("outside the provider's working hours")]
    OutsideHours,
    /// Capacity (with travel and buffer) is taken.
    #[error("this time is already booked")]
    Taken,
}

impl SlotError {
    /// Stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::TooSoon => "slot_too_soon",
            Self::TooFar => "slot_too_far",
            Self::OutsideHours => "slot_outside_hours",
            Self::Taken => "slot_taken",
        }
    }
}

/// Whether `job` and `other` cannot be done by one crew one after the other.
pub fn conflicts(buffer_min: i64, travel: Travel, job: Candidate, other: &BookedJob) -> bool {
    let buffer = buffer_min * MINUTE_MS;
    let other_then_job = other.end.0 + buffer + travel.between_ms(other.at, job.at) <= job.start.0;
    let job_then_other =
        job.end().0 + buffer + travel.between_ms(job.at, other.at) <= other.start.0;
    !(other_then_job || job_then_other)
}

/// Decides whether `job` can be booked now: on the grid, inside notice and horizon, inside one
/// working window of its local day, and conflicting with fewer than `capacity` booked jobs.
pub fn check(
    avail: &Availability,
    travel: Travel,
    booked: &[BookedJob],
    job: Candidate,
    now: Timestamp,
) -> Result<(), SlotError> {
    if job.start.0 < now.0 + avail.min_notice_min * MINUTE_MS {
        return Err(SlotError::TooSoon);
    }
    let day = Day::of(job.start);
    if day > Day::of(now).plus_days(avail.horizon_days) {
        return Err(SlotError::TooFar);
    }
    let offset_ms = job.start.0 - day.start_ms();
    if offset_ms % (SLOT_STEP_MIN * MINUTE_MS) != 0 || job.minutes <= 0 {
        return Err(SlotError::OutsideHours);
    }
    let start_min = offset_ms / MINUTE_MS;
    let end_min = start_min + job.minutes;
    if !avail
        .windows(day)
        .iter()
        .any(|w| w.start <= start_min && end_min <= w.end)
    {
        return Err(SlotError::OutsideHours);
    }
    let conflicting = booked
        .iter()
        .filter(|b| conflicts(avail.buffer_min, travel, job, b))
        .count();
    if i64::try_from(conflicting).unwrap_or(i64::MAX) >= avail.capacity {
        return Err(SlotError::Taken);
    }
    Ok(())
}

/// The start times of a local day that can be booked now for a job of `minutes` at `at`.
pub fn free_starts(
    avail: &Availability,
    travel: Travel,
    booked: &[BookedJob],
    day: Day,
    minutes: i64,
    at: (i64, i64),
    now: Timestamp,
) -> Vec<Timestamp> {
    let mut out = Vec::new();
    for w in avail.windows(day) {
        let first = (w.start + SLOT_STEP_MIN - 1) / SLOT_STEP_MIN * SLOT_STEP_MIN;
        let mut m = first;
        while m + minutes <= w.end {
            let job = Candidate {
                start: Timestamp(day.start_ms() + m * MINUTE_MS),
                minutes,
                at,
            };
            if check(avail, travel, booked, job, now).is_ok() {
                out.push(job.start);
            }
            m += SLOT_STEP_MIN;
        }
    }
    out
}

/// The longest a job can be: [`check`] keeps every job inside one working window of one local
/// day. Lets the booking check bound its read from below (`start_at`), not only from above.
pub const MAX_JOB_MS: i64 = DAY_MIN * MINUTE_MS;

/// Length of one occupancy cell, the unit the database's no-double-booking constraint counts
/// in: a job holds every cell its time (plus buffer) touches, each in one of `capacity` lanes,
/// and a cell-lane pair is unique per provider.
pub const CELL_MS: i64 = 15 * MINUTE_MS;

/// The cells a job from `start` to `end` with `buffer_min` after it holds.
pub fn cells(start: Timestamp, end: Timestamp, buffer_min: i64) -> std::ops::Range<i64> {
    let until = end.0 + buffer_min * MINUTE_MS;
    start.0.div_euclid(CELL_MS)..(until + CELL_MS - 1).div_euclid(CELL_MS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::HOUR_MS;

    /// 2026-12-01 is a Tuesday.
    fn day() -> Day {
        Day::parse("2026-12-01").unwrap_or_else(|_| Day::of(Timestamp(0)))
    }

    fn at(h: i64, m: i64) -> Timestamp {
        Timestamp(day().start_ms() + h * HOUR_MS + m * MINUTE_MS)
    }

    const HOME: (i64, i64) = (31_230_400, 121_473_700);
    /// About 8 km north of HOME.
    const FAR: (i64, i64) = (31_302_400, 121_473_700);

    fn now() -> Timestamp {
        at(-24, 0)
    }

    #[test]
    fn hours_parse_and_print() {
        let r = parse_ranges("13:00-18:00，09:00~12:00").unwrap_or_default();
        assert_eq!(ranges_label(&r), "09:00-12:00, 13:00-18:00");
        assert!(parse_ranges("").unwrap_or_default().is_empty());
        for bad in [
            "9-12",
            "09:00-08:00",
            "09:00-12:00,11:00-13:00",
            "25:00-26:00",
            "x",
        ] {
            assert!(parse_ranges(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_hhmm("24:00"), Ok(1440));
    }

    #[test]
    fn exceptions_add_and_remove_hours() {
        let mut a = Availability::default();
        assert_eq!(
            a.windows(day()),
            vec![TimeRange {
                start: 540,
                end: 1080
            }]
        );
        a.exceptions.push(DateException {
            day: "2026-12-01".into(),
            kind: "leave".into(),
            ranges: vec![TimeRange {
                start: 720,
                end: 780,
            }],
        });
        a.exceptions.push(DateException {
            day: "2026-12-01".into(),
            kind: "extra".into(),
            ranges: vec![TimeRange {
                start: 1080,
                end: 1200,
            }],
        });
        assert_eq!(ranges_label(&a.windows(day())), "09:00-12:00, 13:00-20:00");
        a.exceptions.push(DateException {
            day: "2026-12-01".into(),
            kind: "leave".into(),
            ranges: vec![],
        });
        assert!(a.windows(day()).is_empty());
        // Sunday is off by default.
        assert!(a.windows(day().plus_days(5)).is_empty());
    }

    #[test]
    fn travel_between_jobs_decides_the_next_start() {
        let a = Availability::default();
        let t = Travel::default();
        let booked = [BookedJob {
            start: at(8, 0),
            end: at(10, 0),
            at: HOME,
        }];
        let job = |start| Candidate {
            start,
            minutes: 60,
            at: FAR,
        };
        // 8 km at 30 km/h + 10 min setup = 26 min: 10:00 is blocked, 10:30 is fine.
        assert_eq!(
            check(&a, t, &booked, job(at(10, 0)), now()),
            Err(SlotError::Taken)
        );
        assert_eq!(check(&a, t, &booked, job(at(10, 30)), now()), Ok(()));
        // Next door still needs the 10 minutes of setup: 10:00 is blocked there too.
        let near = Candidate {
            start: at(10, 0),
            minutes: 60,
            at: HOME,
        };
        assert_eq!(check(&a, t, &booked, near, now()), Err(SlotError::Taken));
        // A 09:00 start overlaps the booked job.
        assert_eq!(
            check(&a, t, &booked, job(at(9, 0)), now()),
            Err(SlotError::Taken)
        );
    }

    #[test]
    fn no_job_beyond_the_reach_conflicts_and_one_just_inside_can() {
        use crate::district::{DISTRICTS, to_micro_degrees};
        let place =
            |d: &crate::district::District| (to_micro_degrees(d.lat), to_micro_degrees(d.lng));
        for buffer_min in [0, 30] {
            for travel in [
                Travel::default(),
                Travel {
                    speed_kmh: 5,
                    setup_min: 45,
                },
            ] {
                let reach = travel.reach_ms(buffer_min);
                for a in DISTRICTS {
                    for b in DISTRICTS {
                        let job = Candidate {
                            start: at(12, 0),
                            minutes: 90,
                            at: place(a),
                        };
                        let before = BookedJob {
                            start: Timestamp(job.start.0 - reach - HOUR_MS),
                            end: Timestamp(job.start.0 - reach),
                            at: place(b),
                        };
                        let after = BookedJob {
                            start: Timestamp(job.end().0 + reach),
                            end: Timestamp(job.end().0 + reach + HOUR_MS),
                            at: place(b),
                        };
                        assert!(
                            !conflicts(buffer_min, travel, job, &before),
                            "{} {}",
                            a.name,
                            b.name
                        );
                        assert!(
                            !conflicts(buffer_min, travel, job, &after),
                            "{} {}",
                            a.name,
                            b.name
                        );
                    }
                }
                // The farthest pair is exactly as far as the reach: a minute less conflicts.
                let (x, y) = crate::district::farthest_pair();
                let job = Candidate {
                    start: at(12, 0),
                    minutes: 90,
                    at: x,
                };
                let close = BookedJob {
                    start: Timestamp(job.start.0 - reach - HOUR_MS + MINUTE_MS),
                    end: Timestamp(job.start.0 - reach + MINUTE_MS),
                    at: y,
                };
                assert!(conflicts(buffer_min, travel, job, &close));
            }
        }
    }

    #[test]
    fn capacity_allows_parallel_jobs() {
        let a = Availability {
            capacity: 2,
            ..Availability::default()
        };
        let t = Travel::default();
        let one = BookedJob {
            start: at(10, 0),
            end: at(12, 0),
            at: HOME,
        };
        let job = Candidate {
            start: at(10, 0),
            minutes: 120,
            at: HOME,
        };
        assert_eq!(check(&a, t, &[one], job, now()), Ok(()));
        assert_eq!(check(&a, t, &[one, one], job, now()), Err(SlotError::Taken));
    }

    #[test]
    fn notice_horizon_grid_and_hours_are_enforced() {
        let a = Availability::default();
        let t = Travel::default();
        let job = |start, minutes| Candidate {
            start,
            minutes,
            at: HOME,
        };
        assert_eq!(
            check(&a, t, &[], job(at(10, 0), 60), at(9, 0)),
            Err(SlotError::TooSoon)
        );
        assert_eq!(
            check(&a, t, &[], job(at(10, 0), 60), at(-24 * 20, 0)),
            Err(SlotError::TooFar)
        );
        assert_eq!(
            check(&a, t, &[], job(at(10, 15), 60), now()),
            Err(SlotError::OutsideHours)
        );
        assert_eq!(
            check(&a, t, &[], job(at(17, 30), 60), now()),
            Err(SlotError::OutsideHours)
        );
        assert_eq!(check(&a, t, &[], job(at(17, 0), 60), now()), Ok(()));
        let starts = free_starts(&a, t, &[], day(), 60, HOME, now());
        assert_eq!(starts.first(), Some(&at(9, 0)));
        assert_eq!(starts.last(), Some(&at(17, 0)));
        assert_eq!(starts.len(), 17);
    }

    #[test]
    fn cells_cover_the_job_and_its_buffer() {
        let c = cells(at(10, 0), at(11, 0), 0);
        assert_eq!(c.end - c.start, 4);
        let c = cells(at(10, 0), at(11, 0), 10);
        assert_eq!(c.end - c.start, 5);
    }
}
