"""Database rows to protobuf messages and protobuf enums to domain values."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import asyncpg
from google.protobuf import timestamp_pb2

from ..gen.scanpay.merchant.v1 import merchant_pb2 as pb
from ..kit.errors import InvalidArgument
from ..kit.proto import set_timestamp, timestamp
from . import domain
from .store import periods_from_json

MERCHANT_STATUS_TO_PB = {
    s: pb.MerchantStatus.Value(f"MERCHANT_STATUS_{s.value}") for s in domain.MerchantStatus
}
MERCHANT_STATUS_FROM_PB = {v: k for k, v in MERCHANT_STATUS_TO_PB.items()}
OWNER_KIND_TO_PB = {k: pb.OwnerKind.Value(f"OWNER_KIND_{k.value}") for k in domain.OwnerKind}
OWNER_KIND_FROM_PB = {v: k for k, v in OWNER_KIND_TO_PB.items()}
CREDENTIAL_STATUS_TO_PB = {
    s: pb.CredentialStatus.Value(f"CREDENTIAL_STATUS_{s.value}") for s in domain.CredentialStatus
}
STORE_STATUS = {"ACTIVE": pb.STORE_STATUS_ACTIVE, "INACTIVE": pb.STORE_STATUS_INACTIVE}
STORE_STATUS_FROM_PB = {v: k for k, v in STORE_STATUS.items()}
PARTNER_STATUS = {"ACTIVE": pb.PARTNER_STATUS_ACTIVE, "SUSPENDED": pb.PARTNER_STATUS_SUSPENDED}
PARTNER_STATUS_FROM_PB = {v: k for k, v in PARTNER_STATUS.items()}


def from_timestamp(value: timestamp_pb2.Timestamp, field: str) -> datetime:
    """A timestamp outside 0001..9999 (or with bad nanos) is INVALID_ARGUMENT naming the field."""
    try:
        return value.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise InvalidArgument(f"{field} is not a valid timestamp", field=field) from None


def mall(row: asyncpg.Record) -> pb.Mall:
    return pb.Mall(
        mall_id=row["mall_id"],
        name=row["name"],
        operator_name=row["operator_name"],
        city=row["city"],
        commission_bps=row["commission_bps"],
        create_time=timestamp(row["create_time"]),
        update_time=timestamp(row["update_time"]),
    )


def partner(row: asyncpg.Record) -> pb.Partner:
    return pb.Partner(
        partner_id=row["partner_id"],
        name=row["name"],
        webhook_url=row["webhook_url"],
        status=PARTNER_STATUS[row["status"]],
        create_time=timestamp(row["create_time"]),
        update_time=timestamp(row["update_time"]),
    )


def merchant(row: asyncpg.Record, *, with_account: bool) -> pb.Merchant:
    out = pb.Merchant(
        merchant_id=row["merchant_id"],
        legal_name=row["legal_name"],
        display_name=row["display_name"],
        licence_id=row["licence_id"],
        mcc=row["mcc"],
        fee_rate_bps=row["fee_rate_bps"],
        status=MERCHANT_STATUS_TO_PB[domain.MerchantStatus(row["status"])],
        status_reason=row["status_reason"],
        partner_id=row["partner_id"] or "",
        create_time=timestamp(row["create_time"]),
        update_time=timestamp(row["update_time"]),
    )
    if with_account and row["account_token"]:
        out.settlement_account.CopyFrom(
            pb.BankAccount(
                account_token=row["account_token"],
                account_last4=row["account_last4"],
                account_name=row["account_name"],
                bank_name=row["bank_name"],
            )
        )
    return out


def periods_from_pb(hours: pb.OpeningHours) -> list[domain.OpeningPeriod]:
    return [domain.OpeningPeriod(int(p.day), p.open_minute, p.close_minute) for p in hours.periods]


@lru_cache(maxsize=4096)
def stored_hours_message(hours_json: str) -> pb.OpeningHours:
    """A store's stored schedule as a message. Stores share a few schedules and a nearby search converts
    dozens of stores per call, so conversions are memoised by the stored text; the message is shared and
    only ever copied from."""
    return pb.OpeningHours(periods=[
        pb.OpeningPeriod(day=p.day, open_minute=p.open_minute, close_minute=p.close_minute)
        for p in periods_from_json(hours_json)
    ])


def fill_store(out: pb.Store, row: asyncpg.Record) -> None:
    """Writes a store row into `out` field by field, the schedule copied from a memoised message: half the
    CPU of constructor arguments, where upb merges a message argument by serialising and parsing it and
    makes a schedule's periods anew for every store."""
    out.store_id = row["store_id"]
    out.merchant_id = row["merchant_id"]
    out.mall_id = row["mall_id"] or ""
    out.name = row["name"]
    out.address = row["address"]
    out.city = row["city"]
    out.lat = row["lat"]
    out.lng = row["lng"]
    out.opening_hours.CopyFrom(stored_hours_message(row["hours"]))
    out.status = STORE_STATUS[row["status"]]
    set_timestamp(out.create_time, row["create_time"])
    set_timestamp(out.update_time, row["update_time"])


def store(row: asyncpg.Record) -> pb.Store:
    out = pb.Store()
    fill_store(out, row)
    return out


def add_nearby_store(results: Any, row: asyncpg.Record) -> None:
    """Appends a row of store.SEARCH_NEARBY_SQL to SearchNearbyResponse.results."""
    item = results.add(
        distance_m=row["distance_m"], merchant_display_name=row["merchant_display_name"], mcc=row["mcc"]
    )
    fill_store(item.store, row)


def credential(row: asyncpg.Record, now: datetime, owner_status: str | None = None) -> pb.Credential:
    status = domain.credential_status(row["revoke_time"], row["expire_time"], now)
    return pb.Credential(
        key_id=row["key_id"],
        owner_kind=OWNER_KIND_TO_PB[domain.OwnerKind(row["owner_kind"])],
        owner_id=row["owner_id"],
        status=CREDENTIAL_STATUS_TO_PB[status],
        create_time=timestamp(row["create_time"]),
        expire_time=timestamp(row["expire_time"]),
        revoke_time=timestamp(row["revoke_time"]),
        revoke_reason=row["revoke_reason"],
        fingerprint=row["fingerprint"][:16],
        rotated_from_key_id=row["rotated_from_key_id"] or "",
        replaced_by_key_id=row["replaced_by_key_id"] or "",
        owner_status=owner_status if owner_status is not None else row.get("owner_status", ""),
    )
