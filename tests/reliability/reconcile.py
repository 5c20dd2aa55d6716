"""Settlement's reconciliation of the chaos run's own day.

`SettlementService.Reconcile` takes only days that are over (T+1, Asia/Shanghai), and the run happens today, so
this drives the same steps as `SettlementApi.Reconcile` (services/settlement/api.py) with settlement's own code and
role: the gateway's trades and refunds of the day (GatewayInternalService as service:settlement), the ledger legs of
the day's receivables (wallet ExportLedger), the clearing entries, one three-way match in SQL, discrepancies stored.
Only the T+1 guard is left out.
"""

from __future__ import annotations

from datetime import date

import asyncpg

from services.gen.scanpay.settlement.v1 import settlement_pb2 as pb
from services.kit.auth import Actor, current_actor
from services.kit.config import dsn_with_user, load, role_name
from services.kit.grpc import make_channel
from services.settlement import domain, runs
from services.settlement.api import report_message
from services.settlement.clients import Gateway, Ledger

from .stack import ChaosStack

AS_SETTLEMENT = Actor("service", "settlement")


def findings(report: pb.ReconciliationReport) -> int:
    return (report.missing_in_gateway + report.missing_in_ledger + report.missing_in_clearing
            + report.amount_mismatches + report.duplicates)


async def reconcile_day(stack: ChaosStack, day: date) -> pb.ReconciliationReport:
    token = load("settlement").internal_token
    gateway_channel = make_channel(stack.grpc_address("gateway"), token, "scanpay.gateway.v1.GatewayInternalService",
                                   deadline=60)
    wallet_channel = make_channel(stack.grpc_address("wallet"), token, "scanpay.wallet.v1.WalletService", deadline=60)
    pool = await asyncpg.create_pool(dsn_with_user(stack.database, role_name("settlement")), min_size=1, max_size=2,
                                     server_settings={"search_path": "settlement"})
    acting = current_actor.set(AS_SETTLEMENT)
    try:
        gateway = await runs.gateway_records(Gateway(gateway_channel), day)
        trades, merchants = await runs.clearing_subjects(pool, day)
        known = trades | {r.subject_id for r in gateway}
        merchants |= {r.merchant_id for r in gateway}
        ledger = await runs.ledger_records(Ledger(wallet_channel), domain.day_bounds(day), merchants, known)
        return report_message(day, await runs.reconcile(pool, day, gateway, ledger))
    finally:
        current_actor.reset(acting)
        await pool.close()
        await gateway_channel.close()
        await wallet_channel.close()


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
