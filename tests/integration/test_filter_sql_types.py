"""Filters and sort keys on attribute types the User schema lacks, compiled to SQL and run on both databases.

The Gadget's integers, decimals, booleans, dateTimes and multi-valued complex values all live in the JSON
document; what SQL selects must be what the reference evaluator (`filter_eval`) selects.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Column, Connection, MetaData, Table, Text, insert, select

from scimkeeper.scim.documents import parse_resource
from scimkeeper.scim.filter import AttrPath, parse_filter
from scimkeeper.scim.filter_eval import matches_resource
from scimkeeper.scim.filter_sql import Layout, compile_template, sort_key
from scimkeeper.scim.keys import search_document
from scimkeeper.storage.types import Json
from tests.gadget import GADGET, GADGET_RESOURCE

GADGETS: dict[str, dict[str, Any]] = {
    "anvil": {
        "label": "Anvil",
        "size": 10,
        "weight": 50.5,
        "sealed": True,
        "builtAt": "2020-01-01T00:00:00Z",
        "tags": ["heavy", "Iron"],
        "parts": [{"name": "Base", "count": 1, "fragile": False}, {"name": "Horn", "count": 1}],
    },
    "bulb": {
        "label": "bulb",
        "size": 2,
        "weight": 0.25,
        "sealed": False,
        "builtAt": "2021-06-01T12:00:00+02:00",
        "tags": ["glass"],
        "parts": [{"name": "Filament", "count": 3, "weight": 0.01, "fragile": True}],
    },
    "crate": {"label": "Crate", "code": "C-1", "size": -4, "weight": 7, "tags": []},
    "dust": {},
}

FILTERS = [
    "size gt 2",
    "size ge -4",
    "size eq 10.0",
    "size lt 3",
    "size pr",
    "weight le 7",
    "weight gt 0.25",
    "weight pr",
    "sealed eq true",
    "sealed eq false",
    "sealed ne true",
    "sealed pr",
    "sealed eq null",
    'builtAt gt "2020-06-01T00:00:00Z"',
    "builtAt pr",
    'tags eq "iron"',
    'tags co "a"',
    "tags pr",
    "parts pr",
    "parts[count ge 2]",
    'parts[count eq 1 and name sw "h"]',
    "parts[count pr]",
    "parts[weight pr]",
    "parts[weight lt 1]",
    "parts[fragile eq true]",
    "parts[fragile eq false]",
    "parts[fragile pr]",
    "not (parts[fragile eq true])",
    "parts[name eq null]",
]


@pytest.fixture
def gadgets(conn: Connection) -> tuple[Table, Layout]:
    """The gadgets in a table of their own, inside the test's rolled-back transaction."""
    table = Table(
        "test_gadgets",
        MetaData(),
        Column("id", Text, primary_key=True),
        Column("search_document", Json, nullable=False),
    )
    table.create(conn)
    for name, attributes in GADGETS.items():
        document = parse_resource({"schemas": [GADGET.id], **attributes}, GADGET_RESOURCE)
        conn.execute(insert(table).values(id=name, search_document=search_document(document, GADGET_RESOURCE)))
    return (
        table,
        Layout(
            dialect=conn.dialect.name,
            id=table.c.id,
            search_document=table.c.search_document,
            columns={},
            resource_type_name="Gadget",
            absent=frozenset(),
        ),
    )


@pytest.mark.parametrize("text", FILTERS)
def test_sql_selects_what_the_evaluator_selects(conn: Connection, gadgets: tuple[Table, Layout], text: str) -> None:
    """Each filter selects the same gadgets in SQL as in Python."""
    table, layout = gadgets
    predicate, _ = compile_template(parse_filter(text), GADGET_RESOURCE, layout)
    selected = sorted(conn.execute(select(table.c.id).where(predicate)).scalars())
    expected = [
        name for name, doc in sorted(GADGETS.items()) if matches_resource(parse_filter(text), doc, GADGET_RESOURCE)
    ]
    assert selected == expected


@pytest.mark.parametrize(
    ("attribute", "order"),
    [
        ("size", ["crate", "bulb", "anvil"]),
        ("weight", ["bulb", "crate", "anvil"]),
        ("sealed", ["bulb", "anvil"]),
        ("label", ["anvil", "bulb", "crate"]),
    ],
)
def test_sort_key_orders_json_values_by_their_type(
    conn: Connection, gadgets: tuple[Table, Layout], attribute: str, order: list[str]
) -> None:
    """Numbers sort numerically (-4 before 2 before 10), booleans false first, strings by their folded text."""
    table, layout = gadgets
    key = sort_key(AttrPath(None, attribute), GADGET_RESOURCE, layout)
    sorted_ids = conn.execute(select(table.c.id).where(key.is_not(None)).order_by(key, table.c.id)).scalars()
    assert list(sorted_ids) == order
