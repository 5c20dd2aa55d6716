"""Run the gateway service: `python -m services.gateway` or `scanpay serve gateway`."""

from __future__ import annotations

from ..gen.scanpay.gateway.v1 import gateway_pb2_grpc
from ..kit.service import ServiceSpec, main
from .api import PartnerApi


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="gateway",
        grpc_services=[(gateway_pb2_grpc.add_PartnerServiceServicer_to_server, PartnerApi, "scanpay.gateway.v1.PartnerService")],
    )


if __name__ == "__main__":
    main(spec())
