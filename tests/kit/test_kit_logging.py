"""Log lines are JSON with service, request id, trace and span ids, and never carry secrets."""

from __future__ import annotations

import io
import json

from services.kit import tracing
from services.kit.logging import configure_logging, get_logger, request_id_var


def test_log_line_has_service_request_and_trace_ids() -> None:
    stream = io.StringIO()
    configure_logging("wallet", "info", stream=stream)
    tracing.configure_tracing("wallet", "memory")
    token = request_id_var.set("req_123")
    try:
        with tracing.tracer().start_as_current_span("work") as span:
            get_logger().info("transfer_posted", amount=100, password="hunter2", card_number="6222020000000000")
            ctx = span.get_span_context()
    finally:
        request_id_var.reset(token)
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["service"] == "wallet"
    assert line["event"] == "transfer_posted"
    assert line["request_id"] == "req_123"
    assert line["trace_id"] == format(ctx.trace_id, "032x")
    assert line["span_id"] == format(ctx.span_id, "016x")
    assert line["password"] == "[redacted]" and line["card_number"] == "[redacted]"
    assert "hunter2" not in stream.getvalue() and "6222020000000000" not in stream.getvalue()


def test_nats_url_is_logged_without_its_token() -> None:
    from services.kit.events import redact_url

    assert redact_url("nats://s3cr3t-token@nats:4222") == "nats://nats:4222"
    assert redact_url("nats://user:pass@10.0.0.1:4222") == "nats://10.0.0.1:4222"
    assert redact_url("nats://127.0.0.1:4222") == "nats://127.0.0.1:4222"
