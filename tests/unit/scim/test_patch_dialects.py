"""PATCH as Okta and Microsoft Entra ID send it (RFC 7644 §3.5.2), from tests/data/patch/okta.json and entra.json."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from scimkeeper.scim.documents import parse_resource
from scimkeeper.scim.patch import apply_patch, parse_patch_request
from scimkeeper.scim.schema import GROUP_RESOURCE, USER_RESOURCE

DATA = Path(__file__).parents[2] / "data" / "patch"
RESOURCE_TYPES = {"User": USER_RESOURCE, "Group": GROUP_RESOURCE}


def load(name: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    vectors = json.loads((DATA / name).read_text("utf-8"))
    return [(vectors["documents"], case) for case in vectors["cases"]]


OKTA = load("okta.json")
ENTRA = load("entra.json")


def run(documents: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    resource_type = RESOURCE_TYPES[case["resource"]]
    document = copy.deepcopy(documents[case["document"]])
    assert parse_resource(document, resource_type) == document, "starting documents are canonical"
    return apply_patch(document, parse_patch_request(case["request"]), resource_type)


@pytest.mark.parametrize(("documents", "case"), OKTA, ids=[case["name"] for _, case in OKTA])
def test_okta_body_gives_the_expected_document(documents: dict[str, Any], case: dict[str, Any]) -> None:
    """Each recorded Okta body applied to its starting document gives the canonical document beside it."""
    assert run(documents, case) == case["expected"]


@pytest.mark.parametrize(("documents", "case"), ENTRA, ids=[case["name"] for _, case in ENTRA])
def test_entra_body_gives_the_expected_document(documents: dict[str, Any], case: dict[str, Any]) -> None:
    """Each recorded Entra ID body applied to its starting document gives the canonical document beside it."""
    assert run(documents, case) == case["expected"]
