"""Run the settlement service: `python -m services.settlement` or `scanpay serve settlement`."""

from __future__ import annotations

from ..gen.scanpay.settlement.v1 import settlement_pb2_grpc
from ..kit.service import Runtime, ServiceSpec, main
from .api import SettlementApi
from .clearing import consumers
from .clients import Directory, Ledger
from .runs import Settler, auto_run_time, daily_run


async def daily_worker(runtime: Runtime) -> None:
    """Settles each day that is over at SCANPAY_SETTLEMENT_AUTO_RUN_AT (default 02:00 Asia/Shanghai)."""
    at = auto_run_time()
    if at is None:
        return
    settler = Settler(runtime.pool, Ledger(runtime.channel("wallet")), Directory(runtime.channel("merchant")))
    await daily_run(settler, at)


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="settlement",
        grpc_services=[(settlement_pb2_grpc.add_SettlementServiceServicer_to_server, SettlementApi,
                        "scanpay.settlement.v1.SettlementService")],
        consumers=consumers(),
        workers=[daily_worker],
        idempotent_methods={
            "merchant": ["GetRates", "GetMerchant"],
            "wallet": ["OpenAccount", "CreateTransfers", "CreateTransferBatches", "ExportLedger"],
        },
    )


if __name__ == "__main__":
    main(spec())
