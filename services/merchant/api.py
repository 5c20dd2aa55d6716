"""gRPC handlers of the merchant service."""

from __future__ import annotations

from ..gen.scanpay.merchant.v1 import merchant_pb2_grpc
from ..kit.service import Runtime


class MerchantApi(merchant_pb2_grpc.MerchantServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
