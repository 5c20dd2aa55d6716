"""Hypothesis on what parses untrusted text at the gateway's edge: the EMV QR decoder, the payment-code check and
the request / webhook signature verifiers. Whatever the input, the answer is the value or a clear refusal
(QrError / Unauthenticated / False), never another exception (which the REST app would turn into a 500)."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from services.gateway import domain, emv, security
from services.kit.errors import InvalidArgument, Unauthenticated

KEY = b"fuzz-qr-key"
CODE_KEY = b"fuzz-code-key"
NOW = 1_800_000_000.0
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Characters that trip str.isdigit / int / hmac.compare_digest: non-ASCII digits, superscripts, wide digits.
TRICKY = st.sampled_from(["²", "١", "５", "\u0660", "0", "9", "-", " ", "\x00", "é", "\U0001d7ce"])
TEXT = st.text(st.one_of(st.characters(codec="utf-8"), TRICKY), max_size=40)


def tlv_fields() -> st.SearchStrategy[str]:
    """EMV payloads with a valid CRC made of plausible and hostile fields, to get past the first checks."""
    value = st.one_of(TEXT, st.sampled_from([emv.GUID, "11", "12", "156", "CN", "5812", "12.34", "1800000000"]))
    inner = st.lists(st.tuples(st.sampled_from(["00", "01", "02", "03"]), value), max_size=4)
    tags = st.sampled_from(["01", "26", "27", "52", "53", "54", "58", "59", "60", "99"])

    def build(fields: list[tuple[str, object]]) -> str:
        body = "000201"
        for tag, v in fields:
            text = "".join(f"{t}{len(x):02d}{x}" for t, x in v) if isinstance(v, list) else str(v)
            body += f"{tag}{len(text) % 100:02d}{text}"
        body += "6304"
        return body + f"{emv.crc16_ccitt_false(body):04X}"

    return st.lists(st.tuples(tags, st.one_of(value, inner)), max_size=10).map(build)


def _refused_or_ok(payload: str) -> None:
    try:
        emv.verify(payload, KEY, NOW)
    except emv.QrError:
        pass


def _signed_like(expiry: str, amount: str, sig: str) -> str:
    """An order QR of ours in shape, with the given expiry, amount and signature text."""
    account = f"00{len(emv.GUID):02d}{emv.GUID}0108sto_00010{len(sig):02d}{sig}"
    order = f"00{len(emv.GUID):02d}{emv.GUID}0108trd_0001" + f"02{len(expiry):02d}{expiry}"
    body = (f"000201010212{'26'}{len(account):02d}{account}27{len(order):02d}{order}520458125303156"
            f"54{len(amount):02d}{amount}5802CN5901X6001Y6304")
    return body + f"{emv.crc16_ccitt_false(body):04X}"


@FAST
@given(payload=st.one_of(TEXT, tlv_fields()))
@example(payload=_signed_like("²", "1.00", "a" * 32))
@example(payload=_signed_like("１８００００００００", "1.00", "a" * 32))
@example(payload=_signed_like("1900000000", "١.٠٠", "a" * 32))
@example(payload=_signed_like("1900000000", "1.00", "é" * 32))
def test_qr_decoder_never_fails_otherwise_than_with_a_qr_error(payload: str) -> None:
    _refused_or_ok(payload)


@FAST
@given(store=st.from_regex(r"sto_[0-9a-z]{1,26}", fullmatch=True), trade=st.from_regex(r"trd_[0-9a-z]{1,26}",
                                                                                       fullmatch=True),
       amount=st.integers(1, domain.MAX_PAYMENT_FEN), name=TEXT, city=TEXT, dynamic=st.booleans(),
       position=st.integers(0, 400), char=st.characters(codec="ascii"))
def test_qr_round_trips_and_any_edit_of_a_signed_field_is_refused(store: str, trade: str, amount: int, name: str,
                                                                  city: str, dynamic: bool, position: int,
                                                                  char: str) -> None:
    code = emv.QrCode(store, "5812", name, city, trade if dynamic else "", amount if dynamic else None,
                      int(NOW) + 3600 if dynamic else None)
    payload = emv.encode(code, KEY)
    decoded = emv.verify(payload, KEY, NOW)
    assert (decoded.store_id, decoded.trade_id, decoded.amount_fen, decoded.expires_at) == (
        code.store_id, code.trade_id, code.amount_fen, code.expires_at)
    body = payload[:-4]
    i = position % len(body)
    edited = body[:i] + char + body[i + 1:]
    forged = edited + f"{emv.crc16_ccitt_false(edited):04X}"
    try:
        other = emv.verify(forged, KEY, NOW)
    except emv.QrError:
        return
    # Only the display fields (name, city) are unsigned; what is paid and to whom never changes.
    assert (other.store_id, other.mcc, other.trade_id, other.amount_fen, other.expires_at) == (
        decoded.store_id, decoded.mcc, decoded.trade_id, decoded.amount_fen, decoded.expires_at)


@FAST
@given(code=st.one_of(TEXT, st.from_regex(r"28\d{16}", fullmatch=True), st.text(TRICKY, min_size=18, max_size=18)))
def test_payment_code_check_never_raises_and_refuses_forgeries(code: str) -> None:
    assert domain.payment_code_well_formed(code, CODE_KEY) in (True, False)


@FAST
@given(position=st.integers(2, 17), digit=st.integers(0, 9))
def test_a_payment_code_with_one_digit_changed_is_refused(position: int, digit: int) -> None:
    code = domain.new_payment_code(CODE_KEY)
    assert domain.payment_code_well_formed(code, CODE_KEY)
    changed = code[:position] + str(digit) + code[position + 1:]
    assert changed == code or not domain.payment_code_well_formed(changed, CODE_KEY)


@FAST
@given(timestamp=TEXT, nonce=TEXT)
@example(timestamp="²", nonce="٠١٢٣٤٥٦٧٨")
@example(timestamp="１８００００００００", nonce="nonce-é-123")
def test_signature_header_checks_refuse_clearly(timestamp: str, nonce: str) -> None:
    for check, value in ((lambda v: security.check_timestamp(v, time.time()), timestamp),
                         (security.check_nonce, nonce)):
        try:
            check(value)
        except (Unauthenticated, InvalidArgument):
            pass


@FAST
@given(header=st.one_of(TEXT, st.builds(lambda t, v: f"t={t},v1={v}", TEXT, TEXT)), body=st.binary(max_size=64))
def test_webhook_signature_verifier_answers_true_or_false(header: str, body: bytes) -> None:
    assert security.verify_webhook_signature("whsec_x", header, body, NOW) in (True, False)


@FAST
@given(body=st.binary(max_size=256), flip=st.integers(0, 63))
def test_a_request_signature_holds_only_for_its_own_request(body: bytes, flip: int) -> None:
    sig = security.sign_request("secret", "POST", "/v1/merchant/orders", "1800000000", "nonce-123", body)
    base = security.signing_string("POST", "/v1/merchant/orders", "1800000000", "nonce-123", body)
    assert sig == security.sign_request("secret", "POST", "/v1/merchant/orders", "1800000000", "nonce-123", body)
    assert sig != security.sign_request("secret", "POST", "/v1/merchant/orders", "1800000001", "nonce-123", body)
    assert sig != security.sign_request("secret", "POST", "/v1/merchant/orders", "1800000000", "nonce-123",
                                        body + b"x")
    assert base.endswith(security.body_digest(body))
    tampered = sig[:flip] + ("0" if sig[flip] != "0" else "1") + sig[flip + 1:]
    assert tampered != sig
