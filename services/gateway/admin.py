"""The platform admin surface (scanpay.gateway.v1.AdminService) and its append-only audit log.

The service is internal (the kit interceptor requires the internal token); on top of that every call must carry
an admin token (`x-scanpay-admin-token`) that matches an entry of SCANPAY_ADMIN_TOKEN. Each entry is
`operator:token` or `operator:sha256:<hex digest of the token>`; a bare `token` is operator "admin". Tokens are
compared as SHA-256 digests in constant time, so the plain tokens never need to live in this process.

An action runs downstream first (merchant, promotions); once it succeeded, its gateway-side record (an
activation request decided) and its audit entry commit in one transaction. A refused action writes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass
from typing import Any

import asyncpg
import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from ..gen.scanpay.common.v1 import common_pb2
from ..gen.scanpay.gateway.v1 import gateway_pb2 as pb
from ..gen.scanpay.gateway.v1 import gateway_pb2_grpc
from ..gen.scanpay.merchant.v1 import merchant_pb2
from ..gen.scanpay.promotions.v1 import promotions_pb2
from ..kit.auth import ADMIN
from ..kit.config import ConfigError
from ..kit.errors import InvalidArgument, NotFound, Unauthenticated
from ..kit.ids import new_id
from ..kit.logging import get_logger, request_id_var
from ..kit.proto import timestamp
from ..kit.service import Runtime
from . import store
from .api import refund_message, trade_message
from .partner_onboarding import activation_message, downstream, required_id
from .saga import Payments

log = get_logger("gateway.admin")
ADMIN_TOKEN_HEADER = "x-scanpay-admin-token"
DEV_ADMIN_TOKEN = "admin:dev-admin-token"
AS_ADMIN = (("x-scanpay-actor", ADMIN.header()),)
REASON_MAX = 500
AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX = 50, 500
_OPERATOR = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


# --- admin identities ----------------------------------------------------------------------------------


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class AdminTokens:
    """(operator, SHA-256 of the token) pairs from SCANPAY_ADMIN_TOKEN."""

    entries: tuple[tuple[str, bytes], ...]

    @classmethod
    def parse(cls, raw: str) -> AdminTokens:
        entries = []
        for item in (part.strip() for part in raw.split(",")):
            if not item:
                continue
            operator, sep, token = item.partition(":")
            if not sep:
                operator, token = "admin", item
            if not _OPERATOR.match(operator) or not token:
                raise ConfigError("SCANPAY_ADMIN_TOKEN entries are operator:token or operator:sha256:<hex>")
            if token.startswith("sha256:") and _HEX64.match(token[7:]):
                entries.append((operator, bytes.fromhex(token[7:])))
            else:
                entries.append((operator, digest(token)))
        if not entries:
            raise ConfigError("SCANPAY_ADMIN_TOKEN has no admin token")
        return cls(tuple(entries))

    @classmethod
    def from_env(cls) -> AdminTokens:
        # The local default works on a laptop; production sets its own (see docs/admin.md).
        return cls.parse(os.environ.get("SCANPAY_ADMIN_TOKEN", DEV_ADMIN_TOKEN))

    def operator(self, token: str) -> str | None:
        """The operator whose token this is; every entry is compared, so timing tells nothing."""
        supplied = digest(token)
        found = None
        for operator, expected in self.entries:
            if hmac.compare_digest(supplied, expected) and found is None:
                found = operator
        return found


# --- SQL: audit log and activation decisions -----------------------------------------------------------


@dataclass(frozen=True)
class AuditRecord:
    actor: str
    action: str
    target_kind: str
    target_id: str
    reason: str = ""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


async def append_audit(conn: asyncpg.Connection, entry: AuditRecord) -> asyncpg.Record:
    return await conn.fetchrow(
        """
        INSERT INTO admin_audit_log (audit_id, actor, action, target_kind, target_id, reason, before, after, request_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9)
        RETURNING *
        """,
        new_id("aud"), entry.actor, entry.action, entry.target_kind, entry.target_id, entry.reason,
        _json(entry.before), _json(entry.after), request_id_var.get() or "")


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"))


async def list_audit(conn: asyncpg.Connection, target_id: str, action: str, before_seq: int | None,
                     limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT * FROM admin_audit_log
        WHERE ($1 = '' OR target_id = $1) AND ($2 = '' OR action = $2) AND ($3::bigint IS NULL OR seq < $3)
        ORDER BY seq DESC LIMIT $4
        """,
        target_id, action, before_seq, limit)


