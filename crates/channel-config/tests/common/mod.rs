//! The bodies the integration tests of this crate start from.

use serde_json::Value;

/// The example channel, every field set, as a client sends it.
pub fn full_body() -> Value {
    serde_json::json!({
        "name": "x_support_en", "type": "x",
        "x": { "apiKey": "key-12345678", "apiKeySecret": "secretABCDEFGH",
               "accessToken": "370773112-token", "accessTokenSecret": "tokensecretWXYZ",
               "accountLevel": "enterprise", "signatureAlgorithm": "SHA-256" },
        "ouId": "ou-1", "skillQueueId": "q-1", "transferKeywords": ["agent"],
        "workTime": { "workday": [{"start": "08:00", "end": "18:00"}],
                      "nonWorkday": [{"start": "10:00", "end": "16:00"}] },
        "nonWorkingTimeNotification": "We are closed now.",
        "queueReminder": { "mode": "all", "content": "Please wait.",
                           "progressContent": "You are number ${position}" },
        "callTransferInteractionTimes": 3,
        "more": { "lastAgentMode": {"enabled": true, "validHours": 24},
                  "noCustomerReplyEnd": {"enabled": true, "timeoutSeconds": 600, "reminderSeconds": 300,
                                         "reminderText": "Are you still there?", "endText": "Session ended."},
                  "noAgentReplyTransfer": {"enabled": false, "timeoutSeconds": null, "targetSkillQueueId": null},
                  "sessionTransfer": {"enabled": true, "allowedTargets": ["agent", "skillQueue"]} },
        "robot": { "intelligentRobot": {"enabled": true, "robotId": "bot-1"},
                   "robotAssistant": {"enabled": false} }
    })
}
