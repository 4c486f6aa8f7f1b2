"""Fill a scimkeeper database with many members quickly, for the memory and scale measurements of bench/.

    .venv/bin/python bench/fill.py DATABASE_URL ACCOUNT N

Members are written with the storage layer directly (`storage.members.insert_member`, their e-mail index
included), 10,000 to a transaction, with no audit rows: test data for measuring, not provisioning. The users are
`fill.u0000001@example.com` ..., Okta-shaped like scimbench's, so its workloads can read them.
"""

from __future__ import annotations

import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from scimkeeper.domain import accounts
from scimkeeper.scim.documents import parse_resource
from scimkeeper.scim.schema import USER_RESOURCE
from scimkeeper.storage import members
from scimkeeper.storage.db import Database

BATCH = 10_000


def document(n: int) -> dict[str, object]:
    address = f"fill.u{n:07d}@example.com"
    return parse_resource(
        {
            "userName": address,
            "externalId": f"00ufill{n:09d}",
            "name": {"givenName": "Fill", "familyName": f"User{n}"},
            "displayName": f"Fill User{n}",
            "emails": [{"value": address, "type": "work", "primary": True}],
            "locale": "en-US",
        },
        USER_RESOURCE,
    )


def main(url: str, account_name: str, count: int) -> None:
    db = Database(url)
    with db.read() as conn:
        account = accounts.resolve(conn, account_name)
    started = time.perf_counter()
    start = datetime.now(UTC) - timedelta(days=1)
    for first in range(0, count, BATCH):
        with db.write() as conn:
            for n in range(first, min(first + BATCH, count)):
                at = start + timedelta(microseconds=n)
                member = members.Member(str(uuid.uuid4()), account.id, document(n), True, 1, at, at)
                members.insert_member(conn, member)
        done = min(first + BATCH, count)
        print(f"{done:,} members, {done / (time.perf_counter() - started):,.0f}/s", file=sys.stderr, flush=True)
    db.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
