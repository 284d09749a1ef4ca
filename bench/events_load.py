#!/usr/bin/env python3
"""Load client of bench/events.sh (standard library only): SSE clients connected to
GET /api/v1/events, signed deliveries at a fixed rate, and the time from each delivery's
200 to its `message.received` reaching each SSE client that follows its channel.

  events_load.py BASE SYSTEM_TOKEN --clients 500 --rate 1000 --duration 30 --channels 50

Setup through the API: a tenant, its administrator token, an OU, a multimedia route and
CHANNELS channels. Client i follows channel i mod CHANNELS (`?channelId=`: an agent desktop
watches its channel), so each delivery reaches CLIENTS/CHANNELS streams. Deliveries go
round-robin over the channels, paced to RATE per second over CONNECTIONS keep-alive
connections. SSE readers run in READERS processes, the deliveries in this one; the clock is
CLOCK_MONOTONIC, shared by the processes. Prints one JSON line of figures: latencies in ms
(p50/p90/p99/max) over every (delivery, client) receipt, receipts expected and seen,
deliveries sent and their statuses, and the delivery rate reached.
"""

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import multiprocessing
import os
import sys
import time
import urllib.request
import uuid
from urllib.parse import urlsplit

FOR_USER = "4337869213"


def call(base, method, path, token, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"null")


def setup(base, system_token, channels):
    run = uuid.uuid4().hex[:10]
    tenant = call(base, "POST", "/api/v1/tenants", system_token, {"name": f"Bench {run}"})
    admin = call(base, "POST", "/api/v1/tokens", system_token,
                 {"tenantId": tenant["id"], "role": "tenant-admin"})["token"]
    ou = call(base, "POST", "/api/v1/ous", admin, {"name": "Support"})["id"]
    queue = call(base, "POST", "/api/v1/called-routes", admin,
                 {"name": "dm_queue", "mediaType": "multimedia", "ouId": ou})["id"]
    made = []
    for n in range(channels):
        secret = f"aks{run}{n:04d}"
        body = {
            "name": f"bench_{run}_{n}", "type": "x",
            "x": {"apiKey": f"ak{run}{n:04d}", "apiKeySecret": secret,
                  "accessToken": f"1234-at{run}{n:04d}", "accessTokenSecret": f"ats{run}{n:04d}",
                  "accountLevel": "enterprise", "signatureAlgorithm": "SHA-256"},
            "ouId": ou, "skillQueueId": queue, "transferKeywords": ["agent"],
            "queueReminder": {"mode": "all", "content": "Please wait."},
            "robot": {"intelligentRobot": {"enabled": True, "robotId": "bot-1"},
                      "robotAssistant": {"enabled": False}},
        }
        made.append((call(base, "POST", "/api/v1/channels", admin, body)["id"], secret))
    return admin, made


def delivery(event_id, n):
    """One direct message in X's Account Activity shape (as bench/bench.py writes them)."""
    sender = str(3000000000000000000 + n % 10000)
    return json.dumps({
        "for_user_id": FOR_USER,
        "direct_message_events": [{
            "type": "message_create", "id": event_id,
            "created_timestamp": str(int(time.time() * 1000)),
            "message_create": {"target": {"recipient_id": FOR_USER}, "sender_id": sender,
                               "message_data": {"text": "Where is my order 12345?"}},
        }],
        "users": {sender: {"id": sender, "name": f"Customer {n}", "screen_name": f"customer_{n}"}},
    }, separators=(",", ":")).encode()


def sign(secret, body):
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return status


# --- SSE readers (child processes) -----------------------------------------------------

