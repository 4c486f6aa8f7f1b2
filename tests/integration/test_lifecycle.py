"""The deprovisioning lifecycle with time moved explicitly: the 30-day window, reactivation, purge, audit."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection

from scimkeeper import jobs
from scimkeeper.domain import audit, members
from scimkeeper.domain.errors import MemberNotFound, UserNameTaken
from scimkeeper.domain.vocabulary import ActorType
from scimkeeper.scim.documents import parse_resource
from scimkeeper.scim.patch import parse_patch_request
from scimkeeper.scim.schema import USER_RESOURCE
from scimkeeper.storage.accounts import Account
from scimkeeper.storage.db import Database
from tests.documents import user
from tests.integration.conftest import NOW, enterprise, unique_domain

T = NOW
WINDOW = timedelta(days=30)
IDP = audit.Actor(ActorType.SCIM_TOKEN, "tok", "Okta SCIM Client", None)


def body(name: str, domain: str = "acme.com", **extra: Any) -> dict[str, Any]:
    return parse_resource(user(f"{name}@{domain}", **extra), USER_RESOURCE)


def set_active(conn: Connection, account: Account, member_id: str, active: bool, now: Any) -> members.Member:
    operations = parse_patch_request({"Operations": [{"op": "replace", "value": {"active": active}}]})
    return members.patch(conn, account, member_id, operations, actor=IDP, now=now)


def purge(conn: Connection, now: Any) -> list[tuple[str, str]]:
    return members.purge_batch(conn, now=now, window=WINDOW, limit=100, actor=jobs.PURGE_ACTOR)


def test_deactivation_flags_for_suspension_and_starts_the_clock(conn: Connection, account: Account) -> None:
    """active false: readable, deprovisioned, removal due 30 days after the first deactivation."""
    member = members.provision(conn, account, body("ada"), actor=IDP, now=T)
    off = set_active(conn, account, member.id, False, T)
    assert (members.state(off), off.deprovisioned_at, members.removal_due(off, WINDOW)) == (
        "deprovisioned",
        T,
        T + WINDOW,
    )
    again = set_active(conn, account, member.id, False, T + timedelta(days=10))
    assert again.deprovisioned_at == T  # a repeated deactivation does not restart the clock
    renamed = members.replace(
        conn, account, member.id, body("ada", title="X", active=False), actor=IDP, now=T + timedelta(days=11)
    )
    assert renamed.deprovisioned_at == T


def test_reactivation_within_the_window_restores_the_same_member(conn: Connection, account: Account) -> None:
    """Deactivate at T, reactivate at T+29d: same id, active, clock cleared; the purge leaves it alone."""
    member = members.provision(conn, account, body("ada"), actor=IDP, now=T)
    set_active(conn, account, member.id, False, T)
    back = set_active(conn, account, member.id, True, T + timedelta(days=29))
    assert (back.id, back.active, back.deprovisioned_at) == (member.id, True, None)
    assert purge(conn, T + timedelta(days=31)) == []
    assert members.get(conn, account, member.id).active is True


def test_purge_removes_exactly_at_the_end_of_the_window(conn: Connection, account: Account) -> None:
    """Not a microsecond before T+30d; at T+30d the member is removed; at T+31d it is 404."""
    member = members.provision(conn, account, body("ada"), actor=IDP, now=T)
    set_active(conn, account, member.id, False, T)
    assert purge(conn, T + WINDOW - timedelta(microseconds=1)) == []
    assert purge(conn, T + WINDOW) == [(member.id, account.id)]
    with pytest.raises(MemberNotFound):
        members.get(conn, account, member.id)
    assert purge(conn, T + timedelta(days=31)) == []  # idempotent


def test_a_member_provisioned_inactive_is_deprovisioned_from_the_start(conn: Connection, account: Account) -> None:
    """POST with active false starts the window at creation."""
    member = members.provision(conn, account, body("ada", active=False), actor=IDP, now=T)
    assert member.deprovisioned_at == T
    assert purge(conn, T + WINDOW) == [(member.id, account.id)]


def test_reactivated_a_moment_before_the_purge_stays(conn: Connection, account: Account) -> None:
    """The purge re-checks each member when it removes it."""
    member = members.provision(conn, account, body("ada"), actor=IDP, now=T)
    set_active(conn, account, member.id, False, T)
    set_active(conn, account, member.id, True, T + WINDOW - timedelta(seconds=1))
    assert purge(conn, T + WINDOW) == []


def test_purged_user_name_is_free_and_a_new_post_creates_a_new_member(conn: Connection, account: Account) -> None:
    """After the purge the userName can be provisioned again, with a new id."""
    member = members.provision(conn, account, body("ada"), actor=IDP, now=T)
    set_active(conn, account, member.id, False, T)
    purge(conn, T + timedelta(days=31))
    again = members.provision(conn, account, body("ada"), actor=IDP, now=T + timedelta(days=31))
    assert again.id != member.id


def test_audit_rows_equal_the_successful_mutations(conn: Connection, account: Account) -> None:
    """Successes are audited once each, in order; rejected requests leave no audit row."""
    before = len(audit.events(conn, account.id))
    ada = members.provision(conn, account, body("ada"), actor=IDP, now=T)
    with pytest.raises(UserNameTaken), conn.begin_nested():  # a request's transaction ends with its error
        members.provision(conn, account, body("ADA"), actor=IDP, now=T)
    set_active(conn, account, ada.id, False, T)
    set_active(conn, account, ada.id, False, T)  # no change: no audit row
    with pytest.raises(MemberNotFound):
        members.remove(conn, account, "missing", actor=IDP, now=T)
    set_active(conn, account, ada.id, True, T)
    set_active(conn, account, ada.id, False, T)
    purge(conn, T + WINDOW)
    actions = [e.action for e in audit.events(conn, account.id)[before:]]
    assert actions == [
        "member.provisioned",
        "member.deprovisioned",
        "member.reactivated",
        "member.deprovisioned",
        "member.purged",
    ]


@pytest.mark.parametrize("purgers", [2, 4])
def test_concurrent_purges_remove_each_member_exactly_once(db: Database, purgers: int) -> None:
    """Several purges at once (as several processes would run them): every due member purged once, no errors."""
    with db.write() as conn:
        domain = unique_domain()
        account = enterprise(conn, f"purge-{uuid.uuid4()}", (domain,))
        due = []
        for i in range(60):
            member = members.provision(conn, account, body(f"u{i}", domain, active=False), actor=IDP, now=T)
            due.append(member.id)
    barrier = threading.Barrier(purgers)
    reports: list[jobs.PurgeReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            reports.append(jobs.purge(db, now=T + WINDOW + timedelta(days=1), window=WINDOW, batch_size=7))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(purgers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    purged = [member_id for report in reports for member_id, account_id in report.members if account_id == account.id]
    assert sorted(purged) == sorted(due)
    with db.read() as conn:
        audited = [e.target_id for e in audit.events(conn, account.id) if e.action == "member.purged"]
    assert Counter(audited) == Counter(due)


def test_purge_loop_runs_in_the_background_and_stops(db: Database) -> None:
    """The serve loop purges with its clock and stops between batches when asked."""
    with db.write() as conn:
        domain = unique_domain()
        account = enterprise(conn, f"loop-{uuid.uuid4()}", (domain,))
        member = members.provision(conn, account, body("ada", domain, active=False), actor=IDP, now=T)
    loop = jobs.PurgeLoop(
        db, window=WINDOW, interval=timedelta(seconds=0.05), batch_size=10, clock=lambda: T + timedelta(days=40)
    )
    loop.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with db.read() as conn:
                try:
                    members.get(conn, account, member.id)
                except MemberNotFound:
                    break
            time.sleep(0.05)
        else:
            pytest.fail("the loop did not purge within 10 s")
    finally:
        loop.stop()
    assert not loop._thread.is_alive()


def test_dry_run_lists_without_removing(db: Database) -> None:
    """A dry run reports the due members and changes nothing."""
    with db.write() as conn:
        domain = unique_domain()
        account = enterprise(conn, f"dry-{uuid.uuid4()}", (domain,))
        member = members.provision(conn, account, body("ada", domain, active=False), actor=IDP, now=T)
    report = jobs.purge(db, now=T + timedelta(days=31), window=WINDOW, dry_run=True)
    assert (member.id, account.id) in report.members
    with db.read() as conn:
        assert members.get(conn, account, member.id).active is False
