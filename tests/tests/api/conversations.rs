//! Conversations (issue 18) against the fake X: a customer's DM opens a conversation in the
//! state the channel's robot setting says; the router queues, assigns, transfers and ends
//! it (a change the state does not allow is 409, and of two racing changes one wins); a
//! reply goes out through X signed with the channel's method and its echo is stored once;
//! X's refusals reach the caller; an `Idempotency-Key` never sends twice; tenants and OUs
//! see only their own conversations.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};
use xchannel_tests::fake_x::{direct_message_delivery, Endpoint, FakeX, Fault};

use crate::helpers::Tenant;
use crate::world::{now_ms, world, World, ACCOUNT, CUSTOMER};

#[actix_web::test]
async fn a_dm_opens_a_conversation_in_the_robot_or_the_queue_as_the_channel_says() {
    let w = world().await;
    let robot = w.channel("x_robot", true).await;
    let queue = w.channel("x_queue", false).await;
    w.customer_writes(&robot, CUSTOMER, "Hello robot").await;
    w.customer_writes(&queue, CUSTOMER, "Hello queue").await;

    let with_robot = w.conversation(&robot).await;
    assert_eq!(with_robot["state"], "robot");
    assert_eq!(with_robot["skillQueueId"], Value::Null);
    assert_eq!(
        with_robot["customer"],
        json!({"id": CUSTOMER, "username": "furiouscamper", "name": "Jordan Brinks"})
    );
    assert_eq!(with_robot["counts"], json!({"inbound": 1, "outbound": 0}));
    assert!(with_robot["lastInboundAt"].is_string());
    assert_eq!(with_robot["lastOutboundAt"], Value::Null);

    let queued = w.conversation(&queue).await;
    assert_eq!(queued["state"], "queued");
    assert_eq!(queued["skillQueueId"], json!(w.tenant.queue_id));

    // A second message of the same customer joins the conversation.
    w.customer_writes(&robot, CUSTOMER, "Still there?").await;
    let again = w.conversation(&robot).await;
    assert_eq!(again["id"], with_robot["id"]);
    assert_eq!(again["counts"]["inbound"], 2);
    let id = again["id"].as_str().unwrap();
    let texts: Vec<_> = w
        .messages(id)
        .await
        .iter()
        .map(|m| m["text"].clone())
        .collect();
    assert_eq!(texts, [json!("Still there?"), json!("Hello robot")]);
    let read = w
        .app
        .get(
            &format!("/api/v1/conversations/{id}"),
            &w.tenant.admin_token,
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body["counts"]["inbound"], 2);
}

