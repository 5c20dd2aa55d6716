"""Pure rules of the gateway: EMV QR codec, refund split, state machine, payment codes, signatures."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.gateway import domain, emv, security
from services.gateway.domain import TradeStatus
from services.kit.errors import FailedPrecondition, InvalidArgument, Unauthenticated

KEY = b"test-qr-key"
ids = st.text("0123456789abcdefghjkmnpqrstvwxyz", min_size=26, max_size=26)
names = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=40)


def test_crc_check_value() -> None:
    assert emv.crc16_ccitt_false("123456789") == 0x29B1


@given(ids, st.sampled_from(["5812", "5411", "7011"]), names, names)
def test_store_qr_round_trip(store: str, mcc: str, name: str, city: str) -> None:
    code = emv.QrCode(f"sto_{store}", mcc, name, city)
    payload = emv.encode(code, KEY)
    assert payload.startswith("00020101021126")
    parsed = emv.verify(payload, KEY, time.time())
    assert (parsed.store_id, parsed.mcc, parsed.dynamic, parsed.amount_fen) == (code.store_id, mcc, False, None)
    assert len(parsed.merchant_name) <= emv.NAME_MAX and len(parsed.city) <= emv.CITY_MAX


@given(ids, ids, st.integers(1, domain.MAX_PAYMENT_FEN), st.integers(0, 10**6))
def test_order_qr_round_trip(store: str, trade: str, amount: int, ttl: int) -> None:
    expires = int(time.time()) + 60 + ttl
    payload = emv.encode(emv.QrCode(f"sto_{store}", "5812", "Shop", "Shanghai", f"trd_{trade}", amount, expires), KEY)
    assert "010212" in payload
    parsed = emv.verify(payload, KEY, time.time())
    assert (parsed.trade_id, parsed.amount_fen, parsed.expires_at) == (f"trd_{trade}", amount, expires)


@settings(max_examples=200)
@given(ids, st.integers(1, 10**7), st.data())
def test_any_edit_is_refused(store: str, amount: int, data: st.DataObject) -> None:
    payload = emv.encode(emv.QrCode(f"sto_{store}", "5812", "Shop", "SH", "trd_" + store, amount,
                                    int(time.time()) + 3600), KEY)
    pos = data.draw(st.integers(0, len(payload) - 1))
    char = data.draw(st.sampled_from("0123456789ABCDEFabcxyz._"))
    tampered = payload[:pos] + char + payload[pos + 1:]
    if tampered == payload:
        return
    with pytest.raises(emv.QrError):
        emv.verify(tampered, KEY, time.time())


def test_recomputed_crc_still_fails_on_signature() -> None:
    payload = emv.encode(emv.QrCode("sto_" + "a" * 26, "5812", "Shop", "SH", "trd_" + "b" * 26, 1000,
                                    int(time.time()) + 60), KEY)
    body = payload[:-4].replace("540510.00", "540599.00")  # 10.00 yuan edited to 99.00 yuan, CRC recomputed
    forged = body + f"{emv.crc16_ccitt_false(body):04X}"
    with pytest.raises(emv.QrError) as err:
        emv.verify(forged, KEY, time.time())
    assert err.value.reason == "QR_BAD_SIGNATURE"
    with pytest.raises(emv.QrError) as err:
        emv.verify(payload, b"another-key", time.time())
    assert err.value.reason == "QR_BAD_SIGNATURE"


@pytest.mark.parametrize("payload,reason", [
    ("hello", "QR_MALFORMED"), ("000201" + "6304ABCD", "QR_BAD_CRC"), ("", "QR_MALFORMED"),
])
def test_garbage_is_refused(payload: str, reason: str) -> None:
    with pytest.raises(emv.QrError) as err:
        emv.verify(payload, KEY, time.time())
    assert err.value.reason == reason


def test_expired_order_qr() -> None:
    payload = emv.encode(emv.QrCode("sto_x", "5812", "S", "C", "trd_y", 100, int(time.time()) - 1), KEY)
    with pytest.raises(emv.QrError) as err:
        emv.verify(payload, KEY, time.time())
    assert err.value.reason == "QR_EXPIRED"


@given(st.integers(1, 10**9), st.data())
def test_refund_parts_add_up(amount: int, data: st.DataObject) -> None:
    discount = data.draw(st.integers(0, amount))
    refunded, discount_back = 0, 0
    for n in range(8):
        left = amount - refunded
        if left == 0:
            break
        part = left if n == 7 else data.draw(st.integers(1, left))
        split = domain.split_refund(amount, discount, refunded, part)
        assert split.paid_part >= 0 and split.discount_part >= 0
        assert split.paid_part + split.discount_part == part
        refunded += part
        discount_back += split.discount_part
        assert discount_back <= discount
    assert discount_back == discount


def test_state_machine() -> None:
    assert domain.after_refund(TradeStatus.TRADE_SUCCESS, 1000, 0, 300) is TradeStatus.TRADE_SUCCESS
    assert domain.after_refund(TradeStatus.TRADE_SUCCESS, 1000, 300, 700) is TradeStatus.TRADE_CLOSED
    with pytest.raises(FailedPrecondition):
        domain.after_refund(TradeStatus.TRADE_SUCCESS, 1000, 300, 701)
    for status in (TradeStatus.WAIT_BUYER_PAY, TradeStatus.TRADE_CLOSED, TradeStatus.TRADE_FINISHED):
        with pytest.raises(FailedPrecondition):
            domain.after_refund(status, 1000, 0, 1)
    with pytest.raises(FailedPrecondition):
        domain.check_transition(TradeStatus.TRADE_CLOSED, TradeStatus.TRADE_SUCCESS)
    domain.check_transition(TradeStatus.TRADE_SUCCESS, TradeStatus.TRADE_FINISHED)


@pytest.mark.parametrize("value", [0, -1, 1.5, 10.0, True, "100", domain.MAX_PAYMENT_FEN + 1, 2**63])
def test_bad_amounts(value: object) -> None:
    with pytest.raises(InvalidArgument):
        domain.validate_amount(value)


def test_payment_code_check_digits() -> None:
    code = domain.new_payment_code(KEY)
    assert len(code) == 18 and code.isdigit() and domain.payment_code_well_formed(code, KEY)
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    assert not domain.payment_code_well_formed(wrong, KEY)
    assert not domain.payment_code_well_formed(code, b"other")


def test_tokens_and_signatures() -> None:
    token = security.issue_access_token("s" * 32, "csm_1", "ses_1")
    assert security.read_access_token("s" * 32, token).consumer_id == "csm_1"
    with pytest.raises(Unauthenticated):
        security.read_access_token("o" * 32, token)
    old = security.issue_access_token("s" * 32, "csm_1", "ses_1", now=time.time() - 3600)
    with pytest.raises(Unauthenticated) as err:
        security.read_access_token("s" * 32, old)
    assert err.value.reason == "TOKEN_EXPIRED"
    with pytest.raises(Unauthenticated):
        security.check_timestamp(str(int(time.time()) - 301), time.time())
    header = security.webhook_signature("whsec", int(time.time()), b'{"a":1}')
    assert security.verify_webhook_signature("whsec", header, b'{"a":1}', time.time())
    assert not security.verify_webhook_signature("whsec", header, b'{"a":2}', time.time())
    hashed = security.hash_password("correct horse")
    assert security.password_matches(hashed, "correct horse") and not security.password_matches(hashed, "nope")
