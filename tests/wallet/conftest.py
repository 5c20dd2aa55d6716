"""The wallet service running in-process on a free port against the session's PostgreSQL and NATS."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import grpc
import pytest_asyncio

from services.gen.scanpay.common.v1.common_pb2 import Money
from services.gen.scanpay.wallet.v1 import wallet_pb2 as pb
from services.gen.scanpay.wallet.v1 import wallet_pb2_grpc
from services.kit.config import Settings
from services.kit.grpc import make_channel
from services.kit.ids import new_id
from services.kit.localstack import free_port
from services.kit.service import serve
from services.wallet.__main__ import spec

# Fast simulated bank and recovery for tests (read when the service starts).
TEST_ENV = {
    "SCANPAY_WALLET_BANK_SLOW_SECONDS": "0.3",
    "SCANPAY_WALLET_BANK_TIMEOUT_SECONDS": "0.2",
    "SCANPAY_WALLET_BANK_DEADLINE_SECONDS": "1.5",
    "SCANPAY_WALLET_TOPUP_RECOVERY_SECONDS": "1",
}
ADMIN = (("x-scanpay-actor", "admin"),)


@pytest_asyncio.fixture(scope="session")
async def wallet_pool(pool_for: Callable[[str], Awaitable[asyncpg.Pool]]) -> asyncpg.Pool:
    return await pool_for("wallet")


@pytest_asyncio.fixture(scope="session")
async def wallet_settings(settings_for: Callable[[str], Settings], wallet_pool: asyncpg.Pool) -> Settings:
    return dataclasses.replace(settings_for("wallet"), grpc_port=free_port(), db_pool_max=20, drain_seconds=1)


@pytest_asyncio.fixture(scope="session")
async def wallet_service(wallet_settings: Settings) -> AsyncIterator[Settings]:
    os.environ.update(TEST_ENV)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(spec(), wallet_settings, stop))
    channel = make_channel(f"127.0.0.1:{wallet_settings.grpc_port}", wallet_settings.internal_token,
                           "scanpay.wallet.v1.WalletService")
    await asyncio.wait_for(channel.channel_ready(), 20)
    await channel.close()
    yield wallet_settings
    stop.set()
    await asyncio.wait_for(task, 30)


@pytest_asyncio.fixture(scope="session")
async def wallet(wallet_service: Settings) -> AsyncIterator[wallet_pb2_grpc.WalletServiceStub]:
    channel = make_channel(f"127.0.0.1:{wallet_service.grpc_port}", wallet_service.internal_token,
                           "scanpay.wallet.v1.WalletService", deadline=20)
    yield wallet_pb2_grpc.WalletServiceStub(channel)
    await channel.close()


def cny(amount: int) -> Money:
    return Money(amount=amount, currency="CNY")


async def open_account(stub: wallet_pb2_grpc.WalletServiceStub, kind: int, owner: str | None = None,
                       currency: str = "CNY") -> pb.Account:
    return await stub.OpenAccount(pb.OpenAccountRequest(kind=kind, owner_id=owner or new_id("own"), currency=currency))


async def funded_consumer(stub: wallet_pb2_grpc.WalletServiceStub, amount: int) -> tuple[pb.Account, pb.Account]:
    """A consumer wallet holding `amount`, and the bank clearing account it came from."""
    clearing = await open_account(stub, pb.ACCOUNT_KIND_BANK_CLEARING, "test-bank")
    consumer = await open_account(stub, pb.ACCOUNT_KIND_CONSUMER_WALLET)
    if amount:
        await transfer(stub, clearing.id, consumer.id, amount)
    return consumer, clearing


async def transfer(stub: wallet_pb2_grpc.WalletServiceStub, debit: str, credit: str, amount: int,
                   **kw: object) -> pb.CreateTransfersResponse:
    t = pb.TransferInput(id=new_id("trf"), debit_account_id=debit, credit_account_id=credit, amount=cny(amount), **kw)
    return await stub.CreateTransfers(pb.CreateTransfersRequest(batch_id=new_id("bat"), transfers=[t]))


async def available(stub: wallet_pb2_grpc.WalletServiceStub, account_id: str) -> int:
    return (await stub.GetBalance(pb.GetBalanceRequest(account_id=account_id))).available.amount


async def posted(stub: wallet_pb2_grpc.WalletServiceStub, account_id: str) -> int:
    return (await stub.GetBalance(pb.GetBalanceRequest(account_id=account_id))).posted.amount


__all__ = ["grpc"]
