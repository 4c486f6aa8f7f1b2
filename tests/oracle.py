"""An independent judge of our responses: python-scim's scim2-models validates them in each context."""

from __future__ import annotations

from typing import Any

from scim2_models import Context, EnterpriseUser, Error, ListResponse, ResourceType, Schema, ServiceProviderConfig, User

UserModel = User[EnterpriseUser]


def valid_user(document: dict[str, Any], context: Context = Context.RESOURCE_QUERY_RESPONSE) -> Any:
    return UserModel.model_validate(document, scim_ctx=context)


def valid_list(document: dict[str, Any]) -> Any:
    return ListResponse[UserModel].model_validate(document, scim_ctx=Context.SEARCH_RESPONSE)


def valid_error(document: dict[str, Any]) -> Any:
    return Error.model_validate(document)


def valid_service_provider_config(document: dict[str, Any]) -> Any:
    return ServiceProviderConfig.model_validate(document, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def valid_schema(document: dict[str, Any]) -> Any:
    return Schema.model_validate(document, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def valid_resource_type(document: dict[str, Any]) -> Any:
    return ResourceType.model_validate(document, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
