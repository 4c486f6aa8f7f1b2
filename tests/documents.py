"""The SCIM documents the tests send, written once: User bodies, the recorded IdP bodies, and the URNs they name.

The URNs are spelled out here rather than imported from `scimkeeper.scim`, so that a typo there fails the tests.
Every function returns a new dictionary: a test may change what it gets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

RECORDED = Path(__file__).parent / "data" / "documents"


def recorded(name: str) -> dict[str, Any]:
    """A body of tests/data/documents (RFC 7643's examples, Okta's and Entra's create bodies), by file stem."""
    document: dict[str, Any] = json.loads((RECORDED / f"{name}.json").read_text("utf-8"))
    return document


def user(user_name: str, **attributes: Any) -> dict[str, Any]:
    """The smallest User body: the core schema and a userName, with whatever else is given."""
    return {"schemas": [CORE_USER], "userName": user_name, **attributes}


def employee(email: str, **attributes: Any) -> dict[str, Any]:
    """A User whose userName is its e-mail address, which is also its primary work e-mail, as IdPs send them."""
    return user(email, **{"emails": [{"value": email, "type": "work", "primary": True}], **attributes})


def okta_user(email: str, **attributes: Any) -> dict[str, Any]:
    """Okta's recorded create body (`okta_create_user.json`) for another address: userName and the work e-mail."""
    body = recorded("okta_create_user")
    return {**body, "userName": email, "emails": [{**body["emails"][0], "value": email}], **attributes}


def bjensen(**changes: Any) -> dict[str, Any]:
    """Barbara Jensen (after RFC 7643 §8.2), the starting User of the PATCH tests, with the enterprise extension.

    `changes` replace top-level attributes (pass extension blocks with `**{ENTERPRISE_USER: ...}`); None drops one.
    """
    body: dict[str, Any] = {
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "userName": "bjensen",
        "name": {"familyName": "Jensen", "givenName": "Barbara"},
        "title": "Tour Guide",
        "active": True,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": True},
            {"value": "babs@jensen.org", "type": "home"},
        ],
        ENTERPRISE_USER: {"department": "Tours", "manager": {"value": "m1"}},
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}
