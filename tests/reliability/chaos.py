"""One chaos run: seed the world, run the shoppers while the fault schedule SIGKILLs services, restarts NATS and
terminates PostgreSQL backends, wait for quiescence, then check every invariant and reconcile the day."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import nats

from services.kit.config import SERVICES

from . import invariants, logscan, reconcile
from .client import Journal, Rest
from .stack import ChaosStack
from .workload import Workload
from .world import CARDS_USED, PASSWORD, build

STREAMS = ("GATEWAY", "WALLET", "PROMOTIONS", "MERCHANT", "SETTLEMENT")
FAULT_CYCLE = ("kill gateway", "kill wallet", "restart nats", "kill promotions", "terminate backends",
               "kill merchant", "kill settlement", "kill gateway", "terminate backends", "restart nats")


@dataclass(frozen=True)
class Plan:
    seconds: float          # how long the shoppers run at least
    shoppers: int           # concurrent client loops, one consumer each
    fault_every: float      # seconds between the end of one fault and the start of the next
    retry_for: float        # how long a client retries one request before giving up on it
    envelopes: int          # envelopes per campaign
    quiesce_timeout: float
    min_operations: int = 0  # ... and then until this many operations and faults, for at most max_seconds
    min_faults: int = 0
    max_seconds: float = 0
    seed: int = 11


QUICK = Plan(seconds=30, shoppers=10, fault_every=4, retry_for=15, envelopes=15, quiesce_timeout=60)
FULL = Plan(seconds=300, shoppers=24, fault_every=10, retry_for=90, envelopes=60, quiesce_timeout=240,
            min_operations=20_000, min_faults=20, max_seconds=1_200)


@dataclass
class Report:
    plan: Plan
    operations: int = 0
    requests: int = 0
    ops: dict[str, int] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)
    outcome: invariants.Outcome | None = None
    reconciliation: str = ""
    reconciliation_ok: bool = False
    figures: dict[str, int] = field(default_factory=dict)
    abandoned: int = 0
    quiescence_seconds: float = 0.0
    dead_letters: int = 0
    wall_seconds: float = 0.0
    log_leaks: list[str] = field(default_factory=list)
    stalled: list[str] = field(default_factory=list)  # what still moved when quiescence was given up on
    load_seconds: float = 0.0
    journal: Journal = field(default_factory=Journal, repr=False)
    secrets: list[str] = field(default_factory=list, repr=False)  # every secret and token handed out

    @property
    def ok(self) -> bool:
        return bool(self.outcome and self.outcome.ok and self.reconciliation_ok and self.dead_letters == 0
                    and not self.log_leaks and not self.stalled)

    def lines(self) -> list[str]:
        assert self.outcome is not None
        out = [f"operations: {self.operations} ({self.requests} requests with retries; "
               f"{self.abandoned} requests given up by their client)",
               "by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(self.ops.items())),
               f"faults injected: {len(self.faults)} ("
               + ", ".join(f"{k} x{v}" for k, v in sorted(_count(self.faults).items())) + ")",
               (f"quiescence reached {self.quiescence_seconds:.1f} s after the last operation" if not self.stalled
                else f"NO QUIESCENCE after {self.quiescence_seconds:.0f} s: {'; '.join(self.stalled)}"),
               f"invariants checked: {self.outcome.checked + 3} over "
               + ", ".join(f"{v} {k}" for k, v in self.figures.items()),
               f"dead letters: {self.dead_letters}",
               f"logs: {len(self.log_leaks)} card numbers, passwords, secrets or tokens found"
               + "".join(f"\n  {leak}" for leak in self.log_leaks[:10]),
               f"reconciliation: {self.reconciliation}"]
        for name, found in self.outcome.violations.items():
            out.append(f"  {'ok  ' if not found else 'FAIL'} {name}" + (f": {len(found)}" if found else ""))
            out += [f"       {v}" for v in found[:10]]
        return out


def _count(items: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


async def fault_schedule(stack: ChaosStack, plan: Plan, stop: asyncio.Event) -> None:
    rng = random.Random(plan.seed)
    step = 0
    await asyncio.sleep(plan.fault_every / 2)
    while not stop.is_set():
        fault = FAULT_CYCLE[step % len(FAULT_CYCLE)]
        step += 1
        if fault.startswith("kill "):
            await stack.kill_service(fault[5:], down_seconds=rng.uniform(0.2, 2.0))
        elif fault == "restart nats":
            await stack.restart_nats(down_seconds=rng.uniform(0.5, 3.0))
        else:
            await stack.terminate_backends()
        try:
            await asyncio.wait_for(stop.wait(), plan.fault_every * rng.uniform(0.7, 1.3))
        except TimeoutError:
            pass


async def outstanding(stack: ChaosStack) -> list[str]:
    """What still moves: sagas mid-way, pending refunds and top-ups, unpublished events, consumer backlog."""
    out: list[str] = []
    conn = await stack.admin()
    try:
        row = await conn.fetchrow(
            """
            SELECT
              (SELECT count(*) FROM gateway.trades
               WHERE step IN ('COUPON_RESERVED', 'FUNDS_POSTED')
                  OR (step = 'CREATED' AND status = 'WAIT_BUYER_PAY'
                      AND (consumer_id IS NOT NULL OR expires_at < now()))) AS trades,
              (SELECT count(*) FROM gateway.refunds WHERE status IN ('PENDING', 'FUNDS_RETURNED')) AS refunds,
              (SELECT count(*) FROM wallet.topups WHERE state = 1) AS topups
            """)
        out += [f"{v} {k} in flight" for k, v in dict(row).items() if v]
        for schema in SERVICES:
            left = await conn.fetchval(f"SELECT count(*) FROM {schema}.outbox WHERE published_at IS NULL")
            if left:
                out.append(f"{left} {schema} events unpublished")
    finally:
        await conn.close()
    out += await consumer_backlog(stack)
    return out


async def consumer_backlog(stack: ChaosStack) -> list[str]:
    assert stack.nats is not None
    out: list[str] = []
    try:
        nc = await nats.connect(stack.nats.url, connect_timeout=2, max_reconnect_attempts=0)
    except Exception as exc:  # noqa: BLE001 - NATS still restarting: report it as backlog and poll again
        return [f"NATS not reachable ({type(exc).__name__})"]
    try:
        js = nc.jetstream()
        for stream in STREAMS:
            try:
                consumers = await js.consumers_info(stream)
            except nats.js.errors.NotFoundError:
                continue
            for c in consumers:
                if c.num_pending or c.num_ack_pending:
                    out.append(f"consumer {c.name}: {c.num_pending} pending, {c.num_ack_pending} unacked")
    finally:
        await nc.close()
    return out


async def dead_letters(stack: ChaosStack) -> int:
    assert stack.nats is not None
    nc = await nats.connect(stack.nats.url, connect_timeout=5)
    try:
        try:
            info = await nc.jetstream().stream_info("DLQ")
        except nats.js.errors.NotFoundError:
            return 0
        return int(info.state.messages)
    finally:
        await nc.close()


async def quiesce(stack: ChaosStack, timeout: float) -> tuple[float, list[str]]:
    """Seconds until nothing moves any more, and what still did when `timeout` ran out (empty: quiescent)."""
    started = time.monotonic()
    left: list[str] = []
    while time.monotonic() - started < timeout:
        left = await outstanding(stack)
        if not left:
            break
        await asyncio.sleep(1.0)
    return time.monotonic() - started, left


async def run(stack: ChaosStack, plan: Plan, log: Any = print) -> Report:
    """The whole run; raises nothing for a broken invariant (the report says), only for a stack that fails."""
    report = Report(plan)
    started = time.monotonic()
    journal = report.journal
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector) as session:
        rest = Rest(session, stack.rest, journal, plan.retry_for)
        world = await build(stack, rest, plan.shoppers, plan.envelopes)
        seeded = journal.operations()
        report.secrets = world.secrets_seen
        log(f"chaos: world ready ({plan.shoppers} shoppers, 3 shops, 2 campaigns); running >= {plan.seconds:.0f} s")
        workload = Workload(world, rest, journal, plan.seed)
        stop = asyncio.Event()
        faults = asyncio.create_task(fault_schedule(stack, plan, stop))
        began = time.monotonic()

        def done() -> bool:
            ran = time.monotonic() - began
            enough = (journal.operations() - seeded >= plan.min_operations and len(stack.faults) >= plan.min_faults)
            return ran >= plan.seconds and (enough or ran >= plan.max_seconds)

        await workload.run(done)
        report.load_seconds = time.monotonic() - began
        stop.set()
        await faults
        report.operations = journal.operations() - seeded
        report.requests = journal.requests
        report.ops = {k: v for k, v in workload.ops.items() if v}
        report.faults = list(stack.faults)
        report.abandoned = sum(1 for c in journal.calls if c.answers and c.final is None)
        log(f"chaos: {report.operations} operations, {len(report.faults)} faults; waiting for quiescence")
        report.quiescence_seconds, report.stalled = await quiesce(stack, plan.quiesce_timeout)
        conn = await stack.admin()
        try:
            report.outcome = await invariants.check_all(conn, journal)
            report.figures = await coverage(conn, journal)
        finally:
            await conn.close()
        report.dead_letters = await dead_letters(stack)
        report.log_leaks = logscan.scan(stack.log_dir, [*report.secrets, *CARDS_USED, PASSWORD])
        report.reconciliation_ok, report.reconciliation = await reconcile.reconcile_run(stack)
    report.wall_seconds = time.monotonic() - started
    return report


async def coverage(conn: Any, journal: Journal) -> dict[str, int]:
    row = await conn.fetchrow(
        """
        SELECT (SELECT count(*) FROM gateway.trades) AS trades,
               (SELECT count(*) FROM gateway.trades WHERE paid_at IS NOT NULL) AS paid,
               (SELECT count(*) FROM gateway.refunds) AS refunds,
               (SELECT count(*) FROM wallet.transfers) AS transfers,
               (SELECT count(*) FROM wallet.topups) AS topups,
               (SELECT count(*) FROM promotions.coupons) AS coupons,
               (SELECT count(*) FROM settlement.clearing_entries) AS clearing_entries
        """)
    out = {k: int(v) for k, v in dict(row).items()}
    out["idempotency keys"] = len({(c.scope, c.key) for c in journal.calls})
    return out


DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
BEGIN, END = "<!-- chaos:begin -->", "<!-- chaos:end -->"


def write_figures(report: Report, doc: Path = DOC) -> None:
    """Replace the figures section of docs/reliability.md (between the chaos markers) with this run's."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join([BEGIN, f"Last `make chaos` run: {when}, {report.wall_seconds:.0f} s wall, "
                      f"{report.load_seconds:.0f} s of load, {report.plan.shoppers} shoppers, "
                      f"result **{'all invariants hold' if report.ok else 'VIOLATIONS'}**.", "", "```",
                      *report.lines(), "```", END])
    text = doc.read_text() if doc.exists() else f"# Reliability\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text:
        text += f"\n{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    doc.write_text(head + body + tail)
