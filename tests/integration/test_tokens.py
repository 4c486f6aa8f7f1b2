"""SCIM tokens: shown once, stored as a hash, one live token per account, enterprise only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Connection, select

from scimkeeper.domain import accounts, audit, tokens
from scimkeeper.domain.audit import OPERATOR
from scimkeeper.domain.errors import EnterpriseRequired, TokenInvalid
from scimkeeper.storage.accounts import Account
from scimkeeper.storage.tables import metadata
from tests.integration.conftest import NOW


def test_token_has_prefix_and_256_bits(conn: Connection, account: Account) -> None:
    """The plaintext is `skp_` plus 43 base64url characters (256 random bits)."""
    issued = tokens.generate(conn, account, actor=OPERATOR, now=NOW)
    assert issued.plaintext.startswith("skp_")
    assert len(issued.plaintext) == 4 + 43
    assert issued.token.last4 == issued.plaintext[-4:]


def test_plaintext_never_reaches_the_database(conn: Connection, account: Account) -> None:
    """No column of any table holds the token or its secret part."""
    issued = tokens.generate(conn, account, actor=OPERATOR, now=NOW)
    secret = issued.plaintext.removeprefix("skp_")
    for table in metadata.sorted_tables:
        for row in conn.execute(select(table)):
            assert all(secret not in str(value) for value in row)


def test_token_authenticates_its_account(conn: Connection, account: Account) -> None:
    """The token alone selects the account."""
    issued = tokens.generate(conn, account, actor=OPERATOR, now=NOW)
    token, found = tokens.authenticate(conn, issued.plaintext)
    assert (token.id, found) == (issued.token.id, account)


def test_regenerating_revokes_the_previous_token(conn: Connection, account: Account) -> None:
    """Only the newest token works."""
    first = tokens.generate(conn, account, actor=OPERATOR, now=NOW)
    second = tokens.generate(conn, account, actor=OPERATOR, now=NOW + timedelta(seconds=1))
    with pytest.raises(TokenInvalid, match="revoked"):
        tokens.authenticate(conn, first.plaintext)
    assert tokens.authenticate(conn, second.plaintext)[1] == account
    assert tokens.live_token(conn, account) == second.token


@pytest.mark.parametrize(
    "candidate",
    ["", "non-token", "skp_", "skp_" + "a" * 42, "skp_" + "a" * 44, "skp_" + "*" * 43, "xyz_" + "a" * 43],
)
def test_malformed_tokens_are_refused(conn: Connection, candidate: str) -> None:
    """Anything that is not shaped like a token is refused before any lookup."""
    with pytest.raises(TokenInvalid, match="not a scimkeeper SCIM token"):
        tokens.authenticate(conn, candidate)


def test_unknown_well_formed_token_is_refused(conn: Connection, account: Account) -> None:
    """A token shaped right but never issued is unknown."""
    tokens.generate(conn, account, actor=OPERATOR, now=NOW)
    with pytest.raises(TokenInvalid, match="unknown"):
        tokens.authenticate(conn, "skp_" + "A" * 43)


def test_standard_account_cannot_generate_a_token(conn: Connection) -> None:
    """SCIM needs the Enterprise plan, so no token is issued for another plan."""
    standard = accounts.create(conn, "Small", plan=accounts.STANDARD, actor=OPERATOR, now=NOW)
    with pytest.raises(EnterpriseRequired, match="Enterprise plan"):
        tokens.generate(conn, standard, actor=OPERATOR, now=NOW)


def test_downgraded_account_token_is_refused_and_works_again_after_upgrade(conn: Connection, account: Account) -> None:
    """A downgrade suspends the token without revoking it."""
    issued = tokens.generate(conn, account, actor=OPERATOR, now=NOW)
    standard = accounts.set_plan(conn, account, accounts.STANDARD, actor=OPERATOR, now=NOW)
    with pytest.raises(EnterpriseRequired):
        tokens.authenticate(conn, issued.plaintext)
    accounts.set_plan(conn, standard, accounts.ENTERPRISE, actor=OPERATOR, now=NOW)
    assert tokens.authenticate(conn, issued.plaintext)[1].id == account.id


def test_last_use_is_recorded_at_most_once_a_minute(conn: Connection, account: Account) -> None:
    """last_used_at is a display hint refreshed when older than a minute."""
    issued = tokens.generate(conn, account, actor=OPERATOR, now=NOW)
    assert tokens.use_is_stale(issued.token, NOW)
    tokens.record_use(conn, issued.token, NOW)
    token, _ = tokens.authenticate(conn, issued.plaintext)
    assert token.last_used_at == NOW
    assert not tokens.use_is_stale(token, NOW + timedelta(seconds=59))
    assert tokens.use_is_stale(token, NOW + timedelta(seconds=60))


def test_token_generation_is_audited_without_the_secret(conn: Connection, account: Account) -> None:
    """Re-generation names the revoked token id and the new last four characters only."""
    first = tokens.generate(conn, account, actor=OPERATOR, now=NOW)
    second = tokens.generate(conn, account, actor=OPERATOR, now=NOW)
    last = audit.events(conn, account.id)[-1]
    assert last.action == "token.generated"
    assert last.changes == {"revoked_token_id": [first.token.id, None], "last4": [None, second.token.last4]}


def test_a_second_use_within_the_minute_is_not_written(conn: Connection, account: Account) -> None:
    """Processes racing to record a use write it once: a later write within the minute changes nothing."""
    issued = tokens.generate(conn, account, actor=OPERATOR, now=NOW)
    tokens.record_use(conn, issued.token, NOW)
    tokens.record_use(conn, issued.token, NOW + timedelta(seconds=30))
    assert tokens.authenticate(conn, issued.plaintext)[0].last_used_at == NOW
    tokens.record_use(conn, issued.token, NOW + timedelta(seconds=61))
    assert tokens.authenticate(conn, issued.plaintext)[0].last_used_at == NOW + timedelta(seconds=61)
