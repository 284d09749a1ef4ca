//! A time of day written `HH:MM`, from 00:00 to 24:00 (R-BASIC-5).

use std::fmt;

use chrono::{NaiveTime, Timelike};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::violation::{Violation, Violations};

/// Minutes since midnight, 0 (`00:00`) to 1440 (`24:00`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$", example = "08:00")]
pub struct ClockTime(u16);

impl ClockTime {
    /// `00:00`.
    pub const MIDNIGHT: Self = Self(0);
    /// `24:00`: the end of the day, only meaningful as the end of a segment.
    pub const END_OF_DAY: Self = Self(24 * 60);

    /// Parses `HH:MM` (two digits each), 00:00 to 24:00.
    pub fn parse(raw: &str) -> Result<Self, Vec<Violation>> {
        let bytes = raw.as_bytes();
        let well_formed = bytes.len() == 5
            && bytes[2] == b':'
            && [0, 1, 3, 4].iter().all(|&i| bytes[i].is_ascii_digit());
        if !well_formed {
            return Err(vec![Violation::new(
                "",
                "invalid_format",
                "must be a time written HH:MM, e.g. 08:30",
            )]);
        }
        let digit = |i: usize| u16::from(bytes[i] - b'0');
        let hours = digit(0) * 10 + digit(1);
        let minutes = digit(3) * 10 + digit(4);
        if minutes > 59 || hours > 24 || (hours == 24 && minutes != 0) {
            return Err(vec![Violation::new(
                "",
                "out_of_range",
                "must be between 00:00 and 24:00",
            )]);
        }
        Ok(Self(hours * 60 + minutes))
    }

    /// Minutes since midnight.
    pub fn minutes(self) -> u16 {
        self.0
    }

    /// The minute of the day a wall-clock time falls in; its seconds do not count.
    pub(crate) fn of_day(time: NaiveTime) -> Self {
        // hour() < 24 and minute() < 60: at most 23:59, which a u16 holds.
        Self((time.hour() * 60 + time.minute()) as u16)
    }

    /// From minutes since midnight, if at most 24:00.
    pub fn from_minutes(minutes: u16) -> Option<Self> {
        (minutes <= Self::END_OF_DAY.0).then_some(Self(minutes))
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl TryFrom<String> for ClockTime {
    type Error = Violations;
    fn try_from(raw: String) -> Result<Self, Violations> {
        Self::parse(&raw).map_err(Violations)
    }
}

impl From<ClockTime> for String {
    fn from(time: ClockTime) -> String {
        time.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str) -> String {
        ClockTime::parse(raw).unwrap_err()[0].code.clone()
    }

    // R-BASIC-5
    #[test]
    fn reads_and_writes_hh_mm() {
        for raw in ["00:00", "08:05", "23:59", "24:00"] {
            assert_eq!(ClockTime::parse(raw).unwrap().to_string(), raw);
        }
    }

    // R-BASIC-5
    #[test]
    fn refuses_times_not_written_hh_mm() {
        for raw in [
            "8:00", "08:0", "0800", "08.00", "08:00:00", "", "ab:cd", "+8:00",
        ] {
            assert_eq!(code(raw), "invalid_format", "{raw}");
        }
    }

    // R-BASIC-5
    #[test]
    fn refuses_times_after_24_00() {
        for raw in ["24:01", "25:00", "12:60", "99:99"] {
            assert_eq!(code(raw), "out_of_range", "{raw}");
        }
    }
}
