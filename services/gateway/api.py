"""gRPC handlers of the gateway service."""

from __future__ import annotations

from ..gen.scanpay.gateway.v1 import gateway_pb2_grpc
from ..kit.service import Runtime


class PartnerApi(gateway_pb2_grpc.PartnerServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
