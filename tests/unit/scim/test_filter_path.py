"""PATCH paths (RFC 7644 §3.5.2): `PATH = attrPath / valuePath [subAttr]`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scimkeeper.scim.errors import InvalidPath
from scimkeeper.scim.filter import (
    AttrPath,
    Compare,
    PatchPath,
    format_filter,
    format_path,
    parse_path,
    path_shape,
)

PATHS = json.loads((Path(__file__).parents[2] / "data" / "filters" / "paths.json").read_text("utf-8"))


@pytest.mark.parametrize("case", PATHS["valid"], ids=[case["path"] for case in PATHS["valid"]])
def test_valid_path_parses_to_its_parts(case: dict[str, Any]) -> None:
    """Every valid vector in paths.json parses to the URN, attribute, value filter and sub-attribute beside it."""
    parsed = parse_path(case["path"])
    assert parsed.path == AttrPath(case["urn"], case["attr"], case["attr_sub"])
    assert (None if parsed.value_filter is None else format_filter(parsed.value_filter)) == case["filter"]
    assert parsed.sub_attr == case["sub_attr"]


@pytest.mark.parametrize("case", PATHS["valid"], ids=[case["path"] for case in PATHS["valid"]])
def test_canonical_path_parses_back_to_the_same_path(case: dict[str, Any]) -> None:
    """format_path prints text that parses to an identical PatchPath."""
    parsed = parse_path(case["path"])
    assert repr(parse_path(format_path(parsed))) == repr(parsed)


@pytest.mark.parametrize("case", PATHS["invalid"], ids=[case["case"] for case in PATHS["invalid"]])
def test_invalid_path_names_position_and_expectation(case: dict[str, Any]) -> None:
    """Every invalid vector in paths.json raises InvalidPath naming the position and what was wrong."""
    with pytest.raises(InvalidPath) as raised:
        parse_path(case["path"])
    assert raised.value.detail.startswith(f"Invalid path at position {case['position']}: ")
    assert case["detail"] in raised.value.detail


def test_path_error_is_an_invalid_path_scim_error() -> None:
    """The error renders as a 400 with scimType invalidPath."""
    with pytest.raises(InvalidPath) as raised:
        parse_path("name..x")
    assert raised.value.to_document()["scimType"] == "invalidPath"


def test_path_length_limit_applies() -> None:
    """A path over the length limit is refused before it is read."""
    with pytest.raises(InvalidPath, match=r"^Invalid path: the path is 6 characters; the limit is 5$"):
        parse_path("emails", max_length=5)


def test_path_value_filter_is_relative_to_the_attribute() -> None:
    """Names in the value filter are sub-attributes of the bracketed attribute."""
    parsed = parse_path('emails[type eq "work"].value')
    assert parsed == PatchPath(AttrPath(None, "emails"), Compare(AttrPath(None, "type"), "eq", "work"), "value")


def test_path_shape_hides_values() -> None:
    """path_shape keeps the structure and drops every value."""
    assert path_shape(parse_path('members[value eq "2819c223"].display')) == "members[value eq ?].display"


def test_path_without_filter_prints_as_written() -> None:
    """A plain attribute path prints unchanged."""
    assert format_path(parse_path("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName")) == (
        "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName"
    )
