"""Replay dead-lettered scanpay events.

A consumer that fails an event max_deliver times (or finds it unreadable) copies it to `dlq.<consumer>` in
the DLQ stream, with headers Scanpay-Original-Subject and Scanpay-Dead-Reason. This republishes each such
message to the subject it came from and then deletes it from DLQ.

Run it inside a service pod, which has nats-py, the NATS address and its token (SCANPAY_NATS_URL):

  kubectl -n scanpay exec -i deploy/settlement -c settlement -- \
      python - --list < deploy/scripts/replay_dead_letters.py
  kubectl -n scanpay exec -i deploy/settlement -c settlement -- \
      python - settlement-clearing --dry-run < deploy/scripts/replay_dead_letters.py

Replaying is safe to repeat: every consumer records each event id in its inbox in the same transaction as
the effect, so consumers that already applied an event skip it and only the one that failed applies it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

import nats
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

DLQ_STREAM = "DLQ"
ORIGINAL_SUBJECT = "Scanpay-Original-Subject"
DEAD_REASON = "Scanpay-Dead-Reason"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="replay_dead_letters", description="Replay dlq.<consumer> messages."
    )
    parser.add_argument("consumer", nargs="?", help="the consumer whose dead letters to replay")
    parser.add_argument("--list", action="store_true", help="count dead letters per consumer and exit")
    parser.add_argument("--dry-run", action="store_true", help="show what would be replayed, change nothing")
    parser.add_argument("--limit", type=int, help="replay at most this many")
    args = parser.parse_args(argv)
    if not args.list and not args.consumer:
        parser.error("name a consumer, or use --list")
    return args


async def count_dead_letters(js: JetStreamContext) -> dict[str, int]:
    info = await js.stream_info(DLQ_STREAM, subjects_filter="dlq.>")
    return dict(sorted((info.state.subjects or {}).items()))


async def replay(js: JetStreamContext, consumer: str, dry_run: bool, limit: int | None) -> int:
    """Republish dlq.<consumer> in stream order; returns how many were (or would be) replayed."""
    subject, seq, replayed = f"dlq.{consumer}", 1, 0
    while limit is None or replayed < limit:
        try:
            message = await js.get_msg(DLQ_STREAM, seq=seq, subject=subject, next=True)
        except NotFoundError:
            break
        seq = message.seq + 1
        headers = dict(message.headers or {})
        original = headers.pop(ORIGINAL_SUBJECT, None)
        reason = headers.pop(DEAD_REASON, "")
        if original is None:
            print(f"#{message.seq}: no {ORIGINAL_SUBJECT} header, left in place", file=sys.stderr)
            continue
        print(f"#{message.seq} -> {original} (was: {reason})")
        if not dry_run:
            # No Nats-Msg-Id: the stream's duplicate window must not swallow it; the inboxes deduplicate.
            await js.publish(original, message.data, headers=headers or None)
            await js.delete_msg(DLQ_STREAM, message.seq)
        replayed += 1
    return replayed


async def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    nc = await nats.connect(os.environ.get("SCANPAY_NATS_URL", "nats://127.0.0.1:4222"), connect_timeout=5)
    try:
        js = nc.jetstream()
        if args.list:
            for dlq_subject, count in (await count_dead_letters(js)).items():
                print(f"{dlq_subject}: {count}")
            return 0
        replayed = await replay(js, args.consumer, args.dry_run, args.limit)
        print(f"{'would replay' if args.dry_run else 'replayed'} {replayed} from dlq.{args.consumer}")
        return 0
    finally:
        await nc.close()


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(sys.argv[1:])))
