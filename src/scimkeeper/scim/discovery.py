"""Discovery documents: /ServiceProviderConfig, /ResourceTypes and /Schemas (RFC 7643 §5, §6, §7).

The `pagination` block of the ServiceProviderConfig follows RFC 9865 §5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scimkeeper.scim.schema import Attribute, ResourceType, Schema

SERVICE_PROVIDER_CONFIG_URN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_URN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_URN = "urn:ietf:params:scim:schemas:core:2.0:Schema"


@dataclass(frozen=True)
class Features:
    """What this server supports, as advertised in the ServiceProviderConfig."""

    patch: bool
    filter: bool
    max_results: int
    sort: bool
    etag: bool
    change_password: bool
    bulk: bool
    bulk_max_operations: int
    bulk_max_payload_size: int
    cursor_pagination: bool
    index_pagination: bool
    default_page_size: int
    max_page_size: int
    cursor_timeout_seconds: int
    documentation_uri: str | None


def service_provider_config(features: Features, *, base_url: str) -> dict[str, Any]:
    document: dict[str, Any] = {"schemas": [SERVICE_PROVIDER_CONFIG_URN]}
    if features.documentation_uri is not None:
        document["documentationUri"] = features.documentation_uri
    document |= {
        "patch": {"supported": features.patch},
        "bulk": {
            "supported": features.bulk,
            "maxOperations": features.bulk_max_operations,
            "maxPayloadSize": features.bulk_max_payload_size,
        },
        "filter": {"supported": features.filter, "maxResults": features.max_results},
        "changePassword": {"supported": features.change_password},
        "sort": {"supported": features.sort},
        "etag": {"supported": features.etag},
        "pagination": _pagination(features),
        "authenticationSchemes": [_bearer_token_scheme()],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base_url}/ServiceProviderConfig"},
    }
    return document


def _bearer_token_scheme() -> dict[str, Any]:
    return {
        "type": "oauthbearertoken",
        "name": "OAuth Bearer Token",
        "description": "Authentication with a bearer token generated in the scimkeeper console.",
        "specUri": "https://www.rfc-editor.org/info/rfc6750",
        "primary": True,
    }


def _pagination(features: Features) -> dict[str, Any]:
    pagination: dict[str, Any] = {
        "cursor": features.cursor_pagination,
        "index": features.index_pagination,
        # Index paging is the RFC 7644 default that every client speaks; cursor only when it is all we have.
        "defaultPaginationMethod": "index" if features.index_pagination else "cursor",
        "defaultPageSize": features.default_page_size,
        "maxPageSize": features.max_page_size,
    }
    if features.cursor_pagination:
        # RFC 9865 §5: cursorTimeout describes cursors, so it is only advertised when they are offered.
        pagination["cursorTimeout"] = features.cursor_timeout_seconds
    return pagination


def resource_type_documents(resource_types: Sequence[ResourceType], *, base_url: str) -> list[dict[str, Any]]:
    return [_resource_type_document(resource_type, base_url) for resource_type in resource_types]


def _resource_type_document(resource_type: ResourceType, base_url: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "schemas": [RESOURCE_TYPE_URN],
        "id": resource_type.id,
        "name": resource_type.name,
        "endpoint": resource_type.endpoint,
        "description": resource_type.description,
        "schema": resource_type.schema.id,
    }
    if resource_type.extensions:
        document["schemaExtensions"] = [
            {"schema": extension.id, "required": required} for extension, required in resource_type.extensions
        ]
    document["meta"] = {
        "resourceType": "ResourceType",
        "location": f"{base_url}/ResourceTypes/{resource_type.id}",
    }
    return document


def schema_documents(schemas: Sequence[Schema], *, base_url: str) -> list[dict[str, Any]]:
    """Describe schemas from the same definitions the validator uses.

    The common attributes id, externalId and meta are not listed: RFC 7643 §7 leaves them out.
    """
    return [_schema_document(schema, base_url) for schema in schemas]


def _schema_document(schema: Schema, base_url: str) -> dict[str, Any]:
    return {
        "schemas": [SCHEMA_URN],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": [_attribute_document(attribute) for attribute in schema.attributes],
        "meta": {"resourceType": "Schema", "location": f"{base_url}/Schemas/{schema.id}"},
    }


def _attribute_document(attribute: Attribute) -> dict[str, Any]:
    document: dict[str, Any] = {
        "name": attribute.name,
        "type": attribute.type,
        "multiValued": attribute.multi_valued,
        "description": attribute.description,
        "required": attribute.required,
        "caseExact": attribute.case_exact,
        "mutability": attribute.mutability,
        "returned": attribute.returned,
        "uniqueness": attribute.uniqueness,
    }
    if attribute.canonical_values:
        document["canonicalValues"] = list(attribute.canonical_values)
    if attribute.reference_types:
        document["referenceTypes"] = list(attribute.reference_types)
    if attribute.sub_attributes:
        document["subAttributes"] = [_attribute_document(sub) for sub in attribute.sub_attributes]
    return document
