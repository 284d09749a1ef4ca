// A frontend's flow through the generated client, against a running service: create,
// read, edit with If-Match, list and delete a channel, read a 422's problem `code`, submit
// a channel's integration and read how it ended, and answer X's CRC challenge.
//
//   XCH_BASE=http://127.0.0.1:PORT XCH_TOKEN=<tenant admin> XCH_OU=<ou id> XCH_QUEUE=<route id> \
//   node --test dist/
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import { type ChannelDraft, type Problem, xchannel } from "./client.js";

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
