"""SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2): a linear-time parser to an immutable AST.

Limits, each an `invalidFilter` (`invalidPath` for paths): 2048 characters; nesting of "(", "not (" and "["
10 deep; 50 comparisons and presence tests. Choices where the RFC is silent are listed in the comment below.
"""

# Choices where RFC 7644 is silent or loose (keep in step with the project's list of deviations):
# - Keywords (and, or, not, pr, the comparison operators) and the literals true, false and null are
#   case-insensitive. Attribute names keep the case they were written in; they are resolved case-insensitively
#   later.
# - Whitespace is space, tab, CR or LF, any amount; it is only required where two words would run together.
# - and, or, not, pr and the comparison operators are reserved: never attribute names.
# - Numbers follow JSON (RFC 8259 §6): no fraction or exponent gives an int, otherwise a float; a float that
#   overflows to infinity is an error. Strings follow JSON: raw control characters and unpaired surrogates
#   are errors.
# - Inside "[...]" only bare sub-attribute names are allowed, and "[...]" cannot follow a sub-attribute.
# - `emails[type eq "work"].value eq "x"` (sent by Entra ID) is accepted and folds into the brackets.
# - Error details quote the offending word but never a string literal or a comparison value.

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias, get_args

from scimkeeper.scim.errors import InvalidFilter, InvalidPath

