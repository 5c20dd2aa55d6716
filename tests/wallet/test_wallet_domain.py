"""Pure wallet rules, with Hypothesis where the input space is large."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kit.errors import AlreadyExists, InvalidArgument
from services.wallet import domain
from services.wallet.bank import TEST_CARDS


@given(st.integers(min_value=1, max_value=domain.INT64_MAX), st.integers(min_value=-(2**62), max_value=2**62))
def test_shortfall_tops_up_exactly_what_is_missing(amount, available):
    missing = domain.shortfall(amount, available)
    assert missing >= 0
    assert max(available, 0) + missing >= amount
    assert missing == 0 or max(available, 0) + missing == amount


@given(st.datetimes(timezones=st.just(UTC)), st.text(min_size=1, max_size=40))
def test_cursor_round_trips(stamp, ident):
    cursor = domain.decode_cursor(domain.encode_cursor(stamp, ident))
    assert cursor == domain.Cursor(stamp, ident)


@pytest.mark.parametrize("amount", [0, -1, 2**63, True])
def test_amount_outside_positive_int64_is_invalid(amount):
    with pytest.raises(InvalidArgument) as info:
        domain.validate_amount(amount, "amount.amount")
    assert info.value.field == "amount.amount"


def test_documented_test_cards_are_luhn_valid():
    assert all(domain.luhn_valid(number) for number in TEST_CARDS)
    assert not domain.luhn_valid("4111111111111112")


def test_expiry_in_the_current_month_is_still_valid():
    domain.validate_expiry("06/30", datetime(2030, 6, 15, tzinfo=UTC))
    with pytest.raises(InvalidArgument):
        domain.validate_expiry("05/30", datetime(2030, 6, 15, tzinfo=UTC))


def test_replay_with_reordered_batch_names_the_position():
    a = domain.TransferSpec("t1", "d", "c", 5, "CNY", 0, "", {}, False, 0)
    b = domain.TransferSpec("t2", "d", "c", 6, "CNY", 0, "", {}, False, 0)
    stored = [{"id": s.id, "batch_id": "b", "debit_account_id": "d", "credit_account_id": "c", "amount": s.amount,
               "currency": "CNY", "code": 0, "reference": "", "metadata": {}, "type": 1, "timeout_seconds": 0}
              for s in (a, b)]
    domain.check_replay("b", [a, b], stored)
    with pytest.raises(AlreadyExists) as info:
        domain.check_replay("b", [b, a], stored)
    assert info.value.field == "transfers[0].id"
