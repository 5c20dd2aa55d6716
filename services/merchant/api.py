"""gRPC handlers of the merchant service: validate (domain), authorise (kit.auth), write (store) with events
in the same transaction. Every check that can fail runs before or inside the transaction, so bad input
writes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import grpc

from ..gen.scanpay.common.v1 import common_pb2
from ..gen.scanpay.merchant.v1 import events_pb2, merchant_pb2_grpc
from ..gen.scanpay.merchant.v1 import merchant_pb2 as pb
from ..kit import events
from ..kit.auth import Actor, actor, require_admin, require_admin_or_partner
from ..kit.errors import (
    AlreadyExists,
    FailedPrecondition,
    NotFound,
    PermissionDenied,
    require,
)
from ..kit.ids import new_id
from ..kit.logging import get_logger
from ..kit.service import Runtime
from . import convert, domain, store
from .keys import Keys, load_keys

log = get_logger("merchant.api")
PRODUCER = "merchant"
Ctx = grpc.aio.ServicerContext


async def emit(conn: asyncpg.Connection, event_type: str, message: Any) -> None:
    await events.append(conn, PRODUCER, event_type, message)


def not_found(field: str, kind: str, ident: str) -> NotFound:
    return NotFound(f"{field}: no {kind} {ident!r}", field=field)


def sees_account(who: Actor, row: asyncpg.Record) -> bool:
    """The settlement account (even tokenised) is shown to the platform, services, the owner and the merchant."""
    return (
        who.is_admin
        or who.kind == "service"
        or (who.kind == "partner" and who.id == (row["partner_id"] or ""))
        or (who.kind == "merchant" and who.id == row["merchant_id"])
    )


def require_verifier() -> Actor:
    """Key lookups are for internal callers (gateway), not for calls made on behalf of an end user."""
    who = actor()
    if who.kind not in ("admin", "service", "anonymous"):
        raise PermissionDenied(f"{who.header()} may not look up credentials")
    return who


def page_of(
    rows: Sequence[asyncpg.Record], size: int, key: str
) -> tuple[Sequence[asyncpg.Record], common_pb2.PageResponse]:
    """Rows were fetched with limit size + 1: the extra row only tells that another page exists."""
    if len(rows) > size:
        rows = rows[:size]
        return rows, common_pb2.PageResponse(next_page_token=domain.encode_page_token(rows[-1][key]))
    return rows, common_pb2.PageResponse()


def page_args(page: common_pb2.PageRequest) -> tuple[str, int]:
    return domain.decode_page_token(page.page_token), domain.page_size(page.page_size)


def merchant_status_filter(value: int, field: str = "status") -> str:
    if value == pb.MERCHANT_STATUS_UNSPECIFIED:
        return ""
    require(value in convert.MERCHANT_STATUS_FROM_PB, field, "is not a merchant status")
    return convert.MERCHANT_STATUS_FROM_PB[value].value


def optional_mcc(value: str, field: str = "mcc") -> str:
    return domain.mcc(value, field) if value.strip() else ""


class MerchantApi(merchant_pb2_grpc.MerchantServiceServicer):
    def __init__(self, runtime: Runtime, keys: Keys | None = None) -> None:
        self.runtime = runtime
        self.keys = keys or load_keys()

    @property
    def pool(self) -> asyncpg.Pool:
        return self.runtime.pool

    # ---- malls --------------------------------------------------------------------------------------

    async def CreateMall(self, request: pb.CreateMallRequest, context: Ctx) -> pb.Mall:
        require_admin()
        name = domain.text(request.name, "name", 100)
        operator = domain.text(request.operator_name, "operator_name", 100)
        city = domain.text(request.city, "city", 64)
        bps = domain.commission_bps(request.commission_bps)
        async with self.pool.acquire() as conn:
            row = await store.insert_mall(conn, new_id("mal"), name, operator, city, bps)
        return convert.mall(row)

    async def UpdateMall(self, request: pb.UpdateMallRequest, context: Ctx) -> pb.Mall:
        require_admin()
        mall_id = domain.prefixed_id(request.mall_id, "mall_id")
        changes: dict[str, Any] = {}
        if request.HasField("name"):
            changes["name"] = domain.text(request.name, "name", 100)
        if request.HasField("operator_name"):
            changes["operator_name"] = domain.text(request.operator_name, "operator_name", 100)
        if request.HasField("city"):
            changes["city"] = domain.text(request.city, "city", 64)
        if request.HasField("commission_bps"):
            changes["commission_bps"] = domain.commission_bps(request.commission_bps)
        async with self.pool.acquire() as conn:
            row = await (
                store.update_mall(conn, mall_id, changes) if changes else store.get_mall(conn, mall_id)
            )
        if row is None:
            raise not_found("mall_id", "mall", mall_id)
        return convert.mall(row)

    async def GetMall(self, request: pb.GetMallRequest, context: Ctx) -> pb.Mall:
        mall_id = domain.prefixed_id(request.mall_id, "mall_id")
        async with self.pool.acquire() as conn:
            row = await store.get_mall(conn, mall_id)
        if row is None:
            raise not_found("mall_id", "mall", mall_id)
        return convert.mall(row)

    async def ListMalls(self, request: pb.ListMallsRequest, context: Ctx) -> pb.ListMallsResponse:
        after, size = page_args(request.page)
        city = domain.text(request.city, "city", 64, required=False)
        async with self.pool.acquire() as conn:
            rows = await store.list_malls(conn, after, size + 1, city)
        rows, page = page_of(rows, size, "mall_id")
        return pb.ListMallsResponse(malls=[convert.mall(r) for r in rows], page=page)

    # ---- partners -----------------------------------------------------------------------------------

    async def CreatePartner(self, request: pb.CreatePartnerRequest, context: Ctx) -> pb.Partner:
        require_admin()
        name = domain.text(request.name, "name", 100)
        url = domain.webhook_url(request.webhook_url)
        async with self.pool.acquire() as conn:
            row = await store.insert_partner(conn, new_id("ptn"), name, url)
        return convert.partner(row)

    async def UpdatePartner(self, request: pb.UpdatePartnerRequest, context: Ctx) -> pb.Partner:
        require_admin()
        partner_id = domain.prefixed_id(request.partner_id, "partner_id")
        changes: dict[str, Any] = {}
        if request.HasField("name"):
            changes["name"] = domain.text(request.name, "name", 100)
        if request.HasField("webhook_url"):
            changes["webhook_url"] = domain.webhook_url(request.webhook_url)
        if request.status != pb.PARTNER_STATUS_UNSPECIFIED:
            require(request.status in convert.PARTNER_STATUS_FROM_PB, "status", "is not a partner status")
            changes["status"] = convert.PARTNER_STATUS_FROM_PB[request.status]
        async with self.pool.acquire() as conn:
            row = await (
                store.update_partner(conn, partner_id, changes)
                if changes
                else store.get_partner(conn, partner_id)
            )
        if row is None:
            raise not_found("partner_id", "partner", partner_id)
        return convert.partner(row)

    async def GetPartner(self, request: pb.GetPartnerRequest, context: Ctx) -> pb.Partner:
        partner_id = domain.prefixed_id(request.partner_id, "partner_id")
        async with self.pool.acquire() as conn:
            row = await store.get_partner(conn, partner_id)
        if row is None:
            raise not_found("partner_id", "partner", partner_id)
        return convert.partner(row)

    async def ListPartners(self, request: pb.ListPartnersRequest, context: Ctx) -> pb.ListPartnersResponse:
        after, size = page_args(request.page)
        status = ""
        if request.status != pb.PARTNER_STATUS_UNSPECIFIED:
            require(request.status in convert.PARTNER_STATUS_FROM_PB, "status", "is not a partner status")
            status = convert.PARTNER_STATUS_FROM_PB[request.status]
        async with self.pool.acquire() as conn:
            rows = await store.list_partners(conn, after, size + 1, status)
        rows, page = page_of(rows, size, "partner_id")
        return pb.ListPartnersResponse(partners=[convert.partner(r) for r in rows], page=page)

    # ---- merchants ----------------------------------------------------------------------------------

    def _bank_account(self, account: pb.BankAccountInput) -> domain.BankAccount:
        return domain.bank_account(
            account.account_number, account.account_name, account.bank_name, self.keys.account_token_key
        )

    @staticmethod
    def _owning_partner(requested: str) -> str | None:
        """Admins name any partner (or none); a partner creates merchants owned by itself only."""
        who = actor()
        requested = requested.strip()
        if who.kind == "partner":
            if requested and requested != who.id:
                raise PermissionDenied(
                    "partner_id: a partner may only create merchants it owns itself", field="partner_id"
                )
            return who.id
        if not who.is_admin:
            raise PermissionDenied(f"{who.header()} may not create merchants")
        return requested or None

    async def CreateMerchant(self, request: pb.CreateMerchantRequest, context: Ctx) -> pb.Merchant:
        partner_id = self._owning_partner(request.partner_id)
        code = domain.mcc(request.mcc)
        new = store.NewMerchant(
            merchant_id=new_id("mch"),
            legal_name=domain.text(request.legal_name, "legal_name", 200),
            display_name=domain.text(request.display_name, "display_name", 100),
            licence_id=domain.licence_id(request.licence_id),
            mcc=code,
            fee_rate_bps=(
                domain.fee_rate_bps(request.fee_rate_bps)
                if request.HasField("fee_rate_bps")
                else domain.fee_category(code).default_fee_bps
            ),
            partner_id=partner_id,
            account=self._bank_account(request.settlement_account)
            if request.HasField("settlement_account")
            else None,
        )
        async with self.pool.acquire() as conn, conn.transaction():
            if partner_id is not None:
                await self._require_active_partner(conn, partner_id)
            row = await store.insert_merchant(conn, new, actor().header())
            if row is None:
                raise AlreadyExists(
                    f"licence_id: a merchant with licence {new.licence_id} already exists", field="licence_id"
                )
            await emit(
                conn,
                "merchant.created",
                events_pb2.MerchantCreated(merchant=convert.merchant(row, with_account=False)),
            )
        return convert.merchant(row, with_account=True)

    @staticmethod
    async def _require_active_partner(conn: asyncpg.Connection, partner_id: str) -> None:
        partner = await store.get_partner(conn, partner_id)
        if partner is None:
            raise not_found("partner_id", "partner", partner_id)
        if partner["status"] != "ACTIVE":
            raise FailedPrecondition(
                f"partner_id: partner {partner_id} is {partner['status']}", field="partner_id"
            )

    @staticmethod
    async def _owned_merchant(conn: asyncpg.Connection, merchant_id: str, *, lock: bool) -> asyncpg.Record:
        """The merchant, locked for the change when asked, if the caller may change it."""
        row = await (store.lock_merchant if lock else store.get_merchant)(conn, merchant_id)
        if row is None:
            raise not_found("merchant_id", "merchant", merchant_id)
        require_admin_or_partner(row["partner_id"])
        return row

    async def UpdateMerchant(self, request: pb.UpdateMerchantRequest, context: Ctx) -> pb.Merchant:
        merchant_id = domain.prefixed_id(request.merchant_id, "merchant_id")
        changes: dict[str, Any] = {}
        if request.HasField("legal_name"):
            changes["legal_name"] = domain.text(request.legal_name, "legal_name", 200)
        if request.HasField("display_name"):
            changes["display_name"] = domain.text(request.display_name, "display_name", 100)
        if request.HasField("mcc"):
            changes["mcc"] = domain.mcc(request.mcc)
        if request.HasField("fee_rate_bps"):
            changes["fee_rate_bps"] = domain.fee_rate_bps(request.fee_rate_bps)
        if request.HasField("settlement_account"):
            changes.update(store.account_columns(self._bank_account(request.settlement_account)))
        async with self.pool.acquire() as conn, conn.transaction():
            row = await self._owned_merchant(conn, merchant_id, lock=True)
            domain.require_not_closed(domain.MerchantStatus(row["status"]))
            if changes:
                row = await store.update_merchant(conn, merchant_id, changes)
                await emit(
                    conn,
                    "merchant.updated",
                    events_pb2.MerchantUpdated(merchant=convert.merchant(row, with_account=False)),
                )
        return convert.merchant(row, with_account=True)

    async def ChangeMerchantStatus(
        self, request: pb.ChangeMerchantStatusRequest, context: Ctx
    ) -> pb.Merchant:
        merchant_id = domain.prefixed_id(request.merchant_id, "merchant_id")
        require(
            request.to_status in convert.MERCHANT_STATUS_FROM_PB, "to_status", "must be a merchant status"
        )
        target = convert.MERCHANT_STATUS_FROM_PB[request.to_status]
        why = domain.reason(request.reason)
        who = actor()
        async with self.pool.acquire() as conn, conn.transaction():
            row = await self._owned_merchant(conn, merchant_id, lock=True)
            current = domain.MerchantStatus(row["status"])
            domain.check_transition(current, target)
            domain.check_transition_by(who.kind, current, target)
            row = await store.change_merchant_status(
                conn, merchant_id, current.value, target.value, why, who.header()
            )
            await emit(
                conn,
                domain.STATUS_EVENT[target],
                events_pb2.MerchantStatusChanged(
                    merchant_id=merchant_id,
                    from_status=convert.MERCHANT_STATUS_TO_PB[current],
                    to_status=convert.MERCHANT_STATUS_TO_PB[target],
                    reason=why,
                    actor=who.header(),
                    change_time=convert.timestamp(row["update_time"]),
                    merchant=convert.merchant(row, with_account=False),
                ),
            )
            if target is domain.MerchantStatus.CLOSED:
                await self._revoke_all(
                    conn, domain.OwnerKind.MERCHANT, merchant_id, f"merchant closed: {why}"
                )
        return convert.merchant(row, with_account=True)

    async def GetMerchant(self, request: pb.GetMerchantRequest, context: Ctx) -> pb.Merchant:
        merchant_id = domain.prefixed_id(request.merchant_id, "merchant_id")
        async with self.pool.acquire() as conn:
            row = await store.get_merchant(conn, merchant_id)
        if row is None:
            raise not_found("merchant_id", "merchant", merchant_id)
        return convert.merchant(row, with_account=sees_account(actor(), row))

    async def ListMerchants(self, request: pb.ListMerchantsRequest, context: Ctx) -> pb.ListMerchantsResponse:
        after, size = page_args(request.page)
        status = merchant_status_filter(request.status)
        code = optional_mcc(request.mcc)
        async with self.pool.acquire() as conn:
            rows = await store.list_merchants(conn, after, size + 1, status, code, request.partner_id.strip())
        rows, page = page_of(rows, size, "merchant_id")
        who = actor()
        return pb.ListMerchantsResponse(
            merchants=[convert.merchant(r, with_account=sees_account(who, r)) for r in rows], page=page
        )

    async def GetRates(self, request: pb.GetRatesRequest, context: Ctx) -> pb.GetRatesResponse:
        merchant_ids = domain.batch_ids(list(request.merchant_ids), "merchant_ids")
        mall_ids = domain.batch_ids(list(request.mall_ids), "mall_ids")
        async with self.pool.acquire() as conn:
            merchants = {r["merchant_id"]: r for r in await store.merchant_rates(conn, merchant_ids)}
            malls = {r["mall_id"]: r for r in await store.mall_rates(conn, mall_ids)}
        return pb.GetRatesResponse(
            merchant_rates=[
                pb.MerchantRate(
                    merchant_id=m,
                    mcc=r["mcc"],
                    fee_rate_bps=r["fee_rate_bps"],
                    status=convert.MERCHANT_STATUS_TO_PB[domain.MerchantStatus(r["status"])],
                    partner_id=r["partner_id"] or "",
                )
                for m in merchant_ids
                if (r := merchants.get(m)) is not None
            ],
            mall_rates=[
                pb.MallRate(mall_id=m, commission_bps=malls[m]["commission_bps"])
                for m in mall_ids
                if m in malls
            ],
            missing_merchant_ids=[m for m in merchant_ids if m not in merchants],
            missing_mall_ids=[m for m in mall_ids if m not in malls],
        )

    # ---- stores -------------------------------------------------------------------------------------

    @staticmethod
    async def _require_mall(conn: asyncpg.Connection, mall_id: str | None) -> None:
        if mall_id and await store.get_mall(conn, mall_id) is None:
            raise not_found("mall_id", "mall", mall_id)

    async def CreateStore(self, request: pb.CreateStoreRequest, context: Ctx) -> pb.Store:
        merchant_id = domain.prefixed_id(request.merchant_id, "merchant_id")
        new = store.NewStore(
            store_id=new_id("sto"),
            merchant_id=merchant_id,
            mall_id=request.mall_id.strip() or None,
            name=domain.text(request.name, "name", 100),
            address=domain.text(request.address, "address", 300, required=False),
            city=domain.text(request.city, "city", 64),
            lat=domain.latitude(request.lat),
            lng=domain.longitude(request.lng),
            periods=domain.opening_periods(convert.periods_from_pb(request.opening_hours)),
        )
        async with self.pool.acquire() as conn, conn.transaction():
            owner = await self._owned_merchant(conn, merchant_id, lock=False)
            domain.require_not_closed(domain.MerchantStatus(owner["status"]))
            await self._require_mall(conn, new.mall_id)
            row = await store.insert_store(conn, new)
            await emit(conn, "store.created", events_pb2.StoreCreated(store=convert.store(row)))
        return convert.store(row)

    @staticmethod
    def _store_changes(request: pb.UpdateStoreRequest) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if request.HasField("name"):
            changes["name"] = domain.text(request.name, "name", 100)
        if request.HasField("address"):
            changes["address"] = domain.text(request.address, "address", 300, required=False)
        if request.HasField("city"):
            changes["city"] = domain.text(request.city, "city", 64)
        if request.HasField("lat"):
            changes["lat"] = domain.latitude(request.lat)
        if request.HasField("lng"):
            changes["lng"] = domain.longitude(request.lng)
        if request.HasField("opening_hours"):
            periods = domain.opening_periods(convert.periods_from_pb(request.opening_hours))
            changes.update(store.hours_columns(periods))
        if request.status != pb.STORE_STATUS_UNSPECIFIED:
            require(request.status in convert.STORE_STATUS_FROM_PB, "status", "is not a store status")
            changes["status"] = convert.STORE_STATUS_FROM_PB[request.status]
        if request.HasField("mall_id"):
            changes["mall_id"] = request.mall_id.strip() or None
        return changes

    async def UpdateStore(self, request: pb.UpdateStoreRequest, context: Ctx) -> pb.Store:
        store_id = domain.prefixed_id(request.store_id, "store_id")
        changes = self._store_changes(request)
        async with self.pool.acquire() as conn, conn.transaction():
            row = await store.lock_store(conn, store_id)
            if row is None:
                raise not_found("store_id", "store", store_id)
            owner = await self._owned_merchant(conn, row["merchant_id"], lock=False)
            domain.require_not_closed(domain.MerchantStatus(owner["status"]), "store_id")
            await self._require_mall(conn, changes.get("mall_id"))
            if changes:
                row = await store.update_store(conn, store_id, changes)
                await emit(conn, "store.updated", events_pb2.StoreUpdated(store=convert.store(row)))
        return convert.store(row)

    async def GetStore(self, request: pb.GetStoreRequest, context: Ctx) -> pb.Store:
        store_id = domain.prefixed_id(request.store_id, "store_id")
        async with self.pool.acquire() as conn:
            row = await store.get_store(conn, store_id)
        if row is None:
            raise not_found("store_id", "store", store_id)
        return convert.store(row)

    async def BatchGetStores(
        self, request: pb.BatchGetStoresRequest, context: Ctx
    ) -> pb.BatchGetStoresResponse:
        store_ids = domain.batch_ids(list(request.store_ids), "store_ids")
        async with self.pool.acquire() as conn:
            found = {r["store_id"]: r for r in await store.stores_by_ids(conn, store_ids)}
        return pb.BatchGetStoresResponse(
            stores=[convert.store(found[s]) for s in store_ids if s in found],
            missing_store_ids=[s for s in store_ids if s not in found],
        )

    async def ListStores(self, request: pb.ListStoresRequest, context: Ctx) -> pb.ListStoresResponse:
        after, size = page_args(request.page)
        status = ""
        if request.status != pb.STORE_STATUS_UNSPECIFIED:
            require(request.status in convert.STORE_STATUS_FROM_PB, "status", "is not a store status")
            status = convert.STORE_STATUS_FROM_PB[request.status]
        async with self.pool.acquire() as conn:
            rows = await store.list_stores(
                conn,
                after,
                size + 1,
                merchant_id=request.merchant_id.strip(),
                mall_id=request.mall_id.strip(),
                city=domain.text(request.city, "city", 64, required=False),
                mcc=optional_mcc(request.mcc),
                status=status,
                partner_id=request.partner_id.strip(),
            )
        rows, page = page_of(rows, size, "store_id")
        return pb.ListStoresResponse(stores=[convert.store(r) for r in rows], page=page)

    async def SearchNearby(self, request: pb.SearchNearbyRequest, context: Ctx) -> pb.SearchNearbyResponse:
        lat = domain.latitude(request.lat)
        lng = domain.longitude(request.lng)
        radius = domain.radius_m(request.radius_m)
        code = optional_mcc(request.mcc)
        limit = domain.nearby_limit(request.limit)
        at = convert.from_timestamp(request.at, "at") if request.HasField("at") else domain.utcnow()
        async with self.pool.acquire() as conn:
            rows = await store.search_nearby(conn, lat, lng, radius, code, limit, domain.minute_of_week(at))
        reply = pb.SearchNearbyResponse()
        for row in rows:
            convert.add_nearby_store(reply.results, row)
        return reply

    # ---- credentials --------------------------------------------------------------------------------

    @staticmethod
    async def _managed_owner(
        conn: asyncpg.Connection, kind: domain.OwnerKind, owner_id: str
    ) -> asyncpg.Record:
        """The owner row, if the caller may manage its keys: merchant keys by admin or the owning partner,
        partner keys by admin or the partner itself."""
        if kind is domain.OwnerKind.MERCHANT:
            row = await store.get_merchant(conn, owner_id)
            if row is None:
                raise not_found("owner_id", "merchant", owner_id)
            require_admin_or_partner(row["partner_id"])
        else:
            row = await store.get_partner(conn, owner_id)
            if row is None:
                raise not_found("owner_id", "partner", owner_id)
            require_admin_or_partner(owner_id)
        return row

    def _issue(self, key_id: str) -> tuple[bytes, str]:
        salt = domain.new_salt()
        return salt, domain.derive_secret(self.keys.kek, key_id, salt)

    async def CreateCredential(
        self, request: pb.CreateCredentialRequest, context: Ctx
    ) -> pb.CreateCredentialResponse:
        require(request.owner_kind in convert.OWNER_KIND_FROM_PB, "owner_kind", "must be MERCHANT or PARTNER")
        kind = convert.OWNER_KIND_FROM_PB[request.owner_kind]
        owner_id = domain.prefixed_id(request.owner_id, "owner_id")
        now = domain.utcnow()
        expiry = domain.future_expiry(
            convert.from_timestamp(request.expire_time, "expire_time") if request.HasField("expire_time") else None, now
        )
        key_id = new_id("key")
        salt, secret = self._issue(key_id)
        async with self.pool.acquire() as conn, conn.transaction():
            owner = await self._managed_owner(conn, kind, owner_id)
            if owner["status"] == "CLOSED":
                raise FailedPrecondition(
                    "owner_id: the merchant is closed", field="owner_id", reason="MERCHANT_CLOSED"
                )
            row = await store.insert_credential(
                conn, key_id, kind.value, owner_id, salt, domain.fingerprint(secret), expiry
            )
        return pb.CreateCredentialResponse(
            credential=convert.credential(row, now, owner["status"]), secret=secret
        )

    async def _locked_credential(self, conn: asyncpg.Connection, key_id: str) -> asyncpg.Record:
        row = await store.get_credential(conn, key_id, lock=True)
        if row is None:
            raise not_found("key_id", "credential", key_id)
        await self._managed_owner(conn, domain.OwnerKind(row["owner_kind"]), row["owner_id"])
        return row

    async def RotateCredential(
        self, request: pb.RotateCredentialRequest, context: Ctx
    ) -> pb.RotateCredentialResponse:
        key_id = domain.prefixed_id(request.key_id, "key_id")
        overlap = domain.overlap_seconds(
            request.overlap_seconds if request.HasField("overlap_seconds") else None
        )
        now = domain.utcnow()
        new_key_id = new_id("key")
        salt, secret = self._issue(new_key_id)
        async with self.pool.acquire() as conn, conn.transaction():
            old = await self._locked_credential(conn, key_id)
            status = domain.credential_status(old["revoke_time"], old["expire_time"], now)
            if status is not domain.CredentialStatus.ACTIVE or old["replaced_by_key_id"]:
                raise FailedPrecondition(
                    f"key_id: only an active key that was not rotated yet can be rotated (this one is "
                    f"{'rotated' if old['replaced_by_key_id'] else status.value})",
                    field="key_id",
                    reason="CREDENTIAL_NOT_ROTATABLE",
                )
            if old["owner_status"] == "CLOSED":
                raise FailedPrecondition(
                    "key_id: the merchant is closed", field="key_id", reason="MERCHANT_CLOSED"
                )
            row = await store.insert_credential(
                conn,
                new_key_id,
                old["owner_kind"],
                old["owner_id"],
                salt,
                domain.fingerprint(secret),
                None,
                rotated_from=key_id,
            )
            await store.mark_rotated(
                conn, key_id, new_key_id, domain.overlap_end(old["expire_time"], now, overlap)
            )
            previous = await store.get_credential(conn, key_id)
        return pb.RotateCredentialResponse(
            credential=convert.credential(row, now, old["owner_status"]),
            secret=secret,
            previous=convert.credential(previous, now),
        )

    async def RevokeCredential(self, request: pb.RevokeCredentialRequest, context: Ctx) -> pb.Credential:
        key_id = domain.prefixed_id(request.key_id, "key_id")
        why = domain.reason(request.reason)
        async with self.pool.acquire() as conn, conn.transaction():
            row = await self._locked_credential(conn, key_id)
            # Revoking twice is a no-op that keeps the first revocation's time and reason.
            await self._revoke_all(
                conn, domain.OwnerKind(row["owner_kind"]), row["owner_id"], why, key_id=key_id
            )
            row = await store.get_credential(conn, key_id)
        return convert.credential(row, domain.utcnow())

    @staticmethod
    async def _revoke_all(
        conn: asyncpg.Connection, kind: domain.OwnerKind, owner_id: str, why: str, key_id: str | None = None
    ) -> None:
        for revoked in await store.revoke_credentials(conn, kind.value, owner_id, key_id, why):
            await emit(
                conn,
                "credential.revoked",
                events_pb2.CredentialRevoked(
                    key_id=revoked["key_id"],
                    owner_kind=convert.OWNER_KIND_TO_PB[kind],
                    owner_id=owner_id,
                    reason=why,
                    revoke_time=convert.timestamp(revoked["revoke_time"]),
                ),
            )

    async def ListCredentials(
        self, request: pb.ListCredentialsRequest, context: Ctx
    ) -> pb.ListCredentialsResponse:
        require(request.owner_kind in convert.OWNER_KIND_FROM_PB, "owner_kind", "must be MERCHANT or PARTNER")
        kind = convert.OWNER_KIND_FROM_PB[request.owner_kind]
        owner_id = domain.prefixed_id(request.owner_id, "owner_id")
        async with self.pool.acquire() as conn:
            await self._managed_owner(conn, kind, owner_id)
            rows = await store.list_credentials(conn, kind.value, owner_id, request.include_inactive)
        now = domain.utcnow()
        return pb.ListCredentialsResponse(credentials=[convert.credential(r, now) for r in rows])

    async def LookupCredential(self, request: pb.LookupCredentialRequest, context: Ctx) -> pb.Credential:
        require_verifier()
        key_id = domain.prefixed_id(request.key_id, "key_id")
        async with self.pool.acquire() as conn:
            row = await store.get_credential(conn, key_id)
        if row is None:
            raise not_found("key_id", "credential", key_id)
        return convert.credential(row, domain.utcnow())

    async def VerifySignature(
        self, request: pb.VerifySignatureRequest, context: Ctx
    ) -> pb.VerifySignatureResponse:
        require_verifier()
        key_id = request.key_id.strip()
        async with self.pool.acquire() as conn:
            row = await store.get_credential(conn, key_id) if key_id else None
        if row is None:
            return pb.VerifySignatureResponse(valid=False, failure=pb.VERIFY_FAILURE_UNKNOWN_KEY)
        now = domain.utcnow()
        failure = self._verify_failure(row, request.signing_string, request.signature, now)
        return pb.VerifySignatureResponse(
            valid=failure == pb.VERIFY_FAILURE_UNSPECIFIED,
            failure=failure,
            credential=convert.credential(row, now),
            cache_ttl_seconds=domain.CREDENTIAL_CACHE_TTL_SECONDS
            if failure == pb.VERIFY_FAILURE_UNSPECIFIED
            else 0,
        )

    def _verify_failure(
        self, row: asyncpg.Record, signing_string: bytes, signature: str, now: datetime
    ) -> int:
        """The signature is checked first, so a caller without the secret learns nothing about the key's status."""
        secret = domain.derive_secret(self.keys.kek, row["key_id"], bytes(row["salt"]))
        if domain.fingerprint(secret) != row["fingerprint"]:
            log.error(
                "credential_kek_mismatch",
                key_id=row["key_id"],
                note="SCANPAY_MERCHANT_KEK changed since issue",
            )
            return pb.VERIFY_FAILURE_BAD_SIGNATURE
        if not domain.signature_matches(secret, signing_string, signature):
            return pb.VERIFY_FAILURE_BAD_SIGNATURE
        status = domain.credential_status(row["revoke_time"], row["expire_time"], now)
        if status is domain.CredentialStatus.REVOKED:
            return pb.VERIFY_FAILURE_REVOKED
        if status is domain.CredentialStatus.EXPIRED:
            return pb.VERIFY_FAILURE_EXPIRED
        if domain.owner_inactive(domain.OwnerKind(row["owner_kind"]), row["owner_status"]):
            return pb.VERIFY_FAILURE_OWNER_INACTIVE
        return pb.VERIFY_FAILURE_UNSPECIFIED
