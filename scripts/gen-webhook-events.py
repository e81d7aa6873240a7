#!/usr/bin/env python3
"""Writes the console-ready API Gateway HTTP API (payload v2) events of webhook-intake.

Webhook bodies are BigCommerce's own payloads from ../shared/specs/bigcommerce/docs/webhooks/
callbacks/data (core scopes) and the documented B2B Edition shapes. Credentials are the local
defaults of `make demo` (see docs/getting-started.md, "Running a function locally, and console events"). Run from the repository root:

    python3 scripts/gen-webhook-events.py
"""
import base64, hashlib, hmac, json, os, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPECS = os.environ.get("BC_SPECS_DIR", os.path.join(ROOT, "..", "shared", "specs", "bigcommerce"))
CALLBACKS = os.path.join(SPECS, "docs", "webhooks", "callbacks", "data")
OUT = os.path.join(ROOT, "functions", "webhook-intake", "events")

WEBHOOK_SECRET = "local-webhook-secret-0123456789abcdef"
CLIENT_SECRET = "local-client-secret-0123456789abcdef"
INBOUND_KEY = "local-inbound-key-0123456789abcdefgh"
SIGNED_AT = 1764160000  # tests verify these signatures as if received at this time


def event(method, path, body=None, headers=None):
    h = {"content-type": "application/json", "user-agent": "bigcommerce-webhooks/1.0"}
    h.update(headers or {})
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": h,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "local.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "local",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": h["user-agent"]},
            "requestId": "fixture",
            "routeKey": "$default",
            "stage": "$default",
            "time": "26/Nov/2026:12:00:00 +0000",
            "timeEpoch": SIGNED_AT * 1000,
        },
        **({"body": body, "isBase64Encoded": False} if body is not None else {"isBase64Encoded": False}),
    }


def callback(name):
    """A payload example of BigCommerce's docs, its `producer` placeholder (`stores/{store_hash}`)
    filled with the local store: webhook-intake refuses a delivery from a store it does not serve."""
    with open(os.path.join(CALLBACKS, name)) as f:
        payload = json.load(f)
    if payload.get("producer") == "stores/{store_hash}":
        payload["producer"] = "stores/abc123"
    return payload


def b2b(scope, data, h):
    return {"scope": scope, "store_id": "1025646", "data": data, "hash": h,
            "created_at": 1764159000, "producer": "stores/abc123"}


def signed(body, msg_id):
    sig = base64.b64encode(hmac.new(CLIENT_SECRET.encode(), f"{msg_id}.{SIGNED_AT}.{body}".encode(),
                                    hashlib.sha256).digest()).decode()
    return {"webhook-id": msg_id, "webhook-timestamp": str(SIGNED_AT), "webhook-signature": f"v1,{sig}"}


def write(name, ev):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(ev, f, indent=2)
        f.write("\n")


def main():
    if not os.path.isdir(CALLBACKS):
        sys.exit(f"specs not found at {CALLBACKS}")
    hook = "/webhooks/bigcommerce"
    auth = {"x-webhook-secret": WEBHOOK_SECRET}
    write("health.json", event("GET", "/health"))
    for scope_file in ["store_order_created.json", "store_order_updated.json",
                       "store_order_statusUpdated.json", "store_customer_created.json"]:
        body = json.dumps(callback(scope_file))
        write("webhook-" + scope_file.replace("store_", "").replace("_", "-"), event("POST", hook, body, auth))
    for name, scope, data, h in [
        ("company-created", "store/company/created", {"company_id": 1}, "b2b-company-created-1"),
        ("company-status-updated", "store/company/statusUpdated", {"company_id": 1}, "b2b-company-status-1"),
        ("company-user-created", "store/company/user/created", {"company_id": 1, "user_id": 2}, "b2b-user-created-2"),
        ("quote-created", "store/quote/created", {"quote_id": 3, "quote_uuid": "5e4c9a1e-0b3a-4f55-9a3c-0d2b0b7c4a11"}, "b2b-quote-created-3"),
    ]:
        write(f"webhook-b2b-{name}.json", event("POST", hook, json.dumps(b2b(scope, data, h)), auth))
    batch = {"scope": "store/priceList/record/updated", "store_id": "1025646",
             "data": [{"price_list_id": 3, "variant_id": 101, "currency": "usd"},
                      {"price_list_id": 3, "variant_id": 102, "currency": "usd"}],
             "hash": "pricelist-batch-1", "created_at": 1764159000, "producer": "stores/abc123"}
    write("webhook-batch-pricelist-records.json", event("POST", hook, json.dumps(batch), auth))
    unknown = b2b("store/somethingNew/happened", {"thing_id": 9}, "unknown-scope-1")
    write("webhook-unknown-scope.json", event("POST", hook, json.dumps(unknown), auth))
    body = json.dumps(callback("store_order_created.json"))
    write("webhook-signed-order-created.json", event("POST", hook, body, signed(body, "msg_fixture_1")))
    write("webhook-bad-secret.json", event("POST", hook, body, {"x-webhook-secret": "guess"}))
    write("webhook-malformed.json", event("POST", hook, '{"scope": "store/order/created", "data": ', auth))

    bearer = {"authorization": f"Bearer {INBOUND_KEY}"}
    company = {"type": "company.upsert", "version": 1, "store_hash": "abc123", "external_id": "C-1001",
               "company": {"name": "Acme Supply", "email": "ap@acme.example", "phone": "555-0100", "country": "US",
                           "address": {"line1": "1 Main St", "city": "Austin", "state": "Texas", "zip_code": "78701"},
                           "admin": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@acme.example"},
                           "extra_fields": {"erp_id": "C-1001"}, "status": "approved"}}
    user = {"type": "user.upsert", "version": 1, "store_hash": "abc123", "external_id": "U-77",
            "company_external_id": "C-1001",
            "user": {"first_name": "Grace", "last_name": "Hopper", "email": "grace@acme.example", "role": "senior_buyer"}}
    records = {"type": "pricelist.records.upsert", "version": 1, "store_hash": "abc123", "external_id": "PL-3-2026-11",
               "price_list_id": 3, "records": [{"sku": "BOLT-M8", "currency": "usd", "price": 0.42},
                                              {"sku": "NUT-M8", "currency": "usd", "price": 0.11}]}
    write("inbound-single.json", event("POST", "/inbound", json.dumps(company), bearer))
    write("inbound-batch.json", event("POST", "/inbound", json.dumps([company, user, records]), bearer))
    bad_user = dict(user, user=dict(user["user"], email="not-an-email"))
    write("inbound-invalid.json", event("POST", "/inbound", json.dumps([company, bad_user]), bearer))
    write("inbound-no-auth.json", event("POST", "/inbound", json.dumps(company)))


if __name__ == "__main__":
    main()
