"""Run the settlement service: `python -m services.settlement` or `scanpay serve settlement`."""

from __future__ import annotations

from ..gen.scanpay.settlement.v1 import settlement_pb2_grpc
from ..kit.service import ServiceSpec, main
from .api import SettlementApi


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="settlement",
        grpc_services=[(settlement_pb2_grpc.add_SettlementServiceServicer_to_server, SettlementApi, "scanpay.settlement.v1.SettlementService")],
    )


if __name__ == "__main__":
    main(spec())
