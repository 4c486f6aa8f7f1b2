"""List and search requests read from query parameters and `SearchRequest` bodies (RFC 7644 §3.4.2, §3.4.3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from scimkeeper.scim.errors import ERROR_SCHEMA, ScimError
from scimkeeper.scim.filter import And, AttrPath, Compare, Present
from scimkeeper.scim.listing import IndexPage
from scimkeeper.scim.query import SEARCH_REQUEST_URN, ListRequest, QueryLimits, from_query, from_search_body

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
LIMITS = QueryLimits(default_count=20, max_count=100)


def query(**params: str) -> ListRequest:
    return from_query(params, LIMITS)


def search(**fields: object) -> ListRequest:
    return from_search_body(fields, LIMITS)


def refusal(call: Callable[[], object]) -> dict[str, Any]:
    """The SCIM Error document the call raises."""
    with pytest.raises(ScimError) as caught:
        call()
    return caught.value.to_document()


def error(scim_type: str, detail: str) -> dict[str, Any]:
    return {"schemas": [ERROR_SCHEMA], "status": "400", "scimType": scim_type, "detail": detail}


# --- query parameters ----------------------------------------------------------------------------------------


def test_no_parameters_ask_for_the_first_page_of_default_size_unfiltered_and_unsorted() -> None:
    """Without parameters: no filter, no order, startIndex 1, the default count, index paging, every attribute."""
    assert query() == ListRequest(page=IndexPage(1, 20))


def test_every_parameter_is_read() -> None:
    """filter, sortBy, sortOrder, startIndex, count, attributes and excludedAttributes all land in the request."""
    request = query(
        filter='userName eq "ada@acme.com"',
        sortBy="name.familyName",
        sortOrder="descending",
        startIndex="3",
        count="7",
        attributes="userName,emails",
        excludedAttributes="meta",
    )
    assert request == ListRequest(
        filter=Compare(AttrPath(None, "userName"), "eq", "ada@acme.com"),
        sort_by=AttrPath(None, "name", "familyName"),
        descending=True,
        page=IndexPage(3, 7),
        attributes=("userName", "emails"),
        excluded=("meta",),
    )


def test_parameter_names_are_case_sensitive() -> None:
    """RFC 7644 writes the parameters in camelCase; other spellings are not read."""
    assert query(SortBy="userName", COUNT="5", Filter="title pr") == query()


def test_count_is_clamped_to_the_maximum() -> None:
    """A count above the server's maximum is served as the maximum (RFC 7644 §3.4.2.4)."""
    assert query(count="5000").page == IndexPage(1, 100)


def test_non_integer_start_index_is_invalid_value() -> None:
    """startIndex that is not an integer is refused as invalidValue, naming the parameter."""
    assert refusal(lambda: query(startIndex="two")) == error("invalidValue", "startIndex must be an integer, got 'two'")


def test_invalid_filter_is_invalid_filter() -> None:
    """A filter that does not parse is a 400 invalidFilter giving the position."""
    assert refusal(lambda: query(filter="userName eq")) == error(
        "invalidFilter",
        "Invalid filter at position 12: expected a comparison value "
        '(a JSON string in double quotes, a number, true, false or null) after "eq", found end of filter',
    )


def test_filter_longer_than_the_limit_is_refused() -> None:
    """The filter's length limit comes from the query limits."""
    limits = QueryLimits(default_count=20, max_count=100, max_filter_length=10)
    assert from_query({"filter": "title pr"}, limits).filter == Present(AttrPath(None, "title"))
    assert refusal(lambda: from_query({"filter": "displayName pr"}, limits)) == error(
        "invalidFilter", "Invalid filter: the filter is 14 characters; the limit is 10"
    )


