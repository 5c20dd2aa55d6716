"""The log scanner finds card numbers and secrets, and is not fooled by random trace ids."""

from __future__ import annotations

from pathlib import Path

from .logscan import scan

UNIONPAY_TEST_CARD = "6212345678901232"  # Luhn-valid


def test_a_card_number_in_a_log_is_found_but_an_all_digit_span_id_is_not(tmp_path: Path) -> None:
    (tmp_path / "gateway.log").write_text(
        '{"event": "rpc_error", "trace_id": "b671c977ef137f5fd172971f4488fd5d", "span_id": "6206295276013260"}\n'
        f'{{"event": "card_bound", "number": "{UNIONPAY_TEST_CARD}", "span_id": "0af7651916cd43dd"}}\n'
    )
    assert scan(tmp_path, known_secrets=["sps_not_in_the_log_anywhere"]) == [
        f"gateway.log:2: card-like number {UNIONPAY_TEST_CARD}"
    ]
