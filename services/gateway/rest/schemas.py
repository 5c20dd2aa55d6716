"""JSON Schemas (2020-12) of the REST request bodies; the OpenAPI document and the validator share them."""

from __future__ import annotations

from typing import Any

from ..domain import MAX_PAYMENT_FEN

FEN = {"type": "integer", "minimum": 1, "maximum": MAX_PAYMENT_FEN, "description": "integer fen (CNY)"}
OUT_NO = {"type": "string", "pattern": "^[A-Za-z0-9_\\-]{1,64}$"}
URL = {"type": "string", "pattern": "^https?://", "maxLength": 2048}


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


SCHEMAS: dict[str, dict[str, Any]] = {
    "Empty": {"type": "object", "maxProperties": 0},
    "Credentials": _object({"phone": {"type": "string", "maxLength": 32},
                            "password": {"type": "string", "maxLength": 128}}, ["phone", "password"]),
    "RefreshRequest": _object({"refresh_token": {"type": "string", "maxLength": 128}}, ["refresh_token"]),
    "BindCard": _object({"card_number": {"type": "string", "maxLength": 32},
                         "expiry": {"type": "string", "pattern": "^\\d{2}/\\d{2}$"},
                         "holder_name": {"type": "string", "minLength": 1, "maxLength": 100}},
                        ["card_number", "expiry", "holder_name"]),
    "TopUp": _object({"card_id": {"type": "string", "maxLength": 64}, "amount": FEN}, ["card_id", "amount"]),
    "ResolveQr": _object({"qr_payload": {"type": "string", "maxLength": 512}}, ["qr_payload"]),
    "Payment": _object({
        "qr_payload": {"type": "string", "maxLength": 512},
        "amount": FEN,
        "pay_from_card": _object({"card_id": {"type": "string", "maxLength": 64}}, ["card_id"]),
    }, ["qr_payload"]),
    "Precreate": _object({
        "store_id": {"type": "string", "maxLength": 64}, "out_trade_no": OUT_NO, "amount": FEN,
        "subject": {"type": "string", "maxLength": 256},
        "timeout_seconds": {"type": "integer", "minimum": 60, "maximum": 15 * 24 * 3600},
        "notify_url": URL,
    }, ["store_id", "out_trade_no", "amount"]),
    "PayByCode": _object({
        "store_id": {"type": "string", "maxLength": 64}, "out_trade_no": OUT_NO, "amount": FEN,
        "subject": {"type": "string", "maxLength": 256},
        "payment_code": {"type": "string", "pattern": "^\\d{18}$"}, "notify_url": URL,
    }, ["store_id", "out_trade_no", "amount", "payment_code"]),
    "Refund": _object({"out_refund_no": OUT_NO, "amount": FEN, "reason": {"type": "string", "maxLength": 256}},
                      ["out_refund_no", "amount"]),
    "Webhook": _object({"url": URL}, ["url"]),
    "Error": _object({"error": _object({"code": {"type": "string"}, "message": {"type": "string"},
                                        "request_id": {"type": "string"}}, ["code", "message", "request_id"])},
                     ["error"]),
}
