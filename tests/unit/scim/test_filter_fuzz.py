"""Property tests for the SCIM filter parser (RFC 7644 §3.4.2.2): total on any input, and printing round-trips."""

from __future__ import annotations

import contextlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from scimkeeper.scim.errors import InvalidFilter, InvalidPath
from scimkeeper.scim.filter import (
    MAX_DEPTH_CEILING,
    And,
    AttrPath,
    Compare,
    CompValue,
    Filter,
    Not,
    Or,
    Present,
    ValuePath,
    filter_shape,
    format_attr_path,
    format_filter,
    parse_filter,
    parse_path,
)

RESERVED = {"and", "or", "not", "pr", "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"}
FRAGMENTS = [
    "userName", "emails", "type", "value", "name.familyName", "urn:ietf:params:scim:schemas:core:2.0:User:name",
    "eq", "ne", "co", "sw", "gt", "le", "pr", "and", "or", "not", "AND", "Not",
    "(", ")", "[", "]", "].", ".value", '"x"', '"a\\"b"', '"\\ud83d\\ude00"', "\\u12", '"', "\\",
    "1", "-2.5e3", "01", "true", "NULL", "$ref", ":", ".", " ", "\t",
]  # fmt: skip
LENIENT = {"max_length": 100_000, "max_depth": MAX_DEPTH_CEILING, "max_comparisons": 100_000}

names = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,6}", fullmatch=True).filter(lambda n: n.lower() not in RESERVED)
urns = st.sampled_from(
    ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]
)
values = st.text() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.booleans() | st.none()
ops = st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"])
absolute_paths = st.builds(AttrPath, st.none() | urns, names | st.just("$ref"), st.none() | names)
relative_paths = st.builds(AttrPath, st.none(), names | st.just("$ref"), st.none())


def combined(leaves: st.SearchStrategy[Filter]) -> st.SearchStrategy[Filter]:
    return st.recursive(
        leaves,
        lambda inner: st.builds(And, inner, inner) | st.builds(Or, inner, inner) | st.builds(Not, inner),
        max_leaves=8,
    )


def attr_exps(paths: st.SearchStrategy[AttrPath]) -> st.SearchStrategy[Filter]:
    return st.builds(Compare, paths, ops, values) | st.builds(Present, paths)


relative_filters = combined(attr_exps(relative_paths))
value_paths = st.builds(ValuePath, st.builds(AttrPath, st.none() | urns, names), relative_filters)
filters = combined(attr_exps(absolute_paths) | value_paths)
token_soup = st.lists(st.sampled_from(FRAGMENTS), max_size=25).map(" ".join) | st.lists(
    st.sampled_from(FRAGMENTS), max_size=25
).map("".join)


@settings(max_examples=500, database=None)
@given(st.text(alphabet=st.characters() | st.sampled_from(list('()[]"\\. :$')), max_size=80))
def test_any_text_parses_or_raises_invalid_filter(text: str) -> None:
    """Random text either parses or raises InvalidFilter, never anything else."""
    with contextlib.suppress(InvalidFilter):
        parse_filter(text)


@settings(max_examples=1000, database=None)
@given(token_soup)
def test_any_token_soup_parses_or_raises_invalid_filter(text: str) -> None:
    """Random sequences of filter fragments either parse, and print back to the same AST, or raise InvalidFilter."""
    try:
        parsed = parse_filter(text)
    except InvalidFilter:
        return
    assert repr(parse_filter(format_filter(parsed), **LENIENT)) == repr(parsed)


@settings(max_examples=500, database=None)
@given(token_soup)
def test_any_token_soup_parses_as_a_path_or_raises_invalid_path(text: str) -> None:
    """Random sequences of filter fragments either parse as a PATCH path or raise InvalidPath."""
    with contextlib.suppress(InvalidPath):
        parse_path(text)


@settings(max_examples=300, database=None)
@given(filters)
def test_formatted_filter_parses_back_to_the_same_ast(f: Filter) -> None:
    """Any AST the parser can produce survives format_filter and parse_filter unchanged."""
    assert repr(parse_filter(format_filter(f), **LENIENT)) == repr(f)


@settings(max_examples=300, database=None)
@given(filters)
def test_shape_is_the_canonical_text_with_values_masked(f: Filter) -> None:
    """filter_shape prints what format_filter prints, with `?` wherever a value stood."""
    assert filter_shape(f) == format_filter(_mark_values(f)).replace('"\\u0000"', "?")


def _mark_values(f: Filter) -> Filter:
    """The same filter with every value replaced by a NUL string, which no name can contain."""
    match f:
        case Compare(path, op, _):
            return Compare(path, op, "\x00")
        case Present():
            return f
        case And(left, right):
            return And(_mark_values(left), _mark_values(right))
        case Or(left, right):
            return Or(_mark_values(left), _mark_values(right))
        case Not(inner):
            return Not(_mark_values(inner))
        case ValuePath(path, inner):
            return ValuePath(path, _mark_values(inner))


@st.composite
def renderings(draw: st.DrawFn) -> tuple[Filter, str]:
    """A filter and one way of writing it: any keyword case, any whitespace, redundant parentheses, escapes."""
    tree = draw(filters)
    return tree, _render(tree, draw)


def _render(f: Filter, draw: st.DrawFn, *, may_wrap: bool = True) -> str:
    space = draw(st.sampled_from([" ", "  ", "\t", " \r\n "]))
    pad = draw(st.sampled_from(["", " ", "\t"]))
    match f:
        case Compare(path, op, value):
            text = f"{format_attr_path(path)}{space}{_case(op, draw)}{space}{_render_value(value, draw)}"
        case Present(path):
            text = f"{format_attr_path(path)}{space}{_case('pr', draw)}"
        case And(left, right) | Or(left, right):
            keyword = _case("and" if isinstance(f, And) else "or", draw)
            text = f"({pad}{_render(left, draw)}{space}{keyword}{space}{_render(right, draw)}{pad})"
        case Not(inner):
            text = f"{_case('not', draw)}{pad}({pad}{_render(inner, draw)}{pad})"
        case ValuePath(path, And(left, Compare() | Present() as last)) if draw(st.booleans()):
            trailing = _render(last, draw, may_wrap=False)  # Entra's form: emails[type eq "work"].value eq "x"
            text = f"{format_attr_path(path)}{pad}[{pad}{_render(left, draw)}{pad}].{trailing}"
        case ValuePath(path, inner):
            text = f"{format_attr_path(path)}{pad}[{pad}{_render(inner, draw)}{pad}]"
    wrap = may_wrap and draw(st.booleans())
    return f"({pad}{text}{pad})" if wrap else text


def _case(word: str, draw: st.DrawFn) -> str:
    return draw(st.sampled_from([word, word.upper(), word.title()]))


def _render_value(value: CompValue, draw: st.DrawFn) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=draw(st.booleans()))
    return _case(json.dumps(value), draw)


@settings(max_examples=500, database=None)
@given(renderings())
def test_any_rendering_of_a_filter_parses_to_it(case: tuple[Filter, str]) -> None:
    """Keyword case, whitespace, redundant parentheses, escapes and Entra's trailing form do not change the AST."""
    tree, text = case
    assert repr(parse_filter(text, **LENIENT)) == repr(tree)