def test_filter_deeper_than_the_limit_is_refused() -> None:
    """The nesting limit comes from the query limits."""
    limits = QueryLimits(default_count=20, max_count=100, max_filter_depth=1)
    assert from_query({"filter": "(title pr)"}, limits).filter == Present(AttrPath(None, "title"))
    assert refusal(lambda: from_query({"filter": "((title pr))"}, limits)) == error(
        "invalidFilter", "Invalid filter at position 2: nesting is too deep; the limit is 1 levels"
    )


def test_filter_with_more_comparisons_than_the_limit_is_refused() -> None:
    """The comparison limit comes from the query limits."""
    limits = QueryLimits(default_count=20, max_count=100, max_filter_comparisons=2)
    title_and_nick = And(Present(AttrPath(None, "title")), Present(AttrPath(None, "nickName")))
    assert from_query({"filter": "title pr and nickName pr"}, limits).filter == title_and_nick
    detail = refusal(lambda: from_query({"filter": "title pr and nickName pr and userType pr"}, limits))["detail"]
    assert detail.endswith(": more than 2 comparisons; the limit is 2")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("userName", AttrPath(None, "userName")),
        ("  userName ", AttrPath(None, "userName")),
        ("name.familyName", AttrPath(None, "name", "familyName")),
        (f"{CORE}:name.familyName", AttrPath(CORE, "name", "familyName")),
    ],
)
def test_sort_by_names_an_attribute(text: str, expected: AttrPath) -> None:
    """sortBy is an attribute path: a name, a dotted sub-attribute or a URN-qualified one; spaces around are ignored."""
    assert query(sortBy=text).sort_by == expected


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_sort_by_means_no_order(text: str) -> None:
    """An empty sortBy is the same as none."""
    assert query(sortBy=text).sort_by is None


@pytest.mark.parametrize("text", ['emails[type eq "work"]', 'emails[type eq "work"].value'])
def test_sort_by_a_value_filter_is_invalid_value(text: str) -> None:
    """sortBy names one attribute; a value filter has no single value to sort by."""
    assert refusal(lambda: query(sortBy=text)) == error(
        "invalidValue", f"sortBy must name an attribute, not a value filter: {text!r}."
    )


def test_sort_by_in_a_value_filter_error_is_cut_to_80_characters() -> None:
    """The detail quotes at most 80 characters of what was sent."""
    text = f'emails[value eq "{"x" * 200}"]'
    assert refusal(lambda: query(sortBy=text))["detail"] == (
        f"sortBy must name an attribute, not a value filter: {text[:80]!r}."
    )


def test_malformed_sort_by_is_invalid_path() -> None:
    """sortBy that is no attribute path at all is refused by the path parser."""
    assert refusal(lambda: query(sortBy="1st")) == error(
        "invalidPath",
        "Invalid path at position 1: expected an attribute path such as userName, name.familyName or urn:…:attribute, "
        'found "1st"',
    )


@pytest.mark.parametrize(
    ("text", "descending"),
    [("ascending", False), ("descending", True), (" DESCENDING ", True), ("Ascending", False), ("", False)],
)
def test_sort_order_is_ascending_or_descending_in_any_case(text: str, descending: bool) -> None:
    """sortOrder is read case-insensitively, spaces around ignored; empty means ascending (RFC 7644 §3.4.2.3)."""
    assert query(sortOrder=text).descending is descending


@pytest.mark.parametrize(("text", "quoted"), [("up", "'up'"), ("d" * 50, repr("d" * 40))])
def test_other_sort_order_is_invalid_value(text: str, quoted: str) -> None:
    """Any other sortOrder is refused, quoting at most 40 characters of it."""
    assert refusal(lambda: query(sortOrder=text)) == error(
        "invalidValue", f'sortOrder must be "ascending" or "descending", got {quoted}.'
    )


def test_attribute_lists_are_split_on_commas_and_trimmed() -> None:
    """attributes and excludedAttributes are comma-separated; spaces and empty entries are dropped."""
    request = query(attributes=" userName , ,name.givenName,", excludedAttributes=",")
    assert (request.attributes, request.excluded) == (("userName", "name.givenName"), ())


# --- cursor paging (RFC 9865) ----------------------------------------------------------------------------------


