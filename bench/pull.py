#!/usr/bin/env python3
"""The measuring half of bench/pull.sh: makes the Pro channels through the API with
their apps and accounts at the fake X, waits until every one is active, sets the fake X's
latency, lets the service pull for the measured window, then reads the fake X's log of
GET /2/dm_events calls and prints, as a Markdown table, how long each channel went
between two pulls (its account's calls; the window's start and end count as edges)."""

import argparse
import json
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def call(method, url, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=60) as answer:
        text = answer.read()
        return json.loads(text) if text else None


def channel_body(n, ou, queue, app):
    return {
        "name": f"pull_{n}", "type": "x",
        "x": {"apiKey": app["api_key"], "apiKeySecret": app["api_key_secret"],
              "accessToken": app["access_token"], "accessTokenSecret": app["access_token_secret"],
              "accountLevel": "pro", "signatureAlgorithm": "SHA-1"},
        "ouId": ou, "skillQueueId": queue, "transferKeywords": ["agent"],
        "workTime": {"workday": [{"start": "08:00", "end": "18:00"}],
                     "nonWorkday": [{"start": "10:00", "end": "16:00"}]},
        "nonWorkingTimeNotification": "We are closed now.",
        "queueReminder": {"mode": "all", "content": "Please wait.",
                          "progressContent": "You are number ${position}"},
        "callTransferInteractionTimes": 3,
        "more": {"lastAgentMode": {"enabled": True, "validHours": 24},
                 "sessionTransfer": {"enabled": True, "allowedTargets": ["agent", "skillQueue"]}},
        "robot": {"intelligentRobot": {"enabled": True, "robotId": "bot-1"},
                  "robotAssistant": {"enabled": False}},
    }


def make_channel(args, n, token, ou, queue):
    user_id = str(3_000_000_000_000_000_000 + n)
    key = f"pullbench{n:06d}"
    call("POST", f"{args.fake}/_fake/apps", body={"api_key": key, "api_key_secret": f"{key}-secret"})
    account = call("POST", f"{args.fake}/_fake/accounts", body={
        "api_key": key, "user_id": user_id, "username": f"desk{n}",
        "access_token": f"{user_id}-{key}", "access_token_secret": f"{key}-token-secret"})
    call("POST", f"{args.fake}/_fake/messages",
         body={"user_id": user_id, "sender_id": "2000000000000000002", "text": f"hello {n}"})
    app = {"api_key": key, "api_key_secret": f"{key}-secret",
           "access_token": account["access_token"], "access_token_secret": account["access_token_secret"]}
    channel = call("POST", f"{args.service}/api/v1/channels", token, channel_body(n, ou, queue, app))
    call("POST", f"{args.service}/api/v1/channels/{channel['id']}/integration", token)
    return user_id


def active_count(args):
    with urllib.request.urlopen(f"{args.service}/metrics", timeout=60) as answer:
        for line in answer.read().decode().splitlines():
            if line.startswith('xchannel_integrations_total{outcome="active"}'):
                return int(float(line.split()[-1]))
    return 0


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def main():
    parser = argparse.ArgumentParser()
    for flag in ("service", "fake", "token", "backend", "concurrency"):
        parser.add_argument(f"--{flag}", required=True)
    for flag in ("channels", "duration", "latency-ms", "interval"):
        parser.add_argument(f"--{flag}", type=int, required=True)
    args = parser.parse_args()

    system = args.token
    tenant = call("POST", f"{args.service}/api/v1/tenants", system, {"name": "pull-bench"})["id"]
    token = call("POST", f"{args.service}/api/v1/tokens", system,
                 {"tenantId": tenant, "role": "tenant-admin"})["token"]
    ou = call("POST", f"{args.service}/api/v1/ous", token, {"name": "bench"})["id"]
    queue = call("POST", f"{args.service}/api/v1/called-routes", token,
                 {"name": "bench", "mediaType": "multimedia", "ouId": ou})["id"]
    made = time.time()
    with ThreadPoolExecutor(16) as pool:
        users = list(pool.map(lambda n: make_channel(args, n, token, ou, queue), range(args.channels)))
    while active_count(args) < args.channels:
        if time.time() - made > 1800:
            sys.exit(f"only {active_count(args)} of {args.channels} channels became active")
        time.sleep(0.5)
    print(f"{args.channels} channels made and active in {time.time() - made:.0f} s", file=sys.stderr)

    call("PUT", f"{args.fake}/_fake/latency", body={"ms": args.latency_ms})
    start_ms = int(time.time() * 1000)
    time.sleep(args.duration)
    end_ms = int(time.time() * 1000)
    log = call("GET", f"{args.fake}/_fake/requests?path=/2/dm_events")

    calls = {user: [] for user in users}
    refused = 0
    for entry in log:
        if start_ms <= entry["at_ms"] <= end_ms and entry["user_id"] in calls:
            calls[entry["user_id"]].append(entry["at_ms"])
            refused += entry["status"] != 200
    gaps, late, never = [], 0, 0
    limit_ms = (args.interval + 1) * 1000
    for times in calls.values():
        if not times:
            never += 1
            gaps.append(end_ms - start_ms)
            continue
        edges = [start_ms] + sorted(times) + [end_ms]
        channel_gaps = [b - a for a, b in zip(edges, edges[1:])]
        gaps.extend(channel_gaps)
        late += max(channel_gaps) > limit_ms
    pulls = sum(len(t) for t in calls.values())
    seconds = (end_ms - start_ms) / 1000
    print(f"| Backend | Channels | X latency | Concurrency | Window | Pulls/s | Max gap | p99 gap | Channels over {args.interval + 1} s | Never pulled | Non-200 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {args.backend} | {args.channels} | {args.latency_ms} ms | {args.concurrency} | {seconds:.0f} s "
          f"| {pulls / seconds:.1f} | {max(gaps) / 1000:.1f} s | {percentile(gaps, 0.99) / 1000:.1f} s "
          f"| {late} | {never} | {refused} |")


if __name__ == "__main__":
    main()
