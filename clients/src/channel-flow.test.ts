// A frontend's flow through the generated client, against a running service: create,
// read, edit with If-Match, list and delete a channel, read a 422's problem `code`, read
// the messages X delivered to a channel, submit a channel's integration and read how it
// ended, answer X's CRC challenge, and delete a tenant (refused with counts while it has a
// channel, then with ?cascade=true).
//
//   XCH_BASE=http://127.0.0.1:PORT XCH_TOKEN=<tenant admin> XCH_SYSTEM_TOKEN=<system admin> \
//   XCH_OU=<ou id> XCH_QUEUE=<route id> \
//   node --test dist/
import assert from "node:assert/strict";
import { createHmac, randomUUID } from "node:crypto";
import { test } from "node:test";

import { type ChannelDraft, type Message, type Problem, xchannel } from "./client.js";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const api = xchannel(env("XCH_BASE"), env("XCH_TOKEN"));
const run = randomUUID().replaceAll("-", "").slice(0, 12);

function draft(name: string): ChannelDraft {
  return {
    name,
    type: "x",
    x: {
      apiKey: `ak${run}`,
      apiKeySecret: `aks${run}`,
      accessToken: `1234-at${run}`,
      accessTokenSecret: `ats${run}`,
      accountLevel: "enterprise",
      signatureAlgorithm: "SHA-256",
    },
    ouId: env("XCH_OU"),
    skillQueueId: env("XCH_QUEUE"),
    transferKeywords: ["agent"],
    queueReminder: { mode: "all", content: "Please wait." },
    robot: { intelligentRobot: { enabled: true, robotId: "bot-1" }, robotAssistant: { enabled: false } },
  };
}

test("a channel is created, read, edited with If-Match, listed and deleted through the client", async () => {
  const name = `ts_client_${run}`;
  const created = await api.POST("/api/v1/channels", { body: draft(name) });
  assert.equal(created.response.status, 201, JSON.stringify(created.error));
  assert.ok(created.data);
  const id = created.data.id;
  const etag = created.response.headers.get("etag");
  assert.equal(etag, `"${created.data.version}"`);
  assert.equal(created.data.status, "draft");
  assert.equal(created.data.credentials.apiKey.endsWith(run.slice(-4)), true);

  const read = await api.GET("/api/v1/channels/{id}", { params: { path: { id } } });
  assert.equal(read.response.status, 200);
  assert.equal(read.data?.name, name);
  assert.equal(read.data?.sendBudget.reserve, 3);
  assert.equal(read.data?.sendBudget.sentLast24Hours, 0);

  const preview = await api.POST("/api/v1/channels/{id}/queue-reminder/preview", {
    params: { path: { id } },
    body: { nickName: "Grace", position: 2, waitSeconds: 60 },
  });
  assert.equal(preview.response.status, 200, JSON.stringify(preview.error));
  assert.equal(preview.data?.queueReminder, "Please wait.");
  assert.equal(
    preview.data?.progressReminder,
    "You are currently in the queue, in position 2, and are expected to wait for 60 seconds",
  );
  const unsaved = await api.POST("/api/v1/channels/{id}/queue-reminder/preview", {
    params: { path: { id } },
    body: { queueReminder: { mode: "queue", content: "<wait>" } },
  });
  assert.equal(unsaved.response.status, 422);
  assert.deepEqual(unsaved.error?.errors?.map((e) => e.pointer), ["/queueReminder/content"]);

  const edited = await api.PUT("/api/v1/channels/{id}", {
    params: { path: { id }, header: { "If-Match": etag ?? "" } },
    body: { ...draft(name), nonWorkingTimeNotification: "We are closed now." },
  });
  assert.equal(edited.response.status, 200, JSON.stringify(edited.error));
  assert.equal(edited.data?.nonWorkingTimeNotification, "We are closed now.");
  assert.equal(edited.data?.version, created.data.version + 1);
  assert.equal(edited.response.headers.get("etag"), `"${created.data.version + 1}"`);

  const stale = await api.PUT("/api/v1/channels/{id}", {
    params: { path: { id }, header: { "If-Match": etag ?? "" } },
    body: draft(name),
  });
  assert.equal(stale.response.status, 412);
  assert.equal(stale.error?.code, "version_mismatch");

  const listed = await api.GET("/api/v1/channels", { params: { query: { namePrefix: name, limit: 10 } } });
  assert.equal(listed.response.status, 200);
  assert.deepEqual(listed.data?.items.map((c) => c.id), [id]);

  const deleted = await api.DELETE("/api/v1/channels/{id}", { params: { path: { id } } });
  assert.equal(deleted.response.status, 204);
  const gone = await api.GET("/api/v1/channels/{id}", { params: { path: { id } } });
  assert.equal(gone.response.status, 404);
  assert.equal(gone.error?.code, "not_found");
});

