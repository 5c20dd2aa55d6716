"""Pure rules of the merchant directory: validation, the status machine, fee defaults, opening hours,
bank-account tokens, credential secrets and signatures, geometry. No I/O."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from ..kit.errors import FailedPrecondition, InvalidArgument, PermissionDenied, require

LOCAL_TIME = ZoneInfo("Asia/Shanghai")
MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY

MAX_FEE_BPS = 1000
MAX_COMMISSION_BPS = 3000
MAX_RADIUS_M = 50_000
DEFAULT_NEARBY_LIMIT = 20
MAX_NEARBY_LIMIT = 100
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_BATCH_IDS = 500
MAX_OPENING_PERIODS = 50
DEFAULT_OVERLAP_SECONDS = 86_400
MAX_OVERLAP_SECONDS = 7 * 86_400
# A gateway may cache a positive VerifySignature answer this long; revocation also goes out as an event.
CREDENTIAL_CACHE_TTL_SECONDS = 30
EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG); the same constant is used in store.py's SQL


# ---- text fields --------------------------------------------------------------------------------------


def text(value: str, field: str, max_len: int, *, required: bool = True) -> str:
    """A trimmed single-line text field of at most max_len characters."""
    cleaned = value.strip()
    if required:
        require(bool(cleaned), field, "must not be empty")
    require(len(cleaned) <= max_len, field, f"must be at most {max_len} characters")
    require(not any(ch in cleaned for ch in "\r\n\x00"), field, "must be a single line")
    return cleaned


def reason(value: str, field: str = "reason") -> str:
    return text(value, field, 500)


_LICENCE = re.compile(r"^[A-Z0-9]{1,64}$")


def licence_id(value: str, field: str = "licence_id") -> str:
    """Business licence id, compared case-insensitively: stored upper-case."""
    cleaned = value.strip().upper()
    require(bool(cleaned), field, "must not be empty")
    require(bool(_LICENCE.match(cleaned)), field, "must be 1..64 letters A-Z or digits")
    return cleaned


def webhook_url(value: str, field: str = "webhook_url") -> str:
    """https only, except http to a loopback host (local development)."""
    cleaned = value.strip()
    require(bool(cleaned), field, "must not be empty")
    require(len(cleaned) <= 2048, field, "must be at most 2048 characters")
    parts = urlsplit(cleaned)
    loopback = parts.hostname in {"localhost", "127.0.0.1", "::1"}
    require(bool(parts.hostname), field, "must be an absolute URL with a host")
    require(parts.scheme == "https" or (parts.scheme == "http" and loopback), field, "must use https")
    return cleaned


def prefixed_id(value: str, field: str) -> str:
    cleaned = value.strip()
    require(bool(cleaned), field, "is required")
    return cleaned


# ---- MCC and rates ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeeCategory:
    """A fee category in the spirit of the Chinese card MDR classes; default_fee_bps applies when a merchant
    is created without an explicit fee rate."""

    name: str
    default_fee_bps: int


CATERING_ENTERTAINMENT = FeeCategory("catering_entertainment", 125)
GENERAL = FeeCategory("general", 60)
ESSENTIAL = FeeCategory("essential", 38)
PUBLIC_WELFARE = FeeCategory("public_welfare", 0)

# (first MCC, last MCC, category); the first matching range wins, anything else is GENERAL.
MCC_CATEGORIES: tuple[tuple[int, int, FeeCategory], ...] = (
    (5812, 5814, CATERING_ENTERTAINMENT),  # restaurants, bars, fast food
    (5921, 5921, CATERING_ENTERTAINMENT),  # liquor stores
    (7011, 7011, CATERING_ENTERTAINMENT),  # hotels
    (7832, 7832, CATERING_ENTERTAINMENT),  # cinemas
    (7911, 7999, CATERING_ENTERTAINMENT),  # dance halls, theatres, amusement, recreation
    (4900, 4900, ESSENTIAL),  # utilities
    (5300, 5300, ESSENTIAL),  # wholesale clubs
    (5331, 5331, ESSENTIAL),  # variety stores
    (5411, 5411, ESSENTIAL),  # supermarkets, grocery
    (5422, 5422, ESSENTIAL),  # meat markets
    (5441, 5451, ESSENTIAL),  # confectionery, dairy
    (5462, 5462, ESSENTIAL),  # bakeries
    (5912, 5912, ESSENTIAL),  # pharmacies
    (8011, 8099, ESSENTIAL),  # doctors, clinics, hospitals
    (8211, 8299, ESSENTIAL),  # schools
    (8398, 8398, PUBLIC_WELFARE),  # charities
    (9211, 9399, PUBLIC_WELFARE),  # courts, government services
)

_MCC = re.compile(r"^[0-9]{4}$")


def mcc(value: str, field: str = "mcc") -> str:
    cleaned = value.strip()
    require(bool(_MCC.match(cleaned)), field, "must be exactly 4 digits (ISO 18245 merchant category code)")
    return cleaned


def fee_category(code: str) -> FeeCategory:
    number = int(code)
    for first, last, category in MCC_CATEGORIES:
        if first <= number <= last:
            return category
    return GENERAL


def fee_rate_bps(value: int, field: str = "fee_rate_bps") -> int:
    require(0 <= value <= MAX_FEE_BPS, field, f"must be 0..{MAX_FEE_BPS} basis points")
    return value


def commission_bps(value: int, field: str = "commission_bps") -> int:
    require(0 <= value <= MAX_COMMISSION_BPS, field, f"must be 0..{MAX_COMMISSION_BPS} basis points")
    return value


# ---- merchant status machine --------------------------------------------------------------------------


class MerchantStatus(str, Enum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    CLOSED = "CLOSED"


ALLOWED_TRANSITIONS: dict[MerchantStatus, frozenset[MerchantStatus]] = {
    MerchantStatus.PENDING: frozenset({MerchantStatus.ACTIVE, MerchantStatus.CLOSED}),
    MerchantStatus.ACTIVE: frozenset({MerchantStatus.SUSPENDED, MerchantStatus.CLOSED}),
    MerchantStatus.SUSPENDED: frozenset({MerchantStatus.ACTIVE, MerchantStatus.CLOSED}),
    MerchantStatus.CLOSED: frozenset(),
}

STATUS_EVENT: dict[MerchantStatus, str] = {
    MerchantStatus.ACTIVE: "merchant.activated",
    MerchantStatus.SUSPENDED: "merchant.suspended",
    MerchantStatus.CLOSED: "merchant.closed",
}


def check_transition(current: MerchantStatus, target: MerchantStatus) -> None:
    if target not in ALLOWED_TRANSITIONS[current]:
        raise FailedPrecondition(
            f"to_status: a {current.value} merchant cannot become {target.value}",
            field="to_status",
            reason="ILLEGAL_STATUS_CHANGE",
        )


def check_transition_by(actor_kind: str, current: MerchantStatus, target: MerchantStatus) -> None:
    """A suspension is the platform's risk decision: only an admin lifts it, not the owning partner."""
    if actor_kind != "admin" and current is MerchantStatus.SUSPENDED and target is MerchantStatus.ACTIVE:
        raise PermissionDenied(
            "to_status: only a platform admin may lift a suspension", field="to_status", reason="ADMIN_ONLY"
        )


