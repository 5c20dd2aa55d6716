"""grpc.aio bootstrap: server with health, reflection and interceptors; clients with deadlines."""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import asyncpg
import grpc
from google.protobuf import any_pb2
from google.protobuf.message import DecodeError
from google.rpc import status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status
from opentelemetry import context as otel_context
from opentelemetry import trace

from ..gen.scanpay.common.v1 import common_pb2
from . import tracing
from .auth import ACTOR_HEADER, ANONYMOUS, REQUEST_ID_HEADER, TOKEN_HEADER, Actor, current_actor
from .errors import ServiceError
from .logging import get_logger, request_id_var
from .metrics import RPC_LATENCY, RPC_REQUESTS

log = get_logger("kit.grpc")
# Failures of the database connection itself: the call did nothing, so the client may retry.
_TRANSIENT = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.TooManyConnectionsError,
    asyncpg.CannotConnectNowError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.AdminShutdownError,
    asyncpg.InternalClientError,
)
_OPEN_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")
DEFAULT_DEADLINE_SECONDS = 5.0


def error_status(exc: ServiceError) -> status_pb2.Status:
    detail = any_pb2.Any()
    detail.Pack(common_pb2.ErrorDetail(reason=exc.reason, field=exc.field, metadata=exc.metadata))
    return status_pb2.Status(code=exc.code.value[0], message=exc.message, details=[detail])


