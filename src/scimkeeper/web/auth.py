"""Bearer authentication (RFC 6750): the SCIM token alone selects the account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from scimkeeper.domain import tokens
from scimkeeper.domain.accounts import Account
from scimkeeper.domain.errors import TokenInvalid
from scimkeeper.domain.tokens import Token


def bearer_credential(authorization: str | None) -> str | None:
    """The credential of an `Authorization: Bearer <credential>` header (scheme case-insensitive), else None.

    The one parser of the header, for SCIM tokens, application keys and the metrics token alike.
    """
    scheme, _, credential = (authorization or "").strip().partition(" ")
    return credential.strip() or None if scheme.lower() == "bearer" else None


def authenticate(conn: Connection, authorization: str | None, now: datetime) -> tuple[Token, Account, bool]:
    """The token, its account, and whether its last use is stale enough to record."""
    credential = bearer_credential(authorization)
    if credential is None:
        raise TokenInvalid(
            "The Authorization header must be 'Bearer <token>' with the SCIM token."
            if authorization
            else "Authentication required: send the SCIM token as 'Authorization: Bearer <token>'."
        )
    token, account = tokens.authenticate(conn, credential)
    return token, account, tokens.use_is_stale(token, now)