def test_no_cursor_parameter_means_index_paging() -> None:
    """cursor absent: index paging (None)."""
    assert query(count="5").cursor is None


@pytest.mark.parametrize("text", ["", "  "])
def test_empty_cursor_asks_for_the_first_page_of_cursor_paging(text: str) -> None:
    """cursor= (empty) starts cursor paging; the page size is still count."""
    request = query(cursor=text, count="5")
    assert (request.cursor, request.page) == ("", IndexPage(1, 5))


def test_cursor_is_trimmed() -> None:
    """Spaces around a cursor are not part of it."""
    assert query(cursor=" abc ").cursor == "abc"


def test_cursor_and_start_index_together_are_invalid_value() -> None:
    """The two paging methods do not mix."""
    assert refusal(lambda: query(cursor="", startIndex="2")) == error(
        "invalidValue", "Use either cursor or startIndex, not both."
    )


def test_cursor_with_an_empty_start_index_is_accepted() -> None:
    """An empty startIndex counts as absent, so it does not conflict with a cursor."""
    assert query(cursor="abc", startIndex=" ").cursor == "abc"


def test_negative_count_with_a_cursor_is_invalid_count() -> None:
    """Index paging reads a negative count as 0; cursor paging refuses it (RFC 9865 §4)."""
    assert query(count="-1").page.count == 0
    assert refusal(lambda: query(cursor="", count=" -1")) == error(
        "invalidCount", "count must be between 0 and 100 with cursor paging."
    )


def test_zero_count_with_a_cursor_is_accepted() -> None:
    """count=0 asks for the total only, with cursors as with indexes."""
    assert query(cursor="", count="0").page.count == 0


# --- SearchRequest bodies ----------------------------------------------------------------------------------------


def test_search_body_reads_like_the_query_parameters() -> None:
    """A POST .search body and the same GET parameters make the same request."""
    body = search(
        schemas=[SEARCH_REQUEST_URN],
        filter="title pr",
        sortBy="userName",
        sortOrder="descending",
        startIndex=2,
        count=10,
        attributes=["userName", "emails"],
        excludedAttributes=["meta"],
        cursor=None,
    )
    assert body == query(
        filter="title pr",
        sortBy="userName",
        sortOrder="descending",
        startIndex="2",
        count="10",
        attributes="userName,emails",
        excludedAttributes="meta",
    )


def test_search_body_keys_and_schema_are_case_insensitive() -> None:
    """RFC 7643 §2.1: attribute names and URNs match in any case."""
    request = from_search_body({"SCHEMAS": [SEARCH_REQUEST_URN.upper()], "SortBy": "userName", "COUNT": 3}, LIMITS)
    assert (request.sort_by, request.page) == (AttrPath(None, "userName"), IndexPage(1, 3))


def test_search_body_without_schemas_is_accepted() -> None:
    """schemas is optional in a search body."""
    assert search() == query()


def test_search_body_cursor_is_read() -> None:
    """A body can ask for cursor paging too."""
    assert search(cursor="", count=5).cursor == ""


@pytest.mark.parametrize("body", [[], "filter=title pr", None])
def test_search_body_that_is_not_an_object_is_invalid_syntax(body: object) -> None:
    """The body must be a JSON object."""
    assert refusal(lambda: from_search_body(body, LIMITS)) == error(
        "invalidSyntax", "A search request body must be a JSON object."
    )


def test_unknown_search_attribute_is_invalid_syntax_naming_it() -> None:
    """An attribute of no SearchRequest is refused by (lower-cased) name, the first in order."""
    assert refusal(lambda: search(Zeta=1, Sort="userName")) == error(
        "invalidSyntax", "Unknown search request attribute 'sort'."
    )


