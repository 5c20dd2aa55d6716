"""schemathesis against the gateway's /openapi.json: every operation, data that fits its schemas and data that
does not, signed or with a consumer token as the operation's security says. No answer may be a 5xx, invalid
data must be refused with a 4xx, and every answer must conform to the document (status, content type, the
error shape)."""

from __future__ import annotations

import secrets
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis", minversion="4.32", reason="pinned in the dev extra (4.32.5)")
import requests  # noqa: E402 - comes with schemathesis
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup  # noqa: E402

from services.gateway import security  # noqa: E402

from .actors import Cast  # noqa: E402
from .stack import ChaosStack  # noqa: E402

pytestmark = pytest.mark.stack
EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 12}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]

# Logging out would revoke the one consumer session every other operation runs with; test_reliability_security
# covers it.
LEFT_OUT = ("DELETE /v1/sessions/current",)


def _signed(key: tuple[str, str], method: str, path: str, body: bytes) -> dict[str, str]:
    ts, nonce = str(int(time.time())), secrets.token_hex(12)
    return {"X-Scanpay-Key-Id": key[0], "X-Scanpay-Timestamp": ts, "X-Scanpay-Nonce": nonce,
            "X-Scanpay-Signature": security.sign_request(key[1], method, path, ts, nonce, body)}


def _send(session: requests.Session, case: Any, base: str, cast: Cast) -> requests.Response:
    """Send the generated case with the credentials its operation's security asks for."""
    kwargs = case.as_transport_kwargs(base_url=base)
    kwargs.pop("timeout", None)
    kwargs.pop("allow_redirects", None)
    kwargs.pop("verify", None)
    prepared = session.prepare_request(requests.Request(**{k: v for k, v in kwargs.items()
                                                           if k in ("method", "url", "headers", "params", "json",
                                                                    "data", "cookies", "files")}))
    # A negative case may leave the credential out on purpose: then it is sent without one.
    if "Authorization" in prepared.headers:
        prepared.headers["Authorization"] = f"Bearer {cast['consumer'].who.token}"
    if "X-Scanpay-Signature" in prepared.headers:
        body = prepared.body or b""
        body = body.encode() if isinstance(body, str) else body
        key = cast["merchant"].who.key
        assert key is not None
        prepared.headers.update(_signed(key, prepared.method or "GET", prepared.path_url, body))
    return session.send(prepared, timeout=30)


def _fuzz(operation: Any, mode: GenerationMode, session: requests.Session, base: str, cast: Cast,
          tried: dict[str, int], failures: list[str]) -> None:
    """Up to EXAMPLES[mode] cases of one operation; every failed check is collected with its request."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES[mode], deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def fuzz(case: Any) -> None:
        response = _send(session, case, base, cast)
        tried[operation.label] = tried.get(operation.label, 0) + 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, FailureGroup) as exc:
            found = exc.exceptions if isinstance(exc, FailureGroup) else [exc]
            failures.extend(f"{operation.label} [{mode.value}] {case.method} {case.formatted_path} "
                            f"{response.status_code} {response.text[:160]!r}: {' '.join(str(f).split())[:300]}"
                            for f in found)

    fuzz()


def test_gateway_openapi_fuzzed_by_schemathesis(chaos_stack: ChaosStack, cast: Cast) -> None:
    base = chaos_stack.rest
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    session = requests.Session()
    failures: list[str] = []
    tried: dict[str, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in LEFT_OUT:
            continue
        for mode in EXAMPLES:
            _fuzz(operation, mode, session, base, cast, tried, failures)
    assert len(tried) >= 30, tried
    assert not failures, "\n".join(sorted(set(failures))[:40])
