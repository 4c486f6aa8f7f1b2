"""The SCIM filter parser (RFC 7644 §3.4.2.2): spec, Okta and Entra vectors, and the AST's printed forms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from scimkeeper.scim.filter import (
    And,
    AttrPath,
    Compare,
    Filter,
    Not,
    Or,
    Present,
    ValuePath,
    filter_shape,
    format_attr_path,
    format_filter,
    parse_filter,
)

VALID = json.loads((Path(__file__).parents[2] / "data" / "filters" / "valid.json").read_text("utf-8"))["cases"]


def as_lists(f: Filter) -> list[Any]:
    """The nested-list form used by tests/data/filters/valid.json."""
    match f:
        case Compare(path, op, value):
            return [op, format_attr_path(path), value]
        case Present(path):
            return ["pr", format_attr_path(path)]
        case And(left, right):
            return ["and", as_lists(left), as_lists(right)]
        case Or(left, right):
            return ["or", as_lists(left), as_lists(right)]
        case Not(inner):
            return ["not", as_lists(inner)]
        case ValuePath(path, inner):
            return ["[]", format_attr_path(path), as_lists(inner)]


def same(actual: Any, expected: Any) -> bool:
    """Equal as JSON, so that true, 1 and 1.0 stay distinct."""
    return json.dumps(actual, ensure_ascii=False) == json.dumps(expected, ensure_ascii=False)


def attr(name: str, sub: str | None = None) -> AttrPath:
    return AttrPath(None, name, sub)


@pytest.mark.parametrize("case", VALID, ids=[case["filter"] for case in VALID])
def test_valid_vector_parses_to_its_ast(case: dict[str, Any]) -> None:
    """Every vector in valid.json parses to the AST written beside it."""
    assert same(as_lists(parse_filter(case["filter"])), case["ast"])


@pytest.mark.parametrize("case", VALID, ids=[case["filter"] for case in VALID])
def test_canonical_text_parses_back_to_the_same_ast(case: dict[str, Any]) -> None:
    """format_filter prints text that parses to an identical AST, types of values included."""
    parsed = parse_filter(case["filter"])
    reparsed = parse_filter(format_filter(parsed))
    assert repr(reparsed) == repr(parsed)


def test_urn_is_everything_before_the_last_colon() -> None:
    """A URN containing "2.0" is kept whole, and the attribute and sub-attribute follow the last colon."""
    f = parse_filter("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr")
    assert f == Present(AttrPath("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "manager", "value"))


def test_attribute_names_keep_their_case() -> None:
    """Names are returned as written; case-insensitive resolution is the schema stage's job."""
    assert parse_filter('USERNAME Eq "x"') == Compare(attr("USERNAME"), "eq", "x")


def test_entra_trailing_sub_attribute_joins_the_bracket_filter() -> None:
    """`emails[type eq "work"].value eq "x"` means the work email's value is x."""
    f = parse_filter('emails[type eq "work"].value eq "x"')
    expected = ValuePath(attr("emails"), And(Compare(attr("type"), "eq", "work"), Compare(attr("value"), "eq", "x")))
    assert f == expected


def test_plus_decoded_query_string_parses() -> None:
    """A filter sent as `userName+eq+%22a%40b.com%22` arrives URL-decoded and parses."""
    decoded = parse_qs("filter=userName+eq+%22a%40b.com%22+and+active+eq+true")["filter"][0]
    assert parse_filter(decoded) == And(Compare(attr("userName"), "eq", "a@b.com"), Compare(attr("active"), "eq", True))


def test_integer_value_is_an_int() -> None:
    """A number without fraction or exponent is an int, not a float."""
    f = parse_filter("n eq 12")
    assert isinstance(f, Compare)
    assert type(f.value) is int


def test_decimal_value_is_a_float() -> None:
    """A number with a fraction or an exponent is a float."""
    f = parse_filter("n eq 1e2")
    assert isinstance(f, Compare)
    assert type(f.value) is float


def test_huge_integer_is_kept_exactly() -> None:
    """Integers are not rounded through float."""
    assert parse_filter("n eq 123456789012345678901234567890") == Compare(
        attr("n"), "eq", 123456789012345678901234567890
    )


def test_ast_is_immutable() -> None:
    """AST nodes are frozen dataclasses."""
    f = parse_filter("title pr")
    assert isinstance(f, Present)
    with pytest.raises(AttributeError):
        f.path = attr("x")  # type: ignore[misc]  # the assignment a frozen dataclass refuses is the point


def test_format_uses_lowercase_keywords_and_single_spaces() -> None:
    """The canonical text normalises keyword case and whitespace."""
    f = parse_filter('  title  PR\tAND  NOT(  userType EQ  "Intern" )  ')
    assert format_filter(f) == 'title pr and not (userType eq "Intern")'


def test_format_escapes_strings_as_json() -> None:
    """Quotes, backslashes and control characters are escaped; other characters are printed as they are."""
    f = Compare(attr("displayName"), "eq", 'say "hi"\\\n é😀')
    assert format_filter(f) == r'displayName eq "say \"hi\"\\\n é😀"'


def test_format_parenthesises_or_inside_and() -> None:
    """An `or` under an `and` keeps its parentheses."""
    f = And(Or(Present(attr("a")), Present(attr("b"))), Or(Present(attr("c")), Present(attr("d"))))
    assert format_filter(f) == "(a pr or b pr) and (c pr or d pr)"


def test_format_parenthesises_right_nested_chains() -> None:
    """A right-nested `and` or `or` is printed in parentheses so that it parses back the same way."""
    f = Or(
        Present(attr("a")), Or(Present(attr("b")), And(Present(attr("c")), And(Present(attr("d")), Present(attr("e")))))
    )
    assert format_filter(f) == "a pr or (b pr or c pr and (d pr and e pr))"


def test_format_prints_left_nested_chains_flat() -> None:
    """A left-nested chain needs no parentheses."""
    f = And(And(Present(attr("a")), Present(attr("b"))), Present(attr("c")))
    assert format_filter(f) == "a pr and b pr and c pr"


def test_format_handles_long_chains_without_recursion() -> None:
    """A 5,000-term chain prints without approaching the recursion limit."""
    f: Filter = Present(attr("a"))
    for _ in range(4999):
        f = And(f, Present(attr("a")))
    assert format_filter(f).count(" and ") == 4999


def test_format_prints_urn_and_sub_attribute() -> None:
    """A qualified path prints as `urn:attr.sub`."""
    f = Present(AttrPath("urn:ietf:params:scim:schemas:core:2.0:User", "name", "familyName"))
    assert format_filter(f) == "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName pr"


def test_format_rejects_non_finite_numbers() -> None:
    """NaN and infinity have no filter syntax."""
    with pytest.raises(ValueError, match="JSON compliant"):
        format_filter(Compare(attr("n"), "eq", float("nan")))


def test_shape_replaces_every_value_with_a_question_mark() -> None:
    """filter_shape keeps the structure and drops every value."""
    f = parse_filter('userName eq "a@b.com" and emails[type eq "work"].value co "@acme.com" or n gt 3 or x eq null')
    assert filter_shape(f) == "userName eq ? and emails[type eq ? and value co ?] or n gt ? or x eq ?"


def test_shape_keeps_presence_tests() -> None:
    """A presence test has no value to hide."""
    assert filter_shape(parse_filter("not (title pr)")) == "not (title pr)"
