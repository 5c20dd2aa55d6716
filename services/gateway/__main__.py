"""Run the gateway service: `python -m services.gateway` or `scanpay serve gateway`."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import timedelta

import asyncpg

from ..gen.scanpay.gateway.v1 import gateway_pb2_grpc
from ..kit.logging import get_logger
from ..kit.service import Runtime, ServiceSpec, main
from . import domain, store
from .admin import AdminApi, AdminTokens
from .api import InternalApi, PartnerApi
from .notify import Notifier
from .rest.app import start_rest
from .rest.discovery import discovery_for
from .saga import Payments
from .security import Keys

log = get_logger("gateway")
_payments: dict[int, Payments] = {}


def _float(name: str, default: float) -> float:
    return float(os.environ.get(f"SCANPAY_GATEWAY_{name}", str(default)))


def payments(runtime: Runtime) -> Payments:
    """One saga runner per running service, shared by REST, gRPC and the workers."""
    if id(runtime) not in _payments:
        _payments[id(runtime)] = Payments(runtime, Keys.from_env())
    return _payments[id(runtime)]


def rate_limits() -> dict[str, tuple[float, float]]:
    return {
        "address": (_float("RATE_PER_ADDRESS", 500), _float("BURST_PER_ADDRESS", 1000)),
        "consumer": (_float("RATE_PER_CONSUMER", 20), _float("BURST_PER_CONSUMER", 40)),
        "key": (_float("RATE_PER_KEY", 200), _float("BURST_PER_KEY", 400)),
    }


async def _every(seconds: float, name: str, job: Callable[[], Awaitable[object]]) -> None:
    while True:
        try:
            await job()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError) as exc:
            log.warning("worker_retry", worker=name, error=str(exc))
        except Exception:
            log.exception("worker_failed", worker=name)
        await asyncio.sleep(seconds)


async def recovery_worker(runtime: Runtime) -> None:
    """Resume or compensate trades and refunds left mid-way; the first pass runs at start (after a crash)."""
    after = timedelta(seconds=_float("RECOVERY_AFTER", 30))
    await _every(_float("RECOVERY_INTERVAL", 5), "recovery", lambda: payments(runtime).recover(after))


async def expiry_worker(runtime: Runtime) -> None:
    """Close unpaid trades at their expiry."""
    await _every(_float("EXPIRY_INTERVAL", 5), "expiry", lambda: payments(runtime).close_expired())


async def housekeeping_worker(runtime: Runtime) -> None:
    """Finish trades whose refund window ended; drop expired nonces, idempotency keys and payment codes."""

    async def tidy() -> None:
        async with runtime.pool.acquire() as conn:
            await store.finish_old_trades(conn, domain.REFUND_WINDOW)
            await store.purge_expired(conn)

    await _every(_float("HOUSEKEEPING_INTERVAL", 300), "housekeeping", tidy)


async def notification_worker(runtime: Runtime) -> None:
    await Notifier(runtime.pool, Keys.from_env()).run()


async def rest(runtime: Runtime) -> Callable[[], Awaitable[None]]:
    return await start_rest(runtime, payments(runtime), Keys.from_env(), rate_limits())


async def discovery_worker(runtime: Runtime) -> None:
    """Drops the discovery caches on merchant.* and promotions.campaign.* events."""
    await discovery_for(runtime, payments(runtime)).listen(runtime)


def admin_api(runtime: Runtime) -> AdminApi:
    return AdminApi(runtime, payments(runtime), AdminTokens.from_env(),
                    discovery_for(runtime, payments(runtime)).campaigns_changed)


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="gateway",
        grpc_services=[
            (gateway_pb2_grpc.add_PartnerServiceServicer_to_server, lambda rt: PartnerApi(rt, payments(rt)),
             "scanpay.gateway.v1.PartnerService"),
            (gateway_pb2_grpc.add_GatewayInternalServiceServicer_to_server, InternalApi,
             "scanpay.gateway.v1.GatewayInternalService"),
            (gateway_pb2_grpc.add_AdminServiceServicer_to_server, admin_api, "scanpay.gateway.v1.AdminService"),
        ],
        workers=[recovery_worker, expiry_worker, housekeeping_worker, notification_worker, discovery_worker],
        extra=[rest],
        public_services=["scanpay.gateway.v1.PartnerService"],
        idempotent_methods={
            "merchant": ["GetStore", "GetMerchant", "GetPartner", "VerifySignature", "LookupCredential"],
            "wallet": ["OpenAccount", "GetBalance", "CreateTransfers", "GetBatch", "ListEntries", "ListCards",
                       "GetTopUp", "TopUp", "PayFromCard"],
            "promotions": ["QuoteBestCoupon", "ReserveCoupon", "ConfirmCoupon", "ReleaseCoupon", "ReturnDiscount",
                           "ListCoupons", "GrabRedEnvelope"],
        },
    )


if __name__ == "__main__":
    main(spec())
