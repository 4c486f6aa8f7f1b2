"""Comparison keys for attributes with `caseExact: false` (RFC 7643 §2.2): stored and queried the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scimkeeper.scim.schema import Attribute, ResourceType, common_attribute


def fold(value: str) -> str:
    """The case-insensitive comparison key of a string value."""
    return value.casefold()


def search_document(document: Mapping[str, Any], resource_type: ResourceType) -> dict[str, Any]:
    """The canonical document with every string of a `caseExact: false` attribute folded (schema URNs too).

    Filters read this copy, so case-insensitive comparisons are plain comparisons on every database.
    """
    searchable: dict[str, Any] = {}
    for key, value in document.items():
        extension = resource_type.schema_by_urn(key) if key.startswith("urn:") else None
        if key == "schemas":
            searchable[key] = [fold(urn) for urn in value]
        elif extension is not None:
            searchable[key] = {name: _fold(extension.attribute(name), v) for name, v in value.items()}
        else:
            searchable[key] = _fold(resource_type.schema.attribute(key) or common_attribute(key), value)
    return searchable


def _fold(attribute: Attribute | None, value: Any) -> Any:
    if attribute is None:
        return value
    if isinstance(value, list):
        return [_fold(attribute, item) for item in value]
    if isinstance(value, dict):
        return {name: _fold(attribute.sub_attribute(name), item) for name, item in value.items()}
    if isinstance(value, str) and attribute.type in ("string", "reference") and not attribute.case_exact:
        return fold(value)
    return value
