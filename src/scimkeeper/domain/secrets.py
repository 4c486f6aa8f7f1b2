"""Bearer secrets: 256 random bits behind a recognisable prefix, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

_SECRET_BYTES = 32  # 256 bits
_SECRET_LENGTH = 43  # base64url of 32 bytes, unpadded
_ALPHABET = frozenset(string.ascii_letters + string.digits + "-_")


def new_secret(prefix: str) -> str:
    """A new secret; the prefix (`skp_`, `ska_`) lets secret scanners recognise a leaked one."""
    return prefix + secrets.token_urlsafe(_SECRET_BYTES)


def hash_secret(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def is_well_formed(candidate: str, prefix: str) -> bool:
    body = candidate.removeprefix(prefix)
    return candidate.startswith(prefix) and len(body) == _SECRET_LENGTH and all(ch in _ALPHABET for ch in body)


def same_hash(stored: str, computed: str) -> bool:
    """Constant-time equality; the lookup is by hash already, so this guards equality, not timing of the secret."""
    return hmac.compare_digest(stored, computed)
