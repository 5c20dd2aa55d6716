"""Service processes: health, graceful drain on SIGTERM, clear errors for bad configuration, NATS late."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import wrappers_pb2

from services.kit import localstack
from services.kit.config import SERVICES
from services.kit.grpc import make_channel

ROOT = Path(__file__).resolve().parents[2]
PROBE = "scanpay.test.v1.Probe"


@pytest.fixture(scope="module")
def probe_db(pg_server: str) -> Iterator[str]:
    """A database of its own: the stack's merchant relay must not publish the probe's outbox."""
    name = f"scanpay_probe_{secrets.token_hex(4)}"
    dsn = asyncio.run(localstack.create_database(pg_server, name))
    asyncio.run(localstack.prepare_service(dsn, "merchant"))
    yield dsn
    asyncio.run(_drop(pg_server, name))


async def _drop(admin_dsn: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_dsn)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


def _probe_env(database: str, nats_url: str, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCANPAY_")}
    env.update(
        SCANPAY_PG_DSN=database, SCANPAY_NATS_URL=nats_url, SCANPAY_MERCHANT_GRPC_PORT=str(port),
        SCANPAY_MERCHANT_METRICS_PORT=str(localstack.free_port()), SCANPAY_DRAIN_SECONDS="5", **extra,
    )
    return env


def _start_probe(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "kit" / "probe_service.py")], env=env, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )


def _call(channel: grpc.aio.Channel, method: str, request, response_type, timeout: float = 10):  # type: ignore[no-untyped-def]
    stub = channel.unary_unary(f"/{PROBE}/{method}", request_serializer=type(request).SerializeToString,
                               response_deserializer=response_type.FromString)
    return stub(request, timeout=timeout)


async def _wait_serving(port: int, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(150):
        if await localstack.health_check(f"127.0.0.1:{port}", "merchant"):
            return
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        await asyncio.sleep(0.2)
    raise AssertionError("probe service never became SERVING")


async def test_all_five_services_serving(stack: localstack.ServiceProcesses) -> None:
    for service in SERVICES:
        assert await localstack.health_check(f"127.0.0.1:{stack.grpc_ports[service]}", service), service
        assert await localstack.health_check(f"127.0.0.1:{stack.grpc_ports[service]}", ""), service


async def test_calls_without_the_internal_token_are_refused(stack: localstack.ServiceProcesses) -> None:
    channel = make_channel(f"127.0.0.1:{stack.grpc_ports['wallet']}", "wrong-token", "scanpay.wallet.v1.WalletService")
    try:
        stub = channel.unary_unary("/grpc.reflection.v1alpha.ServerReflection/none")
        with pytest.raises(grpc.aio.AioRpcError):
            await stub(b"", timeout=2)
    finally:
        await channel.close()


async def test_sigterm_drains_an_in_flight_call(
    probe_db: str, nats_url: str) -> None:
    port = localstack.free_port()
    proc = _start_probe(_probe_env(probe_db, nats_url, port))
    try:
        await _wait_serving(port, proc)
        channel = make_channel(f"127.0.0.1:{port}", "dev-internal-token", PROBE)
        in_flight = asyncio.ensure_future(_call(channel, "Sleep", wrappers_pb2.DoubleValue(value=2.0), wrappers_pb2.StringValue))
        await asyncio.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        reply = await in_flight
        assert reply.value == "slept"
        assert await asyncio.to_thread(proc.wait, 15) == 0
        await channel.close()
    finally:
        if proc.poll() is None:
            proc.kill()


async def test_client_deadline_is_enforced(
    probe_db: str, nats_url: str) -> None:
    port = localstack.free_port()
    proc = _start_probe(_probe_env(probe_db, nats_url, port))
    try:
        await _wait_serving(port, proc)
        channel = make_channel(f"127.0.0.1:{port}", "dev-internal-token", PROBE, deadline=0.3)
        stub = channel.unary_unary(f"/{PROBE}/Sleep", request_serializer=wrappers_pb2.DoubleValue.SerializeToString,
                                   response_deserializer=wrappers_pb2.StringValue.FromString)
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await stub(wrappers_pb2.DoubleValue(value=2.0))
        assert failure.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        await channel.close()
    finally:
        proc.kill()


async def test_every_service_exposes_prometheus_metrics(stack: localstack.ServiceProcesses) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        for service in SERVICES:
            async with http.get(f"http://127.0.0.1:{stack.metrics_ports[service]}/metrics") as resp:
                assert resp.status == 200, service
                body = await resp.text()
            assert "scanpay_outbox_lag_events" in body and "scanpay_rpc_duration_seconds" in body, service


def _run_service(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**env, "SCANPAY_WALLET_METRICS_PORT": str(localstack.free_port()),
           "SCANPAY_WALLET_GRPC_PORT": str(localstack.free_port())}
    return subprocess.run([sys.executable, "-m", "services.wallet"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_unreachable_database_is_one_clear_line(nats_url: str) -> None:
    dead_port = localstack.free_port()
    env = _probe_env(f"postgresql://postgres@127.0.0.1:{dead_port}/postgres", nats_url, localstack.free_port())
    result = _run_service(env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"PostgreSQL unreachable at 127.0.0.1:{dead_port}" in lines[0]


def test_wrong_dsn_is_one_clear_line(nats_url: str) -> None:
    result = _run_service(_probe_env("mysql://root@127.0.0.1/x", nats_url, localstack.free_port()))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "scanpay-wallet: configuration error: SCANPAY_PG_DSN must be a postgresql:// URL, got '127.0.0.1/x'"
    ]


async def test_outbox_waits_for_nats_that_is_down_at_start(
    probe_db: str, tmp_path: Path) -> None:
    import nats

    nats_port, port = localstack.free_port(), localstack.free_port()
    proc = _start_probe(_probe_env(probe_db, f"nats://127.0.0.1:{nats_port}", port))
    server = localstack.EmbeddedNats(tmp_path / "nats", port=nats_port)
    try:
        await _wait_serving(port, proc)
        channel = make_channel(f"127.0.0.1:{port}", "dev-internal-token", PROBE)
        event_id = (await _call(channel, "Emit", wrappers_pb2.StringValue(value="while NATS was down"),
                                wrappers_pb2.StringValue)).value
        await channel.close()
        server.start()
        nc = await nats.connect(server.url)
        js = nc.jetstream()
        for _ in range(100):
            try:
                await js.stream_info("MERCHANT")
                break
            except Exception:
                await asyncio.sleep(0.2)
        sub = await js.subscribe("merchant.probe.emitted", stream="MERCHANT")
        msg = await sub.next_msg(timeout=20)
        assert msg.headers["Nats-Msg-Id"] == event_id
        await nc.close()
    except BaseException:
        proc.send_signal(signal.SIGTERM)
        print((await asyncio.to_thread(proc.communicate, timeout=20))[0].decode())
        raise
    finally:
        proc.send_signal(signal.SIGTERM)
        output = (await asyncio.to_thread(proc.communicate, timeout=20))[0].decode()
        server.stop()
    assert '"event": "nats_unreachable"' in output
    assert "Traceback" not in output
