"""Gives a fresh service the references the contract checks need, through its own API.

    python3 seed.py BASE SYSTEM_TOKEN OUT_DIR            # the references
    python3 seed.py BASE SYSTEM_TOKEN OUT_DIR --spares   # fresh ones to delete

Creates a tenant with an OU (and one below it), a multimedia and a voice called route, a
channel with one message (a signed delivery) and the conversation it opened, an export task, a certificate and a tenant administrator and a tenant user token, then writes
`OUT_DIR/refs.env` (shell assignments: XCH_TENANT, XCH_OU, ...: scripts/contract.sh puts
them where schemathesis.toml says `@XCH_...@`) and one schemathesis dictionary per kind
of id (`OUT_DIR/refs/<kind>.dict`), so the fuzzer sends ids that exist as well as ids it
makes up. The delete operations (tenants' too) draw from `spare-<kind>.dict`
instead: resources made for them, renewed before each run, so deleting one leaves the
references of the other operations in place. Standard library only.
"""

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request


def call(base, token, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raise SystemExit(f"seed: {method} {path} answered {error.code}: {error.read().decode()}")


SEED_SECRET = "seed-api-key-secret"


def deliver(base, channel_id, event_id, text):
    """A direct message delivered as X does: the body signed with the channel's API key secret."""
    body = json.dumps({
        "for_user_id": "1000000000000000001",
        "direct_message_events": [{
            "type": "message_create", "id": event_id, "created_timestamp": "1733000000000",
            "message_create": {"target": {"recipient_id": "1000000000000000001"}, "sender_id": "2000000000000000002",
                               "message_data": {"text": text}}}],
        "users": {"2000000000000000002": {"id": "2000000000000000002", "name": "Seed Customer", "screen_name": "seed_customer"}},
    }).encode()
    tag = hmac.new(SEED_SECRET.encode(), body, hashlib.sha256).digest()
    request = urllib.request.Request(f"{base}/webhooks/x/{channel_id}", data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("x-twitter-webhooks-signature", "sha256=" + base64.b64encode(tag).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    except urllib.error.HTTPError as error:
        raise SystemExit(f"seed: the delivery to {channel_id} answered {error.code}: {error.read().decode()}")


def self_signed_pem(name="xchannel contract seed"):
    """A throwaway CA certificate to upload, made by the openssl command."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", os.path.join(tmp, "key.pem"), "-out", os.path.join(tmp, "cert.pem"),
             "-days", "30", "-subj", f"/CN={name}"],
            check=True, capture_output=True,
        )
        with open(os.path.join(tmp, "cert.pem")) as f:
            return f.read()


def channel_body(name, ou, queue):
    return {
        "name": name, "type": "x",
        "x": {"apiKey": f"{name}ApiKey", "apiKeySecret": SEED_SECRET, "accessToken": "1-seed-access-token",
              "accessTokenSecret": "seed-access-token-secret", "accountLevel": "enterprise", "signatureAlgorithm": "SHA-256"},
        "ouId": ou, "skillQueueId": queue, "transferKeywords": ["agent"],
        "robot": {"intelligentRobot": {"enabled": True, "robotId": "bot-1"}, "robotAssistant": {"enabled": False}},
    }


def write_dictionaries(out, dictionaries):
    os.makedirs(os.path.join(out, "refs"), exist_ok=True)
    for kind, values in dictionaries.items():
        with open(os.path.join(out, "refs", f"{kind}.dict"), "w") as f:
            f.writelines(f'"{v}"\n' for v in values)


def read_refs(out):
    with open(os.path.join(out, "refs.env")) as f:
        return {k: v.strip("'") for k, v in (line.rstrip("\n").split("=", 1) for line in f if "=" in line)}


def spares(base, system, out, count=3):
    refs = read_refs(out)
    admin, ou = refs["XCH_ADMIN_TOKEN"], refs["XCH_OU"]
    tag = os.urandom(4).hex()
    made = {k: [] for k in ("spare-channel", "spare-route", "spare-ou", "spare-certificate", "spare-token", "spare-tenant", "spare-export")}
    for i in range(count):
        spare_ou = call(base, admin, "POST", "/api/v1/ous", {"name": f"spare {tag} {i}", "parentId": ou})
        made["spare-ou"].append(spare_ou["id"])
        route = call(base, admin, "POST", "/api/v1/called-routes", {"name": f"spare_{tag}_{i}", "mediaType": "multimedia", "ouId": ou})
        made["spare-route"].append(route["id"])
        channel = call(base, admin, "POST", "/api/v1/channels", channel_body(f"spare_{tag}_{i}", ou, refs["XCH_QUEUE"]))
        made["spare-channel"].append(channel["id"])
        certificate = call(base, system, "POST", "/api/v1/certificates", {"name": f"spare {tag} {i}", "pem": self_signed_pem(f"spare {tag} {i}")})
        made["spare-certificate"].append(certificate["id"])
        token = call(base, admin, "POST", "/api/v1/tokens", {"role": "tenant-user", "ouIds": [ou], "label": f"spare {tag} {i}"})
        made["spare-token"].append(token["id"])
        # A tenant to delete: the first with a channel (409 unless ?cascade=true), the
        # others with an OU and a token only.
        tenant = call(base, system, "POST", "/api/v1/tenants", {"name": f"Spare {tag} {i}"})
        tenant_admin = call(base, system, "POST", "/api/v1/tokens", {"tenantId": tenant["id"], "role": "tenant-admin"})
        tenant_ou = call(base, tenant_admin["token"], "POST", "/api/v1/ous", {"name": "Support"})
        if i == 0:
            tenant_route = call(base, tenant_admin["token"], "POST", "/api/v1/called-routes",
                                {"name": "dm_queue", "mediaType": "multimedia", "ouId": tenant_ou["id"]})
            call(base, tenant_admin["token"], "POST", "/api/v1/channels",
                 channel_body(f"spare_{tag}", tenant_ou["id"], tenant_route["id"]))
        made["spare-tenant"].append(tenant["id"])
        export = call(base, admin, "POST", "/api/v1/exports", {"compressionPassword": "Spare-export-1"})
        made["spare-export"].append(export["id"])
    write_dictionaries(out, made)


def main():
    base, system, out = sys.argv[1], sys.argv[2], sys.argv[3]
    if sys.argv[4:] == ["--spares"]:
        return spares(base, system, out)
    tenant = call(base, system, "POST", "/api/v1/tenants", {"name": "Contract", "timeZone": "Europe/Paris"})
    admin = call(base, system, "POST", "/api/v1/tokens", {"tenantId": tenant["id"], "role": "tenant-admin", "label": "contract admin"})
    ou = call(base, admin["token"], "POST", "/api/v1/ous", {"name": "Support"})
    child = call(base, admin["token"], "POST", "/api/v1/ous", {"name": "Support EMEA", "parentId": ou["id"]})
    route = call(base, admin["token"], "POST", "/api/v1/called-routes", {"name": "dm_queue", "mediaType": "multimedia", "ouId": ou["id"]})
    voice = call(base, admin["token"], "POST", "/api/v1/called-routes", {"name": "voice_queue", "mediaType": "voice", "ouId": child["id"]})
    user = call(base, admin["token"], "POST", "/api/v1/tokens", {"role": "tenant-user", "ouIds": [ou["id"]], "label": "contract user"})
    channel = call(base, admin["token"], "POST", "/api/v1/channels", channel_body("x_seed", ou["id"], route["id"]))
    certificate = call(base, system, "POST", "/api/v1/certificates", {"name": "contract seed", "pem": self_signed_pem()})
    deliver(base, channel["id"], "1800000000000000001", "Hello, I need help with my order")
    export = call(base, admin["token"], "POST", "/api/v1/exports", {"compressionPassword": "Contract-2026"})
    # The delivery opened a conversation (in `robot`: the seeded channel's robot is on).
    conversation = call(base, admin["token"], "GET", f"/api/v1/conversations?channelId={channel['id']}")["items"][0]

    refs = {
        "XCH_TENANT": tenant["id"],
        "XCH_ADMIN_TOKEN": admin["token"], "XCH_ADMIN_TOKEN_ID": admin["id"],
        "XCH_USER_TOKEN": user["token"], "XCH_USER_TOKEN_ID": user["id"],
        "XCH_OU": ou["id"], "XCH_CHILD_OU": child["id"],
        "XCH_QUEUE": route["id"], "XCH_VOICE_QUEUE": voice["id"],
        "XCH_CHANNEL": channel["id"], "XCH_CERTIFICATE": certificate["id"], "XCH_EXPORT": export["id"],
        # A certificate no schema can tell from any other string: the one the fuzzer
        # uploads (201, then 409), its newlines escaped for a TOML string.
        "XCH_PEM": self_signed_pem("contract upload").replace("\n", "\\n"),
    }
    with open(os.path.join(out, "refs.env"), "w") as f:
        f.writelines(f"{k}='{v}'\n" for k, v in refs.items())
    dictionaries = {
        "tenant": [tenant["id"]],
        "ou": [ou["id"], child["id"]],
        "route": [route["id"], voice["id"]],
        "queue": [route["id"]],
        "channel": [channel["id"]],
        "certificate": [certificate["id"]],
        "token": [user["id"]],
        "export": [export["id"]],
        "conversation": [conversation["id"]],
    }
    write_dictionaries(out, dictionaries)
    spares(base, system, out)


if __name__ == "__main__":
    main()
