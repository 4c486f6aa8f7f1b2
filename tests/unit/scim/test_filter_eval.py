"""The Python filter evaluator (RFC 7644 §3.4.2.2): resource filters, value filters and their errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scimkeeper.scim.errors import InvalidFilter
from scimkeeper.scim.filter import AttrPath, Compare, ValuePath, parse_filter
from scimkeeper.scim.filter_eval import matches, matches_resource, resource_predicate, value_predicate
from scimkeeper.scim.schema import USER, USER_RESOURCE, Attribute
from tests.gadget import GADGET_RESOURCE

VECTORS = json.loads((Path(__file__).parents[2] / "data" / "filters" / "evaluate.json").read_text("utf-8"))
RESOURCES: dict[str, dict[str, Any]] = VECTORS["resources"]
MATCHING = [case for case in VECTORS["cases"] if "matches" in case]
FAILING = [case for case in VECTORS["cases"] if "error" in case]
EMAILS = next(attribute for attribute in USER.attributes if attribute.name == "emails")


def selected(text: str) -> list[str]:
    return [
        name for name, resource in RESOURCES.items() if matches_resource(parse_filter(text), resource, USER_RESOURCE)
    ]


def gadget(text: str, resource: dict[str, Any]) -> bool:
    return matches_resource(parse_filter(text), resource, GADGET_RESOURCE)


@pytest.mark.parametrize("case", MATCHING, ids=[case["filter"] for case in MATCHING])
def test_filter_selects_the_expected_resources(case: dict[str, Any]) -> None:
    """Every vector in evaluate.json selects exactly the resources listed beside it."""
    assert selected(case["filter"]) == case["matches"]


@pytest.mark.parametrize("case", FAILING, ids=[case["filter"] for case in FAILING])
def test_unusable_filter_is_invalid_filter(case: dict[str, Any]) -> None:
    """Every failing vector raises InvalidFilter naming the problem, before any resource is read."""
    with pytest.raises(InvalidFilter) as raised:
        resource_predicate(parse_filter(case["filter"]), USER_RESOURCE)
    assert case["error"] in raised.value.detail


def test_value_filter_matches_one_value() -> None:
    """matches() tests one value of a multi-valued attribute against the filter inside the brackets."""
    work = {"value": "bjensen@example.com", "type": "work", "primary": True}
    assert matches(parse_filter('type eq "work" and primary eq "True"'), work, EMAILS)
    assert not matches(parse_filter('type eq "home"'), work, EMAILS)


def test_value_filter_presence_ignores_empty_strings() -> None:
    """pr inside a value filter is false for an empty string and true for a non-empty one."""
    assert not matches(parse_filter("display pr"), {"display": ""}, EMAILS)
    assert matches(parse_filter("display pr"), {"display": "Work"}, EMAILS)


def test_value_filter_eq_null_matches_an_unassigned_sub_attribute() -> None:
    """`eq null` inside brackets matches a value lacking that sub-attribute."""
    assert matches(parse_filter("display eq null"), {"value": "a@example.com"}, EMAILS)
    assert not matches(parse_filter("display eq null"), {"display": "A"}, EMAILS)


def test_value_filter_on_a_simple_attribute_is_refused() -> None:
    """Only a complex attribute has sub-attributes to filter on."""
    with pytest.raises(InvalidFilter, match="no sub-attributes"):
        value_predicate(parse_filter('value eq "x"'), Attribute("tags", "string", multi_valued=True))


def test_nested_value_filter_is_refused() -> None:
    """A value path inside a value filter, which the parser never builds, is refused."""
    nested = ValuePath(AttrPath(None, "emails"), Compare(AttrPath(None, "type"), "eq", "work"))
    with pytest.raises(InvalidFilter, match="cannot be nested"):
        value_predicate(nested, EMAILS)


def test_qualified_name_inside_value_filter_is_refused() -> None:
    """Inside brackets only bare sub-attribute names apply."""
    qualified = Compare(AttrPath(None, "type", "x"), "eq", "work")
    with pytest.raises(InvalidFilter, match="without a URN or a dot"):
        value_predicate(qualified, EMAILS)


def test_value_path_on_a_sub_attribute_is_refused() -> None:
    """A value path after a sub-attribute, which the parser never builds, is refused."""
    odd = ValuePath(AttrPath(None, "name", "givenName"), Compare(AttrPath(None, "value"), "eq", "x"))
    with pytest.raises(InvalidFilter, match="needs a complex attribute"):
        resource_predicate(odd, USER_RESOURCE)


def test_value_path_skips_values_that_are_not_objects() -> None:
    """A stored value that is not an object never satisfies a value filter."""
    resource = {"emails": ["bjensen@example.com", {"type": "work"}]}
    assert matches_resource(parse_filter('emails[type eq "work"]'), resource, USER_RESOURCE)
    assert not matches_resource(parse_filter('emails[type eq "home"]'), resource, USER_RESOURCE)


def test_sub_attribute_of_non_object_values_is_unassigned() -> None:
    """emails.value reads nothing from a stored value that is not an object."""
    assert not matches_resource(parse_filter("emails.value pr"), {"emails": ["x"]}, USER_RESOURCE)


def test_extension_that_is_not_an_object_has_no_values() -> None:
    """An extension key holding something other than an object yields no values."""
    resource = {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": "x"}
    text = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department pr"
    assert not matches_resource(parse_filter(text), resource, USER_RESOURCE)


def test_stored_value_of_the_wrong_type_never_matches() -> None:
    """A boolean stored in a string attribute matches no comparison."""
    assert not matches_resource(parse_filter('userName ne "x"'), {"userName": True}, USER_RESOURCE)


def test_empty_complex_value_is_not_present() -> None:
    """pr is false for an empty object and an empty list."""
    assert not matches_resource(parse_filter("name pr"), {"name": {}}, USER_RESOURCE)
    assert not matches_resource(parse_filter("emails pr"), {"emails": []}, USER_RESOURCE)


def test_boolean_false_is_present() -> None:
    """pr is true for false: it is a value, not an unassigned one."""
    assert matches_resource(parse_filter("active pr"), {"active": False}, USER_RESOURCE)


def test_boolean_refuses_other_values() -> None:
    """A boolean compares only with true, false or their strings; other stored values never match."""
    assert not matches_resource(parse_filter("active eq true"), {"active": "yes"}, USER_RESOURCE)
    with pytest.raises(InvalidFilter, match="compare it with true or false"):
        resource_predicate(parse_filter("active eq 1"), USER_RESOURCE)


def test_integer_comparisons() -> None:
    """Integers compare numerically, and a number of the other kind compares too."""
    assert gadget("size gt 2", {"size": 10})
    assert gadget("size eq 10.0", {"size": 10})
    assert not gadget("size lt 2", {"size": 10})


def test_decimal_refuses_booleans() -> None:
    """A boolean is not a number, stored or compared."""
    assert not gadget("weight eq 1", {"weight": True})
    with pytest.raises(InvalidFilter, match="compare it with a number"):
        gadget("weight eq true", {})


def test_number_refuses_substring_operators() -> None:
    """co, sw and ew do not apply to numbers."""
    with pytest.raises(InvalidFilter, match="size: an integer takes eq, ge, gt, le, lt, ne"):
        gadget("size co 1", {})


def test_case_exact_string_compares_exactly() -> None:
    """A caseExact attribute compares without folding case."""
    assert gadget('code eq "AbC"', {"code": "AbC"})
    assert not gadget('code eq "abc"', {"code": "AbC"})


def test_binary_compares_exactly_and_refuses_ordering() -> None:
    """Binary values compare as case-exact strings; gt/ge/lt/le are refused (RFC 7644 §3.4.2.2)."""
    assert gadget('blob sw "QUJD"', {"blob": "QUJDRA=="})
    assert not gadget('blob eq "qujdra=="', {"blob": "QUJDRA=="})
    with pytest.raises(InvalidFilter, match="binary"):
        gadget('blob gt "A"', {})


def test_datetime_without_offset_is_read_as_utc() -> None:
    """A dateTime without an offset, stored or compared, is an instant in UTC."""
    assert gadget('builtAt eq "2020-01-01T01:00:00+01:00"', {"builtAt": "2020-01-01T00:00:00"})


def test_unparseable_stored_datetime_never_matches() -> None:
    """A stored dateTime that does not parse matches nothing."""
    assert not gadget('builtAt ne "2020-01-01T00:00:00Z"', {"builtAt": "soon"})
    assert not gadget('builtAt ne "2020-01-01T00:00:00Z"', {"builtAt": 5})


def test_simple_multi_valued_attribute_matches_any_value() -> None:
    """A multi-valued simple attribute matches when any of its values does."""
    assert gadget('tags eq "Blue"', {"tags": ["red", "blue"]})
    assert not gadget('tags eq "green"', {"tags": ["red", "blue"]})


def test_single_value_of_a_multi_valued_attribute_counts_as_one() -> None:
    """A lone value where a list belongs is read as a list of one."""
    assert gadget('tags eq "red"', {"tags": "red"})


def test_predicate_is_reusable() -> None:
    """A compiled predicate answers for many resources."""
    predicate = resource_predicate(parse_filter('userName sw "b"'), USER_RESOURCE)
    assert [predicate(resource) for resource in RESOURCES.values()] == [True, False, False]
