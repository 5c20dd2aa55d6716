"""A tiny service on the kit runtime, run as a process by the tests: a slow call and an event emitter.

It runs under the merchant service's settings (schema, role, ports from SCANPAY_* env).
"""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
from google.protobuf import wrappers_pb2

from services.kit import events
from services.kit.service import Runtime, ServiceSpec, main

SERVICE = "scanpay.test.v1.Probe"


class Probe:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def sleep(self, request: wrappers_pb2.DoubleValue, ctx: grpc.aio.ServicerContext) -> wrappers_pb2.StringValue:
        await asyncio.sleep(request.value)
        return wrappers_pb2.StringValue(value="slept")

    async def emit(self, request: wrappers_pb2.StringValue, ctx: grpc.aio.ServicerContext) -> wrappers_pb2.StringValue:
        async with self.runtime.pool.acquire() as conn, conn.transaction():
            event_id = await events.append(conn, "merchant", "probe.emitted", request)
        return wrappers_pb2.StringValue(value=event_id)


def register(probe: Probe, server: grpc.aio.Server) -> None:
    def unary(fn: Any, req: Any, resp: Any) -> grpc.RpcMethodHandler:
        return grpc.unary_unary_rpc_method_handler(fn, req.FromString, resp.SerializeToString)

    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                SERVICE,
                {
                    "Sleep": unary(probe.sleep, wrappers_pb2.DoubleValue, wrappers_pb2.StringValue),
                    "Emit": unary(probe.emit, wrappers_pb2.StringValue, wrappers_pb2.StringValue),
                },
            )
        ]
    )


def spec() -> ServiceSpec:
    return ServiceSpec(name="merchant", grpc_services=[(register, Probe, SERVICE)])


if __name__ == "__main__":
    main(spec())
