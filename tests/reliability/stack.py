"""A stack of its own for the chaos run: a fresh database, an embedded NATS that can be restarted on the same port
and store, and the five services as processes that can be SIGKILLed and started again.

Used by the tests (tests/reliability/conftest.py) and by `make chaos` (bench/chaos.py).
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from services.kit import localstack
from services.kit.config import SERVICES

# Fast recovery loops, so the run reaches quiescence in seconds rather than minutes after the last fault.
SERVICE_ENV = {
    "SCANPAY_DRAIN_SECONDS": "2",
    "SCANPAY_GATEWAY_RECOVERY_AFTER": "2",
    "SCANPAY_GATEWAY_RECOVERY_INTERVAL": "1",
    "SCANPAY_GATEWAY_EXPIRY_INTERVAL": "1",
    "SCANPAY_GATEWAY_NOTIFY_POLL": "0.5",
    "SCANPAY_WALLET_TOPUP_RECOVERY_SECONDS": "3",
    # The run reconciles its own day, today (docs/settlement.md: local stack only).
    "SCANPAY_SETTLEMENT_SAME_DAY": "1",
}


@dataclass
class ChaosStack:
    """Database, NATS and services of one chaos run; every fault the schedule injects is a method here."""

    pg_server: str
    run_dir: Path
    database: str = ""
    db_name: str = ""
    nats: localstack.EmbeddedNats | None = None
    procs: localstack.ServiceProcesses | None = None
    faults: list[str] = field(default_factory=list)

    async def start(self) -> None:
        self.db_name = f"scanpay_chaos_{secrets.token_hex(4)}"
        self.database = await localstack.create_database(self.pg_server, self.db_name)
        self.nats = localstack.EmbeddedNats(self.run_dir / "nats")
        nats_url = self.nats.start()
        self.procs = localstack.ServiceProcesses.on_free_ports(
            self.database, nats_url, self.run_dir / "logs",
            extra_env={**SERVICE_ENV, "SCANPAY_SETTLEMENT_OUTPUT_DIR": str(self.run_dir / "settlement")})
        for service in SERVICES:
            await localstack.prepare_service(self.database, service)
        self.procs.start_all()
        await self.procs.wait_healthy(timeout=120)

    async def stop(self, drop: bool = True) -> None:
        if self.procs is not None:
            self.procs.stop_all(timeout=15)
        if self.nats is not None:
            self.nats.stop()
            shutil.rmtree(self.run_dir / "nats", ignore_errors=True)
        if drop and self.db_name:
            conn = await asyncpg.connect(self.pg_server)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            finally:
                await conn.close()

    @property
    def log_dir(self) -> Path:
        assert self.procs is not None
        return self.procs.log_dir

    @property
    def rest(self) -> str:
        assert self.procs is not None
        return f"http://127.0.0.1:{self.procs.http_port}"

    def grpc_address(self, service: str) -> str:
        assert self.procs is not None
        return f"127.0.0.1:{self.procs.grpc_ports[service]}"

    async def admin(self) -> asyncpg.Connection:
        """A superuser connection to the run's database: the invariants read every schema through it."""
        return await asyncpg.connect(self.database)

    # --- faults ----------------------------------------------------------------------------------------

    async def kill_service(self, service: str, down_seconds: float) -> None:
        """SIGKILL (no drain, no cleanup), stay down a moment, start again and wait until SERVING."""
        assert self.procs is not None
        self.faults.append(f"SIGKILL {service}")
        self.procs.kill(service, signal.SIGKILL)
        await asyncio.sleep(down_seconds)
        await self.restart(service)

    async def restart(self, service: str, attempts: int = 5) -> None:
        """Start a service until it is SERVING, as a supervisor would: a start can fail while the fault schedule
        holds PostgreSQL or NATS down (it exits with a configuration error), so it is started again."""
        assert self.procs is not None
        for attempt in range(attempts):
            self.procs.start(service)
            try:
                await self.procs.wait_healthy((service,), timeout=120)
                return
            except RuntimeError:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(2.0)

    async def restart_nats(self, down_seconds: float) -> None:
        """Stop the NATS server and start it again on the same port and store (JetStream data kept)."""
        assert self.nats is not None
        self.faults.append("restart NATS")
        self.nats.stop()
        await asyncio.sleep(down_seconds)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.nats.start()
                return
            except (TimeoutError, OSError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)

    async def terminate_backends(self) -> int:
        """pg_terminate_backend on every backend of the services' roles in this database; returns how many."""
        self.faults.append("terminate PostgreSQL backends")
        conn = await self.admin()
        try:
            return int(await conn.fetchval(
                """
                SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname = current_database() AND usename LIKE 'scanpay\\_%' AND pid <> pg_backend_pid()
                """))
        finally:
            await conn.close()
