#!/usr/bin/env python3
"""Helpers of bench/run (standard library only).

  bench.py sign SECRET TEXT                  sha256=<base64 HMAC-SHA256(TEXT)>
  bench.py deliveries PREFIX COUNT THREADS SECRET FOR_USER_ID
                                             pool files PREFIX.1..THREADS of signed deliveries
  bench.py count-messages BASE TOKEN CHANNEL messages stored for a channel, or "unavailable"
  bench.py markdown RESULTS BENCHMARKS.md    rewrites the bench/run part of BENCHMARKS.md
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.request

START = "<!-- bench/run writes from here to the end marker; edit outside it -->"
END = "<!-- end of what bench/run writes -->"


def sign(secret, data):
    digest = hmac.new(secret.encode(), data, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


TEXT = ("Hello, my order 12345 has not arrived yet and I would like to know where it is. " * 8)[:530]


def delivery(for_user_id, event_id, sender, created_ms):
    """An Account Activity delivery of one direct message, in X's documented shape (~1 KB)."""
    sender_id = str(3000000000000000000 + sender)
    return {
        "for_user_id": for_user_id,
        "direct_message_events": [{
            "type": "message_create",
            "id": event_id,
            "created_timestamp": str(created_ms),
            "message_create": {
                "target": {"recipient_id": for_user_id},
                "sender_id": sender_id,
                "message_data": {"text": TEXT, "entities": {
                    "hashtags": [], "symbols": [], "user_mentions": [], "urls": []}},
            },
        }],
        "users": {sender_id: {"id": sender_id, "name": f"Customer {sender}",
                              "screen_name": f"customer_{sender}", "protected": False,
                              "verified": False}},
    }


def deliveries(prefix, count, threads, secret, for_user_id):
    """Writes COUNT deliveries with distinct event ids, round-robin over THREADS files."""
    files = [open(f"{prefix}.{t + 1}", "w") for t in range(threads)]
    now = int(time.time() * 1000)
    size = 0
    for i in range(count):
        body = json.dumps(delivery(for_user_id, str(1900000000000000000 + i), i % 97, now - i),
                          separators=(",", ":")).encode()
        size = len(body)
        files[i % threads].write(f"{sign(secret, body)}\t{body.decode()}\n")
    for f in files:
        f.close()
    print(size)


def count_messages(base, token, channel):
    """Pages through GET /api/v1/channels/{id}/messages; 'unavailable' when it is not served."""
    total, cursor = 0, None
    for _ in range(5000):
        url = f"{base}/api/v1/channels/{channel}/messages?limit=200"
        if cursor:
            url += "&cursor=" + urllib.parse.quote(cursor)
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                page = json.load(answer)
        except urllib.error.HTTPError as error:
            print(f"unavailable (GET messages answered {error.code})")
            return
        items = page.get("items") or page.get("data") or []
        total += len(items)
        cursor = page.get("nextCursor")
        if not cursor:
            break
    print(total)


# ---------------------------------------------------------------- BENCHMARKS.md


