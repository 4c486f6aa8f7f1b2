"""Opaque cursors for cursor paging (RFC 9865): what they carry, and which ones are refused."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime

import orjson
import pytest

from scimkeeper.scim.errors import ERROR_SCHEMA, ExpiredCursor, InvalidCursor
from scimkeeper.scim.query import Cursor, decode_cursor, encode_cursor

FINGERPRINT = "0123456789abcdef"
ISSUED = 1_800_000_000
TIMEOUT = 600
NOT_OURS = "The cursor is not one this server issued; start again with cursor= (empty)."


def decode(text: str, *, now: int = ISSUED, fingerprint: str = FINGERPRINT) -> Cursor:
    return decode_cursor(text, fingerprint=fingerprint, now=now, timeout=TIMEOUT)


def forged(payload: object) -> str:
    """A cursor-shaped text around any JSON payload, as a client could make one."""
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


@pytest.mark.parametrize(
    "key",
    ["ada@acme.com", 42, 2.5, True, None, datetime(2026, 11, 29, 12, 30, tzinfo=UTC)],
    ids=["string", "integer", "float", "boolean", "null", "datetime"],
)
def test_cursor_round_trips(key: object) -> None:
    """Every kind of sort key comes back as it went in, with the id, the direction and the binding."""
    cursor = Cursor(key, "6f1c-id", True, FINGERPRINT, ISSUED)
    assert decode(encode_cursor(cursor)) == cursor


def test_cursor_datetime_keeps_its_type() -> None:
    """A datetime key is not read back as its ISO text."""
    key = datetime(2026, 11, 29, 12, 30, tzinfo=UTC)
    assert isinstance(decode(encode_cursor(Cursor(key, "id", False, FINGERPRINT, ISSUED))).key, datetime)


def test_cursor_text_is_unpadded_base64url() -> None:
    """A cursor goes in a query string unescaped: letters, digits, '-' and '_' only."""
    text = encode_cursor(Cursor("a/b+c?d=", "id/+", False, FINGERPRINT, ISSUED))
    assert re.fullmatch(r"[A-Za-z0-9_-]+", text)


def test_cursor_of_another_listing_is_invalid_cursor() -> None:
    """A cursor is bound to the filter and order it was issued for."""
    text = encode_cursor(Cursor("k", "id", False, FINGERPRINT, ISSUED))
    with pytest.raises(InvalidCursor) as caught:
        decode(text, fingerprint="fedcba9876543210")
    assert caught.value.to_document() == {
        "schemas": [ERROR_SCHEMA],
        "status": "400",
        "scimType": "invalidCursor",
        "detail": "The cursor belongs to a different filter or sort order; start again with cursor=.",
    }


def test_cursor_is_valid_up_to_its_timeout() -> None:
    """At exactly `timeout` seconds the cursor still works."""
    cursor = Cursor("k", "id", False, FINGERPRINT, ISSUED)
    assert decode(encode_cursor(cursor), now=ISSUED + TIMEOUT) == cursor


def test_cursor_older_than_its_timeout_is_expired_cursor() -> None:
    """One second later it has expired, and the detail says how long cursors last."""
    text = encode_cursor(Cursor("k", "id", False, FINGERPRINT, ISSUED))
    with pytest.raises(ExpiredCursor) as caught:
        decode(text, now=ISSUED + TIMEOUT + 1)
    assert caught.value.to_document() == {
        "schemas": [ERROR_SCHEMA],
        "status": "400",
        "scimType": "expiredCursor",
        "detail": "The cursor has expired (cursors last 600 seconds); start again with cursor=.",
    }


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("!!!", id="not-base64"),
        pytest.param("A", id="truncated-base64"),
        pytest.param(base64.urlsafe_b64encode(b"not json").decode(), id="not-json"),
        pytest.param(forged({"v": 1}), id="object"),
        pytest.param(forged([1, {"v": "k"}, "id", 0, FINGERPRINT]), id="five-fields"),
        pytest.param(forged([1, {"x": "k"}, "id", 0, FINGERPRINT, ISSUED]), id="key-without-kind"),
        pytest.param(forged([1, "tv", "id", 0, FINGERPRINT, ISSUED]), id="key-not-an-object"),
        pytest.param(forged([1, ["v"], "id", 0, FINGERPRINT, ISSUED]), id="key-a-list"),
        pytest.param(forged([1, {"t": "yesterday"}, "id", 0, FINGERPRINT, ISSUED]), id="bad-datetime"),
        pytest.param(forged([1, {"t": 5}, "id", 0, FINGERPRINT, ISSUED]), id="datetime-not-text"),
        pytest.param(forged([2, {"v": "k"}, "id", 0, FINGERPRINT, ISSUED]), id="other-version"),
        pytest.param(forged([1, {"v": "k"}, 7, 0, FINGERPRINT, ISSUED]), id="id-not-text"),
        pytest.param(forged([1, {"v": "k"}, "id", 0, FINGERPRINT, "soon"]), id="issued-not-a-number"),
    ],
)
def test_text_this_server_did_not_issue_is_invalid_cursor(text: str) -> None:
    """Whatever is wrong inside, the client hears only that the cursor is not ours and how to start again."""
    with pytest.raises(InvalidCursor) as caught:
        decode(text)
    assert caught.value.to_document() == {
        "schemas": [ERROR_SCHEMA],
        "status": "400",
        "scimType": "invalidCursor",
        "detail": NOT_OURS,
    }


def test_invalid_cursor_hides_the_decoding_error() -> None:
    """The decoder's own exception is not chained to the SCIM error (`from None`)."""
    with pytest.raises(InvalidCursor) as caught:
        decode("!!!")
    assert caught.value.__suppress_context__ is True
    assert caught.value.__cause__ is None
