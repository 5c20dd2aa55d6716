"""Pure wallet rules: validation of requests, account kinds, idempotent replay checks, page tokens, cards."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from ..gen.scanpay.wallet.v1 import wallet_pb2
from ..kit.errors import AlreadyExists, InvalidArgument, require

INT64_MAX = 2**63 - 1
MAX_BATCH = 64
# Each batch of a CreateTransferBatches call is one subtransaction. A backend keeps 64 subtransaction ids
# in shared memory; past that every snapshot in the database has to consult pg_subtrans (subxid overflow).
MAX_BATCHES = 64
MAX_TIMEOUT_SECONDS = 7 * 24 * 3600
MAX_ID_LENGTH = 128
MAX_METADATA_BYTES = 4096
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_CURRENCY = re.compile(r"^[A-Z]{3}$")

K = wallet_pb2
# Kinds whose balance may go below zero: the source of money and the marketing funding pool.
NEGATIVE_ALLOWED = {K.ACCOUNT_KIND_BANK_CLEARING, K.ACCOUNT_KIND_PLATFORM_MARKETING}
# Credit-heavy accounts whose balance is split over slot rows (docs/wallet.md "Hot accounts").
HOT_SLOTS = {K.ACCOUNT_KIND_MERCHANT_RECEIVABLE: 32, K.ACCOUNT_KIND_FEE_REVENUE: 32,
             K.ACCOUNT_KIND_MALL_COMMISSION_PAYABLE: 8}

TYPE_SINGLE_PHASE, TYPE_PENDING, TYPE_POST, TYPE_VOID = 1, 2, 3, 4
STATE_POSTED, STATE_PENDING, STATE_VOIDED, STATE_EXPIRED = 1, 2, 3, 4
ACTION_EXPIRE = 0


@dataclass(frozen=True)
class AccountRules:
    allow_negative: bool
    slots: int


def account_rules(kind: int) -> AccountRules:
    return AccountRules(allow_negative=kind in NEGATIVE_ALLOWED, slots=HOT_SLOTS.get(kind, 1))


def validate_kind(kind: int, field: str = "kind") -> None:
    require(kind in wallet_pb2.AccountKind.values() and kind != K.ACCOUNT_KIND_UNSPECIFIED, field,
            "an account kind is required")


def validate_currency(currency: str, field: str) -> None:
    require(bool(_CURRENCY.match(currency)), field, "an ISO 4217 code of three capital letters is required")


def validate_id(value: str, field: str) -> None:
    require(bool(value), field, "is required")
    require(len(value) <= MAX_ID_LENGTH, field, f"at most {MAX_ID_LENGTH} characters")


def validate_amount(amount: int, field: str) -> None:
    """Integer fen, strictly positive and within int64 (REST callers can send anything)."""
    require(isinstance(amount, int) and not isinstance(amount, bool), field, "must be an integer number of fen")
    require(amount > 0, field, "must be greater than zero")
    require(amount <= INT64_MAX, field, "exceeds the int64 range")


def validate_money(money: Any, has_money: bool, field: str) -> None:
    require(has_money, field, "is required")
    validate_amount(money.amount, f"{field}.amount")
    validate_currency(money.currency, f"{field}.currency")


@dataclass(frozen=True)
class TransferSpec:
    """One requested transfer, normalised; also the body compared on replay."""

    id: str
    debit_account_id: str
    credit_account_id: str
    amount: int
    currency: str
    code: int
    reference: str
    metadata: dict[str, str]
    pending: bool
    timeout_seconds: int


def parse_batch(batch_id: str, transfers: Sequence[Any]) -> list[TransferSpec]:
    """Validate a CreateTransfers request; InvalidArgument names the first bad field."""
    validate_id(batch_id, "batch_id")
    require(len(transfers) > 0, "transfers", "at least one transfer is required")
    require(len(transfers) <= MAX_BATCH, "transfers", f"at most {MAX_BATCH} transfers per batch")
    seen: set[str] = set()
    specs = []
    for i, t in enumerate(transfers):
        field = f"transfers[{i}]"
        validate_id(t.id, f"{field}.id")
        require(t.id not in seen, f"{field}.id", "appears twice in the batch")
        seen.add(t.id)
        validate_id(t.debit_account_id, f"{field}.debit_account_id")
        validate_id(t.credit_account_id, f"{field}.credit_account_id")
        require(t.debit_account_id != t.credit_account_id, f"{field}.credit_account_id",
                "must differ from debit_account_id")
        validate_money(t.amount, t.HasField("amount"), f"{field}.amount")
        require(t.timeout_seconds >= 0, f"{field}.timeout_seconds", "must not be negative")
        require(t.timeout_seconds <= MAX_TIMEOUT_SECONDS, f"{field}.timeout_seconds",
                f"at most {MAX_TIMEOUT_SECONDS}")
        require(t.pending or t.timeout_seconds == 0, f"{field}.timeout_seconds", "only a pending transfer times out")
        metadata = dict(t.metadata)
        require(len(json.dumps(metadata)) <= MAX_METADATA_BYTES, f"{field}.metadata",
                f"at most {MAX_METADATA_BYTES} bytes")
        specs.append(TransferSpec(t.id, t.debit_account_id, t.credit_account_id, t.amount.amount,
                                  t.amount.currency, t.code, t.reference, metadata, t.pending, t.timeout_seconds))
    return specs


def parse_batches(batches: Sequence[Any]) -> list[tuple[str, list[TransferSpec] | InvalidArgument]]:
    """Validate a CreateTransferBatches request: the call fails for a malformed list of batches, while a
    malformed batch only fails itself (its error names fields relative to the batch)."""
    require(len(batches) > 0, "batches", "at least one batch is required")
    require(len(batches) <= MAX_BATCHES, "batches", f"at most {MAX_BATCHES} batches per call")
    seen: set[str] = set()
    parsed: list[tuple[str, list[TransferSpec] | InvalidArgument]] = []
    for k, b in enumerate(batches):
        validate_id(b.batch_id, f"batches[{k}].batch_id")
        require(b.batch_id not in seen, f"batches[{k}].batch_id", "appears twice in the request")
        seen.add(b.batch_id)
        try:
            parsed.append((b.batch_id, parse_batch(b.batch_id, b.transfers)))
        except InvalidArgument as exc:
            parsed.append((b.batch_id, exc))
    return parsed


def stored_spec(row: Mapping[str, Any]) -> TransferSpec:
    metadata = row["metadata"]
    return TransferSpec(
        row["id"], row["debit_account_id"], row["credit_account_id"], row["amount"], row["currency"], row["code"],
        row["reference"], json.loads(metadata) if isinstance(metadata, str) else dict(metadata),
        row["type"] == TYPE_PENDING, row["timeout_seconds"],
    )


StoredRow = TypeVar("StoredRow", bound=Mapping[str, Any])
_COMPARED = ("debit_account_id", "credit_account_id", "amount", "currency", "code", "reference", "metadata",
             "pending", "timeout_seconds")
_FIELD_NAMES = {"amount": "amount.amount", "currency": "amount.currency"}


def check_replay(batch_id: str, requested: Sequence[TransferSpec], stored: Sequence[StoredRow]) -> list[StoredRow]:
    """Raise AlreadyExists naming the first field where `stored` differs from the request; else it is a replay
    and the batch's own stored rows (the answer to replay) come back."""
    by_id = {row["id"]: row for row in stored}
    for i, spec in enumerate(requested):
        row = by_id.get(spec.id)
        if row is not None and row["batch_id"] != batch_id:
            raise AlreadyExists(f"transfer {spec.id} belongs to batch {row['batch_id']}",
                                field=f"transfers[{i}].id", reason="TRANSFER_ID_REUSED")
    own = [row for row in stored if row["batch_id"] == batch_id]
    if len(own) != len(requested):
        raise AlreadyExists(f"batch {batch_id} was created with {len(own)} transfers", field="transfers",
                            reason="BATCH_ID_REUSED")
    for i, (spec, row) in enumerate(zip(requested, own)):
        if row["id"] != spec.id:
            raise AlreadyExists(f"batch {batch_id} has transfer {row['id']} at position {i}",
                                field=f"transfers[{i}].id", reason="BATCH_ID_REUSED")
        first = stored_spec(row)
        for name in _COMPARED:
            if getattr(first, name) != getattr(spec, name):
                raise AlreadyExists(f"transfer {spec.id} was created with another {name}",
                                    field=f"transfers[{i}].{_FIELD_NAMES.get(name, name)}",
                                    reason="TRANSFER_ID_REUSED")
    return own