def load(results, group, name):
    path = os.path.join(results, group, name + ".json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return None


def note(results, group, name):
    path = os.path.join(results, group, name + ".note")
    if os.path.exists(path):
        with open(path) as f:
            return f.read().strip()
    return None


def rps(run):
    return f"{run['rps']:,.0f}"


def ms(us):
    return f"{us / 1000:.1f}" if us < 100000 else f"{us / 1000:.0f}"


def latency(run):
    return f"{ms(run['p50_us'])} / {ms(run['p99_us'])} ms"


def ratio(run, reference):
    if not run or not reference or not reference["rps"]:
        return "–"
    return f"{run['rps'] / reference['rps']:.2f}x"


def errors(run):
    bad = []
    if run.get("status_errors"):
        bad.append(f"{run['status_errors']:,} answers >= 400")
    if run.get("socket_errors"):
        bad.append(f"{run['socket_errors']:,} socket errors")
    if run.get("pool_wraps"):
        bad.append(f"pool ran out {run['pool_wraps']} times (later deliveries were duplicates)")
    return "; ".join(bad)


# (name of the run, what it measures, reference runs it is compared with)
ENDPOINTS = [
    ("healthz", "`GET /healthz`", ["hello"]),
    ("get_channel", "`GET /api/v1/channels/{id}`", ["hello"]),
    ("put_channel", "`PUT /api/v1/channels/{id}`", ["hello"]),
    ("post_channel", "`POST /api/v1/channels`", ["hello"]),
    ("crc", "`GET /webhooks/x/{id}?crc_token=` (CRC)", ["crc", "autohook_crc"]),
    ("delivery", "`POST /webhooks/x/{id}` (signed delivery, stored)", ["delivery"]),
]

REFERENCES = [
    ("hello", "hello: `GET /healthz`, `{\"status\":\"ok\"}`"),
    ("crc", "CRC answer with a fixed key"),
    ("delivery", "verify and parse a signed delivery, no storage"),
    ("autohook_crc", "twitter-autohook `startServer`, CRC (Node.js, one process)"),
]

SHORT = {"hello": "hello", "crc": "CRC", "autohook_crc": "twitter-autohook CRC",
         "delivery": "verify and parse"}

BACKENDS = [("sqlite", "SQLite"), ("postgres", "PostgreSQL")]


def markdown(results, target):
    meta = {}
    with open(os.path.join(results, "meta.txt")) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            meta[key] = value
    backends = [(b, label) for b, label in BACKENDS if os.path.isdir(os.path.join(results, b))]
    out = [START, "", "## Service endpoints against the reference handlers", ""]
    shared = meta.get("other_builds_max", "0") != "0"
    out.append(
        f"`bench/run`, {meta['date']}, commit `{meta['commit']}`{meta.get('dirty', '')}. "
        f"Machine: {meta['nproc']} cores (`nproc`), {meta['cpu']}, {meta['memory']} memory, "
        f"{meta['kernel']}; {meta['rustc']}; PostgreSQL {meta['postgres']}; wrk {meta['wrk']}; "
        f"Node.js {meta['node']}. "
        f"wrk with {meta['threads']} threads and {meta['connections']} connections, "
        f"{meta['duration']} per run, loopback; the service ({meta['binary']}, "
        f"{meta['binary_size']}), the references, wrk and PostgreSQL share the machine's cores. "
        f"Load average (1, 5, 15 min) when the run began: {meta['load_start']}; at its end: "
        f"{meta['load_end']}; the 1-minute figure averaged {meta.get('load_mean', '?')} over the "
        "run."
    )
    out.append("")
    # The run alone (wrk, the server, PostgreSQL on 2 cores) averages about 2 to 3.6.
    busy = float(meta.get("load_mean", "0") or 0) > 4
    if shared:
        seen = [f"up to {meta['other_builds_max']} `rustc` processes of other builds at "
                f"once, in {meta['other_builds_samples']} of {meta['samples']} samples "
                "(one every 2 s)"]
        if busy:
            seen.append(f"a 1-minute load average of {meta['load_mean']} on average, where this "
                        "run alone keeps it between 2 and 3.6")
        out.append("**Other builds shared the machine during this run**: " + "; ".join(seen) +
                   ". The figures are lower and noisier than on an idle machine; the ratios, "
                   "measured a minute or two apart, carry that noise too.")
    elif busy:
        out.append(f"No other build ran during this run (no `rustc` process in {meta['samples']} "
                   f"samples, one every 2 s), but the 1-minute load average was "
                   f"{meta['load_mean']} on average, where this run alone keeps it between 2 "
                   "and 3.6: something else was busy, and the figures are noisier.")
    else:
        out.append(f"No other build ran during this run (no `rustc` process in {meta['samples']} "
                   "samples, one every 2 s).")
    out.append("")
    out.append("Each figure is requests/s (p50 / p99 latency) and, beside it, its ratio to the "
               "reference handler of `bench/reference/` named in the last column, measured in "
               "the same run just before that database's runs (table below).")
    out.append("")
    head = "| Endpoint |"
    rule = "|---|"
    for _, label in backends:
        head += f" {label} | x reference |"
        rule += "---|---|"
    out += [head + " Reference |", rule + "---|"]
    notes = []
    for name, label, refs in ENDPOINTS:
        row = f"| {label} |"
        for backend, blabel in backends:
            run = load(results, backend, name)
            if run:
                row += f" {rps(run)} ({latency(run)}) |"
                row += " " + ", ".join(
                    f"{ratio(run, load(results, 'reference-' + backend, r))}" for r in refs) + " |"
                bad = errors(run)
                if bad:
                    notes.append(f"{label} on {blabel}: {bad}.")
            else:
                why = note(results, backend, name) or "not run"
                row += f" not available | – |"
                notes.append(f"{label} on {blabel}: not available ({why}).")
            extra = note(results, backend, name + "_stored")
            if extra:
                notes.append(f"{label} on {blabel}: {extra}.")
        row += " " + ", ".join(SHORT[r] for r in refs) + " |"
        out.append(row)
    out.append("")
    cold = [f"{blabel} {note(results, b, 'cold_start_ms')} ms" for b, blabel in backends
            if note(results, b, "cold_start_ms")]
    if cold:
        out.append("Cold start (from `exec` of `xchannel serve` on an empty data directory or "
                   "database to the first 200 of `/readyz`: database created and migrated, "
                   "master key generated): " + ", ".join(cold) + ".")
        out.append("")
    for backend, blabel in backends:
        integration = note(results, backend, "integration")
        if integration:
            out.append(f"Integration of the webhook channel against the fake X on {blabel}: "
                       f"{integration}.")
    out.append("")
    if notes:
        out.append("Where not every answer was 2xx, or an endpoint was not there:")
        out.append("")
        out += [f"- {n}" for n in notes]
        out.append("")
    out.append("The bars the issues set, on these figures:")
    out.append("")
    for backend, blabel in backends:
        ref = f"reference-{backend}"
        crc = load(results, backend, "crc")
        if crc:
            a = crc["rps"] / load(results, ref, "crc")["rps"]
            b = crc["rps"] / load(results, ref, "autohook_crc")["rps"]
            ok = "met" if a >= 0.8 and b >= 4 else "NOT met"
            out.append(f"- CRC on {blabel}, at least 0.8x the CRC reference and 4x "
                       f"twitter-autohook (issue 14): {a:.2f}x and {b:.1f}x, {ok}.")
        else:
            out.append(f"- CRC on {blabel} (issue 14): not measured, the service does not "
                       "answer it yet.")
        dl = load(results, backend, "delivery")
        bar = 0.5 if backend == "sqlite" else 0.25
        if dl:
            a = dl["rps"] / load(results, ref, "delivery")["rps"]
            ok = "met" if a >= bar and dl["p99_us"] < 20000 else "NOT met"
            out.append(f"- Deliveries on {blabel}, at least {bar}x verify-and-parse with p99 "
                       f"under 20 ms (issue 15): {a:.2f}x, p99 {ms(dl['p99_us'])} ms, {ok}.")
        else:
            out.append(f"- Deliveries on {blabel} (issue 15): not measured, the service does "
                       "not answer them yet.")
    out.append("")
    out.append("The references (`bench/reference/`, a standalone actix-web crate built in "
               "release like the service, and `bench/autohook/`), requests/s (p50 / p99):")
    out.append("")
    head, rule = "| Reference |", "|---|"
    for _, label in backends:
        head += f" before the {label} runs |"
        rule += "---|"
    out += [head, rule]
    for name, label in REFERENCES:
        row = f"| {label} |"
        for backend, _ in backends:
            run = load(results, "reference-" + backend, name)
            row += f" {rps(run)} ({latency(run)}) |" if run else " – |"
        out.append(row)
    out.append("")
    out.append(
        f"The deliveries are {meta.get('delivery_bytes', '?')} bytes, one direct message "
        "each, every request a distinct event (a pool of "
        f"{meta.get('delivery_pool', '?')} written before the run, read one line per request); "
        "`POST /api/v1/channels` creates a distinct, fully valid channel per request; `PUT` "
        f"spreads its requests over {meta.get('put_channels', '?')} channels with `If-Match: *`.")
    out.append("")
    out.append("To run it again (builds the release binary and the references first; needs "
               "wrk, Node.js and PostgreSQL at `127.0.0.1:5432`):")
    out.append("")
    out.append("```")
    out.append("bench/run      # knobs: DURATION=10s CONNECTIONS=64 THREADS=2 BACKENDS=\"sqlite postgres\"")
    out.append("```")
    out.append("")
    out.append(END)

    text = open(target).read() if os.path.exists(target) else "# Benchmarks\n\n"
    block = "\n".join(out)
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(target, "w") as f:
        f.write(text)


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "sign":
        print(sign(args[0], args[1].encode()))
    elif command == "deliveries":
        deliveries(args[0], int(args[1]), int(args[2]), args[3], args[4])
    elif command == "count-messages":
        count_messages(*args)
    elif command == "markdown":
        markdown(*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    import urllib.parse  # noqa: F401  (count_messages quotes cursors)
    main()
