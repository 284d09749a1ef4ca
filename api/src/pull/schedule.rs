//! How long a failing pull waits: exponential in the failures in a row, from two
//! intervals, capped at ten (issue 15), so a channel whose X keeps failing is asked at
//! most every ten minutes at the default interval, and one good answer resets it.

/// The wait after the `failures`-th failure in a row (1 and up).
pub fn back_off(interval: chrono::Duration, failures: i32) -> chrono::Duration {
    let factor = 1i32 << failures.clamp(1, 4);
    (interval * factor).min(interval * 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_pull_backs_off_exponentially_up_to_ten_intervals() {
        let minute = chrono::Duration::seconds(60);
        let waits: Vec<i64> = (1..=6).map(|n| back_off(minute, n).num_seconds()).collect();
        assert_eq!(waits, [120, 240, 480, 600, 600, 600]);
    }
}