def require_not_closed(status: MerchantStatus, field: str = "merchant_id") -> None:
    if status is MerchantStatus.CLOSED:
        raise FailedPrecondition(f"{field}: the merchant is closed", field=field, reason="MERCHANT_CLOSED")


# ---- coordinates and distance -------------------------------------------------------------------------


def latitude(value: float, field: str = "lat") -> float:
    require(math.isfinite(value) and -90.0 <= value <= 90.0, field, "must be a latitude in -90..90")
    return value


def longitude(value: float, field: str = "lng") -> float:
    require(math.isfinite(value) and -180.0 <= value <= 180.0, field, "must be a longitude in -180..180")
    return value


def radius_m(value: int, field: str = "radius_m") -> int:
    require(1 <= value <= MAX_RADIUS_M, field, f"must be 1..{MAX_RADIUS_M} metres")
    return value


def nearby_limit(value: int, field: str = "limit") -> int:
    if value == 0:
        return DEFAULT_NEARBY_LIMIT
    require(1 <= value <= MAX_NEARBY_LIMIT, field, f"must be 1..{MAX_NEARBY_LIMIT}")
    return value


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dlat, dlng = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dlat / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlng / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class BoundingBox:
    """Longitude/latitude box that contains every point within the radius (a superset; the exact
    distance filter runs after it)."""

    min_lng: float
    min_lat: float
    max_lng: float
    max_lat: float
    # Centred on the query point with half-extents proportional to the radius, so it may be shrunk to a
    # smaller radius by scaling; false for the full-longitude boxes near a pole or the antimeridian.
    centred: bool = True


