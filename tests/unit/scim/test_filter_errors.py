"""The SCIM filter parser's errors and limits (RFC 7644 §3.4.2.2, §3.12 `invalidFilter`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scimkeeper.scim.errors import InvalidFilter
from scimkeeper.scim.filter import MAX_DEPTH_CEILING, parse_filter

INVALID = json.loads((Path(__file__).parents[2] / "data" / "filters" / "invalid.json").read_text("utf-8"))["cases"]


@pytest.mark.parametrize("case", INVALID, ids=[case["case"] for case in INVALID])
def test_invalid_vector_names_position_and_expectation(case: dict[str, Any]) -> None:
    """Every vector in invalid.json raises InvalidFilter naming the position and what was wrong."""
    with pytest.raises(InvalidFilter) as raised:
        parse_filter(case["filter"])
    assert raised.value.detail.startswith(f"Invalid filter at position {case['position']}: ")
    assert case["detail"] in raised.value.detail


def test_error_is_an_invalid_filter_scim_error() -> None:
    """The error renders as a 400 with scimType invalidFilter."""
    with pytest.raises(InvalidFilter) as raised:
        parse_filter('userName equals "x"')
    assert raised.value.to_document()["scimType"] == "invalidFilter"
    assert raised.value.to_document()["status"] == "400"


def test_error_never_quotes_a_string_value() -> None:
    """A misplaced string literal is described, not echoed, so errors carry no email addresses."""
    with pytest.raises(InvalidFilter) as raised:
        parse_filter('userName eq "bjensen@example.com" "bjensen@example.com"')
    assert "bjensen" not in raised.value.detail


def test_error_never_quotes_an_unquoted_value() -> None:
    """An unquoted value is described, not echoed."""
    with pytest.raises(InvalidFilter) as raised:
        parse_filter("userName eq bjensen@example.com")
    assert "bjensen" not in raised.value.detail


def test_filter_longer_than_the_limit_is_rejected() -> None:
    """A filter over 2048 characters is refused before it is read."""
    text = 'userName eq "' + "x" * 2040 + '"'
    with pytest.raises(InvalidFilter, match=r"^Invalid filter: the filter is 2054 characters; the limit is 2048$"):
        parse_filter(text)


def test_filter_at_the_length_limit_is_accepted() -> None:
    """A filter of exactly 2048 characters parses."""
    text = 'userName eq "' + "x" * 2034 + '"'
    assert len(text) == 2048
    parse_filter(text)


def test_length_limit_is_configurable() -> None:
    """max_length sets the limit."""
    with pytest.raises(InvalidFilter, match="the filter is 8 characters; the limit is 7"):
        parse_filter("title pr", max_length=7)


def test_nesting_at_the_depth_limit_is_accepted() -> None:
    """Ten levels of parentheses, `not (` and brackets together parse."""
    parse_filter("(" * 8 + 'not (emails[type eq "work"])' + ")" * 8)


@pytest.mark.parametrize(
    "text",
    ["(" * 11 + "a pr" + ")" * 11, "not (" * 11 + "a pr" + ")" * 11, "(" * 10 + "emails[type pr]" + ")" * 10],
    ids=["parentheses", "not", "brackets"],
)
def test_nesting_past_the_depth_limit_is_rejected(text: str) -> None:
    """The eleventh level of parentheses, `not (` or brackets is refused."""
    with pytest.raises(InvalidFilter, match="nesting is too deep; the limit is 10 levels"):
        parse_filter(text)


def test_depth_error_points_at_the_opening_that_exceeds_it() -> None:
    """The position is that of the first opening past the limit."""
    with pytest.raises(InvalidFilter, match=r"at position 3: nesting is too deep; the limit is 2 levels"):
        parse_filter("(((a pr)))", max_depth=2)


def test_very_deep_nesting_is_an_invalid_filter_not_a_recursion_error() -> None:
    """Parentheses nested thousands deep are refused before recursing."""
    with pytest.raises(InvalidFilter, match="nesting is too deep"):
        parse_filter("(" * 100_000 + "a pr" + ")" * 100_000, max_length=1_000_000, max_depth=MAX_DEPTH_CEILING)


@pytest.mark.parametrize("max_depth", [0, MAX_DEPTH_CEILING + 1])
def test_max_depth_outside_its_range_is_a_programming_error(max_depth: int) -> None:
    """A depth limit the parser cannot honour safely is refused with ValueError."""
    with pytest.raises(ValueError, match="max_depth"):
        parse_filter("a pr", max_depth=max_depth)


def test_comparisons_at_the_limit_are_accepted() -> None:
    """Fifty comparisons and presence tests parse."""
    parse_filter(" or ".join(["a pr"] * 25 + ['b eq "x"'] * 25))


def test_comparisons_past_the_limit_are_rejected() -> None:
    """The fifty-first comparison is refused, at its position."""
    text = " and ".join(["a pr"] * 51)
    with pytest.raises(InvalidFilter, match=r"at position 451: more than 50 comparisons; the limit is 50$"):
        parse_filter(text)


def test_comparisons_inside_brackets_count() -> None:
    """Comparisons inside a value filter and a trailing sub-attribute comparison count towards the limit."""
    with pytest.raises(InvalidFilter, match="more than 2 comparisons"):
        parse_filter('emails[type eq "work" and primary eq true].value eq "x"', max_comparisons=2)


def test_long_and_chain_parses_without_recursion() -> None:
    """A 10,000-term chain parses iteratively when the limits allow it."""
    text = " and ".join(["a pr"] * 10_000)
    parse_filter(text, max_length=len(text), max_comparisons=10_000)


def test_integer_with_too_many_digits_is_rejected() -> None:
    """An integer past Python's digit limit for int() is an InvalidFilter, not a ValueError."""
    with pytest.raises(InvalidFilter, match="at position 6: the number has too many digits"):
        parse_filter("n eq " + "9" * 5000, max_length=6000)
