"""Run the promotions service: `python -m services.promotions` or `scanpay serve promotions`."""

from __future__ import annotations

from ..gen.scanpay.promotions.v1 import promotions_pb2_grpc
from ..kit.service import ServiceSpec, main
from . import worker
from .api import PromotionsApi

# Wallet methods promotions calls that are safe to retry (idempotent by account key or transfer id).
WALLET_IDEMPOTENT = ("OpenAccount", "CreateTransfers", "GetBalance")


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="promotions",
        grpc_services=[
            (promotions_pb2_grpc.add_PromotionsServiceServicer_to_server, PromotionsApi,
             "scanpay.promotions.v1.PromotionsService"),
        ],
        workers=[worker.run],
        idempotent_methods={"wallet": WALLET_IDEMPOTENT},
    )


if __name__ == "__main__":
    main(spec())