def error_detail(error: grpc.aio.AioRpcError) -> common_pb2.ErrorDetail | None:
    """The ErrorDetail a scanpay server attached to a failed call, if any."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    for detail in status.details if status else ():
        out = common_pb2.ErrorDetail()
        if detail.Unpack(out):
            return out
    return None


class ServerInterceptor(grpc.aio.ServerInterceptor):
    """Authentication, actor, tracing, logging, metrics and error mapping for every unary call."""

    def __init__(self, service: str, internal_token: str, public_services: Sequence[str] = ()) -> None:
        self.service = service
        self.token = f"Bearer {internal_token}"
        # Services called from outside (the partner API): no internal token; their handlers authenticate.
        self.public_prefixes = tuple(f"/{name}/" for name in public_services)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or details.method.startswith(_OPEN_PREFIXES):
            return handler
        if handler.unary_unary:
            # Requests arrive as bytes and are decoded inside the wrapper, so an undecodable one gets
            # INVALID_ARGUMENT instead of grpcio's UNKNOWN.
            return grpc.unary_unary_rpc_method_handler(
                self._wrap(details.method, handler.unary_unary, handler.request_deserializer),
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(details.method, handler.unary_stream),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler

    def _authenticate(self, method: str, metadata: dict[str, str]) -> Actor | None:
        if method.startswith(self.public_prefixes):
            return ANONYMOUS
        supplied = metadata.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(supplied.encode(), self.token.encode()):
            return None
        return Actor.parse(metadata.get(ACTOR_HEADER))

    def _enter(self, method: str, ctx: grpc.aio.ServicerContext) -> tuple[Actor | None, list[Any]]:
        metadata = {k: v for k, v in (ctx.invocation_metadata() or ()) if isinstance(v, str)}
        tokens = [
            otel_context.attach(tracing.extract(metadata)),
            request_id_var.set(metadata.get(REQUEST_ID_HEADER)),
        ]
        who = self._authenticate(method, metadata)
        if who is not None:
            tokens.append(current_actor.set(who))
        return who, tokens

    def _wrap(
        self, method: str, fn: Callable[..., Awaitable[Any]], decode: Callable[[bytes], Any] | None
    ) -> Callable[..., Awaitable[Any]]:
        async def handle(raw: bytes, ctx: grpc.aio.ServicerContext) -> Any:
            who, tokens = self._enter(method, ctx)
            started = time.perf_counter()
            code = grpc.StatusCode.OK
            try:
                with tracing.tracer().start_as_current_span(method, kind=trace.SpanKind.SERVER):
                    if who is None:
                        code = grpc.StatusCode.UNAUTHENTICATED
                        await ctx.abort(code, "missing or invalid internal service token")
                    try:
                        request = decode(raw) if decode else raw
                    except DecodeError:
                        code = grpc.StatusCode.INVALID_ARGUMENT
                        await ctx.abort(code, "the request is not a valid protobuf message of this method")
                    try:
                        return await fn(request, ctx)
                    except asyncpg.DataError as exc:
                        # A value PostgreSQL cannot take (NUL in text, a number out of range): the caller's input.
                        code = grpc.StatusCode.INVALID_ARGUMENT
                        await ctx.abort(code, f"a request value is not acceptable: {type(exc).__name__}")
                    except ServiceError as exc:
                        code = exc.code
                        log.info("rpc_error", method=method, code=code.name, reason=exc.reason, field=exc.field)
                        await ctx.abort_with_status(rpc_status.to_status(error_status(exc)))
            except grpc.aio.AbortError:
                if code is grpc.StatusCode.OK:
                    code = ctx.code() or grpc.StatusCode.UNKNOWN
                raise
            except _TRANSIENT as exc:
                code = grpc.StatusCode.UNAVAILABLE
                log.warning("rpc_unavailable", method=method, error=type(exc).__name__)
                await ctx.abort(code, "a dependency is unavailable; retry")
            except Exception:
                code = grpc.StatusCode.INTERNAL
                log.exception("rpc_failed", method=method)
                await ctx.abort(code, "internal error")  # the exception's text stays in the log
            finally:
                self._record(method, code, started)
                _detach(tokens)

        return handle

    def _wrap_stream(self, method: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        async def handle(request: Any, ctx: grpc.aio.ServicerContext) -> Any:
            who, tokens = self._enter(method, ctx)
            started = time.perf_counter()
            code = grpc.StatusCode.OK
            try:
                if who is None:
                    code = grpc.StatusCode.UNAUTHENTICATED
                    await ctx.abort(code, "missing or invalid internal service token")
                try:
                    async for item in fn(request, ctx):
                        yield item
                except ServiceError as exc:
                    code = exc.code
                    await ctx.abort_with_status(rpc_status.to_status(error_status(exc)))
            finally:
                self._record(method, code, started)
                _detach(tokens)

        return handle

    def _record(self, method: str, code: grpc.StatusCode, started: float) -> None:
        RPC_REQUESTS.labels(self.service, method, code.name).inc()
        RPC_LATENCY.labels(self.service, method).observe(time.perf_counter() - started)


def _detach(tokens: list[Any]) -> None:
    otel_context.detach(tokens[0])
    request_id_var.reset(tokens[1])
    if len(tokens) > 2:
        current_actor.reset(tokens[2])


Registrar = Callable[[grpc.aio.Server], None]


class GrpcServer:
    """A grpc.aio server with health (per service name), reflection and the scanpay interceptor."""

    def __init__(
        self, service: str, internal_token: str, service_names: Sequence[str], public_services: Sequence[str] = ()
    ) -> None:
        self.service = service
        self.server = grpc.aio.server(
            interceptors=[ServerInterceptor(service, internal_token, public_services)],
            options=[
                ("grpc.so_reuseport", 0),
                ("grpc.max_receive_message_length", 4 * 1024 * 1024),
                # Clients reconnect every few minutes, so replicas added by the autoscaler get their share.
                ("grpc.max_connection_age_ms", 300_000),
                ("grpc.max_connection_age_grace_ms", 30_000),
            ],
        )
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.service_names = list(service_names)
        reflection.enable_server_reflection(
            [*self.service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], self.server
        )
        self.port = 0

    def add(self, registrar: Callable[[Any, grpc.aio.Server], None], servicer: Any) -> None:
        registrar(servicer, self.server)

    async def start(self, host: str, port: int) -> int:
        self.port = self.server.add_insecure_port(f"{host}:{port}")
        if self.port == 0:
            raise OSError(f"cannot listen on {host}:{port}")
        await self.server.start()
        await self.set_serving(True)
        return self.port

    async def set_serving(self, serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ["", self.service, *self.service_names]:
            await self.health.set(name, status)

    async def stop(self, drain_seconds: float) -> None:
        """Report NOT_SERVING, then let in-flight calls finish for up to drain_seconds."""
        await self.set_serving(False)
        await self.server.stop(grace=drain_seconds)


class ClientInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    """Adds the internal token, actor, request id and traceparent, and a deadline when none was set."""

    def __init__(self, internal_token: str, default_deadline: float) -> None:
        self.token = f"Bearer {internal_token}"
        self.default_deadline = default_deadline

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        metadata = list(details.metadata or ())
        keys = {k for k, _ in metadata}
        carrier: dict[str, str] = tracing.inject({})
        extra = [(TOKEN_HEADER, self.token), *carrier.items()]
        if ACTOR_HEADER not in keys:
            extra.append((ACTOR_HEADER, current_actor.get().header()))
        request_id = request_id_var.get()
        if request_id and REQUEST_ID_HEADER not in keys:
            extra.append((REQUEST_ID_HEADER, request_id))
        timeout = details.timeout if details.timeout is not None else self.default_deadline
        new_details = grpc.aio.ClientCallDetails(
            details.method, timeout, grpc.aio.Metadata(*metadata, *extra), details.credentials,
            details.wait_for_ready,
        )
        return await continuation(new_details, request)


def _service_config(service_name: str, idempotent_methods: Iterable[str]) -> str:
    retry = {
        "maxAttempts": 4,
        "initialBackoff": "0.05s",
        "maxBackoff": "1s",
        "backoffMultiplier": 2,
        "retryableStatusCodes": ["UNAVAILABLE"],
    }
    # No "timeout" here: a service-config timeout caps every call, even one that asks for a longer deadline.
    # The ClientInterceptor gives each call the default deadline unless the caller set its own.
    names = [{"service": service_name, "method": m} for m in idempotent_methods]
    method_configs: list[dict[str, Any]] = [{"name": names, "retryPolicy": retry}] if names else []
    # round_robin over every address the name resolves to, so replicas behind a headless Service share load.
    return json.dumps({"methodConfig": method_configs, "loadBalancingConfig": [{"round_robin": {}}]})


def make_channel(
    target: str,
    internal_token: str,
    service_name: str,
    idempotent_methods: Iterable[str] = (),
    deadline: float = DEFAULT_DEADLINE_SECONDS,
) -> grpc.aio.Channel:
    """A channel whose calls always carry a deadline; only `idempotent_methods` are retried."""
    return grpc.aio.insecure_channel(
        target,
        options=[
            ("grpc.service_config", _service_config(service_name, idempotent_methods)),
            ("grpc.enable_retries", 1),
            ("grpc.keepalive_time_ms", 30_000),
        ],
        interceptors=[ClientInterceptor(internal_token, deadline)],
    )
