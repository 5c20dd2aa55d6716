"""Background workers (ServiceSpec.workers): hold expiry and top-up recovery."""

from __future__ import annotations

import asyncio
import os

import asyncpg

from ..kit.logging import get_logger
from ..kit.service import Runtime
from .bank import SimulatedBank
from .ledger import Ledger
from .quickpay import QuickPay, recovery_after_seconds

log = get_logger("wallet.workers")
EXPIRY_INTERVAL = 1.0
BATCH = 100


def quick_pay(runtime: Runtime) -> QuickPay:
    """The quick-pay service with the simulated bank, tunable by SCANPAY_WALLET_BANK_* for tests."""
    bank = SimulatedBank(
        runtime.pool,
        slow_seconds=float(os.environ.get("SCANPAY_WALLET_BANK_SLOW_SECONDS", "2")),
        timeout_seconds=float(os.environ.get("SCANPAY_WALLET_BANK_TIMEOUT_SECONDS", "3")),
    )
    deadline = float(os.environ.get("SCANPAY_WALLET_BANK_DEADLINE_SECONDS", "4"))
    return QuickPay(runtime.pool, Ledger(runtime.pool), bank, bank_deadline=deadline)


async def expire_holds(runtime: Runtime) -> None:
    """Auto-void pending transfers past their timeout (PostPending also refuses them at post time)."""
    ledger = Ledger(runtime.pool)
    while True:
        try:
            expired = await ledger.expire_due(BATCH)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError) as exc:
            log.warning("expiry_retry", error=str(exc) or type(exc).__name__)
            expired = 0
        if expired:
            log.info("holds_expired", count=expired)
        await asyncio.sleep(0 if expired >= BATCH else EXPIRY_INTERVAL)


async def recover_topups(runtime: Runtime) -> None:
    """Finish top-ups left PENDING by a crash or a bank timeout, by asking the bank."""
    service = quick_pay(runtime)
    after = recovery_after_seconds()
    while True:
        try:
            await service.recover(after)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError) as exc:
            log.warning("topup_recovery_retry", error=str(exc) or type(exc).__name__)
        await asyncio.sleep(min(after, 5.0))
