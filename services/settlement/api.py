"""gRPC handlers of the settlement service."""

from __future__ import annotations

import json
import os
from datetime import date
from typing import Any

import asyncpg
import grpc

from ..gen.scanpay.common.v1 import common_pb2
from ..gen.scanpay.settlement.v1 import settlement_pb2 as pb
from ..gen.scanpay.settlement.v1 import settlement_pb2_grpc
from ..kit.auth import Actor, actor
from ..kit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from ..kit.grpc import error_detail
from ..kit.proto import timestamp
from ..kit.service import Runtime
from . import domain, runs, statements, store
from .clients import Directory, Gateway, Ledger, LedgerRefused, money

MAX_PAGE = 500
DEFAULT_PAGE = 100
REPORT_LIMIT = 1000


def _staff() -> Actor:
    """Operations on the whole platform: admins and other scanpay services."""
    who = actor()
    if who.kind not in ("admin", "service"):
        raise PermissionDenied(f"{who.header()} may not run settlement operations")
    return who


def _may_read_merchant(merchant_id: str) -> None:
    who = actor()
    if who.kind in ("admin", "service") or (who.kind == "merchant" and who.id == merchant_id and merchant_id):
        return
    raise PermissionDenied(f"{who.header()} may not read merchant {merchant_id or '(all)'}")


def _page(page: common_pb2.PageRequest) -> tuple[int, str]:
    if page.page_size < 0 or page.page_size > MAX_PAGE:
        raise InvalidArgument(f"page.page_size: must be 0..{MAX_PAGE}", field="page.page_size")
    return page.page_size or DEFAULT_PAGE, page.page_token


def batch_message(b: asyncpg.Record) -> pb.Batch:
    cur = b["currency"]
    malls = json.loads(b.get("malls") or "{}")
    return pb.Batch(
        batch_id=b["batch_id"], merchant_id=b["merchant_id"], business_date=b["business_date"].isoformat(),
        status=pb.BATCH_STATUS_POSTED if b["status"] == "posted" else pb.BATCH_STATUS_COMPUTED,
        trade_count=b["trade_count"], refund_count=b["refund_count"], late_count=b["late_count"],
        gross=money(b["gross"], cur), refunds=money(b["refunds"], cur), discounts=money(b["discounts"], cur),
        fees=money(b["fees"], cur), mall_commission=money(b["commission"], cur), net=money(b["net"], cur),
        carry_in=money(b["carry_in"], cur), payout=money(b["payout"], cur), carry_out=money(b["carry_out"], cur),
        malls=[pb.MallCommission(mall_id=k, amount=money(v, cur)) for k, v in sorted(malls.items())],
        rounding_remainder_e4=b["rounding_e4"], computed_at=timestamp(b["computed_at"]), posted_at=timestamp(b["posted_at"]),
    )


PAYOUT_STATUS = {"pending": pb.PAYOUT_STATUS_PENDING, "sent": pb.PAYOUT_STATUS_SENT,
                 "paid": pb.PAYOUT_STATUS_PAID, "failed": pb.PAYOUT_STATUS_FAILED}
PAYOUT_STATUS_NAME = {v: k for k, v in PAYOUT_STATUS.items()}


def payout_message(p: asyncpg.Record) -> pb.Payout:
    return pb.Payout(
        payout_id=p["payout_id"], batch_id=p["batch_id"], merchant_id=p["merchant_id"],
        business_date=p["business_date"].isoformat(), amount=money(p["amount"], p["currency"]),
        bank_code=p["bank_name"], status=PAYOUT_STATUS[p["status"]], attempt=p["attempt"],
        file_name=p["file_name"], failure_reason=p["failure_reason"], requeued_payout_id=p["requeued_payout_id"],
        created_at=timestamp(p["created_at"]), updated_at=timestamp(p["updated_at"]),
    )


def _optional_money(amount: int | None, currency: str) -> common_pb2.Money | None:
    return None if amount is None else money(amount, currency)


