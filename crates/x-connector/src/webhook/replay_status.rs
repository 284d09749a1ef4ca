//! The delivery that ends a replay job: after the last replayed event X posts
//! `{"replay_job_status": {"webhook_id", "job_state", "job_state_description", "job_id"}}`
//! to the webhook, signed like every delivery. It has no `for_user_id`, so it is read only
//! when a body is not an Account Activity delivery (the hot path never parses it).

use serde::Deserialize;

/// How a replay job ended.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ReplayJobStatus {
    pub webhook_id: String,
    pub job_id: String,
    /// `Complete` when every event was delivered.
    pub job_state: String,
    #[serde(default)]
    pub job_state_description: Option<String>,
}

#[derive(Deserialize)]
struct Body {
    replay_job_status: ReplayJobStatus,
}

impl ReplayJobStatus {
    /// The status a body carries, or `None` when it is not a replay job's end.
    pub fn parse(body: &[u8]) -> Option<Self> {
        serde_json::from_slice::<Body>(body)
            .ok()
            .map(|b| b.replay_job_status)
    }

    /// Whether X delivered every event of the job.
    pub fn is_complete(&self) -> bool {
        self.job_state.eq_ignore_ascii_case("complete")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_end_of_a_replay_job_and_nothing_else() {
        let done = ReplayJobStatus::parse(
            br#"{"replay_job_status": {"webhook_id": "1234577122340233217", "job_state": "Complete",
                "job_state_description": "Job completed successfully", "job_id": "1095098195724091393"}}"#,
        )
        .unwrap();
        assert_eq!(done.job_id, "1095098195724091393");
        assert!(done.is_complete());
        assert!(ReplayJobStatus::parse(br#"{"for_user_id": "1"}"#).is_none());
        assert!(ReplayJobStatus::parse(b"not json").is_none());
    }
}