def bounding_box(lat: float, lng: float, radius: float) -> BoundingBox:
    dlat = math.degrees(radius / EARTH_RADIUS_M)
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat <= -90.0 or max_lat >= 90.0:
        # The circle reaches a pole: every longitude is in range.
        return BoundingBox(-180.0, max(min_lat, -90.0), 180.0, min(max_lat, 90.0), centred=False)
    widest = max(abs(min_lat), abs(max_lat))
    dlng = math.degrees(radius / (EARTH_RADIUS_M * math.cos(math.radians(widest))))
    if lng - dlng < -180.0 or lng + dlng > 180.0:
        # Crossing the antimeridian: a full longitude band is a correct (if wider) superset.
        return BoundingBox(-180.0, min_lat, 180.0, max_lat, centred=False)
    return BoundingBox(lng - dlng, min_lat, lng + dlng, max_lat)


# ---- opening hours ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpeningPeriod:
    day: int  # ISO weekday 1 (Monday) .. 7 (Sunday)
    open_minute: int
    close_minute: int


def opening_periods(periods: list[OpeningPeriod], field: str = "opening_hours") -> list[OpeningPeriod]:
    require(len(periods) <= MAX_OPENING_PERIODS, f"{field}.periods", f"at most {MAX_OPENING_PERIODS} periods")
    for i, period in enumerate(periods):
        at = f"{field}.periods[{i}]"
        require(1 <= period.day <= 7, f"{at}.day", "must be a weekday")
        require(0 <= period.open_minute < MINUTES_PER_DAY, f"{at}.open_minute", "must be 0..1439")
        require(0 < period.close_minute <= MINUTES_PER_DAY, f"{at}.close_minute", "must be 1..1440")
    return periods


def week_ranges(periods: list[OpeningPeriod]) -> list[tuple[int, int]]:
    """Half-open minute-of-week ranges [start, end) in local time; no periods means always open.
    A period past midnight runs into the next day; one past Sunday midnight wraps to Monday."""
    if not periods:
        return [(0, MINUTES_PER_WEEK)]
    out: list[tuple[int, int]] = []
    for p in periods:
        start = (p.day - 1) * MINUTES_PER_DAY + p.open_minute
        length = (p.close_minute - p.open_minute) % MINUTES_PER_DAY or MINUTES_PER_DAY
        end = start + length
        if end <= MINUTES_PER_WEEK:
            out.append((start, end))
        else:
            out.extend([(start, MINUTES_PER_WEEK), (0, end - MINUTES_PER_WEEK)])
    return sorted(out)


def minute_of_week(at: datetime) -> int:
    local = at.astimezone(LOCAL_TIME)
    return (local.isoweekday() - 1) * MINUTES_PER_DAY + local.hour * 60 + local.minute


def is_open(periods: list[OpeningPeriod], at: datetime) -> bool:
    minute = minute_of_week(at)
    return any(start <= minute < end for start, end in week_ranges(periods))


# ---- settlement bank account --------------------------------------------------------------------------


@dataclass(frozen=True)
class BankAccount:
    token: str
    last4: str
    account_name: str
    bank_name: str


def bank_account(
    number: str, account_name: str, bank_name: str, token_key: bytes, field: str = "settlement_account"
) -> BankAccount:
    """Keeps only an HMAC token (to tell whether two merchants share an account) and the last 4 digits.
    Error messages never echo the number."""
    digits = re.sub(r"[\s-]", "", number)
    require(digits.isdigit() and 8 <= len(digits) <= 32, f"{field}.account_number", "must be 8..32 digits")
    token = hmac.new(token_key, f"bank-account:v1:{digits}".encode(), hashlib.sha256).hexdigest()
    return BankAccount(
        token=token,
        last4=digits[-4:],
        account_name=text(account_name, f"{field}.account_name", 100),
        bank_name=text(bank_name, f"{field}.bank_name", 100),
    )


