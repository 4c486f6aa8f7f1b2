"""Email addresses and domains, parsed strictly, and the rule that matches them against authorized domains.

One strict parser for email addresses (RFC 5321/5322 dot-atom, RFC 6531 UTF-8 local parts,
IDNA 2008 domains per RFC 5890-5893) and the matching rule. Stricter than the RFCs on purpose, see `parse_email`.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import idna

from scimkeeper.domain.errors import DomainError

MAX_LOCAL_OCTETS = 64  # RFC 5321 §4.5.3.1.1
MAX_LABEL_OCTETS = 63  # RFC 1035 §2.3.4
MAX_DOMAIN_OCTETS = 253  # RFC 1035 §2.3.4, less the length octets and the root label
SHOWN_CHARACTERS = 80  # how much of a refused input an error message repeats
ACE_PREFIX = "xn--"
# "@" and the characters NFKC folds into it; "%40" so that a percent-encoded "@" is refused, not taken as a plain name.
AT_SIGNS = ("@", "\uff20", "\ufe6b", "%40")
LOCAL_SYMBOLS = frozenset("!#$&'*+-/=?^_`{|}~")  # RFC 5322 atext, less "%" (percent-encoding and %-hack routing)
LDH = frozenset(string.ascii_lowercase + string.digits + "-")


class InvalidEmail(DomainError):
    """The text is not an email address this server accepts; `str(error)` says why."""


class InvalidDomain(DomainError):
    """The text is not a domain name this server accepts; `str(error)` says why."""


@dataclass(frozen=True)
class EmailAddress:
    local: str  # as given: local parts are case-sensitive (RFC 5321 §2.4)
    domain: str  # A-label form: lower case, punycode, no trailing dot
    unicode_domain: str  # U-label form, for messages shown to people


@dataclass(frozen=True)
class AuthorizedDomain:
    """A domain the operator has authorized for an account; `domain` must already be normalised."""

    domain: str
    include_subdomains: bool

    def __post_init__(self) -> None:
        if normalise_domain(self.domain) != self.domain:
            raise InvalidDomain(f"{self.domain!r} is not a normalised domain; pass it through normalise_domain first")


class DomainNotAuthorized(DomainError):
    """An address lies outside the account's authorized domains (the web layer answers 403)."""

    def __init__(self, text: str, address: EmailAddress, account_name: str) -> None:
        self.address = address
        self.account_name = account_name
        shown = address.unicode_domain
        if shown != address.domain:  # a confusable U-label needs its A-label beside it to be told apart
            shown = f"{shown} ({address.domain})"
        super().__init__(
            f"{text} is in {shown}, which is not an authorized domain of the account {account_name}. "
            f"Ask support to authorize {address.unicode_domain}."
        )


class _Unusable(Exception):
    """Why a text is refused, before the public entry point names what the text was meant to be."""


def parse_email(text: str) -> EmailAddress:
    """Parse `local@domain`, refusing anything that could be read two ways.

    Refused: several "@", quoted local parts (`"a@b"@x.com`, even `"a"@x.com`), comments, backslashes, "%",
    whitespace, control and format characters (zero-width, bidi overrides, soft hyphen), any text that NFKC would
    change (full-width at signs or letters, ligatures, decomposed accents), IP literals and numeric top-level
    labels, single-label domains and a trailing dot. Domain case is folded; nothing else is mapped.
    """
    try:
        local, domain = _split_address(text)
        ascii_domain, unicode_form = _domain_forms(domain)
    except _Unusable as error:
        raise InvalidEmail(f"{_shown(text)} is not an accepted email address: {error}.") from None
    return EmailAddress(local, ascii_domain, unicode_form)


def normalise_domain(text: str) -> str:
    """The A-label form of a domain typed by an operator: `Acme.COM.` and `bücher.example` become
    `acme.com` and `xn--bcher-kva.example`. Surrounding spaces and one trailing dot are forgiven."""
    try:
        return _domain_forms(_operator_domain(text))[0]
    except _Unusable as error:
        raise InvalidDomain(f"{_shown(text)} is not an accepted domain name: {error}.") from None


def unicode_domain(domain: str) -> str:
    """The U-label form of a domain, for people: `xn--bcher-kva.example` becomes `bücher.example`."""
    return _domain_forms(normalise_domain(domain))[1]


def looks_like_email(text: str) -> bool:
    """Whether a userName is meant as an email address and so falls under the domain policy."""
    return any(at in text for at in AT_SIGNS)


def domain_allowed(domain: str, authorized: Iterable[AuthorizedDomain]) -> bool:
    """Whether `domain` is an authorized domain, or a proper subdomain of one that includes its subdomains.

    Both sides are compared in normalised A-label form, so case and U-label versus A-label make no difference.
    """
    domain = normalise_domain(domain)
    return any(
        domain == entry.domain or (entry.include_subdomains and domain.endswith("." + entry.domain))
        for entry in authorized
    )


def check_address(text: str, authorized: Sequence[AuthorizedDomain], *, account_name: str) -> EmailAddress:
    """The parsed address if it is in an authorized domain; raises InvalidEmail or DomainNotAuthorized."""
    address = parse_email(text)
    if not domain_allowed(address.domain, authorized):
        raise DomainNotAuthorized(text, address, account_name)
    return address


