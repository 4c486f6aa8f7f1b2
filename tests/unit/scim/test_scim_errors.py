"""SCIM errors: one class per scimType of RFC 7644 §3.12 Table 9, each with its status, and their documents."""

from __future__ import annotations

import pytest

from scimkeeper.scim import errors
from scimkeeper.scim.errors import ERROR_SCHEMA, ScimError, error_document


@pytest.mark.parametrize(
    ("error", "status", "scim_type"),
    [
        (errors.InvalidFilter, 400, "invalidFilter"),
        (errors.TooMany, 400, "tooMany"),
        (errors.Uniqueness, 409, "uniqueness"),
        (errors.Mutability, 400, "mutability"),
        (errors.InvalidSyntax, 400, "invalidSyntax"),
        (errors.InvalidPath, 400, "invalidPath"),
        (errors.NoTarget, 400, "noTarget"),
        (errors.InvalidValue, 400, "invalidValue"),
        (errors.InvalidVersion, 400, "invalidVers"),
        (errors.Sensitive, 403, "sensitive"),
        (errors.InvalidCursor, 400, "invalidCursor"),
        (errors.ExpiredCursor, 400, "expiredCursor"),
        (errors.InvalidCount, 400, "invalidCount"),
    ],
)
def test_each_scim_type_has_its_class_and_status(error: type[ScimError], status: int, scim_type: str) -> None:
    """Table 9 of RFC 7644 (and RFC 9865 §4 for cursors): the scimType and the status that goes with it."""
    assert error("what went wrong").to_document() == {
        "schemas": [ERROR_SCHEMA],
        "status": str(status),
        "scimType": scim_type,
        "detail": "what went wrong",
    }


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.NotFound, 404),
        (errors.PreconditionFailed, 412),
        (errors.PayloadTooLarge, 413),
        (errors.UnsupportedMediaType, 415),
        (errors.NotImplementedByServer, 501),
        (errors.Forbidden, 403),
        (errors.TooManyRequests, 429),
    ],
)
def test_errors_without_a_scim_type_leave_it_out(error: type[ScimError], status: int) -> None:
    """Errors that RFC 7644 gives no scimType carry only a status and a detail."""
    assert error("nope").to_document() == {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": "nope"}


def test_headers_travel_with_the_error() -> None:
    """Retry-After and the like are given with the error; none by default."""
    assert errors.TooManyRequests("slow down", {"Retry-After": "3"}).headers == {"Retry-After": "3"}
    assert errors.NotFound("gone").headers == {}


def test_detail_is_the_message() -> None:
    """The detail is also the exception's text, for logs and tracebacks."""
    error = errors.InvalidValue("count must be an integer")
    assert (error.detail, str(error)) == ("count must be an integer", "count must be an integer")


def test_error_document_for_a_status_alone() -> None:
    """web/ renders a 500 with the same function, without a scimType."""
    assert error_document(500, "internal error (request id r-1)") == {
        "schemas": [ERROR_SCHEMA],
        "status": "500",
        "detail": "internal error (request id r-1)",
    }