def check_finish_replay(row: Mapping[str, Any], action: int, pending_id: str, amount: int | None) -> None:
    """A post/void transfer id seen before: the same request replays, another body is AlreadyExists."""
    if row["type"] != action:
        raise AlreadyExists(f"transfer {row['id']} exists and is not a {'post' if action == TYPE_POST else 'void'}",
                            field="transfer_id", reason="TRANSFER_ID_REUSED")
    if row["pending_id"] != pending_id:
        raise AlreadyExists(f"transfer {row['id']} finished pending transfer {row['pending_id']}",
                            field="pending_id", reason="TRANSFER_ID_REUSED")
    if action == TYPE_POST and amount is not None and row["amount"] != amount:
        raise AlreadyExists(f"transfer {row['id']} posted {row['amount']}", field="amount.amount",
                            reason="TRANSFER_ID_REUSED")


def shortfall(amount: int, available: int) -> int:
    """What a card must add so that `available` covers `amount`."""
    return max(0, amount - max(available, 0))


# --- pagination ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    created_at: datetime
    id: str


def page_size(requested: int) -> int:
    require(requested >= 0, "page.page_size", "must not be negative")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def encode_cursor(created_at: datetime, ident: str) -> str:
    raw = json.dumps([created_at.isoformat(), ident]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> Cursor | None:
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        stamp, ident = json.loads(raw)
        return Cursor(datetime.fromisoformat(stamp), str(ident))
    except (ValueError, TypeError) as exc:
        raise InvalidArgument("page.page_token: not a token this service issued", field="page.page_token") from exc


def time_range(start: datetime | None, end: datetime | None, required: bool) -> tuple[datetime, datetime]:
    if required:
        require(start is not None, "from", "is required")
        require(end is not None, "to", "is required")
    low = start or datetime(1970, 1, 1, tzinfo=UTC)
    high = end or datetime(9999, 1, 1, tzinfo=UTC)
    require(low < high, "to", "must be after from")
    return low, high


# --- cards ----------------------------------------------------------------------------------------------


def normalise_card_number(raw: str) -> str:
    digits = raw.replace(" ", "").replace("-", "")
    require(digits.isdigit() and 12 <= len(digits) <= 19, "card_number", "12 to 19 digits are required")
    require(luhn_valid(digits), "card_number", "fails the Luhn check")
    return digits


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_brand(digits: str) -> int:
    if digits.startswith("62"):
        return K.CARD_BRAND_UNIONPAY
    if digits.startswith("4"):
        return K.CARD_BRAND_VISA
    if digits[:2] in {"51", "52", "53", "54", "55"} or "2221" <= digits[:4] <= "2720":
        return K.CARD_BRAND_MASTERCARD
    return K.CARD_BRAND_UNSPECIFIED


def validate_expiry(expiry: str, today: datetime) -> None:
    match = re.fullmatch(r"(0[1-9]|1[0-2])/(\d{2})", expiry)
    require(match is not None, "expiry", "MM/YY is required")
    assert match is not None
    month, year = int(match.group(1)), 2000 + int(match.group(2))
    require((year, month) >= (today.year, today.month), "expiry", "the card has expired")


def mask(digits: str) -> str:
    """What may appear in a log: the last four digits only."""
    return f"****{digits[-4:]}"
