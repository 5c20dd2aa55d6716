"""gRPC handlers of the promotions service."""

from __future__ import annotations

from ..gen.scanpay.promotions.v1 import promotions_pb2_grpc
from ..kit.service import Runtime


class PromotionsApi(promotions_pb2_grpc.PromotionsServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
