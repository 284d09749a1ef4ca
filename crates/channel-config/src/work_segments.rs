//! Agent work time segments of one kind of day (R-BASIC-5): 1 to 4, ordered, never overlapping.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::clock_time::ClockTime;
use crate::violation::{Collector, Violation, Violations};

/// Most segments in one list (R-BASIC-5).
pub const MAX_SEGMENTS: usize = 4;

/// A segment as written in a request: two `HH:MM` texts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkSegmentDraft {
    /// Start, `HH:MM`, from 00:00 to 23:59.
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "08:00")]
    pub start: String,
    /// End, `HH:MM`, after the start, at most 24:00.
    #[schema(
        pattern = r"^(00:(0[1-9]|[1-5][0-9])|(0[1-9]|1[0-9]|2[0-3]):[0-5][0-9]|24:00)$",
        example = "18:00"
    )]
    pub end: String,
}

/// A half-open span of the day, `[start, end)`, with start before end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(try_from = "WorkSegmentDraft")]
pub struct WorkSegment {
    start: ClockTime,
    end: ClockTime,
}

impl WorkSegment {
    /// The whole day, 00:00 to 24:00.
    pub const WHOLE_DAY: Self = Self {
        start: ClockTime::MIDNIGHT,
        end: ClockTime::END_OF_DAY,
    };

    /// Parses a segment; pointers are `/start` and `/end`.
    pub fn parse(draft: &WorkSegmentDraft) -> Result<Self, Vec<Violation>> {
        let mut c = Collector::default();
        let start = c.take("/start", ClockTime::parse(&draft.start));
        let end = c.take("/end", ClockTime::parse(&draft.end));
        if start == Some(ClockTime::END_OF_DAY) {
            c.push(Violation::new(
                "/start",
                "out_of_range",
                "24:00 can only end a segment",
            ));
        } else if let (Some(start), Some(end)) = (start, end) {
            if start >= end {
                c.push(Violation::new(
                    "/end",
                    "end_not_after_start",
                    format!("must be later than the start {start}"),
                ));
            }
        }
        c.finish()?;
        match (start, end) {
            (Some(start), Some(end)) => Ok(Self { start, end }),
            _ => unreachable!("a missing time was recorded as a violation"),
        }
    }

    /// Start of the segment.
    pub fn start(&self) -> ClockTime {
        self.start
    }

    /// End of the segment (exclusive).
    pub fn end(&self) -> ClockTime {
        self.end
    }

    /// Whether the two share at least one minute; touching (`a.end == b.start`) is fine.
    pub fn overlaps(&self, other: &Self) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// Whether `minute` (since midnight) falls in the segment.
    pub fn contains(&self, minute: u16) -> bool {
        self.start.minutes() <= minute && minute < self.end.minutes()
    }
}

impl TryFrom<WorkSegmentDraft> for WorkSegment {
    type Error = Violations;
    fn try_from(draft: WorkSegmentDraft) -> Result<Self, Violations> {
        Self::parse(&draft).map_err(Violations)
    }
}

impl From<WorkSegment> for WorkSegmentDraft {
    fn from(segment: WorkSegment) -> Self {
        Self {
            start: segment.start.to_string(),
            end: segment.end.to_string(),
        }
    }
}

impl Serialize for WorkSegment {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WorkSegmentDraft::from(*self).serialize(serializer)
    }
}

/// 1 to 4 segments that do not overlap, kept in the order given (R-BASIC-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "Vec<WorkSegmentDraft>", into = "Vec<WorkSegment>")]
#[schema(value_type = Vec<WorkSegmentDraft>)]
pub struct WorkSegments(Vec<WorkSegment>);

impl WorkSegments {
    /// Parses a list; pointers are `/{index}/start`, `/{index}/end`, `/{index}` for an
    /// overlap (the later segment), and `` for the count.
    pub fn parse(drafts: &[WorkSegmentDraft]) -> Result<Self, Vec<Violation>> {
        if drafts.len() > MAX_SEGMENTS {
            // One violation for the list; its items are not looked at (and the overlap
            // check below stays among at most four).
            return Err(vec![too_many()]);
        }
        let mut c = Collector::default();
        if drafts.is_empty() {
            c.push(Violation::new("", "required", "needs at least one segment"));
        }
        let parsed: Vec<Option<WorkSegment>> = drafts
            .iter()
            .enumerate()
            .map(|(i, d)| c.take(&format!("/{i}"), WorkSegment::parse(d)))
            .collect();
        for (j, later) in parsed.iter().enumerate() {
            let Some(later) = later else { continue };
            let earlier = parsed[..j]
                .iter()
                .enumerate()
                .find_map(|(i, s)| s.filter(|s| s.overlaps(later)).map(|s| (i, s)));
            if let Some((i, s)) = earlier {
                c.push(Violation::new(
                    format!("/{j}"),
                    "overlapping_segments",
                    format!("overlaps segment {i} ({}-{})", s.start, s.end),
                ));
            }
        }
        c.finish()?;
        Ok(Self(parsed.into_iter().flatten().collect()))
    }

