"""PATCH (RFC 7644 §3.5.2): the RFC's own examples and error cases, from tests/data/patch/rfc7644.json."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from scimkeeper.scim.documents import parse_resource
from scimkeeper.scim.errors import ScimError
from scimkeeper.scim.patch import apply_patch, parse_patch_request
from scimkeeper.scim.schema import GROUP_RESOURCE, USER_RESOURCE

VECTORS = json.loads((Path(__file__).parents[2] / "data" / "patch" / "rfc7644.json").read_text("utf-8"))
RESOURCE_TYPES = {"User": USER_RESOURCE, "Group": GROUP_RESOURCE}
SUCCEEDING = [case for case in VECTORS["cases"] if "expected" in case]
FAILING = [case for case in VECTORS["cases"] if "error" in case]


def run(case: dict[str, Any]) -> dict[str, Any]:
    resource_type = RESOURCE_TYPES[case["resource"]]
    document = copy.deepcopy(VECTORS["documents"][case["document"]])
    assert parse_resource(document, resource_type) == document, "starting documents are canonical"
    return apply_patch(document, parse_patch_request(case["request"]), resource_type)


@pytest.mark.parametrize("case", SUCCEEDING, ids=[case["name"] for case in SUCCEEDING])
def test_rfc_example_gives_the_expected_document(case: dict[str, Any]) -> None:
    """Each RFC example applied to its starting document gives the canonical document beside it."""
    assert run(case) == case["expected"]


@pytest.mark.parametrize("case", FAILING, ids=[case["name"] for case in FAILING])
def test_rfc_error_case_gives_its_scim_type(case: dict[str, Any]) -> None:
    """Each RFC error case raises the ScimError with the scimType of Table 9 beside it."""
    with pytest.raises(ScimError) as raised:
        run(case)
    assert raised.value.scim_type == case["error"]