#[actix_web::test]
async fn queue_assign_reply_and_the_echo_delivered_by_webhook_is_stored_once() {
    for (name, algorithm, method) in [
        ("x_sha256", "SHA-256", "HMAC-SHA256"),
        ("x_sha1", "SHA-1", "HMAC-SHA1"),
    ] {
        // A world (an X account) per method: the channel is Pro, so its minute pull reads
        // the account's whole DM history at X, where the other channel's reply would be.
        let w = world().await;
        let channel = w.channel_in(&w.tenant, name, true, algorithm).await;
        w.customer_writes(&channel, CUSTOMER, "I need help").await;
        let id = w.conversation_id(&channel).await;

        let queued = w.admin_act(&id, "queue", Some(&json!({}))).await;
        assert_eq!(queued.status, 200, "{}", queued.text);
        assert_eq!(queued.body["state"], "queued");
        assert_eq!(queued.body["skillQueueId"], json!(w.tenant.queue_id));
        let assigned = w
            .admin_act(&id, "assign", Some(&json!({"agentId": "agent-7"})))
            .await;
        assert_eq!(assigned.status, 200, "{}", assigned.text);
        assert_eq!(assigned.body["state"], "agent");
        assert_eq!(assigned.body["agentId"], "agent-7");

        let before = w.sends().len();
        let sent = w
            .reply(&w.tenant.admin_token, &id, "How can we help?", None)
            .await;
        assert_eq!(sent.status, 201, "{}", sent.text);
        assert_eq!(sent.body["direction"], "outbound");
        assert_eq!(sent.body["text"], "How can we help?");
        let x_event_id = sent.body["xEventId"].as_str().unwrap().to_owned();
        // The fake X received it once, for the customer, signed with the channel's method.
        let sends = w.sends();
        assert_eq!(sends.len(), before + 1);
        assert_eq!(
            sends.last().unwrap(),
            &(
                format!("/2/dm_conversations/with/{CUSTOMER}/messages"),
                Some(method.to_owned()),
                201
            )
        );
        assert!(w
            .fake
            .dm_events(ACCOUNT)
            .iter()
            .any(|e| e.id == x_event_id && e.text == "How can we help?"));

        // X's echo of the sent message, by webhook: recognised, not stored again.
        let echo = direct_message_delivery(
            ACCOUNT,
            &x_event_id,
            now_ms(),
            (ACCOUNT, "Support Desk", "support_desk"),
            CUSTOMER,
            "How can we help?",
        );
        let delivered = w
            .app
            .deliver(&channel.id, &channel.credentials.api_key_secret, &echo)
            .await;
        assert_eq!(delivered.status, 200, "{}", delivered.text);
        let messages = w.messages(&id).await;
        let directions: Vec<_> = messages.iter().map(|m| m["direction"].clone()).collect();
        assert_eq!(directions, [json!("outbound"), json!("inbound")]);
        let all = w
            .app
            .all_messages(&w.tenant.admin_token, &channel.id, "")
            .await;
        assert_eq!(
            all.iter()
                .filter(|m| m["xEventId"] == json!(x_event_id))
                .count(),
            1
        );
        let conversation = w.conversation(&channel).await;
        assert_eq!(conversation["counts"], json!({"inbound": 1, "outbound": 1}));
        assert!(conversation["lastOutboundAt"].is_string());
    }
}

#[actix_web::test]
async fn x_refusals_reach_the_caller_with_x_reason_and_nothing_is_stored() {
    let w = world().await;
    let channel = w.channel("x_refusals", false).await;
    w.customer_writes(&channel, CUSTOMER, "Hi").await;
    let id = w.conversation_id(&channel).await;
    let token = w.tenant.admin_token.clone();

    // 403: the customer does not accept DMs from this account.
    w.fake.inject_at(
        Endpoint::SendMessage,
        Fault::Respond {
            status: 403,
            body: json!({"title": "Forbidden", "type": "about:blank", "status": 403, "detail": "You are not permitted to send this user a Direct Message."}).to_string(),
        },
    );
    let refused = w.reply(&token, &id, "Hello", None).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(refused.problem_code(), "x_recipient_refused");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("not permitted to send this user a Direct Message"),
        "{}",
        refused.text
    );

    // 429: Retry-After from X's x-rate-limit-reset.
    w.fake.inject_at(
        Endpoint::SendMessage,
        Fault::TooManyRequests(Duration::from_secs(120)),
    );
    let limited = w.reply(&token, &id, "Hello", None).await;
    assert_eq!(limited.status, 429, "{}", limited.text);
    assert_eq!(limited.problem_code(), "x_rate_limited");
    let retry_after: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((100..=121).contains(&retry_after), "{retry_after}");

    // 401: X refuses the credentials; the channel is failed.
    w.fake.inject_at(
        Endpoint::SendMessage,
        Fault::Respond {
            status: 401,
            body: json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}).to_string(),
        },
    );
    let unauthorized = w.reply(&token, &id, "Hello", None).await;
    assert_eq!(unauthorized.status, 401, "{}", unauthorized.text);
    assert_eq!(unauthorized.problem_code(), "x_credentials_refused");
    let integration = w
        .app
        .get(
            &format!("/api/v1/channels/{}/integration", channel.id),
            &token,
        )
        .await;
    assert_eq!(integration.body["status"], "failed", "{}", integration.text);
    assert_eq!(
        integration.body["lastError"]["code"],
        "x_credentials_refused"
    );
    // A failed channel sends nothing.
    let inactive = w.reply(&token, &id, "Hello", None).await;
    assert_eq!(inactive.status, 409, "{}", inactive.text);
    assert_eq!(inactive.problem_code(), "channel_not_active");

    let messages = w.messages(&id).await;
    assert_eq!(
        messages.len(),
        1,
        "only the customer's message: {messages:?}"
    );
    assert_eq!(w.conversation(&channel).await["counts"]["outbound"], 0);
}

