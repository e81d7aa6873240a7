#!/usr/bin/env python3
"""An example ERP consumer of the toolkit's outbound queue.

It long-polls the outbound queue, hands each exported document to the ERP over HTTP, and deletes
a message only once the ERP took its document. A document the ERP refuses (or cannot be reached
for) stays on the queue: SQS shows it again after the queue's visibility timeout, and after 5
receives the queue's redrive policy moves it to the outbound dead-letter queue, where the
`OutboundDeadLettersAlarm` reports it. Nothing is skipped silently: every message gets one line
on standard output saying what became of it.

    OUTBOUND_QUEUE_URL=https://sqs... ERP_URL=https://erp.example/b2b python3 consumer.py

The ERP side, as this example assumes it (change `route` for yours):

    PUT    {ERP_URL}/orders/{id}             an order (`data`: the order, its lines, addresses)
    PUT    {ERP_URL}/orders/{id}/parts/{n}   part n of an order split under SQS's size limit
    PUT    {ERP_URL}/orders/{id}/pointer     an order too large to send: fetch it yourself
    DELETE {ERP_URL}/orders/{id}             a tombstone: the order was deleted or archived

and the same for quotes (`/quotes`), companies (`/customers`), payments, receipts and shopping
lists. Any 2xx answer means "taken". PUTs are idempotent on the ERP side, so a document
delivered twice (SQS delivers at least once) is harmless; this process also drops a document
whose `dedupe_key` it already handed over. A real consumer keeps those keys with the ERP's own
write (same transaction), so that a restart does not forget them.

Options (or the environment variables in brackets):

    --queue-url URL     the stack output OutboundQueueUrl [OUTBOUND_QUEUE_URL]
    --erp-url URL       the ERP's base URL [ERP_URL]
    --wait SECONDS      long-poll wait, 1..20 (default 20)
    --until-empty       stop after a receive that returns nothing (a cron job, or a test);
                        the exit status is then 3 when a document was left on the queue
    --retry-after S     show a refused message again after S seconds instead of the queue's
                        visibility timeout (300 s in the template)

[ERP_TOKEN], when set, is sent as `Authorization: Bearer ...` and never printed. AWS credentials
come from the usual places (boto3); the region from [AWS_REGION], else boto3's configuration.
The consumer needs sqs:ReceiveMessage, sqs:DeleteMessage (and sqs:ChangeMessageVisibility for
--retry-after) on the queue, and kms:Decrypt on the stack's key (docs/erp/index.md has the
policy).
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.request

import boto3

# The ERP's collection for each document type.
COLLECTIONS = {
    "order": "orders",
    "quote": "quotes",
    "company": "customers",
    "payment": "payments",
    "receipt": "receipts",
    "shopping_list": "shopping-lists",
}

# Exit status of an --until-empty run that left a document on the queue.
LEFT_ON_QUEUE = 3


class Refused(Exception):
    """A document this consumer or the ERP did not take; its message stays on the queue."""


def route(doc):
    """The ERP request for one exported document: (method, path, body or None)."""
    if not isinstance(doc, dict):
        raise Refused("not a JSON object")
    kind = doc.get("type")
    if doc.get("version") != 1:
        raise Refused(f"document version {doc.get('version')!r} is not 1")
    collection = COLLECTIONS.get(kind)
    if collection is None:
        raise Refused(f"unknown document type {kind!r}")
    ident = doc.get("id")
    if not isinstance(ident, int):
        raise Refused(f"{kind} without an integer id")
    base = f"/{collection}/{ident}"
    if "deleted" in doc:
        return "DELETE", base, None
    if "too_large" in doc:
        # No data: the whole document is in the archive (too_large.archive_key), or, without
        # an archive, the ERP reads the entity from BigCommerce.
        return "PUT", f"{base}/pointer", doc
    part = doc.get("part")
    if part is not None:
        # [n, parts]: each part has the document's other fields and a slice of its largest
        # list; the ERP assembles the entity once it holds every part.
        return "PUT", f"{base}/parts/{part[0]}", doc
    return "PUT", base, doc


def describe(doc):
    """How a printed line names a document: `order 12`, `order 12 part 1/3`."""
    name = f"{doc.get('type')} {doc.get('id')}"
    if isinstance(doc.get("part"), list):
        name += f" part {doc['part'][0]}/{doc['part'][1]}"
    if "deleted" in doc:
        name += " (deleted)"
    if "too_large" in doc:
        name += " (too large: a pointer)"
    return name


class Erp:
    """The ERP's HTTP API: one request per document; raises Refused unless it answers 2xx."""

    def __init__(self, base_url, token=None, timeout=30):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def send(self, method, path, body):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return answer.status
        except urllib.error.HTTPError as e:
            raise Refused(f"the ERP answered {e.code} to {method} {path}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            raise Refused(f"the ERP could not be reached for {method} {path}: {e}") from None


class Consumer:
    """Reads the outbound queue and hands each document to the ERP."""

    def __init__(self, sqs, queue_url, erp, wait, retry_after=None):
        self.sqs = sqs
        self.queue_url = queue_url
        self.erp = erp
        self.wait = wait
        self.retry_after = retry_after
        # Document keys handed over by this process: (dedupe_key, part).
        self.seen = set()
        self.left = 0

    def receive(self):
        """One long poll: up to 10 messages."""
        answer = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=self.wait,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        return answer.get("Messages", [])

    def handle(self, message):
        """One message: the ERP takes its document and it is deleted, or it stays."""
        receives = message.get("Attributes", {}).get("ApproximateReceiveCount", "?")
        try:
            doc = json.loads(message["Body"])
        except ValueError:
            return self.leave(message, f"message {message['MessageId']}", "not JSON", receives)
        name = describe(doc) if isinstance(doc, dict) else f"message {message['MessageId']}"
        try:
            method, path, body = route(doc)
            key = (doc.get("dedupe_key"), json.dumps(doc.get("part")))
            if key in self.seen:
                print(f"repeat {name} ({doc.get('dedupe_key')}): dropped", flush=True)
            else:
                self.erp.send(method, path, body)
                self.seen.add(key)
                print(f"taken {name}: {method} {path}", flush=True)
        except Refused as e:
            return self.leave(message, name, str(e), receives)
        # Deleted only now: the ERP has the document (or had it already).
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def leave(self, message, name, reason, receives):
        """Leaves a message on the queue for another try, then the dead-letter queue."""
        self.left += 1
        print(f"failed {name}: {reason}; left on the queue (receive {receives})", flush=True)
        if self.retry_after is not None:
            self.sqs.change_message_visibility(
                QueueUrl=self.queue_url,
                ReceiptHandle=message["ReceiptHandle"],
                VisibilityTimeout=self.retry_after,
            )

    def run(self, until_empty):
        """Polls until stopped, or until a receive returns nothing with `until_empty`."""
        while True:
            messages = self.receive()
            if not messages and until_empty:
                return
            for message in messages:
                self.handle(message)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Hands the toolkit's exported documents to an ERP.")
    p.add_argument("--queue-url", default=os.environ.get("OUTBOUND_QUEUE_URL"))
    p.add_argument("--erp-url", default=os.environ.get("ERP_URL"))
    p.add_argument("--wait", type=int, default=20, choices=range(1, 21), metavar="1..20")
    p.add_argument("--until-empty", action="store_true")
    p.add_argument("--retry-after", type=int, default=None, choices=range(0, 43201),
                   metavar="0..43200")
    args = p.parse_args(argv)
    for name, value in (("--queue-url (OUTBOUND_QUEUE_URL)", args.queue_url),
                        ("--erp-url (ERP_URL)", args.erp_url)):
        if not value:
            p.error(f"{name} is required")
    return args


def main(argv=None):
    args = parse_args(argv)
    # AWS_REGION as the AWS SDKs other than boto3 (and Lambda, ECS) set it; else boto3's own
    # configuration (AWS_DEFAULT_REGION, ~/.aws/config).
    sqs = boto3.client("sqs", region_name=os.environ.get("AWS_REGION") or None)
    consumer = Consumer(
        sqs,
        args.queue_url,
        Erp(args.erp_url, os.environ.get("ERP_TOKEN")),
        args.wait,
        args.retry_after,
    )
    try:
        consumer.run(args.until_empty)
    except KeyboardInterrupt:
        # A message being handled when stopped was not deleted: it comes back.
        print("stopped", flush=True)
    if args.until_empty and consumer.left:
        return LEFT_ON_QUEUE
    return 0


if __name__ == "__main__":
    sys.exit(main())
