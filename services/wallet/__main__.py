"""Run the wallet service: `python -m services.wallet` or `scanpay serve wallet`."""

from __future__ import annotations

from ..gen.scanpay.wallet.v1 import wallet_pb2_grpc
from ..kit.service import ServiceSpec, main
from .api import WalletApi
from .workers import expire_holds, recover_topups

# Safe to retry on UNAVAILABLE: reads, and writes made idempotent by caller-chosen ids.
IDEMPOTENT_METHODS = (
    "OpenAccount", "GetAccount", "FindAccount", "GetBalance", "CreateTransfers", "CreateTransferBatches",
    "PostPending", "VoidPending",
    "GetTransfer", "GetBatch", "ListEntries", "ExportLedger", "ListCards", "TopUp", "PayFromCard", "GetTopUp",
)


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="wallet",
        grpc_services=[(wallet_pb2_grpc.add_WalletServiceServicer_to_server, WalletApi, "scanpay.wallet.v1.WalletService")],
        workers=[expire_holds, recover_topups],
    )


if __name__ == "__main__":
    main(spec())