async def decide_activation(conn: asyncpg.Connection, merchant_id: str, status: str, admin: str,
                            reason: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """
        UPDATE activation_requests
        SET status = $2, decided_at = now(), decided_by = $3, decision_reason = $4
        WHERE merchant_id = $1 AND status = 'PENDING'
        RETURNING *
        """,
        merchant_id, status, admin, reason)


async def list_activation_requests(conn: asyncpg.Connection, status: str, after: str,
                                   limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT * FROM activation_requests WHERE status = $1 AND request_id > $2
        ORDER BY request_id LIMIT $3
        """,
        status, after, limit)


# --- the servicer --------------------------------------------------------------------------------------


def as_dict(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def reason_of(value: str) -> str:
    value = value.strip()
    if not value or len(value) > REASON_MAX:
        raise InvalidArgument(f"reason: required, 1..{REASON_MAX} characters", field="reason")
    return value


def audit_message(row: asyncpg.Record) -> pb.AuditEntry:
    return pb.AuditEntry(
        seq=row["seq"], audit_id=row["audit_id"], actor=row["actor"], action=row["action"],
        target_kind=row["target_kind"], target_id=row["target_id"], reason=row["reason"],
        before_json=row["before"] or "", after_json=row["after"] or "", request_id=row["request_id"],
        occurred_at=timestamp(row["occurred_at"]))


MERCHANT_DECISIONS: dict[str, tuple[int, str, str | None]] = {
    # action: (target status, audit action, activation request outcome)
    "ApproveMerchant": (merchant_pb2.MERCHANT_STATUS_ACTIVE, "merchant.approve", "APPROVED"),
    "SuspendMerchant": (merchant_pb2.MERCHANT_STATUS_SUSPENDED, "merchant.suspend", None),
    "CloseMerchant": (merchant_pb2.MERCHANT_STATUS_CLOSED, "merchant.close", "REJECTED"),
}


class AdminApi(gateway_pb2_grpc.AdminServiceServicer):
    def __init__(self, runtime: Runtime, payments: Payments, tokens: AdminTokens,
                 on_campaigns_changed: Any = None) -> None:
        self.pool = runtime.pool
        self.payments = payments
        self.tokens = tokens
        self.on_campaigns_changed = on_campaigns_changed

    @property
    def merchants(self) -> Any:
        return self.payments.directory.stub

    @property
    def promotions(self) -> Any:
        return self.payments.promotions.stub

    def _admin(self, ctx: grpc.aio.ServicerContext) -> str:
        """`admin:<operator>` of the caller's admin token, else UNAUTHENTICATED."""
        md = {k: v for k, v in (ctx.invocation_metadata() or ()) if isinstance(v, str)}
        operator = self.tokens.operator(md.get(ADMIN_TOKEN_HEADER, ""))
        if operator is None:
            raise Unauthenticated(f"an admin token is required in {ADMIN_TOKEN_HEADER}", reason="ADMIN_TOKEN_INVALID")
        return f"admin:{operator}"

    async def _record(self, entry: AuditRecord) -> None:
        async with self.pool.acquire() as conn:
            await append_audit(conn, entry)
        log.info("admin_action", actor=entry.actor, action=entry.action, target=entry.target_id)

    # --- partners ------------------------------------------------------------------------------------

    async def CreatePartner(self, request: merchant_pb2.CreatePartnerRequest, ctx: Any) -> merchant_pb2.Partner:
        who = self._admin(ctx)
        partner = await downstream("merchant", self.merchants.CreatePartner(request, metadata=AS_ADMIN))
        await self._record(AuditRecord(who, "partner.create", "partner", partner.partner_id, after=as_dict(partner)))
        return partner

    async def CreatePartnerKey(self, request: pb.CreatePartnerKeyRequest, ctx: Any) -> pb.PosKeyResponse:
        who = self._admin(ctx)
        create = merchant_pb2.CreateCredentialRequest(owner_kind=merchant_pb2.OWNER_KIND_PARTNER,
                                                      owner_id=required_id(request.partner_id, "partner_id"))
        if request.HasField("expire_time"):
            create.expire_time.CopyFrom(request.expire_time)
        reply = await downstream("merchant", self.merchants.CreateCredential(create, metadata=AS_ADMIN))
        # The secret is shown once, to the caller; the audit keeps the key's metadata only.
        await self._record(AuditRecord(who, "partner.key.create", "partner", create.owner_id,
                                       after=as_dict(reply.credential)))
        return pb.PosKeyResponse(credential=reply.credential, secret=reply.secret)

    # --- merchants -----------------------------------------------------------------------------------

    async def _decide(self, method: str, request: pb.MerchantDecisionRequest, ctx: Any) -> merchant_pb2.Merchant:
        who = self._admin(ctx)
        merchant_id = required_id(request.merchant_id, "merchant_id")
        reason = reason_of(request.reason)
        target, action, outcome = MERCHANT_DECISIONS[method]
        before = await downstream("merchant", self.merchants.GetMerchant(
            merchant_pb2.GetMerchantRequest(merchant_id=merchant_id), metadata=AS_ADMIN))
        after = await downstream("merchant", self.merchants.ChangeMerchantStatus(
            merchant_pb2.ChangeMerchantStatusRequest(merchant_id=merchant_id, to_status=target, reason=reason),
            metadata=AS_ADMIN))
        async with self.pool.acquire() as conn, conn.transaction():
            if outcome is not None:
                await decide_activation(conn, merchant_id, outcome, who, reason)
            await append_audit(conn, AuditRecord(who, action, "merchant", merchant_id, reason, as_dict(before),
                                                 as_dict(after)))
        log.info("admin_action", actor=who, action=action, target=merchant_id)
        return after

    async def ApproveMerchant(self, request: pb.MerchantDecisionRequest, ctx: Any) -> merchant_pb2.Merchant:
        return await self._decide("ApproveMerchant", request, ctx)

    async def SuspendMerchant(self, request: pb.MerchantDecisionRequest, ctx: Any) -> merchant_pb2.Merchant:
        return await self._decide("SuspendMerchant", request, ctx)

    async def CloseMerchant(self, request: pb.MerchantDecisionRequest, ctx: Any) -> merchant_pb2.Merchant:
        return await self._decide("CloseMerchant", request, ctx)

    async def ListActivationRequests(self, request: pb.ListActivationRequestsRequest,
                                     ctx: Any) -> pb.ListActivationRequestsResponse:
        self._admin(ctx)
        if request.status not in pb.ActivationStatus.values():
            raise InvalidArgument("unknown activation status", field="status")
        status = pb.ActivationStatus.Name(request.status or pb.ACTIVATION_STATUS_PENDING)
        size = _page_size(request.page)
        async with self.pool.acquire() as conn:
            rows = await list_activation_requests(conn, status.removeprefix("ACTIVATION_STATUS_"),
                                                  request.page.page_token, size)
        token = rows[-1]["request_id"] if len(rows) == size else ""
        return pb.ListActivationRequestsResponse(requests=[activation_message(r) for r in rows],
                                                 page=common_pb2.PageResponse(next_page_token=token))

    # --- malls and campaigns -------------------------------------------------------------------------

    async def CreateMall(self, request: merchant_pb2.CreateMallRequest, ctx: Any) -> merchant_pb2.Mall:
        who = self._admin(ctx)
        mall = await downstream("merchant", self.merchants.CreateMall(request, metadata=AS_ADMIN))
        await self._record(AuditRecord(who, "mall.create", "mall", mall.mall_id, after=as_dict(mall)))
        return mall

    async def LaunchCampaign(self, request: promotions_pb2.CreateCampaignRequest,
                             ctx: Any) -> promotions_pb2.Campaign:
        who = self._admin(ctx)
        reply = await downstream("promotions", self.promotions.CreateCampaign(request, metadata=AS_ADMIN))
        await self._record(AuditRecord(who, "campaign.launch", "campaign", reply.campaign.id,
                                       after=as_dict(reply.campaign)))
        self._campaigns_changed()
        return reply.campaign

    async def EndCampaign(self, request: pb.EndCampaignRequest, ctx: Any) -> promotions_pb2.Campaign:
        who = self._admin(ctx)
        campaign_id = required_id(request.campaign_id, "campaign_id")
        reason = reason_of(request.reason)
        before = await downstream("promotions", self.promotions.GetCampaign(
            promotions_pb2.GetCampaignRequest(campaign_id=campaign_id), metadata=AS_ADMIN))
        reply = await downstream("promotions", self.promotions.EndCampaign(
            promotions_pb2.EndCampaignRequest(campaign_id=campaign_id, reason=reason), metadata=AS_ADMIN))
        await self._record(AuditRecord(who, "campaign.end", "campaign", campaign_id, reason,
                                       as_dict(before.campaign), as_dict(reply.campaign)))
        self._campaigns_changed()
        return reply.campaign

    def _campaigns_changed(self) -> None:
        # No event marks a campaign's start, so this process's discovery cache is dropped at once.
        if self.on_campaigns_changed is not None:
            self.on_campaigns_changed()

    # --- trades and the audit log ----------------------------------------------------------------------

    async def LookupTrade(self, request: pb.TradeRef, ctx: Any) -> pb.TradeLookup:
        who = self._admin(ctx)
        if request.trade_id:
            trade = await store.get_trade(self.pool, request.trade_id)
        elif request.merchant_id and request.out_trade_no:
            trade = await store.trade_by_out_no(self.pool, request.merchant_id, request.out_trade_no)
        else:
            raise InvalidArgument("trade_id, or merchant_id with out_trade_no, is required", field="trade_id")
        if trade is None:
            raise NotFound("trade not found", field="trade_id")
        refunds = await store.list_refunds(self.pool, trade["trade_id"])
        await self._record(AuditRecord(who, "trade.lookup", "trade", trade["trade_id"]))
        return pb.TradeLookup(trade=trade_message(trade), refunds=[refund_message(r, trade) for r in refunds])

    async def ListAuditLog(self, request: pb.ListAuditLogRequest, ctx: Any) -> pb.ListAuditLogResponse:
        self._admin(ctx)
        size = _page_size(request.page, AUDIT_PAGE_MAX)
        token = request.page.page_token
        if token and not (token.isascii() and token.isdigit() and int(token) < 2**63):
            raise InvalidArgument("page.page_token: not a token this service issued", field="page.page_token")
        async with self.pool.acquire() as conn:
            rows = await list_audit(conn, request.target_id.strip(), request.action.strip(),
                                    int(token) if token else None, size)
        next_token = str(rows[-1]["seq"]) if len(rows) == size else ""
        return pb.ListAuditLogResponse(entries=[audit_message(r) for r in rows],
                                       page=common_pb2.PageResponse(next_page_token=next_token))


def _page_size(page: common_pb2.PageRequest, maximum: int = AUDIT_PAGE_MAX) -> int:
    size = page.page_size or AUDIT_PAGE_DEFAULT
    if not 1 <= size <= maximum:
        raise InvalidArgument(f"page.page_size: must be 1..{maximum}", field="page.page_size")
    return size