# ---- credentials --------------------------------------------------------------------------------------


class OwnerKind(str, Enum):
    MERCHANT = "MERCHANT"
    PARTNER = "PARTNER"


class CredentialStatus(str, Enum):
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


SECRET_PREFIX = "sps_"


def new_salt() -> bytes:
    return secrets.token_bytes(16)


def derive_secret(kek: bytes, key_id: str, salt: bytes) -> str:
    """The signing secret is derived, not stored: HMAC-SHA256(KEK, key id | salt). The database holds the
    salt and a fingerprint only, so a stolen database alone yields no secret, while the service can still
    recompute it to verify HMAC signatures."""
    digest = hmac.new(kek, b"scanpay-credential:v1:" + key_id.encode() + b":" + salt, hashlib.sha256).digest()
    return SECRET_PREFIX + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def credential_status(
    revoke_time: datetime | None, expire_time: datetime | None, now: datetime
) -> CredentialStatus:
    if revoke_time is not None:
        return CredentialStatus.REVOKED
    if expire_time is not None and expire_time <= now:
        return CredentialStatus.EXPIRED
    return CredentialStatus.ACTIVE


def owner_inactive(kind: OwnerKind, owner_status: str) -> bool:
    """A closed merchant or a suspended partner signs nothing. A suspended merchant's key still verifies
    (it may read and refund); the gateway refuses new payments from the merchant's status itself."""
    if kind is OwnerKind.MERCHANT:
        return owner_status in ("CLOSED", "")
    return owner_status != "ACTIVE"


def overlap_seconds(value: int | None, field: str = "overlap_seconds") -> int:
    if value is None:
        return DEFAULT_OVERLAP_SECONDS
    require(0 <= value <= MAX_OVERLAP_SECONDS, field, f"must be 0..{MAX_OVERLAP_SECONDS} seconds")
    return value


def overlap_end(expire_time: datetime | None, now: datetime, overlap: int) -> datetime:
    """The old key of a rotation lives until the overlap ends, never longer than it would have."""
    end = now + timedelta(seconds=overlap)
    return min(end, expire_time) if expire_time is not None else end


def future_expiry(value: datetime | None, now: datetime, field: str = "expire_time") -> datetime | None:
    if value is not None:
        require(value > now, field, "must be in the future")
    return value


def decode_signature(signature: str) -> bytes | None:
    """Hex (64 digits) or base64 (standard or URL-safe, padding optional) of a 32-byte HMAC-SHA256."""
    raw = signature.strip()
    if re.fullmatch(r"[0-9a-fA-F]{64}", raw):
        return bytes.fromhex(raw)
    padded = raw + "=" * (-len(raw) % 4)
    try:
        decoded = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded if len(decoded) == 32 else None


def signature_matches(secret: str, signing_string: bytes, signature: str) -> bool:
    supplied = decode_signature(signature)
    if supplied is None:
        return False
    expected = hmac.new(secret.encode(), signing_string, hashlib.sha256).digest()
    return hmac.compare_digest(expected, supplied)


# ---- pagination ---------------------------------------------------------------------------------------


def page_size(value: int, field: str = "page.page_size") -> int:
    if value == 0:
        return DEFAULT_PAGE_SIZE
    require(1 <= value <= MAX_PAGE_SIZE, field, f"must be 1..{MAX_PAGE_SIZE}")
    return value


def encode_page_token(last_id: str) -> str:
    return base64.urlsafe_b64encode(f"v1:{last_id}".encode()).decode().rstrip("=")


def decode_page_token(token: str, field: str = "page.page_token") -> str:
    """The id after which the next page starts ('' for the first page)."""
    if not token:
        return ""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not raw.startswith("v1:") or len(raw) > 100:
        raise InvalidArgument(f"{field}: is not a token from a previous page", field=field)
    return raw[3:]


def batch_ids(values: list[str], field: str) -> list[str]:
    require(len(values) <= MAX_BATCH_IDS, field, f"at most {MAX_BATCH_IDS} ids")
    return list(dict.fromkeys(v.strip() for v in values if v.strip()))


def utcnow() -> datetime:
    return datetime.now(UTC)
