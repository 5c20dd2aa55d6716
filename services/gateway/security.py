"""Credentials and signatures (pure): passwords, access tokens, refresh tokens, request and webhook signatures."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..kit.errors import InvalidArgument, Unauthenticated

ACCESS_TOKEN_SECONDS = 15 * 60
REFRESH_TOKEN_SECONDS = 30 * 24 * 3600
SIGNATURE_WINDOW_SECONDS = 300
JWT_ISSUER = "scanpay-gateway"
# Cheaper than argon2's default so sign-up stays fast on a 2-core box, still memory-hard (RFC 9106 low-mem).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@dataclass(frozen=True)
class Keys:
    jwt_secret: str
    qr_key: bytes
    code_key: bytes
    webhook_key: bytes

    def webhook_secret(self, owner_id: str) -> str:
        """Each merchant's or partner's webhook signing secret, derived so no secret has to be stored."""
        return "whsec_" + hmac.new(self.webhook_key, owner_id.encode(), hashlib.sha256).hexdigest()

    @classmethod
    def from_env(cls) -> Keys:
        # Local defaults work on a laptop; production sets every one of these.
        return cls(
            jwt_secret=os.environ.get("SCANPAY_JWT_SECRET", "dev-jwt-secret-change-me-0123456789"),
            qr_key=os.environ.get("SCANPAY_QR_SIGNING_KEY", "dev-qr-signing-key").encode(),
            code_key=os.environ.get("SCANPAY_PAYMENT_CODE_KEY", "dev-payment-code-key").encode(),
            webhook_key=os.environ.get("SCANPAY_WEBHOOK_KEY", "dev-webhook-key").encode(),
        )


def validate_phone(phone: object) -> str:
    if not isinstance(phone, str) or not (phone.isascii() and phone.isdigit() and len(phone) == 11
                                          and phone.startswith("1")):
        raise InvalidArgument("phone must be an 11-digit mainland mobile number", field="phone")
    return phone


def validate_password(password: object) -> str:
    if not isinstance(password, str) or not 8 <= len(password) <= 128:
        raise InvalidArgument("password must be 8 to 128 characters", field="password")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash to verify against when the phone is unknown, so timing does not reveal registered numbers.
DUMMY_HASH = _hasher.hash("not-a-real-password")


def issue_access_token(secret: str, consumer_id: str, session_id: str, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    claims = {"sub": consumer_id, "sid": session_id, "iat": issued, "exp": issued + ACCESS_TOKEN_SECONDS,
              "iss": JWT_ISSUER, "typ": "access"}
    return jwt.encode(claims, secret, algorithm="HS256")


@dataclass(frozen=True)
class AccessClaims:
    consumer_id: str
    session_id: str


def read_access_token(secret: str, token: str) -> AccessClaims:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], issuer=JWT_ISSUER,
                            options={"require": ["exp", "iat", "sub", "sid"]})
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("access token expired", reason="TOKEN_EXPIRED") from None
    except jwt.PyJWTError:
        raise Unauthenticated("access token invalid", reason="TOKEN_INVALID") from None
    if claims.get("typ") != "access":
        raise Unauthenticated("access token invalid", reason="TOKEN_INVALID")
    return AccessClaims(str(claims["sub"]), str(claims["sid"]))


def new_refresh_token() -> str:
    return "rt_" + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Refresh tokens are stored as their SHA-256 only: they are random 256-bit values, so no salt is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- request signatures (merchant POS, partners) -------------------------------------------------------


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def signing_string(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    return "\n".join([method.upper(), path, timestamp, nonce, body_digest(body)])


def sign_request(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    return hmac.new(secret.encode(), signing_string(method, path, timestamp, nonce, body).encode(),
                    hashlib.sha256).hexdigest()


def check_timestamp(timestamp: str, now: float) -> int:
    """Refuse a missing or stale timestamp (outside the 5-minute window either way)."""
    if not (timestamp.isascii() and timestamp.isdigit()):  # str.isdigit alone also takes '²' and '١'
        raise Unauthenticated("x-scanpay-timestamp must be unix seconds", reason="SIGNATURE_INVALID")
    value = int(timestamp)
    if abs(now - value) > SIGNATURE_WINDOW_SECONDS:
        raise Unauthenticated("request timestamp outside the 5-minute window", reason="TIMESTAMP_STALE")
    return value


def check_nonce(nonce: str) -> str:
    if not (8 <= len(nonce) <= 64 and nonce.isascii() and nonce.replace("-", "").replace("_", "").isalnum()):
        raise Unauthenticated("x-scanpay-nonce must be 8-64 letters or digits", reason="SIGNATURE_INVALID")
    return nonce


# --- webhook signatures ----------------------------------------------------------------------------------


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `Scanpay-Signature` header: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_webhook_signature(secret: str, header: str, body: bytes, now: float,
                             tolerance: int = SIGNATURE_WINDOW_SECONDS) -> bool:
    """What a receiver runs: parse the header, recompute, compare in constant time, check freshness."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    stamp, mac = parts.get("t", ""), parts.get("v1")
    # str.isdigit alone also takes '²'; compare_digest takes ASCII text only.
    if not (stamp.isascii() and stamp.isdigit()) or mac is None or not mac.isascii():
        return False
    timestamp = int(stamp)
    expected = webhook_signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts["v1"]) and abs(now - timestamp) <= tolerance
