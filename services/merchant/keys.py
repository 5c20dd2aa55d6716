"""Keys of the merchant service from the environment, with local defaults that are loudly not secret.

SCANPAY_MERCHANT_KEK: key-encryption key from which every credential secret is derived (domain.derive_secret).
SCANPAY_MERCHANT_ACCOUNT_TOKEN_KEY: HMAC key that turns bank account numbers into tokens.
Changing either invalidates what was derived from it: credentials must then be re-issued, and account
tokens no longer match new entries of the same number.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..kit.logging import get_logger

log = get_logger("merchant.keys")
LOCAL_KEK = "scanpay-local-merchant-kek-not-for-production"
LOCAL_ACCOUNT_TOKEN_KEY = "scanpay-local-account-token-key-not-for-production"


@dataclass(frozen=True)
class Keys:
    kek: bytes
    account_token_key: bytes


def load_keys() -> Keys:
    kek = os.environ.get("SCANPAY_MERCHANT_KEK", "")
    token_key = os.environ.get("SCANPAY_MERCHANT_ACCOUNT_TOKEN_KEY", "")
    if not kek or not token_key:
        log.warning(
            "merchant_local_keys",
            note="SCANPAY_MERCHANT_KEK / SCANPAY_MERCHANT_ACCOUNT_TOKEN_KEY unset; using local defaults",
        )
    return Keys(
        kek=(kek or LOCAL_KEK).encode(), account_token_key=(token_key or LOCAL_ACCOUNT_TOKEN_KEY).encode()
    )
