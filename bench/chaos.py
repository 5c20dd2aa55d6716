"""`make chaos`: the long chaos run (Jepsen's bank test for scanpay) on a stack of its own.

At least 20,000 operations by concurrent shoppers while at least 20 faults are injected (SIGKILL of each service,
NATS restarts, PostgreSQL backends terminated), then quiescence and every invariant; the figures go to the chaos
section of docs/reliability.md. Exit code 1 when an invariant is broken or the targets were not reached.

    .venv/bin/python -m bench.chaos            # the full run (about 6-15 minutes on 2 cores)
    .venv/bin/python -m bench.chaos --quick    # the short run of `make test`, figures not written

PostgreSQL: SCANPAY_PG_DSN if set, else an embedded server in .run/chaos-<pid>/ (fsync off).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys

from services.kit import localstack
from tests.reliability import chaos
from tests.reliability.stack import ChaosStack


async def main(quick: bool) -> int:
    plan = chaos.QUICK if quick else chaos.FULL
    run_dir = localstack.ROOT / ".run" / f"chaos-{os.getpid()}"
    embedded = None
    pg_dsn = os.environ.get("SCANPAY_PG_DSN")
    if not pg_dsn:
        embedded = localstack.EmbeddedPostgres(run_dir / "pg", durable=False)
        pg_dsn = embedded.start()
    stack = ChaosStack(pg_dsn, run_dir)
    try:
        await stack.start()
        report = await chaos.run(stack, plan)
    finally:
        await stack.stop()
        if embedded is not None:
            embedded.stop()
    print("\n".join(report.lines()))
    targets = report.operations >= plan.min_operations and len(report.faults) >= plan.min_faults
    if not quick:
        chaos.write_figures(report)
        print(f"figures written to {chaos.DOC.relative_to(localstack.ROOT)}")
    if report.ok and targets:
        shutil.rmtree(run_dir, ignore_errors=True)
    else:
        print(f"logs kept in {run_dir}", file=sys.stderr)
    print("chaos: " + ("every invariant holds" if report.ok else "INVARIANTS BROKEN")
          + ("" if targets else f"; targets not reached ({plan.min_operations} operations, {plan.min_faults} faults)"))
    return 0 if report.ok and targets else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the short run (no figures written)")
    raise SystemExit(asyncio.run(main(parser.parse_args().quick)))
