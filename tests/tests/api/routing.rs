//! The hand-over rules of the channel's settings (issue 19), through the HTTP API against
//! the fake X: a conversation opens with the robot or in the queue (R-ROBOT-1, -2); a
//! transfer keyword moves it from the robot to the queue (R-BASIC-4); a transfer waits
//! for the agent's messages (R-BASIC-10) and goes only where `sessionTransfer` allows
//! (R-BASIC-11); a returning customer's conversation names the last agent within
//! `lastAgentMode`'s hours (R-BASIC-11). Every edit of the settings applies to the next
//! message or request.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use xchannel::automation::Reason;
use xchannel_tests::fake_x::direct_message_delivery;

use crate::automation::{decide, settled};
use crate::helpers::{spawn_instance, Answer, TestApp};
use crate::world::{event_id, now_ms, world, Channel, World, ACCOUNT, CUSTOMER};

/// Applies the merge patch `patch` to the channel's settings.
async fn edit(w: &World, channel: &Channel, patch: Value) {
    let path = format!("/api/v1/channels/{}", channel.id);
    let read = w.app.get(&path, &w.tenant.admin_token).await;
    let etag = read.etag();
    let headers = [
        ("content-type", "application/merge-patch+json"),
        ("if-match", etag.as_str()),
    ];
    let edited = w
        .app
        .call_with(
            Method::PATCH,
            &path,
            &w.tenant.admin_token,
            Some(&patch),
            &headers,
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text);
}

/// The open conversation of `customer` on the channel.
async fn open_of(w: &World, channel: &Channel, customer: &str) -> Value {
    let list = w
        .app
        .get(
            &format!("/api/v1/conversations?channelId={}", channel.id),
            &w.tenant.admin_token,
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    let open: Vec<&Value> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["state"] != "ended" && c["customer"]["id"] == customer)
        .collect();
    assert_eq!(open.len(), 1, "{}", list.text);
    open[0].clone()
}

/// `customer` writes `text`; their open conversation afterwards.
async fn writes(w: &World, channel: &Channel, customer: &str, text: &str) -> Value {
    w.customer_writes(channel, customer, text).await;
    open_of(w, channel, customer).await
}

fn id_of(conversation: &Value) -> String {
    conversation["id"].as_str().unwrap().to_owned()
}