@pytest.mark.parametrize("schemas", [SEARCH_REQUEST_URN, [CORE], []])
def test_search_body_schemas_must_list_the_search_request_urn(schemas: object) -> None:
    """schemas, when given, is a list containing the SearchRequest URN."""
    assert refusal(lambda: search(schemas=schemas)) == error(
        "invalidSyntax", f"A search request's schemas must contain {SEARCH_REQUEST_URN}."
    )


@pytest.mark.parametrize("key", ["filter", "sortBy", "sortOrder", "cursor"])
def test_search_text_fields_must_be_strings(key: str) -> None:
    """filter, sortBy, sortOrder and cursor are strings; the detail names the key as lower-cased."""
    assert refusal(lambda: search(**{key: 1})) == error(
        "invalidValue", f"{key.lower()} must be a string in a search request."
    )


@pytest.mark.parametrize("key", ["startIndex", "count"])
@pytest.mark.parametrize("value", ["2", 2.0, True, [2]])
def test_search_numbers_must_be_integers(key: str, value: object) -> None:
    """startIndex and count are JSON integers; strings, fractions and booleans are refused."""
    assert refusal(lambda: search(**{key: value})) == error(
        "invalidValue", f"{key.lower()} must be an integer in a search request."
    )


def test_search_count_is_clamped_like_the_query_parameter() -> None:
    """Integers go through the same paging rules as query text."""
    assert search(startIndex=-4, count=5000).page == IndexPage(1, 100)


def test_search_attributes_are_a_list_of_names_trimmed() -> None:
    """attributes and excludedAttributes are lists of names; blank entries are dropped."""
    request = search(attributes=[" userName ", ""], excludedAttributes=["meta", " "])
    assert (request.attributes, request.excluded) == (("userName",), ("meta",))


def test_search_attributes_as_a_comma_separated_string_are_accepted() -> None:
    """Leniently, a string is read as in the query form."""
    assert search(excludedAttributes="emails, meta").excluded == ("emails", "meta")


@pytest.mark.parametrize("value", [7, {"userName": True}, ["userName", 7]])
def test_search_attributes_of_another_type_are_invalid_value(value: object) -> None:
    """Anything but a string or a list of strings is refused."""
    assert refusal(lambda: search(attributes=value)) == error(
        "invalidValue", "attributes must be a list of attribute names in a search request."
    )


def test_null_search_fields_count_as_absent() -> None:
    """JSON null is the same as leaving the attribute out."""
    nulls = dict.fromkeys(("filter", "sortBy", "sortOrder", "startIndex", "count", "attributes", "excludedAttributes"))
    assert search(**nulls) == query()


# --- fingerprint --------------------------------------------------------------------------------------------


def test_fingerprint_is_sixteen_hex_digits() -> None:
    """The fingerprint is short enough to travel inside every cursor."""
    fingerprint = query().fingerprint
    assert len(fingerprint) == 16
    assert int(fingerprint, 16) >= 0


def test_fingerprint_ignores_the_page_and_the_attributes() -> None:
    """A cursor stays valid when the client changes count or the attributes it asks for."""
    first = query(filter="title pr", sortBy="userName", count="5", cursor="")
    other = query(filter="title pr", sortBy="userName", count="50", cursor="x", attributes="id", excludedAttributes="m")
    assert first.fingerprint == other.fingerprint


def test_fingerprint_ignores_the_case_of_sort_by() -> None:
    """sortBy=USERNAME orders the same way as sortBy=userName."""
    assert query(sortBy="USERNAME").fingerprint == query(sortBy="userName").fingerprint


@pytest.mark.parametrize(
    "change",
    [{"filter": "title pr"}, {"sortBy": "displayName"}, {"sortOrder": "descending"}],
    ids=["filter", "sortBy", "sortOrder"],
)
def test_fingerprint_changes_with_the_filter_and_the_order(change: dict[str, str]) -> None:
    """A cursor of one listing is refused by another: the filter, the sort attribute and the direction count."""
    base = {"filter": "nickName pr", "sortBy": "userName", "sortOrder": "ascending"}
    assert query(**{**base, **change}).fingerprint != query(**base).fingerprint
