"""The email domain policy (issue 05): the strict email parser, domain normalisation, matching and refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scimkeeper.domain.addresses import (
    AuthorizedDomain,
    DomainNotAuthorized,
    EmailAddress,
    InvalidDomain,
    InvalidEmail,
    check_address,
    check_member_addresses,
    domain_allowed,
    looks_like_email,
    normalise_domain,
    parse_email,
    unicode_domain,
)
from scimkeeper.domain.errors import DomainError

CORPUS = json.loads((Path(__file__).parents[2] / "data" / "emails" / "corpus.json").read_text("utf-8"))
CASES: list[dict[str, Any]] = CORPUS["cases"]
AUTHORIZED = [
    AuthorizedDomain(normalise_domain(entry["domain"]), entry["include_subdomains"]) for entry in CORPUS["authorized"]
]
ACME = [AuthorizedDomain("acme.com", include_subdomains=False)]


def verdict(text: str) -> tuple[str, str | None]:
    """The corpus verdict for `text` and the A-label of its domain when it parses."""
    try:
        address = check_address(text, AUTHORIZED, account_name="Acme")
    except InvalidEmail:
        return "invalid", None
    except DomainNotAuthorized as refused:
        return "foreign", refused.address.domain
    return "allow", address.domain


@pytest.mark.parametrize("case", CASES, ids=[case["note"] for case in CASES])
def test_corpus_address_gets_its_verdict(case: dict[str, Any]) -> None:
    """Every corpus address is allowed, foreign or invalid as recorded, with the recorded A-label."""
    found, domain = verdict(case["input"])
    assert found == case["verdict"]
    if "domain" in case:
        assert domain == case["domain"]


def test_corpus_is_large_and_covers_every_verdict() -> None:
    """The corpus holds at least 80 cases and each verdict appears in it."""
    assert len(CASES) >= 80
    assert {case["verdict"] for case in CASES} == {"allow", "foreign", "invalid"}


def test_parse_keeps_the_local_part_as_given_and_normalises_the_domain() -> None:
    """The local part keeps its case while the domain becomes its lower-case A-label."""
    assert parse_email("Ada.Lovelace@BÜCHER.Example") == EmailAddress(
        local="Ada.Lovelace", domain="xn--bcher-kva.example", unicode_domain="bücher.example"
    )


def test_parse_gives_the_unicode_form_of_an_a_label() -> None:
    """An address written with an A-label still offers its U-label for people."""
    assert parse_email("a@xn--bcher-kva.example").unicode_domain == "bücher.example"


def test_invalid_email_names_the_input_and_the_reason() -> None:
    """The refusal repeats the input and explains the problem in a sentence."""
    with pytest.raises(
        InvalidEmail, match=r"^'a\\u200b@acme.com' is not an accepted email address: .*ZERO WIDTH SPACE"
    ):
        parse_email("a\u200b@acme.com")


def test_invalid_email_shortens_a_long_input() -> None:
    """A long refused input is cut in the message rather than repeated whole."""
    with pytest.raises(InvalidEmail) as raised:
        parse_email("a" * 500 + "@acme.com")
    assert len(str(raised.value)) < 200
    assert "…" in str(raised.value)


def test_invalid_email_is_a_domain_error() -> None:
    """Parsing failures travel as domain errors, without an HTTP status."""
    assert issubclass(InvalidEmail, DomainError)
    assert issubclass(InvalidDomain, DomainError)
    assert issubclass(DomainNotAuthorized, DomainError)


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("acme.com", "acme.com"),
        ("Acme.COM", "acme.com"),
        ("acme.com.", "acme.com"),
        ("  acme.com\n", "acme.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example.", "xn--bcher-kva.example"),
        ("XN--BCHER-KVA.EXAMPLE", "xn--bcher-kva.example"),
        ("sub.partner.io", "sub.partner.io"),
    ],
)
def test_operator_domain_is_normalised_to_its_a_label(typed: str, normalised: str) -> None:
    """Operator input is lower-cased, punycoded and loses surrounding spaces and one trailing dot."""
    assert normalise_domain(typed) == normalised


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "localhost",
        "com",
        "acme.com..",
        ".acme.com",
        "ceo@acme.com",
        "\uff41cme.com",
        "acme.\uff43\uff4f\uff4d",
        "ac\u200bme.com",
        "[127.0.0.1]",
        "10.0.0.1",
        "xn--zz.com",
        "-acme.com",
    ],
)
def test_unusable_operator_domain_is_refused(typed: str) -> None:
    """Operator input that is no full, plain domain name raises InvalidDomain."""
    with pytest.raises(InvalidDomain, match="is not an accepted domain name"):
        normalise_domain(typed)


def test_wildcard_operator_domain_points_to_subdomain_authorization() -> None:
    """A `*.` wildcard is refused with a hint to authorize the domain including subdomains."""
    with pytest.raises(InvalidDomain, match="including subdomains"):
        normalise_domain("*.acme.com")


def test_unicode_domain_turns_a_labels_into_u_labels() -> None:
    """The display form of a stored domain shows international names in their own script."""
    assert unicode_domain("xn--bcher-kva.example") == "bücher.example"
    assert unicode_domain("acme.com") == "acme.com"


def test_authorized_domain_requires_the_normalised_form() -> None:
    """An authorization built from operator text that was not normalised is refused."""
    for raw in ("Acme.com", "bücher.example", "acme.com.", "localhost"):
        with pytest.raises(InvalidDomain):
            AuthorizedDomain(raw, include_subdomains=False)


@pytest.mark.parametrize(
    ("domain", "include_subdomains", "allowed"),
    [
        ("acme.com", False, True),
        ("ACME.com", False, True),
        ("sub.acme.com", False, False),
        ("sub.acme.com", True, True),
        ("a.b.acme.com", True, True),
        ("evilacme.com", True, False),
        ("acme.com.evil.io", True, False),
        ("acme.co", True, False),
        ("sub.acme.com.evil.io", True, False),
    ],
)
def test_domain_matches_by_whole_labels(domain: str, include_subdomains: bool, allowed: bool) -> None:
    """A domain matches an authorization exactly, or as a proper subdomain when subdomains are included."""
    authorization = AuthorizedDomain("acme.com", include_subdomains=include_subdomains)
    assert domain_allowed(domain, [authorization]) is allowed


def test_u_label_domain_matches_a_label_authorization() -> None:
    """A U-label domain matches the authorization of its A-label."""
    assert domain_allowed("bücher.example", [AuthorizedDomain("xn--bcher-kva.example", include_subdomains=False)])


def test_a_label_domain_matches_u_label_authorization() -> None:
    """An A-label domain matches an authorization the operator typed as a U-label."""
    authorization = AuthorizedDomain(normalise_domain("bücher.example"), include_subdomains=False)
    assert domain_allowed("XN--BCHER-KVA.example", [authorization])


def test_domain_allowed_refuses_an_unusable_domain() -> None:
    """Matching a text that is no domain name raises rather than answering."""
    with pytest.raises(InvalidDomain):
        domain_allowed("acme.com\u200b", ACME)


def test_no_authorization_allows_nothing() -> None:
    """An account without authorized domains may provision no address at all."""
    assert not domain_allowed("acme.com", [])


def test_refusal_message_names_the_domain_and_the_account() -> None:
    """A foreign address is refused with a sentence naming its domain, the account and the way out."""
    with pytest.raises(DomainNotAuthorized) as raised:
        check_address("ceo@someone-else.com", ACME, account_name="Acme")
    assert str(raised.value) == (
        "ceo@someone-else.com is in someone-else.com, which is not an authorized domain of the account Acme. "
        "Ask support to authorize someone-else.com."
    )


def test_refusal_carries_the_address_and_the_account() -> None:
    """The refusal keeps the parsed address and the account name for the audit and the response."""
    with pytest.raises(DomainNotAuthorized) as raised:
        check_address("Ceo@Someone-Else.com", ACME, account_name="Acme")
    assert raised.value.address == EmailAddress("Ceo", "someone-else.com", "someone-else.com")
    assert raised.value.account_name == "Acme"


def test_refusal_of_a_confusable_domain_shows_its_a_label() -> None:
    """A look-alike U-label is shown beside its A-label so a person can tell it from the real domain."""
    with pytest.raises(DomainNotAuthorized) as raised:
        check_address("ceo@\u0430cme.com", ACME, account_name="Acme")
    assert str(raised.value) == (
        "ceo@\u0430cme.com is in \u0430cme.com (xn--cme-5cd.com), which is not an authorized domain of the "
        "account Acme. Ask support to authorize \u0430cme.com."
    )


def test_check_address_returns_the_parsed_address_when_allowed() -> None:
    """An address in an authorized domain comes back parsed."""
    assert check_address("ada@acme.com", ACME, account_name="Acme") == EmailAddress("ada", "acme.com", "acme.com")


@pytest.mark.parametrize(
    "user_name",
    ["ada@acme.com", "ceo\uff20evil.io", "ceo\ufe6bevil.io", "ceo%40evil.io", "@"],
)
def test_user_name_with_an_at_sign_or_look_alike_is_meant_as_email(user_name: str) -> None:
    """A userName holding "@", a look-alike of it or "%40" falls under the domain policy."""
    assert looks_like_email(user_name)


@pytest.mark.parametrize("user_name", ["ada", "ada.lovelace", "DOMAIN\\ada", "ada%41", ""])
def test_user_name_without_an_at_sign_is_not_an_email(user_name: str) -> None:
    """A userName without any kind of "@" is a plain name and needs no authorized domain."""
    assert not looks_like_email(user_name)


def test_member_with_plain_user_name_and_allowed_emails_passes() -> None:
    """A plain userName is not checked, while its email values in authorized domains pass."""
    check_member_addresses("ceo", ["ceo@acme.com", "CEO@ACME.COM"], ACME, account_name="Acme")


def test_member_with_foreign_email_user_name_is_refused() -> None:
    """A userName meant as an email outside the authorized domains is refused."""
    with pytest.raises(DomainNotAuthorized, match=r"someone-else\.com"):
        check_member_addresses("ceo@someone-else.com", [], ACME, account_name="Acme")


def test_member_with_a_foreign_email_value_is_refused() -> None:
    """One email value outside the authorized domains refuses the whole member."""
    with pytest.raises(DomainNotAuthorized, match=r"ada@evil\.io"):
        check_member_addresses("ada@acme.com", ["ada@acme.com", "ada@evil.io"], ACME, account_name="Acme")


def test_member_with_look_alike_at_in_user_name_is_invalid() -> None:
    """A userName with a full-width at sign is refused as invalid, never read as a plain name."""
    with pytest.raises(InvalidEmail, match="FULLWIDTH COMMERCIAL AT"):
        check_member_addresses("ceo\uff20acme.com", [], ACME, account_name="Acme")