def check_member_addresses(
    user_name: str, emails: Iterable[str], authorized: Sequence[AuthorizedDomain], *, account_name: str
) -> None:
    """The policy on a created or changed member: its userName when meant as an email, and every email value."""
    if looks_like_email(user_name):
        check_address(user_name, authorized, account_name=account_name)
    for value in emails:
        check_address(value, authorized, account_name=account_name)


def _shown(text: str) -> str:
    if len(text) > SHOWN_CHARACTERS:
        return f"{text[:SHOWN_CHARACTERS]!r}…"
    return repr(text)


def _describe(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, '(unnamed)')}"


def _split_address(text: str) -> tuple[str, str]:
    """The local part, checked, and the domain, still to be checked."""
    _check_characters(text)
    if "%" in text:
        raise _Unusable("it contains '%'; percent-encoded addresses are refused")
    if '"' in text:
        raise _Unusable('quoted local parts such as "a@b"@example.com are not accepted')
    local, at, domain = text.partition("@")
    if not at:
        raise _Unusable("it has no @")
    if "@" in domain:
        raise _Unusable("it has more than one @")
    _check_local(local)
    if domain.endswith("."):
        raise _Unusable("the domain ends with a dot")
    return local, domain


def _operator_domain(text: str) -> str:
    """Operator input with surrounding spaces and one trailing dot (a fully qualified name) removed."""
    stripped = text.strip()
    if stripped.startswith("*."):
        raise _Unusable("write it without '*.' and authorize it including subdomains")
    stripped = stripped.removesuffix(".")
    _check_characters(stripped)
    return stripped


def _check_characters(text: str) -> None:
    """Refuse emptiness, invisible characters and anything Unicode compatibility normalisation would change."""
    if not text:
        raise _Unusable("it is empty")
    for char in text:
        if unicodedata.category(char)[0] in "CZ":
            raise _Unusable(f"it contains {_describe(char)}, a space, control or invisible character")
    if not unicodedata.is_normalized("NFKC", text):
        for char in text:
            folded = unicodedata.normalize("NFKC", char)
            if folded != char:
                raise _Unusable(f"it contains {_describe(char)}, a look-alike of {folded!r}")
        raise _Unusable("it contains a character sequence that Unicode normalisation (NFKC) would change")


def _check_local(local: str) -> None:
    """A dot-atom of RFC 5322 atext (less "%") and, per RFC 6531, non-ASCII letters, marks and digits."""
    if not local:
        raise _Unusable("the part before the @ is empty")
    if len(local.encode("utf-8")) > MAX_LOCAL_OCTETS:
        raise _Unusable(f"the part before the @ is longer than {MAX_LOCAL_OCTETS} bytes")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise _Unusable("the part before the @ starts or ends with a dot, or has two dots in a row")
    for char in local:
        allowed = char.isascii() and (char.isalnum() or char in LOCAL_SYMBOLS or char == ".")
        if not (allowed or (not char.isascii() and unicodedata.category(char)[0] in "LMN")):
            raise _Unusable(f"the part before the @ contains {char!r}, which is not accepted")


def _domain_forms(domain: str) -> tuple[str, str]:
    """The A-label and U-label forms of a domain without a trailing dot, or why it is refused."""
    if not domain:
        raise _Unusable("the domain is empty")
    if domain.startswith("["):
        raise _Unusable("IP address literals are refused; use a domain name")
    labels = [_label_forms(label) for label in domain.lower().split(".")]
    if len(labels) < 2:
        raise _Unusable("the domain has a single label; a full domain such as example.com is needed")
    if all(char in string.digits for char in labels[-1][0]):
        raise _Unusable("the domain ends in a number, as an IP address does; use a domain name")
    ascii_domain = ".".join(ascii_label for ascii_label, _ in labels)
    if len(ascii_domain) > MAX_DOMAIN_OCTETS:
        raise _Unusable(f"the domain is longer than {MAX_DOMAIN_OCTETS} characters")
    return ascii_domain, ".".join(unicode_label for _, unicode_label in labels)


def _label_forms(label: str) -> tuple[str, str]:
    """One lower-case label: LDH, a canonical A-label, or an IDNA 2008 U-label (strict: no UTS 46 mapping)."""
    if not label:
        raise _Unusable("the domain has an empty label (a leading dot or two dots in a row)")
    try:
        if not label.isascii():
            return idna.alabel(label).decode("ascii"), label
        if len(label) > MAX_LABEL_OCTETS:
            raise _Unusable(f"the label {label[:20]}… is longer than {MAX_LABEL_OCTETS} characters")
        if label.startswith(ACE_PREFIX):
            return label, idna.ulabel(label)
    except idna.IDNAError as error:
        raise _Unusable(f"the label {label!r} is not a valid internationalised label ({error})") from None
    # Plain ASCII labels are checked here rather than by idna, which also refuses "--" in the third and fourth
    # positions: such labels are valid host names, and being pure ASCII they cannot be confused with another.
    if not set(label) <= LDH or label.startswith("-") or label.endswith("-"):
        raise _Unusable(f"the label {label!r} may hold only letters, digits and inner hyphens")
    return label, label
