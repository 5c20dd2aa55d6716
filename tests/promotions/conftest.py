"""Promotions and the wallet it funds campaigns from, both in-process on free ports (real PostgreSQL + NATS)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import grpc
import pytest_asyncio
from google.protobuf.timestamp_pb2 import Timestamp

from services.gen.scanpay.common.v1.common_pb2 import Money
from services.gen.scanpay.promotions.v1 import promotions_pb2 as pb
from services.gen.scanpay.promotions.v1 import promotions_pb2_grpc
from services.gen.scanpay.wallet.v1 import wallet_pb2, wallet_pb2_grpc
from services.kit.config import Settings
from services.kit.grpc import make_channel
from services.kit.ids import new_id
from services.kit.localstack import free_port
from services.kit.service import ServiceSpec, serve
from services.promotions.__main__ import spec as promotions_spec
from services.wallet.__main__ import spec as wallet_spec

ADMIN = (("x-scanpay-actor", "admin"),)
GATEWAY = (("x-scanpay-actor", "service:gateway"),)
# The sweeper runs often so that timeouts show within a test.
TEST_ENV = {"SCANPAY_PROMOTIONS_SWEEP_SECONDS": "0.2"}


@dataclass
class Promotions:
    stub: promotions_pb2_grpc.PromotionsServiceStub
    wallet: wallet_pb2_grpc.WalletServiceStub
    pool: asyncpg.Pool
    settings: Settings


async def _start(service_spec: ServiceSpec, settings: Settings, name: str) -> tuple[asyncio.Task[None], asyncio.Event]:
    stop = asyncio.Event()
    task = asyncio.create_task(serve(service_spec, settings, stop))
    channel = make_channel(f"127.0.0.1:{settings.grpc_port}", settings.internal_token, name)
    await asyncio.wait_for(channel.channel_ready(), 30)
    await channel.close()
    return task, stop


@pytest_asyncio.fixture(scope="session")
async def promotions(
    pool_for: Callable[[str], Awaitable[asyncpg.Pool]], settings_for: Callable[[str], Settings]
) -> AsyncIterator[Promotions]:
    os.environ.update(TEST_ENV)
    await pool_for("wallet")
    pool = await pool_for("promotions")
    wallet_settings = dataclasses.replace(settings_for("wallet"), grpc_port=free_port(), db_pool_max=5,
                                          drain_seconds=1)
    wallet_address = f"127.0.0.1:{wallet_settings.grpc_port}"
    base = settings_for("promotions")
    promo_settings = dataclasses.replace(base, grpc_port=free_port(), db_pool_max=10, drain_seconds=1,
                                         addresses={**base.addresses, "wallet": wallet_address})
    wallet_task, wallet_stop = await _start(wallet_spec(), wallet_settings, "scanpay.wallet.v1.WalletService")
    promo_task, promo_stop = await _start(promotions_spec(), promo_settings,
                                          "scanpay.promotions.v1.PromotionsService")
    promo_channel = make_channel(f"127.0.0.1:{promo_settings.grpc_port}", promo_settings.internal_token,
                                 "scanpay.promotions.v1.PromotionsService", deadline=30)
    wallet_channel = make_channel(wallet_address, wallet_settings.internal_token,
                                  "scanpay.wallet.v1.WalletService", deadline=30)
    yield Promotions(promotions_pb2_grpc.PromotionsServiceStub(promo_channel),
                     wallet_pb2_grpc.WalletServiceStub(wallet_channel), pool, promo_settings)
    await promo_channel.close()
    await wallet_channel.close()
    promo_stop.set()
    wallet_stop.set()
    await asyncio.wait_for(asyncio.gather(promo_task, wallet_task), 30)


def cny(amount: int) -> Money:
    return Money(amount=amount, currency="CNY")


def ts(when: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(when)
    return out


def campaign_request(**overrides: object) -> pb.CreateCampaignRequest:
    """A valid campaign: 100.00 CNY in 10 fixed envelopes of 10.00, open for a day, one per consumer."""
    now = datetime.now(UTC)
    fields: dict[str, object] = dict(
        request_id=new_id("req"), name="Double Twelve", budget=cny(10_000), count=10, split=pb.SPLIT_MODE_FIXED,
        starts_at=ts(now - timedelta(minutes=1)), ends_at=ts(now + timedelta(days=1)), per_consumer_limit=1,
        validity_days=7,
    )
    fields.update(overrides)
    return pb.CreateCampaignRequest(**fields)  # type: ignore[arg-type]


async def create_campaign(p: Promotions, **overrides: object) -> pb.Campaign:
    reply = await p.stub.CreateCampaign(campaign_request(**overrides), metadata=ADMIN)
    return reply.campaign


async def grab(p: Promotions, campaign_id: str, consumer_id: str, request_id: str | None = None
               ) -> pb.GrabRedEnvelopeResponse:
    return await p.stub.GrabRedEnvelope(
        pb.GrabRedEnvelopeRequest(campaign_id=campaign_id, consumer_id=consumer_id,
                                  request_id=request_id or new_id("req")),
        metadata=GATEWAY,
    )


async def balance(p: Promotions, account_id: str) -> int:
    reply = await p.wallet.GetBalance(wallet_pb2.GetBalanceRequest(account_id=account_id), metadata=ADMIN)
    return reply.available.amount


async def sub_budget_accounts(p: Promotions, campaign_id: str) -> list[str]:
    """The campaign's wallet budget accounts, sub-budget 0 first."""
    async with p.pool.acquire() as conn:
        rows = await conn.fetch("SELECT account_id FROM budget_accounts WHERE campaign_id = $1 ORDER BY k", campaign_id)
    return [r["account_id"] for r in rows]


async def budget_balance(p: Promotions, campaign_id: str) -> int:
    """What all the campaign's sub-budgets hold together."""
    return sum([await balance(p, account) for account in await sub_budget_accounts(p, campaign_id)])


async def lapse_and_wait_for_settlement(p: Promotions, campaign_id: str, coupon_id: str) -> None:
    """Let an ended campaign's last unused coupon expire, then wait (up to 10 s) for the settler to take the
    campaign's remaining budget back; asserts it did."""
    async with p.pool.acquire() as conn:
        await conn.execute("UPDATE coupons SET expires_at = now() - interval '1 second' WHERE id = $1", coupon_id)
    for _ in range(100):
        if await budget_balance(p, campaign_id) == 0:
            break
        await asyncio.sleep(0.1)
    assert await budget_balance(p, campaign_id) == 0


async def marketing_account(p: Promotions) -> str:
    reply = await p.wallet.OpenAccount(
        wallet_pb2.OpenAccountRequest(kind=wallet_pb2.ACCOUNT_KIND_PLATFORM_MARKETING, owner_id="platform",
                                      currency="CNY"),
        metadata=ADMIN,
    )
    return reply.id


async def rpc_error(call: Awaitable[object]) -> grpc.aio.AioRpcError:
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return exc
    raise AssertionError("the call succeeded")