def discrepancy_message(d: asyncpg.Record) -> pb.Discrepancy:
    cur = d["currency"]
    return pb.Discrepancy(
        discrepancy_id=d["discrepancy_id"], business_date=d["business_date"].isoformat(),
        subject_kind=d["subject_kind"], subject_id=d["subject_id"], trade_id=d["trade_id"],
        merchant_id=d["merchant_id"], kind=pb.DiscrepancyKind.Value(f"DISCREPANCY_KIND_{d['kind']}"),
        reason=d["reason"], gateway_amount=_optional_money(d["gateway_amount"], cur),
        ledger_amount=_optional_money(d["ledger_amount"], cur),
        clearing_amount=_optional_money(d["clearing_amount"], cur),
        status=pb.DISCREPANCY_STATUS_RESOLVED if d["status"] == "resolved" else pb.DISCREPANCY_STATUS_OPEN,
        resolution=d["resolution"], resolved_by=d["resolved_by"], found_at=timestamp(d["found_at"]),
        resolved_at=timestamp(d["resolved_at"]),
    )


class SettlementApi(settlement_pb2_grpc.SettlementServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.pool = runtime.pool
        self.directory = Directory(runtime.channel("merchant"))
        self.ledger = Ledger(runtime.channel("wallet"))
        self.gateway = Gateway(runtime.channel("gateway"))
        self.settler = runs.Settler(self.pool, self.ledger, self.directory)
        # SCANPAY_SETTLEMENT_SAME_DAY=1 (local stack and demo only) lets today be settled before it is over.
        self.same_day = os.environ.get("SCANPAY_SETTLEMENT_SAME_DAY") == "1"

    async def RunSettlement(self, request: pb.RunSettlementRequest, context: Any) -> pb.RunSettlementResponse:
        _staff()
        day = domain.parse_closed_day(request.business_date, same_day=self.same_day)
        try:
            result = await self.settler.run(day)
        except grpc.aio.AioRpcError as exc:
            detail = error_detail(exc)
            raise _unposted(exc.code(), exc.details() or "", detail.reason if detail else "") from exc
        except LedgerRefused as exc:
            raise _unposted(exc.status, exc.details, exc.reason) from exc
        s = result.summary
        return pb.RunSettlementResponse(
            business_date=day.isoformat(), already_settled=result.already_settled, batch_count=s["batch_count"],
            posted_count=s["posted_count"], entry_count=s["entry_count"], late_count=s["late_count"],
            gross=money(s["gross"]), fees=money(s["fees"]), mall_commission=money(s["commission"]),
            payout=money(s["payout"]), payout_count=s["payout_count"], payout_files=result.files,
        )

    async def GetBatch(self, request: pb.GetBatchRequest, context: Any) -> pb.Batch:
        async with self.pool.acquire() as conn:
            batch = await store.get_batch(conn, request.batch_id)
        if batch is None:
            raise NotFound(f"batch {request.batch_id} not found", field="batch_id")
        _may_read_merchant(batch["merchant_id"])
        return batch_message(batch)

    async def ListBatches(self, request: pb.ListBatchesRequest, context: Any) -> pb.ListBatchesResponse:
        if request.merchant_id:
            _may_read_merchant(request.merchant_id)
        else:
            _staff()
        first = domain.parse_date(request.from_date, "from_date")
        last = domain.parse_date(request.to_date, "to_date") if request.to_date else first
        if last < first:
            raise InvalidArgument("to_date: before from_date", field="to_date")
        size, token = _page(request.page)
        after = _batch_cursor(token)
        async with self.pool.acquire() as conn:
            rows = await store.list_batches(conn, request.merchant_id, first, last, after, size + 1)
        more = len(rows) > size
        rows = rows[:size]
        next_token = f"{rows[-1]['business_date'].isoformat()}|{rows[-1]['merchant_id']}" if more else ""
        return pb.ListBatchesResponse(batches=[batch_message(r) for r in rows],
                                      page=common_pb2.PageResponse(next_page_token=next_token))

    async def _require_merchant(self, conn: asyncpg.Connection, merchant_id: str) -> None:
        if not merchant_id:
            raise InvalidArgument("merchant_id: required", field="merchant_id")
        if not await store.merchant_known(conn, merchant_id) and not await self.directory.exists(merchant_id):
            raise NotFound(f"merchant {merchant_id} not found", field="merchant_id")

    async def _require_settled(self, conn: asyncpg.Connection, day: date) -> None:
        if await store.day_status(conn, day) is None:
            raise FailedPrecondition(f"{day} is not settled yet; its statement comes with the settlement run",
                                     field="business_date", reason="DAY_NOT_SETTLED")

    async def GetStatement(self, request: pb.GetStatementRequest, context: Any) -> pb.Statement:
        _may_read_merchant(request.merchant_id)
        day = domain.parse_closed_day(request.business_date, same_day=self.same_day)
        async with self.pool.acquire() as conn:
            await self._require_merchant(conn, request.merchant_id)
            await self._require_settled(conn, day)
            entries = await store.statement_entries(conn, request.merchant_id, day)
            batch = await store.batch_of(conn, request.merchant_id, day)
        body = statements.merchant_statement(entries, batch, day)
        return pb.Statement(
            owner_id=request.merchant_id, business_date=day.isoformat(),
            file_name=f"statement_{request.merchant_id}_{day:%Y%m%d}.csv", content_type="text/csv", csv=body,
            line_count=len(entries), gross=money(batch["gross"] if batch else 0),
            net=money(batch["net"] if batch else 0),
        )

    async def GetMallStatement(self, request: pb.GetMallStatementRequest, context: Any) -> pb.Statement:
        _staff()
        if not request.mall_id:
            raise InvalidArgument("mall_id: required", field="mall_id")
        day = domain.parse_closed_day(request.business_date, same_day=self.same_day)
        async with self.pool.acquire() as conn:
            if not await store.mall_known(conn, request.mall_id):
                raise NotFound(f"mall {request.mall_id} has no cleared trades", field="mall_id")
            await self._require_settled(conn, day)
            entries = await store.mall_statement_entries(conn, request.mall_id, day)
        body = statements.mall_statement(entries, day)
        gross = sum(e["gross"] if e["kind"] == "trade" else -e["gross"] for e in entries)
        commission = sum(e["commission"] if e["kind"] == "trade" else -e["commission"] for e in entries)
        return pb.Statement(
            owner_id=request.mall_id, business_date=day.isoformat(),
            file_name=f"mall_statement_{request.mall_id}_{day:%Y%m%d}.csv", content_type="text/csv", csv=body,
            line_count=len(entries), gross=money(gross), net=money(commission),
        )

    async def Reconcile(self, request: pb.ReconcileRequest, context: Any) -> pb.ReconciliationReport:
        _staff()
        day = domain.parse_closed_day(request.business_date, same_day=self.same_day)
        try:
            gateway = await runs.gateway_records(self.gateway, day)
            trades, merchants = await runs.clearing_subjects(self.pool, day)
            known = trades | {r.subject_id for r in gateway}
            merchants |= {r.merchant_id for r in gateway}
            ledger = await runs.ledger_records(self.ledger, domain.day_bounds(day), merchants, known)
        except grpc.aio.AioRpcError as exc:
            raise FailedPrecondition(f"reconciliation needs the gateway and the wallet: {exc.code().name}"
                                     f" {exc.details()}", reason="SOURCE_UNAVAILABLE") from exc
        result = await runs.reconcile(self.pool, day, gateway, ledger)
        return report_message(day, result)

    async def ListDiscrepancies(self, request: pb.ListDiscrepanciesRequest, context: Any
                                ) -> pb.ListDiscrepanciesResponse:
        _staff()
        day = domain.parse_date(request.business_date) if request.business_date else None
        status = {pb.DISCREPANCY_STATUS_OPEN: "open", pb.DISCREPANCY_STATUS_RESOLVED: "resolved"}.get(
            request.status, "")
        size, token = _page(request.page)
        async with self.pool.acquire() as conn:
            rows = await store.list_discrepancies(conn, day, status, token, size + 1)
        more = len(rows) > size
        rows = rows[:size]
        return pb.ListDiscrepanciesResponse(
            discrepancies=[discrepancy_message(r) for r in rows],
            page=common_pb2.PageResponse(next_page_token=rows[-1]["discrepancy_id"] if more else ""))

    async def ResolveDiscrepancy(self, request: pb.ResolveDiscrepancyRequest, context: Any) -> pb.Discrepancy:
        who = _staff()
        if not request.resolution.strip():
            raise InvalidArgument("resolution: required", field="resolution")
        async with self.pool.acquire() as conn, conn.transaction():
            existing = await store.get_discrepancy(conn, request.discrepancy_id)
            if existing is None:
                raise NotFound(f"discrepancy {request.discrepancy_id} not found", field="discrepancy_id")
            resolved = await store.resolve_discrepancy(conn, request.discrepancy_id, request.resolution.strip(),
                                                       who.header())
            if resolved is None:
                raise FailedPrecondition(f"discrepancy {request.discrepancy_id} is already resolved",
                                         field="discrepancy_id", reason="ALREADY_RESOLVED")
        return discrepancy_message(resolved)

    async def MarkPayout(self, request: pb.MarkPayoutRequest, context: Any) -> pb.MarkPayoutResponse:
        _staff()
        if request.status not in (pb.PAYOUT_STATUS_PAID, pb.PAYOUT_STATUS_FAILED):
            raise InvalidArgument("status: must be PAID or FAILED", field="status")
        try:
            payout, requeued = await runs.mark_payout(self.pool, self.ledger, request.payout_id,
                                                      request.status == pb.PAYOUT_STATUS_PAID, request.reason)
        except grpc.aio.AioRpcError as exc:
            raise FailedPrecondition(f"the wallet refused the payout's posting ({exc.code().name}: {exc.details()});"
                                     " nothing was marked", reason="LEDGER_UNAVAILABLE") from exc
        return pb.MarkPayoutResponse(payout=payout_message(payout),
                                     requeued=payout_message(requeued) if requeued else None)

    async def ListPayouts(self, request: pb.ListPayoutsRequest, context: Any) -> pb.ListPayoutsResponse:
        _staff()
        day = domain.parse_date(request.business_date) if request.business_date else None
        size, token = _page(request.page)
        async with self.pool.acquire() as conn:
            rows = await store.list_payouts(conn, day, PAYOUT_STATUS_NAME.get(request.status, ""),
                                            request.merchant_id, token, size + 1)
        more = len(rows) > size
        rows = rows[:size]
        return pb.ListPayoutsResponse(
            payouts=[payout_message(r) for r in rows],
            page=common_pb2.PageResponse(next_page_token=rows[-1]["payout_id"] if more else ""))


def _unposted(code: grpc.StatusCode, details: str, wallet_reason: str) -> FailedPrecondition:
    """A day whose posting stopped: LEDGER_REFUSED_<reason> when the wallet said no (e.g. a receivable lacks
    the money), else LEDGER_UNAVAILABLE."""
    refused = code in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT)
    reason = (f"LEDGER_REFUSED_{wallet_reason}" if wallet_reason else "LEDGER_REFUSED") if refused else (
        "LEDGER_UNAVAILABLE")
    return FailedPrecondition(f"the day is frozen but a batch did not post ({code.name}: {details}); the other"
                              " batches are posted; run the day again to finish it", reason=reason)


