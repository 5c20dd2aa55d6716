"""Malformed protobuf on every gRPC method of every service: hostile field values, random bytes and wrong wire
types, sent as the platform admin (so validation, not authorisation, answers) and, for the partner API, signed
with a real partner key. Every answer must be a clear status: never INTERNAL, UNKNOWN, DATA_LOSS, UNIMPLEMENTED,
a timeout, or a service that went away."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import random
import secrets
import time

import grpc
import pytest
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import DecodeError
from google.protobuf.message_factory import GetMessageClass

from services.gen.scanpay.gateway.v1 import gateway_pb2
from services.gen.scanpay.merchant.v1 import merchant_pb2
from services.gen.scanpay.promotions.v1 import promotions_pb2
from services.gen.scanpay.settlement.v1 import settlement_pb2
from services.gen.scanpay.wallet.v1 import wallet_pb2
from services.kit.config import load

from . import protofuzz
from .actors import ADMIN_TOKEN, Cast
from .stack import ChaosStack

pytestmark = pytest.mark.stack
SERVICES: list[tuple[str, ServiceDescriptor]] = [
    ("merchant", merchant_pb2.DESCRIPTOR.services_by_name["MerchantService"]),
    ("wallet", wallet_pb2.DESCRIPTOR.services_by_name["WalletService"]),
    ("promotions", promotions_pb2.DESCRIPTOR.services_by_name["PromotionsService"]),
    ("settlement", settlement_pb2.DESCRIPTOR.services_by_name["SettlementService"]),
    ("gateway", gateway_pb2.DESCRIPTOR.services_by_name["PartnerService"]),
    ("gateway", gateway_pb2.DESCRIPTOR.services_by_name["GatewayInternalService"]),
    ("gateway", gateway_pb2.DESCRIPTOR.services_by_name["AdminService"]),
]
UNCLEAR = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DATA_LOSS,
           grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE}
GENERATED = 6


def _metadata(method: MethodDescriptor, raw: bytes, cast: Cast) -> tuple[tuple[str, str], ...]:
    service = method.containing_service.full_name
    if service == "scanpay.gateway.v1.PartnerService":
        key = cast["partner"].who.key
        assert key is not None
        try:
            body = GetMessageClass(method.input_type).FromString(raw).SerializeToString(deterministic=True)
        except DecodeError:
            body = raw
        ts, nonce = str(int(time.time())), secrets.token_hex(12)
        base = "\n".join(["POST", f"/{service}/{method.name}", ts, nonce, hashlib.sha256(body).hexdigest()])
        return (("x-scanpay-key-id", key[0]), ("x-scanpay-timestamp", ts), ("x-scanpay-nonce", nonce),
                ("x-scanpay-signature", hmac.new(key[1].encode(), base.encode(), hashlib.sha256).hexdigest()))
    md = [("authorization", f"Bearer {load('gateway').internal_token}"), ("x-scanpay-actor", "admin")]
    if service == "scanpay.gateway.v1.AdminService":
        md.append(("x-scanpay-admin-token", ADMIN_TOKEN))
    return tuple(md)


async def _probe(channel: grpc.aio.Channel, method: MethodDescriptor, label: str, raw: bytes, cast: Cast,
                 found: list[str], counts: dict[str, int]) -> None:
    path = f"/{method.containing_service.full_name}/{method.name}"
    call = channel.unary_unary(path, request_serializer=None, response_deserializer=None)
    counts["calls"] += 1
    try:
        await call(raw, metadata=_metadata(method, raw, cast), timeout=30)
        code = grpc.StatusCode.OK
    except grpc.aio.AioRpcError as exc:
        code = exc.code()
        if code in UNCLEAR:
            found.append(f"{path} ({label}, {raw[:40]!r}): {code.name} {(exc.details() or '')[:120]}")
    counts[code.name] = counts.get(code.name, 0) + 1


async def test_every_grpc_method_answers_malformed_requests_clearly(chaos_stack: ChaosStack, cast: Cast) -> None:
    rng = random.Random(20261201)
    found: list[str] = []
    counts: dict[str, int] = {"calls": 0}
    methods = 0
    limit = asyncio.Semaphore(6)
    channels = {name: grpc.aio.insecure_channel(chaos_stack.grpc_address(name)) for name, _ in SERVICES}

    async def one(channel: grpc.aio.Channel, method: MethodDescriptor, label: str, raw: bytes) -> None:
        async with limit:
            await _probe(channel, method, label, raw, cast, found, counts)

    jobs = []
    for name, service in SERVICES:
        for method in service.methods:
            methods += 1
            for label, raw in protofuzz.cases(rng, method.input_type, GENERATED):
                jobs.append(one(channels[name], method, label, raw))
    await asyncio.gather(*jobs)
    for channel in channels.values():
        await channel.close()
    print(f"\n{methods} methods, {counts}")
    assert methods >= 100 and counts["calls"] >= 10 * methods
    undecodable = [f for f in found if "DecodeError" in f]
    found = [f for f in found if "DecodeError" not in f]
    print("\n".join(found))
    print(f"{len(undecodable)} undecodable requests answered UNKNOWN")
    assert not found, "\n".join(found[:60]) + f"\n({len(found)} unclear answers of {counts['calls']})"
