"""Bearer authentication (RFC 6750): the SCIM token alone selects the account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from scimkeeper.domain import tokens
from scimkeeper.domain.errors import TokenInvalid
from scimkeeper.storage.accounts import Account
from scimkeeper.storage.tokens import Token


def bearer_credential(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive."""
    if not authorization:
        raise TokenInvalid("Authentication required: send the SCIM token as 'Authorization: Bearer <token>'.")
    scheme, _, credential = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise TokenInvalid("The Authorization header must be 'Bearer <token>' with the SCIM token.")
    return credential.strip()


def authenticate(conn: Connection, authorization: str | None, now: datetime) -> tuple[Token, Account, bool]:
    """The token, its account, and whether its last use is stale enough to record."""
    token, account = tokens.authenticate(conn, bearer_credential(authorization))
    return token, account, tokens.use_is_stale(token, now)
