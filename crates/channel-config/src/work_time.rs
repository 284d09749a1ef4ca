//! Agent work time (R-BASIC-5): the segments of workdays and of non-workdays, and whether
//! agents work at a given instant in the tenant's time zone (R-TENANT-5).

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::clock_time::ClockTime;
use crate::violation::{Collector, Violation};
use crate::work_segments::{WorkSegmentDraft, WorkSegments};

/// `workTime` as written in a request. A list left out means the whole day.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkTimeDraft {
    /// 1 to 4 non-overlapping segments for workdays.
    #[schema(min_items = 1, max_items = 4)]
    pub workday: Option<Vec<WorkSegmentDraft>>,
    /// 1 to 4 non-overlapping segments for non-workdays (see the service calendar).
    #[schema(min_items = 1, max_items = 4)]
    pub non_workday: Option<Vec<WorkSegmentDraft>>,
}

/// Which list of segments applies to a date: the service calendar decides (R-TENANT-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum DayKind {
    Workday,
    NonWorkday,
}

/// When agents work, on workdays and on non-workdays (R-BASIC-5, R-TENANT-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkTime {
    workday: WorkSegments,
    non_workday: WorkSegments,
}

impl Default for WorkTime {
    /// A new channel starts with one segment per list: the whole day.
    fn default() -> Self {
        Self {
            workday: WorkSegments::whole_day(),
            non_workday: WorkSegments::whole_day(),
        }
    }
}

impl WorkTime {
    /// Parses both lists; pointers are `/workday/...` and `/nonWorkday/...`.
    pub fn parse(draft: Option<&WorkTimeDraft>) -> Result<Self, Vec<Violation>> {
        let Some(draft) = draft else {
            return Ok(Self::default());
        };
        let list = |d: &Option<Vec<WorkSegmentDraft>>| match d {
            Some(d) => WorkSegments::parse(d),
            None => Ok(WorkSegments::whole_day()),
        };
        let mut c = Collector::default();
        let workday = c.take("/workday", list(&draft.workday));
        let non_workday = c.take("/nonWorkday", list(&draft.non_workday));
        match (workday, non_workday) {
            (Some(workday), Some(non_workday)) => Ok(Self {
                workday,
                non_workday,
            }),
            _ => Err(c.into_violations()),
        }
    }

    /// Segments of a workday.
    pub fn workday(&self) -> &WorkSegments {
        &self.workday
    }

    /// Segments of a non-workday.
    pub fn non_workday(&self) -> &WorkSegments {
        &self.non_workday
    }

    /// Whether agents work at every minute of every day (each list is 00:00-24:00): such a
    /// channel is never closed, whatever the zone or the calendar.
    pub fn always_working(&self) -> bool {
        let whole = |list: &WorkSegments| (0..24 * 60).all(|minute| list.contains(minute));
        whole(&self.workday) && whole(&self.non_workday)
    }

    /// Whether agents work at `minute` (0..1440) of a day of that kind; a segment holds
    /// its start minute, not its end.
    pub fn is_working(&self, day: DayKind, minute: u16) -> bool {
        match day {
            DayKind::Workday => self.workday.contains(minute),
            DayKind::NonWorkday => self.non_workday.contains(minute),
        }
    }
}

/// Whether agents work at one instant, read on the tenant's wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkTimeStatus {
    /// The date of the instant in the tenant's time zone: what the service calendar lists.
    pub local_date: NaiveDate,
    /// The wall-clock time of the instant there, to the minute (`HH:MM`).
    pub local_time: ClockTime,
    /// `NonWorkday` when the service calendar lists the local date.
    pub day_kind: DayKind,
    /// Whether the local time falls in a segment of that day's list.
    pub working: bool,
}

