"""aiohttp plumbing: request ids, tracing, metrics and the one REST error shape (DESIGN.md "Errors")."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import grpc
from aiohttp import web
from opentelemetry import context as otel_context
from opentelemetry import trace

from . import tracing
from .auth import REQUEST_ID_HEADER
from .errors import ServiceError
from .ids import new_id
from .logging import get_logger, request_id_var
from .metrics import HTTP_LATENCY, HTTP_REQUESTS

log = get_logger("kit.http")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

GRPC_TO_HTTP: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 422,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}
HTTP_CODES: dict[int, str] = {
    400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE",
    422: "UNPROCESSABLE", 429: "RATE_LIMITED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"code": code, "message": message, "request_id": request_id_var.get() or ""}}
    return web.json_response(body, status=status, headers=headers)


def _route_name(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request id, server span from the incoming traceparent, metrics, and errors in the one shape."""
    request_id = request.headers.get(REQUEST_ID_HEADER) or new_id("req")
    token = request_id_var.set(request_id[:64])
    ctx_token = otel_context.attach(tracing.extract(request.headers))
    route = _route_name(request)
    started = time.perf_counter()
    status = 500
    try:
        with tracing.tracer().start_as_current_span(
            f"{request.method} {route}", kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": request.method, "url.path": request.path},
        ) as span:
            response = await _shaped(request, handler)
            status = response.status
            span.set_attribute("http.response.status_code", status)
            response.headers[REQUEST_ID_HEADER] = request_id_var.get() or ""
            return response
    finally:
        HTTP_REQUESTS.labels(route, request.method, str(status)).inc()
        HTTP_LATENCY.labels(route, request.method).observe(time.perf_counter() - started)
        otel_context.detach(ctx_token)
        request_id_var.reset(token)


async def _shaped(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_response(exc.status, HTTP_CODES.get(exc.status, "ERROR"), exc.text or exc.reason,
                              headers={k: v for k, v in exc.headers.items() if k in ("Retry-After", "Allow")})
    except ServiceError as exc:
        return error_response(GRPC_TO_HTTP.get(exc.code, 400), exc.reason, exc.message)
    except grpc.aio.AioRpcError as exc:
        return grpc_error_response(exc)
    except Exception:
        log.exception("http_unhandled", path=request.path)
        return error_response(500, "INTERNAL", "internal error")


def grpc_error_response(exc: grpc.aio.AioRpcError) -> web.Response:
    """A failed downstream call as the REST error shape; internal failures never leak their text."""
    from .grpc import error_detail

    status = GRPC_TO_HTTP.get(exc.code(), 502)
    if status >= 500:
        log.warning("downstream_failed", code=exc.code().name, details=exc.details())
        return error_response(status, HTTP_CODES.get(status, "BAD_GATEWAY"), "a downstream service failed")
    detail = error_detail(exc)
    return error_response(status, detail.reason if detail else exc.code().name, exc.details() or "")
