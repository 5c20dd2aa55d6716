"""Run the settlement service: `python -m services.settlement` or `scanpay serve settlement`."""

from __future__ import annotations

from ..gen.scanpay.settlement.v1 import settlement_pb2_grpc
from ..kit.service import ServiceSpec, main
from .api import SettlementApi
from .clearing import consumers


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="settlement",
        grpc_services=[(settlement_pb2_grpc.add_SettlementServiceServicer_to_server, SettlementApi,
                        "scanpay.settlement.v1.SettlementService")],
        consumers=consumers(),
        idempotent_methods={
            "merchant": ["GetRates", "GetMerchant"],
            "wallet": ["OpenAccount", "CreateTransfers", "ExportLedger"],
        },
    )


if __name__ == "__main__":
    main(spec())
