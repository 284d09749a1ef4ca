//! Agent work time (R-BASIC-5): the segments of workdays and of non-workdays.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
}