#[actix_web::test]
async fn a_change_the_state_does_not_allow_is_409_with_the_reason() {
    let w = world().await;
    let channel = w.channel("x_states", false).await;
    w.customer_writes(&channel, CUSTOMER, "Hi").await;
    let id = w.conversation_id(&channel).await;

    // Queued already: queue is for robot conversations.
    let requeued = w.admin_act(&id, "queue", Some(&json!({}))).await;
    assert_eq!(requeued.status, 409, "{}", requeued.text);
    assert_eq!(requeued.problem_code(), "conversation_state");
    assert!(requeued.body["detail"]
        .as_str()
        .unwrap()
        .contains("`queued`"));

    let ended = w.admin_act(&id, "end", None).await;
    assert_eq!(ended.status, 200, "{}", ended.text);
    assert_eq!(ended.body["state"], "ended");
    assert!(ended.body["endedAt"].is_string());
    for (action, body) in [
        ("end", None),
        ("assign", Some(json!({"agentId": "a1"}))),
        (
            "transfer",
            Some(json!({"target": {"type": "agent", "id": "a1"}})),
        ),
        ("queue", Some(json!({}))),
    ] {
        let answer = w.admin_act(&id, action, body.as_ref()).await;
        assert_eq!(answer.status, 409, "{action}: {}", answer.text);
        assert_eq!(answer.problem_code(), "conversation_state", "{action}");
        assert!(
            answer.body["detail"].as_str().unwrap().contains("ended"),
            "{action}"
        );
    }
    let reply = w.reply(&w.tenant.admin_token, &id, "Hello", None).await;
    assert_eq!(reply.status, 409, "{}", reply.text);
    assert_eq!(reply.problem_code(), "conversation_state");

    // The customer writes again: a new conversation opens.
    w.customer_writes(&channel, CUSTOMER, "Me again").await;
    let second = w.conversation(&channel).await;
    assert_ne!(second["id"], json!(id));
    assert_eq!(second["state"], "queued");
    assert_eq!(second["counts"]["inbound"], 1);
    // The ended one keeps its message only.
    assert_eq!(w.messages(&id).await.len(), 1);

    // Bad bodies name their fields.
    let second_id = second["id"].as_str().unwrap();
    let bad = w
        .admin_act(
            second_id,
            "transfer",
            Some(&json!({"target": {"type": "robot", "id": ""}})),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(
        bad.pointers().contains(&"/target/type".to_owned()),
        "{}",
        bad.text
    );
    let unknown_queue = w
        .admin_act(
            second_id,
            "transfer",
            Some(&json!({"target": {"type": "skillQueue", "id": "0193a1d2-7b8c-7d00-8000-000000000099"}})),
        )
        .await;
    assert_eq!(unknown_queue.status, 422, "{}", unknown_queue.text);
    assert_eq!(unknown_queue.pointers(), ["/target/id"]);
    let long = w
        .reply(&w.tenant.admin_token, second_id, &"x".repeat(10_001), None)
        .await;
    assert_eq!(long.status, 422, "{}", long.text);
    assert_eq!(long.pointers(), ["/text"]);
}

#[actix_web::test]
async fn of_two_concurrent_assigns_exactly_one_wins() {
    let w = world().await;
    let channel = w.channel("x_race", false).await;
    for round in 0..5 {
        let customer = format!("30019693{round:02}");
        w.customer_writes(&channel, &customer, "Hi").await;
        let list = w
            .app
            .get(
                &format!(
                    "/api/v1/conversations?channelId={}&state=queued",
                    channel.id
                ),
                &w.tenant.admin_token,
            )
            .await;
        let id = list.body["items"][0]["id"].as_str().unwrap().to_owned();
        let (to_a, to_b) = (json!({"agentId": "agent-a"}), json!({"agentId": "agent-b"}));
        let (a, b) = tokio::join!(
            w.admin_act(&id, "assign", Some(&to_a)),
            w.admin_act(&id, "assign", Some(&to_b)),
        );
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "{} / {}", a.text, b.text);
        let (winner, loser) = if a.status == 200 { (a, b) } else { (b, a) };
        assert_eq!(loser.problem_code(), "conversation_state");
        let now = w
            .app
            .get(
                &format!("/api/v1/conversations/{id}"),
                &w.tenant.admin_token,
            )
            .await;
        assert_eq!(now.body["agentId"], winner.body["agentId"]);
        assert_eq!(now.body["state"], "agent");
    }
}

