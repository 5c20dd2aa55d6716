"""One trace id from an HTTP request through a gRPC call to the NATS consumer's span."""

from __future__ import annotations

import asyncio
import secrets

import aiohttp
import asyncpg
import grpc
from aiohttp import web
from google.protobuf import wrappers_pb2
from opentelemetry import trace

from services.kit import events, tracing
from services.kit.events import Bus, InboxConsumer, OutboxRelay
from services.kit.grpc import GrpcServer, make_channel
from services.kit.http import observe
from services.kit.localstack import free_port

from .conftest import PRODUCER

SERVICE = "scanpay.test.v1.Trace"
TOKEN = "trace-test-token"


def _grpc_server(pool: asyncpg.Pool) -> GrpcServer:
    async def emit(request: wrappers_pb2.StringValue, ctx: grpc.aio.ServicerContext) -> wrappers_pb2.StringValue:
        async with pool.acquire() as conn, conn.transaction():
            return wrappers_pb2.StringValue(value=await events.append(conn, PRODUCER, "traced.emitted", request))

    def register(_: object, server: grpc.aio.Server) -> None:
        handler = grpc.unary_unary_rpc_method_handler(
            emit, wrappers_pb2.StringValue.FromString, wrappers_pb2.StringValue.SerializeToString
        )
        server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(SERVICE, {"Emit": handler})])

    server = GrpcServer("kittest", TOKEN, [SERVICE])
    server.add(register, None)
    return server


def _http_app(channel: grpc.aio.Channel) -> web.Application:
    emit = channel.unary_unary(f"/{SERVICE}/Emit", request_serializer=wrappers_pb2.StringValue.SerializeToString,
                               response_deserializer=wrappers_pb2.StringValue.FromString)

    async def handle(request: web.Request) -> web.Response:
        reply = await emit(wrappers_pb2.StringValue(value=request.query["v"]))
        return web.json_response({"event_id": reply.value})

    app = web.Application(middlewares=[observe])
    app.router.add_post("/emit", handle)
    return app


async def test_trace_id_spans_http_grpc_and_nats(kit_pool: asyncpg.Pool, bus: Bus, stream: str) -> None:
    tracing.configure_tracing("kittest", "memory")
    exporter = tracing.memory_exporter()
    assert exporter is not None
    exporter.clear()
    server = _grpc_server(kit_pool)
    grpc_port = await server.start("127.0.0.1", 0)
    channel = make_channel(f"127.0.0.1:{grpc_port}", TOKEN, SERVICE)
    runner = web.AppRunner(_http_app(channel))
    await runner.setup()
    http_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", http_port).start()
    seen_trace_ids: list[str] = []

    async def handler(conn: asyncpg.Connection, envelope: events.envelope_pb2.Envelope) -> None:
        seen_trace_ids.append(format(trace.get_current_span().get_span_context().trace_id, "032x"))

    consumer = InboxConsumer(kit_pool, bus, f"trace_{secrets.token_hex(3)}", stream, f"{PRODUCER}.traced.emitted", handler)
    task = asyncio.create_task(consumer.run())
    client_trace_id = secrets.token_hex(16)
    try:
        async with aiohttp.ClientSession() as http:
            headers = {"traceparent": f"00-{client_trace_id}-{secrets.token_hex(8)}-01"}
            async with http.post(f"http://127.0.0.1:{http_port}/emit?v=hello", headers=headers) as resp:
                assert resp.status == 200
                assert resp.headers["x-request-id"].startswith("req_")
        await OutboxRelay(kit_pool, bus, PRODUCER).publish_batch()
        for _ in range(100):
            if seen_trace_ids:
                break
            await asyncio.sleep(0.1)
        assert seen_trace_ids == [client_trace_id]
        consumed = f"consume {PRODUCER}.traced.emitted"
        for _ in range(50):  # the consumer span ends after the ack, a moment after the handler ran
            spans = {s.name: s for s in exporter.get_finished_spans()}
            if consumed in spans:
                break
            await asyncio.sleep(0.1)
        http_span = spans["POST /emit"]
        grpc_span = spans[f"/{SERVICE}/Emit"]
        consume_span = spans[consumed]
        assert {format(s.context.trace_id, "032x") for s in (http_span, grpc_span, consume_span)} == {client_trace_id}
        assert grpc_span.parent is not None and grpc_span.parent.span_id == http_span.context.span_id
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await channel.close()
        await runner.cleanup()
        await server.stop(0)