    /// One segment covering the whole day: what a new channel starts with.
    pub fn whole_day() -> Self {
        Self(vec![WorkSegment::WHOLE_DAY])
    }

    /// The segments in the order given.
    pub fn segments(&self) -> &[WorkSegment] {
        &self.0
    }

    /// Whether `minute` (since midnight) falls in some segment.
    pub fn contains(&self, minute: u16) -> bool {
        self.0.iter().any(|s| s.contains(minute))
    }
}

/// The one violation of a list over the limit.
pub(crate) fn too_many() -> Violation {
    Violation::new(
        "",
        "too_many",
        format!("may hold at most {MAX_SEGMENTS} segments"),
    )
}

impl TryFrom<Vec<WorkSegmentDraft>> for WorkSegments {
    type Error = Violations;
    fn try_from(drafts: Vec<WorkSegmentDraft>) -> Result<Self, Violations> {
        Self::parse(&drafts).map_err(Violations)
    }
}

impl From<WorkSegments> for Vec<WorkSegment> {
    fn from(list: WorkSegments) -> Self {
        list.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seg(start: &str, end: &str) -> WorkSegmentDraft {
        WorkSegmentDraft {
            start: start.to_owned(),
            end: end.to_owned(),
        }
    }

    fn pointers_and_codes(drafts: &[WorkSegmentDraft]) -> Vec<(String, String)> {
        WorkSegments::parse(drafts)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|v| (v.pointer, v.code))
            .collect()
    }

    // R-BASIC-5
    #[test]
    fn accepts_touching_segments_and_the_whole_day() {
        assert!(WorkSegments::parse(&[seg("08:00", "12:00"), seg("12:00", "18:00")]).is_ok());
        assert!(WorkSegments::parse(&[seg("00:00", "24:00")]).is_ok());
    }

    // R-BASIC-5
    #[test]
    fn refuses_overlapping_segments_at_the_later_one() {
        assert_eq!(
            pointers_and_codes(&[seg("08:00", "12:00"), seg("11:59", "18:00")]),
            [("/1".to_owned(), "overlapping_segments".to_owned())]
        );
    }

    // R-BASIC-5
    #[test]
    fn refuses_a_segment_that_ends_before_it_starts() {
        assert_eq!(
            pointers_and_codes(&[seg("18:00", "08:00")]),
            [("/0/end".to_owned(), "end_not_after_start".to_owned())]
        );
        assert_eq!(
            pointers_and_codes(&[seg("08:00", "08:00")]),
            [("/0/end".to_owned(), "end_not_after_start".to_owned())]
        );
    }

    // R-BASIC-5
    #[test]
    fn refuses_24_00_as_a_start() {
        assert_eq!(
            pointers_and_codes(&[seg("24:00", "24:00")]),
            [("/0/start".to_owned(), "out_of_range".to_owned())]
        );
    }

    // R-BASIC-5
    #[test]
    fn refuses_an_empty_list_and_a_list_of_five() {
        assert_eq!(pointers_and_codes(&[])[0].1, "required");
        let five: Vec<_> = (0..5)
            .map(|h| seg(&format!("0{h}:00"), &format!("0{h}:30")))
            .collect();
        assert_eq!(
            pointers_and_codes(&five),
            [(String::new(), "too_many".to_owned())]
        );
    }

    // R-BASIC-5
    #[test]
    fn a_list_over_the_limit_is_one_violation_however_long() {
        let flood: Vec<_> = (0..30_000).map(|_| seg("25:00", "08:00")).collect();
        let started = std::time::Instant::now();
        assert_eq!(
            pointers_and_codes(&flood),
            [(String::new(), "too_many".to_owned())]
        );
        assert!(started.elapsed() < std::time::Duration::from_millis(200));
    }

    #[test]
    fn reports_a_bad_time_in_every_segment() {
        let found = pointers_and_codes(&[seg("8:00", "12:00"), seg("13:00", "25:00")]);
        assert_eq!(
            found,
            [
                ("/0/start".to_owned(), "invalid_format".to_owned()),
                ("/1/end".to_owned(), "out_of_range".to_owned()),
            ]
        );
    }

    fn any_segment() -> impl Strategy<Value = WorkSegmentDraft> {
        (0u16..1440, 1u16..=1440).prop_filter_map("start before end", |(a, b)| {
            (a < b).then(|| {
                let t = |m: u16| ClockTime::from_minutes(m).unwrap().to_string();
                seg(&t(a), &t(b))
            })
        })
    }

    proptest! {
        // R-BASIC-5: a list is accepted exactly when no minute of the day is covered twice.
        #[test]
        fn overlap_agrees_with_a_minute_grid(drafts in prop::collection::vec(any_segment(), 1..=4)) {
            let mut grid = [0u8; 1440];
            for d in &drafts {
                let s = WorkSegment::parse(d).unwrap();
                for m in s.start().minutes()..s.end().minutes() {
                    grid[usize::from(m)] += 1;
                }
            }
            let disjoint = grid.iter().all(|&n| n <= 1);
            prop_assert_eq!(WorkSegments::parse(&drafts).is_ok(), disjoint);
        }
    }
}