#[actix_web::test]
async fn transfers_move_between_agents_and_queues_and_lists_filter_by_them() {
    let w = world().await;
    let channel = w.channel("x_transfer", false).await;
    w.customer_writes(&channel, CUSTOMER, "Hi").await;
    let id = w.conversation_id(&channel).await;
    let other_queue = w
        .app
        .route(
            &w.tenant.admin_token,
            "dm_queue_2",
            "multimedia",
            &w.tenant.ou_id,
        )
        .await;
    assert_eq!(
        w.admin_act(&id, "assign", Some(&json!({"agentId": "agent-1"})))
            .await
            .status,
        200
    );
    let to_agent = w
        .admin_act(
            &id,
            "transfer",
            Some(&json!({"target": {"type": "agent", "id": "agent-2"}})),
        )
        .await;
    assert_eq!(to_agent.status, 200, "{}", to_agent.text);
    assert_eq!(to_agent.body["agentId"], "agent-2");
    let by_agent = w
        .app
        .get(
            "/api/v1/conversations?agentId=agent-2",
            &w.tenant.admin_token,
        )
        .await;
    assert_eq!(by_agent.body["items"].as_array().unwrap().len(), 1);
    let to_queue = w
        .admin_act(
            &id,
            "transfer",
            Some(&json!({"target": {"type": "skillQueue", "id": other_queue}})),
        )
        .await;
    assert_eq!(to_queue.status, 200, "{}", to_queue.text);
    assert_eq!(to_queue.body["state"], "queued");
    assert_eq!(to_queue.body["agentId"], Value::Null);
    assert_eq!(to_queue.body["skillQueueId"], json!(other_queue));
    let by_queue = w
        .app
        .get(
            &format!("/api/v1/conversations?skillQueueId={other_queue}&state=queued"),
            &w.tenant.admin_token,
        )
        .await;
    assert_eq!(by_queue.body["items"][0]["id"], json!(id));
    let none = w
        .app
        .get(
            "/api/v1/conversations?agentId=agent-2",
            &w.tenant.admin_token,
        )
        .await;
    assert_eq!(none.body["items"], json!([]));
    let bad = w
        .app
        .get(
            "/api/v1/conversations?state=waiting&limit=0",
            &w.tenant.admin_token,
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    let mut pointers = bad.pointers();
    pointers.sort();
    assert_eq!(pointers, ["/query/limit", "/query/state"]);
}

#[actix_web::test]
async fn lists_are_most_recent_activity_first_across_pages() {
    let w = world().await;
    let channel = w.channel("x_pages", false).await;
    for i in 0..3 {
        w.customer_writes(&channel, &format!("50000000{i}"), "Hi")
            .await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The first customer writes again: its conversation is the most recent.
    w.customer_writes(&channel, "500000000", "Again").await;
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = w
            .app
            .get(
                &format!("/api/v1/conversations?limit=2{cursor}"),
                &w.tenant.admin_token,
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.text);
        for item in page.body["items"].as_array().unwrap() {
            seen.push(item["customer"]["id"].as_str().unwrap().to_owned());
        }
        match page.body["nextCursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen, ["500000000", "500000002", "500000001"]);
}

#[actix_web::test]
async fn conversations_of_one_tenant_are_invisible_to_another() {
    let w = world().await;
    let channel = w.channel("x_isolated", false).await;
    w.customer_writes(&channel, CUSTOMER, "Hi").await;
    let id = w.conversation_id(&channel).await;
    let other = w.app.tenant().await;
    let list = w.app.get("/api/v1/conversations", &other.admin_token).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.body["items"], json!([]));
    for path in [
        format!("/api/v1/conversations/{id}"),
        format!("/api/v1/conversations/{id}/messages"),
    ] {
        let answer = w.app.get(&path, &other.admin_token).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.text);
    }
    let assign = w
        .act(
            &other.admin_token,
            &id,
            "assign",
            Some(&json!({"agentId": "x"})),
        )
        .await;
    assert_eq!(assign.status, 404, "{}", assign.text);
    let reply = w.reply(&other.admin_token, &id, "Hello", None).await;
    assert_eq!(reply.status, 404, "{}", reply.text);
    assert!(w.sends().is_empty());
    let filtered = w
        .app
        .get(
            &format!("/api/v1/conversations?channelId={}", channel.id),
            &other.admin_token,
        )
        .await;
    assert_eq!(filtered.body["items"], json!([]));
}

#[actix_web::test]
async fn an_agent_sees_and_replies_only_in_its_ous_and_does_not_drive_the_hand_over() {
    let w = world().await;
    let mine = w.channel("x_mine", false).await;
    // Another OU of the tenant, with its own queue and channel.
    let other_ou = w.app.ou(&w.tenant.admin_token, "Sales", None).await;
    let other_queue = w
        .app
        .route(
            &w.tenant.admin_token,
            "sales_queue",
            "multimedia",
            &other_ou,
        )
        .await;
    let elsewhere_tenant = Tenant {
        id: w.tenant.id.clone(),
        admin_token: w.tenant.admin_token.clone(),
        ou_id: other_ou,
        queue_id: other_queue,
    };
    let theirs = w
        .channel_in(&elsewhere_tenant, "x_theirs", false, "SHA-256")
        .await;
    w.customer_writes(&mine, CUSTOMER, "Hi mine").await;
    w.customer_writes(&theirs, CUSTOMER, "Hi theirs").await;
    let my_id = w.conversation_id(&mine).await;
    let their_id = w.conversation_id(&theirs).await;

    let minted = w
        .app
        .post(
            "/api/v1/tokens",
            &w.tenant.admin_token,
            &json!({"role": "agent", "ouIds": [w.tenant.ou_id], "label": "agent desk"}),
        )
        .await;
    assert_eq!(minted.status, 201, "{}", minted.text);
    assert_eq!(minted.body["role"], "agent");
    let agent = minted.body["token"].as_str().unwrap().to_owned();

    let list = w.app.get("/api/v1/conversations", &agent).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let ids: Vec<_> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, std::slice::from_ref(&my_id));
    let hidden = w
        .app
        .get(&format!("/api/v1/conversations/{their_id}"), &agent)
        .await;
    assert_eq!(hidden.status, 404, "{}", hidden.text);
    let hidden_reply = w.reply(&agent, &their_id, "Hello", None).await;
    assert_eq!(hidden_reply.status, 404, "{}", hidden_reply.text);

    let replied = w.reply(&agent, &my_id, "Hello from the agent", None).await;
    assert_eq!(replied.status, 201, "{}", replied.text);
    let assign = w
        .act(&agent, &my_id, "assign", Some(&json!({"agentId": "me"})))
        .await;
    assert_eq!(assign.status, 403, "{}", assign.text);
    // An agent mints no tokens.
    let mint = w
        .app
        .post("/api/v1/tokens", &agent, &json!({"role": "agent"}))
        .await;
    assert_eq!(mint.status, 403, "{}", mint.text);

    // A tenant user reads but does not reply.
    let user = w
        .app
        .user_token(&w.tenant.admin_token, &[&w.tenant.ou_id])
        .await;
    let read = w
        .app
        .get(&format!("/api/v1/conversations/{my_id}"), &user)
        .await;
    assert_eq!(read.status, 200, "{}", read.text);
    let refused = w.reply(&user, &my_id, "Hello", None).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(refused.problem_code(), "forbidden");
    assert_eq!(w.sends().len(), 1);
}

