"""Filter templates and values: what a compiled filter is cached by, and what it binds."""

from __future__ import annotations

import pytest

from scimkeeper.scim.filter import filter_shape, filter_template, filter_values, parse_filter


@pytest.mark.parametrize(
    ("text", "template"),
    [
        ('userName eq "ada@acme.com"', "userName eq <string>"),
        ("active eq true", "active eq <boolean>"),
        ("x gt 5", "x gt <integer>"),
        ("x gt 5.5", "x gt <decimal>"),
        ("title eq null", "title eq null"),
        ("title pr", "title pr"),
    ],
)
def test_template_replaces_each_value_by_its_json_type(text: str, template: str) -> None:
    """Strings, booleans, integers and decimals become their type; null stays, as it compiles differently."""
    assert filter_template(parse_filter(text)) == template


def test_filters_differing_only_in_values_share_a_template() -> None:
    """Two lookups of different users compile to one statement."""
    first = parse_filter('userName eq "ada@acme.com" and not (emails[type eq "work"])')
    second = parse_filter('userName eq "bob@acme.com" and not (emails[type eq "home"])')
    assert (
        filter_template(first) == filter_template(second) == ("userName eq <string> and not (emails[type eq <string>])")
    )


def test_filters_differing_in_a_value_type_do_not_share_a_template() -> None:
    """A number and a string compare differently in SQL: another template."""
    assert filter_template(parse_filter('x eq "5"')) != filter_template(parse_filter("x eq 5"))


def test_template_is_not_the_logged_shape() -> None:
    """The log shows `?` for every value; the template keeps the types."""
    f = parse_filter("active eq true")
    assert (filter_shape(f), filter_template(f)) == ("active eq ?", "active eq <boolean>")


def test_values_come_in_the_order_they_are_written() -> None:
    """Through and, or, not and value filters, values are listed left to right, presence tests giving none."""
    f = parse_filter(
        '(a eq 1 or title pr) and not (b eq "two") and emails[type eq "work" and primary eq true] or c eq null'
    )
    assert filter_values(f) == [1, "two", "work", True, None]


def test_a_filter_without_comparisons_has_no_values() -> None:
    """Presence tests bind nothing."""
    assert filter_values(parse_filter("title pr and not (nickName pr)")) == []
