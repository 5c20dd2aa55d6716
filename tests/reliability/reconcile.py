"""Settlement's reconciliation of the chaos run's own day: `SettlementService.Reconcile` over gRPC as the admin.

Days settle and reconcile T+1 (Asia/Shanghai); the run happens today, so its stack starts settlement with
SCANPAY_SETTLEMENT_SAME_DAY=1 (the local-stack switch of docs/settlement.md), which lets today be reconciled.
"""

from __future__ import annotations

from datetime import date

from services.gen.scanpay.settlement.v1 import settlement_pb2 as pb
from services.gen.scanpay.settlement.v1 import settlement_pb2_grpc
from services.kit.config import load
from services.kit.grpc import make_channel

from .stack import ChaosStack

AS_ADMIN = (("x-scanpay-actor", "admin"),)


def findings(report: pb.ReconciliationReport) -> int:
    return (report.missing_in_gateway + report.missing_in_ledger + report.missing_in_clearing
            + report.amount_mismatches + report.duplicates)


async def reconcile_day(stack: ChaosStack, day: date) -> pb.ReconciliationReport:
    channel = make_channel(stack.grpc_address("settlement"), load("settlement").internal_token,
                           "scanpay.settlement.v1.SettlementService", deadline=120)
    try:
        stub = settlement_pb2_grpc.SettlementServiceStub(channel)
        return await stub.Reconcile(pb.ReconcileRequest(business_date=day.isoformat()), metadata=AS_ADMIN)
    finally:
        await channel.close()


async def reconcile_run(stack: ChaosStack) -> tuple[bool, str]:
    """Every Asia/Shanghai day the run's trades were paid on; ok when no day has a finding."""
    conn = await stack.admin()
    try:
        days = await conn.fetch(
            "SELECT DISTINCT (paid_at AT TIME ZONE 'Asia/Shanghai')::date AS day FROM gateway.trades"
            " WHERE paid_at IS NOT NULL ORDER BY 1")
    finally:
        await conn.close()
    ok, lines = True, []
    for row in days:
        report = await reconcile_day(stack, row["day"])
        ok = ok and findings(report) == 0
        lines.append(f"{report.business_date}: {report.matched} matched of {report.gateway_count} gateway / "
                     f"{report.ledger_count} ledger / {report.clearing_count} clearing records, "
                     f"{findings(report)} discrepancies"
                     + "".join(f"; {d.kind and pb.DiscrepancyKind.Name(d.kind)} {d.subject_id} {d.reason}"
                               for d in report.discrepancies[:5]))
    return ok and bool(days), " | ".join(lines) or "no paid trades to reconcile"