async fn read(w: &World, id: &str) -> Value {
    let answer = w
        .app
        .get(
            &format!("/api/v1/conversations/{id}"),
            &w.tenant.admin_token,
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body
}

async fn transfer(w: &World, token: &str, id: &str, kind: &str, target: &str) -> Answer {
    w.act(
        token,
        id,
        "transfer",
        Some(&json!({"target": {"type": kind, "id": target}})),
    )
    .await
}

async fn assign(w: &World, id: &str, agent: &str) {
    let assigned = w
        .admin_act(id, "assign", Some(&json!({ "agentId": agent })))
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    assert_eq!(assigned.body["agentMessages"], 0);
}

async fn reply(w: &World, token: &str, id: &str, text: &str) -> Value {
    let sent = w.reply(token, id, text, None).await;
    assert_eq!(sent.status, 201, "{}", sent.text);
    sent.body
}

/// The events of `kinds` the channel's stream holds, from its first, as
/// `(event, conversation id)`.
async fn events(w: &World, channel: &Channel, kinds: &str) -> Vec<(String, String)> {
    let mut response = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/events?channelId={}&type={kinds}&lastEventId=0",
            w.app.base, channel.id
        ))
        .bearer_auth(&w.tenant.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut text = String::new();
    // The stored events come at once; the stream then waits for new ones (3 s of quiet
    // ends the read, however loaded the machine).
    while let Ok(Some(chunk)) = tokio::time::timeout(Duration::from_secs(3), response.chunk())
        .await
        .map(|c| c.unwrap())
    {
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    text.split("\n\n")
        .filter_map(|block| {
            let event = block.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = block.lines().find_map(|l| l.strip_prefix("data: "))?;
            let data: Value = serde_json::from_str(data).unwrap();
            Some((event.to_owned(), data["data"]["id"].as_str()?.to_owned()))
        })
        .collect()
}

// R-ROBOT-1, R-ROBOT-2
#[actix_web::test]
async fn a_conversation_opens_with_the_robot_when_it_is_on_and_in_the_queue_when_off() {
    let w = world().await;
    let robot = w.channel("x_robot_on", true).await;
    edit(
        &w,
        &robot,
        json!({"robot": {"robotAssistant": {"enabled": true}}}),
    )
    .await;
    let opened = writes(&w, &robot, CUSTOMER, "Hello").await;
    assert_eq!(opened["state"], "robot", "{opened}");
    assert_eq!(opened["robotId"], "bot-1");
    assert_eq!(opened["robotAssistant"], true);
    assert_eq!(opened["skillQueueId"], Value::Null);

    // A robot id of the longest form the channel takes is kept whole.
    let long_id = format!("bot.{}", "r".repeat(124));
    edit(
        &w,
        &robot,
        json!({"robot": {"intelligentRobot": {"enabled": true, "robotId": long_id},
                         "robotAssistant": {"enabled": false}}}),
    )
    .await;
    let next = writes(&w, &robot, "3001969358", "Hello").await;
    assert_eq!(next["robotId"], json!(long_id));
    assert_eq!(next["robotAssistant"], false);
    // The conversation opened before keeps what it opened with.
    assert_eq!(read(&w, &id_of(&opened)).await["robotId"], "bot-1");

    let queue = w.channel("x_robot_off", false).await;
    let queued = writes(&w, &queue, CUSTOMER, "Hello").await;
    assert_eq!(queued["state"], "queued", "{queued}");
    assert_eq!(queued["skillQueueId"], json!(w.tenant.queue_id));
    assert_eq!(queued["robotId"], Value::Null);
    assert_eq!(queued["robotAssistant"], false);
}

// R-BASIC-4
#[actix_web::test]
async fn a_transfer_keyword_moves_a_robot_conversation_to_the_channel_queue() {
    let w = world().await;
    let channel = w.channel("x_keywords", true).await;
    edit(
        &w,
        &channel,
        json!({"transferKeywords": ["agent", "人工", "talk to a human"]}),
    )
    .await;

    // Inside other words, or another word: the robot keeps it.
    let mut conversation = Value::Null;
    for text in ["I am a reagent supplier", "Are your agents there?", "人"] {
        conversation = writes(&w, &channel, CUSTOMER, text).await;
        assert_eq!(conversation["state"], "robot", "{text}: {conversation}");
    }
    let id = id_of(&conversation);
    // Another case, punctuation around it.
    let moved = writes(&w, &channel, CUSTOMER, "¿AGENT?!").await;
    assert_eq!(moved["id"], json!(id));
    assert_eq!(moved["state"], "queued", "{moved}");
    assert_eq!(moved["skillQueueId"], json!(w.tenant.queue_id));
    assert_eq!(moved["robotId"], "bot-1", "it started with the robot");
    // Once queued, the keyword has nothing more to do.
    let again = writes(&w, &channel, CUSTOMER, "agent").await;
    assert_eq!(again["state"], "queued");

    // A non-Latin keyword, inside a sentence written without spaces.
    let chinese = writes(&w, &channel, "3001969358", "你好").await;
    assert_eq!(chinese["state"], "robot");
    let chinese_moved = writes(&w, &channel, "3001969358", "我要转人工服务").await;
    assert_eq!(chinese_moved["state"], "queued", "{chinese_moved}");
    // Several words, in sequence, whatever separates them.
    let phrase = writes(
        &w,
        &channel,
        "3001969359",
        "Can I TALK to a... human, please",
    )
    .await;
    assert_eq!(phrase["state"], "queued", "{phrase}");

    // The first message already: opened with the robot, then queued, in one go.
    let first = writes(&w, &channel, "3001969360", "Agent please").await;
    assert_eq!(first["state"], "queued", "{first}");
    assert_eq!(first["robotId"], "bot-1");

    // One `conversation.queued` per move, after the opening.
    let written = events(&w, &channel, "conversation.opened,conversation.queued").await;
    let of = |id: &str| -> Vec<&str> {
        written
            .iter()
            .filter(|(_, c)| c == id)
            .map(|(e, _)| e.as_str())
            .collect()
    };
    for c in [&id, &id_of(&chinese), &id_of(&phrase), &id_of(&first)] {
        assert_eq!(
            of(c),
            ["conversation.opened", "conversation.queued"],
            "{written:?}"
        );
    }
}

// R-BASIC-4: the settings are read with each message, on every instance.
#[actix_web::test]
async fn an_edit_of_the_keywords_applies_to_the_next_message_on_every_instance() {
    let w = world().await;
    let channel = w.channel("x_keyword_edit", true).await;
    // Another instance on the same database takes the customer's deliveries.
    let other = TestApp {
        base: spawn_instance(&w.app.settings).await,
        client: crate::helpers::http_client(),
        system_token: w.app.system_token.clone(),
        data_dir: w.app.data_dir.clone(),
        database_url: w.app.database_url.clone(),
        settings: w.app.settings.clone(),
    };
    let writes_there = |customer: &'static str, text: &'static str| {
        let (w, other, channel) = (&w, &other, &channel);
        async move {
            let body = direct_message_delivery(
                ACCOUNT,
                &event_id(),
                now_ms(),
                (customer, "Jordan Brinks", "furiouscamper"),
                ACCOUNT,
                text,
            );
            let answer = other
                .deliver(&channel.id, &channel.credentials.api_key_secret, &body)
                .await;
            assert_eq!(answer.status, 200, "{}", answer.text);
            open_of(w, channel, customer).await
        }
    };
    let before = writes_there(CUSTOMER, "operator please").await;
    assert_eq!(before["state"], "robot");
    // Edited through the first instance.
    edit(&w, &channel, json!({"transferKeywords": ["Operator"]})).await;
    let after = writes_there(CUSTOMER, "operator please").await;
    assert_eq!(after["id"], before["id"]);
    assert_eq!(after["state"], "queued", "{after}");
    // The old keyword no longer moves anyone.
    let other_customer = writes_there("3001969358", "agent").await;
    assert_eq!(other_customer["state"], "robot", "{other_customer}");
}

// R-BASIC-10
#[actix_web::test]
async fn a_transfer_waits_until_the_agent_has_sent_the_channels_interaction_times() {
    let w = world().await;
    let channel = w.channel("x_interactions", false).await;
    edit(&w, &channel, json!({"callTransferInteractionTimes": 3})).await;
    let id = id_of(&writes(&w, &channel, CUSTOMER, "Hi").await);
    let admin = w.tenant.admin_token.clone();
    // Sent before anyone has it: nobody's count.
    reply(&w, &admin, &id, "Someone will be with you").await;
    assert_eq!(read(&w, &id).await["agentMessages"], 0);
    assign(&w, &id, "agent-1").await;

    let minted = w
        .app
        .post(
            "/api/v1/tokens",
            &admin,
            &json!({"role": "agent", "ouIds": [w.tenant.ou_id], "label": "agent desk"}),
        )
        .await;
    assert_eq!(minted.status, 201, "{}", minted.text);
    let agent = minted.body["token"].as_str().unwrap().to_owned();

    let early = transfer(&w, &agent, &id, "agent", "agent-2").await;
    assert_eq!(early.status, 409, "{}", early.text);
    assert_eq!(early.problem_code(), "transfer_too_early");
    assert!(
        early.body["detail"]
            .as_str()
            .unwrap()
            .contains("send 3 more messages"),
        "{}",
        early.text
    );

    let hello = reply(&w, &agent, &id, "Hello, I am Ana").await;
    // The service's automatic messages and the customer's are not the agent's.
    assert!(decide(&w, &id, Reason::QueueProgress, "You are next.", Some("p1")).await);
    let automatic = settled(&w, &id).await;
    assert_eq!(automatic[0]["status"], "sent", "{automatic:?}");
    w.customer_writes(&channel, CUSTOMER, "Thanks").await;
    assert_eq!(read(&w, &id).await["agentMessages"], 1);

    // X's echo of an automatic message stored before the sender stores it (a webhook or
    // a pull in between) counts as a person's message at first, then is taken back. The
    // fake X numbers its DM events in sequence: the next send gets the id after the last.
    let first = w.messages(&id).await;
    let first = first
        .iter()
        .find(|m| m["id"] == automatic[0]["messageId"])
        .unwrap();
    assert_ne!(first["xEventId"], hello["xEventId"]);
    let echo_id = (first["xEventId"].as_str().unwrap().parse::<u64>().unwrap() + 1).to_string();
    let echo = direct_message_delivery(
        ACCOUNT,
        &echo_id,
        now_ms(),
        (ACCOUNT, "Support Desk", "support_desk"),
        CUSTOMER,
        "Still there?",
    );
    let delivered = w
        .app
        .deliver(&channel.id, &channel.credentials.api_key_secret, &echo)
        .await;
    assert_eq!(delivered.status, 200, "{}", delivered.text);
    assert_eq!(
        read(&w, &id).await["agentMessages"],
        2,
        "counted on arrival"
    );
    assert!(
        decide(
            &w,
            &id,
            Reason::NoCustomerReplyReminder,
            "Still there?",
            Some("r1")
        )
        .await
    );
    let automatic = settled(&w, &id).await;
    assert_eq!(automatic[1]["status"], "sent", "{automatic:?}");
    let stored = w.messages(&id).await;
    let echoed = stored
        .iter()
        .find(|m| m["id"] == automatic[1]["messageId"])
        .unwrap();
    assert_eq!(
        echoed["xEventId"],
        json!(echo_id),
        "the echo is the message sent"
    );
    assert_eq!(echoed["automatic"], "no_customer_reply_reminder");
    assert_eq!(read(&w, &id).await["agentMessages"], 1, "taken back");

    let last = reply(&w, &agent, &id, "Let me check").await;
    let now = read(&w, &id).await;
    assert_eq!(now["agentMessages"], 2, "{now}");
    assert_eq!(now["lastOutboundAt"], last["sentAt"], "{now}");
    assert_eq!(now["counts"]["outbound"], 5, "{now}");

    let one_left = transfer(&w, &agent, &id, "agent", "agent-2").await;
    assert_eq!(one_left.status, 409, "{}", one_left.text);
    assert_eq!(one_left.problem_code(), "transfer_too_early");
    assert!(
        one_left.body["detail"]
            .as_str()
            .unwrap()
            .contains("send 1 more message "),
        "{}",
        one_left.text
    );
    assert_eq!(read(&w, &id).await["agentId"], "agent-1", "nothing changed");

    reply(&w, &agent, &id, "A colleague will help you").await;
    // The agent role transfers (the router's other changes stay the administrators').
    let moved = transfer(&w, &agent, &id, "agent", "agent-2").await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(moved.body["agentId"], "agent-2");
    assert_eq!(moved.body["agentMessages"], 0, "a new agent starts again");
    let end = w.act(&agent, &id, "end", None).await;
    assert_eq!(end.status, 403, "{}", end.text);
    let user = w.app.user_token(&admin, &[&w.tenant.ou_id]).await;
    let by_user = transfer(&w, &user, &id, "agent", "agent-3").await;
    assert_eq!(by_user.status, 403, "{}", by_user.text);

    // The count of the new agent starts at 0: three messages again.
    let again = transfer(&w, &agent, &id, "agent", "agent-3").await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert!(again.body["detail"]
        .as_str()
        .unwrap()
        .contains("send 3 more messages"));
    // 0 means at any time, and so does none.
    edit(&w, &channel, json!({"callTransferInteractionTimes": 0})).await;
    let at_once = transfer(&w, &agent, &id, "agent", "agent-3").await;
    assert_eq!(at_once.status, 200, "{}", at_once.text);
    edit(&w, &channel, json!({"callTransferInteractionTimes": 5})).await;
    let refused = transfer(&w, &agent, &id, "agent", "agent-4").await;
    assert!(refused.body["detail"]
        .as_str()
        .unwrap()
        .contains("send 5 more messages"));
    edit(&w, &channel, json!({"callTransferInteractionTimes": null})).await;
    let unset = transfer(&w, &agent, &id, "agent", "agent-4").await;
    assert_eq!(unset.status, 200, "{}", unset.text);

    // To a queue as well, while an agent has it; a queued one has no agent to wait for.
    edit(&w, &channel, json!({"callTransferInteractionTimes": 2})).await;
    let other_queue = w
        .app
        .route(&admin, "dm_queue_2", "multimedia", &w.tenant.ou_id)
        .await;
    let to_queue = transfer(&w, &agent, &id, "skillQueue", &other_queue).await;
    assert_eq!(to_queue.status, 409, "{}", to_queue.text);
    assert_eq!(to_queue.problem_code(), "transfer_too_early");
    edit(&w, &channel, json!({"callTransferInteractionTimes": 0})).await;
    let to_queue = transfer(&w, &agent, &id, "skillQueue", &other_queue).await;
    assert_eq!(to_queue.status, 200, "{}", to_queue.text);
    assert_eq!(to_queue.body["agentMessages"], 0);
    edit(&w, &channel, json!({"callTransferInteractionTimes": 2})).await;
    let from_queue = transfer(&w, &agent, &id, "agent", "agent-5").await;
    assert_eq!(from_queue.status, 200, "{}", from_queue.text);
    // The rule binds agents: the router (a tenant administrator) moves it at once.
    let too_early = transfer(&w, &agent, &id, "agent", "agent-6").await;
    assert_eq!(too_early.problem_code(), "transfer_too_early");
    let by_router = transfer(&w, &admin, &id, "agent", "agent-6").await;
    assert_eq!(by_router.status, 200, "{}", by_router.text);
}

// R-BASIC-11 sessionTransfer
#[actix_web::test]
async fn session_transfer_limits_the_target_types() {
    let w = world().await;
    let channel = w.channel("x_session_transfer", false).await;
    edit(
        &w,
        &channel,
        json!({"callTransferInteractionTimes": 0,
               "more": {"sessionTransfer": {"enabled": true, "allowedTargets": ["skillQueue"]}}}),
    )
    .await;
    let id = id_of(&writes(&w, &channel, CUSTOMER, "Hi").await);
    assign(&w, &id, "agent-1").await;
    let other_queue = w
        .app
        .route(
            &w.tenant.admin_token,
            "dm_queue_2",
            "multimedia",
            &w.tenant.ou_id,
        )
        .await;
    let admin = w.tenant.admin_token.clone();
    let minted = w
        .app
        .post(
            "/api/v1/tokens",
            &admin,
            &json!({"role": "agent", "ouIds": [w.tenant.ou_id], "label": "agent desk"}),
        )
        .await;
    assert_eq!(minted.status, 201, "{}", minted.text);
    let agent = minted.body["token"].as_str().unwrap().to_owned();

    let to_agent = transfer(&w, &agent, &id, "agent", "agent-2").await;
    assert_eq!(to_agent.status, 409, "{}", to_agent.text);
    assert_eq!(to_agent.problem_code(), "transfer_target_not_allowed");
    assert_eq!(to_agent.pointers(), ["/target/type"]);
    let detail = to_agent.body["detail"].as_str().unwrap();
    assert!(detail.contains("to skillQueue only"), "{detail}");
    assert_eq!(read(&w, &id).await["agentId"], "agent-1");
    let to_queue = transfer(&w, &agent, &id, "skillQueue", &other_queue).await;
    assert_eq!(to_queue.status, 200, "{}", to_queue.text);
    assert_eq!(to_queue.body["skillQueueId"], json!(other_queue));

    edit(
        &w,
        &channel,
        json!({"more": {"sessionTransfer": {"enabled": true, "allowedTargets": ["agent"]}}}),
    )
    .await;
    let back = transfer(&w, &agent, &id, "skillQueue", &w.tenant.queue_id).await;
    assert_eq!(back.status, 409, "{}", back.text);
    assert_eq!(back.problem_code(), "transfer_target_not_allowed");
    assert!(back.body["detail"]
        .as_str()
        .unwrap()
        .contains("to agent only"));
    let to_agent = transfer(&w, &agent, &id, "agent", "agent-2").await;
    assert_eq!(to_agent.status, 200, "{}", to_agent.text);

    // The router (a tenant administrator) is not bound by it.
    let by_router = transfer(&w, &admin, &id, "skillQueue", &w.tenant.queue_id).await;
    assert_eq!(by_router.status, 200, "{}", by_router.text);
    assign(&w, &id, "agent-1").await;

    // Off: agents do not transfer at all (SPEC R-BASIC-11); the router still does.
    edit(
        &w,
        &channel,
        json!({"more": {"sessionTransfer": {"enabled": false}}}),
    )
    .await;
    let by_agent = transfer(&w, &agent, &id, "skillQueue", &w.tenant.queue_id).await;
    assert_eq!(by_agent.status, 409, "{}", by_agent.text);
    assert_eq!(by_agent.problem_code(), "transfer_target_not_allowed");
    assert!(by_agent.body["detail"].as_str().unwrap().contains("is off"));
    let by_router = transfer(&w, &admin, &id, "agent", "agent-3").await;
    assert_eq!(by_router.status, 200, "{}", by_router.text);
}

// R-BASIC-11 lastAgentMode
#[actix_web::test]
async fn a_returning_customer_prefers_the_last_agent_within_the_valid_hours() {
    let w = world().await;
    // lastAgentMode: 24 hours (the test channel's).
    let channel = w.channel("x_last_agent", false).await;
    let (ana, bo, cy, dan, eve, fay, gus) = (
        CUSTOMER,
        "3001969358",
        "3001969359",
        "3001969360",
        "3001969361",
        "3001969362",
        "3001969363",
    );
    let served = [
        (ana, Some("agent-7")),
        (bo, Some("agent-8")),
        (cy, None),
        (dan, Some("agent-6")),
        (dan, None),
        (eve, Some("agent-5")),
        (fay, Some("agent-3")),
        (gus, Some("agent-4")),
    ];
    for (customer, agent) in served {
        let id = id_of(&writes(&w, &channel, customer, "Hi").await);
        assert_eq!(
            read(&w, &id).await["agentId"],
            Value::Null,
            "not assigned by the preference"
        );
        if let Some(agent) = agent {
            assign(&w, &id, agent).await;
        }
        let ended = w.admin_act(&id, "end", None).await;
        assert_eq!(ended.status, 200, "{}", ended.text);
    }

    // The previous conversation is the one that counts: Dan's last had no agent.
    let dan_back = writes(&w, &channel, dan, "Me again").await;
    assert_eq!(dan_back["preferredAgentId"], Value::Null, "{dan_back}");
    // Switched off: no preference, whoever served last.
    edit(
        &w,
        &channel,
        json!({"more": {"lastAgentMode": {"enabled": false}}}),
    )
    .await;
    let off = writes(&w, &channel, eve, "Me again").await;
    assert_eq!(off["preferredAgentId"], Value::Null, "{off}");
    edit(
        &w,
        &channel,
        json!({"more": {"lastAgentMode": {"enabled": true, "validHours": 24}}}),
    )
    .await;

    // Inside the 24 hours, by the service's clock.
    w.app.clock().advance(Duration::from_secs(23 * 3600));
    let back = writes(&w, &channel, ana, "Me again").await;
    assert_eq!(back["preferredAgentId"], "agent-7", "{back}");
    assert_eq!(back["state"], "queued");
    assert_eq!(
        back["agentId"],
        Value::Null,
        "a preference, not an assignment"
    );
    // The previous conversation had no agent: no one to prefer.
    let none = writes(&w, &channel, cy, "Me again").await;
    assert_eq!(none["preferredAgentId"], Value::Null, "{none}");
    // Two returning customers in one delivery (one batch): each their own agent.
    let dm = |customer: &str| {
        direct_message_delivery(
            ACCOUNT,
            &event_id(),
            now_ms(),
            (customer, "Jordan Brinks", "furiouscamper"),
            ACCOUNT,
            "Back again",
        )
    };
    let mut both = dm(fay);
    let second = dm(gus);
    both["direct_message_events"]
        .as_array_mut()
        .unwrap()
        .extend(second["direct_message_events"].as_array().unwrap().clone());
    both["users"][gus] = second["users"][gus].clone();
    let delivered = w
        .app
        .deliver(&channel.id, &channel.credentials.api_key_secret, &both)
        .await;
    assert_eq!(delivered.status, 200, "{}", delivered.text);
    assert_eq!(
        open_of(&w, &channel, fay).await["preferredAgentId"],
        "agent-3"
    );
    assert_eq!(
        open_of(&w, &channel, gus).await["preferredAgentId"],
        "agent-4"
    );

    // Outside them.
    w.app.clock().advance(Duration::from_secs(2 * 3600));
    let late = writes(&w, &channel, bo, "Me again").await;
    assert_eq!(
        late["preferredAgentId"],
        Value::Null,
        "after 25 hours: {late}"
    );
}
