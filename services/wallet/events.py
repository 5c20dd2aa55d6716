"""Wallet events, serialised in Python and written to the outbox by the ledger functions themselves.

kit.events.append costs one extra round trip (and a transaction around it) per event; the ledger path
instead hands the already-built envelopes to create_transfers / finish_pending, which insert them into
the same `outbox` table in the same statement. Without pg_notify on purpose: NOTIFY takes a database-wide
lock at commit that would serialise every payment; the relay's idle poll (0.2 s) picks the rows up.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from google.protobuf.message import Message

from ..gen.scanpay.common.v1.common_pb2 import Money
from ..gen.scanpay.wallet.v1 import events_pb2, wallet_pb2
from ..kit import tracing
from ..kit.events import outbox_row
from . import convert

PRODUCER = "wallet"
TRANSFER_POSTED = "transfer.posted"
TRANSFER_VOIDED = "transfer.voided"
TOPUP_SUCCEEDED = "topup.succeeded"
TOPUP_FAILED = "topup.failed"
ACCOUNT_FROZEN = "account.frozen"


@dataclass
class OutboxRows:
    """Events as arrays for the ledger functions' outbox insert."""

    ids: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    payloads: list[bytes] = field(default_factory=list)
    headers: str = field(default_factory=lambda: json.dumps(tracing.inject({})))

    def add(self, event_type: str, message: Message) -> None:
        row = outbox_row(PRODUCER, event_type, message, headers=self.headers)
        self.ids.append(row.event_id)
        self.subjects.append(row.subject)
        self.payloads.append(row.payload)


def transfer_posted(transfer: wallet_pb2.Transfer, now: datetime) -> events_pb2.TransferPosted:
    return events_pb2.TransferPosted(transfer=transfer, posted_at=convert.timestamp(now))


def transfer_voided(
    pending: Mapping[str, Any], void_transfer_id: str, expired: bool, now: datetime
) -> events_pb2.TransferVoided:
    return events_pb2.TransferVoided(
        pending_id=pending["id"], void_transfer_id=void_transfer_id, batch_id=pending["batch_id"],
        debit_account_id=pending["debit_account_id"], credit_account_id=pending["credit_account_id"],
        amount=Money(amount=pending["amount"], currency=pending["currency"]), reference=pending["reference"],
        expired=expired, voided_at=convert.timestamp(now),
    )


def topup_finished(row: Mapping[str, Any]) -> events_pb2.TopUpFinished:
    return events_pb2.TopUpFinished(top_up=convert.topup(row))


def account_frozen(row: Mapping[str, Any], now: datetime) -> events_pb2.AccountFrozen:
    return events_pb2.AccountFrozen(
        account_id=row["id"], kind=row["kind"], owner_id=row["owner_id"], reason=row["frozen_reason"],
        frozen_at=convert.timestamp(now),
    )
