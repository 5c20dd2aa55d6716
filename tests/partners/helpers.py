"""Helpers of the partner tests: a signing PartnerService client, the admin client, a local webhook receiver."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import grpc
from aiohttp import web
from google.protobuf.message import Message

from services.gen.scanpay.gateway.v1 import gateway_pb2_grpc
from services.kit.config import load
from services.kit.grpc import make_channel
from services.kit.localstack import ServiceProcesses

PARTNER_SERVICE = "scanpay.gateway.v1.PartnerService"
DEV_ADMIN_TOKEN = "dev-admin-token"


def partner_metadata(key: tuple[str, str], method: str, request: Message, timestamp: int | None = None,
                     nonce: str | None = None) -> tuple[tuple[str, str], ...]:
    """The x-scanpay-* signature of one PartnerService call, as docs/partners.md describes it."""
    ts = str(timestamp if timestamp is not None else int(time.time()))
    nonce = nonce or secrets.token_hex(12)
    body = hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()
    base = "\n".join(["POST", f"/{PARTNER_SERVICE}/{method}", ts, nonce, body])
    signature = hmac.new(key[1].encode(), base.encode(), hashlib.sha256).hexdigest()
    return (("x-scanpay-key-id", key[0]), ("x-scanpay-timestamp", ts), ("x-scanpay-nonce", nonce),
            ("x-scanpay-signature", signature))


class Partner:
    """A partner platform: calls the public PartnerService with its own key, without the internal token."""

    def __init__(self, stack: ServiceProcesses, key: tuple[str, str], partner_id: str) -> None:
        self.channel = grpc.aio.insecure_channel(f"127.0.0.1:{stack.grpc_ports['gateway']}")
        self.stub = gateway_pb2_grpc.PartnerServiceStub(self.channel)
        self.key = key
        self.partner_id = partner_id

    async def call(self, method: str, request: Message, **sign: Any) -> Any:
        return await getattr(self.stub, method)(request, metadata=partner_metadata(self.key, method, request, **sign),
                                                timeout=15)

    async def refused(self, method: str, request: Message, **sign: Any) -> grpc.StatusCode:
        try:
            await self.call(method, request, **sign)
        except grpc.aio.AioRpcError as exc:
            return exc.code()
        raise AssertionError(f"{method} was not refused")


def admin_stub(stack: ServiceProcesses) -> gateway_pb2_grpc.AdminServiceStub:
    channel = make_channel(f"127.0.0.1:{stack.grpc_ports['gateway']}", load("gateway").internal_token,
                           "scanpay.gateway.v1.AdminService", deadline=15)
    return gateway_pb2_grpc.AdminServiceStub(channel)


ADMIN_MD = (("x-scanpay-admin-token", DEV_ADMIN_TOKEN),)


@dataclass
class Webhook:
    """A local receiver on 127.0.0.1 recording (body, Scanpay-Signature) of every POST."""

    received: list[tuple[bytes, str]] = field(default_factory=list)
    runner: web.AppRunner | None = None
    url: str = ""

    async def start(self) -> Webhook:
        async def hook(request: web.Request) -> web.Response:
            self.received.append((await request.read(), request.headers.get("Scanpay-Signature", "")))
            return web.Response(status=200)

        app = web.Application()
        app.router.add_post("/hook", hook)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/hook"
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
