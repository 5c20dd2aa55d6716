"""The merchant service in-process on free ports against the session's PostgreSQL and NATS, and helpers
to call it as a given actor and to check that a refused call wrote nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import grpc
import pytest
import pytest_asyncio

from services.gen.scanpay.merchant.v1 import merchant_pb2 as pb
from services.gen.scanpay.merchant.v1 import merchant_pb2_grpc
from services.kit.auth import ACTOR_HEADER
from services.kit.config import Settings
from services.kit.grpc import error_detail, make_channel
from services.kit.localstack import free_port, health_check
from services.kit.service import serve
from services.merchant.__main__ import spec

TABLES = ("malls", "partners", "merchants", "merchant_status_changes", "stores", "credentials", "outbox")
_licences = itertools.count(1)


@pytest_asyncio.fixture(scope="session")
async def merchant_settings(
    prepare: Callable[[str], Awaitable[None]], settings_for: Callable[[str], Settings]
) -> AsyncIterator[Settings]:
    await prepare("merchant")
    settings = dataclasses.replace(
        settings_for("merchant"), grpc_port=free_port(), metrics_port=free_port(), drain_seconds=0.5
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(spec(), settings, stop))
    target = f"{settings.grpc_host}:{settings.grpc_port}"
    for _ in range(100):
        if task.done():
            task.result()
        if await health_check(target, "scanpay.merchant.v1.MerchantService"):
            break
        await asyncio.sleep(0.1)
    yield settings
    stop.set()
    await asyncio.wait_for(task, 10)


class Client:
    """Calls MerchantService methods as an actor: `await client.CreateMall(req, actor="admin")`."""

    def __init__(self, stub: merchant_pb2_grpc.MerchantServiceStub) -> None:
        self.stub = stub

    def __getattr__(self, method: str) -> Callable[..., Awaitable[Any]]:
        rpc = getattr(self.stub, method)

        async def call(request: Any, actor: str = "admin") -> Any:
            return await rpc(request, metadata=((ACTOR_HEADER, actor),))

        return call


@pytest_asyncio.fixture(scope="session")
async def client(merchant_settings: Settings) -> AsyncIterator[Client]:
    channel = make_channel(
        f"{merchant_settings.grpc_host}:{merchant_settings.grpc_port}",
        merchant_settings.internal_token,
        "scanpay.merchant.v1.MerchantService",
    )
    yield Client(merchant_pb2_grpc.MerchantServiceStub(channel))
    await channel.close()


@pytest_asyncio.fixture(scope="session")
async def db(pool_for: Callable[[str], Awaitable[asyncpg.Pool]], merchant_settings: Settings) -> asyncpg.Pool:
    return await pool_for("merchant")


async def row_counts(db: asyncpg.Pool) -> dict[str, int]:
    return {t: await db.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}


@pytest.fixture
def refused(db: asyncpg.Pool) -> Callable[..., Awaitable[grpc.aio.AioRpcError]]:
    """Awaits a call that must fail with `code` naming `field`, and checks that no row was written."""

    async def check(
        call: Awaitable[Any], code: grpc.StatusCode, field: str | None = None
    ) -> grpc.aio.AioRpcError:
        before = await row_counts(db)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await call
        error = raised.value
        assert error.code() == code, error.details()
        if field is not None:
            detail = error_detail(error)
            assert detail is not None and detail.field == field, (detail, error.details())
            assert field.split(".")[0].split("[")[0] in error.details()
        assert await row_counts(db) == before, "a refused call wrote rows"
        return error

    return check


def licence() -> str:
    return f"91310000LIC{next(_licences):07d}"


async def new_partner(client: Client, name: str = "Review Site") -> pb.Partner:
    return await client.CreatePartner(
        pb.CreatePartnerRequest(name=name, webhook_url="https://partner.example/hook")
    )


async def new_mall(client: Client, commission_bps: int = 500, city: str = "Shanghai") -> pb.Mall:
    return await client.CreateMall(
        pb.CreateMallRequest(
            name="Grand Gateway", operator_name="HKL", city=city, commission_bps=commission_bps
        )
    )


async def new_merchant(
    client: Client,
    *,
    actor: str = "admin",
    partner_id: str = "",
    mcc: str = "5812",
    active: bool = False,
    **kw: Any,
) -> pb.Merchant:
    merchant = await client.CreateMerchant(
        pb.CreateMerchantRequest(
            legal_name="Shanghai Noodle Co., Ltd.",
            display_name="Noodle House",
            licence_id=licence(),
            mcc=mcc,
            partner_id=partner_id,
            **kw,
        ),
        actor=actor,
    )
    if active:
        merchant = await client.ChangeMerchantStatus(
            pb.ChangeMerchantStatusRequest(
                merchant_id=merchant.merchant_id, to_status=pb.MERCHANT_STATUS_ACTIVE, reason="kyc passed"
            )
        )
    return merchant


async def outbox_subjects(db: asyncpg.Pool, since_seq: int) -> list[str]:
    rows = await db.fetch("SELECT subject FROM outbox WHERE seq > $1 ORDER BY seq", since_seq)
    return [r["subject"] for r in rows]


async def outbox_seq(db: asyncpg.Pool) -> int:
    return await db.fetchval("SELECT coalesce(max(seq), 0) FROM outbox")