/// Evaluates `work_time` at the instant `at`: the instant is read on the wall clock of
/// `zone` (the offset in force at that instant, so daylight saving time is followed), the
/// service calendar (`is_non_working_day`, asked about the local date) picks the list of
/// segments, and the local minute decides.
pub fn status_at(
    work_time: &WorkTime,
    zone: Tz,
    at: DateTime<Utc>,
    is_non_working_day: impl FnOnce(NaiveDate) -> bool,
) -> WorkTimeStatus {
    let local = at.with_timezone(&zone).naive_local();
    let local_date = local.date();
    let local_time = ClockTime::of_day(local.time());
    let day_kind = if is_non_working_day(local_date) {
        DayKind::NonWorkday
    } else {
        DayKind::Workday
    };
    WorkTimeStatus {
        local_date,
        local_time,
        day_kind,
        working: work_time.is_working(day_kind, local_time.minutes()),
    }
}

/// Days looked back for the closing that began a closed period: every list holds at least
/// one segment, so agents worked within the last two local days; one more covers a day
/// that daylight saving time shortens.
const CLOSING_LOOKBACK_DAYS: u64 = 3;

/// When the closed period that holds `at` began: the latest instant at or before `at` at
/// which agents stopped working (the end of a segment, on the wall clock of `zone`, with
/// the service calendar picking each local day's list). `None` when agents work at `at`,
/// or when no closing lies within the last days (a list whose every segment daylight
/// saving time skips).
///
/// Daylight saving time is followed: an end that falls in the hour skipped in spring closes
/// at the first instant after the gap, one in the hour repeated in autumn may close twice
/// (each occurrence is its own closing), and every candidate is checked against
/// [`status_at`], so segments that touch (`08:00-12:00`, `12:00-13:00`) are one stretch.
pub fn closed_since(
    work_time: &WorkTime,
    zone: Tz,
    at: DateTime<Utc>,
    is_non_working_day: impl Fn(NaiveDate) -> bool,
) -> Option<DateTime<Utc>> {
    let working = |t: DateTime<Utc>| status_at(work_time, zone, t, &is_non_working_day).working;
    if working(at) {
        return None;
    }
    let today = at.with_timezone(&zone).date_naive();
    let minute = chrono::Duration::minutes(1);
    let mut latest: Option<DateTime<Utc>> = None;
    for back in 0..=CLOSING_LOOKBACK_DAYS {
        let Some(date) = today.checked_sub_days(Days::new(back)) else {
            break;
        };
        let day = if is_non_working_day(date) {
            DayKind::NonWorkday
        } else {
            DayKind::Workday
        };
        let segments = match day {
            DayKind::Workday => work_time.workday(),
            DayKind::NonWorkday => work_time.non_workday(),
        };
        for segment in segments.segments() {
            let end = date.and_time(chrono::NaiveTime::MIN)
                + chrono::Duration::minutes(i64::from(segment.end().minutes()));
            for closing in instants_of(zone, end) {
                let closes = closing <= at && !working(closing) && working(closing - minute);
                if closes && latest.is_none_or(|l| closing > l) {
                    latest = Some(closing);
                }
            }
        }
    }
    latest
}

