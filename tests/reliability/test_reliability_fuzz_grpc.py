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
from dataclasses import dataclass, field

import grpc
import pytest
import pytest_asyncio
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
PARTNER_SERVICE = "scanpay.gateway.v1.PartnerService"
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


@dataclass
class Unclear:
    family: str
    service: str
    text: str


@dataclass
class Fuzzed:
    methods: int = 0
    calls: int = 0
    codes: dict[str, int] = field(default_factory=dict)
    unclear: list[Unclear] = field(default_factory=list)

    def of(self, family: str, public: bool | None = None) -> list[str]:
        return [u.text for u in self.unclear if u.family == family
                and (public is None or (u.service == PARTNER_SERVICE) == public)]


async def _probe(channel: grpc.aio.Channel, method: MethodDescriptor, family: str, label: str, raw: bytes,
                 cast: Cast, out: Fuzzed) -> None:
    service = method.containing_service.full_name
    path = f"/{service}/{method.name}"
    call = channel.unary_unary(path, request_serializer=None, response_deserializer=None)
    out.calls += 1
    try:
        await call(raw, metadata=_metadata(method, raw, cast), timeout=30)
        code = grpc.StatusCode.OK
    except grpc.aio.AioRpcError as exc:
        code = exc.code()
        if code in UNCLEAR:
            # A request the server could not even decode is its own family (the kit answers it, not the service).
            kind = "undecodable" if "DecodeError" in (exc.details() or "") else family
            out.unclear.append(Unclear(kind, service, f"{path} ({label}, {raw[:40]!r}): {code.name} "
                                                      f"{(exc.details() or '')[:120]}"))
    out.codes[code.name] = out.codes.get(code.name, 0) + 1


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def fuzzed(chaos_stack: ChaosStack, cast: Cast) -> Fuzzed:
    rng = random.Random(20261201)
    out = Fuzzed()
    limit = asyncio.Semaphore(6)
    channels = {name: grpc.aio.insecure_channel(chaos_stack.grpc_address(name)) for name, _ in SERVICES}

    async def one(channel: grpc.aio.Channel, method: MethodDescriptor, family: str, label: str, raw: bytes) -> None:
        async with limit:
            await _probe(channel, method, family, label, raw, cast, out)

    jobs = []
    for name, service in SERVICES:
        for method in service.methods:
            out.methods += 1
            jobs += [one(channels[name], method, *case) for case in protofuzz.cases(rng, method.input_type, GENERATED)]
    await asyncio.gather(*jobs)
    for channel in channels.values():
        await channel.close()
    print(f"\n{out.methods} methods, {out.calls} calls, {out.codes}")
    return out


def _report(found: list[str]) -> str:
    return "\n".join(found[:50]) + f"\n({len(found)} unclear answers)"


def test_hostile_field_values_get_a_clear_status_everywhere(fuzzed: Fuzzed) -> None:
    assert fuzzed.methods >= 100 and fuzzed.calls >= 10 * fuzzed.methods
    found = fuzzed.of("hostile") + fuzzed.of("bytes")
    assert not found, _report(found)


def test_nul_characters_are_refused_at_the_public_partner_api(fuzzed: Fuzzed) -> None:
    found = fuzzed.of("nul", public=True)
    assert not found, _report(found)


def test_nul_characters_get_a_clear_status_inside(fuzzed: Fuzzed) -> None:
    found = fuzzed.of("nul", public=False)
    assert not found, _report(found)


def test_undecodable_requests_get_a_clear_status(fuzzed: Fuzzed) -> None:
    found = fuzzed.of("undecodable")
    assert not found, _report(found)
