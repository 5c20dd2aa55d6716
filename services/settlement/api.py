"""gRPC handlers of the settlement service."""

from __future__ import annotations

from ..gen.scanpay.settlement.v1 import settlement_pb2_grpc
from ..kit.service import Runtime


class SettlementApi(settlement_pb2_grpc.SettlementServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
