//! Agent work time (R-BASIC-5): the segments of workdays and of non-workdays, and whether
//! agents work at a given instant in the tenant's time zone (R-TENANT-5).

use chrono::{DateTime, NaiveDate, Utc};
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
}