test("a 422 gives the client a problem document with its code and every failing field", async () => {
  const body = { ...draft(`bad_${run}`), name: "1starts_with_a_digit", nonWorkingTimeNotification: "<b>closed</b>" };
  const refused = await api.POST("/api/v1/channels", { body });
  assert.equal(refused.response.status, 422);
  assert.equal(refused.response.headers.get("content-type"), "application/problem+json");
  const problem: Problem | undefined = refused.error;
  assert.equal(problem?.code, "validation_failed");
  const pointers = (problem?.errors ?? []).map((e) => e.pointer).sort();
  assert.deepEqual(pointers, ["/name", "/nonWorkingTimeNotification"]);
});

test("a message X delivers to the channel's webhook is read back through the client", async () => {
  const body = draft(`ts_messages_${run}`);
  body.x.apiKey = `akm${run}`;
  const created = await api.POST("/api/v1/channels", { body });
  assert.equal(created.response.status, 201, JSON.stringify(created.error));
  const id = created.data?.id ?? "";
  // X's side: a delivery signed with the channel's API key secret, POSTed to the webhook.
  const delivery = JSON.stringify({
    for_user_id: "1000000000000000001",
    direct_message_events: [{
      type: "message_create", id: "1900000000000000001", created_timestamp: "1733000000000",
      message_create: {
        target: { recipient_id: "1000000000000000001" }, sender_id: "2000000000000000002",
        message_data: { text: "Where is my order?" },
      },
    }],
    users: { "2000000000000000002": { id: "2000000000000000002", name: "Ada", screen_name: "ada" } },
  });
  const signature = "sha256=" + createHmac("sha256", body.x.apiKeySecret ?? "").update(delivery).digest("base64");
  const delivered = await fetch(`${env("XCH_BASE")}/webhooks/x/${id}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-twitter-webhooks-signature": signature },
    body: delivery,
  });
  assert.equal(delivered.status, 200);

  const listed = await api.GET("/api/v1/channels/{id}/messages", {
    params: { path: { id }, query: { direction: "inbound", limit: 10 } },
  });
  assert.equal(listed.response.status, 200, JSON.stringify(listed.error));
  const messages: Message[] = listed.data?.items ?? [];
  assert.equal(messages.length, 1);
  const [message] = messages;
  assert.ok(message);
  assert.equal(message.xEventId, "1900000000000000001");
  assert.equal(message.direction, "inbound");
  assert.equal(message.text, "Where is my order?");
  assert.equal(message.sender.username, "ada");
  assert.equal(message.sentAt, "2024-11-30T20:53:20Z");
  assert.equal(listed.data?.nextCursor ?? null, null);

  const deleted = await api.DELETE("/api/v1/channels/{id}", { params: { path: { id } } });
  assert.equal(deleted.response.status, 204);
});

test("a channel's integration is submitted, read until it ends, and refused while verifying", async () => {
  const created = await api.POST("/api/v1/channels", { body: draft(`ts_integ_${run}`) });
  assert.equal(created.response.status, 201, JSON.stringify(created.error));
  const id = created.data!.id;
  assert.equal(created.data!.integration.status, "draft");
  assert.ok(created.data!.integration.webhookUrl?.endsWith(`/webhooks/x/${id}`));

  const submitted = await api.POST("/api/v1/channels/{id}/integration", { params: { path: { id } } });
  assert.equal(submitted.response.status, 202, JSON.stringify(submitted.error));
  assert.equal(submitted.data?.status, "verifying");
  const again = await api.POST("/api/v1/channels/{id}/integration", { params: { path: { id } } });
  // 409 while the first is verifying; 202 if it already ended (X is out of reach here).
  assert.ok([202, 409].includes(again.response.status), String(again.response.status));
  if (again.response.status === 409) assert.equal(again.error?.code, "integration_in_progress");

  // The service reaches no X here, so the integration ends failed with a stable code.
  let view: typeof submitted.data | undefined = submitted.data;
  for (let i = 0; i < 100 && view?.status === "verifying"; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    view = (await api.GET("/api/v1/channels/{id}/integration", { params: { path: { id } } })).data;
  }
  assert.equal(view?.status, "failed", JSON.stringify(view));
  assert.match(view?.lastError?.code ?? "", /^(x_|integration_)[a-z_]+$/);
  assert.ok(view?.nextStep);

  const crc = await api.GET("/webhooks/x/{channelId}", {
    params: { path: { channelId: id }, query: { crc_token: "crc-0123456789abcdef" } },
  });
  assert.equal(crc.response.status, 200);
  assert.match(crc.data?.response_token ?? "", /^sha256=[A-Za-z0-9+/]{43}=$/);

  const deleted = await api.DELETE("/api/v1/channels/{id}", { params: { path: { id } } });
  assert.equal(deleted.response.status, 204);
});

test("a tenant with a channel is kept with its counts, then deleted with everything it owns", async () => {
  const system = xchannel(env("XCH_BASE"), env("XCH_SYSTEM_TOKEN"));
  const tenant = await system.POST("/api/v1/tenants", { body: { name: `TS client ${run}` } });
  assert.equal(tenant.response.status, 201, JSON.stringify(tenant.error));
  assert.ok(tenant.data);
  const id = tenant.data.id;
  const again = await system.POST("/api/v1/tenants", { body: { name: `ts CLIENT ${run}` } });
  assert.equal(again.response.status, 409);
  assert.equal(again.error?.code, "tenant_name_taken");

  const minted = await system.POST("/api/v1/tokens", { body: { tenantId: id, role: "tenant-admin" } });
  assert.equal(minted.response.status, 201, JSON.stringify(minted.error));
  assert.ok(minted.data);
  const admin = xchannel(env("XCH_BASE"), minted.data.token);
  const ou = await admin.POST("/api/v1/ous", { body: { name: "Support" } });
  assert.ok(ou.data, JSON.stringify(ou.error));
  const route = await admin.POST("/api/v1/called-routes", {
    body: { name: "dm_queue", mediaType: "multimedia", ouId: ou.data.id },
  });
  assert.ok(route.data, JSON.stringify(route.error));
  const channel = await admin.POST("/api/v1/channels", {
    body: { ...draft(`ts_tenant_${run}`), ouId: ou.data.id, skillQueueId: route.data.id },
  });
  assert.equal(channel.response.status, 201, JSON.stringify(channel.error));

  const kept = await system.DELETE("/api/v1/tenants/{id}", { params: { path: { id } } });
  assert.equal(kept.response.status, 409);
  assert.equal(kept.error?.code, "tenant_in_use");
  assert.deepEqual(kept.error?.counts, { channels: 1, ous: 1, calledRoutes: 1, tokens: 1 });

  const deleted = await system.DELETE("/api/v1/tenants/{id}", {
    params: { path: { id }, query: { cascade: true } },
  });
  assert.equal(deleted.response.status, 204);
  const revoked = await admin.GET("/api/v1/channels", {});
  assert.equal(revoked.response.status, 401);
  const gone = await system.GET("/api/v1/tenants/{id}", { params: { path: { id } } });
  assert.equal(gone.response.status, 404);
});
