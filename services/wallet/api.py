"""gRPC handlers of the wallet service."""

from __future__ import annotations

from ..gen.scanpay.wallet.v1 import wallet_pb2_grpc
from ..kit.service import Runtime


class WalletApi(wallet_pb2_grpc.WalletServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
