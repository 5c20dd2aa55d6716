"""`scanpay dev up|down`, `scanpay migrate`, `scanpay serve <service>`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..kit import localstack
from ..kit.config import SERVICES, ConfigError
from ..kit.localstack import RUN_DIR, EmbeddedNats, EmbeddedPostgres, ServiceProcesses
from . import demo

console = Console(stderr=True)
STATE_FILE = RUN_DIR / "state.json"
DEMO_DIR = RUN_DIR / "demo"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    dev = sub.add_parser("dev", help="the local stack")
    dev_sub = dev.add_subparsers(dest="dev_command", required=True)
    up = dev_sub.add_parser("up", help="start PostgreSQL, NATS and the five services (Ctrl-C stops)")
    up.add_argument("--detach", action="store_true", help="start and return; stop with `scanpay dev down`")
    up.add_argument("--demo", action="store_true",
                    help=f"a fresh stack in {DEMO_DIR.name}/, then play a Double 11 day on it (see `scanpay demo`)")
    demo.add_arguments(up)
    up.set_defaults(run=cmd_up)
    down = dev_sub.add_parser("down", help="stop what `scanpay dev up --detach` started")
    down.set_defaults(run=cmd_down)

    mig = sub.add_parser("migrate", help="create roles and schemas and apply migrations")
    mig.add_argument("--service", choices=SERVICES, action="append", help="only this service (repeatable)")
    mig.add_argument("--no-provision", action="store_true", help="skip role/schema creation (no admin rights)")
    mig.set_defaults(run=cmd_migrate)

    serve = sub.add_parser("serve", help="run one service in the foreground")
    serve.add_argument("service", choices=SERVICES)
    serve.set_defaults(run=cmd_serve)


def start_infrastructure(run_dir: Path) -> tuple[str, str, list[object]]:
    """Use SCANPAY_PG_DSN / SCANPAY_NATS_URL when set, else start embedded servers in run_dir."""
    started: list[object] = []
    pg_dsn = os.environ.get("SCANPAY_PG_DSN")
    if not pg_dsn:
        pg = EmbeddedPostgres(run_dir / "pg", port=localstack.free_port())
        pg_dsn = asyncio.run(localstack.create_database(pg.start(), "scanpay"))
        started.append(pg)
    nats_url = os.environ.get("SCANPAY_NATS_URL")
    if not nats_url:
        nats = EmbeddedNats(run_dir / "nats", port=localstack.free_port())
        nats_url = nats.start()
        started.append(nats)
    return pg_dsn, nats_url, started


def stop_infrastructure(started: list[object]) -> None:
    for server in reversed(started):
        server.stop()  # type: ignore[attr-defined]


def _print_endpoints(stack: ServiceProcesses) -> None:
    table = Table(title="scanpay local stack")
    for column in ("service", "gRPC", "metrics", "log"):
        table.add_column(column)
    for service in SERVICES:
        table.add_row(
            service, f"127.0.0.1:{stack.grpc_ports[service]}",
            f"http://127.0.0.1:{stack.metrics_ports.get(service, '')}/metrics",
            str(stack.log_dir / f"{service}.log"),
        )
    console.print(table)
    console.print(f"gateway REST: http://127.0.0.1:{stack.http_port}/   PostgreSQL: {stack.pg_dsn}   NATS: {stack.nats_url}")


def bring_up(run_dir: Path = RUN_DIR, extra_env: dict[str, str] | None = None,
             ) -> tuple[ServiceProcesses, list[object]]:
    pg_dsn, nats_url, started = start_infrastructure(run_dir)
    try:
        applied = asyncio.run(localstack.prepare_all(pg_dsn))
        count = sum(len(v) for v in applied.values())
        console.print(f"migrations: {count} applied" if count else "migrations: up to date")
        stack = ServiceProcesses(
            pg_dsn, nats_url, run_dir / "logs",
            metrics_ports={s: 9100 + i for i, s in enumerate(["gateway", "merchant", "wallet", "promotions", "settlement"])},
            http_port=int(os.environ.get("SCANPAY_GATEWAY_HTTP_PORT", "8080")),
            extra_env=extra_env or {},
        )
        stack.start_all()
        asyncio.run(stack.wait_healthy(timeout=90))
    except BaseException:
        if "stack" in locals():
            stack.stop_all()
        stop_infrastructure(started)
        raise
    return stack, started


def cmd_up(args: argparse.Namespace) -> int:
    run_dir = fresh_demo_dir() if args.demo else RUN_DIR
    with console.status("starting PostgreSQL, NATS and five services"):
        stack, started = bring_up(run_dir, demo_env(run_dir) if args.demo else None)
    _print_endpoints(stack)
    console.print("[green]all five services SERVING[/green]")
    if args.demo:
        summary = demo.run(demo.config_from(args), demo.Endpoints.from_stack(stack))
        if summary is None or not summary.reconciliation_ok:
            console.print(f"[red]the demo did not finish cleanly; the stack stays up, logs in {stack.log_dir}[/red]")
    if args.detach:
        _save_state(stack, started)
        return 0
    return wait_then_stop(stack, started)


def demo_env(run_dir: Path) -> dict[str, str]:
    """Everything the demo's services write stays in its folder; expired trades close within a second; settlement
    may settle the current day (the demo settles the day it just played)."""
    return {"SCANPAY_SETTLEMENT_OUTPUT_DIR": str(run_dir / "settlement"), "SCANPAY_GATEWAY_EXPIRY_INTERVAL": "1",
            demo.SAME_DAY_ENV: "1"}


def fresh_demo_dir() -> Path:
    """The demo plays on its own embedded servers, wiped first, so every run starts from an empty day."""
    if not os.environ.get("SCANPAY_PG_DSN") and not os.environ.get("SCANPAY_NATS_URL"):
        shutil.rmtree(DEMO_DIR, ignore_errors=True)
    return DEMO_DIR


def wait_then_stop(stack: ServiceProcesses, started: list[object]) -> int:
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    console.print("Ctrl-C stops everything")
    try:
        while not stop["now"]:
            time.sleep(0.5)
            crashed = [s for s, p in stack.procs.items() if p.poll() is not None]
            if crashed:
                console.print(f"[red]{', '.join(crashed)} exited; see {stack.log_dir}[/red]")
                break
    except KeyboardInterrupt:
        pass
    console.print("stopping")
    stack.stop_all()
    stop_infrastructure(started)
    return 0


def _save_state(stack: ServiceProcesses, started: list[object]) -> None:
    state = {
        "services": {s: p.pid for s, p in stack.procs.items()},
        "pg_data": next((str(s.data) for s in started if isinstance(s, EmbeddedPostgres)), None),
        "nats_pid": next((s.proc.pid for s in started if isinstance(s, EmbeddedNats) and s.proc), None),
    }
    STATE_FILE.write_text(json.dumps(state))


def cmd_down(args: argparse.Namespace) -> int:
    if not STATE_FILE.exists():
        console.print("nothing to stop")
        return 0
    state = json.loads(STATE_FILE.read_text())
    for pid in [*state["services"].values(), state.get("nats_pid")]:
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    if state.get("pg_data"):
        EmbeddedPostgres(Path(state["pg_data"])).stop()
    STATE_FILE.unlink()
    console.print("stopped")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    dsn = os.environ.get("SCANPAY_PG_DSN")
    if not dsn:
        raise ConfigError("SCANPAY_PG_DSN is not set (scanpay dev up starts a local database)")
    for service in args.service or SERVICES:
        password = os.environ.get(f"SCANPAY_{service.upper()}_DB_PASSWORD", "")
        if args.no_provision:
            applied = asyncio.run(_migrate_only(dsn, service, password))
        else:
            applied = asyncio.run(localstack.prepare_service(dsn, service, password))
        console.print(f"{service}: {len(applied)} applied" + (f" ({', '.join(applied)})" if applied else ""))
    return 0


async def _migrate_only(dsn: str, service: str, password: str) -> list[str]:
    from ..kit.config import dsn_with_user, role_name
    from ..kit.db import connect_admin
    from ..kit.migrations import discover, migrate

    conn = await connect_admin(dsn_with_user(dsn, role_name(service), password))
    try:
        return await migrate(conn, service, discover(service))
    finally:
        await conn.close()


def cmd_serve(args: argparse.Namespace) -> int:
    import importlib

    module = importlib.import_module(f"services.{args.service}.__main__")
    module.main(module.spec())
    return 0
