"""Run the merchant service: `python -m services.merchant` or `scanpay serve merchant`."""

from __future__ import annotations

from ..gen.scanpay.merchant.v1 import merchant_pb2_grpc
from ..kit.service import ServiceSpec, main
from .api import MerchantApi


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="merchant",
        grpc_services=[
            (
                merchant_pb2_grpc.add_MerchantServiceServicer_to_server,
                MerchantApi,
                "scanpay.merchant.v1.MerchantService",
            )
        ],
    )


if __name__ == "__main__":
    main(spec())
