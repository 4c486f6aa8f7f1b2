"""SCIM errors: one class per RFC 7644 §3.12 `scimType` (Table 9), each carrying its HTTP status."""

from __future__ import annotations

from typing import Any, ClassVar

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(Exception):
    """A protocol error that becomes a SCIM Error response (RFC 7644 §3.12)."""

    status: ClassVar[int] = 400
    scim_type: ClassVar[str | None] = None

    def __init__(self, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}

    def to_document(self) -> dict[str, Any]:
        return error_document(self.status, self.detail, self.scim_type)


def error_document(status: int, detail: str, scim_type: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type is not None:
        doc["scimType"] = scim_type
    return doc


class InvalidFilter(ScimError):
    scim_type = "invalidFilter"


class TooMany(ScimError):
    scim_type = "tooMany"


class Uniqueness(ScimError):
    status = 409
    scim_type = "uniqueness"


class Mutability(ScimError):
    scim_type = "mutability"


class InvalidSyntax(ScimError):
    scim_type = "invalidSyntax"


class InvalidPath(ScimError):
    scim_type = "invalidPath"


class NoTarget(ScimError):
    scim_type = "noTarget"


class InvalidValue(ScimError):
    scim_type = "invalidValue"


class InvalidVersion(ScimError):
    scim_type = "invalidVers"


class Sensitive(ScimError):
    status = 403
    scim_type = "sensitive"


class InvalidCursor(ScimError):
    """RFC 9865 §4: the cursor is not one this server issued."""

    scim_type = "invalidCursor"


class ExpiredCursor(ScimError):
    """RFC 9865 §4: the cursor was valid but has expired."""

    scim_type = "expiredCursor"


class InvalidCount(ScimError):
    """RFC 9865 §4: the count is not acceptable with cursor pagination."""

    scim_type = "invalidCount"


class NotFound(ScimError):
    status = 404


class PreconditionFailed(ScimError):
    """RFC 7644 §3.14: If-Match names a version the resource no longer has."""

    status = 412


class PayloadTooLarge(ScimError):
    status = 413


class UnsupportedMediaType(ScimError):
    status = 415


class NotImplementedByServer(ScimError):
    status = 501


class Forbidden(ScimError):
    status = 403


class TooManyRequests(ScimError):
    """RFC 6585 §4; give the seconds to wait in a Retry-After header."""

    status = 429