#[actix_web::test]
async fn an_idempotency_key_answers_the_first_result_and_never_sends_twice() {
    let w = world().await;
    let channel = w.channel("x_idempotent", false).await;
    w.customer_writes(&channel, CUSTOMER, "Hi").await;
    let id = w.conversation_id(&channel).await;
    let token = w.tenant.admin_token.clone();

    let first = w.reply(&token, &id, "Once", Some("key-1")).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let again = w.reply(&token, &id, "Once", Some("key-1")).await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(w.sends().len(), 1);
    // The same key for another reply is refused.
    let other = w.reply(&token, &id, "Twice", Some("key-1")).await;
    assert_eq!(other.status, 422, "{}", other.text);
    assert_eq!(other.problem_code(), "idempotency_key_reused");
    assert_eq!(w.messages(&id).await.len(), 2);

    // A refusal X certainly did not act on frees the key for a retry.
    w.fake.inject_at(
        Endpoint::SendMessage,
        Fault::TooManyRequests(Duration::from_secs(60)),
    );
    let limited = w.reply(&token, &id, "Later", Some("key-2")).await;
    assert_eq!(limited.status, 429, "{}", limited.text);
    let retried = w.reply(&token, &id, "Later", Some("key-2")).await;
    assert_eq!(retried.status, 201, "{}", retried.text);

    // A send X may have received (no answer in time) is never sent again by its key.
    let sends = w.sends().len();
    let hung = std::time::Instant::now();
    w.fake
        .inject_at(Endpoint::SendMessage, Fault::Hang(Duration::from_secs(12)));
    let uncertain = w.reply(&token, &id, "Maybe", Some("key-3")).await;
    assert_eq!(uncertain.status, 504, "{}", uncertain.text);
    assert_eq!(uncertain.problem_code(), "x_send_uncertain");
    let repeated = w.reply(&token, &id, "Maybe", Some("key-3")).await;
    assert_eq!(repeated.status, 504, "{}", repeated.text);
    assert_eq!(repeated.problem_code(), "x_send_uncertain");
    assert_eq!(repeated.headers["idempotent-replayed"], "true");
    // The fake X records the hung request once it has answered it (after 12 s); a repeat
    // sent again would have been recorded at once, before it. Past those 12 s, one send.
    tokio::time::sleep(Duration::from_secs(13).saturating_sub(hung.elapsed())).await;
    while w.sends().len() == sends && hung.elapsed() < Duration::from_secs(40) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(w.sends().len(), sends + 1, "{:?}", w.sends());

    let bad_key = w
        .reply(&token, &id, "Hello", Some("bad key with spaces"))
        .await;
    assert_eq!(bad_key.status, 400, "{}", bad_key.text);
    assert_eq!(bad_key.problem_code(), "invalid_header");
}

