"""Discovery documents (RFC 7643 §5, §6, §7; RFC 9865 §5)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from scim2_models import Context, ResourceType, Schema, ServiceProviderConfig

from scimkeeper.scim.discovery import (
    Features,
    resource_type_documents,
    schema_documents,
    service_provider_config,
)
from scimkeeper.scim.schema import ENTERPRISE_USER, GROUP, GROUP_RESOURCE, USER, USER_RESOURCE

BASE = "https://scim.example.com/scim/v2"
FEATURES = Features(
    patch=True,
    filter=True,
    max_results=200,
    sort=False,
    etag=True,
    change_password=False,
    bulk=False,
    bulk_max_operations=0,
    bulk_max_payload_size=0,
    cursor_pagination=False,
    index_pagination=True,
    default_page_size=100,
    max_page_size=500,
    cursor_timeout_seconds=600,
    documentation_uri="https://scim.example.com/docs/scim",
)


def user_schema_document() -> dict[str, Any]:
    return schema_documents([USER], base_url=BASE)[0]


def attribute_document(name: str) -> dict[str, Any]:
    return next(item for item in user_schema_document()["attributes"] if item["name"] == name)


def test_service_provider_config_advertises_the_features() -> None:
    """Each feature flag and limit appears in its RFC 7643 §5 block."""
    document = service_provider_config(FEATURES, base_url=BASE)
    assert document["documentationUri"] == "https://scim.example.com/docs/scim"
    assert document["patch"] == {"supported": True}
    assert document["bulk"] == {"supported": False, "maxOperations": 0, "maxPayloadSize": 0}
    assert document["filter"] == {"supported": True, "maxResults": 200}
    assert document["changePassword"] == {"supported": False}
    assert document["sort"] == {"supported": False}
    assert document["etag"] == {"supported": True}


def test_service_provider_config_lists_the_bearer_token_scheme() -> None:
    """The one authentication scheme is an OAuth bearer token (RFC 6750)."""
    [scheme] = service_provider_config(FEATURES, base_url=BASE)["authenticationSchemes"]
    assert (scheme["type"], scheme["name"], scheme["specUri"], scheme["primary"]) == (
        "oauthbearertoken",
        "OAuth Bearer Token",
        "https://www.rfc-editor.org/info/rfc6750",
        True,
    )
    assert "console" in scheme["description"]


def test_service_provider_config_has_an_absolute_location() -> None:
    """meta.location is the absolute URL of the endpoint."""
    assert service_provider_config(FEATURES, base_url=BASE)["meta"] == {
        "resourceType": "ServiceProviderConfig",
        "location": f"{BASE}/ServiceProviderConfig",
    }


def test_service_provider_config_without_documentation_has_no_documentation_uri() -> None:
    """documentationUri is left out when there is none."""
    features = replace(FEATURES, documentation_uri=None)
    assert "documentationUri" not in service_provider_config(features, base_url=BASE)


def test_index_only_pagination_block() -> None:
    """With index paging only, the RFC 9865 block defaults to index and has no cursorTimeout."""
    assert service_provider_config(FEATURES, base_url=BASE)["pagination"] == {
        "cursor": False,
        "index": True,
        "defaultPaginationMethod": "index",
        "defaultPageSize": 100,
        "maxPageSize": 500,
    }


def test_cursor_pagination_block_advertises_the_cursor_timeout() -> None:
    """With cursors offered, the block carries cursorTimeout; index stays the default method."""
    features = replace(FEATURES, cursor_pagination=True)
    pagination = service_provider_config(features, base_url=BASE)["pagination"]
    assert (pagination["cursor"], pagination["defaultPaginationMethod"], pagination["cursorTimeout"]) == (
        True,
        "index",
        600,
    )


def test_cursor_only_pagination_defaults_to_cursor() -> None:
    """Without index paging the default method is cursor."""
    features = replace(FEATURES, cursor_pagination=True, index_pagination=False)
    assert service_provider_config(features, base_url=BASE)["pagination"]["defaultPaginationMethod"] == "cursor"


@pytest.mark.parametrize("cursor", [False, True])
def test_service_provider_config_is_valid_for_scim2_models(cursor: bool) -> None:
    """scim2_models reads the document, including the pagination block."""
    features = replace(FEATURES, cursor_pagination=cursor)
    document = service_provider_config(features, base_url=BASE)
    parsed = ServiceProviderConfig.model_validate(document, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    assert parsed.pagination is not None
    assert parsed.pagination.max_page_size == 500


def test_user_resource_type_document() -> None:
    """The User resource type names its endpoint, schema and optional enterprise extension."""
    [document] = resource_type_documents([USER_RESOURCE], base_url=BASE)
    assert document == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "User Account",
        "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
        "schemaExtensions": [
            {"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": False}
        ],
        "meta": {"resourceType": "ResourceType", "location": f"{BASE}/ResourceTypes/User"},
    }


def test_resource_type_without_extensions_has_no_schema_extensions() -> None:
    """schemaExtensions is left out for a resource type without extensions."""
    [document] = resource_type_documents([GROUP_RESOURCE], base_url=BASE)
    assert "schemaExtensions" not in document


def test_resource_type_documents_are_valid_for_scim2_models() -> None:
    """scim2_models reads both resource type documents."""
    for document in resource_type_documents([USER_RESOURCE, GROUP_RESOURCE], base_url=BASE):
        parsed = ResourceType.model_validate(document, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        assert parsed.endpoint == document["endpoint"]


def test_schema_document_has_an_absolute_location() -> None:
    """A schema's meta.location is {base}/Schemas/{urn}."""
    assert user_schema_document()["meta"] == {
        "resourceType": "Schema",
        "location": f"{BASE}/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
    }


def test_schema_document_leaves_out_common_attributes() -> None:
    """id, externalId and meta are not schema attributes (RFC 7643 §7)."""
    names = {item["name"] for item in user_schema_document()["attributes"]}
    assert names.isdisjoint({"id", "externalId", "meta"})
    assert "userName" in names


def test_schema_attribute_carries_every_characteristic() -> None:
    """Each attribute lists all RFC 7643 §7 characteristics."""
    assert attribute_document("userName") == {
        "name": "userName",
        "type": "string",
        "multiValued": False,
        "description": "Unique identifier for the User, typically used by the user to directly authenticate.",
        "required": True,
        "caseExact": False,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "server",
    }


def test_schema_attribute_lists_sub_attributes_with_canonical_values() -> None:
    """Complex attributes list their sub-attributes, with canonicalValues where defined."""
    emails = attribute_document("emails")
    assert [sub["name"] for sub in emails["subAttributes"]] == ["value", "display", "type", "primary"]
    assert emails["subAttributes"][2]["canonicalValues"] == ["work", "home", "other"]
    assert "canonicalValues" not in emails["subAttributes"][0]


def test_schema_attribute_lists_reference_types() -> None:
    """Reference attributes list their referenceTypes."""
    assert attribute_document("profileUrl")["referenceTypes"] == ["external"]
    assert "referenceTypes" not in attribute_document("title")


def test_password_is_described_as_write_only() -> None:
    """The schema tells clients password is writeOnly and never returned."""
    password = attribute_document("password")
    assert (password["mutability"], password["returned"]) == ("writeOnly", "never")


def test_schema_documents_are_valid_for_scim2_models() -> None:
    """scim2_models reads the User, EnterpriseUser and Group schema documents."""
    for document in schema_documents([USER, ENTERPRISE_USER, GROUP], base_url=BASE):
        parsed = Schema.model_validate(document, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        assert parsed.id == document["id"]
