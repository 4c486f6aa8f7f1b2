"""Domain errors: what went wrong in the product's terms. The web layer alone turns them into responses."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule violation; `str(error)` is a sentence a person understands."""


class AccountNotFound(DomainError):
    pass


class AccountNameTaken(DomainError):
    pass


class InvalidAccountName(DomainError):
    pass


class InvalidPlan(DomainError):
    pass


class EnterpriseRequired(DomainError):
    """The account's plan does not include SCIM provisioning."""


class TokenInvalid(DomainError):
    """The bearer token is missing, malformed, unknown or revoked."""


class MemberNotFound(DomainError):
    pass


class UserNameTaken(DomainError):
    pass


class VersionMismatch(DomainError):
    """If-Match named a version the member no longer has."""


class AppKeyInvalid(DomainError):
    """The access API's bearer credential is missing, malformed, unknown or revoked."""


class AppKeyNotFound(DomainError):
    pass


class NoAuthorizedDomains(DomainError):
    """The account has no authorized email domain, so nobody can be provisioned."""


class DomainAlreadyAuthorized(DomainError):
    pass


class DomainNotFound(DomainError):
    pass


class ConsoleUserExists(DomainError):
    pass


class InvalidPassword(DomainError):
    pass


class LinkInvalid(DomainError):
    pass


class NotAllowed(DomainError):
    """The signed-in admin may not do this (e.g. an admin removing an owner)."""
