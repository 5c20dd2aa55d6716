"""`scanpay settle run|reconcile|statement`: operator commands against the running settlement service."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import grpc
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..gen.scanpay.common.v1 import common_pb2
from ..gen.scanpay.settlement.v1 import settlement_pb2 as pb
from ..gen.scanpay.settlement.v1 import settlement_pb2_grpc
from ..kit import config
from ..kit.grpc import error_detail, make_channel
from ..settlement.statements import yuan

console = Console(stderr=True)
ADMIN = (("x-scanpay-actor", "admin"),)
DEADLINE_SECONDS = 900.0
T = TypeVar("T")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    settle = sub.add_parser("settle", help="daily settlement: run a day, reconcile it, fetch statements")
    settle_sub = settle.add_subparsers(dest="settle_command", required=True)
    run = settle_sub.add_parser("run", help="settle one business day (T+1), post it, write payout files")
    run.add_argument("--date", required=True, help="business day YYYY-MM-DD (Asia/Shanghai)")
    run.set_defaults(run=cmd_run)
    rec = settle_sub.add_parser("reconcile", help="three-way match of gateway, ledger and clearing for a day")
    rec.add_argument("--date", required=True)
    rec.set_defaults(run=cmd_reconcile)
    st = settle_sub.add_parser("statement", help="a merchant's daily statement CSV")
    st.add_argument("--merchant", required=True)
    st.add_argument("--date", required=True)
    st.add_argument("--out", help="file to write (default: the statement's file name in the current folder)")
    st.set_defaults(run=cmd_statement)


def _stub() -> tuple[grpc.aio.Channel, settlement_pb2_grpc.SettlementServiceStub]:
    settings = config.load("settlement")
    channel = make_channel(settings.addresses["settlement"], settings.internal_token,
                           "scanpay.settlement.v1.SettlementService", deadline=DEADLINE_SECONDS)
    return channel, settlement_pb2_grpc.SettlementServiceStub(channel)


def _call(work: Callable[[settlement_pb2_grpc.SettlementServiceStub], Awaitable[T]]) -> T | None:
    async def go() -> T:
        channel, stub = _stub()
        async with channel:
            return await work(stub)

    try:
        return asyncio.run(go())
    except grpc.aio.AioRpcError as exc:
        detail = error_detail(exc)
        reason = f" [{detail.reason}]" if detail else ""
        console.print(f"[red]settlement: {exc.code().name}{reason}: {exc.details()}[/red]")
        return None


async def _with_progress(label: str, call: Awaitable[T]) -> T:
    with Progress(SpinnerColumn(), TextColumn(label), BarColumn(), TimeElapsedColumn(), console=console) as bar:
        bar.add_task(label, total=None)
        return await call


async def _all_batches(stub: settlement_pb2_grpc.SettlementServiceStub, day: str, total: int) -> list[pb.Batch]:
    out: list[pb.Batch] = []
    token = ""
    with Progress(TextColumn("fetching batches"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  console=console) as bar:
        task = bar.add_task("batches", total=total)
        while True:
            page = await stub.ListBatches(pb.ListBatchesRequest(
                from_date=day, page=common_pb2.PageRequest(page_size=500, page_token=token)), metadata=ADMIN)
            out.extend(page.batches)
            bar.update(task, completed=len(out))
            token = page.page.next_page_token
            if not token:
                return out


def cmd_run(args: argparse.Namespace) -> int:
    async def work(stub: settlement_pb2_grpc.SettlementServiceStub) -> tuple[Any, list[pb.Batch]]:
        result = await _with_progress(f"settling {args.date}", stub.RunSettlement(
            pb.RunSettlementRequest(business_date=args.date), metadata=ADMIN))
        return result, await _all_batches(stub, args.date, result.batch_count)

    done = _call(work)
    if done is None:
        return 1
    result, batches = done
    table = Table(title=f"settlement {result.business_date}" + (" (already settled)" if result.already_settled else ""))
    for column in ("merchant", "trades", "refunds", "late", "gross", "fees", "mall", "net", "carry in", "payout"):
        table.add_column(column, justify="left" if column == "merchant" else "right")
    for b in batches[:50]:
        table.add_row(b.merchant_id, str(b.trade_count), str(b.refund_count), str(b.late_count), yuan(b.gross.amount),
                      yuan(b.fees.amount), yuan(b.mall_commission.amount), yuan(b.net.amount),
                      yuan(b.carry_in.amount), yuan(b.payout.amount))
    table.add_row("[b]total[/b]", "", "", str(result.late_count), yuan(result.gross.amount), yuan(result.fees.amount),
                  yuan(result.mall_commission.amount), "", "", yuan(result.payout.amount))
    console.print(table)
    if len(batches) > 50:
        console.print(f"{len(batches) - 50} more batches: scanpay settle statement --merchant M --date {args.date}")
    console.print(f"{result.batch_count} batches, {result.posted_count} posted, {result.payout_count} payouts")
    for path in result.payout_files:
        console.print(f"payout file: {path}")
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    report = _call(lambda stub: _with_progress(f"reconciling {args.date}", stub.Reconcile(
        pb.ReconcileRequest(business_date=args.date), metadata=ADMIN)))
    if report is None:
        return 1
    table = Table(title=f"reconciliation {report.business_date}")
    table.add_column("")
    table.add_column("count", justify="right")
    for name, value in (("gateway trades", report.gateway_count), ("ledger records", report.ledger_count),
                        ("clearing trades", report.clearing_count), ("matched", report.matched),
                        ("missing in gateway", report.missing_in_gateway),
                        ("missing in ledger", report.missing_in_ledger),
                        ("missing in clearing", report.missing_in_clearing),
                        ("amount mismatches", report.amount_mismatches), ("duplicates", report.duplicates),
                        ("new discrepancies", report.new_discrepancies)):
        table.add_row(name, str(value))
    console.print(table)
    if report.discrepancies:
        found = Table(title="discrepancies")
        for column in ("id", "trade", "kind", "status", "reason"):
            found.add_column(column)
        for d in report.discrepancies[:50]:
            kind = pb.DiscrepancyKind.Name(d.kind).removeprefix("DISCREPANCY_KIND_")
            status = pb.DiscrepancyStatus.Name(d.status).removeprefix("DISCREPANCY_STATUS_")
            found.add_row(d.discrepancy_id, d.trade_id, kind, status, d.reason)
        console.print(found)
    return 0 if report.matched == report.gateway_count == report.clearing_count else 3


def cmd_statement(args: argparse.Namespace) -> int:
    statement = _call(lambda stub: _with_progress(f"statement {args.merchant} {args.date}", stub.GetStatement(
        pb.GetStatementRequest(merchant_id=args.merchant, business_date=args.date), metadata=ADMIN)))
    if statement is None:
        return 1
    path = Path(args.out or statement.file_name)
    path.write_bytes(statement.csv)
    table = Table(title=f"statement {statement.owner_id} {statement.business_date}")
    table.add_column("lines", justify="right")
    table.add_column("gross", justify="right")
    table.add_column("net", justify="right")
    table.add_column("file")
    table.add_row(str(statement.line_count), yuan(statement.gross.amount), yuan(statement.net.amount), str(path))
    console.print(table)
    return 0
