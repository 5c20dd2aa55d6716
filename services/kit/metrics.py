"""Prometheus metrics shared by every service, exposed on the service's metrics port."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

RPC_REQUESTS = Counter("scanpay_rpc_requests_total", "gRPC calls handled", ["service", "method", "code"])
RPC_LATENCY = Histogram(
    "scanpay_rpc_duration_seconds",
    "gRPC call latency",
    ["service", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
HTTP_REQUESTS = Counter("scanpay_http_requests_total", "HTTP requests handled", ["route", "method", "status"])
HTTP_LATENCY = Histogram("scanpay_http_duration_seconds", "HTTP request latency", ["route", "method"])
OUTBOX_LAG = Gauge("scanpay_outbox_lag_events", "Outbox rows not yet published", ["service"])
OUTBOX_PUBLISHED = Counter("scanpay_outbox_published_total", "Events published by the relay", ["service"])
CONSUMER_LAG = Gauge("scanpay_consumer_lag_messages", "Messages pending for a durable consumer", ["consumer"])
EVENTS_HANDLED = Counter("scanpay_events_handled_total", "Events consumed", ["consumer", "outcome"])
DEAD_LETTERS = Counter("scanpay_dead_letters_total", "Events moved to the dead-letter subject", ["consumer"])


def start_metrics_server(port: int, host: str = "127.0.0.1") -> None:
    start_http_server(port, addr=host)
