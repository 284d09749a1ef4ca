//! Whole numbers within a range, read from JSON numbers (`3` and `3.0` alike).

use serde_json::Number;

use crate::violation::Violation;

/// The number as an `i64` when it is whole and within `min..=max`.
pub(crate) fn whole_in(n: &Number, min: i64, max: i64) -> Result<i64, Vec<Violation>> {
    let value = if let Some(i) = n.as_i64() {
        Some(i)
    } else if n.as_u64().is_some() {
        Some(i64::MAX)
    } else {
        n.as_f64()
            .filter(|f| f.fract() == 0.0)
            .map(|f| f.clamp(i64::MIN as f64, i64::MAX as f64) as i64)
    };
    match value {
        None => Err(vec![Violation::new(
            "",
            "invalid_type",
            "must be a whole number",
        )]),
        Some(v) if v < min || v > max => Err(vec![Violation::new(
            "",
            "out_of_range",
            format!("must be between {min} and {max}"),
        )]),
        Some(v) => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(v: serde_json::Value) -> Number {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn accepts_whole_numbers_written_as_floats() {
        assert_eq!(whole_in(&n(serde_json::json!(3.0)), 0, 5).unwrap(), 3);
    }

    #[test]
    fn refuses_fractions_and_values_out_of_range() {
        assert_eq!(
            whole_in(&n(serde_json::json!(1.5)), 0, 5).unwrap_err()[0].code,
            "invalid_type"
        );
        assert_eq!(
            whole_in(&n(serde_json::json!(-1)), 0, 5).unwrap_err()[0].code,
            "out_of_range"
        );
        assert_eq!(
            whole_in(&n(serde_json::json!(u64::MAX)), 0, 5).unwrap_err()[0].code,
            "out_of_range"
        );
        assert_eq!(
            whole_in(&n(serde_json::json!(1e300)), 0, 5).unwrap_err()[0].code,
            "out_of_range"
        );
    }
}
