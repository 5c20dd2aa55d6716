"""Partner onboarding on the PartnerService: merchants, stores, activation requests, POS keys, settlement reads.

Every call is signed with a partner key (the same scheme as the rest of the partner API) and acts only on the
merchants that partner owns. The merchant service checks ownership again for every change (the actor is sent
as `partner:<id>`), so a mistake here could not let one partner change another's merchant.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

import asyncpg
import grpc

from ..gen.scanpay.gateway.v1 import gateway_pb2 as pb
from ..gen.scanpay.merchant.v1 import merchant_pb2
from ..gen.scanpay.settlement.v1 import settlement_pb2, settlement_pb2_grpc
from ..kit import errors
from ..kit.auth import Actor
from ..kit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, ServiceError
from ..kit.grpc import error_detail
from ..kit.ids import new_id
from ..kit.proto import timestamp
from ..kit.service import Runtime
from .clients import SERVICE_ACTOR
from .rest.guards import refuse_nul_fields, verify_signature
from .saga import Payments

PARTNER_SERVICE = "scanpay.gateway.v1.PartnerService"
NOTE_MAX = 500
T = TypeVar("T")

# Downstream refusals keep their status, reason and field; anything else means the callee is not usable now.
_PASS_THROUGH: dict[grpc.StatusCode, type[ServiceError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: errors.InvalidArgument,
    grpc.StatusCode.OUT_OF_RANGE: errors.InvalidArgument,
    grpc.StatusCode.NOT_FOUND: errors.NotFound,
    grpc.StatusCode.ALREADY_EXISTS: errors.AlreadyExists,
    grpc.StatusCode.FAILED_PRECONDITION: errors.FailedPrecondition,
    grpc.StatusCode.PERMISSION_DENIED: errors.PermissionDenied,
    grpc.StatusCode.RESOURCE_EXHAUSTED: errors.ResourceExhausted,
    grpc.StatusCode.ABORTED: errors.Aborted,
}


async def downstream(service: str, call: Awaitable[T]) -> T:
    """Await a call to another scanpay service; its failure becomes this call's ServiceError."""
    try:
        return await call
    except grpc.aio.AioRpcError as exc:
        raise as_service_error(service, exc) from None


def as_service_error(service: str, exc: grpc.aio.AioRpcError) -> ServiceError:
    kind = _PASS_THROUGH.get(exc.code())
    if kind is None:
        if exc.code() is grpc.StatusCode.UNIMPLEMENTED:
            return errors.Unavailable(f"the {service} service does not offer this call yet", reason="NOT_AVAILABLE_YET")
        return errors.Unavailable(f"the {service} service is unavailable ({exc.code().name}); retry later")
    detail = error_detail(exc)
    return kind(exc.details() or exc.code().name, field=detail.field if detail else "",
                reason=detail.reason if detail else "")


def as_partner(partner_id: str) -> tuple[tuple[str, str], ...]:
    return (("x-scanpay-actor", Actor("partner", partner_id).header()),)


