"""`make bench`: every benchmark in one go on the same PostgreSQL and NATS, each beside its baseline.

    .venv/bin/python -m bench.run_all [--quick]

With SCANPAY_PG_DSN / SCANPAY_NATS_URL unset, starts an embedded PostgreSQL and NATS in .run/bench-servers
and points every benchmark at them. The full run rewrites docs/benchmarks.md section by section (the machine
section here, then each benchmark's own); --quick is a smoke run that leaves the report alone.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time

import psutil

from services.kit import localstack

from .common import ROOT, pgbench_binary, write_section

# (module, arguments of a full run, arguments of a quick run)
BENCHMARKS: list[tuple[str, list[str], list[str]]] = [
    ("bench.e2e", [], ["--quick", "--no-doc"]),
    ("bench.wallet_transfers", [], ["--quick", "--no-doc"]),
    ("bench.promotions_grab", [], ["--quick", "--no-doc"]),
    ("bench.merchant_nearby", [], ["--quick", "--no-doc"]),
    ("bench.settlement_day", [], ["--quick"]),
]


def machine_section(started: float, results: list[tuple[str, float, int]]) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    except OSError:
        pass
    pg_version = subprocess.run([pgbench_binary(), "--version"], capture_output=True, text=True).stdout.strip()
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` (`python -m bench.run_all`) on {time.strftime('%Y-%m-%d', time.localtime(started))}, "
        "everything on one machine over loopback:",
        "",
        f"- {psutil.cpu_count()} cores ({cpu}), {psutil.virtual_memory().total / 2**30:.0f} GiB memory, "
        f"Python {platform.python_version()}, {pg_version}",
        "- PostgreSQL, NATS (JetStream, file storage), the five services and the load generators share the cores,",
        "  so every figure below sits beside a baseline measured in the same run on the same servers.",
        "",
        "| benchmark | command | seconds | exit |",
        "|---|---|---:|---:|",
    ]
    lines += [f"| {module.split('.')[1]} | `python -m {module}` | {secs:.0f} | {code} |" for module, secs, code in results]
    lines += ["", "Each section below says what was measured, the figure, its baseline and the goal."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: small sizes, report untouched")
    args = parser.parse_args()
    started = time.time()
    env = dict(os.environ)
    servers: list[object] = []
    if "SCANPAY_PG_DSN" not in env:
        pg = localstack.EmbeddedPostgres(ROOT / ".run" / "bench-servers" / "pg")
        env["SCANPAY_PG_DSN"] = pg.start()
        servers.append(pg)
    if "SCANPAY_NATS_URL" not in env:
        nats = localstack.EmbeddedNats(ROOT / ".run" / "bench-servers" / "nats")
        env["SCANPAY_NATS_URL"] = nats.start()
        servers.append(nats)
    results: list[tuple[str, float, int]] = []
    try:
        for module, full, quick in BENCHMARKS:
            print(f"== {module}", flush=True)
            began = time.perf_counter()
            code = subprocess.run([sys.executable, "-m", module, *(quick if args.quick else full)],
                                  env=env, cwd=ROOT).returncode
            results.append((module, time.perf_counter() - began, code))
    finally:
        for server in reversed(servers):
            server.stop()  # type: ignore[attr-defined]
    if not args.quick:
        write_section("machine", machine_section(started, results))
    failed = [m for m, _, code in results if code]
    print(f"{len(results) - len(failed)} benchmarks ran, {len(failed)} failed" + (f": {', '.join(failed)}" if failed else ""))
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
