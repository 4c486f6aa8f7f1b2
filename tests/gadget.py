"""Gadget: a resource type with the attribute types the User schema lacks, for the filter and sort tests."""

from __future__ import annotations

from scimkeeper.scim.schema import Attribute, ResourceType, Schema

GADGET = Schema(
    id="urn:example:schemas:Gadget",
    name="Gadget",
    description="Test schema",
    attributes=(
        Attribute("label", "string"),
        Attribute("code", "string", case_exact=True),
        Attribute("size", "integer"),
        Attribute("weight", "decimal"),
        Attribute("sealed", "boolean"),
        Attribute("blob", "binary"),
        Attribute("builtAt", "dateTime"),
        Attribute("tags", "string", multi_valued=True),
        Attribute(
            "parts",
            "complex",
            multi_valued=True,
            sub_attributes=(
                Attribute("name", "string"),
                Attribute("count", "integer"),
                Attribute("weight", "decimal"),
                Attribute("fragile", "boolean"),
            ),
        ),
    ),
)
GADGET_RESOURCE = ResourceType(id="Gadget", name="Gadget", endpoint="/Gadgets", description="", schema=GADGET)
