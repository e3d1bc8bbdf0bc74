"""Calls the partner API with the stock WeChat Pay API v3 Python SDK (`wechatpayv3`), changing
only its base URL and keys, as a merchant's developer would.

Usage: python wechatpay_sdk.py BASE_URL MCHID KEY_PEM_FILE SERIAL PLATFORM_PEM_FILE PLATFORM_KEY_ID
           STORE_ID MEMBER_CODE OFFER_ID
The SDK signs every request and verifies every 2xx answer's signature against our platform key (it
raises when one does not verify); the script prints the answers as one JSON object.
"""

import json
import sys
import uuid

from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.type import RequestType


def main() -> None:
    base, mchid, key_file, serial, platform_file, platform_id, store, code, offer = sys.argv[1:10]
    pay = WeChatPay(
        wechatpay_type=WeChatPayType.NATIVE,
        mchid=mchid,
        private_key=open(key_file).read(),
        cert_serial_no=serial,
        appid="wx0000000000000000",
        apiv3_key="0" * 32,
        public_key=open(platform_file).read(),
        public_key_id=platform_id,
        timeout=(5, 30),
    )
    # The SDK has no base-URL setting: its gateway address is an attribute.
    pay._core._gate_way = base.rstrip("/")
    core = pay._core
    out = {}

    status, body = core.request(
        "/v1/partner/member-codes/verify",
        method=RequestType.POST,
        data={"store_id": store, "member_code": code},
    )
    out["verify"] = {"status": status, "body": json.loads(body)}

    status, body = core.request(
        "/v1/partner/sales",
        method=RequestType.POST,
        data={
            "store_id": store,
            # The code was spent by the verification: the till goes on with its reference.
            "member_ref": out["verify"]["body"].get("member_ref"),
            "offer_id": offer,
            "original_fen": 12800,
            "till_ref": "POS-SDK/收银员 1",
            "channel": "pos",
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    out["sale"] = {"status": status, "body": json.loads(body)}
    sale = out["sale"]["body"]["id"]

    day = out["sale"]["body"]["sale_day"]
    status, body = core.request(f"/v1/partner/sales?from={day}&to={day}&limit=10")
    out["list"] = {"status": status, "body": json.loads(body)}

    status, body = core.request(
        f"/v1/partner/sales/{sale}/reversal",
        method=RequestType.POST,
        data={"till_ref": "POS-SDK"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    out["reversal"] = {"status": status, "body": json.loads(body)}

    # Errors are not signed and not verified: they come back as status and JSON.
    status, body = core.request("/v1/partner/sales/0193a2c4-8b00-7d11-8e21-6a7b8c9d0e1f")
    out["error"] = {"status": status, "body": json.loads(body)}
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
