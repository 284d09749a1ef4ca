"""Writes COUNT signed ~1 KB Account Activity deliveries, one per line as
`<signature>\t<body>`, each with its own X event id, for bench/delivery.lua.

    python3 bench/sign_deliveries.py COUNT API_KEY_SECRET OUT_FILE [FIRST_EVENT_ID]

The signature is X's: `sha256=` + base64 HMAC-SHA256 of the body, keyed with the channel's
API key secret. Standard library only.
"""

import base64
import hashlib
import hmac
import json
import sys

ACCOUNT = "1000000000000000001"


def delivery(event_id):
    customer = str(2000000000000000000 + event_id % 5000)
    body = {
        "for_user_id": ACCOUNT,
        "direct_message_events": [{
            "type": "message_create",
            "id": str(event_id),
            "created_timestamp": str(1733000000000 + event_id),
            "message_create": {
                "target": {"recipient_id": ACCOUNT},
                "sender_id": customer,
                "message_data": {"text": "", "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []}},
            },
        }],
        "users": {
            customer: {"id": customer, "created_timestamp": "1422556069340", "name": "Jordan Brinks",
                       "screen_name": "furiouscamper", "location": "Boulder, CO", "protected": False,
                       "verified": False, "followers_count": 22, "friends_count": 45, "statuses_count": 494,
                       "profile_image_url_https": "https://pbs.twimg.com/profile_images/1/a.jpg"},
            ACCOUNT: {"id": ACCOUNT, "name": "Bench Contact Center", "screen_name": "bench_cc",
                      "protected": False, "verified": False},
        },
    }
    text = json.dumps(body, separators=(",", ":"))
    filler = "Hello, I need help with my order number %d, it has not arrived yet. " % event_id
    body["direct_message_events"][0]["message_create"]["message_data"]["text"] = (filler * 20)[: max(0, 1024 - len(text))]
    return json.dumps(body, separators=(",", ":")).encode()


def main():
    count, secret, out = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]
    first = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    with open(out, "wb") as f:
        for event_id in range(first, first + count):
            body = delivery(event_id)
            tag = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest())
            f.write(b"sha256=" + tag + b"\t" + body + b"\n")


if __name__ == "__main__":
    main()