/// The instants a wall-clock time of `zone` names: one, two in the hour repeated when
/// daylight saving time ends, or, in the hour skipped when it starts, the first instant
/// after the gap.
fn instants_of(zone: Tz, local: NaiveDateTime) -> Vec<DateTime<Utc>> {
    let mut probe = local;
    // A gap is an hour or two; some zones once skipped a whole day.
    for _ in 0..=(26 * 60) {
        match zone.from_local_datetime(&probe) {
            chrono::LocalResult::Single(t) => return vec![t.to_utc()],
            chrono::LocalResult::Ambiguous(a, b) => return vec![a.to_utc(), b.to_utc()],
            chrono::LocalResult::None => probe += chrono::Duration::minutes(1),
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    // R-BASIC-5
    #[test]
    fn starts_with_the_whole_day_in_each_list() {
        let wt = WorkTime::parse(None).unwrap();
        assert_eq!(wt.workday(), &WorkSegments::whole_day());
        assert_eq!(wt.non_workday(), &WorkSegments::whole_day());
    }

    // R-TENANT-5
    #[test]
    fn applies_the_list_of_the_day_kind() {
        let draft: WorkTimeDraft = serde_json::from_value(serde_json::json!({
            "workday": [{"start": "08:00", "end": "18:00"}],
            "nonWorkday": [{"start": "10:00", "end": "16:00"}]
        }))
        .unwrap();
        let wt = WorkTime::parse(Some(&draft)).unwrap();
        assert!(wt.is_working(DayKind::Workday, 8 * 60));
        assert!(
            !wt.is_working(DayKind::Workday, 18 * 60),
            "the end minute is outside"
        );
        assert!(!wt.is_working(DayKind::NonWorkday, 9 * 60 + 59));
        assert!(wt.is_working(DayKind::NonWorkday, 15 * 60 + 59));
    }

    // R-BASIC-5
    #[test]
    fn locates_violations_in_both_lists() {
        let draft: WorkTimeDraft = serde_json::from_value(serde_json::json!({
            "workday": [{"start": "08:00", "end": "18:00"}, {"start": "17:00", "end": "20:00"}],
            "nonWorkday": []
        }))
        .unwrap();
        let err = WorkTime::parse(Some(&draft)).unwrap_err();
        let pointers: Vec<_> = err.iter().map(|v| v.pointer.as_str()).collect();
        assert_eq!(pointers, ["/workday/1", "/nonWorkday"]);
    }

    fn work_time(workday: &[(&str, &str)], non_workday: &[(&str, &str)]) -> WorkTime {
        let list = |segments: &[(&str, &str)]| {
            segments
                .iter()
                .map(|(start, end)| serde_json::json!({"start": start, "end": end}))
                .collect::<Vec<_>>()
        };
        let draft: WorkTimeDraft = serde_json::from_value(serde_json::json!({
            "workday": list(workday),
            "nonWorkday": list(non_workday)
        }))
        .unwrap();
        WorkTime::parse(Some(&draft)).unwrap()
    }

    fn instant(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
    }

    fn date(raw: &str) -> NaiveDate {
        raw.parse().unwrap()
    }

    fn no_calendar(_: NaiveDate) -> bool {
        false
    }

    /// The local time and whether agents work, on a day the calendar does not list.
    fn in_paris(wt: &WorkTime, at: &str) -> (String, bool) {
        let status = status_at(wt, chrono_tz::Europe::Paris, instant(at), no_calendar);
        (status.local_time.to_string(), status.working)
    }

    // R-BASIC-5, R-TENANT-5
    #[test]
    fn works_from_the_start_minute_of_a_segment_until_before_its_end() {
        let wt = work_time(&[("08:00", "18:00")], &[("10:00", "16:00")]);
        // Paris is UTC+1 in January.
        let cases = [
            ("2026-01-14T06:59:59Z", "07:59", false),
            ("2026-01-14T07:00:00Z", "08:00", true),
            ("2026-01-14T16:59:59Z", "17:59", true),
            ("2026-01-14T17:00:00Z", "18:00", false),
        ];
        for (at, local_time, working) in cases {
            assert_eq!(in_paris(&wt, at), (local_time.to_owned(), working), "{at}");
        }
    }

    // R-TENANT-5
    #[test]
    fn a_date_the_calendar_lists_is_a_non_workday_in_the_tenants_zone() {
        let wt = work_time(&[("08:00", "18:00")], &[("00:00", "01:00")]);
        // 23:30 on the 24th in UTC is already the 25th in Paris: the calendar is asked
        // about the local date.
        let mut asked = None;
        let status = status_at(
            &wt,
            chrono_tz::Europe::Paris,
            instant("2026-12-24T23:30:00Z"),
            |day| {
                asked = Some(day);
                day == date("2026-12-25")
            },
        );
        assert_eq!(asked, Some(date("2026-12-25")));
        assert_eq!(
            status,
            WorkTimeStatus {
                local_date: date("2026-12-25"),
                local_time: ClockTime::parse("00:30").unwrap(),
                day_kind: DayKind::NonWorkday,
                working: true,
            }
        );
        let unlisted = status_at(
            &wt,
            chrono_tz::Europe::Paris,
            instant("2026-12-24T23:30:00Z"),
            no_calendar,
        );
        assert_eq!(unlisted.day_kind, DayKind::Workday);
        assert!(!unlisted.working, "00:30 is outside the workday's segment");
    }

    // R-BASIC-5, R-TENANT-5
    #[test]
    fn follows_the_clock_of_paris_when_summer_time_starts() {
        // On 2026-03-29 Paris moves from 02:00 CET straight to 03:00 CEST (01:00 UTC):
        // 02:00 to 03:00 does not happen that day.
        let wt = work_time(
            &[("02:00", "03:00"), ("03:00", "03:30")],
            &[("00:00", "24:00")],
        );
        let cases = [
            ("2026-03-29T00:59:00Z", "01:59", false),
            ("2026-03-29T01:00:00Z", "03:00", true),
            ("2026-03-29T01:29:00Z", "03:29", true),
            ("2026-03-29T01:30:00Z", "03:30", false),
        ];
        for (at, local_time, working) in cases {
            assert_eq!(in_paris(&wt, at), (local_time.to_owned(), working), "{at}");
        }
    }

    // R-BASIC-5, R-TENANT-5
    #[test]
    fn follows_the_clock_of_paris_when_summer_time_ends() {
        // On 2026-10-25 Paris goes back from 03:00 CEST to 02:00 CET (01:00 UTC): the hour
        // from 02:00 happens twice, and agents work in both.
        let wt = work_time(&[("02:00", "03:00")], &[("00:00", "24:00")]);
        let cases = [
            ("2026-10-24T23:59:00Z", "01:59", false),
            ("2026-10-25T00:00:00Z", "02:00", true),
            ("2026-10-25T00:59:00Z", "02:59", true),
            ("2026-10-25T01:00:00Z", "02:00", true),
            ("2026-10-25T01:59:00Z", "02:59", true),
            ("2026-10-25T02:00:00Z", "03:00", false),
        ];
        for (at, local_time, working) in cases {
            assert_eq!(in_paris(&wt, at), (local_time.to_owned(), working), "{at}");
        }
    }

    fn closing(wt: &WorkTime, at: &str, holidays: &[&str]) -> Option<DateTime<Utc>> {
        let holidays: Vec<NaiveDate> = holidays.iter().map(|d| date(d)).collect();
        closed_since(wt, chrono_tz::Europe::Paris, instant(at), |d| {
            holidays.contains(&d)
        })
    }

    // R-BASIC-6 with R-BASIC-5
    #[test]
    fn a_closed_period_begins_at_the_end_of_the_last_segment() {
        let wt = work_time(&[("08:00", "18:00")], &[("10:00", "16:00")]);
        // Paris is UTC+1 in January: 18:00 there is 17:00 UTC.
        assert_eq!(
            closing(&wt, "2027-01-13T16:59:00Z", &[]),
            None,
            "still working"
        );
        assert_eq!(
            closing(&wt, "2027-01-13T17:00:00Z", &[]),
            Some(instant("2027-01-13T17:00:00Z"))
        );
        // The next morning before 08:00 is the same closed period.
        assert_eq!(
            closing(&wt, "2027-01-14T06:59:00Z", &[]),
            Some(instant("2027-01-13T17:00:00Z"))
        );
        assert_eq!(closing(&wt, "2027-01-14T07:00:00Z", &[]), None);
    }

    // R-BASIC-5: touching segments are one stretch of work.
    #[test]
    fn touching_segments_close_once_at_the_end_of_the_last() {
        let wt = work_time(
            &[("08:00", "12:00"), ("12:00", "13:00")],
            &[("10:00", "16:00")],
        );
        assert_eq!(
            closing(&wt, "2027-01-13T13:30:00Z", &[]),
            Some(instant("2027-01-13T12:00:00Z"))
        );
    }

    // R-TENANT-5: a listed day closes by the non-workday list, and the day before by the
    // workday one.
    #[test]
    fn a_listed_day_closes_by_the_non_workday_segments() {
        let wt = work_time(&[("08:00", "18:00")], &[("10:00", "16:00")]);
        let holiday = ["2027-01-14"];
        // 09:00 on the holiday: closed since 18:00 the day before.
        assert_eq!(
            closing(&wt, "2027-01-14T08:00:00Z", &holiday),
            Some(instant("2027-01-13T17:00:00Z"))
        );
        assert_eq!(closing(&wt, "2027-01-14T09:00:00Z", &holiday), None);
        // 16:00 on the holiday: a new closed period.
        assert_eq!(
            closing(&wt, "2027-01-14T15:00:00Z", &holiday),
            Some(instant("2027-01-14T15:00:00Z"))
        );
    }

    // R-BASIC-5, R-TENANT-5: 2027-03-28, Paris skips 02:00-03:00 (01:00 UTC).
    #[test]
    fn an_end_in_the_skipped_hour_closes_when_the_clock_jumps() {
        let wt = work_time(
            &[("01:00", "02:30"), ("08:00", "18:00")],
            &[("00:00", "24:00")],
        );
        assert_eq!(
            closing(&wt, "2027-03-28T02:00:00Z", &[]),
            Some(instant("2027-03-28T01:00:00Z")),
            "02:30 never happens: work stops at 03:00 CEST"
        );
        // The evening before, in winter time, and the morning after, in summer time.
        let wt = work_time(&[("08:00", "18:00")], &[("00:00", "24:00")]);
        assert_eq!(
            closing(&wt, "2027-03-28T05:59:00Z", &[]),
            Some(instant("2027-03-27T17:00:00Z"))
        );
        assert_eq!(
            closing(&wt, "2027-03-28T06:00:00Z", &[]),
            None,
            "08:00 CEST"
        );
        assert_eq!(
            closing(&wt, "2027-03-28T16:00:00Z", &[]),
            Some(instant("2027-03-28T16:00:00Z")),
            "18:00 CEST"
        );
    }

    // R-BASIC-5, R-TENANT-5: 2027-10-31, Paris repeats 02:00-03:00 (00:00-02:00 UTC).
    #[test]
    fn an_end_in_the_repeated_hour_closes_twice() {
        let wt = work_time(&[("02:00", "02:30")], &[("00:00", "24:00")]);
        assert_eq!(
            closing(&wt, "2027-10-31T00:45:00Z", &[]),
            Some(instant("2027-10-31T00:30:00Z")),
            "02:45 CEST"
        );
        assert_eq!(closing(&wt, "2027-10-31T01:10:00Z", &[]), None, "02:10 CET");
        assert_eq!(
            closing(&wt, "2027-10-31T02:00:00Z", &[]),
            Some(instant("2027-10-31T01:30:00Z")),
            "03:00 CET: the second 02:30 closed it"
        );
    }

    // R-BASIC-5
    #[test]
    fn only_lists_that_cover_every_minute_are_always_working() {
        assert!(WorkTime::default().always_working());
        let touching = work_time(
            &[("00:00", "12:00"), ("12:00", "24:00")],
            &[("00:00", "24:00")],
        );
        assert!(touching.always_working());
        let short = work_time(&[("00:00", "24:00")], &[("00:00", "23:59")]);
        assert!(!short.always_working());
    }

    // R-BASIC-5: a segment ending at 24:00 closes at the next midnight.
    #[test]
    fn a_segment_to_midnight_closes_the_next_day() {
        let wt = work_time(&[("20:00", "24:00")], &[("00:00", "24:00")]);
        assert_eq!(
            closing(&wt, "2027-01-14T05:00:00Z", &[]),
            Some(instant("2027-01-13T23:00:00Z"))
        );
    }
}