def _batch_cursor(token: str) -> tuple[date, str] | None:
    if not token:
        return None
    day, sep, merchant = token.partition("|")
    if not sep:
        raise InvalidArgument("page.page_token: not a token of this list", field="page.page_token")
    return domain.parse_date(day, "page.page_token"), merchant


def report_message(day: date, result: runs.ReconcileResult) -> pb.ReconciliationReport:
    totals = result.totals
    by_kind = {k: sum(1 for f in totals.findings if f.kind == k) for k in (
        domain.MISSING_IN_GATEWAY, domain.MISSING_IN_LEDGER, domain.MISSING_IN_CLEARING, domain.AMOUNT_MISMATCH,
        domain.DUPLICATE_CLEARING)}
    return pb.ReconciliationReport(
        business_date=day.isoformat(), gateway_count=totals.counts["gateway"], ledger_count=totals.counts["ledger"],
        clearing_count=totals.counts["clearing"], matched=totals.matched,
        missing_in_gateway=by_kind[domain.MISSING_IN_GATEWAY], missing_in_ledger=by_kind[domain.MISSING_IN_LEDGER],
        missing_in_clearing=by_kind[domain.MISSING_IN_CLEARING], amount_mismatches=by_kind[domain.AMOUNT_MISMATCH],
        duplicates=by_kind[domain.DUPLICATE_CLEARING],
        discrepancies=[discrepancy_message(r) for r in result.rows[:REPORT_LIMIT]],
        new_discrepancies=result.fresh,
    )
