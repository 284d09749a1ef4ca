//! The time the channel's settings are judged by: work time, reminders, timeouts, the send
//! budget. In service it is the system clock; a test holds an adjustable one and moves it
//! (`advance`, `set`) instead of sleeping for real minutes. Every instance built from the
//! same settings shares the one clock.

use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

use chrono::{DateTime, Utc};

/// The system clock, or one a test moves: real time plus an offset the test sets.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Milliseconds added to real time; `None`: the system clock.
    offset_ms: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Self {
        Self { offset_ms: None }
    }

    /// A clock that starts at real time and moves when told (and with real time between).
    pub fn adjustable() -> Self {
        Self {
            offset_ms: Some(Arc::new(AtomicI64::new(0))),
        }
    }

    /// Now, to the microsecond (what PostgreSQL keeps, so reads equal writes).
    pub fn now(&self) -> DateTime<Utc> {
        let real = crate::store::now();
        match &self.offset_ms {
            None => real,
            Some(offset) => real + chrono::Duration::milliseconds(offset.load(Ordering::SeqCst)),
        }
    }

    pub fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }

    /// Moves an adjustable clock forward by `by`.
    ///
    /// # Panics
    /// On the system clock, which nobody moves.
    pub fn advance(&self, by: std::time::Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset().fetch_add(by, Ordering::SeqCst);
    }

    /// Sets an adjustable clock to `at` (from then on it runs with real time).
    ///
    /// # Panics
    /// On the system clock.
    pub fn set(&self, at: DateTime<Utc>) {
        let offset = (at - crate::store::now()).num_milliseconds();
        self.offset().store(offset, Ordering::SeqCst);
    }

    fn offset(&self) -> &AtomicI64 {
        self.offset_ms
            .as_deref()
            .expect("only an adjustable clock is moved")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_adjustable_clock_moves_when_told_and_the_system_clock_does_not_drift() {
        let clock = Clock::adjustable();
        let before = clock.now();
        clock.advance(std::time::Duration::from_secs(600));
        let moved = clock.now() - before;
        assert!(moved >= chrono::Duration::seconds(600), "{moved}");
        assert!(moved < chrono::Duration::seconds(601), "{moved}");
        let at = DateTime::parse_from_rfc3339("2027-03-28T00:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        clock.set(at);
        assert!((clock.now() - at).num_milliseconds().abs() < 1000);
        let system = Clock::system();
        assert!((system.now() - Utc::now()).num_milliseconds().abs() < 1000);
    }
}
