//! `POST /2/webhooks/replay`: asks X to deliver again, through the webhook, the events of a
//! time range (Enterprise). App-only bearer token; `from_date` and `to_date` in UTC as
//! `yyyymmddhhmm`, minutes, `from_date` inclusive and `to_date` exclusive; one job per
//! webhook at a time. X answers the job's id and delivers the events asynchronously,
//! oldest first, then a `replay_job_status` delivery when the job is done
//! ([`crate::webhook::ReplayJobStatus`]).

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::transport::{Body, Credential};
use super::{BearerToken, XClient, XError, XResponse};

/// A replay job X accepted.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ReplayJob {
    pub job_id: String,
    #[serde(default)]
    pub created_at: Option<String>,
}

/// X's reference shows the answer bare; its other webhook answers come in `data` too.
#[derive(Deserialize)]
#[serde(untagged)]
enum Answer {
    Data { data: ReplayJob },
    Bare(ReplayJob),
}

/// A minute as X's replay takes it: `yyyymmddhhmm`, UTC.
pub fn replay_minute(at: std::time::SystemTime) -> String {
    let secs = at
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// Days since 1970-01-01 to a calendar date (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl XClient {
    /// `POST /2/webhooks/replay` for the minutes `from_date` (inclusive) to `to_date`
    /// (exclusive), both `yyyymmddhhmm` ([`replay_minute`]). A job still running for the
    /// webhook is refused by X (409).
    pub async fn create_replay_job(
        &self,
        bearer: &BearerToken,
        webhook_id: &str,
        from_date: &str,
        to_date: &str,
    ) -> Result<XResponse<ReplayJob>, XError> {
        let body = json!({"webhook_id": webhook_id, "from_date": from_date, "to_date": to_date});
        let answer: XResponse<Answer> = self
            .call(
                Method::POST,
                "/2/webhooks/replay",
                &[],
                Body::Json(body),
                Credential::Bearer(bearer),
            )
            .await?;
        Ok(answer.map(|a| match a {
            Answer::Data { data } | Answer::Bare(data) => data,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn a_replay_minute_is_yyyymmddhhmm_in_utc() {
        // 2025-04-24T20:57:15Z
        let at = UNIX_EPOCH + Duration::from_secs(1_745_528_235);
        assert_eq!(replay_minute(at), "202504242057");
        assert_eq!(replay_minute(UNIX_EPOCH), "197001010000");
    }

    #[test]
    fn a_replay_answer_is_read_bare_or_in_data() {
        for json in [
            r#"{"created_at": "2025-04-24T20:57:15.242Z", "job_id": "1915510368169844736"}"#,
            r#"{"data": {"created_at": "2025-04-24T20:57:15.242Z", "job_id": "1915510368169844736"}}"#,
        ] {
            let (Answer::Data { data: job } | Answer::Bare(job)) =
                serde_json::from_str(json).unwrap();
            assert_eq!(job.job_id, "1915510368169844736", "{json}");
        }
    }
}