def required_id(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidArgument(f"{field} is required", field=field)
    return value


def activation_message(row: asyncpg.Record) -> pb.ActivationRequest:
    return pb.ActivationRequest(
        request_id=row["request_id"], merchant_id=row["merchant_id"], partner_id=row["partner_id"], note=row["note"],
        status=pb.ActivationStatus.Value(f"ACTIVATION_STATUS_{row['status']}"), requested_at=timestamp(row["requested_at"]),
        decided_at=timestamp(row["decided_at"]), decided_by=row["decided_by"], decision_reason=row["decision_reason"])


async def open_activation_request(conn: asyncpg.Connection, merchant_id: str, partner_id: str,
                                  note: str) -> asyncpg.Record:
    """The merchant's open request, created now unless one is already open (one round trip)."""
    return await conn.fetchrow(
        """
        WITH made AS (
          INSERT INTO activation_requests (request_id, merchant_id, partner_id, note, status)
          VALUES ($1, $2, $3, $4, 'PENDING')
          ON CONFLICT (merchant_id) WHERE status = 'PENDING' DO NOTHING
          RETURNING *
        )
        SELECT * FROM made
        UNION ALL
        SELECT * FROM activation_requests WHERE merchant_id = $2 AND status = 'PENDING'
        LIMIT 1
        """,
        new_id("act"), merchant_id, partner_id, note)


class PartnerOnboarding:
    """Mixed into PartnerApi: the onboarding half of scanpay.gateway.v1.PartnerService."""

    runtime: Runtime
    pool: asyncpg.Pool
    payments: Payments

    @property
    def merchants(self) -> Any:
        return self.payments.directory.stub

    def _settlement(self) -> settlement_pb2_grpc.SettlementServiceStub:
        return settlement_pb2_grpc.SettlementServiceStub(self.runtime.channel("settlement"))

    async def _verified_caller(self, ctx: grpc.aio.ServicerContext, method: str, request: Any) -> Any:
        """The key behind a partner-API call, after refusing NUL fields and checking the signature in metadata."""
        md = {k: v for k, v in (ctx.invocation_metadata() or ()) if isinstance(v, str)}
        refuse_nul_fields(request)
        return await verify_signature(
            self.pool, self.payments.directory, md.get("x-scanpay-key-id", ""), md.get("x-scanpay-timestamp", ""),
            md.get("x-scanpay-nonce", ""), md.get("x-scanpay-signature", ""), "POST", f"/{PARTNER_SERVICE}/{method}",
            request.SerializeToString(deterministic=True))

    async def _partner(self, ctx: grpc.aio.ServicerContext, method: str, request: Any) -> str:
        """The calling partner's id, after checking the request signature; merchant keys may not onboard."""
        caller = await self._verified_caller(ctx, method, request)
        if caller.kind != "partner":
            raise PermissionDenied("onboarding calls need a partner key, not a merchant POS key", reason="PARTNER_ONLY")
        return caller.owner_id

    async def _own_merchant(self, partner_id: str, merchant_id: str) -> merchant_pb2.Merchant:
        """The merchant, if this partner owns it: unknown -> NOT_FOUND, another partner's -> PERMISSION_DENIED."""
        merchant_id = required_id(merchant_id, "merchant_id")
        merchant = await downstream("merchant", self.merchants.GetMerchant(
            merchant_pb2.GetMerchantRequest(merchant_id=merchant_id), metadata=as_partner(partner_id)))
        if merchant.partner_id != partner_id:
            raise PermissionDenied("merchant_id: this partner does not own that merchant", field="merchant_id",
                                   reason="NOT_OWNER")
        return merchant

    async def _own_pos_key(self, partner_id: str, merchant_id: str, key_id: str) -> merchant_pb2.Credential:
        await self._own_merchant(partner_id, merchant_id)
        key_id = required_id(key_id, "key_id")
        key = await downstream("merchant", self.merchants.LookupCredential(
            merchant_pb2.LookupCredentialRequest(key_id=key_id), metadata=SERVICE_ACTOR))
        if key.owner_kind != merchant_pb2.OWNER_KIND_MERCHANT or key.owner_id != merchant_id:
            raise NotFound("key_id: no POS key of this merchant has that id", field="key_id")
        return key

    # --- merchants and stores ------------------------------------------------------------------------

    async def OnboardMerchant(self, request: pb.OnboardMerchantRequest, ctx: Any) -> merchant_pb2.Merchant:
        partner = await self._partner(ctx, "OnboardMerchant", request)
        create = merchant_pb2.CreateMerchantRequest(
            legal_name=request.legal_name, display_name=request.display_name, licence_id=request.licence_id,
            mcc=request.mcc, partner_id=partner)
        if request.HasField("settlement_account"):
            create.settlement_account.CopyFrom(request.settlement_account)
        return await downstream("merchant", self.merchants.CreateMerchant(create, metadata=as_partner(partner)))

    async def AddStore(self, request: pb.AddStoreRequest, ctx: Any) -> merchant_pb2.Store:
        partner = await self._partner(ctx, "AddStore", request)
        await self._own_merchant(partner, request.merchant_id)
        return await downstream("merchant", self.merchants.CreateStore(merchant_pb2.CreateStoreRequest(
            merchant_id=request.merchant_id.strip(), mall_id=request.mall_id, name=request.name,
            address=request.address, city=request.city, lat=request.lat, lng=request.lng,
            opening_hours=request.opening_hours), metadata=as_partner(partner)))

    async def RequestActivation(self, request: pb.RequestActivationRequest, ctx: Any) -> pb.ActivationRequest:
        partner = await self._partner(ctx, "RequestActivation", request)
        note = request.note.strip()
        if len(note) > NOTE_MAX:
            raise InvalidArgument(f"note: at most {NOTE_MAX} characters", field="note")
        merchant = await self._own_merchant(partner, request.merchant_id)
        if merchant.status != merchant_pb2.MERCHANT_STATUS_PENDING:
            status = merchant_pb2.MerchantStatus.Name(merchant.status).removeprefix("MERCHANT_STATUS_")
            raise FailedPrecondition(f"merchant_id: only a PENDING merchant can ask for activation (it is {status})",
                                     field="merchant_id", reason="NOT_PENDING")
        async with self.pool.acquire() as conn:
            row = await open_activation_request(conn, merchant.merchant_id, partner, note)
        return activation_message(row)

    async def GetMerchant(self, request: pb.MerchantRef, ctx: Any) -> merchant_pb2.Merchant:
        partner = await self._partner(ctx, "GetMerchant", request)
        return await self._own_merchant(partner, request.merchant_id)

    async def ListMerchants(self, request: pb.ListPartnerMerchantsRequest,
                            ctx: Any) -> pb.ListPartnerMerchantsResponse:
        partner = await self._partner(ctx, "ListMerchants", request)
        reply = await downstream("merchant", self.merchants.ListMerchants(merchant_pb2.ListMerchantsRequest(
            page=request.page, status=request.status, partner_id=partner), metadata=as_partner(partner)))
        return pb.ListPartnerMerchantsResponse(merchants=reply.merchants, page=reply.page)

    async def GetStore(self, request: pb.StoreRef, ctx: Any) -> merchant_pb2.Store:
        partner = await self._partner(ctx, "GetStore", request)
        store = await downstream("merchant", self.merchants.GetStore(
            merchant_pb2.GetStoreRequest(store_id=required_id(request.store_id, "store_id")),
            metadata=as_partner(partner)))
        await self._own_merchant(partner, store.merchant_id)
        return store

    async def ListStores(self, request: pb.ListMerchantStoresRequest, ctx: Any) -> pb.ListMerchantStoresResponse:
        partner = await self._partner(ctx, "ListStores", request)
        merchant = await self._own_merchant(partner, request.merchant_id)
        reply = await downstream("merchant", self.merchants.ListStores(merchant_pb2.ListStoresRequest(
            page=request.page, merchant_id=merchant.merchant_id), metadata=as_partner(partner)))
        return pb.ListMerchantStoresResponse(stores=reply.stores, page=reply.page)

    # --- POS keys ------------------------------------------------------------------------------------

    async def IssuePosKey(self, request: pb.IssuePosKeyRequest, ctx: Any) -> pb.PosKeyResponse:
        partner = await self._partner(ctx, "IssuePosKey", request)
        merchant = await self._own_merchant(partner, request.merchant_id)
        create = merchant_pb2.CreateCredentialRequest(owner_kind=merchant_pb2.OWNER_KIND_MERCHANT,
                                                      owner_id=merchant.merchant_id)
        if request.HasField("expire_time"):
            create.expire_time.CopyFrom(request.expire_time)
        reply = await downstream("merchant", self.merchants.CreateCredential(create, metadata=as_partner(partner)))
        return pb.PosKeyResponse(credential=reply.credential, secret=reply.secret)

    async def RotatePosKey(self, request: pb.RotatePosKeyRequest, ctx: Any) -> pb.RotatePosKeyResponse:
        partner = await self._partner(ctx, "RotatePosKey", request)
        key = await self._own_pos_key(partner, request.merchant_id, request.key_id)
        rotate = merchant_pb2.RotateCredentialRequest(key_id=key.key_id)
        if request.HasField("overlap_seconds"):
            rotate.overlap_seconds = request.overlap_seconds
        reply = await downstream("merchant", self.merchants.RotateCredential(rotate, metadata=as_partner(partner)))
        return pb.RotatePosKeyResponse(credential=reply.credential, secret=reply.secret, previous=reply.previous)

    async def RevokePosKey(self, request: pb.RevokePosKeyRequest, ctx: Any) -> merchant_pb2.Credential:
        partner = await self._partner(ctx, "RevokePosKey", request)
        if not request.reason.strip():
            raise InvalidArgument("reason is required", field="reason")
        key = await self._own_pos_key(partner, request.merchant_id, request.key_id)
        return await downstream("merchant", self.merchants.RevokeCredential(
            merchant_pb2.RevokeCredentialRequest(key_id=key.key_id, reason=request.reason),
            metadata=as_partner(partner)))

    async def ListPosKeys(self, request: pb.ListPosKeysRequest, ctx: Any) -> pb.ListPosKeysResponse:
        partner = await self._partner(ctx, "ListPosKeys", request)
        merchant = await self._own_merchant(partner, request.merchant_id)
        reply = await downstream("merchant", self.merchants.ListCredentials(merchant_pb2.ListCredentialsRequest(
            owner_kind=merchant_pb2.OWNER_KIND_MERCHANT, owner_id=merchant.merchant_id,
            include_inactive=request.include_inactive), metadata=as_partner(partner)))
        return pb.ListPosKeysResponse(credentials=reply.credentials)

    # --- settlement reads ----------------------------------------------------------------------------

    async def GetStatement(self, request: pb.GetStatementRequest, ctx: Any) -> settlement_pb2.Statement:
        partner = await self._partner(ctx, "GetStatement", request)
        merchant = await self._own_merchant(partner, request.merchant_id)
        required_id(request.business_date, "business_date")
        return await downstream("settlement", self._settlement().GetStatement(settlement_pb2.GetStatementRequest(
            merchant_id=merchant.merchant_id, business_date=request.business_date), metadata=SERVICE_ACTOR))

    async def ListSettlementBatches(self, request: pb.ListSettlementBatchesRequest,
                                    ctx: Any) -> settlement_pb2.ListBatchesResponse:
        partner = await self._partner(ctx, "ListSettlementBatches", request)
        merchant = await self._own_merchant(partner, request.merchant_id)
        required_id(request.from_date, "from_date")
        return await downstream("settlement", self._settlement().ListBatches(settlement_pb2.ListBatchesRequest(
            merchant_id=merchant.merchant_id, from_date=request.from_date, to_date=request.to_date,
            page=request.page), metadata=SERVICE_ACTOR))