async def follow(host, port, path, token, ready, seen, stop_at):
    reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
    writer.write((f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
                  "Accept: text/event-stream\r\n\r\n").encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 200 " not in head.split(b"\r\n", 1)[0]:
        raise RuntimeError(f"stream refused: {head[:200]!r}")
    chunked = b"transfer-encoding: chunked" in head.lower()
    ready.set()
    buffer = b""
    marker = b'"xEventId":"'
    while time.monotonic() < stop_at:
        try:
            data = await asyncio.wait_for(reader.read(65536), timeout=max(0.1, stop_at - time.monotonic()))
        except asyncio.TimeoutError:
            break
        if not data:
            break
        now = time.monotonic()
        buffer += data
        # Chunk sizes of a chunked body sit on their own lines: no event line starts with them.
        while True:
            at = buffer.find(marker)
            if at < 0:
                buffer = buffer[-64:]
                break
            end = buffer.find(b'"', at + len(marker))
            if end < 0:
                buffer = buffer[at:]
                break
            seen.append((buffer[at + len(marker):end].decode(), now))
            buffer = buffer[end:]
    del chunked
    writer.close()


def reader_process(host, port, streams, token, stop_at, out_path, ready_counter):
    async def main():
        seen = []
        events = [asyncio.Event() for _ in streams]
        tasks = [asyncio.create_task(follow(host, port, path, token, ev, seen, stop_at))
                 for path, ev in zip(streams, events)]
        async def count_ready():
            for ev in events:
                await ev.wait()
                with ready_counter.get_lock():
                    ready_counter.value += 1
        counting = asyncio.create_task(count_ready())
        results = await asyncio.gather(*tasks, return_exceptions=True)
        counting.cancel()
        errors = [repr(r) for r in results if isinstance(r, Exception)]
        with open(out_path, "w") as out:
            json.dump({"seen": seen, "errors": errors[:5], "failed": len(errors)}, out)
    asyncio.run(main())


# --- deliveries (this process) ---------------------------------------------------------

async def deliver_all(host, port, planned, connections, rate):
    """Sends `planned` [(path, signature, body, event_id)] at `rate`/s; returns the 200s."""
    done = {}
    statuses = {}
    start = time.monotonic() + 0.2
    next_index = 0

    async def connection():
        nonlocal next_index
        reader, writer = await asyncio.open_connection(host, port)
        while next_index < len(planned):
            i = next_index
            next_index += 1
            path, signature, body, event_id = planned[i]
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            writer.write((f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                          f"x-twitter-webhooks-signature: {signature}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
                         + body)
            await writer.drain()
            status = await read_response(reader)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                done[event_id] = time.monotonic()
        writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return done, statuses, time.monotonic() - start


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("system_token")
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--out", default=".")
    args = parser.parse_args()
    url = urlsplit(args.base)
    host, port = url.hostname, url.port

    token, channels = setup(args.base, args.system_token, args.channels)
    count = int(args.rate * args.duration)
    run = uuid.uuid4().int % 10**12
    planned = []
    for i in range(count):
        channel_id, secret = channels[i % len(channels)]
        event_id = str(1_000_000_000_000_000_000 + run * 10**6 + i)
        body = delivery(event_id, i)
        planned.append((f"/webhooks/x/{channel_id}", sign(secret, body), body, event_id))
    followers = {}
    streams = []
    for c in range(args.clients):
        channel_id = channels[c % len(channels)][0]
        followers[channel_id] = followers.get(channel_id, 0) + 1
        streams.append(f"/api/v1/events?channelId={channel_id}&type=message.received")

    stop_at = time.monotonic() + 15 + args.duration + 10
    ready = multiprocessing.Value("i", 0)
    procs = []
    for r in range(args.readers):
        mine = streams[r::args.readers]
        out = os.path.join(args.out, f"sse-{r}.json")
        p = multiprocessing.Process(target=reader_process, args=(host, port, mine, token, stop_at, out, ready))
        p.start()
        procs.append((p, out))
    deadline = time.monotonic() + 15
    while ready.value < args.clients and time.monotonic() < deadline:
        time.sleep(0.05)
    connected = ready.value
    done, statuses, took = asyncio.run(deliver_all(host, port, planned, args.connections, args.rate))
    for p, _ in procs:
        p.join()
    channel_of = {event_id: path.rsplit("/", 1)[1] for path, _, _, event_id in planned}
    latencies = []
    seen_count = 0
    errors, failed = [], 0
    for _, out in procs:
        with open(out) as f:
            result = json.load(f)
        errors += result["errors"]
        failed += result["failed"]
        for event_id, at in result["seen"]:
            seen_count += 1
            if event_id in done:
                latencies.append((at - done[event_id]) * 1000)
    expected = sum(followers[channel_of[e]] for e in done)
    figures = {
        "clients": args.clients, "clients_connected": connected, "clients_failed": failed,
        "channels": args.channels, "rate_asked": args.rate, "duration_s": args.duration,
        "deliveries": count, "delivery_statuses": statuses,
        "delivery_rate": round(len(done) / took, 1) if took > 0 else None,
        "receipts_expected": expected, "receipts_seen": seen_count,
        "latency_ms": {k: (round(v, 2) if v is not None else None) for k, v in {
            "p50": percentile(latencies, 50), "p90": percentile(latencies, 90),
            "p99": percentile(latencies, 99), "max": max(latencies) if latencies else None}.items()},
        "stream_errors": errors,
    }
    print(json.dumps(figures))
    return 0 if seen_count == expected and connected == args.clients else 1


if __name__ == "__main__":
    sys.exit(main())
