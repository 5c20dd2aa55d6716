"""OpenTelemetry tracing with W3C traceparent over HTTP headers, gRPC metadata and NATS headers."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from functools import cache

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from .config import ConfigError

propagate.set_global_textmap(TraceContextTextMapPropagator())
_in_memory: InMemorySpanExporter | None = None


def configure_tracing(service: str, exporter: str = "none", otlp_endpoint: str = "") -> TracerProvider:
    """exporter: none | console | otlp | memory (tests). OpenTelemetry allows one global provider per
    process, so a second call adds its exporter to the provider already installed."""
    global _in_memory
    current = trace.get_tracer_provider()
    provider = current if isinstance(current, TracerProvider) else TracerProvider(
        resource=Resource.create({"service.name": f"scanpay-{service}"})
    )
    if exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint, insecure=True)))
    elif exporter == "memory":
        if _in_memory is None:
            _in_memory = InMemorySpanExporter()
            provider.add_span_processor(SimpleSpanProcessor(_in_memory))
    elif exporter != "none":
        raise ConfigError(f"SCANPAY_TRACE_EXPORTER must be none, console, otlp or memory, got {exporter!r}")
    if provider is not current:
        trace.set_tracer_provider(provider)
    return provider


def memory_exporter() -> InMemorySpanExporter | None:
    return _in_memory


@cache
def tracer(name: str = "scanpay") -> trace.Tracer:
    """One tracer per name for the process: get_tracer builds a new one per call (4% of a simple call's CPU).
    One fetched before configure_tracing is OpenTelemetry's proxy, which follows the provider set later."""
    return trace.get_tracer(name)


def inject(carrier: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """Write the current trace context (traceparent) into headers or metadata."""
    propagate.inject(carrier)
    return carrier


def extract(carrier: Mapping[str, str] | None) -> context.Context:
    return propagate.extract(dict(carrier or {}))


def extract_metadata(metadata: Sequence[tuple[str, str | bytes]] | None) -> context.Context:
    return extract({k: v for k, v in (metadata or ()) if isinstance(v, str)})
