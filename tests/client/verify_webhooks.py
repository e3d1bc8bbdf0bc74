"""Verifies webhook deliveries with the stock Standard Webhooks library (`standardwebhooks` from
PyPI), as a merchant's developer would: `Webhook(secret).verify(body, headers)`.

Reads one JSON object from standard input: {"now": POSIX seconds, "checks": [{"secret", "id",
"timestamp", "signature", "body", "expect"}]}. `now` is the receiver's clock (the test server's
clock may be moved); each check says whether verification is expected to pass. Prints one line per
check and exits 1 when any came out otherwise.
"""

import json
import sys
from datetime import datetime, timezone

import standardwebhooks.webhooks as sw


def main() -> None:
    task = json.load(sys.stdin)
    now = datetime.fromtimestamp(task["now"], tz=timezone.utc)

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return now

    sw.datetime = Frozen
    wrong = 0
    for i, check in enumerate(task["checks"]):
        headers = {
            "webhook-id": check["id"],
            "webhook-timestamp": str(check["timestamp"]),
            "webhook-signature": check["signature"],
        }
        try:
            sw.Webhook(check["secret"]).verify(check["body"].encode(), headers)
            verified, why = True, "verified"
        except sw.WebhookVerificationError as e:
            verified, why = False, str(e)
        ok = verified == check["expect"]
        wrong += not ok
        print(f"{i}: {'ok' if ok else 'WRONG'} ({why}, expected {'pass' if check['expect'] else 'fail'})")
    sys.exit(1 if wrong else 0)


if __name__ == "__main__":
    main()
