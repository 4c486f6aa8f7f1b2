"""Comparison keys for case-insensitive attributes (RFC 7643 §2.2): the folded copy filters read."""

from __future__ import annotations

from scimkeeper.scim.keys import fold, search_document
from scimkeeper.scim.schema import USER_RESOURCE
from tests.documents import CORE_USER, ENTERPRISE_USER, bjensen, user


def test_fold_is_unicode_case_folding() -> None:
    """Folding goes beyond lower(): sharp s and SS, and the Greek final and medial sigma, compare equal."""
    assert fold("STRASSE") == fold("straße") == "strasse"
    assert fold("ΣΊΣΥΦΟΣ") == fold("σίσυφος")


def test_case_insensitive_strings_are_folded() -> None:
    """userName, displayName and the like are caseExact false: their key is folded."""
    searchable = search_document(user("Ada@ACME.com", displayName="Ada LOVELACE"), USER_RESOURCE)
    assert (searchable["userName"], searchable["displayName"]) == ("ada@acme.com", "ada lovelace")


def test_schema_urns_are_folded() -> None:
    """Schema URNs are case-insensitive too (RFC 7643 §2.1)."""
    searchable = search_document({"schemas": [CORE_USER.upper(), ENTERPRISE_USER]}, USER_RESOURCE)
    assert searchable["schemas"] == [CORE_USER.lower(), ENTERPRISE_USER.lower()]


def test_case_exact_strings_are_kept() -> None:
    """id and externalId are caseExact: their key is the value itself."""
    searchable = search_document(user("a@acme.com", id="ID-1", externalId="Ext-A"), USER_RESOURCE)
    assert (searchable["id"], searchable["externalId"]) == ("ID-1", "Ext-A")


def test_sub_attributes_of_complex_and_multi_valued_attributes_are_folded_one_by_one() -> None:
    """Each sub-attribute follows its own definition: strings fold, booleans stay."""
    searchable = search_document(bjensen(), USER_RESOURCE)
    assert searchable["name"] == {"familyName": "jensen", "givenName": "barbara"}
    assert searchable["emails"] == [
        {"value": "bjensen@example.com", "type": "work", "primary": True},
        {"value": "babs@jensen.org", "type": "home"},
    ]
    assert searchable["active"] is True


def test_meta_sub_attributes_keep_their_case_exactness() -> None:
    """meta.resourceType and meta.version are caseExact (RFC 7643 §3.1)."""
    meta = {"resourceType": "User", "version": 'W/"A1"'}
    assert search_document({"meta": meta}, USER_RESOURCE)["meta"] == meta


def test_extension_attributes_are_folded_by_the_extension_schema() -> None:
    """An extension block (under its canonical URN) is read attribute by attribute against its own schema."""
    block = {"department": "R&D Lab", "manager": {"value": "Boss-1", "displayName": "The BOSS"}}
    searchable = search_document({ENTERPRISE_USER: block}, USER_RESOURCE)
    assert searchable[ENTERPRISE_USER] == {
        "department": "r&d lab",
        "manager": {"value": "boss-1", "displayName": "the boss"},
    }


def test_binary_and_reference_values_follow_their_type() -> None:
    """A reference that is not caseExact folds; binary data never does."""
    document = user(
        "a@acme.com",
        profileUrl="https://Example.com/Ada",
        x509Certificates=[{"value": "MIIDQzCC", "display": "Work CERT"}],
    )
    searchable = search_document(document, USER_RESOURCE)
    assert searchable["profileUrl"] == "https://example.com/ada"
    assert searchable["x509Certificates"] == [{"value": "MIIDQzCC", "display": "work cert"}]


def test_values_of_unknown_attributes_are_kept_as_they_are() -> None:
    """Neither an unknown attribute, an unknown sub-attribute nor an unknown URN-named block is folded."""
    document = {
        "favouriteColour": "BLUE",
        "name": {"Nick": "BABS"},
        "urn:example:Other": {"colour": "RED"},
        ENTERPRISE_USER: {"shoeSize": "XL"},
    }
    assert search_document(document, USER_RESOURCE) == document


def test_the_document_is_not_changed() -> None:
    """The canonical document stays as it was; the folded copy is new."""
    document = bjensen()
    search_document(document, USER_RESOURCE)
    assert document == bjensen()
