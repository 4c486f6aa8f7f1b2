"""Resource versions as weak entity tags, and If-Match / If-None-Match lists (RFC 7644 §3.14, RFC 9110 §8.8.3)."""

from __future__ import annotations

import pytest

from scimkeeper.scim.etags import etag, matches


@pytest.mark.parametrize(("version", "tag"), [(1, 'W/"1"'), (42, 'W/"42"'), (10**12, 'W/"1000000000000"')])
def test_etag_is_a_weak_tag_of_the_version(version: int, tag: str) -> None:
    """The tag is the version number, quoted, with the weak indicator."""
    assert etag(version) == tag


@pytest.mark.parametrize("version", [1, 7, 123])
def test_a_tag_matches_its_own_version(version: int) -> None:
    """What the server hands out in ETag matches when sent back."""
    assert matches(etag(version), version) is True


def test_a_strong_tag_of_the_version_matches() -> None:
    """Comparison is weak: "7" and W/"7" name the same version."""
    assert matches('"7"', 7) is True


@pytest.mark.parametrize("header", ['W/"8"', '"8"', 'W/"70"', 'W/"07"', 'W/""', ""])
def test_a_tag_of_another_version_does_not_match(header: str) -> None:
    """Another number, even one that starts or ends with the same digits, does not match; neither does nothing."""
    assert matches(header, 7) is False


@pytest.mark.parametrize("header", ["7", "W/7", 'w/"7"', 'W/ "7"', "'7'"])
def test_malformed_tags_do_not_match(header: str) -> None:
    """Unquoted numbers, a lower-case weak indicator (RFC 9110 §8.8.3 spells it "W/") or odd quoting are not tags."""
    assert matches(header, 7) is False


@pytest.mark.parametrize("header", ['W/"1", W/"7"', 'W/"1",W/"7"', '"3" , "7" ', ' W/"7" '])
def test_a_list_matches_when_any_member_does(header: str) -> None:
    """If-Match takes a comma-separated list; spaces around members are ignored."""
    assert matches(header, 7) is True


def test_a_list_without_the_version_does_not_match() -> None:
    """None of the listed versions is the current one."""
    assert matches('W/"1", W/"2", "3"', 7) is False


@pytest.mark.parametrize("header", ["*", " * ", 'W/"1", *'])
def test_star_matches_any_version(header: str) -> None:
    """`*` names any current representation."""
    assert matches(header, 7) is True
    assert matches(header, 1) is True