CompareOp: TypeAlias = Literal["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]
CompValue: TypeAlias = str | int | float | bool | None


@dataclass(frozen=True)
class AttrPath:
    """`[urn ":"] attr ["." sub_attr]`; names as written, matched case-insensitively later."""

    urn: str | None
    attr: str
    sub_attr: str | None = None


@dataclass(frozen=True)
class Compare:
    path: AttrPath
    op: CompareOp
    value: CompValue


@dataclass(frozen=True)
class Present:
    path: AttrPath


@dataclass(frozen=True)
class And:
    left: Filter
    right: Filter


@dataclass(frozen=True)
class Or:
    left: Filter
    right: Filter


@dataclass(frozen=True)
class Not:
    filter: Filter


@dataclass(frozen=True)
class ValuePath:
    """`emails[type eq "work"]`: the paths inside `filter` name sub-attributes of `path`."""

    path: AttrPath
    filter: Filter


Filter: TypeAlias = Compare | Present | And | Or | Not | ValuePath


@dataclass(frozen=True)
class PatchPath:
    """`PATH = attrPath / valuePath [subAttr]`: `emails[type eq "work"].value` is (emails, filter, value)."""

    path: AttrPath
    value_filter: Filter | None = None
    sub_attr: str | None = None


MAX_DEPTH_CEILING: Final = 100  # keeps the recursive descent far below Python's recursion limit

_COMPARE_OPS: Final[dict[str, CompareOp]] = {op: op for op in get_args(CompareOp)}
_RESERVED: Final = frozenset({"and", "or", "not", "pr", *_COMPARE_OPS})
_KEYWORD_VALUES: Final[dict[str, CompValue]] = {"true": True, "false": False, "null": None}
_ESCAPES: Final = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_HEX: Final = frozenset("0123456789abcdefABCDEF")
_SPACE: Final = frozenset(" \t\r\n")
_PUNCTUATION: Final[dict[str, Literal["(", ")", "[", "]"]]] = {"(": "(", ")": ")", "[": "[", "]": "]"}
_WORD_END: Final = _SPACE | set(_PUNCTUATION) | {'"'}
_OPENER: Final = {")": "(", "]": "["}
# None of these can backtrack: each position has at most one way to match.
_ATTR_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_URN_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_URN_SEGMENT: Final = re.compile(r"[A-Za-z0-9._~+%-]+")
_NUMBER: Final = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_EXPECTED_OP: Final = 'a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or "pr"'
_EXPECTED_VALUE: Final = "a comparison value (a JSON string in double quotes, a number, true, false or null)"
_UNQUOTED: Final = "unquoted text (strings take double quotes)"
_EXPECTED_ATTR: Final = 'an attribute path, "(" or "not ("'


def parse_filter(text: str, *, max_length: int = 2048, max_depth: int = 10, max_comparisons: int = 50) -> Filter:
    """Parse a `filter` parameter; raise InvalidFilter giving the 1-based position and what was expected.

    `emails[type eq "work"].value eq "x"` parses as `emails[type eq "work" and value eq "x"]`: both
    conditions hold for the same element, which is what Entra ID means by it.
    """
    try:
        return _Parser(text, "filter", max_length, max_depth, max_comparisons).filter()
    except _ParseError as error:
        raise InvalidFilter(error.detail("filter")) from None


def parse_path(text: str, *, max_length: int = 2048, max_depth: int = 10, max_comparisons: int = 50) -> PatchPath:
    """Parse a PATCH operation's `path`; raise InvalidPath giving the 1-based position and what was wrong."""
    try:
        return _Parser(text, "path", max_length, max_depth, max_comparisons).patch_path()
    except _ParseError as error:
        raise InvalidPath(error.detail("path")) from None


def format_filter(f: Filter) -> str:
    """Canonical filter text; parsing it gives back an equal AST."""
    return _format(f, _value_text)


def filter_shape(f: Filter) -> str:
    """Canonical filter text with every comparison value replaced by `?`, safe to log."""
    return _format(f, _mask)


def filter_template(f: Filter) -> str:
    """Canonical filter text with each comparison value replaced by its JSON type (`userName eq <string>`).

    Filters with the same template compile to the same SQL with other parameters (`filter_sql.compile_template`).
    """
    return _format(f, _type_tag)


def filter_values(f: Filter) -> list[CompValue]:
    """The comparison values of `f` in the order they are written (the order of `filter_template`'s types)."""
    values: list[CompValue] = []
    pending: list[Filter] = [f]
    while pending:
        match pending.pop():
            case Compare(_, _, value):
                values.append(value)
            case And(left, right) | Or(left, right):
                pending += (right, left)
            case Not(inner) | ValuePath(_, inner):
                pending.append(inner)
            case Present():  # pragma: no branch - Filter is a closed union: nothing falls through
                pass
    return values


def format_path(p: PatchPath) -> str:
    """Canonical PATCH path text; parsing it gives back an equal PatchPath."""
    return _format_patch_path(p, _value_text)


def path_shape(p: PatchPath) -> str:
    """Canonical PATCH path text with every comparison value replaced by `?`, safe to log."""
    return _format_patch_path(p, _mask)


def format_attr_path(path: AttrPath) -> str:
    text = f"{path.urn}:{path.attr}" if path.urn is not None else path.attr
    return f"{text}.{path.sub_attr}" if path.sub_attr is not None else text


# Tokens


class _ParseError(Exception):
    def __init__(self, pos: int | None, message: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message

    def detail(self, noun: str) -> str:
        where = "" if self.pos is None else f" at position {self.pos + 1}"
        return f"Invalid {noun}{where}: {self.message}"


@dataclass(frozen=True)
class _Token:
    kind: Literal["word", "string", "(", ")", "[", "]", "end"]
    text: str  # as written
    pos: int  # 0-based offset into the source
    value: str = ""  # a string literal, decoded


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in _SPACE:
            i += 1
            continue
        if char in _PUNCTUATION:
            token = _Token(_PUNCTUATION[char], char, i)
        elif char == '"':
            token = _read_string(text, i)
        else:
            end = i
            while end < len(text) and text[end] not in _WORD_END:
                end += 1
            token = _Token("word", text[i:end], i)
        tokens.append(token)
        i += len(token.text)
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _read_string(text: str, start: int) -> _Token:
    chars: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == '"':
            return _Token("string", text[start : i + 1], start, "".join(chars))
        if char == "\\":
            if i + 1 == len(text):
                break
            decoded, i = _read_escape(text, i)
            chars.append(decoded)
        elif char < " ":
            raise _ParseError(i, f"a control character (U+{ord(char):04X}) in a string must be escaped")
        else:
            chars.append(char)
            i += 1
    raise _ParseError(start, "unterminated string: expected a closing '\"'")


def _read_escape(text: str, i: int) -> tuple[str, int]:
    """Decode the JSON escape starting at the backslash `text[i]`; return it and the index after it."""
    code = text[i + 1]
    if code in _ESCAPES:
        return _ESCAPES[code], i + 2
    if code != "u":
        raise _ParseError(i, f'invalid escape "\\{code}"; JSON allows \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX')
    unit = _read_hex4(text, i)
    if 0xDC00 <= unit <= 0xDFFF:
        raise _ParseError(i, f"unpaired surrogate \\u{unit:04X}: a low surrogate must follow a high one")
    if not 0xD800 <= unit <= 0xDBFF:
        return chr(unit), i + 6
    low = _read_hex4(text, i + 6) if text.startswith("\\u", i + 6) else -1
    if not 0xDC00 <= low <= 0xDFFF:
        raise _ParseError(i, f"unpaired surrogate \\u{unit:04X}: a low surrogate must follow it")
    return chr(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)), i + 12


def _read_hex4(text: str, i: int) -> int:
    digits = text[i + 2 : i + 6]
    if len(digits) != 4 or not _HEX.issuperset(digits):
        raise _ParseError(i, '"\\u" must be followed by four hexadecimal digits')
    return int(digits, 16)


def _describe(token: _Token, noun: str) -> str:
    match token.kind:
        case "end":
            return f"end of {noun}"
        case "string":
            return "a string"
        case "word":
            return _quote(token.text)
        case _:
            return f'"{token.text}"'


def _quote(word: str) -> str:
    return f'"{word}"' if len(word) <= 40 else f'"{word[:40]}…"'


# Grammar


class _Parser:
    """Recursive descent over the tokens; `outer` is the attribute whose "[...]" is being parsed."""

    def __init__(self, text: str, noun: str, max_length: int, max_depth: int, max_comparisons: int) -> None:
        if not 1 <= max_depth <= MAX_DEPTH_CEILING:
            raise ValueError(f"max_depth must be between 1 and {MAX_DEPTH_CEILING}")
        if len(text) > max_length:
            raise _ParseError(None, f"the {noun} is {len(text)} characters; the limit is {max_length}")
        if _SPACE.issuperset(text):
            raise _ParseError(0, f"the {noun} is empty")
        self._tokens = _tokenize(text)
        self._index = 0
        self._noun = noun
        self._depth = 0
        self._max_depth = max_depth
        self._comparisons = 0
        self._max_comparisons = max_comparisons

    def filter(self) -> Filter:
        result = self._or(None)
        self._expect_end('"and", "or" or end of filter')
        return result

    def patch_path(self) -> PatchPath:
        path = self._attr_path(self._next(), None)
        if self._peek().kind != "[":
            self._expect_end('"[" or end of path')
            return PatchPath(path)
        value_filter = self._brackets(path, None)
        sub_attr = self._trailing_sub_attr()
        self._expect_end("end of path")
        return PatchPath(path, value_filter, None if sub_attr is None else sub_attr.text[1:])

    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _next(self) -> _Token:
        token = self._tokens[self._index]
        if token.kind != "end":  # reading past the end keeps answering "end"
            self._index += 1
        return token

    def _at_keyword(self, keyword: str) -> bool:
        token = self._peek()
        return token.kind == "word" and token.text.lower() == keyword

    def _fail(self, token: _Token, expected: str) -> _ParseError:
        return _ParseError(token.pos, f"expected {expected}, found {_describe(token, self._noun)}")

    def _or(self, outer: AttrPath | None) -> Filter:
        result = self._and(outer)
        while self._at_keyword("or"):
            self._next()
            result = Or(result, self._and(outer))
        return result

    def _and(self, outer: AttrPath | None) -> Filter:
        result = self._unary(outer)
        while self._at_keyword("and"):
            self._next()
            result = And(result, self._unary(outer))
        return result

    def _unary(self, outer: AttrPath | None) -> Filter:
        if self._at_keyword("not"):
            self._next()
            if self._peek().kind != "(":
                raise self._fail(self._peek(), '"(" after "not"')
            return Not(self._group(outer))
        if self._peek().kind == "(":
            return self._group(outer)
        return self._attr_exp(outer)

    def _group(self, outer: AttrPath | None) -> Filter:
        opening = self._enter()
        inner = self._or(outer)
        self._leave(opening, ")")
        return inner

    def _enter(self) -> _Token:
        opening = self._next()
        if self._depth == self._max_depth:
            raise _ParseError(opening.pos, f"nesting is too deep; the limit is {self._max_depth} levels")
        self._depth += 1
        return opening

    def _leave(self, opening: _Token, closing: str) -> None:
        token = self._next()
        if token.kind != closing:
            expected = f'"and", "or" or "{closing}" to close "{opening.text}" at position {opening.pos + 1}'
            raise self._fail(token, expected)
        self._depth -= 1

    def _expect_end(self, expected: str) -> None:
        token = self._peek()
        if token.kind in _OPENER:
            raise _ParseError(token.pos, f'found "{token.text}" with no matching "{_OPENER[token.kind]}"')
        if token.kind != "end":
            raise self._fail(token, expected)

    def _attr_exp(self, outer: AttrPath | None) -> Filter:
        token = self._next()
        path = self._attr_path(token, outer)
        if self._peek().kind != "[":
            return self._comparison(path, token)
        inner = self._brackets(path, outer)
        sub_attr = self._trailing_sub_attr()
        if sub_attr is not None:
            inner = And(inner, self._comparison(AttrPath(None, sub_attr.text[1:]), sub_attr))
        return ValuePath(path, inner)

    def _brackets(self, path: AttrPath, outer: AttrPath | None) -> Filter:
        if outer is not None:
            message = f'value filters cannot be nested: "[" inside "{outer.attr}[...]"'
            raise _ParseError(self._peek().pos, message)
        if path.sub_attr is not None:
            where = _quote(format_attr_path(path))
            raise _ParseError(self._peek().pos, f'"[" must follow a multi-valued attribute, not {where}')
        opening = self._enter()
        inner = self._or(path)
        self._leave(opening, "]")
        return inner

    def _trailing_sub_attr(self) -> _Token | None:
        """The `.value` after `emails[...]`, whose text is checked to be `.` and a name."""
        token = self._peek()
        if token.kind != "word" or not token.text.startswith("."):
            return None
        self._next()
        if not _is_name(token.text[1:]):
            raise self._fail(token, 'a sub-attribute name after "]."')
        return token

    def _attr_path(self, token: _Token, outer: AttrPath | None) -> AttrPath:
        if token.kind != "word" or token.text.lower() in _RESERVED:
            raise self._fail(token, _EXPECTED_ATTR if self._noun == "filter" else "an attribute path")
        if outer is not None:
            if not _is_name(token.text):
                raise self._fail(token, f'a sub-attribute name of "{outer.attr}" inside "[...]"')
            return AttrPath(None, token.text)
        urn, colon, rest = token.text.rpartition(":")
        if colon and not _is_urn(urn):
            raise _ParseError(token.pos, f"invalid schema URN in {_quote(token.text)}")
        attr, dot, sub_attr = rest.partition(".")
        if not _is_name(attr) or (dot and not _is_name(sub_attr)):
            raise self._fail(token, "an attribute path such as userName, name.familyName or urn:…:attribute")
        return AttrPath(urn if colon else None, attr, sub_attr if dot else None)

    def _comparison(self, path: AttrPath, attr: _Token) -> Filter:
        self._comparisons += 1
        if self._comparisons > self._max_comparisons:
            message = f"more than {self._max_comparisons} comparisons; the limit is {self._max_comparisons}"
            raise _ParseError(attr.pos, message)
        token = self._next()
        op = token.text.lower() if token.kind == "word" else ""
        if op == "pr":
            following = self._peek()
            if following.kind == "string" or _is_value_word(following):
                raise _ParseError(following.pos, '"pr" takes no comparison value')
            return Present(path)
        if op not in _COMPARE_OPS:
            raise self._fail(token, f"{_EXPECTED_OP} after {_quote(attr.text)}")
        return Compare(path, _COMPARE_OPS[op], self._value(op))

    def _value(self, op: str) -> CompValue:
        token = self._next()
        if token.kind == "string":
            return token.value
        if _is_value_word(token):
            return _word_value(token)
        found = _UNQUOTED if token.kind == "word" else _describe(token, self._noun)
        raise _ParseError(token.pos, f'expected {_EXPECTED_VALUE} after "{op}", found {found}')


def _is_name(text: str) -> bool:
    return _ATTR_NAME.fullmatch(text) is not None or text.lower() == "$ref"


def _is_urn(text: str) -> bool:
    scheme, colon, rest = text.partition(":")
    segments = rest.split(":")
    return bool(colon) and bool(_URN_SCHEME.fullmatch(scheme)) and all(map(_URN_SEGMENT.fullmatch, segments))


def _is_value_word(token: _Token) -> bool:
    is_literal = token.text.lower() in _KEYWORD_VALUES or _NUMBER.fullmatch(token.text) is not None
    return token.kind == "word" and is_literal


def _word_value(token: _Token) -> CompValue:
    """true, false, null or a JSON number (RFC 8259 §6)."""
    if token.text.lower() in _KEYWORD_VALUES:
        return _KEYWORD_VALUES[token.text.lower()]
    if set(token.text).isdisjoint(".eE"):
        try:
            return int(token.text)
        except ValueError:  # past sys.get_int_max_str_digits()
            raise _ParseError(token.pos, "the number has too many digits") from None
    value = float(token.text)
    if math.isinf(value):
        raise _ParseError(token.pos, "the number is out of range")
    return value


# Formatting


def _value_text(value: CompValue) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _mask(_: CompValue) -> str:
    return "?"


def _type_tag(value: CompValue) -> str:
    match value:
        case None:
            return "null"
        case bool():
            return "<boolean>"
        case int():
            return "<integer>"
        case float():
            return "<decimal>"
        case _:
            return "<string>"


def _format(f: Filter, value: Callable[[CompValue], str]) -> str:
    match f:
        case Compare(path, op, compared):
            return f"{format_attr_path(path)} {op} {value(compared)}"
        case Present(path):
            return f"{format_attr_path(path)} pr"
        case Not(inner):
            return f"not ({_format(inner, value)})"
        case ValuePath(path, inner):
            return f"{format_attr_path(path)}[{_format(inner, value)}]"
        case _:  # And or Or
            return _format_chain(f, value)


def _format_chain(f: And | Or, value: Callable[[CompValue], str]) -> str:
    """Walk the left spine iteratively, so a long `a and b and c ...` costs no recursion."""
    chain = type(f)
    operands: list[Filter] = []
    node: Filter = f
    while isinstance(node, chain):
        operands.append(node.right)
        node = node.left
    operands.append(node)
    operands.reverse()
    texts = [_format(operand, value) for operand in operands]
    for index, operand in enumerate(operands):
        if (isinstance(operand, Or) and chain is And) or (index > 0 and isinstance(operand, chain)):
            texts[index] = f"({texts[index]})"
    return (" and " if chain is And else " or ").join(texts)


def _format_patch_path(p: PatchPath, value: Callable[[CompValue], str]) -> str:
    text = format_attr_path(p.path)
    if p.value_filter is not None:
        text += f"[{_format(p.value_filter, value)}]"
    return f"{text}.{p.sub_attr}" if p.sub_attr is not None else text
