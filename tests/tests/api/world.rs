//! A tenant with active channels at the fake X, and what a test does with them: a
//! customer writes (a signed webhook delivery), the router acts, an agent replies. Shared
//! by the conversation tests and those of the channel's settings acting on them.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};
use xchannel_tests::fake_x::{direct_message_delivery, FakeAccount, FakeX};

use crate::helpers::{spawn_app_with, Answer, SpawnOptions, Tenant, TestApp, XCredentials};

pub const ACCOUNT: &str = "4337869213";
pub const CUSTOMER: &str = "3001969357";

pub struct World {
    pub app: TestApp,
    pub fake: FakeX,
    pub tenant: Tenant,
}

/// An active channel, its credentials known to the fake X.
pub struct Channel {
    pub id: String,
    pub credentials: XCredentials,
}

pub async fn world() -> World {
    world_with(SpawnOptions::default()).await
}

/// A world whose service starts with `options` (the fake X's address added).
pub async fn world_with(options: SpawnOptions) -> World {
    let fake = FakeX::start().await.unwrap();
    let app = spawn_app_with(SpawnOptions {
        x_api_base_url: Some(fake.base_url().to_owned()),
        ..options
    })
    .await;
    let tenant = app.tenant().await;
    World { app, fake, tenant }
}

pub fn event_id() -> String {
    // X's ids are decimal; unique enough within a test run.
    let n = uuid::Uuid::new_v4().as_u128() % 10u128.pow(18);
    format!("{}", 10u128.pow(18) + n)
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

impl World {
    /// An active Pro channel of `tenant` in `ou_id`/`queue_id`, robot on or off, signed with
    /// `algorithm`; its other settings are the test channel body's, but transfers are
    /// allowed at any time (`callTransferInteractionTimes` 0).
    pub async fn channel_in(
        &self,
        tenant: &Tenant,
        name: &str,
        robot: bool,
        algorithm: &str,
    ) -> Channel {
        self.channel_configured(tenant, name, robot, algorithm, |_| {})
            .await
    }

    /// As [`World::channel_in`], the channel's body edited by `edit` before it is created.
    /// Queue reminders are off unless `edit` switches them on (agents work around the
    /// clock, as in every test body), so no rule speaks to the customer unasked.
    pub async fn channel_configured(
        &self,
        tenant: &Tenant,
        name: &str,
        robot: bool,
        algorithm: &str,
        edit: impl FnOnce(&mut Value),
    ) -> Channel {
        let credentials = XCredentials::unique();
        self.fake
            .add_app(&credentials.api_key, &credentials.api_key_secret);
        self.fake.add_account(FakeAccount {
            user_id: ACCOUNT.into(),
            name: "Support Desk".into(),
            username: "support_desk".into(),
            api_key: credentials.api_key.clone(),
            access_token: credentials.access_token.clone(),
            access_token_secret: credentials.access_token_secret.clone(),
        });
        let mut body = tenant.channel_body(name, &credentials);
        body["x"]["accountLevel"] = json!("pro");
        body["x"]["signatureAlgorithm"] = json!(algorithm);
        // Transfers at any time, unless a test of R-BASIC-10 sets the interaction times.
        body["callTransferInteractionTimes"] = json!(0);
        body["robot"]["intelligentRobot"]["enabled"] = json!(robot);
        if !robot {
            body["robot"]["intelligentRobot"] = json!({"enabled": false});
        }
        body["queueReminder"] = json!({"mode": "off"});
        edit(&mut body);
        let created = self
            .app
            .post("/api/v1/channels", &tenant.admin_token, &body)
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let id = created.id();
        let submitted = self
            .app
            .call(
                Method::POST,
                &format!("/api/v1/channels/{id}/integration"),
                &tenant.admin_token,
                None,
            )
            .await;
        assert_eq!(submitted.status, 202, "{}", submitted.text);
        let started = Instant::now();
        loop {
            let view = self
                .app
                .get(
                    &format!("/api/v1/channels/{id}/integration"),
                    &tenant.admin_token,
                )
                .await;
            match view.body["status"].as_str() {
                Some("active") => break,
                Some("verifying") => {}
                other => panic!("channel not active: {other:?} {}", view.text),
            }
            assert!(started.elapsed() < Duration::from_secs(30));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Channel { id, credentials }
    }

    pub async fn channel(&self, name: &str, robot: bool) -> Channel {
        self.channel_in(&self.tenant, name, robot, "SHA-256").await
    }

    /// A channel of the world's tenant, its body edited by `edit` (see
    /// [`World::channel_configured`]).
    pub async fn channel_with(
        &self,
        name: &str,
        robot: bool,
        edit: impl FnOnce(&mut Value),
    ) -> Channel {
        self.channel_configured(&self.tenant, name, robot, "SHA-256", edit)
            .await
    }

    /// The customer's DM, delivered through the channel's webhook as X signs it.
    pub async fn customer_writes(&self, channel: &Channel, customer: &str, text: &str) -> String {
        let id = event_id();
        let body = direct_message_delivery(
            ACCOUNT,
            &id,
            now_ms(),
            (customer, "Jordan Brinks", "furiouscamper"),
            ACCOUNT,
            text,
        );
        let answer = self
            .app
            .deliver(&channel.id, &channel.credentials.api_key_secret, &body)
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        id
    }

    /// The one open conversation of the channel.
    pub async fn conversation(&self, channel: &Channel) -> Value {
        let list = self
            .app
            .get(
                &format!("/api/v1/conversations?channelId={}", channel.id),
                &self.tenant.admin_token,
            )
            .await;
        assert_eq!(list.status, 200, "{}", list.text);
        let open: Vec<&Value> = list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["state"] != "ended")
            .collect();
        assert_eq!(open.len(), 1, "{}", list.text);
        open[0].clone()
    }

    /// The id of the channel's one open conversation.
    pub async fn conversation_id(&self, channel: &Channel) -> String {
        self.conversation(channel).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn act(&self, token: &str, id: &str, action: &str, body: Option<&Value>) -> Answer {
        self.app
            .call(
                Method::POST,
                &format!("/api/v1/conversations/{id}/{action}"),
                token,
                body,
            )
            .await
    }

    pub async fn admin_act(&self, id: &str, action: &str, body: Option<&Value>) -> Answer {
        self.act(&self.tenant.admin_token, id, action, body).await
    }

    pub async fn reply(&self, token: &str, id: &str, text: &str, key: Option<&str>) -> Answer {
        let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
        self.app
            .call_with(
                Method::POST,
                &format!("/api/v1/conversations/{id}/messages"),
                token,
                Some(&json!({ "text": text })),
                &headers,
            )
            .await
    }

    pub async fn messages(&self, id: &str) -> Vec<Value> {
        let list = self
            .app
            .get(
                &format!("/api/v1/conversations/{id}/messages"),
                &self.tenant.admin_token,
            )
            .await;
        assert_eq!(list.status, 200, "{}", list.text);
        list.body["items"].as_array().unwrap().clone()
    }

    /// The sends the fake X received, with their signature method and status.
    pub fn sends(&self) -> Vec<(String, Option<String>, u16)> {
        self.fake
            .received()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.starts_with("/2/dm_conversations/with/"))
            .map(|r| (r.path, r.authentication, r.status))
            .collect()
    }
}
