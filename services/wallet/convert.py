"""Database rows and domain values to protobuf messages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from google.protobuf.timestamp_pb2 import Timestamp

from ..gen.scanpay.common.v1.common_pb2 import ErrorDetail, Money
from ..gen.scanpay.wallet.v1 import wallet_pb2
from ..kit.errors import InvalidArgument
from ..kit.proto import timestamp
from .domain import TYPE_PENDING, TYPE_SINGLE_PHASE, TransferSpec

if TYPE_CHECKING:
    from .store import BatchResult


def from_timestamp(value: Timestamp, present: bool, field: str) -> datetime | None:
    """None when unset; a timestamp outside 0001..9999 (or with bad nanos) is INVALID_ARGUMENT naming the field."""
    if not present:
        return None
    try:
        return value.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise InvalidArgument(f"{field} is not a valid timestamp", field=field) from None


def balance(row: Mapping[str, Any]) -> wallet_pb2.Balance:
    currency = row["currency"]
    posted, held = row["posted"], row["pending_debits"]
    return wallet_pb2.Balance(
        account_id=row["id"],
        posted=Money(amount=posted, currency=currency),
        pending=Money(amount=held, currency=currency),
        pending_credits=Money(amount=row["pending_credits"], currency=currency),
        available=Money(amount=posted - held, currency=currency),
    )


def account(row: Mapping[str, Any]) -> wallet_pb2.Account:
    return wallet_pb2.Account(
        id=row["id"], kind=row["kind"], owner_id=row["owner_id"], currency=row["currency"],
        allow_negative=row["allow_negative"], frozen=row["frozen"], frozen_reason=row["frozen_reason"],
        slots=row["slots"], balance=balance(row), created_at=timestamp(row["created_at"]),
    )


def transfer(row: Mapping[str, Any]) -> wallet_pb2.Transfer:
    currency = row["currency"]
    return wallet_pb2.Transfer(
        id=row["id"], batch_id=row["batch_id"], type=row["type"], state=row["state"],
        debit_account_id=row["debit_account_id"], credit_account_id=row["credit_account_id"],
        amount=Money(amount=row["amount"], currency=currency), code=row["code"], reference=row["reference"],
        metadata=row["metadata"], timeout_seconds=row["timeout_seconds"], pending_id=row["pending_id"] or "",
        posted_amount=Money(amount=row["posted_amount"], currency=currency),
        created_at=timestamp(row["created_at"]), expires_at=timestamp(row["expires_at"]),
        finished_by=row["finished_by"] or "",
    )


def batch_outcome(batch_id: str, result: BatchResult) -> wallet_pb2.BatchOutcome:
    if result.error is not None:
        error = result.error
        return wallet_pb2.BatchOutcome(batch_id=batch_id, error=wallet_pb2.BatchError(
            code=error.code.value[0], message=error.message,
            detail=ErrorDetail(reason=error.reason, field=error.field, metadata=error.metadata),
        ))
    return wallet_pb2.BatchOutcome(batch_id=batch_id, applied=wallet_pb2.CreateTransfersResponse(
        batch_id=batch_id, transfers=[transfer(r) for r in result.rows], replayed=result.replayed,
    ))


def planned_transfer(batch_id: str, spec: TransferSpec, now: datetime) -> wallet_pb2.Transfer:
    """The Transfer a batch will store, for the event written in the same statement."""
    kind = TYPE_PENDING if spec.pending else TYPE_SINGLE_PHASE
    return wallet_pb2.Transfer(
        id=spec.id, batch_id=batch_id, type=kind,
        state=wallet_pb2.TRANSFER_STATE_PENDING if spec.pending else wallet_pb2.TRANSFER_STATE_POSTED,
        debit_account_id=spec.debit_account_id, credit_account_id=spec.credit_account_id,
        amount=Money(amount=spec.amount, currency=spec.currency), code=spec.code, reference=spec.reference,
        metadata=spec.metadata, timeout_seconds=spec.timeout_seconds,
        posted_amount=Money(amount=0, currency=spec.currency), created_at=timestamp(now),
    )


def entry(row: Mapping[str, Any]) -> wallet_pb2.Entry:
    debit = row["side"] == "D"
    return wallet_pb2.Entry(
        transfer_id=row["id"], batch_id=row["batch_id"],
        direction=wallet_pb2.ENTRY_DIRECTION_DEBIT if debit else wallet_pb2.ENTRY_DIRECTION_CREDIT,
        amount=Money(amount=row["amount"], currency=row["currency"]),
        counterparty_account_id=row["credit_account_id"] if debit else row["debit_account_id"],
        type=row["type"], state=row["state"], code=row["code"], reference=row["reference"],
        created_at=timestamp(row["created_at"]),
    )


def card(row: Mapping[str, Any]) -> wallet_pb2.Card:
    return wallet_pb2.Card(
        id=row["id"], account_id=row["account_id"], last4=row["last4"], brand=row["brand"],
        holder_name=row["holder_name"], expiry=row["expiry"], created_at=timestamp(row["created_at"]),
    )


def topup(row: Mapping[str, Any]) -> wallet_pb2.CardTopUp:
    currency = row["currency"]
    return wallet_pb2.CardTopUp(
        request_id=row["request_id"], card_id=row["card_id"], account_id=row["account_id"],
        requested=Money(amount=row["requested"], currency=currency),
        charged=Money(amount=row["charged"], currency=currency), state=row["state"],
        failure_reason=row["failure_reason"], transfer_id=row["transfer_id"],
        created_at=timestamp(row["created_at"]), updated_at=timestamp(row["updated_at"]),
    )