#[actix_web::test]
async fn a_reply_x_never_received_is_retried_and_else_reported_not_sent() {
    let w = world().await;
    let channel = w.channel("x_gone", false).await;
    w.customer_writes(&channel, CUSTOMER, "Hi").await;
    let id = w.conversation_id(&channel).await;
    let port = w.fake.port();
    let World { app, fake, tenant } = w;
    let known = (fake.apps(), fake.accounts());
    fake.stop().await;
    let started = Instant::now();
    let gone = app
        .call_with(
            Method::POST,
            &format!("/api/v1/conversations/{id}/messages"),
            &tenant.admin_token,
            Some(&json!({"text": "Anyone?"})),
            &[("idempotency-key", "k-gone")],
        )
        .await;
    assert_eq!(gone.status, 502, "{}", gone.text);
    assert_eq!(gone.problem_code(), "x_unreachable");
    // Tried again before giving up.
    assert!(started.elapsed() >= Duration::from_millis(600));
    // X is back: the same key sends it, once.
    let back = FakeX::start_on(port).await.unwrap();
    for app_ in known.0 {
        back.add_app(&app_.api_key, &app_.api_key_secret);
    }
    for account in known.1 {
        back.add_account(account);
    }
    let sent = app
        .call_with(
            Method::POST,
            &format!("/api/v1/conversations/{id}/messages"),
            &tenant.admin_token,
            Some(&json!({"text": "Anyone?"})),
            &[("idempotency-key", "k-gone")],
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.text);
    let received = back
        .received()
        .into_iter()
        .filter(|r| r.path.starts_with("/2/dm_conversations/with/"))
        .count();
    assert_eq!(received, 1);
}
