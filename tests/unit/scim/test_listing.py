"""Index paging and ListResponse (RFC 7644 §3.4.2, §3.4.2.4)."""

from __future__ import annotations

import pytest
from scim2_models import Context, EnterpriseUser, ListResponse, User

from scimkeeper.scim.errors import InvalidValue
from scimkeeper.scim.listing import (
    LIST_RESPONSE_URN,
    MAX_START_INDEX,
    IndexPage,
    list_response,
    parse_index_paging,
)
from tests.documents import user


def page(start_index: str | None, count: str | None) -> IndexPage:
    return parse_index_paging(start_index, count, default_count=100, max_count=500)


def test_absent_parameters_give_the_first_page_of_default_size() -> None:
    """Without startIndex and count the page starts at 1 with the default size."""
    assert page(None, None) == IndexPage(start_index=1, count=100)


def test_given_parameters_are_used() -> None:
    """startIndex and count within bounds are taken as given, surrounding spaces and signs allowed."""
    assert page(" 11 ", "+20") == IndexPage(start_index=11, count=20)


def test_empty_parameters_count_as_absent() -> None:
    """Empty startIndex and count parameters are the same as leaving them out."""
    assert page("", " ") == IndexPage(start_index=1, count=100)


@pytest.mark.parametrize("start_index", ["0", "-5"])
def test_start_index_below_one_means_one(start_index: str) -> None:
    """A startIndex below 1 is read as 1 (RFC 7644 §3.4.2.4)."""
    assert page(start_index, None).start_index == 1


def test_negative_count_means_zero() -> None:
    """A negative count is read as 0 (RFC 7644 §3.4.2.4)."""
    assert page(None, "-3").count == 0


def test_count_above_the_maximum_is_clamped() -> None:
    """A count above max_count is reduced to max_count."""
    assert page(None, "501").count == 500


def test_default_count_above_the_maximum_is_clamped() -> None:
    """A default larger than the maximum is reduced too."""
    assert parse_index_paging(None, None, default_count=900, max_count=500).count == 500


def test_huge_numbers_are_clamped_without_overflow() -> None:
    """Digits beyond any integer type clamp to the bounds."""
    huge = "9" * 5000
    assert page(huge, huge) == IndexPage(start_index=MAX_START_INDEX, count=500)
    assert page(f"-{huge}", f"-{huge}") == IndexPage(start_index=1, count=0)


def test_start_index_just_above_the_maximum_is_clamped() -> None:
    """A startIndex that fits a Python int but exceeds the maximum is clamped."""
    assert page("99999999999999999999", None).start_index == MAX_START_INDEX


@pytest.mark.parametrize(
    ("start_index", "count", "detail"),
    [
        ("abc", None, "startIndex must be an integer, got 'abc'"),
        (None, "1.5", "count must be an integer, got '1.5'"),
        (None, "1_000", "count must be an integer, got '1_000'"),
        (None, "١٢", "count must be an integer, got '١٢'"),
    ],
)
def test_non_integer_text_is_invalid_value(start_index: str | None, count: str | None, detail: str) -> None:
    """Text that is not a plain decimal integer is an invalidValue error naming the parameter."""
    with pytest.raises(InvalidValue) as caught:
        page(start_index, count)
    assert caught.value.detail == detail


def test_list_response_counts_the_resources_on_the_page() -> None:
    """itemsPerPage is the number of resources returned, totalResults what the caller says."""
    resources = [user("a", id="1")]
    assert list_response(resources, total_results=7, start_index=3) == {
        "schemas": [LIST_RESPONSE_URN],
        "totalResults": 7,
        "startIndex": 3,
        "itemsPerPage": 1,
        "Resources": resources,
    }


def test_empty_list_response_still_has_resources() -> None:
    """An empty page carries "Resources": []."""
    assert list_response([], total_results=0, start_index=1)["Resources"] == []


def test_list_response_is_valid_for_scim2_models() -> None:
    """scim2_models reads the ListResponse as a search response."""
    resources = [user("a", id="1")]
    document = list_response(resources, total_results=1, start_index=1)
    parsed = ListResponse[User[EnterpriseUser]].model_validate(document, scim_ctx=Context.SEARCH_RESPONSE)
    assert parsed.resources is not None
    assert parsed.resources[0].user_name == "a"


def test_cursor_list_response_has_cursors_and_no_start_index() -> None:
    """RFC 9865: a cursor page names the next and previous cursors that exist, and no startIndex."""
    document = list_response([], total_results=4, start_index=None, next_cursor="n", previous_cursor="p")
    assert document == {
        "schemas": [LIST_RESPONSE_URN],
        "totalResults": 4,
        "itemsPerPage": 0,
        "nextCursor": "n",
        "previousCursor": "p",
        "Resources": [],
    }


def test_first_and_last_cursor_pages_leave_out_the_cursor_that_does_not_exist() -> None:
    """The first page has no previousCursor, the last no nextCursor."""
    first = list_response([], total_results=4, start_index=None, next_cursor="n")
    last = list_response([], total_results=4, start_index=None, previous_cursor="p")
    assert ("nextCursor" in first, "previousCursor" in first) == (True, False)
    assert ("nextCursor" in last, "previousCursor" in last) == (False, True)
