"""Console owners and admins: one-time links, argon2id passwords, throttled sign-in, expiring sessions."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Connection

from scimkeeper.domain import admins, roles
from scimkeeper.domain.audit import OPERATOR
from scimkeeper.domain.errors import ConsoleUserExists, InvalidPassword, LinkInvalid
from scimkeeper.storage.accounts import Account
from scimkeeper.storage.db import Database
from tests.integration.conftest import NOW

PASSWORD = "correct horse battery staple"
HOURS8 = timedelta(hours=8)


def owner(conn: Connection, account: Account, email: str = "owner@acme.com") -> admins.IssuedLink:
    return admins.invite(conn, account, email, roles.OWNER, actor=OPERATOR, now=NOW)


def signed_in(conn: Connection, email: str, client: str = "1.2.3.4", *, now: datetime = NOW) -> admins.IssuedSession:
    outcome = attempt(conn, email, PASSWORD, client, now=now)
    assert isinstance(outcome, admins.IssuedSession)
    return outcome


def attempt(
    conn: Connection, email: str, password: str, client: str, *, now: datetime = NOW
) -> admins.IssuedSession | admins.SignInRefused:
    return admins.sign_in(conn, email, password, client, now=now, lifetime=HOURS8)


def test_link_sets_an_argon2id_password_once(conn: Connection, account: Account) -> None:
    """The link works once; the stored hash is argon2id, never the password."""
    link = owner(conn, account)
    user = admins.set_password(conn, link.token, PASSWORD, now=NOW)
    stored = admins.users_of(conn, account)[0].password_hash
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert user.email == "owner@acme.com"
    with pytest.raises(LinkInvalid):
        admins.set_password(conn, link.token, PASSWORD, now=NOW)


def test_links_expire_after_seven_days(conn: Connection, account: Account) -> None:
    """An old link is refused."""
    link = owner(conn, account)
    assert not admins.link_is_usable(conn, link.token, now=NOW + timedelta(days=7, seconds=1))
    with pytest.raises(LinkInvalid):
        admins.set_password(conn, link.token, PASSWORD, now=NOW + timedelta(days=8))


def test_short_passwords_are_refused(conn: Connection, account: Account) -> None:
    """At least twelve characters."""
    with pytest.raises(InvalidPassword, match="12"):
        admins.set_password(conn, owner(conn, account).token, "short", now=NOW)


def test_an_address_has_one_console_sign_in(conn: Connection, account: Account) -> None:
    """Inviting an address twice (in any case) is refused."""
    owner(conn, account)
    with pytest.raises(ConsoleUserExists), conn.begin_nested():
        owner(conn, account, "OWNER@ACME.COM")


def test_sign_in_opens_a_session_that_expires(conn: Connection, account: Account) -> None:
    """The session works until its absolute expiry, and not after sign-out."""
    admins.set_password(conn, owner(conn, account).token, PASSWORD, now=NOW)
    issued = signed_in(conn, "Owner@Acme.com")
    assert admins.session_for(conn, issued.token, now=NOW + HOURS8 - timedelta(seconds=1)) == (
        issued.session,
        issued.user,
    )
    assert admins.session_for(conn, issued.token, now=NOW + HOURS8) is None
    admins.sign_out(conn, issued.session, now=NOW)
    assert admins.session_for(conn, issued.token, now=NOW) is None


def test_wrong_password_and_unknown_address_fail_alike(conn: Connection, account: Account) -> None:
    """Both are the same refusal, so sign-in does not reveal who has an account."""
    admins.set_password(conn, owner(conn, account).token, PASSWORD, now=NOW)
    outcomes = {
        attempt(conn, "owner@acme.com", "wrong password", "1.2.3.4"),
        attempt(conn, "nobody@acme.com", PASSWORD, "1.2.3.4"),
    }
    assert outcomes == {admins.WRONG_CREDENTIALS}
    assert admins.WRONG_CREDENTIALS.message == "The email address or the password is not right."


def test_throttling_per_address_and_per_client(conn: Connection, account: Account) -> None:
    """Five failures for an address, or twenty from a client, block sign-in for fifteen minutes."""
    admins.set_password(conn, owner(conn, account).token, PASSWORD, now=NOW)
    for _ in range(5):
        assert attempt(conn, "owner@acme.com", "nope", "1.1.1.1") == admins.WRONG_CREDENTIALS
    assert attempt(conn, "owner@acme.com", PASSWORD, "2.2.2.2") == admins.THROTTLED
    later = NOW + admins.THROTTLE_WINDOW + timedelta(seconds=1)
    issued = signed_in(conn, "owner@acme.com", "2.2.2.2", now=later)
    assert (issued.user.email, issued.session.created_at, issued.session.expires_at) == (
        "owner@acme.com",
        later,
        later + HOURS8,
    )
    for i in range(20):
        assert attempt(conn, f"u{i}@acme.com", "nope", "3.3.3.3", now=later) == admins.WRONG_CREDENTIALS
    assert attempt(conn, "owner@acme.com", PASSWORD, "3.3.3.3", now=later) == admins.THROTTLED


def test_a_refusal_returns_so_the_callers_transaction_keeps_the_failure(db: Database) -> None:
    """Failures recorded in transactions that committed (as the console's) count towards the throttle."""
    email, client = f"{uuid.uuid4().hex[:8]}@acme.com", f"10.0.{uuid.uuid4().int % 250}.1"
    for _ in range(admins.MAX_FAILURES_PER_EMAIL):
        with db.write() as conn:
            assert attempt(conn, email, "nope", client) == admins.WRONG_CREDENTIALS
    with db.write() as conn:
        assert attempt(conn, email, "nope", client) == admins.THROTTLED


def test_flash_is_shown_once(conn: Connection, account: Account) -> None:
    """A token kept for the next page is handed out once."""
    admins.set_password(conn, owner(conn, account).token, PASSWORD, now=NOW)
    issued = signed_in(conn, "owner@acme.com")
    admins.put_flash(conn, issued.session, {"token": "x"})
    session, _ = admins.session_for(conn, issued.token, now=NOW) or (None, None)
    assert session is not None
    assert admins.take_flash(conn, session) == {"token": "x"}
    again, _ = admins.session_for(conn, issued.token, now=NOW) or (None, None)
    assert again is not None
    assert admins.take_flash(conn, again) is None
