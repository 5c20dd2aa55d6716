"""EMVCo merchant-presented QR payloads (pure codec, no I/O).

Layout (ID-length-value, two-digit ids and lengths, lengths in characters):
  00 "01" payload format; 01 "11" store QR (static) / "12" order QR (dynamic);
  26 merchant account template: 00 GUID "dev.scanpay", 01 store id, 02 signature;
  27 order template (order QR only): 00 GUID, 01 trade id, 02 expiry (unix seconds);
  52 MCC; 53 "156" (CNY); 54 amount in yuan "12.34" (order QR only); 58 "CN"; 59 merchant name; 60 city;
  63 CRC-16/CCITT-FALSE over everything before its value, including "6304".
The signature is HMAC-SHA256 with SCANPAY_QR_SIGNING_KEY over the fields that decide where money goes
(truncated to 128 bits), so a payload edited by hand fails even when its CRC was recomputed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from ..kit.errors import InvalidArgument

GUID = "dev.scanpay"
STATIC = "11"
DYNAMIC = "12"
CURRENCY_CNY = "156"
COUNTRY = "CN"
NAME_MAX = 25
CITY_MAX = 15
_AMOUNT = re.compile(r"^(0|[1-9]\d{0,12})(\.\d{1,2})?$")


class QrError(InvalidArgument):
    """A payload that is malformed, tampered with or not ours."""

    def __init__(self, message: str, reason: str = "QR_INVALID") -> None:
        super().__init__(message, field="qr_payload", reason=reason)


@dataclass(frozen=True)
class QrCode:
    store_id: str
    mcc: str
    merchant_name: str
    city: str
    trade_id: str = ""
    amount_fen: int | None = None
    expires_at: int | None = None  # unix seconds, order QR only

    @property
    def dynamic(self) -> bool:
        return bool(self.trade_id)


def crc16_ccitt_false(data: str) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor (check "123456789" = 0x29B1)."""
    crc = 0xFFFF
    for byte in data.encode("utf-8"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"EMV field {tag} longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def parse_tlv(data: str) -> dict[str, str]:
    """Split ID-length-value fields; a repeated id, a non-digit id/length or an overrun is malformed."""
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        head = data[pos : pos + 4]
        if len(head) < 4 or not head.isdigit() or not head.isascii():
            raise QrError(f"malformed field header at offset {pos}", "QR_MALFORMED")
        tag, length = head[:2], int(head[2:])
        value = data[pos + 4 : pos + 4 + length]
        if len(value) != length:
            raise QrError(f"field {tag} runs past the end of the payload", "QR_MALFORMED")
        if tag in fields:
            raise QrError(f"field {tag} appears twice", "QR_MALFORMED")
        fields[tag] = value
        pos += 4 + length
    return fields


def fen_to_emv_amount(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def emv_amount_to_fen(text: str) -> int:
    if not _AMOUNT.match(text):
        raise QrError("field 54 is not an amount", "QR_MALFORMED")
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def _signing_base(code: QrCode) -> bytes:
    amount = "" if code.amount_fen is None else str(code.amount_fen)
    expires = "" if code.expires_at is None else str(code.expires_at)
    point = DYNAMIC if code.dynamic else STATIC
    return f"{point}|{code.store_id}|{code.mcc}|{code.trade_id}|{amount}|{expires}|{CURRENCY_CNY}".encode()


def signature(code: QrCode, key: bytes) -> str:
    return hmac.new(key, _signing_base(code), hashlib.sha256).hexdigest()[:32]


def _clean_text(value: str, limit: int) -> str:
    # Names are for display only (not signed); keep them inside the EMV limits.
    return " ".join(value.split())[:limit] or "-"


def encode(code: QrCode, key: bytes) -> str:
    """The payload text of a store QR (no trade_id) or an order QR (trade_id, amount, expiry)."""
    if not re.fullmatch(r"\d{4}", code.mcc):
        raise ValueError("mcc must be 4 digits")
    account = tlv("00", GUID) + tlv("01", code.store_id) + tlv("02", signature(code, key))
    parts = [tlv("00", "01"), tlv("01", DYNAMIC if code.dynamic else STATIC), tlv("26", account)]
    if code.dynamic:
        if code.amount_fen is None or code.expires_at is None:
            raise ValueError("an order QR needs amount and expiry")
        parts.append(tlv("27", tlv("00", GUID) + tlv("01", code.trade_id) + tlv("02", str(code.expires_at))))
    parts += [tlv("52", code.mcc), tlv("53", CURRENCY_CNY)]
    if code.amount_fen is not None:
        parts.append(tlv("54", fen_to_emv_amount(code.amount_fen)))
    parts += [tlv("58", COUNTRY), tlv("59", _clean_text(code.merchant_name, NAME_MAX)),
              tlv("60", _clean_text(code.city, CITY_MAX))]
    body = "".join(parts) + "6304"
    return body + f"{crc16_ccitt_false(body):04X}"


def parse(payload: str) -> tuple[QrCode, str]:
    """Parse and check structure and CRC; returns the code and its signature (verify it with `verify`)."""
    if not isinstance(payload, str) or len(payload) > 512:
        raise QrError("payload is not a scanpay QR", "QR_MALFORMED")
    if not payload.startswith("000201"):
        raise QrError("payload does not start with 000201", "QR_MALFORMED")
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise QrError("payload does not end with a CRC field", "QR_MALFORMED")
    expected = f"{crc16_ccitt_false(payload[:-4]):04X}"
    if payload[-4:].upper() != expected:
        raise QrError("CRC does not match", "QR_BAD_CRC")
    fields = parse_tlv(payload)
    point = fields.get("01")
    if point not in (STATIC, DYNAMIC):
        raise QrError("point of initiation must be 11 or 12", "QR_MALFORMED")
    if fields.get("53") != CURRENCY_CNY or fields.get("58") != COUNTRY:
        raise QrError("only CNY QR codes from CN are accepted", "QR_UNSUPPORTED")
    account = parse_tlv(fields.get("26", ""))
    # The signature is compared with hmac.compare_digest, which takes ASCII text only.
    if account.get("00") != GUID or not account.get("01") or not (account.get("02") and account["02"].isascii()):
        raise QrError("payload carries no scanpay merchant account", "QR_NOT_OURS")
    mcc = fields.get("52", "")
    if not re.fullmatch(r"\d{4}", mcc):
        raise QrError("field 52 is not an MCC", "QR_MALFORMED")
    trade_id, expires, amount = "", None, None
    if "54" in fields:
        amount = emv_amount_to_fen(fields["54"])
    if point == DYNAMIC:
        order = parse_tlv(fields.get("27", ""))
        expiry = order.get("02", "")
        if order.get("00") != GUID or not order.get("01") or not (expiry.isascii() and expiry.isdigit()):
            raise QrError("order QR carries no order", "QR_MALFORMED")
        if amount is None:
            raise QrError("order QR carries no amount", "QR_MALFORMED")
        trade_id, expires = order["01"], int(order["02"])
    elif "27" in fields or amount is not None:
        raise QrError("a store QR carries no order or amount", "QR_MALFORMED")
    code = QrCode(account["01"], mcc, fields.get("59", ""), fields.get("60", ""), trade_id, amount, expires)
    return code, account["02"]


def verify(payload: str, key: bytes, now: float) -> QrCode:
    """Parse, then refuse a payload whose signature is not ours or whose order QR has expired."""
    code, sig = parse(payload)
    if not hmac.compare_digest(sig, signature(code, key)):
        raise QrError("QR signature does not verify", "QR_BAD_SIGNATURE")
    if code.expires_at is not None and code.expires_at <= now:
        raise QrError("order QR has expired", "QR_EXPIRED")
    return code
