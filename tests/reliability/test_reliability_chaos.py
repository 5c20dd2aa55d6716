"""The chaos run, short: concurrent shoppers under SIGKILLs, NATS restarts and cut database connections, then
every bank invariant and the day's reconciliation (the long run is `make chaos`)."""

from __future__ import annotations

import pytest

from . import chaos

pytestmark = pytest.mark.stack


async def test_short_chaos_run_keeps_every_invariant(played: chaos.Report) -> None:
    report = played
    print("\n".join(report.lines()))
    assert report.operations >= 100, report.operations
    assert len(report.faults) >= 4, report.faults
    assert {f.split()[0] for f in report.faults} >= {"SIGKILL", "restart", "terminate"}
    assert not report.stalled, "\n".join(report.lines())
    assert report.outcome is not None and report.outcome.ok, "\n".join(report.lines())
    assert report.dead_letters == 0
    assert report.reconciliation_ok, report.reconciliation
    assert not report.log_leaks, report.log_leaks
