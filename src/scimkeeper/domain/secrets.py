"""Bearer secrets: 256 random bits behind a recognisable prefix, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

_SECRET_BYTES = 32  # 256 bits
_SECRET_BODY = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of 32 bytes, unpadded


def new_secret(prefix: str) -> str:
    """A new secret; the prefix (`skp_`, `ska_`) lets secret scanners recognise a leaked one."""
    return prefix + secrets.token_urlsafe(_SECRET_BYTES)


def hash_secret(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def is_well_formed(candidate: str, prefix: str) -> bool:
    return candidate.startswith(prefix) and _SECRET_BODY.fullmatch(candidate, len(prefix)) is not None


def same_hash(stored: str, computed: str) -> bool:
    """Constant-time equality; the lookup is by hash already, so this guards equality, not timing of the secret."""
    return hmac.compare_digest(stored, computed)
